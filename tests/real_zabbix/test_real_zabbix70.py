"""zabbix_script_execute through ansible-playbook against a real Zabbix 7.0 server.

Like test_real_zabbix.py (the same observer around each task, so "it ran"
and "nothing ran" are the server's word), for what 7.0 brings: API tokens
that run scripts, manual input, same-name scripts told apart by menu path,
URL scripts, and global scripts switched off by the shipped server
configuration.
"""

import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.real_zabbix.realzabbix import (
    FAN_OUT_HOSTS, OPERATOR, SERVER_HOSTID, STACKS, Z70_ROOT, Z70_SHIPPED_SERVER_CONF, ZabbixApi, stack)
from ansible_collections.scriptbridge.core.tests.real_zabbix.test_real_zabbix import (
    PlayRun, assert_logged_out, assert_nothing_ran, assert_refused_before_anything_ran, executed)

MODULE = "scriptbridge.core.zabbix_script_execute"
URL = STACKS["7.0"].url
AUTH = dict(OPERATOR, url=URL)
UNKNOWN_ID = "987654"
ECHO_SERVER = "host=Zabbix server name=Zabbix server conn=127.0.0.1"
REFUSED_INPUT = "Provided script user input failed validation."
GLOBAL_OFF = "Global script execution on Zabbix server is disabled by server configuration."


def scenarios(real):
    """(task name, module args, check mode) of the play."""
    ids, events, token = real.hostids, real.eventids, real.token
    fan_out = ["host-004", "host-002", "host-005", "host-001", "host-003"]
    return [
        ("agent script", dict(AUTH, script="Echo host", host="Zabbix server"), False),
        ("api token", dict(url=URL, api_token=token, script="Echo host", host="Zabbix server"), False),
        ("api token, fan-out", dict(url=URL, api_token=token, script="Echo host", hosts=["host-002", "host-001"]),
         False),
        ("check mode, api token", dict(url=URL, api_token=token, script="Echo host", host="host-001"), True),
        ("manual input, regex", dict(AUTH, script="Ping count", host="host-001", manualinput="2"), False),
        ("manual input, list", dict(AUTH, script="Service action", host="host-002", manualinput="restart"), False),
        ("manual input the regex refuses", dict(AUTH, script="Ping count", host="host-001", manualinput="2; id"),
         False),
        ("manual input the list refuses", dict(AUTH, script="Service action", host="host-001", manualinput="reload"),
         False),
        ("manual input with a space the list refuses", dict(AUTH, script="Service action", host="host-001",
                                                            manualinput=" stop"), False),
        ("no manual input", dict(AUTH, script="Ping count", host="host-001"), False),
        ("manual input to a script that takes none", dict(AUTH, script="Echo host", host="host-003",
                                                          manualinput="ignored"), False),
        ("check mode, manual input the list refuses", dict(AUTH, script="Service action", host="host-001",
                                                           manualinput="reload"), True),
        ("check mode, manual input", dict(AUTH, script="Service action", host="host-001", manualinput="stop"), True),
        ("event", dict(AUTH, script="Event echo", event_id=events[0]), False),
        ("several events", dict(AUTH, script="Event echo", event_ids=[events[1], events[0]]), False),
        ("event by api token", dict(url=URL, api_token=token, script="Event echo", event_id=events[1]), False),
        ("host script on an event", dict(AUTH, script="Echo host", eventid=events[0]), False),
        ("event script on a host", dict(AUTH, script="Event echo", host="host-001"), False),
        ("scope 1 script", dict(AUTH, script="Action only", host="host-001"), False),
        ("unknown event", dict(AUTH, script="Event echo", event_id=UNKNOWN_ID), False),
        ("URL script", dict(AUTH, script="Open host page", host="host-001"), False),
        ("same name, menu path", dict(AUTH, script="Restart service", menu_path="Windows", host="host-001"), False),
        ("same name, no menu path", dict(AUTH, script="Restart service", host="host-001"), False),
        ("server script fails", dict(AUTH, script="Server failure", host="host-001"), False),
        ("server script fails, reported", dict(AUTH, script="Server failure", hosts=["host-001", "host-002"],
                                               fail_on_error=False), False),
        ("webhook", dict(AUTH, script="Webhook JSON", host="host-001"), False),
        ("webhook throws", dict(AUTH, script="Webhook throws", host="host-001"), False),
        ("default Ping", dict(AUTH, script_id="1", host_id=SERVER_HOSTID), False),
        ("fan-out by name", dict(AUTH, script="Echo host", hosts=fan_out, concurrency=3), False),
        ("fan-out by id", dict(AUTH, scriptid=real.scriptids["Echo host"],
                               host_ids=[ids["host-003"], SERVER_HOSTID, ids["host-001"]]), False),
        ("check mode", dict(AUTH, script="Echo host", hosts=["host-001", "host-002"]), True),
        ("check mode, host group", dict(AUTH, script="Canary echo", hosts=["host-001", "no-agent"]), True),
        ("check mode, event", dict(AUTH, script="Event echo", event_id=events[0]), True),
        ("unknown host", dict(AUTH, script="Echo host", hosts=["host-001", "nope"]), False),
        ("agent without an interface", dict(AUTH, script="Echo host", host="no-agent"), False),
        ("wrong password", dict(AUTH, password="not-the-password", script="Echo host", host="host-001"), False),
        ("agent timeout", dict(AUTH, script="Agent sleeps", host="host-001"), False),
        ("agent unreachable", dict(AUTH, script="Echo host", host="dead-agent"), False),
        ("server script fails, stderr", dict(AUTH, script="Server failure, stderr", host="host-002"), False),
    ]


@pytest.fixture(scope="module")
def play(real70, observer70):
    return PlayRun(real70, observer70, scenarios(real70))


def assert_token_only(server):
    """An API token: no login, no session, nothing to log out."""
    assert (server["logins"], server["logouts"], server["sessions"]) == (0, 0, []), server


# -- what runs ------------------------------------------------------------------------------------


def test_agent_script(play):
    result, server = play.result("agent script"), play.server("agent script")
    assert result["changed"] is True and not result.get("failed")
    assert result["zabbix_version"] == "7.0.9"
    assert result["results"] == [{"host_id": SERVER_HOSTID, "host": "Zabbix server", "event_id": None,
                                  "response": "success", "value": ECHO_SERVER, "debug": {}, "failed": False}]
    assert server["runs"] == ["echo Zabbix server"]
    assert server["executions"] == [{"hostid": SERVER_HOSTID, "host": "Zabbix server", "output": ECHO_SERVER,
                                     "error": None}]
    assert_logged_out(server)


def test_api_token_runs_scripts_on_70(play):
    """The 6.0 token bug is gone: no refusal, the script runs, and no session is opened."""
    result, server = play.result("api token"), play.server("api token")
    assert result["changed"] is True and not result.get("failed"), result.get("msg")
    assert result["value"] == ECHO_SERVER
    assert server["runs"] == ["echo Zabbix server"] and executed(server) == ["Zabbix server"]
    assert_token_only(server)
    fan_out, server = play.result("api token, fan-out"), play.server("api token, fan-out")
    assert [r["value"] for r in fan_out["results"]] == ["host=host-002 name=Host 002 conn=127.0.0.1",
                                                        "host=host-001 name=Host 001 conn=127.0.0.1"]
    assert executed(server) == ["host-001", "host-002"]
    assert_token_only(server)
    event, server = play.result("event by api token"), play.server("event by api token")
    assert event["value"] == "event=%s name=host-001: /: Disk space is low host=host-001" % play.real.eventids[1]
    assert server["runs"] == ["event host-001"]
    assert_token_only(server)
    check = play.result("check mode, api token")
    assert check["changed"] is True and not check.get("failed")
    assert [(r["host"], r["would_execute"]) for r in check["results"]] == [("host-001", True)]
    assert_nothing_ran(play, "check mode, api token")
    assert_token_only(play.server("check mode, api token"))


def test_manual_input_runs_with_the_value(play):
    result, server = play.result("manual input, regex"), play.server("manual input, regex")
    assert not result.get("failed") and result["changed"] is True
    assert result["value"].startswith("PING 127.0.0.1 (127.0.0.1)")
    assert "2 packets transmitted, 2 received, 0% packet loss" in result["value"]
    # a command run by the server keeps its last newline
    assert result["value"].endswith("\n")
    assert server["runs"] == ["ping-count host-001"] and executed(server) == ["host-001"]
    assert_logged_out(server)
    listed = play.result("manual input, list")
    assert not listed.get("failed") and listed["value"] == "service restart on host-002"
    assert play.server("manual input, list")["runs"] == ["service host-002"]


@pytest.mark.parametrize("name", ["manual input the regex refuses", "manual input the list refuses",
                                  "manual input with a space the list refuses"])
def test_manual_input_the_server_refuses(play, name):
    result, server = play.result(name), play.server(name)
    assert result["failed"] is True and result["changed"] is False
    error = result["results"][0]["error"]
    assert error == {"code": -32500, "message": error["message"], "data": REFUSED_INPUT, "kind": "invalid_params"}
    assert REFUSED_INPUT in result["msg"]
    # Refused before anything ran: no run recorded, not even an execution in the audit log.
    assert server["runs"] == [] and server["executions"] == []
    assert_logged_out(server)


def test_no_manual_input_is_refused_before_anything_runs(play):
    result = play.result("no manual input")
    assert result["failed"] is True and result["changed"] is False
    assert result["error"]["kind"] == "invalid_params"
    assert "asks for user input ('Packet count')" in result["msg"] and "set manualinput" in result["msg"]
    assert_nothing_ran(play, "no manual input")
    assert_logged_out(play.server("no manual input"))


def test_manual_input_to_a_script_that_takes_none_is_ignored(play):
    result = play.result("manual input to a script that takes none")
    assert not result.get("failed") and result["value"] == "host=host-003 name=Host 003 conn=127.0.0.1"
    assert play.server("manual input to a script that takes none")["runs"] == ["echo host-003"]


def test_check_mode_judges_manual_input_and_runs_nothing(play):
    refused = play.result("check mode, manual input the list refuses")
    assert refused["failed"] is True and refused["changed"] is False
    assert refused["results"][0]["would_execute"] is False
    assert "'reload' is not one of the values the script allows: start, stop, restart" in refused["msg"]
    assert_nothing_ran(play, "check mode, manual input the list refuses")
    passing = play.result("check mode, manual input")
    assert passing["changed"] is True and passing["results"][0]["would_execute"] is True
    assert_nothing_ran(play, "check mode, manual input")
    assert_logged_out(play.server("check mode, manual input"))


def test_event_targets_raised_on_the_server(play):
    events = play.real.eventids
    result = play.result("event")
    assert not result.get("failed") and result["changed"] is True
    assert result["value"] == "event=%s name=host-001: Load average is too high host=host-001" % events[0]
    assert result["results"][0]["event_id"] == events[0] and result["results"][0]["host"] == "host-001"
    assert play.server("event")["runs"] == ["event host-001"]
    several = play.result("several events")
    assert [r["event_id"] for r in several["results"]] == [events[1], events[0]]
    assert play.server("several events")["runs"] == ["event host-001", "event host-001"]


def test_same_name_scripts_told_apart_by_menu_path(play):
    result = play.result("same name, menu path")
    assert not result.get("failed") and result["value"] == "restart (Windows) on host-001"
    assert result["script"]["menu_path"] == "Windows"
    assert play.server("same name, menu path")["runs"] == ["restart-windows host-001"]
    ambiguous = play.result("same name, no menu path")
    assert ambiguous["failed"] is True and ambiguous["error"]["kind"] == "not_found_or_forbidden"
    assert "2 scripts are named 'Restart service'" in ambiguous["msg"]
    assert_nothing_ran(play, "same name, no menu path")


def test_server_script_fails(play):
    result, server = play.result("server script fails"), play.server("server script fails")
    assert result["failed"] is True and result["changed"] is True
    assert result["results"][0]["error"] == {"code": -32500, "message": result["results"][0]["error"]["message"],
                                             "data": "check failed on host-001", "kind": "script_failed"}
    assert server["runs"] == ["failure host-001"]
    reported = play.result("server script fails, reported")
    assert not reported.get("failed") and reported["changed"] is True
    assert reported["summary"] == {"total": 2, "succeeded": 0, "failed": 2}


def test_webhook(play):
    result = play.result("webhook")
    assert not result.get("failed") and result["changed"] is True
    # Like 6.0.14, 7.0.9 leaves {HOST.ID} in a script's parameters as it is.
    assert result["value_json"] == {"status": "sent", "host": "host-001", "hostid": "{HOST.ID}"}
    assert result["debug"]["logs"][0]["message"] == "[Webhook JSON] sending notification for host-001"
    thrown = play.result("webhook throws")
    assert thrown["failed"] is True and thrown["results"][0]["error"]["data"] == "cannot execute script: boom"


def test_default_ping_with_global_scripts_on(play):
    result = play.result("default Ping")
    assert not result.get("failed") and "3 packets transmitted, 3 received, 0% packet loss" in result["value"]
    assert executed(play.server("default Ping")) == ["Zabbix server"]


def test_fan_out(play):
    result, server = play.result("fan-out by name"), play.server("fan-out by name")
    hosts = ["host-004", "host-002", "host-005", "host-001", "host-003"]
    assert [r["host"] for r in result["results"]] == hosts
    assert [r["value"] for r in result["results"]] == [
        "host=%s name=Host %s conn=127.0.0.1" % (h, h[-3:]) for h in hosts]
    assert sorted(server["runs"]) == ["echo " + h for h in FAN_OUT_HOSTS]
    assert executed(server) == FAN_OUT_HOSTS
    assert_logged_out(server)
    by_id = play.result("fan-out by id")
    assert [r["host"] for r in by_id["results"]] == ["host-003", "Zabbix server", "host-001"]


def test_check_mode_runs_nothing(play):
    result = play.result("check mode")
    assert result["changed"] is True and not result.get("failed")
    assert [(r["host"], r["would_execute"]) for r in result["results"]] == [("host-001", True), ("host-002", True)]
    assert_nothing_ran(play, "check mode")
    assert_logged_out(play.server("check mode"))
    group = play.result("check mode, host group")
    assert [(r["host"], r["would_execute"]) for r in group["results"]] == [("host-001", True), ("no-agent", False)]
    assert_nothing_ran(play, "check mode, host group")
    event = play.result("check mode, event")
    assert event["results"][0]["would_execute"] is True
    assert_nothing_ran(play, "check mode, event")


@pytest.mark.parametrize("name, kind, text", [
    ("host script on an event", "invalid_params", "runs on hosts"),
    ("event script on a host", "invalid_params", "event_id"),
    ("scope 1 script", "unsupported", "action operation"),
    ("unknown event", "not_found_or_forbidden", "'%s'" % UNKNOWN_ID),
    ("URL script", "unsupported", "URL script"),
    ("unknown host", "not_found_or_forbidden", "'nope'"),
])
def test_refused_before_anything_runs(play, name, kind, text):
    assert_refused_before_anything_ran(play, name, kind, text)


def test_agent_failures(play):
    no_agent = play.result("agent without an interface")
    assert no_agent["results"][0]["error"]["data"] == "Zabbix agent interface is not defined for host [no-agent]"
    assert no_agent["changed"] is False
    timeout = play.result("agent timeout")
    assert timeout["results"][0]["error"]["data"] == "Timeout while executing a shell script."
    assert timeout["changed"] is True and play.server("agent timeout")["runs"] == ["sleeps host-001"]


def test_agent_unreachable_has_the_70_text_and_ran_nothing(play):
    result = play.result("agent unreachable")
    assert result["failed"] is True and result["changed"] is False
    error = result["results"][0]["error"]
    assert error["kind"] == "script_failed"
    assert error["data"] == ("Get value from agent failed: cannot connect to [[127.0.0.1]:10099]: "
                             "connection error (POLLERR,POLLHUP)")
    assert play.server("agent unreachable")["runs"] == []


def test_server_failure_output_is_stdout_and_stderr(play):
    result = play.result("server script fails, stderr")
    assert result["failed"] is True and result["changed"] is True
    # both streams, the last newline dropped
    assert result["results"][0]["error"]["data"] == "about to fail on host-002\non stderr"
    assert play.server("server script fails, stderr")["runs"] == ["stderr host-002"]


def test_wrong_password(play):
    result, server = play.result("wrong password"), play.server("wrong password")
    assert result["failed"] is True and result["error"]["kind"] == "auth"
    assert server["logins"] == 0 and server["failed_logins"] == 1 and server["sessions"] == []


def test_every_password_session_was_logged_out_and_no_secret_shown(play):
    secrets = [play.real.token, OPERATOR["password"], "not-the-password"]
    for name in play.args:
        sessions = play.server(name)["sessions"]
        assert [s for s in sessions if s["valid"]] == [], name
        secrets += [s["sessionid"] for s in sessions]
    leaked = [s for s in secrets if s in play.run.output]
    assert leaked == [], leaked


# -- global scripts off, as the shipped configuration has it -------------------------------------


GLOBAL_TASKS = (
    ("default Ping", dict(AUTH, script_id="1", host_id=SERVER_HOSTID)),
    ("server script", dict(AUTH, script="Restart service", menu_path="Linux", host="host-001")),
    ("agent script", dict(AUTH, script="Echo host", host="host-001")),
    ("webhook", dict(AUTH, script="Webhook JSON", host="host-002")),
)


def run_global_tasks(observer, suffix):
    return run_play([{"name": "%s, %s" % (name, suffix), MODULE: args} for name, args in GLOBAL_TASKS],
                    control=[observer.serve()])


class ServerStates:
    """What the 7.0 server did while stopped, with the shipped EnableGlobalScripts, and with it on."""

    def __init__(self, real, observer):
        self.shipped = re.findall(r"^EnableGlobalScripts=(\d)$", Z70_SHIPPED_SERVER_CONF.read_text(), re.M)
        try:
            self._switch("stop-server", "7.0")
            self.stopped = run_play([{"name": "server stopped", MODULE: dict(AUTH, script="Echo host",
                                                                             host="host-001")}])
            self._switch("global-scripts", "shipped")
            self.off = run_global_tasks(observer, "shipped")
            self.create_off = real.api.call("script.create", {
                "name": "scriptbridge server script", "type": 0, "execute_on": 1, "scope": 2, "command": "true"},
                real.session)
        finally:
            self._switch("global-scripts", "on")
        self.on = run_global_tasks(observer, "on")

    @staticmethod
    def _switch(*args):
        switched = stack(*args, check=False)
        assert switched.returncode == 0, switched.stderr[-2000:]


@pytest.fixture(scope="module")
def global_scripts(real70, observer70):
    """The tasks with the shipped EnableGlobalScripts, then again with it on."""
    return ServerStates(real70, observer70)


def test_server_stopped(global_scripts):
    result = global_scripts.stopped["server stopped"]
    # the frontend answers the lookups; the one script.execute finds no server and ran nothing
    assert result["failed"] is True and result["changed"] is False
    error = result["results"][0]["error"]
    assert error["kind"] == "server_unreachable" and error["code"] == -32500
    assert error["data"] == (
        'Connection to Zabbix server "127.0.0.1:10151" refused. Possible reasons:\n'
        '1. Incorrect "NodeAddress" or "ListenPort" in the "zabbix_server.conf" or server IP/DNS override in the '
        '"zabbix.conf.php";\n2. Security environment (for example, SELinux) is blocking the connection;\n'
        '3. Zabbix server daemon not running;\n4. Firewall is blocking TCP connection.\nConnection refused')


def test_global_scripts_off_in_the_shipped_configuration(global_scripts):
    shipped, off = global_scripts.shipped, global_scripts.off
    assert shipped == ["0"]
    for name in ("default Ping", "server script"):
        result = off[name + ", shipped"]
        assert result["failed"] is True and result["changed"] is False, result
        assert result["results"][0]["error"]["data"] == GLOBAL_OFF
        assert result["results"][0]["error"]["kind"] == "unsupported"
        assert off.sims(name + ", shipped")[0]["runs"] == []
        assert_logged_out(off.sims(name + ", shipped")[0])
    # what runs on the agent, and webhooks, are not global scripts run by the server
    assert off["agent script, shipped"]["value"] == "host=host-001 name=Host 001 conn=127.0.0.1"
    assert off.sims("agent script, shipped")[0]["runs"] == ["echo host-001"]
    assert off["webhook, shipped"]["value_json"]["host"] == "host-002"
    # and no server script can be made meanwhile
    assert global_scripts.create_off.doc["error"] == {
        "code": -32602, "message": "Invalid params.",
        "data": 'Invalid parameter "/1/execute_on": global script execution on Zabbix server is disabled by server '
                'configuration.'}


def test_global_scripts_on(global_scripts):
    on = global_scripts.on
    assert "3 packets transmitted" in on["default Ping, on"]["value"]
    assert on["server script, on"]["value"] == "restart (Linux) on host-001"
    assert on.sims("server script, on")[0]["runs"] == ["restart host-001"]
    assert not any(on[name + ", on"].get("failed") for name, _args in GLOBAL_TASKS)


# -- capacity, timing, and the second frontend ----------------------------------------------------


def test_at_most_start_trappers_scripts_run_at_once(real70):
    """Seven 2-second server scripts at once need two rounds: the stack's server has 5 trappers."""
    api, scriptid, hostid = real70.api, real70.scriptids["Slow script"], real70.hostids["host-003"]

    def run(_n):
        return api.call("script.execute", {"scriptid": scriptid, "hostid": hostid}, real70.session).doc

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=7) as pool:
        answers = list(pool.map(run, range(7)))
    took = time.monotonic() - started
    assert [a["result"]["value"] for a in answers] == ["slow done on host-003"] * 7
    assert took >= 4.0, took


def test_70_is_on_a_par_with_60(servers):
    """One agent script, interleaved on both servers: 7.0 is not notably slower than 6.0."""
    times = {"6.0": [], "7.0": []}
    for _round in range(7):
        for version in times:
            fixture = servers.fixture(version)
            params = {"scriptid": fixture.scriptids["Echo host"], "hostid": SERVER_HOSTID}
            started = time.monotonic()
            answer = fixture.api.call("script.execute", params, fixture.session)
            times[version].append(time.monotonic() - started)
            assert answer.doc["result"]["response"] == "success"
    medians = dict((v, statistics.median(t)) for v, t in times.items())
    assert medians["7.0"] <= 3 * medians["6.0"] + 0.05, medians


def test_the_70_frontend_reads_its_own_configuration():
    """The Debian frontend hard-codes /etc/zabbix/zabbix.conf.php: the 7.0 copy is pointed elsewhere."""
    config_class = (Z70_ROOT / "usr/share/zabbix/include/classes/core/CConfigFile.php").read_text()
    assert "const CONFIG_FILE_PATH = '%s/zabbix.conf.php';" % STACKS["7.0"].state_dir in config_class
    # both frontends answer, each with its own version and database
    assert ZabbixApi(STACKS["6.0"].url).version() == "6.0.14"
    assert ZabbixApi(STACKS["7.0"].url).version() == "7.0.9"
