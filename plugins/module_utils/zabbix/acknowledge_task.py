# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Writing into Zabbix problems: the task of ``zabbix_event_acknowledge``.

Every event is read first, in one ``event.get`` (with the acknowledgement
messages when a ``once`` marker is given, with the trigger's manual close flag
when closing): nothing is sent unless every event exists, is a problem event
and allows what is asked. A problem whose messages already hold the marker,
or where nothing would change, is left alone. Then one ``event.acknowledge``
carries the same action to every problem that needs it. ``predict()`` (check
mode) stops after reading.

``event.get`` takes ``select_acknowledges``: a real 6.0.14 ignores the
``selectAcknowledges`` spelling of ``problem.get`` there (7.0.9 takes both).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    InvalidParamsError,
    NotFoundError,
    OptionError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import JsonRpcError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import Task
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import NO_PERMISSIONS
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.connection import ZABBIX
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.options import check_listed

# The bits of event.acknowledge's action (the same from 5.0 to 7.4).
ACTION_CLOSE = 1
ACTION_ACKNOWLEDGE = 2
ACTION_MESSAGE = 4
ACTION_SEVERITY = 8
# acknowledges.message: 6.0.14 and 7.0.9 refuse a message of more characters.
MESSAGE_LENGTH = 2048
SEVERITY_NAMES = ("not classified", "information", "warning", "average", "high", "disaster")

ARGUMENT_SPEC = dict(
    eventids=dict(type="list", elements="str", required=True),
    message=dict(type="str"),
    acknowledge=dict(type="bool", default=True),
    close=dict(type="bool", default=False),
    severity=dict(type="int"),
    once=dict(type="str"),
)

# Texts of event.acknowledge refusals -> what the user can do about them.
_ROLE_REFUSAL = re.compile(r'field "action": no permissions to ([a-z ]+)\.')
_TOO_LONG = ("is too long for field \"message\"", 'Invalid parameter "/message": value is too long.')
_CANNOT_CLOSE = "Cannot close problem: trigger does not allow manual closing."
WRITE_HINT = ("closing a problem and changing its severity need read-write access to its hosts (the user group's "
              "host group permissions), where acknowledging and adding a message need only read access")


def ledger_text(message, marker):
    """The text written into each problem: the message, with the marker in front unless it holds it already."""
    if marker is None:
        return message
    if message is None or marker in message:
        return message if message is not None else marker
    return "%s %s" % (marker, message)


def check_options(params):
    """The task's options, checked before any request, with the text and the action mask to send."""
    options = dict((name, params.get(name)) for name in ARGUMENT_SPEC)
    options["eventids"] = check_listed("eventids", params["eventids"], "event", numeric=True)
    for name in ("message", "once"):
        if options[name] is not None and not options[name].strip():
            raise OptionError("%s is empty: give the text, or leave %s out." % (name, name))
    if options["once"] is not None:
        options["once"] = options["once"].strip()
    severity = options["severity"]
    if severity is not None and not 0 <= severity <= 5:
        raise OptionError("severity must be 0 to 5 (%s), not %s." % (
            ", ".join("%d %s" % item for item in enumerate(SEVERITY_NAMES)), severity))
    text = ledger_text(options["message"], options["once"])
    if text is not None and len(text) > MESSAGE_LENGTH:
        raise OptionError(
            "The text to write is %d characters long%s; Zabbix keeps at most %d characters per message. "
            "Shorten message." % (len(text), " with the once marker" if options["once"] else "", MESSAGE_LENGTH))
    action = ((ACTION_ACKNOWLEDGE if options["acknowledge"] else 0) | (ACTION_CLOSE if options["close"] else 0)
              | (ACTION_MESSAGE if text is not None else 0) | (ACTION_SEVERITY if severity is not None else 0))
    if not action:
        raise OptionError("Nothing to write: with acknowledge false, set message, once, close or severity.")
    options["text"], options["action"] = text, action
    return options


def _name(event):
    return "Event %s (%r)" % (event["eventid"], event.get("name") or "")


def _judge(event, options):
    """Why the problem is left alone (None: it changes), or raise when it cannot take what is asked."""
    if str(event.get("value")) != "1":
        raise InvalidParamsError(
            "%s is a recovery (OK) event, not a problem event: give the id of the problem event it resolved."
            % _name(event))
    marker = options["once"]
    if marker is not None and any(marker in (ack.get("message") or "") for ack in event.get("acknowledges") or []):
        return "already carries the marker %s" % marker
    resolved = str(event.get("r_eventid") or "0") != "0"
    if options["close"] and not resolved and str((event.get("relatedObject") or {}).get("manual_close")) != "1":
        raise InvalidParamsError(
            "%s cannot be closed: its trigger does not allow manual close. Tick \"Allow manual close\" on the "
            "trigger, or leave close false. Nothing was written." % _name(event))
    if options["text"] is not None:
        return None
    reasons = []
    if options["acknowledge"]:
        reasons.append("already acknowledged" if str(event.get("acknowledged")) == "1" else None)
    if options["close"]:
        reasons.append("already resolved" if resolved else None)
    if options["severity"] is not None:
        same = str(event.get("severity")) == str(options["severity"])
        reasons.append("severity already %s" % SEVERITY_NAMES[options["severity"]] if same else None)
    return None if None in reasons else ", ".join(reasons)


def _refusal(error, eventids):
    """An actionable error for what event.acknowledge refused; nothing was written."""
    text = "%s" % (error.data or error.rpc_message)
    role = _ROLE_REFUSAL.search(text)
    if role:
        return NotFoundError(
            "Zabbix refused: the user's role does not allow it to %s (Users > User roles > Access to actions). "
            "Nothing was written." % role.group(1), code=error.code, data=error.data)
    if _CANNOT_CLOSE in text:
        return InvalidParamsError(
            "Zabbix refused to close: the trigger of one of events %s does not allow manual close (it changed "
            "since it was read). Nothing was written." % ", ".join(eventids), code=error.code, data=error.data)
    if NO_PERMISSIONS in text:
        return NotFoundError(
            "Zabbix refused: one of events %s no longer exists or this user may not change it (%s). Nothing was "
            "written." % (", ".join(eventids), WRITE_HINT), code=error.code, data=error.data)
    if any(t in text for t in _TOO_LONG):
        return InvalidParamsError(
            "Zabbix refused the message as too long (at most %d characters). Nothing was written." % MESSAGE_LENGTH,
            code=error.code, data=error.data)
    return error


class ZabbixAcknowledgeTask(Task):
    """The task of ``zabbix_event_acknowledge``: one action written into one or more problems."""

    connection = ZABBIX
    argument_spec = ARGUMENT_SPEC

    check_options = staticmethod(check_options)

    def predict(self):
        events, reasons = self._prepare()
        return self._outcome(events, reasons)

    def execute(self):
        events, reasons = self._prepare()
        todo = [eventid for eventid in self.options["eventids"] if reasons[eventid] is None]
        if todo:
            params = {"eventids": todo, "action": self.options["action"]}
            if self.options["text"] is not None:
                params["message"] = self.options["text"]
            if self.options["severity"] is not None:
                params["severity"] = self.options["severity"]
            try:
                self.client.call("event.acknowledge", params)
            except JsonRpcError as exc:
                raise _refusal(exc, todo)
        return self._outcome(events, reasons)

    def _prepare(self):
        """The API version, the session, and every event read and judged: all before anything is written."""
        self.client.detect_version()
        self.client.login()
        events = self._read(self.options["eventids"])
        reasons = dict((eventid, _judge(events[eventid], self.options)) for eventid in self.options["eventids"])
        if self.options["close"] or self.options["severity"] is not None:
            self._check_writable([eventid for eventid in self.options["eventids"] if reasons[eventid] is None])
        return events, reasons

    def _check_writable(self, eventids):
        """Closing and changing the severity need read-write access to the hosts (6.0.14, 7.0.9); reading does not."""
        if not eventids:
            return
        found = self.client.call("event.get", {"output": ["eventid"], "eventids": eventids, "editable": True})
        writable = set(str(e["eventid"]) for e in found)
        refused = [eventid for eventid in eventids if eventid not in writable]
        if refused:
            raise NotFoundError(
                "This user may see but not change event %s: %s. Nothing was written." % (", ".join(refused), WRITE_HINT))

    def _read(self, eventids):
        params = {"output": ["eventid", "name", "value", "acknowledged", "severity", "r_eventid"],
                  "eventids": list(eventids)}
        if self.options["once"] is not None:
            params["select_acknowledges"] = ["message"]
        if self.options["close"]:
            params["selectRelatedObject"] = ["triggerid", "manual_close"]
        found = dict((str(e["eventid"]), e) for e in self.client.call("event.get", params))
        missing = [eventid for eventid in eventids if eventid not in found]
        if missing:
            raise NotFoundError(
                "No problem event with id %s exists or is visible to this user (it needs at least read access to "
                "the event's hosts). Nothing was written." % ", ".join(missing))
        return found

    def _outcome(self, events, reasons):
        entries = [{"eventid": eventid, "changed": reasons[eventid] is None, "skipped": reasons[eventid]}
                   for eventid in self.options["eventids"]]
        return {"changed": any(e["changed"] for e in entries), "events": entries,
                "zabbix_version": self.client.version_text}
