"""zabbix_event_acknowledge and the problem_ticket ledger against the real Zabbix 6.0.14 and 7.0.9.

What the server holds afterwards is read back through the API (``problem.get``
with ``selectAcknowledges``), not taken from the module's word. Besides the
session fixture (realzabbix.py), each version gets here: a trapper item on
host-001 whose trigger allows manual close, a user whose role may not act on
problems, and a user who sees no host; all are removed at the end.
"""

import json
import time

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.real_zabbix.realzabbix import (
    LINUX_SERVERS,
    OPERATOR,
    OPERATORS_GROUP,
    reload_config,
    send_trap,
)
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import PASSWORD, USERNAME, SuperOfficeSimulator

MODULE = "scriptbridge.core.zabbix_event_acknowledge"
CLOSABLE_KEY = "scriptbridge.closable"
CLOSABLE_TRIGGER = "host-001: closable problem"
NO_ACTIONS = {"username": "scriptbridge-no-actions", "password": "No-actions-6014"}
NO_HOSTS = {"username": "scriptbridge-no-hosts", "password": "No-hosts-6014"}
# Read-write on Linux servers: closing a problem and changing its severity need it; the operator reads only.
WRITER = {"username": "scriptbridge-writer", "password": "Writes-problems-6014"}
WRITERS_GROUP = "scriptbridge writers"
NO_ACTIONS_ROLE = "scriptbridge no problem actions"
NO_HOSTS_GROUP = "scriptbridge no hosts"


class Ledger:
    """The objects of this file on one real server, and reads of what a problem holds."""

    def __init__(self, fixture):
        self.fixture = fixture
        self.target = fixture.stack
        self.closable = None

    def call(self, method, params):
        return self.fixture.call(method, params)

    def ensure(self):
        self.remove()
        hostid = self.fixture.hostids["host-001"]
        self.call("item.create", {"hostid": hostid, "name": "scriptbridge closable", "key_": CLOSABLE_KEY,
                                  "type": 2, "value_type": 3})
        self.call("trigger.create", {"description": CLOSABLE_TRIGGER, "priority": 3, "manual_close": 1,
                                     "expression": "last(/host-001/%s)>0" % CLOSABLE_KEY})
        actions = ("acknowledge_problems", "close_problems", "change_severity", "add_problem_comments")
        roleid = self.call("role.create", {"name": NO_ACTIONS_ROLE, "type": 1, "rules": {"actions": [
            {"name": name, "status": 0} for name in actions]}})["roleids"][0]
        operators = self.call("usergroup.get", {"output": ["usrgrpid"], "filter": {"name": [OPERATORS_GROUP]}})
        nohosts = self.call("usergroup.create", {"name": NO_HOSTS_GROUP})["usrgrpids"][0]
        writers = self.call("usergroup.create", {"name": WRITERS_GROUP, "rights": [
            {"id": self.fixture.groupids[LINUX_SERVERS], "permission": 3}]})["usrgrpids"][0]
        for user, role, group in ((NO_ACTIONS, roleid, operators[0]["usrgrpid"]), (NO_HOSTS, "1", nohosts),
                                  (WRITER, "1", writers)):
            self.call("user.create", {"username": user["username"], "passwd": user["password"], "roleid": role,
                                      "usrgrps": [{"usrgrpid": group}]})
        reload_config(self.target)
        self.closable = self.raise_closable()
        return self

    def raise_closable(self, timeout=60):
        """A new open problem of the closable trigger (an open one recovers first); its event id."""
        before = set(e["eventid"] for e in self._closable_events())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for value in (0, 1):
                send_trap("host-001", CLOSABLE_KEY, value, self.target)
                time.sleep(1)
            fresh = [e for e in self._closable_events() if e["eventid"] not in before and e["r_eventid"] == "0"]
            if fresh:
                return fresh[0]["eventid"]
        raise AssertionError("no problem of %r within %d s" % (CLOSABLE_TRIGGER, timeout))

    def _closable_events(self):
        triggers = self.call("trigger.get", {"output": ["triggerid"], "filter": {"description": [CLOSABLE_TRIGGER]}})
        return self.call("event.get", {"output": ["eventid", "r_eventid"], "value": 1,
                                       "objectids": [t["triggerid"] for t in triggers]}) if triggers else []

    def messages(self, eventid):
        """What was written into the problem, oldest first: (action, message, username)."""
        found = self.call("event.get", {"output": ["eventid"], "eventids": [eventid],
                                        "select_acknowledges": ["acknowledgeid", "action", "message", "username"]})
        rows = sorted(found[0]["acknowledges"], key=lambda r: int(r["acknowledgeid"]))
        return [(r["action"], r["message"], r["username"]) for r in rows]

    def event(self, eventid):
        return self.call("event.get", {"output": ["eventid", "acknowledged", "severity", "r_eventid"],
                                       "eventids": [eventid]})[0]

    def remove(self):
        users = self.call("user.get", {"output": ["userid"], "filter": {
            "username": [NO_ACTIONS["username"], NO_HOSTS["username"], WRITER["username"]]}})
        if users:
            self.call("user.delete", [u["userid"] for u in users])
        for method, key, name, field in (("usergroup", "usrgrpid", NO_HOSTS_GROUP, "name"),
                                         ("usergroup", "usrgrpid", WRITERS_GROUP, "name"),
                                         ("role", "roleid", NO_ACTIONS_ROLE, "name"),
                                         ("item", "itemid", CLOSABLE_KEY, "key_")):
            found = self.call(method + ".get", {"output": [key], "filter": {field: [name]}})
            if found:
                self.call(method + ".delete", [f[key] for f in found])


@pytest.fixture(scope="module", params=["6.0", "7.0"])
def ledger(request, servers):
    found = Ledger(servers.fixture(request.param)).ensure()
    try:
        yield found
    finally:
        found.remove()


def marker(name):
    return "scriptbridge:real-%s-%d" % (name, int(time.time() * 1000))


def run(ledger, tasks, user=None, check=False):
    auth = dict(user or OPERATOR, url=ledger.fixture.api.url)
    return run_play([dict(task, **{MODULE: dict(auth, **task[MODULE])}) for task in tasks], check=check, verbosity=3)


def no_secret_in(output, ledger):
    for secret in (OPERATOR["password"], NO_ACTIONS["password"], WRITER["password"], ledger.fixture.token):
        assert secret not in output


def test_once_writes_one_message_and_a_second_run_writes_none(ledger):
    event = ledger.fixture.eventids[0]
    mark = marker("once")
    args = {"eventids": [event], "message": "SuperOffice ticket 4711", "once": mark}
    outcome = run(ledger, [{"name": "preview", MODULE: args, "check_mode": True}, {"name": "write", MODULE: args},
                           {"name": "again", MODULE: args}])
    assert outcome["preview"]["changed"] is True and outcome["write"]["changed"] is True, outcome.output
    assert outcome["again"]["changed"] is False
    assert outcome["again"]["events"] == [{"eventid": event, "changed": False,
                                           "skipped": "already carries the marker %s" % mark}]
    written = [m for m in ledger.messages(event) if mark in m[1]]
    assert [(a, text) for a, text, _u in written] in ([("6", "%s SuperOffice ticket 4711" % mark)],
                                                      [("4", "%s SuperOffice ticket 4711" % mark)])
    assert written[0][2] == OPERATOR["username"]
    assert ledger.event(event)["acknowledged"] == "1"
    no_secret_in(outcome.output, ledger)


def test_a_reader_may_acknowledge_but_not_close_nor_change_the_severity(ledger):
    event = ledger.closable
    before = ledger.messages(event)
    outcome = run(ledger, [
        {"name": "close", MODULE: {"eventids": [event], "close": True, "message": "closing"}},
        {"name": "severity", MODULE: {"eventids": [event], "severity": 1, "acknowledge": False}},
        {"name": "preview", MODULE: {"eventids": [event], "close": True}, "check_mode": True}])
    for name in ("close", "severity", "preview"):
        result = outcome[name]
        assert result["failed"] is True and result["error"]["kind"] == "not_found_or_forbidden", outcome.output
        assert "may see but not change event %s: closing a problem and changing its severity need read-write" \
            % event in result["msg"]
    assert ledger.messages(event) == before and ledger.event(event)["r_eventid"] == "0"


def test_close_where_the_trigger_allows_it_then_it_is_resolved(ledger):
    event = ledger.closable
    outcome = run(ledger, [
        {"name": "close", MODULE: {"eventids": [event], "close": True, "severity": 4, "message": "closed by a test"}}],
        user=WRITER)
    assert outcome["close"]["changed"] is True and not outcome["close"].get("failed"), outcome.output
    deadline = time.monotonic() + 30
    while ledger.event(event)["r_eventid"] == "0" and time.monotonic() < deadline:
        time.sleep(0.5)
    state = ledger.event(event)
    assert state["r_eventid"] != "0" and state["severity"] == "4"
    again = run(ledger, [{"name": "again", MODULE: {"eventids": [event], "close": True, "acknowledge": False}}],
                user=WRITER)
    assert again["again"]["events"][0]["skipped"] == "already resolved"
    recovery = run(ledger, [{"name": "recovery", MODULE: {"eventids": [state["r_eventid"]], "message": "x"}}])
    assert recovery["recovery"]["failed"] is True
    assert "%s (%r) is a recovery (OK) event" % (state["r_eventid"], CLOSABLE_TRIGGER) in recovery["recovery"]["msg"]


def test_close_refused_before_anything_is_written(ledger):
    event = ledger.fixture.eventids[1]
    before = ledger.messages(event)
    outcome = run(ledger, [{"name": "close", MODULE: {"eventids": [event], "close": True, "message": "closing"}},
                           {"name": "preview", MODULE: {"eventids": [event], "close": True}, "check_mode": True}])
    for name in ("close", "preview"):
        assert outcome[name]["failed"] is True and "does not allow manual close" in outcome[name]["msg"]
        assert outcome[name]["error"]["kind"] == "invalid_params"
    assert ledger.messages(event) == before


def test_a_role_without_problem_actions_is_named(ledger):
    # a new problem: not acknowledged yet, so that acknowledging it would change it
    event = ledger.raise_closable()
    before = ledger.messages(event)
    outcome = run(ledger, [{"name": "comment", MODULE: {"eventids": [event], "message": "x", "acknowledge": False}},
                           {"name": "acknowledge", MODULE: {"eventids": [event]}}], user=NO_ACTIONS)
    comment = outcome["comment"]
    assert comment["failed"] is True and comment["changed"] is False, outcome.output
    assert "role does not allow it to add problem comments" in comment["msg"] and "User roles" in comment["msg"]
    assert comment["error"]["data"] == 'Incorrect value for field "action": no permissions to add problem comments.'
    assert "role does not allow it to acknowledge problems" in outcome["acknowledge"]["msg"]
    assert ledger.messages(event) == before
    no_secret_in(outcome.output, ledger)


def test_a_user_who_sees_no_host_sees_no_event(ledger):
    event = ledger.fixture.eventids[0]
    outcome = run(ledger, [{"name": "acknowledge", MODULE: {"eventids": [event]}}], user=NO_HOSTS)
    result = outcome["acknowledge"]
    assert result["failed"] is True and result["error"]["kind"] == "not_found_or_forbidden"
    assert "No problem event with id %s exists or is visible to this user" % event in result["msg"]


def test_the_longest_message_passes_and_a_longer_one_is_refused_before_sending(ledger):
    event = ledger.fixture.eventids[1]
    mark = marker("long")
    longest = mark + " " + "ä" * (2048 - len(mark) - 1)
    outcome = run(ledger, [{"name": "longest", MODULE: {"eventids": [event], "message": longest, "acknowledge": False}},
                           {"name": "longer", MODULE: {"eventids": [event], "message": longest + "x", "acknowledge": False}}])
    assert outcome["longest"]["changed"] is True, outcome.output
    assert [m[1] for m in ledger.messages(event) if mark in m[1]] == [longest]
    assert outcome["longer"]["failed"] is True and "2049 characters" in outcome["longer"]["msg"]


def test_the_role_puts_the_ticket_into_the_problem_and_a_replay_opens_none(ledger):
    event = ledger.closable if ledger.event(ledger.closable)["r_eventid"] == "0" else ledger.raise_closable()
    with SuperOfficeSimulator() as superoffice:
        superoffice.add_script(50, "Zabbix problem ticket", '{"ticket_id": "T-${event_id}", "action": "created"}',
                               include_id="zabbix_problem_ticket")
        defaults = {"group/scriptbridge.core.zabbix": dict(OPERATOR, url=ledger.fixture.api.url),
                    "group/scriptbridge.core.superoffice": {"url": superoffice.url, "username": USERNAME,
                                                            "password": PASSWORD}}
        tasks = [{"name": "ticket", "ansible.builtin.include_role": {"name": "scriptbridge.core.problem_ticket"},
                  "vars": {"problem_ticket_event_ids": [event], "problem_ticket_zabbix_script": "Event echo",
                           "problem_ticket_crmscript_include_id": "zabbix_problem_ticket"}},
                 {"name": "outcome", "ansible.builtin.debug": {"var": "problem_ticket_result"}}]
        first = run_play(tasks, module_defaults=defaults)["outcome"]["problem_ticket_result"]
        replay = run_play(tasks, module_defaults=defaults)["outcome"]["problem_ticket_result"]
        tickets = [e["parameters"]["event_id"] for e in superoffice.stats()["executions"]]
    assert first["status"] == "succeeded", json.dumps(first)
    assert first["tickets"][0]["ticket_id"] == "T-%s" % event and first["tickets"][0]["acknowledged"] is True
    assert replay["tickets"] == [] and replay["skipped"] == [{"event_id": event, "reason": "already ticketed"}]
    assert tickets == [event]
    # what an operator sees in the problem view
    assert ("6", "scriptbridge:%s SuperOffice ticket T-%s" % (event, event), OPERATOR["username"]) in \
        ledger.messages(event)
