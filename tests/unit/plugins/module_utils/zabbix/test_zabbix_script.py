# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The task of zabbix_script_execute: option and script checks, fan-out, results, with a fake Zabbix client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading
import time

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    InvalidParamsError,
    NotFoundError,
    OptionError,
    RequestTimeoutError,
    UnreachableError,
    UnsupportedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import JsonRpcError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import run_task
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import (
    ApiRules,
    ZabbixClient,
    classify,
    parse_version,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.script_task import (
    ARGUMENT_SPEC,
    ZabbixScriptTask,
    check_options,
    check_script,
    describe_script,
    ordered_map,
    read_targets,
    validate_manualinput,
    value_fields,
)

TOKEN = "0123456789abcdef" * 4
RESULT_KEYS = {"host_id", "host", "event_id", "response", "value", "debug", "failed"}


def params_for(**overrides):
    """The task's options as AnsibleModule hands them over (every option present, defaults applied)."""
    params = dict((name, option.get("default")) for name, option in ARGUMENT_SPEC.items())
    params["script"] = "Ping"
    params.update(overrides)
    return params


def rpc_error(method, code, message, data=None):
    error = JsonRpcError(method, code, message, data)
    error.kind = classify(error)
    return error


# -- options -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("option, value, expected", [
    ("host_id", "10084", ("host", "id", ["10084"])),
    ("host", "web-01", ("host", "name", ["web-01"])),
    ("host_ids", ["10501", " 10502 "], ("host", "id", ["10501", "10502"])),
    ("hosts", ["web-02", "web-01"], ("host", "name", ["web-02", "web-01"])),
    ("event_id", "8812", ("event", "id", ["8812"])),
    ("event_ids", ["8812", "8813"], ("event", "id", ["8812", "8813"])),
])
def test_read_targets_of_each_option(option, value, expected):
    assert read_targets(params_for(**{option: value})) == expected


@pytest.mark.parametrize("option, value, words", [
    ("hosts", [], "empty list"),
    ("host_ids", [], "empty list"),
    ("event_ids", [], "empty list"),
    ("host", "", "empty value"),
    ("host", "   ", "empty value"),
    ("hosts", ["web-01", ""], "empty value"),
    ("hosts", ["web-01", "web-02", "web-01"], "more than once"),
    ("host_ids", ["10501", "10501"], "more than once"),
    ("host_ids", ["10501", " 10501"], "more than once"),
    ("host_id", "web-01", "numeric"),
    ("host_ids", ["10501", "1e3"], "numeric"),
    ("event_id", "-5", "numeric"),
    ("event_ids", ["8812", "abc"], "numeric"),
])
def test_read_targets_refuses(option, value, words):
    with pytest.raises(OptionError) as caught:
        read_targets(params_for(**{option: value}))
    assert words in caught.value.message
    assert option in caught.value.message


def test_read_targets_names_the_duplicate():
    with pytest.raises(OptionError) as caught:
        read_targets(params_for(hosts=["a-host", "b-host", "a-host"]))
    assert "a-host" in caught.value.message
    assert "b-host" not in caught.value.message


@pytest.mark.parametrize("concurrency", [0, -3])
def test_concurrency_below_one_is_refused(concurrency):
    with pytest.raises(OptionError) as caught:
        check_options(params_for(host="web-01", concurrency=concurrency))
    assert "concurrency" in caught.value.message


@pytest.mark.parametrize("overrides, words", [
    (dict(script=None, script_id="abc"), "script_id"),
    (dict(script="  "), "script is empty"),
])
def test_check_options_refuses(overrides, words):
    with pytest.raises(OptionError) as caught:
        check_options(params_for(host="web-01", **overrides))
    assert words in caught.value.message


def test_check_options_returns_the_options_and_the_targets():
    options = check_options(params_for(script=None, script_id="12", hosts=["a", "b"], concurrency=1))
    assert (options["kind"], options["by"], options["values"]) == ("host", "name", ["a", "b"])
    assert options["script_id"] == "12" and options["concurrency"] == 1 and options["fail_on_error"] is True
    assert ZabbixScriptTask.client_settings(options) == {"pool_size": 1}


# -- script checks ---------------------------------------------------------------------------------------------------


def script(**fields):
    base = {"scriptid": "5", "name": "Ping", "type": "0", "scope": "2", "execute_on": "2", "menu_path": "",
            "manualinput": "0"}
    base.update(fields)
    return base


RULES_7_0 = ApiRules((7, 0, 5))
RULES_6_4 = ApiRules((6, 4, 9))


def test_url_script_is_refused():
    with pytest.raises(UnsupportedError) as caught:
        check_script(script(type="6"), "host", None, RULES_7_0)
    assert "URL script" in caught.value.message


def test_action_scope_is_refused():
    with pytest.raises(UnsupportedError) as caught:
        check_script(script(scope="1"), "host", None, RULES_7_0)
    assert "action operation" in caught.value.message


def test_host_script_on_events_is_refused():
    with pytest.raises(InvalidParamsError) as caught:
        check_script(script(scope="2"), "event", None, RULES_7_0)
    message = caught.value.message
    assert "manual host action" in message
    assert "host option" in message


def test_event_script_on_hosts_is_refused():
    with pytest.raises(InvalidParamsError) as caught:
        check_script(script(scope="4"), "host", None, RULES_7_0)
    message = caught.value.message
    assert "manual event action" in message
    assert "event_id or event_ids" in message


@pytest.mark.parametrize("scope, kind", [("2", "host"), (4, "event")])
def test_matching_scope_passes(scope, kind):
    assert check_script(script(scope=scope), kind, None, RULES_7_0) is None


def test_manualinput_is_required_when_the_script_asks():
    with pytest.raises(InvalidParamsError) as caught:
        check_script(script(manualinput="1", manualinput_prompt="How many?"), "host", None, RULES_7_0)
    assert "manualinput" in caught.value.message
    assert "How many?" in caught.value.message
    assert check_script(script(manualinput="1"), "host", "3", RULES_7_0) is None


def test_manualinput_flag_means_nothing_before_7_0():
    assert check_script(script(manualinput="1"), "host", None, RULES_6_4) is None


@pytest.mark.parametrize("validator, value, passes", [
    ("^[0-9]+$", "42", True),
    ("^[0-9]+$", "42a", False),
    ("[a-z]", "123x456", True),
    ("(", "anything", True),
    ("[unclosed", "x", True),
])
def test_validate_manualinput_regular_expression(validator, value, passes):
    problem = validate_manualinput(script(manualinput="1", manualinput_validator_type="0",
                                          manualinput_validator=validator), value)
    if passes:
        assert problem is None
    else:
        assert value in problem and validator in problem


@pytest.mark.parametrize("value, passes", [("start", True), ("stop", True), ("restart", True), ("reload", False),
                                           ("start,stop", False), ("", False)])
def test_validate_manualinput_list(value, passes):
    problem = validate_manualinput(script(manualinput="1", manualinput_validator_type="1",
                                          manualinput_validator="start,stop, restart"), value)
    if passes:
        assert problem is None
    else:
        assert "start, stop, restart" in problem


def test_validate_manualinput_ignores_scripts_without_input():
    assert validate_manualinput(script(manualinput="0", manualinput_validator="^x$"), "y") is None
    assert validate_manualinput(script(manualinput="1", manualinput_validator="^x$"), None) is None


def test_describe_script_has_numbers_as_numbers():
    assert describe_script(script(scriptid="5", type="5", scope="4", execute_on="1", menu_path="Tools")) == {
        "scriptid": "5", "name": "Ping", "type": 5, "scope": 4, "execute_on": 1, "menu_path": "Tools"}
    assert describe_script({"scriptid": "6", "name": "x"})["menu_path"] == ""


# -- values --------------------------------------------------------------------------------------------------------


def test_value_fields_json_value():
    fields = value_fields({"response": "success", "value": '{"disk": 91, "ok": false}', "debug": []})
    assert fields == {"response": "success", "value": '{"disk": 91, "ok": false}', "value_json": {"disk": 91, "ok": False},
                      "debug": {}}


@pytest.mark.parametrize("value", ["PING 127.0.0.1: 56 data bytes", "", "{broken", None])
def test_value_fields_without_json(value):
    fields = value_fields({"response": "success", "value": value, "debug": []})
    assert "value_json" not in fields
    assert fields["value"] == value


@pytest.mark.parametrize("value, parsed", [("42", 42), ("[1, 2]", [1, 2]), ("null", None), ('"text"', "text")])
def test_value_fields_any_json_value(value, parsed):
    fields = value_fields({"response": "success", "value": value})
    assert fields["value_json"] == parsed


def test_value_fields_debug():
    logs = {"logs": [{"level": 4, "ms": 0, "message": "[Webhook] hello"}], "ms": 3}
    assert value_fields({"response": "success", "value": "x", "debug": logs})["debug"] == logs
    assert value_fields({"response": "success", "value": "x", "debug": []})["debug"] == {}
    assert value_fields({"response": "success", "value": "x"})["debug"] == {}


# -- ordered fan-out -------------------------------------------------------------------------------------------------


class InFlight:
    """Counts calls running at the same time."""

    def __init__(self):
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *exc):
        with self._lock:
            self.now -= 1


@pytest.mark.parametrize("concurrency, items", [(3, 10), (4, 4), (8, 3)])
def test_ordered_map_keeps_order_and_limits_concurrency(concurrency, items):
    meter = InFlight()
    together = min(concurrency, items)
    # The first items pass only once as many run at the same time as may, so the
    # limit is reached however slowly the threads start on a loaded machine.
    all_running = threading.Barrier(together)

    def work(item):
        with meter:
            if item < together:
                all_running.wait(timeout=60)
            # Earlier items take longer, so they finish last.
            time.sleep(0.005 * (items - item))
            return item * 10

    assert ordered_map(work, list(range(items)), concurrency) == [i * 10 for i in range(items)]
    assert meter.most == together


@pytest.mark.parametrize("concurrency, items", [(1, 5), (4, 1), (4, 0)])
def test_ordered_map_runs_in_the_calling_thread_when_nothing_runs_together(concurrency, items):
    threads = set()

    def work(item):
        threads.add(threading.current_thread())
        return -item

    assert ordered_map(work, list(range(items)), concurrency) == [-i for i in range(items)]
    assert threads <= {threading.current_thread()}


# -- the task with a fake Zabbix client -----------------------------------------------------------------------------


class FakeZabbix:
    """A Zabbix server as the fake client sees it, and the factory of fake clients."""

    def __init__(self):
        self.version = "7.0.5"
        self.uses_token = True
        self.script = script()
        self.script_error = None
        self.version_error = None
        self.hosts = {"web-01": "10501", "web-02": "10502", "web-03": "10503", "db-01": "10601"}
        self.events = {"8812": ("10501", "web-01"), "8813": ("10502", "web-02")}
        self.runs_on = None  # None: every host
        self.outcomes = {}  # host id or event id -> result dict, exception, or callable
        self.delay = {}
        self.clients = []
        self.log = []
        self.meter = InFlight()
        self._lock = threading.Lock()

    def __call__(self, pool_size=4):
        client = FakeClient(self, pool_size)
        self.clients.append(client)
        return client

    def record(self, *entry):
        with self._lock:
            self.log.append(entry)

    def calls(self, name):
        return [e for e in self.log if e[0] == name]


class FakeClient:
    # The version rules of the real client apply to the fake too.
    require = ZabbixClient.require
    refuse_broken_token_execute = ZabbixClient.refuse_broken_token_execute

    def __init__(self, world, pool_size):
        self.world = world
        self.pool_size = pool_size
        self.rules = None
        self.version_text = None

    @property
    def uses_token(self):
        return self.world.uses_token

    def detect_version(self):
        self.world.record("detect_version")
        if self.world.version_error:
            raise self.world.version_error
        self.version_text = self.world.version
        self.rules = ApiRules(parse_version(self.version_text))
        return self.rules

    def login(self):
        self.world.record("login")

    def close(self):
        self.world.record("close")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def script(self, script_id=None, name=None, menu_path=None):
        self.world.record("script", script_id, name, menu_path)
        if self.world.script_error:
            raise self.world.script_error
        return self.world.script

    def hosts_by_name(self, names):
        self.world.record("hosts_by_name", list(names))
        missing = [n for n in names if n not in self.world.hosts]
        if missing:
            raise NotFoundError("No host with the technical name %s" % ", ".join(missing))
        return [{"hostid": self.world.hosts[n], "host": n, "name": n.upper()} for n in names]

    def hosts_by_id(self, hostids):
        self.world.record("hosts_by_id", list(hostids))
        by_id = dict((v, k) for k, v in self.world.hosts.items())
        return [{"hostid": h, "host": by_id[h], "name": by_id[h].upper()} for h in hostids]

    def events_by_id(self, eventids):
        self.world.record("events_by_id", list(eventids))
        return [{"eventid": e, "hosts": [{"hostid": self.world.events[e][0], "host": self.world.events[e][1]}]}
                for e in eventids]

    def hosts_script_runs_on(self, script, hostids):
        self.world.record("hosts_script_runs_on", script["scriptid"], list(hostids))
        return set(h for h in hostids if self.world.runs_on is None or h in self.world.runs_on)

    def execute(self, scriptid, hostid=None, eventid=None, manualinput=None):
        world = self.world
        world.record("execute", scriptid, hostid, eventid, manualinput)
        key = eventid or hostid
        with world.meter:
            time.sleep(world.delay.get(key, 0))
            outcome = world.outcomes.get(key, {"response": "success", "value": "ok from %s" % key, "debug": []})
            if isinstance(outcome, Exception):
                raise outcome
            return outcome(hostid, eventid) if callable(outcome) else outcome


@pytest.fixture
def zabbix():
    return FakeZabbix()


def perform(zabbix, check_mode=False, **overrides):
    """What the base module does with the task: options checked, a client with the task's settings, one run."""
    options = ZabbixScriptTask.check_options(params_for(**overrides))
    return run_task(ZabbixScriptTask, options, zabbix(**ZabbixScriptTask.client_settings(options)), check_mode)


def run(zabbix, check_mode=False, **overrides):
    outcome = perform(zabbix, check_mode, **overrides)
    assert zabbix.calls("close") == [("close",)]
    return outcome


def test_one_host_end_to_end(zabbix):
    zabbix.outcomes["10501"] = {"response": "success", "value": '{"load": 0.5}', "debug": []}
    outcome = run(zabbix, host="web-01", script="Ping", menu_path="Tools")
    assert outcome == {
        "changed": True,
        "results": [{"host_id": "10501", "host": "web-01", "event_id": None, "response": "success",
                     "value": '{"load": 0.5}', "value_json": {"load": 0.5}, "debug": {}, "failed": False}],
        "summary": {"total": 1, "succeeded": 1, "failed": 0},
        "script": {"scriptid": "5", "name": "Ping", "type": 0, "scope": 2, "execute_on": 2, "menu_path": ""},
        "zabbix_version": "7.0.5",
        "response": "success",
        "value": '{"load": 0.5}',
        "value_json": {"load": 0.5},
        "debug": {},
    }
    assert zabbix.calls("script") == [("script", None, "Ping", "Tools")]
    assert zabbix.calls("hosts_by_name") == [("hosts_by_name", ["web-01"])]
    assert zabbix.calls("execute") == [("execute", "5", "10501", None, None)]
    names = [e[0] for e in zabbix.log]
    assert names == ["detect_version", "login", "script", "hosts_by_name", "execute", "close"]


def test_client_gets_a_pool_as_large_as_the_concurrency(zabbix):
    perform(zabbix, host="web-01", concurrency=7)
    assert zabbix.clients[0].pool_size == 7


def test_one_target_with_plain_text_has_no_value_json(zabbix):
    zabbix.outcomes["10501"] = {"response": "success", "value": "PING ok", "debug": []}
    outcome = run(zabbix, host_id="10501")
    assert outcome["value"] == "PING ok"
    assert "value_json" not in outcome
    assert "value_json" not in outcome["results"][0]


def test_several_hosts_in_the_given_order_with_documented_keys_only(zabbix):
    zabbix.delay = {"10503": 0.1, "10501": 0.05}
    outcome = run(zabbix, hosts=["web-03", "web-01", "db-01", "web-02"], concurrency=4)
    assert [r["host"] for r in outcome["results"]] == ["web-03", "web-01", "db-01", "web-02"]
    assert [r["value"] for r in outcome["results"]] == ["ok from 10503", "ok from 10501", "ok from 10601",
                                                        "ok from 10502"]
    for entry in outcome["results"]:
        assert set(entry) == RESULT_KEYS
    assert outcome["summary"] == {"total": 4, "succeeded": 4, "failed": 0}
    assert outcome["changed"] is True
    for key in ("response", "value", "value_json", "debug"):
        assert key not in outcome
    # One bulk lookup for all names.
    assert zabbix.calls("hosts_by_name") == [("hosts_by_name", ["web-03", "web-01", "db-01", "web-02"])]


def test_fan_out_respects_the_concurrency(zabbix):
    zabbix.delay = dict((h, 0.03) for h in ("10501", "10502", "10503", "10601"))
    run(zabbix, hosts=["web-01", "web-02", "web-03", "db-01"], concurrency=2)
    assert zabbix.meter.most == 2
    assert len(zabbix.calls("execute")) == 4


def test_each_target_runs_exactly_once(zabbix):
    zabbix.outcomes["10502"] = RequestTimeoutError("No answer", may_have_run=True)
    run(zabbix, host_ids=["10501", "10502", "10503"], fail_on_error=False)
    assert sorted(e[2] for e in zabbix.calls("execute")) == ["10501", "10502", "10503"]


def test_event_targets(zabbix):
    zabbix.script = script(scope="4")
    outcome = run(zabbix, event_ids=["8813", "8812"], script=None, script_id="5")
    assert zabbix.calls("script") == [("script", "5", None, None)]
    assert sorted(zabbix.calls("execute")) == [("execute", "5", None, "8812", None), ("execute", "5", None, "8813", None)]
    assert [(r["event_id"], r["host_id"], r["host"]) for r in outcome["results"]] == [
        ("8813", "10502", "web-02"), ("8812", "10501", "web-01")]
    assert outcome["summary"] == {"total": 2, "succeeded": 2, "failed": 0}


def test_manualinput_is_passed_to_every_target(zabbix):
    zabbix.script = script(manualinput="1", manualinput_validator="^[0-9]+$", manualinput_validator_type="0")
    run(zabbix, hosts=["web-01", "web-02"], manualinput="15")
    assert sorted(zabbix.calls("execute")) == [("execute", "5", "10501", None, "15"), ("execute", "5", "10502", None, "15")]


@pytest.mark.parametrize("version, overrides, words", [
    ("6.4.9", dict(host="web-01", manualinput="x"), "manualinput needs Zabbix 7.0"),
    ("5.0.30", dict(event_id="8812"), "events needs Zabbix 5.4"),
    ("6.0.14", dict(host="web-01"), "API token"),
])
def test_version_limits_fail_before_anything_runs(zabbix, version, overrides, words):
    zabbix.version = version
    with pytest.raises(UnsupportedError) as caught:
        perform(zabbix, **overrides)
    assert words in caught.value.message
    assert zabbix.calls("login") == []
    assert zabbix.calls("execute") == []
    assert zabbix.calls("close") == [("close",)]


def test_session_login_works_on_6_0(zabbix):
    zabbix.version = "6.0.14"
    zabbix.uses_token = False
    outcome = run(zabbix, host="web-01")
    assert outcome["changed"] is True
    assert zabbix.calls("login") == [("login",)]


@pytest.mark.parametrize("bad_script, error", [
    (script(type="6"), UnsupportedError),
    (script(scope="1"), UnsupportedError),
    (script(scope="4"), InvalidParamsError),
    (script(manualinput="1"), InvalidParamsError),
])
def test_script_checks_fail_before_anything_runs(zabbix, bad_script, error):
    zabbix.script = bad_script
    for check_mode in (False, True):
        with pytest.raises(error):
            perform(zabbix, check_mode, hosts=["web-01", "web-02"])
    assert zabbix.calls("execute") == []
    assert len(zabbix.calls("close")) == 2


# -- check mode ----------------------------------------------------------------------------------------------------


def test_check_mode_never_executes(zabbix):
    outcome = run(zabbix, check_mode=True, hosts=["web-01", "web-02"])
    assert zabbix.calls("execute") == []
    assert outcome["changed"] is True
    assert outcome["results"] == [
        {"host_id": "10501", "host": "web-01", "event_id": None, "would_execute": True, "failed": False},
        {"host_id": "10502", "host": "web-02", "event_id": None, "would_execute": True, "failed": False},
    ]
    assert outcome["summary"] == {"total": 2, "succeeded": 2, "failed": 0}
    # one bulk question for all hosts
    assert zabbix.calls("hosts_script_runs_on") == [("hosts_script_runs_on", "5", ["10501", "10502"])]
    assert "failed" not in outcome


def test_check_mode_one_target_has_no_value_keys(zabbix):
    outcome = run(zabbix, check_mode=True, host="web-01")
    for key in ("response", "value", "value_json", "debug"):
        assert key not in outcome
    assert outcome["results"][0]["would_execute"] is True


def test_check_mode_reports_hosts_the_script_is_not_offered_on(zabbix):
    zabbix.runs_on = {"10501", "10503"}
    outcome = run(zabbix, check_mode=True, hosts=["web-01", "web-02", "web-03"], fail_on_error=False)
    assert zabbix.calls("execute") == []
    assert [r["would_execute"] for r in outcome["results"]] == [True, False, True]
    refused = outcome["results"][1]
    assert refused["failed"] is True
    assert refused["error"]["kind"] == "not_found_or_forbidden"
    assert "web-02" in refused["error"]["message"]
    assert "error" not in outcome["results"][0]
    assert outcome["summary"] == {"total": 3, "succeeded": 2, "failed": 1}
    assert outcome["changed"] is True
    assert "failed" not in outcome


def test_check_mode_fails_the_task_for_what_would_fail(zabbix):
    zabbix.runs_on = {"10501"}
    outcome = run(zabbix, check_mode=True, hosts=["web-01", "web-02"])
    assert outcome["failed"] is True
    assert "would fail on 1 of 2 targets" in outcome["msg"]
    assert "web-02" in outcome["msg"]
    assert zabbix.calls("execute") == []


def test_check_mode_validates_manualinput(zabbix):
    zabbix.script = script(manualinput="1", manualinput_validator="^[0-9]+$", manualinput_validator_type="0")
    outcome = run(zabbix, check_mode=True, hosts=["web-01", "web-02"], manualinput="ten", fail_on_error=False)
    assert [r["would_execute"] for r in outcome["results"]] == [False, False]
    assert all(r["error"]["kind"] == "invalid_params" for r in outcome["results"])
    assert "ten" in outcome["results"][0]["error"]["message"]
    assert outcome["changed"] is False
    assert zabbix.calls("execute") == []


def test_check_mode_of_event_targets(zabbix):
    zabbix.script = script(scope="4")
    outcome = run(zabbix, check_mode=True, event_id="8812")
    assert outcome["results"] == [{"host_id": "10501", "host": "web-01", "event_id": "8812", "would_execute": True,
                                   "failed": False}]
    assert zabbix.calls("execute") == []


# -- failures and changed ------------------------------------------------------------------------------------------


def test_failures_fail_the_task_and_are_listed(zabbix):
    zabbix.outcomes["10502"] = rpc_error("script.execute", -32500, "Application error.", "cannot execute script: boom")
    zabbix.outcomes["10601"] = rpc_error("script.execute", -32500, "Application error.",
                                         "No permissions to referred object or it does not exist!")
    outcome = run(zabbix, hosts=["web-01", "web-02", "db-01"])
    assert outcome["failed"] is True
    message = outcome["msg"]
    assert "failed on 2 of 3 targets" in message
    assert "web-02: script.execute failed: Application error. cannot execute script: boom" in message
    assert "db-01: script.execute failed: Application error. No permissions" in message
    assert "web-01" not in message
    assert "fail_on_error" in message
    assert outcome["summary"] == {"total": 3, "succeeded": 1, "failed": 2}
    assert outcome["changed"] is True
    failed = outcome["results"][1]
    assert set(failed) == RESULT_KEYS | {"error"}
    assert failed["failed"] is True
    assert (failed["response"], failed["value"], failed["debug"]) == (None, None, {})
    assert failed["error"] == {"code": -32500, "message": "script.execute failed: Application error. cannot execute script: boom",
                               "data": "cannot execute script: boom", "kind": "script_failed"}
    assert outcome["results"][2]["error"]["kind"] == "not_found_or_forbidden"


def test_failure_message_shows_the_first_five(zabbix):
    zabbix.hosts = dict(("h%02d" % n, str(20000 + n)) for n in range(8))
    for n in range(8):
        zabbix.outcomes[str(20000 + n)] = rpc_error("script.execute", -32500, "Application error.", "exit %d" % n)
    outcome = run(zabbix, hosts=["h%02d" % n for n in range(8)], concurrency=8)
    assert "failed on 8 of 8 targets" in outcome["msg"]
    assert "h04: " in outcome["msg"]
    assert "h05: " not in outcome["msg"]
    assert "and 3 more (see results)" in outcome["msg"]


def test_fail_on_error_false_reports_without_failing(zabbix):
    zabbix.outcomes["10501"] = rpc_error("script.execute", -32500, "Application error.", "exit 1")
    outcome = run(zabbix, host="web-01", fail_on_error=False)
    assert "failed" not in outcome
    assert "msg" not in outcome
    assert outcome["results"][0]["failed"] is True
    assert outcome["summary"] == {"total": 1, "succeeded": 0, "failed": 1}
    assert outcome["response"] is None
    assert "value_json" not in outcome


@pytest.mark.parametrize("error, changed", [
    (rpc_error("script.execute", -32500, "Application error.", "No permissions to referred object or it does not exist!"),
     False),
    (UnreachableError("Cannot connect"), False),
    (rpc_error("script.execute", -32602, "Invalid params.", "Not authorized."), False),
    (rpc_error("script.execute", -32500, "Application error.", "cannot execute script: boom"), True),
    (RequestTimeoutError("No answer", may_have_run=True), True),
    (UnreachableError("The connection broke after the request was sent", may_have_run=True), True),
])
def test_changed_follows_what_may_have_run(zabbix, error, changed):
    zabbix.outcomes["10501"] = error
    zabbix.outcomes["10502"] = error
    outcome = run(zabbix, hosts=["web-01", "web-02"], fail_on_error=False)
    assert outcome["changed"] is changed
    assert [r["failed"] for r in outcome["results"]] == [True, True]
    for entry in outcome["results"]:
        assert set(entry) == RESULT_KEYS | {"error"}


def test_refused_user_input_did_not_run(zabbix):
    zabbix.script = script(manualinput="1", manualinput_validator="^[0-9]+$", manualinput_validator_type="0")
    zabbix.outcomes["10501"] = rpc_error("script.execute", -32500, "Application error.",
                                         "Provided script user input failed validation.")
    outcome = run(zabbix, host="web-01", manualinput="7", fail_on_error=False)
    assert outcome["results"][0]["error"]["kind"] == "invalid_params"
    assert outcome["changed"] is False


def test_changed_when_some_ran(zabbix):
    zabbix.outcomes["10501"] = UnreachableError("Cannot connect")
    outcome = run(zabbix, hosts=["web-01", "web-02"], fail_on_error=False)
    assert outcome["changed"] is True
    assert [r["failed"] for r in outcome["results"]] == [True, False]


# -- the client is always closed -------------------------------------------------------------------------------------


def _fail_version(world):
    world.version_error = UnreachableError("Cannot connect to https://zbx.example.com")


def _fail_script(world):
    world.script_error = NotFoundError("No script named 'Ping'")


def _fail_hosts(world):
    del world.hosts["web-02"]


def _fail_execute(world):
    world.outcomes["10501"] = RuntimeError("a bug")


@pytest.mark.parametrize("breakage, error", [
    (_fail_version, UnreachableError),
    (_fail_script, NotFoundError),
    (_fail_hosts, NotFoundError),
    (_fail_execute, RuntimeError),
])
def test_client_is_closed_whatever_happens(zabbix, breakage, error):
    breakage(zabbix)
    with pytest.raises(error):
        perform(zabbix, hosts=["web-01", "web-02"])
    assert zabbix.calls("close") == [("close",)]


def test_nothing_runs_unless_every_name_resolves(zabbix):
    with pytest.raises(NotFoundError):
        perform(zabbix, hosts=["web-01", "nope-01"])
    assert zabbix.calls("execute") == []


def test_bad_options_fail_before_any_client_exists(zabbix):
    with pytest.raises(OptionError):
        perform(zabbix, hosts=["web-01", "web-01"])
    assert zabbix.clients == []


def make_lookups_meet(monkeypatch, timeout):
    """Each lookup waits for the other one: a barrier that breaks when they run one after the other."""
    both = threading.Barrier(2, timeout=timeout)
    for name in ("script", "hosts_by_name"):
        original = getattr(FakeClient, name)
        monkeypatch.setattr(FakeClient, name, lambda self, *a, original=original, **k: (both.wait(), original(self, *a, **k))[1])


def test_script_and_hosts_are_looked_up_at_the_same_time(zabbix, monkeypatch):
    make_lookups_meet(monkeypatch, timeout=5)
    outcome = run(zabbix, hosts=["web-01", "web-02"])
    assert outcome["summary"]["succeeded"] == 2


def test_with_concurrency_one_the_lookups_run_one_after_the_other(zabbix, monkeypatch):
    make_lookups_meet(monkeypatch, timeout=0.3)
    with pytest.raises(threading.BrokenBarrierError):
        run(zabbix, hosts=["web-01", "web-02"], concurrency=1)


def test_a_script_error_wins_when_both_lookups_fail(zabbix):
    zabbix.script_error = NotFoundError("No script named 'Nope'")
    with pytest.raises(NotFoundError) as caught:
        run(zabbix, hosts=["web-01", "missing-host"])
    assert "Nope" in caught.value.message
    assert zabbix.calls("execute") == []
