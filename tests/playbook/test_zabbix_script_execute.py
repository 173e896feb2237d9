"""zabbix_script_execute through real ansible-playbook runs, against the simulator in every version mode.

Each version runs one play. Every scenario in it is wrapped by a reset of
the simulator before and a read of its statistics after, so each test can
assert both what the module returned and what the server received.
"""

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_adhoc, run_play, only_result
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, EXPIRED_API_TOKEN, ZabbixSimulator

MODULE = "scriptbridge.core.zabbix_script_execute"
VERSIONS = ["5.0", "6.0", "6.4", "7.0", "7.2"]
USER = {"username": "operator", "password": "operator-pass"}
HOSTS5 = ["host-004", "host-002", "host-005", "host-001", "host-003"]


def vt(version):
    return tuple(int(p) for p in version.split("."))


def scenarios(sim, version):
    """(name, module args, options) for one version; options: check, creds, fail_on_error handled by args."""
    url = sim.url
    v = vt(version)
    token_ok = v >= (6, 4)
    auth = {"api_token": API_TOKEN} if token_ok else USER
    items = [
        ("one host by name", dict(auth, script_id="10", host="host-001"), {}),
        ("several hosts by name", dict(auth, script="Echo host", hosts=HOSTS5, concurrency=3), {}),
        ("host ids", dict(auth, scriptid="10", host_ids=["20003", "20001"]), {}),
        ("one host id", dict(auth, script_id="10", hostid="10084"), {}),
        ("unknown host name", dict(auth, script_id="10", hosts=["host-001", "nope", "host-002"]), {}),
        ("unknown host id", dict(auth, script_id="10", host_ids=["20001", "99999"]), {}),
        ("unknown script name", dict(auth, script="No such script", host="host-001"), {}),
        ("duplicate target", dict(auth, script_id="10", hosts=["host-001", "host-001"]), {}),
        ("non-numeric script id", dict(auth, script_id="ten", host="host-001"), {}),
        ("check mode", dict(auth, script="Echo host", hosts=HOSTS5[:3]), {"check": True}),
        ("check mode canary", dict(auth, script="Canary echo", hosts=["host-001", "host-010"]), {"check": True}),
        ("canary fails where not allowed", dict(auth, script="Canary echo", hosts=["host-001", "host-010"],
                                                fail_on_error=False), {}),
        ("server script fails", dict(auth, script="Server failure", hosts=["host-001", "host-002"]), {}),
        ("server script fails, reported", dict(auth, script="Server failure", host="host-001",
                                               fail_on_error=False), {}),
        ("agent without interface", dict(auth, script="Echo host", host="no-agent"), {}),
        ("password login and logout", dict(USER, script_id="10", hosts=["host-001", "host-002"]), {}),
        ("wrong password", dict(username="operator", password="wrong-password", script_id="10", host="host-001"), {}),
        ("no credentials", dict(script_id="10", host="host-001"), {}),
        ("closed port", dict(auth, script_id="10", host="host-001", url="http://127.0.0.1:9"), {}),
        ("wrong path", dict(auth, script_id="10", host="host-001", url=url + "/nothing/here"), {}),
        ("timeout", dict(auth, script="Slow script", host="host-001", timeout=1), {}),
        ("manualinput", dict(auth, script_id="22", host="host-001", manualinput="2"), {}),
    ]
    items += [
        ("webhook json", dict(auth, script="Webhook JSON", host="host-001"), {}),
        ("webhook throws", dict(auth, script="Webhook throws", host="host-001"), {}),
        ("action-only script", dict(auth, script="Action only", host="host-001"), {}),
        ("ambiguous name", dict(auth, script="Restart service", host="host-001"), {}),
        ("name with menu path", dict(auth, script="Restart service", menu_path="/Linux/", host="host-001"), {}),
        ("event script", dict(auth, script="Event echo", event_ids=["1003", "1001"]), {}),
        ("one event", dict(auth, script="Event echo", eventid="1001"), {}),
        ("host script on event", dict(auth, script="Echo host", event_id="1001"), {}),
        ("event script on host", dict(auth, script="Event echo", host="host-001"), {}),
        ("unknown event", dict(auth, script="Event echo", event_id="424242"), {}),
        ("check mode event", dict(auth, script="Event echo", event_id="1003"), {"check": True}),
        ("expired token", dict(api_token=EXPIRED_API_TOKEN, script_id="10", host="host-001"), {}),
        ("token", dict(api_token=API_TOKEN, script_id="10", host="host-001"), {}),
        ("url script", dict(auth, script="Open host page", host="host-001"), {}),
        ("manualinput rejected by server", dict(auth, script_id="22", host="host-001", manualinput="abc"), {}),
        ("manualinput check mode", dict(auth, script_id="22", host="host-001", manualinput="abc"), {"check": True}),
        ("manualinput list", dict(auth, script="Service action", host="host-001", manualinput="restart"), {}),
        ("manualinput missing", dict(auth, script_id="22", host="host-001"), {}),
    ]
    for name, args, options in items:
        args.setdefault("url", url)
        yield name, args, options


class VersionRun:
    """One play over every scenario of one version, and the simulator's view of each."""

    def __init__(self, sim, version):
        self.sim = sim
        self.version = version
        self.args = {}
        tasks = []
        for name, args, options in scenarios(sim, version):
            self.args[name] = args
            task = {"name": name, MODULE: args}
            if options.get("check"):
                task["check_mode"] = True
            tasks.append(task)
        self.run = run_play(tasks, control=[sim.url])
        # A second play without resets, to look at the wire.
        self.wire = run_play([{"name": "wire", MODULE: dict(USER, url=sim.url, script_id="10", host="host-001")}])
        self.requests = list(sim.requests)

    def result(self, name):
        return self.run[name]

    def stats(self, name):
        return self.run.sims(name)[0]


@pytest.fixture(scope="module", params=VERSIONS)
def zbx(request):
    version = request.param
    with ZabbixSimulator(version=version, hosts=20, slow_script_seconds=3) as sim:
        yield VersionRun(sim, version)


def executed(stats):
    return [(e["scriptid"], e["hostid"], e.get("eventid")) for e in stats["executions"]]


def test_one_host_by_name(zbx):
    result, stats = zbx.result("one host by name"), zbx.stats("one host by name")
    assert result["changed"] is True and not result.get("failed")
    assert result["value"] == "host=host-001 name=Host 001 conn=10.0.0.1"
    assert result["response"] == "success" and result["debug"] == {}
    assert "value_json" not in result
    assert result["results"] == [{
        "host_id": "20001", "host": "host-001", "event_id": None, "response": "success",
        "value": "host=host-001 name=Host 001 conn=10.0.0.1", "debug": {}, "failed": False}]
    assert result["summary"] == {"total": 1, "succeeded": 1, "failed": 0}
    assert result["script"] == {"scriptid": "10", "name": "Echo host", "type": 0, "scope": 2 if zbx.version != "5.0" else None,
                                "execute_on": 0, "menu_path": ""} or zbx.version == "5.0"
    assert result["zabbix_version"].startswith(zbx.version)
    assert executed(stats) == [("10", "20001", None)]


def test_several_hosts_keep_their_order_and_run_once_each(zbx):
    result, stats = zbx.result("several hosts by name"), zbx.stats("several hosts by name")
    assert [r["host"] for r in result["results"]] == HOSTS5
    assert [r["value"].split()[0] for r in result["results"]] == ["host=" + h for h in HOSTS5]
    assert sorted(h for _s, h, _e in executed(stats)) == sorted("2000" + h[-1] for h in HOSTS5)
    assert result["summary"] == {"total": 5, "succeeded": 5, "failed": 0}
    assert "value" not in result and "response" not in result
    # one version probe, one bulk host lookup, one script lookup, one execute per target
    methods = stats["methods"]
    assert methods["apiinfo.version"] == 1 and methods["host.get"] == 1 and methods["script.get"] == 1
    assert methods["script.execute"] == 5
    assert stats["max_in_flight"] <= 3


def test_host_ids_and_alias(zbx):
    result = zbx.result("host ids")
    assert [(r["host_id"], r["host"]) for r in result["results"]] == [("20003", "host-003"), ("20001", "host-001")]
    assert executed(zbx.stats("host ids")) == [("10", "20003", None), ("10", "20001", None)] or \
        sorted(executed(zbx.stats("host ids"))) == [("10", "20001", None), ("10", "20003", None)]
    one = zbx.result("one host id")
    assert one["results"][0]["host"] == "Zabbix server" and one["value"].startswith("host=Zabbix server")


@pytest.mark.parametrize("name, missing", [
    ("unknown host name", "'nope'"), ("unknown host id", "'99999'"), ("unknown script name", "'No such script'"),
])
def test_names_that_do_not_resolve_run_nothing(zbx, name, missing):
    result, stats = zbx.result(name), zbx.stats(name)
    assert result["failed"] is True and result["changed"] is False
    assert missing in result["msg"]
    assert result["error"]["kind"] == "not_found_or_forbidden"
    assert "script.execute" not in stats["methods"] and stats["executions"] == []


@pytest.mark.parametrize("name, text", [
    ("duplicate target", "more than once"), ("non-numeric script id", "numeric"), ("no credentials", "ZABBIX_API_TOKEN"),
])
def test_bad_options_fail_before_any_request(zbx, name, text):
    result, stats = zbx.result(name), zbx.stats(name)
    assert result["failed"] is True and text in result["msg"]
    assert result["error"]["kind"] == "invalid_params"
    assert stats["requests"] == 0


def test_check_mode_runs_nothing(zbx):
    result, stats = zbx.result("check mode"), zbx.stats("check mode")
    assert result["changed"] is True and not result.get("failed")
    assert [r["would_execute"] for r in result["results"]] == [True, True, True]
    assert all("value" not in r for r in result["results"])
    assert stats["executions"] == [] and "script.execute" not in stats["methods"]
    # the targets and where the script applies: one bulk host.get each, however many hosts
    assert stats["methods"]["host.get"] == 2 and stats["methods"]["script.get"] == 1


def test_check_mode_finds_hosts_the_script_does_not_apply_to(zbx):
    result, stats = zbx.result("check mode canary"), zbx.stats("check mode canary")
    assert [(r["host"], r["would_execute"]) for r in result["results"]] == [("host-001", True), ("host-010", False)]
    assert result["failed"] is True and "host-010" in result["msg"]
    assert stats["executions"] == []
    real = zbx.result("canary fails where not allowed")
    assert [r["failed"] for r in real["results"]] == [False, True]
    assert real["results"][1]["error"]["kind"] == "not_found_or_forbidden"
    assert not real.get("failed") and real["changed"] is True


def test_server_script_failure(zbx):
    result, stats = zbx.result("server script fails"), zbx.stats("server script fails")
    assert result["failed"] is True and result["changed"] is True
    assert result["summary"] == {"total": 2, "succeeded": 0, "failed": 2}
    error = result["results"][0]["error"]
    assert error["kind"] == "script_failed" and error["code"] == -32500 and error["data"] == "check failed on host-001"
    assert "host-001" in result["msg"] and "host-002" in result["msg"]
    assert len(stats["executions"]) == 2
    reported = zbx.result("server script fails, reported")
    assert not reported.get("failed") and reported["results"][0]["failed"] is True
    assert reported["summary"]["failed"] == 1


def test_agent_without_interface(zbx):
    result = zbx.result("agent without interface")
    assert result["results"][0]["error"]["kind"] == "script_failed"
    assert "Zabbix agent interface is not defined for host" in result["msg"]


def test_password_session_is_logged_out(zbx):
    result, stats = zbx.result("password login and logout"), zbx.stats("password login and logout")
    assert not result.get("failed")
    assert stats["logins"] == 1 and stats["logouts"] == 1 and stats["active_sessions"] == 0
    login = [r for r in zbx.requests if isinstance(r["body"], dict) and r["body"].get("method") == "user.login"]
    assert login, "no user.login on the wire"
    assert ("user" if zbx.version == "5.0" else "username") in login[-1]["body"]["params"]


def test_wrong_password_is_an_auth_error(zbx):
    result = zbx.result("wrong password")
    assert result["failed"] is True and result["error"]["kind"] == "auth"
    assert "wrong-password" not in str(result)


def test_unreachable_and_http_errors(zbx):
    closed = zbx.result("closed port")
    assert closed["failed"] is True and closed["error"]["kind"] == "server_unreachable"
    assert "127.0.0.1:9" in closed["msg"]
    wrong = zbx.result("wrong path")
    assert wrong["failed"] is True and wrong["error"]["kind"] == "http" and "404" in wrong["msg"]


def test_timeout_is_not_retried_and_says_the_script_may_have_run(zbx):
    result, stats = zbx.result("timeout"), zbx.stats("timeout")
    assert result["failed"] is True
    assert result["results"][0]["error"]["kind"] == "timeout"
    assert "may have run" in result["msg"]
    assert stats["methods"]["script.execute"] == 1 and len(stats["executions"]) == 1
    assert result["changed"] is True


def test_manualinput(zbx):
    result, stats = zbx.result("manualinput"), zbx.stats("manualinput")
    if vt(zbx.version) < (7, 0):
        assert result["failed"] is True and result["error"]["kind"] == "unsupported"
        assert "7.0" in result["msg"]
        assert stats["executions"] == [] and stats["methods"] == {"apiinfo.version": 1}
    else:
        assert not result.get("failed") and "2 packets" in result["value"]
        assert stats["executions"][0]["manualinput"] == "2"


def refused_before_running(zbx, name, kind, text):
    result = zbx.result(name)
    assert result["failed"] is True, name
    assert result["error"]["kind"] == kind, (name, result["error"])
    assert text in result["msg"], (name, result["msg"])
    assert zbx.stats(name)["executions"] == [], name


def test_manualinput_validation(zbx):
    if vt(zbx.version) < (7, 0):
        for name in ("manualinput rejected by server", "manualinput check mode", "manualinput list"):
            refused_before_running(zbx, name, "unsupported", "needs Zabbix 7.0")
        # the script that asks for input does not exist before 7.0
        refused_before_running(zbx, "manualinput missing", "not_found_or_forbidden", "id 22")
        return
    server = zbx.result("manualinput rejected by server")
    assert server["failed"] is True and "failed validation" in server["msg"]
    assert server["results"][0]["error"]["kind"] == "invalid_params"
    assert server["changed"] is False
    check = zbx.result("manualinput check mode")
    assert check["results"][0]["would_execute"] is False and "validator" in check["msg"]
    assert zbx.stats("manualinput check mode")["executions"] == []
    listed = zbx.result("manualinput list")
    assert listed["value"] == "service restart on host-001"
    refused_before_running(zbx, "manualinput missing", "invalid_params", "set manualinput")


def test_webhook_json_and_debug(zbx):
    if zbx.version == "5.0":
        # 5.0 has no webhook scripts, so the names do not resolve
        refused_before_running(zbx, "webhook json", "not_found_or_forbidden", "'Webhook JSON'")
        return
    result = zbx.result("webhook json")
    assert result["value_json"] == {"status": "sent", "host": "host-001", "hostid": "20001"}
    assert result["results"][0]["value_json"] == result["value_json"]
    assert result["debug"]["logs"][0]["message"] == "[Webhook JSON] sending notification for host-001"
    thrown = zbx.result("webhook throws")
    assert thrown["results"][0]["error"] == {
        "code": -32500, "message": thrown["results"][0]["error"]["message"],
        "data": "cannot execute script: boom", "kind": "script_failed"}


def test_scripts_that_cannot_run_are_refused_before_running(zbx):
    if zbx.version == "5.0":
        refused_before_running(zbx, "action-only script", "not_found_or_forbidden", "'Action only'")
        refused_before_running(zbx, "host script on event", "unsupported", "needs Zabbix 5.4")
        refused_before_running(zbx, "event script on host", "not_found_or_forbidden", "'Event echo'")
        return
    refused_before_running(zbx, "action-only script", "unsupported", "action operation")
    refused_before_running(zbx, "host script on event", "invalid_params", "runs on hosts")
    refused_before_running(zbx, "event script on host", "invalid_params", "event_id")


def test_same_name_needs_menu_path(zbx):
    if zbx.version == "5.0":
        refused_before_running(zbx, "ambiguous name", "not_found_or_forbidden", "'Restart service'")
        return
    refused_before_running(zbx, "ambiguous name", "not_found_or_forbidden", "menu_path")
    ambiguous = zbx.result("ambiguous name")
    assert "Linux" in ambiguous["msg"] and "Windows" in ambiguous["msg"]
    picked = zbx.result("name with menu path")
    assert picked["script"]["scriptid"] == "17" and picked["value"] == "restart (Linux) on host-001"


def test_event_targets(zbx):
    if zbx.version == "5.0":
        for name in ("event script", "one event", "unknown event", "check mode event"):
            refused_before_running(zbx, name, "unsupported", "needs Zabbix 5.4")
        return
    result, stats = zbx.result("event script"), zbx.stats("event script")
    assert [(r["event_id"], r["host"]) for r in result["results"]] == [("1003", "host-001"), ("1001", "Zabbix server")]
    assert result["results"][0]["value"].startswith("event=1003 ")
    assert sorted(e["eventid"] for e in stats["executions"]) == ["1001", "1003"]
    assert zbx.result("one event")["value"].startswith("event=1001 ")
    refused_before_running(zbx, "unknown event", "not_found_or_forbidden", "424242")
    check = zbx.result("check mode event")
    assert check["results"][0]["would_execute"] is True and zbx.stats("check mode event")["executions"] == []


def test_tokens(zbx):
    token, stats = zbx.result("token"), zbx.stats("token")
    assert API_TOKEN not in str(token)
    if zbx.version == "5.0":
        refused_before_running(zbx, "token", "unsupported", "API tokens need Zabbix 5.4")
        refused_before_running(zbx, "expired token", "unsupported", "API tokens need Zabbix 5.4")
    elif zbx.version == "6.0":
        # 6.0 refuses any token for script.execute before asking the server anything else
        refused_before_running(zbx, "token", "unsupported", "username and password")
        refused_before_running(zbx, "expired token", "unsupported", "username and password")
        assert "script.execute" not in stats["methods"]
    else:
        assert not token.get("failed") and token["value"].startswith("host=host-001")
        assert "user.login" not in stats["methods"] and "user.logout" not in stats["methods"]
        refused_before_running(zbx, "expired token", "auth", "API token expired.")


def test_url_scripts_are_refused(zbx):
    if vt(zbx.version) < (6, 4):
        refused_before_running(zbx, "url script", "not_found_or_forbidden", "'Open host page'")
    else:
        refused_before_running(zbx, "url script", "unsupported", "URL script")


def test_credentials_travel_the_way_the_version_expects(zbx):
    """Before 6.4 the credential is in the body; from 6.4 in a Bearer header; never on apiinfo.version."""
    assert not zbx.wire["wire"]["failed"]
    api = [r for r in zbx.requests if isinstance(r["body"], dict)]
    assert api
    for request in api:
        method = request["body"]["method"]
        header = {k.lower(): v for k, v in request["headers"].items()}.get("authorization")
        if method in ("apiinfo.version", "user.login"):
            assert "auth" not in request["body"] and header is None, method
        elif vt(zbx.version) >= (6, 4):
            assert "auth" not in request["body"] and header and header.startswith("Bearer "), method
        else:
            assert request["body"].get("auth") and header is None, method


def test_adhoc_with_environment_and_module_defaults():
    with ZabbixSimulator(version="7.0", hosts=5) as sim:
        env = {"ZABBIX_URL": sim.url, "ZABBIX_API_TOKEN": API_TOKEN}
        adhoc = only_result(run_adhoc(MODULE, {"script": "Echo host", "host": "host-002"}, env=env))
        assert adhoc["value"].startswith("host=host-002") and adhoc["changed"] is True
        check = only_result(run_adhoc(MODULE, {"script": "Echo host", "host": "host-002"}, env=env, check=True))
        assert check["results"][0]["would_execute"] is True
        assert len(sim.stats()["executions"]) == 1
        play = run_play(
            [{"name": "defaults", MODULE: {"script_id": "10", "hosts": ["host-001", "host-003"]}}],
            module_defaults={"group/scriptbridge.core.zabbix": {"url": sim.url, "api_token": API_TOKEN}},
        )
        assert play["defaults"]["summary"]["succeeded"] == 2


def test_module_options_are_validated_by_ansible():
    play = run_play([
        {"name": "both script options", MODULE: {"url": "http://127.0.0.1:9", "api_token": API_TOKEN,
                                                 "script": "Ping", "script_id": "1", "host": "a"}},
        {"name": "no target", MODULE: {"url": "http://127.0.0.1:9", "api_token": API_TOKEN, "script": "Ping"}},
        {"name": "menu path without name", MODULE: {"url": "http://127.0.0.1:9", "api_token": API_TOKEN,
                                                    "script_id": "1", "menu_path": "x", "host": "a"}},
        {"name": "not a url", MODULE: {"url": "zabbix.example.com", "api_token": API_TOKEN, "script_id": "1", "host": "a"}},
    ])
    assert "mutually exclusive" in play["both script options"]["msg"]
    assert "one of the following is required" in play["no target"]["msg"]
    assert "menu_path" in play["menu path without name"]["msg"]
    assert "not an http:// or https:// URL" in play["not a url"]["msg"]
    assert "Traceback" not in play.output
