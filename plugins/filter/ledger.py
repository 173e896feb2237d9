# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ledgers of the roles: ``problem_ticket``'s in Zabbix, ``event_remediation``'s in the CRM, as filters.

A problem the role ticketed carries the marker ``scriptbridge:<eventid>`` in
its acknowledgement messages, written by ``zabbix_event_acknowledge`` with
``once``. Before anything runs, the role reads the markers (the same module in
check mode) and leaves out the problems that have one, so that a replayed
event opens no second ticket whatever the event source remembered.

Before the diagnostics run, the role writes the intent marker
``scriptbridge-started:<eventid>`` into each problem still to do (the same
module with ``once``): a problem that carries it already was started by an
earlier run that stopped before its ticket marker, so its diagnostics may have
run and are not run again. Neither marker contains the other, so the substring
test of ``once`` never takes one for the other.

- ``problem_ticket_ledger``: which events still need diagnostics and a ticket,
  which need only a ticket (started) and which are ticketed already, from the
  read of the markers and the write of the intents;
- ``problem_ticket_acknowledgements``: what to write into each problem after
  its ticket, from the looped CRMScript task.

The role ``event_remediation``, given a key of the event (``event_remediation_key``, the
webhook delivery's ``meta.uuid``), keeps its ledger in the CRM through its report
CRMScript: before the Zabbix script runs, the script is called with the status
``started`` and the key, records the intent the first time and answers what it knows of
the key:

- ``event_remediation_ledger``: that answer, checked against the contract - ``new`` (run
  the script), ``started`` (an earlier run started it and stopped before its report: not
  run again) or ``reported`` (done and reported: nothing runs, nothing is reported again).

Each filter's documentation is the YAML file of the same name next to this one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

MARKER_PREFIX = "scriptbridge:"
INTENT_PREFIX = "scriptbridge-started:"


def ticket_marker(event_id):
    """The marker of a problem the role ticketed."""
    return "%s%s" % (MARKER_PREFIX, event_id)


def intent_marker(event_id):
    """The marker of a problem whose diagnostics the role started."""
    return "%s%s" % (INTENT_PREFIX, event_id)


def _results(registered, what):
    """The per-item results of a registered looped task; a task that did not run has none."""
    if registered is None:
        return []
    if not isinstance(registered, Mapping):
        raise AnsibleFilterError("%s must be a dictionary, got %s" % (what, type(registered).__name__))
    results = registered.get("results") or []
    for result in results:
        if not isinstance(result, Mapping):
            raise AnsibleFilterError("A loop result must be a dictionary, got %s" % type(result).__name__)
    return results


def _marked(registered, what, unread, why):
    """The loop items of a registered ``once`` task whose problem carries the marker; ``unread`` gets the others'
    failures (the first reason given for an event is kept)."""
    carried = set()
    for result in _results(registered, what):
        if result.get("skipped") and "events" not in result:
            continue
        event_id = str(result.get("item"))
        events = result.get("events")
        if not events:
            unread.setdefault(event_id, "%s: %s" % (why, result.get("msg") or "no answer") if why
                              else str(result.get("msg") or "the problem could not be read"))
            continue
        if any(event.get("skipped") for event in events):
            carried.add(event_id)
    return carried


def problem_ticket_ledger(markers, event_ids, intents=None):
    """Which of ``event_ids`` need diagnostics and a ticket: ``todo``; only a ticket: ``started`` (they carry the
    intent marker, not the ticket marker); none: ``ticketed``; and ``unread`` (why the ledger could not guard it)."""
    unread = {}
    carried = _marked(markers, "The read of the markers", unread, None)
    started = _marked(intents, "The write of the intents", unread, "the intent could not be written") - carried
    ids = [str(event_id) for event_id in event_ids or []]
    return {
        "todo": [event_id for event_id in ids if event_id not in carried and event_id not in started],
        "started": [event_id for event_id in ids if event_id in started],
        "ticketed": [event_id for event_id in ids if event_id in carried],
        "unread": unread,
    }


def _ticket_text(answer):
    ticket_id = answer.get("ticket_id") if isinstance(answer, Mapping) else None
    if ticket_id in (None, ""):
        return "SuperOffice ticket written; the ticket script returned no ticket_id"
    return "SuperOffice ticket %s" % ticket_id


def problem_ticket_acknowledgements(crm):
    """One {event_id, message, marker} per ticket the looped CRMScript task wrote."""
    entries = []
    for run in _results(crm, "The CRMScript task's result"):
        item = run.get("item")
        if not isinstance(item, Mapping) or run.get("skipped"):
            continue
        event_id = str(item.get("event_id"))
        entries.append({"event_id": event_id, "message": _ticket_text(run.get("output_json")),
                        "marker": ticket_marker(event_id)})
    return entries


LEDGER_STATES = ("new", "started", "reported")
REPORT_STATUSES = ("blocked", "nothing_to_do", "succeeded", "failed")


def _contract_error(key, why):
    return AnsibleFilterError(
        "The report CRMScript does not keep the ledger of event_remediation: asked with the status started and the "
        "key %s, %s. It must print {\"state\": \"new\"} when it records the key, else {\"state\": \"started\"} "
        "or {\"state\": \"reported\", \"status\": <the status reported>} (see the role's README). No Zabbix script "
        "was run." % (key, why))


def event_remediation_ledger(intent, key=None):
    """What the report CRMScript's ledger says of ``key``: {key, state (None: no ledger asked), status}."""
    key = str(key) if key not in (None, "") else ""
    if intent is not None and not isinstance(intent, Mapping):
        raise AnsibleFilterError("The intent's result must be a dictionary, got %s" % type(intent).__name__)
    if not key or not intent or intent.get("skipped") or "output" not in intent:
        # No key, or no intent written: no script to run, or check mode (the CRMScript is only looked up).
        return {"key": key or None, "state": None, "status": None}
    answer = intent.get("output_json")
    if not isinstance(answer, Mapping):
        raise _contract_error(key, "it printed %r" % str(intent.get("output"))[:200])
    state = answer.get("state")
    if state not in LEDGER_STATES:
        raise _contract_error(key, "it answered the state %r" % (state,))
    if answer.get("key") not in (None, "", key):
        raise _contract_error(key, "it answered for the key %s" % answer.get("key"))
    status = answer.get("status") if state == "reported" else None
    if state == "reported" and status not in REPORT_STATUSES:
        raise _contract_error(key, "it answered reported with the status %r, not one of %s"
                              % (status, ", ".join(REPORT_STATUSES)))
    return {"key": key, "state": state, "status": status}


class FilterModule(object):
    """The filters of the ledgers in Zabbix and in the CRM."""

    def filters(self):
        return {
            "problem_ticket_ledger": problem_ticket_ledger,
            "problem_ticket_acknowledgements": problem_ticket_acknowledgements,
            "event_remediation_ledger": event_remediation_ledger,
        }
