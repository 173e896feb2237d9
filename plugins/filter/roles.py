# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The data work of the example roles, as filters.

The roles ``event_remediation`` and ``problem_ticket`` chain modules; what they
decide between the tasks and what they report afterwards lives here, where it
is read and tested as Python:

- ``event_remediation_plan``: what the event handlers decided (the decision
  ladder: undecided, blocked, nothing_to_do, not_allowed, no_hosts, run), and
  which Zabbix script runs on which hosts;
- ``event_remediation_outcome``: the per-host results, the status and the
  one-sentence message of ``event_remediation_result``;
- ``problem_ticket_diagnostics``: one entry per problem event from the Zabbix
  script's results;
- ``problem_ticket_outcome``: the tickets, the status and the message of
  ``problem_ticket_result``, with the problems left out as already ticketed
  and whether each ticket reached its Zabbix problem (``ledger.py``).

Each filter's documentation is the YAML file of the same name next to this one.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.validation import check_type_list
from ansible.module_utils.parsing.convert_bool import boolean

# The decisions after which no Zabbix script runs and the status is the decision itself.
FINAL_DECISIONS = ("undecided", "blocked", "nothing_to_do")


def _mapping(value, what):
    """A task result or a dict argument; null is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise AnsibleFilterError("%s must be a dictionary, got %s" % (what, type(value).__name__))
    return value


def _text(value):
    """Text of a value, with an empty or missing value as the empty text."""
    return str(value) if value else ""


def _flag(value):
    return boolean(value, strict=False)


def _script_names(allowed_scripts):
    """The allowed scripts as a list of names or ids, read as the role's argument spec reads them."""
    if not allowed_scripts:
        return []
    try:
        return [str(name) for name in check_type_list(allowed_scripts)]
    except TypeError:
        raise AnsibleFilterError("allowed_scripts must be a list of script names or ids, got %s"
                                 % type(allowed_scripts).__name__)


def _host_names(value):
    """Comma-separated host names: trimmed, blanks dropped, repeats (ignoring case) dropped, order kept."""
    seen = set()
    names = []
    for name in _text(value).split(","):
        name = name.strip()
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def target_value(item):
    """What a target of zabbix_script_execute printed or, when it failed, why.

    The printed value when there is one; else the error's data when it is a
    non-empty text (a failing script's output), else the error's message.
    """
    value = item.get("value")
    if value is not None:
        return value
    error = _mapping(item.get("error") or {}, "error")
    data = error.get("data")
    if isinstance(data, str) and data:
        return data
    return error.get("message")


def _decision(handlers_exist, handlers_ran, blocked, requested, hosts, allowed):
    """The decision ladder of event_remediation: the first rule that matches."""
    if not handlers_ran and handlers_exist:
        return "undecided"
    if blocked:
        return "blocked"
    if not requested:
        return "nothing_to_do"
    if allowed and requested not in allowed:
        return "not_allowed"
    if not hosts:
        return "no_hosts"
    return "run"


def event_remediation_plan(handlers, preview=None, allowed_scripts=None):
    """What the event handlers decided, from the result of superoffice_event_handlers.

    ``preview`` is the result of the check-mode preview run; when it was
    skipped (or is not given), ``handlers`` holds the decision.
    """
    handlers = _mapping(handlers, "The event handlers' result")
    preview = _mapping(preview, "The preview's result")
    decided = handlers if not preview or preview.get("skipped") else preview
    outputs = _mapping(decided.get("output_values") or {}, "output_values")
    script_id = _text(outputs.get("zabbix.script_id")).strip()
    script_name = _text(outputs.get("zabbix.script")).strip()
    # zabbix.script_id names one script exactly; it wins over zabbix.script when a handler sets both.
    requested = script_id or script_name
    blocked = _flag(decided.get("blocked", False))
    handlers_ran = "event" in decided
    hosts = _host_names(outputs.get("zabbix.hosts"))
    return {
        # Also true for a play or block with check_mode: true, which ansible_check_mode does not reflect.
        "check_mode": "event" not in handlers,
        "handlers_ran": handlers_ran,
        "decision": _decision(handlers.get("handlers_exist"), handlers_ran, blocked, requested, hosts,
                              _script_names(allowed_scripts)),
        "blocked": blocked,
        "message": _text(decided.get("message")),
        "output_values": outputs,
        "script_id": script_id,
        "script_name": script_name,
        "script": "" if blocked else requested,
        "hosts": hosts,
        "manualinput": _text(outputs.get("zabbix.manualinput")),
    }


# The result of a host whose script an earlier run started, as the ledger in the CRM says.
NOT_RUN_AGAIN_ON_HOST = ("not run again: an earlier run for this event started the script and stopped before its "
                         "report, so it may have run (see the script's history in Zabbix)")


def _host_results(plan, zabbix, failure, ledger_state=None):
    """One {host, failed, value} per host the script ran (or was to run) on."""
    if plan["decision"] != "run" or ledger_state == "reported":
        return []
    if ledger_state == "started":
        return [{"host": host, "failed": True, "value": NOT_RUN_AGAIN_ON_HOST} for host in plan["hosts"]]
    if failure:
        return [{"host": host, "failed": True, "value": "not run: %s" % failure} for host in plan["hosts"]]
    entries = []
    for item in zabbix.get("results") or []:
        entry = {"host": item.get("host"), "failed": _flag(item.get("failed")), "value": target_value(item)}
        if plan["check_mode"]:
            entry["would_execute"] = item.get("would_execute", False)
        entries.append(entry)
    return entries


def _count(number, noun):
    return "%d %s%s" % (number, noun, "" if number == 1 else "s")


# pylint: disable-next=too-many-arguments,too-many-return-statements
def _remediation_msg(plan, event_type, script_name, failure, results, failed_hosts, ledger=None):
    """One sentence on what event_remediation did."""
    decision = plan["decision"]
    script = plan["script"]
    ledger = ledger or {}
    if decision == "run" and ledger.get("state") == "started":
        return ("Zabbix script %s was not run again on %s: an earlier run for this event (key %s) started it and "
                "stopped before its report, so it may have run." % (script, ", ".join(plan["hosts"]), ledger["key"]))
    if decision == "run" and ledger.get("state") == "reported":
        return ("An earlier run for this event (key %s) ran Zabbix script %s and reported it to the CRM (%s): "
                "nothing was run or reported again." % (ledger["key"], script, ledger["status"]))
    if decision == "undecided":
        return ("Check mode: %s has event handlers, which were not run; set"
                " event_remediation_run_handlers_in_check_mode to preview their decision." % event_type)
    if decision == "blocked":
        return "A handler of %s blocked the event (%s): no Zabbix script ran." % (
            event_type, plan["message"] or "no message")
    if decision == "nothing_to_do":
        return "The handlers of %s named no Zabbix script: nothing to do." % event_type
    if decision == "not_allowed":
        return ("The handlers asked for Zabbix script %s, which event_remediation_allowed_scripts does not allow:"
                " no Zabbix script ran." % script)
    if decision == "no_hosts":
        return ("The handlers asked for Zabbix script %s but named no hosts in zabbix.hosts:"
                " no Zabbix script ran." % script)
    if failure:
        return "Zabbix script %s did not run: %s" % (script, failure)
    if failed_hosts:
        how = ": failed on " + ", ".join(str(host) for host in failed_hosts)
    else:
        how = "" if plan["check_mode"] else ", successfully"
    return "Zabbix script %s %s on %s%s." % (
        script_name, "would run" if plan["check_mode"] else "ran", _count(len(results), "host"), how)


def event_remediation_outcome(plan, event_type, zabbix=None, failure="", ledger=None):
    """The whole outcome of event_remediation (its variable event_remediation_result), before the report.

    ``ledger`` (from event_remediation_ledger) says whether an earlier run started or reported this event.
    """
    plan = _mapping(plan, "The plan")
    zabbix = _mapping(zabbix, "The Zabbix task's result")
    failure = _text(failure)
    ledger = _mapping(ledger, "The ledger")
    state = ledger.get("state") if plan["decision"] == "run" else None
    ran = plan["decision"] == "run" and state not in ("started", "reported")
    script = _mapping(zabbix.get("script"), "The Zabbix task's script") if ran else {}
    results = _host_results(plan, zabbix, failure, state)
    failed_hosts = [entry["host"] for entry in results if entry["failed"]]
    if plan["decision"] in FINAL_DECISIONS:
        status = plan["decision"]
    elif state == "reported":
        status = ledger["status"]
    else:
        status = "failed" if not ran or failed_hosts else "succeeded"
    return {
        "status": status,
        "msg": _remediation_msg(plan, event_type, script.get("name"), failure, results, failed_hosts, ledger),
        "event_type": event_type,
        "blocked": plan["blocked"],
        "message": plan["message"],
        "output_values": plan["output_values"],
        "script": plan["script"],
        "script_id": script.get("scriptid") or plan["script_id"],
        "hosts": plan["hosts"] if plan["script"] else [],
        "manualinput": plan["manualinput"],
        "results": results,
        "summary": {"total": len(results), "succeeded": len(results) - len(failed_hosts),
                    "failed": len(failed_hosts)},
        "zabbix_version": zabbix.get("zabbix_version") if ran else None,
        "check_mode": plan["check_mode"],
        "ledger": state,
        "reported": False,
        "report_output": None,
    }


# The diagnostics entry of a problem that carries the intent marker of an earlier run but not its ticket marker.
NOT_RUN_AGAIN = ("diagnostics not run again: an earlier run started them and stopped before it wrote the ticket "
                 "into the problem, so they may have run (see the problem's history in Zabbix)")


def problem_ticket_diagnostics(zabbix, event_ids, failure="", started=None):
    """One {event_id, host, failed, value} per problem event, from the result of zabbix_script_execute; then one per
    event of ``started``, whose diagnostics are not run again."""
    failure = _text(failure)
    again = [{"event_id": str(event_id), "host": "", "failed": True, "value": NOT_RUN_AGAIN}
             for event_id in started or []]
    if failure:
        return [{"event_id": str(event_id), "host": "", "failed": True, "value": "diagnostics not run: %s" % failure}
                for event_id in event_ids or []] + again
    zabbix = _mapping(zabbix, "The Zabbix task's result")
    return [{"event_id": str(item.get("event_id")), "host": item.get("host") or "",
             "failed": _flag(item.get("failed")), "value": target_value(item)}
            for item in zabbix.get("results") or []] + again


def _ticket(run):
    """A diagnostics entry with what the ticket CRMScript answered for it."""
    answer = run.get("output_json")
    answer = answer if isinstance(answer, Mapping) else {}
    ticket = dict(_mapping(run.get("item"), "A loop item"))
    ticket.update(ticket_id=answer.get("ticket_id"), action=answer.get("action"), output=run.get("output"))
    return ticket


def _tickets_msg(tickets, failed, check_mode, failure, again):
    """One sentence on what problem_ticket did."""
    actions = [ticket["action"] for ticket in tickets if ticket["action"]]
    msg = ("Check mode: would write " if check_mode else "Wrote ") + _count(len(tickets), "ticket")
    if actions:
        msg += " (%d created, %d updated)" % (actions.count("created"), actions.count("updated"))
    msg += "."
    failed = [event_id for event_id in failed if event_id not in again]
    if failure and failed:
        msg += " The diagnostics did not run: %s" % failure
    elif failed:
        msg += " The diagnostics failed for event %s." % ", ".join(failed)
    if again:
        msg += (" The diagnostics of event%s %s were not run again: an earlier run started them and stopped before "
                "the ticket reached the problem, so they may have run." % ("" if len(again) == 1 else "s", ", ".join(again)))
    return msg


def _acknowledged(acknowledged):
    """{event_id: why the ticket did not reach its problem (None: it did)} of the looped acknowledge task."""
    found = {}
    for run in _mapping(acknowledged, "The acknowledge task's result").get("results") or []:
        run = _mapping(run, "A loop result")
        item = run.get("item")
        if run.get("skipped") or not isinstance(item, Mapping):
            continue
        found[str(item.get("event_id"))] = None if "events" in run else _text(run.get("msg")) or "not written"
    return found


def _ledger_msg(skipped, not_written):
    """What the ledger in Zabbix adds to the message: problems left out, tickets that did not reach theirs."""
    msg = ""
    if skipped:
        msg += " Left out event%s %s: already ticketed." % ("" if len(skipped) == 1 else "s", ", ".join(skipped))
    for event_id, why in not_written:
        msg += " The ticket of event %s was not written into its Zabbix problem: %s" % (event_id, why)
    return msg


def problem_ticket_outcome(crm, script, zabbix=None, failure="", ledger=None, acknowledged=None):
    """The whole outcome of problem_ticket (its variable problem_ticket_result), from the looped CRMScript task.

    ``ledger`` (from problem_ticket_ledger) adds ``skipped``, the events left out as already ticketed, and
    ``not_run_again``, the ticketed events whose diagnostics an earlier run started;
    ``acknowledged`` (the looped zabbix_event_acknowledge task) adds ``acknowledged`` to each ticket.
    """
    crm = _mapping(crm, "The CRMScript task's result")
    zabbix = _mapping(zabbix, "The Zabbix task's result")
    runs = [_mapping(run, "A loop result") for run in crm.get("results") or []]
    tickets = [_ticket(run) for run in runs]
    failed = [str(ticket["event_id"]) for ticket in tickets if ticket.get("failed")]
    # In check mode the CRMScript is only looked up and prints nothing; this also catches a play with
    # check_mode: true, which ansible_check_mode does not reflect.
    check_mode = any("output" not in run for run in runs)
    written = _acknowledged(acknowledged) if acknowledged is not None else {}
    for ticket in tickets if acknowledged is not None else []:
        event_id = str(ticket["event_id"])
        ticket.update(acknowledged=event_id in written and written[event_id] is None,
                      acknowledge_error=written.get(event_id))
    not_written = [(str(t["event_id"]), t["acknowledge_error"]) for t in tickets if t.get("acknowledge_error")]
    skipped = list(_mapping(ledger, "The ledger").get("ticketed") or []) if ledger is not None else []
    started = set(str(event_id) for event_id in _mapping(ledger, "The ledger").get("started") or [])
    again = [str(t["event_id"]) for t in tickets if str(t["event_id"]) in started]
    outcome = {
        "status": "failed" if failed or not_written else "succeeded",
        "msg": _tickets_msg(tickets, failed, check_mode, _text(failure), again) + _ledger_msg(skipped, not_written),
        "script": script,
        "zabbix_version": zabbix.get("zabbix_version"),
        "tickets": tickets,
        "summary": {"total": len(tickets), "succeeded": len(tickets) - len(failed), "failed": len(failed)},
        "check_mode": check_mode,
    }
    if ledger is not None:
        outcome["skipped"] = [{"event_id": event_id, "reason": "already ticketed"} for event_id in skipped]
        outcome["not_run_again"] = again
    return outcome


class FilterModule(object):
    """The filters of the example roles."""

    def filters(self):
        return {
            "event_remediation_plan": event_remediation_plan,
            "event_remediation_outcome": event_remediation_outcome,
            "problem_ticket_diagnostics": problem_ticket_diagnostics,
            "problem_ticket_outcome": problem_ticket_outcome,
        }
