"""``event.acknowledge`` and the acknowledgements ``event.get`` selects, for the Zabbix simulator.

Kept beside ``zabbix_sim.py``, which routes the method here and lets
``event.get`` add what this module knows to each event it returns. What the
real servers answered (tests/real_zabbix/test_conformance.py compares them):

- 6.0.14 (and the simulator's 5.0 to 6.4): missing ``eventids`` or ``action`` is
  -32602 ``Incorrect arguments passed to function.``; unknown parameters are
  ignored; an id that is not a number is a permission error like an unknown one;
  a message longer than 2048 characters is -32500 ``Value "..." is too long for
  field "message" - N characters. Allowed length is 2048 characters.``; a message
  that is a number is taken; the bits 32 and up are ``unexpected value``; the
  severity bit without a severity is ``unexpected value ""``.
- 7.0.9 (and the simulator's 7.2, 7.4): parameters are validated as an object
  (``the parameter "eventids" is missing``, ``unexpected parameter "x"``,
  ``"/eventids/1": a number is expected``, ``"/message": value is too long``,
  ``"/message": a character string is expected``); 32 (suppress), 64
  (unsuppress) and 128 (change to cause) are taken, 256 (change to symptom)
  asks for ``cause_eventid``; the severity bit without a severity sets severity 0.
- Both: the result is ``{"eventids": [numbers]}``, each id once; an unknown,
  invisible or recovery event is -32500 ``No permissions to referred object or
  it does not exist!``; closing a problem whose trigger does not allow manual
  close is -32500 ``Cannot close problem: trigger does not allow manual
  closing.``; acknowledging and unacknowledging at once is ``value must be one
  of 2, 16.``; the message bit with an empty message is ``cannot be empty.``;
  action 0 is taken and writes nothing. A bit that changes nothing (acknowledge an
  acknowledged problem, the severity it has, close a resolved problem) is left
  out of the row written; a row is written when any bit is left.
- ``event.get`` selects the rows with ``select_acknowledges`` (every version;
  6.0.14 ignores ``selectAcknowledges``, 7.0.9 takes both), newest first, each
  with the user's ``username``, ``name`` and ``surname``; 6.0 rows carry
  ``eventid``, 7.0 rows ``suppress_until`` and ``taskid`` instead.
  ``selectRelatedObject`` gives the trigger with its ``manual_close``.

In the simulator only the trigger of fixture event 1005 allows manual close;
closing adds the recovery event at once (a real server within a second or two).
"""

import copy
import threading
import time

NO_PERMISSIONS = "No permissions to referred object or it does not exist!"
MESSAGE_LENGTH = 2048
CLOSE, ACKNOWLEDGE, MESSAGE, SEVERITY, UNACKNOWLEDGE = 1, 2, 4, 8, 16
SUPPRESS, UNSUPPRESS, TO_CAUSE, TO_SYMPTOM = 32, 64, 128, 256
# Triggers that allow manual close: the one of fixture event 1005.
MANUAL_CLOSE_TRIGGERS = frozenset(["23100"])


class AcknowledgeError(Exception):
    """A JSON-RPC error of event.acknowledge: code and data."""

    def __init__(self, code, data):
        super().__init__(data)
        self.code = code
        self.data = data


def _invalid(data):
    return AcknowledgeError(-32602, data)


def _field(field, reason):
    return _invalid(f'Incorrect value for field "{field}": {reason}.')


def _int_value(value):
    """An integer as PHP reads it from JSON (a number, or a numeric string), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _id_list(value):
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else [value]
    return items


class Acknowledgements:
    """The rows written by event.acknowledge, and what they changed, per event; thread-safe."""

    def __init__(self, number, events, users):
        self._number = number
        self._events = events          # the simulator's _EventLog
        self._users = users            # username -> user
        self._lock = threading.Lock()
        self._rows = {}                # eventid -> [row]
        self._state = {}               # eventid -> {"acknowledged": "1", "severity": "4"}
        self._next_id = 1

    def reset(self):
        with self._lock:
            self._rows.clear()
            self._state.clear()
            self._next_id = 1

    # -- event.acknowledge ----------------------------------------------------------------------

    def acknowledge(self, params, user):
        """Validate like the version does, apply, and answer ``{"eventids": [...]}``."""
        data = self._validated(params)
        eventids = []
        for item in _id_list(data["eventids"]):
            text = str(item) if not isinstance(item, bool) else ""
            if self._number >= (7, 0) and not text.isdigit():
                raise _invalid(f'Invalid parameter "/eventids/{len(eventids) + 1}": a number is expected.')
            if text not in eventids:
                eventids.append(text)
        events = [self._events.event(eventid) for eventid in eventids]
        if any(event is None or event["value"] != "1" for event in events):
            raise AcknowledgeError(-32500, NO_PERMISSIONS)
        action = data["action"]
        if action & CLOSE and any(event["objectid"] not in MANUAL_CLOSE_TRIGGERS for event in events):
            raise AcknowledgeError(-32500, "Cannot close problem: trigger does not allow manual closing.")
        for event in events:
            self._write(event, action, data, user)
        return {"eventids": [int(eventid) for eventid in eventids]}

    def _validated(self, params):
        new = self._number >= (7, 0)
        if not isinstance(params, dict) or "eventids" not in params or "action" not in params:
            if not new:
                raise _invalid("Incorrect arguments passed to function.")
            missing = "eventids" if not isinstance(params, dict) or "eventids" not in params else "action"
            raise _invalid(f'Invalid parameter "/": the parameter "{missing}" is missing.')
        known = ("eventids", "action", "message", "severity", "suppress_until", "cause_eventid")
        unknown = [key for key in params if key not in known]
        if new and unknown:
            raise _invalid(f'Invalid parameter "/": unexpected parameter "{unknown[0]}".')
        action = _int_value(params["action"])
        if action is None:
            raise _invalid('Invalid parameter "/action": an integer is expected.')
        if new and action & TO_SYMPTOM and "cause_eventid" not in params:
            raise _invalid('Invalid parameter "/": the parameter "cause_eventid" is missing.')
        allowed = CLOSE | ACKNOWLEDGE | MESSAGE | SEVERITY | UNACKNOWLEDGE
        if new:
            allowed |= SUPPRESS | UNSUPPRESS | TO_CAUSE | TO_SYMPTOM
        if action < 0 or action & ~allowed:
            raise _field("action", f'unexpected value "{action}"')
        if action & ACKNOWLEDGE and action & UNACKNOWLEDGE:
            raise _field("action", "value must be one of 2, 16")
        message = params.get("message")
        if new and message is not None and not isinstance(message, str):
            raise _invalid('Invalid parameter "/message": a character string is expected.')
        message = "" if message is None else str(message)
        if len(message) > MESSAGE_LENGTH:
            if new:
                raise _invalid('Invalid parameter "/message": value is too long.')
            raise AcknowledgeError(-32500, f'Value "{message}" is too long for field "message" - {len(message)} '
                                           f'characters. Allowed length is {MESSAGE_LENGTH} characters.')
        if action & MESSAGE and message == "":
            raise _field("message", "cannot be empty")
        severity = self._severity(params, action, new)
        return {"eventids": params["eventids"], "action": action, "message": message, "severity": severity}

    @staticmethod
    def _severity(params, action, new):
        if not action & SEVERITY:
            return None
        value = params.get("severity")
        if value is None and new:
            return 0
        number = _int_value(value)
        if number is None or not 0 <= number <= 5:
            raise _field("severity", f'unexpected value "{"" if value is None else value}"')
        return number

    def _write(self, event, action, data, user):
        """Apply one event's part: the bits that change something, in one row."""
        closes = False
        with self._lock:
            state = self._state.setdefault(event["eventid"], {})
            acknowledged = state.get("acknowledged", event["acknowledged"])
            severity = state.get("severity", event["severity"])
            effective = action & (MESSAGE | SUPPRESS | UNSUPPRESS | TO_CAUSE | TO_SYMPTOM)
            if action & ACKNOWLEDGE and acknowledged != "1":
                effective |= ACKNOWLEDGE
                state["acknowledged"] = "1"
            if action & UNACKNOWLEDGE and acknowledged == "1":
                effective |= UNACKNOWLEDGE
                state["acknowledged"] = "0"
            if action & SEVERITY and str(data["severity"]) != severity:
                effective |= SEVERITY
                state["severity"] = str(data["severity"])
            if action & CLOSE and event["r_eventid"] == "0":
                effective |= CLOSE
                closes = True
            if effective:
                self._rows.setdefault(event["eventid"], []).append({
                    "acknowledgeid": str(self._next_id), "userid": user["userid"], "eventid": event["eventid"],
                    "clock": str(int(time.time())), "message": data["message"] if effective & MESSAGE else "",
                    "action": str(effective),
                    "old_severity": severity if effective & SEVERITY else "0",
                    "new_severity": str(data["severity"]) if effective & SEVERITY else "0",
                    "_username": user["username"]})
                self._next_id += 1
        if closes:
            self._events.recover(event["eventid"])

    def written(self, eventid):
        """The rows written into one event, oldest first: action, message, severities, user."""
        with self._lock:
            return [dict((key.lstrip("_"), value) for key, value in row.items())
                    for row in self._rows.get(str(eventid), [])]

    # -- what event.get adds ----------------------------------------------------------------------

    def add_to(self, row, params):
        """The event's changed state, and its acknowledgements and trigger when ``params`` select them."""
        with self._lock:
            row.update(self._state.get(row["eventid"], {}))
            rows = copy.deepcopy(self._rows.get(row["eventid"], []))
        select = params.get("select_acknowledges")
        if select is None and self._number >= (7, 0):
            select = params.get("selectAcknowledges")
        if select is not None:
            row["acknowledges"] = self._selected(rows, select)
        related = params.get("selectRelatedObject")
        if related is not None:
            trigger = {"triggerid": row["objectid"], "description": row.get("name", ""),
                       "priority": row.get("severity", "0"),
                       "manual_close": "1" if row["objectid"] in MANUAL_CLOSE_TRIGGERS else "0"}
            if isinstance(related, list):
                # the trigger's id comes along whatever the output asks for
                trigger = dict((key, value) for key, value in trigger.items() if key in related or key == "triggerid")
            row["relatedObject"] = trigger

    def _selected(self, rows, select):
        if select == "count":
            return str(len(rows))
        shown = []
        for found in sorted(rows, key=lambda r: (-int(r["clock"]), int(r["acknowledgeid"]))):
            user = self._users.get(found["_username"], {})
            full = dict((key, value) for key, value in found.items() if not key.startswith("_"))
            if self._number >= (7, 0):
                del full["eventid"]
                full.update(suppress_until="0", taskid="0")
            full.update(username=found["_username"], name=user.get("name", ""), surname=user.get("surname", ""))
            if isinstance(select, list):
                full = dict((key, value) for key, value in full.items() if key in select)
            shown.append(full)
        return shown
