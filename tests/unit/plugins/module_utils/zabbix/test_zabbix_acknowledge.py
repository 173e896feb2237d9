# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The task of zabbix_event_acknowledge: options, the reading and judging of events, the one write, with a fake client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    ActingRequestRefused,
    InvalidParamsError,
    NotFoundError,
    OptionError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import JsonRpcError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import run_task
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.acknowledge_task import (
    ARGUMENT_SPEC,
    MESSAGE_LENGTH,
    ZabbixAcknowledgeTask,
    check_options,
    ledger_text,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import classify


def params_for(**overrides):
    """The options as AnsibleModule hands them over (every option present, defaults applied)."""
    params = dict((name, option.get("default")) for name, option in ARGUMENT_SPEC.items())
    params["eventids"] = ["1003"]
    params.update(overrides)
    return params


def problem(eventid, **fields):
    event = {"eventid": eventid, "name": "problem %s" % eventid, "value": "1", "acknowledged": "0", "severity": "3",
             "r_eventid": "0"}
    event.update(fields)
    return event


class FakeZabbix:
    """The client methods the task calls; records every call; refuses event.acknowledge when read-only."""

    version_text = "7.0.9"

    def __init__(self, events, read_only=False, refusal=None, not_writable=()):
        self.events = dict((e["eventid"], e) for e in events)
        self.not_writable = set(not_writable)
        self.read_only = read_only
        self.refusal = refusal
        self.calls = []
        self.closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.closed = True

    def detect_version(self):
        self.calls.append(("apiinfo.version", None))

    def login(self):
        self.calls.append(("login", None))

    def call(self, method, params):
        self.calls.append((method, params))
        if method == "event.get":
            hidden = self.not_writable if params.get("editable") else set()
            return [self.events[i] for i in params["eventids"] if i in self.events and i not in hidden]
        if self.read_only:
            raise ActingRequestRefused("refused in check mode")
        if self.refusal:
            error = JsonRpcError(method, self.refusal[0], "Invalid params.", self.refusal[1])
            error.kind = classify(error)
            raise error
        return {"eventids": [int(i) for i in params["eventids"]]}

    def sent(self):
        return [params for method, params in self.calls if method == "event.acknowledge"]

    def read(self):
        return [params for method, params in self.calls if method == "event.get"][0]


def run(client, check_mode=False, **overrides):
    return run_task(ZabbixAcknowledgeTask, check_options(params_for(**overrides)), client, check_mode)


# -- options ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("message, marker, text", [
    ("SuperOffice ticket 7", None, "SuperOffice ticket 7"),
    (None, "scriptbridge:1003", "scriptbridge:1003"),
    ("SuperOffice ticket 7", "scriptbridge:1003", "scriptbridge:1003 SuperOffice ticket 7"),
    ("ticket 7 (scriptbridge:1003)", "scriptbridge:1003", "ticket 7 (scriptbridge:1003)"),
    (None, None, None),
])
def test_the_marker_goes_in_front_of_the_message_once(message, marker, text):
    assert ledger_text(message, marker) == text


@pytest.mark.parametrize("overrides, action", [
    ({}, 2),
    ({"message": "m"}, 6),
    ({"once": "x"}, 6),
    ({"acknowledge": False, "message": "m"}, 4),
    ({"close": True}, 3),
    ({"severity": 0, "acknowledge": False}, 8),
    ({"severity": 5, "close": True, "message": "m"}, 15),
])
def test_the_action_mask_has_a_bit_for_each_option(overrides, action):
    assert check_options(params_for(**overrides))["action"] == action


@pytest.mark.parametrize("overrides, words", [
    ({"eventids": []}, "eventids is empty"),
    ({"eventids": ["1003", " "]}, "numeric"),
    ({"eventids": ["abc"]}, "'abc'"),
    ({"eventids": ["1003", "1004", "1003"]}, "1003 more than once"),
    ({"message": "  "}, "message is empty"),
    ({"once": ""}, "once is empty"),
    ({"severity": 6}, "severity must be 0 to 5"),
    ({"severity": -1}, "5 disaster"),
    ({"acknowledge": False}, "Nothing to write"),
    ({"message": "m" * (MESSAGE_LENGTH + 1)}, "2049 characters"),
    ({"message": "m" * (MESSAGE_LENGTH - 3), "once": "abcd"}, "with the once marker"),
])
def test_bad_options_are_refused_before_any_request(overrides, words):
    with pytest.raises(OptionError, match=words):
        check_options(params_for(**overrides))


def test_a_message_of_the_longest_length_passes_and_ids_are_trimmed():
    options = check_options(params_for(eventids=[" 1003 "], message="ä" * MESSAGE_LENGTH))
    assert options["eventids"] == ["1003"] and len(options["text"]) == MESSAGE_LENGTH


# -- reading and judging ---------------------------------------------------------------------------


def test_one_read_then_one_write_for_every_event_in_the_order_given():
    client = FakeZabbix([problem("1003"), problem("1004")])
    result = run(client, eventids=["1004", "1003"], message="hello")
    assert result == {"changed": True, "zabbix_version": "7.0.9", "events": [
        {"eventid": "1004", "changed": True, "skipped": None}, {"eventid": "1003", "changed": True, "skipped": None}]}
    assert [m for m, _p in client.calls] == ["apiinfo.version", "login", "event.get", "event.acknowledge"]
    assert client.sent() == [{"eventids": ["1004", "1003"], "action": 6, "message": "hello"}]
    # neither acknowledgements nor triggers are asked for when nothing needs them
    assert "select_acknowledges" not in client.read() and "selectRelatedObject" not in client.read()
    assert client.closed


def test_a_problem_that_carries_the_marker_is_left_alone():
    marked = problem("1003", acknowledges=[{"message": "hello"}, {"message": "scriptbridge:1003 SuperOffice ticket 7"}])
    client = FakeZabbix([marked, problem("1004", acknowledges=[{"message": "scriptbridge:10040"}])])
    result = run(client, eventids=["1003", "1004"], message="SuperOffice ticket 8", once="scriptbridge:1003")
    assert result["events"] == [
        {"eventid": "1003", "changed": False, "skipped": "already carries the marker scriptbridge:1003"},
        {"eventid": "1004", "changed": True, "skipped": None}]
    assert client.read()["select_acknowledges"] == ["message"]
    assert client.sent() == [{"eventids": ["1004"], "action": 6, "message": "scriptbridge:1003 SuperOffice ticket 8"}]


def test_nothing_is_sent_when_every_problem_carries_the_marker():
    client = FakeZabbix([problem("1003", acknowledges=[{"message": "scriptbridge:1003"}])])
    result = run(client, once="scriptbridge:1003")
    assert result["changed"] is False and client.sent() == []


@pytest.mark.parametrize("overrides, event, skipped", [
    ({}, {"acknowledged": "1"}, "already acknowledged"),
    ({"acknowledge": False, "close": True}, {"r_eventid": "1010"}, "already resolved"),
    ({"acknowledge": False, "severity": 3}, {}, "severity already average"),
    ({"severity": 3}, {"acknowledged": "1"}, "already acknowledged, severity already average"),
])
def test_a_problem_where_nothing_would_change_is_not_changed(overrides, event, skipped):
    client = FakeZabbix([problem("1003", **event)])
    result = run(client, **overrides)
    assert result["events"] == [{"eventid": "1003", "changed": False, "skipped": skipped}]
    assert result["changed"] is False and client.sent() == []


def test_a_message_always_changes_an_acknowledged_problem():
    client = FakeZabbix([problem("1003", acknowledged="1")])
    assert run(client, message="again")["changed"] is True


def test_an_unknown_event_fails_before_anything_is_written():
    client = FakeZabbix([problem("1003")])
    with pytest.raises(NotFoundError, match="No problem event with id 424242 exists or is visible"):
        run(client, eventids=["1003", "424242"])
    assert client.sent() == []


def test_a_recovery_event_is_refused_naming_it():
    client = FakeZabbix([problem("1003"), problem("1010", value="0")])
    with pytest.raises(InvalidParamsError, match="1010 .* is a recovery"):
        run(client, eventids=["1003", "1010"])
    assert client.sent() == []


def test_close_needs_a_trigger_that_allows_manual_close():
    client = FakeZabbix([problem("1003", relatedObject={"triggerid": "1", "manual_close": "0"})])
    with pytest.raises(InvalidParamsError, match="does not allow manual close"):
        run(client, close=True)
    assert client.read()["selectRelatedObject"] == ["triggerid", "manual_close"]
    assert client.sent() == []
    allowed = FakeZabbix([problem("1005", relatedObject={"manual_close": "1"})])
    assert run(allowed, eventids=["1005"], close=True, severity=4)["changed"] is True
    assert allowed.sent() == [{"eventids": ["1005"], "action": 11, "severity": 4}]


def test_a_marked_problem_is_not_judged_for_close():
    marked = problem("1003", acknowledges=[{"message": "m1"}], relatedObject={"manual_close": "0"})
    result = run(FakeZabbix([marked]), close=True, once="m1")
    assert result["events"][0]["skipped"] == "already carries the marker m1"


def test_check_mode_reads_and_predicts_and_sends_nothing():
    client = FakeZabbix([problem("1003"), problem("1004", acknowledged="1")], read_only=True)
    result = run(client, check_mode=True, eventids=["1003", "1004"])
    assert [e["changed"] for e in result["events"]] == [True, False] and result["changed"] is True
    assert client.sent() == []


@pytest.mark.parametrize("refusal, error, words", [
    ((-32602, 'Incorrect value for field "action": no permissions to acknowledge problems.'), NotFoundError,
     "role does not allow it to acknowledge problems"),
    ((-32602, 'Incorrect value for field "action": no permissions to close problems.'), NotFoundError,
     "User roles"),
    ((-32500, "No permissions to referred object or it does not exist!"), NotFoundError, "may not change it .closing a problem"),
    ((-32500, "Cannot close problem: trigger does not allow manual closing."), InvalidParamsError,
     "changed since it was read"),
    ((-32602, 'Invalid parameter "/message": value is too long.'), InvalidParamsError, "at most 2048"),
])
def test_refusals_of_the_server_say_what_to_do(refusal, error, words):
    client = FakeZabbix([problem("1003", relatedObject={"manual_close": "1"})], refusal=refusal)
    with pytest.raises(error, match=words) as raised:
        run(client, close=True)
    assert "Nothing was written" in raised.value.message and raised.value.data == refusal[1]


def test_another_refusal_keeps_the_server_text():
    client = FakeZabbix([problem("1003")], refusal=(-32602, "Something new."))
    with pytest.raises(JsonRpcError, match="Something new"):
        run(client)


def test_close_and_severity_need_write_access_which_is_checked_before_writing():
    client = FakeZabbix([problem("1003", relatedObject={"manual_close": "1"}), problem("1004")], not_writable=["1004"])
    with pytest.raises(NotFoundError, match="may see but not change event 1004: closing a problem .* read-write"):
        run(client, eventids=["1003", "1004"], severity=4)
    assert client.sent() == []
    assert [p.get("editable") for m, p in client.calls if m == "event.get"] == [None, True]


def test_acknowledging_and_messages_need_no_write_access():
    client = FakeZabbix([problem("1004")], not_writable=["1004"])
    assert run(client, eventids=["1004"], message="m")["changed"] is True
    assert [m for m, _p in client.calls].count("event.get") == 1
