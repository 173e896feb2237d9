"""zabbix_script_execute through ansible-playbook against a real Zabbix 6.0 server.

All scenarios run as the tasks of one play (at verbosity 3). Around each task
the result callback calls the observer's control endpoints, so each task
comes with what the server itself did meanwhile: the script executions and
logins/logouts of its audit log, the lines the scripts appended to the runs
log, and the sessions that appeared in its database (with whether they still
work). "Nothing ran" is therefore checked on the server, not taken from the
module's word.
"""

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import only_result, run_adhoc, run_play
from ansible_collections.scriptbridge.core.tests.real_zabbix.realzabbix import FAN_OUT_HOSTS, OPERATOR, SERVER_HOSTID, URL

MODULE = "scriptbridge.core.zabbix_script_execute"
AUTH = dict(OPERATOR, url=URL)
UNKNOWN_ID = "987654"
ECHO_SERVER = "host=Zabbix server name=Zabbix server conn=127.0.0.1"


def scenarios(real):
    """(task name, module args, check mode) of the play."""
    ids, events, token = real.hostids, real.eventids, real.token
    fan_out = ["host-004", "host-002", "host-005", "host-001", "host-003"]
    return [
        ("agent script", dict(AUTH, script="Echo host", host="Zabbix server"), False),
        ("agent script, non-zero exit", dict(AUTH, script="Agent exit code", hosts=["host-002"]), False),
        ("server script by name and menu path", dict(AUTH, script="Restart service", menu_path="/Linux/",
                                                     host="host-001"), False),
        ("menu path without such a script", dict(AUTH, script="Restart service", menu_path="Windows",
                                                 host="host-001"), False),
        ("server script fails", dict(AUTH, script="Server failure", host="host-001"), False),
        ("server script fails, reported", dict(AUTH, script="Server failure", hosts=["host-001", "host-002"],
                                               fail_on_error=False), False),
        ("webhook", dict(AUTH, script="Webhook JSON", host="host-001"), False),
        ("webhook throws", dict(AUTH, script="Webhook throws", host="host-001"), False),
        ("default Ping", dict(AUTH, script_id="1", host_id=SERVER_HOSTID), False),
        ("fan-out by name", dict(AUTH, script="Echo host", hosts=fan_out, concurrency=3), False),
        ("fan-out by id", dict(AUTH, scriptid=real.scriptids["Echo host"],
                               host_ids=[ids["host-003"], SERVER_HOSTID, ids["host-001"]]), False),
        ("event", dict(AUTH, script="Event echo", event_id=events[0]), False),
        ("several events", dict(AUTH, script="Event echo", event_ids=[events[1], events[0]]), False),
        ("host script on an event", dict(AUTH, script="Echo host", eventid=events[0]), False),
        ("event script on a host", dict(AUTH, script="Event echo", host="host-001"), False),
        ("unknown event", dict(AUTH, script="Event echo", event_id=UNKNOWN_ID), False),
        ("api token", dict(url=URL, api_token=token, script="Echo host", host="Zabbix server"), False),
        ("check mode", dict(AUTH, script="Echo host", hosts=["host-001", "host-002"]), True),
        ("check mode, host group", dict(AUTH, script="Canary echo", hosts=["host-001", "no-agent"]), True),
        ("check mode, event", dict(AUTH, script="Event echo", event_id=events[0]), True),
        ("check mode, api token", dict(url=URL, api_token=token, script="Echo host", host="host-001"), True),
        ("scope 1 script", dict(AUTH, script="Action only", host="host-001"), False),
        ("unknown host", dict(AUTH, script="Echo host", hosts=["host-001", "nope"]), False),
        ("unknown host id", dict(AUTH, script="Echo host", host_ids=[UNKNOWN_ID]), False),
        ("unknown script", dict(AUTH, script="No such script", host="host-001"), False),
        ("agent without an interface", dict(AUTH, script="Echo host", host="no-agent"), False),
        ("outside the script's host group", dict(AUTH, script="Canary echo", hosts=["host-001", "no-agent"],
                                                 fail_on_error=False), False),
        ("wrong password", dict(AUTH, password="not-the-password", script="Echo host", host="host-001"), False),
        ("agent timeout", dict(AUTH, script="Agent sleeps", host="host-001"), False),
        ("request timeout", dict(AUTH, script="Slow script", host="host-002", timeout=1), False),
    ]


class PlayRun:
    """The play over every scenario, and the server's view of each task."""

    def __init__(self, real, observer, cases=None):
        self.args = {}
        tasks = []
        for name, args, check in scenarios(real) if cases is None else cases:
            self.args[name] = args
            task = {"name": name, MODULE: args}
            if check:
                task["check_mode"] = True
            tasks.append(task)
        self.run = run_play(tasks, verbosity=3, control=[observer.serve()])
        self.real = real

    def result(self, name):
        return self.run[name]

    def server(self, name):
        """What the server did during the task."""
        return self.run.sims(name)[0]


@pytest.fixture(scope="module")
def play(real, observer):
    return PlayRun(real, observer)


def executed(server):
    return sorted(e["host"] for e in server["executions"])


def assert_logged_out(server):
    """One login, one logout, and the session it opened no longer works."""
    assert (server["logins"], server["logouts"]) == (1, 1), server
    assert len(server["sessions"]) == 1, server["sessions"]
    # user.logout leaves the session passive (status 1), and it no longer authenticates
    assert (server["sessions"][0]["status"], server["sessions"][0]["valid"]) == ("1", False), server["sessions"]


def assert_nothing_ran(play, name):
    server = play.server(name)
    assert server["executions"] == [] and server["runs"] == [], (name, server)


def assert_refused_before_anything_ran(play, name, kind, text):
    """The task failed with ``kind`` and ``text``, nothing ran, and its session was logged out."""
    result = play.result(name)
    assert result["failed"] is True and result["changed"] is False
    assert result["error"]["kind"] == kind and text in result["msg"], result["msg"]
    assert_nothing_ran(play, name)
    assert_logged_out(play.server(name))


# -- what runs ------------------------------------------------------------------------------------


def test_agent_script(play):
    result, server = play.result("agent script"), play.server("agent script")
    assert result["changed"] is True and not result.get("failed")
    assert result["value"] == ECHO_SERVER and result["response"] == "success" and result["debug"] == {}
    assert result["zabbix_version"] == "6.0.14"
    assert result["script"] == {"scriptid": play.real.scriptids["Echo host"], "name": "Echo host", "type": 0,
                                "scope": 2, "execute_on": 0, "menu_path": ""}
    assert result["results"] == [{"host_id": SERVER_HOSTID, "host": "Zabbix server", "event_id": None,
                                  "response": "success", "value": ECHO_SERVER, "debug": {}, "failed": False}]
    assert server["runs"] == ["echo Zabbix server"]
    assert server["executions"] == [{"hostid": SERVER_HOSTID, "host": "Zabbix server", "output": ECHO_SERVER,
                                     "error": None}]
    assert_logged_out(server)


def test_agent_script_exit_status_is_not_a_failure(play):
    result = play.result("agent script, non-zero exit")
    assert not result.get("failed") and result["value"] == "warning on host-002"
    assert executed(play.server("agent script, non-zero exit")) == ["host-002"]


def test_server_script_by_name_and_menu_path(play):
    result, server = play.result("server script by name and menu path"), play.server("server script by name and menu path")
    assert not result.get("failed") and result["changed"] is True
    assert result["value"] == "restart (Linux) on host-001"
    assert result["script"]["menu_path"] == "Linux" and result["script"]["execute_on"] == 1
    assert server["runs"] == ["restart host-001"] and executed(server) == ["host-001"]


def test_menu_path_must_match(play):
    result = play.result("menu path without such a script")
    assert result["failed"] is True and result["error"]["kind"] == "not_found_or_forbidden"
    assert "'Restart service'" in result["msg"] and "'Windows'" in result["msg"]
    assert_nothing_ran(play, "menu path without such a script")


def test_server_script_non_zero_exit(play):
    result, server = play.result("server script fails"), play.server("server script fails")
    assert result["failed"] is True and result["changed"] is True
    assert result["results"][0]["error"] == {"code": -32500, "message": result["results"][0]["error"]["message"],
                                             "data": "check failed on host-001", "kind": "script_failed"}
    assert "check failed on host-001" in result["msg"]
    assert server["runs"] == ["failure host-001"]
    # the audit log keeps the output as the shell printed it; the API strips the newline
    assert server["executions"][0]["error"] == "check failed on host-001\n"
    reported = play.result("server script fails, reported")
    assert not reported.get("failed") and reported["changed"] is True
    assert reported["summary"] == {"total": 2, "succeeded": 0, "failed": 2}
    assert sorted(play.server("server script fails, reported")["runs"]) == ["failure host-001", "failure host-002"]


def test_webhook_debug_logs_and_json(play):
    result = play.result("webhook")
    assert not result.get("failed") and result["changed"] is True
    # Zabbix 6.0 does not resolve {HOST.ID} in scripts.
    assert result["value_json"] == {"status": "sent", "host": "host-001", "hostid": "{HOST.ID}"}
    assert result["debug"]["logs"] == [{"level": 4, "ms": result["debug"]["logs"][0]["ms"],
                                        "message": "[Webhook JSON] sending notification for host-001"}]
    assert isinstance(result["debug"]["ms"], int)
    assert executed(play.server("webhook")) == ["host-001"]
    thrown = play.result("webhook throws")
    assert thrown["failed"] is True
    assert thrown["results"][0]["error"]["data"] == "cannot execute script: boom"
    assert thrown["results"][0]["error"]["kind"] == "script_failed"


def test_default_ping(play):
    result = play.result("default Ping")
    assert not result.get("failed") and result["script"]["name"] == "Ping"
    assert result["value"].startswith("PING 127.0.0.1 (127.0.0.1)")
    assert "3 packets transmitted, 3 received, 0% packet loss" in result["value"]
    assert executed(play.server("default Ping")) == ["Zabbix server"]


def test_fan_out_keeps_the_order_and_runs_each_host_once(play):
    result, server = play.result("fan-out by name"), play.server("fan-out by name")
    hosts = ["host-004", "host-002", "host-005", "host-001", "host-003"]
    assert [r["host"] for r in result["results"]] == hosts
    assert [r["host_id"] for r in result["results"]] == [play.real.hostids[h] for h in hosts]
    assert [r["value"] for r in result["results"]] == [
        "host=%s name=Host %s conn=127.0.0.1" % (h, h[-3:]) for h in hosts]
    assert result["summary"] == {"total": 5, "succeeded": 5, "failed": 0}
    assert "value" not in result
    assert sorted(server["runs"]) == ["echo " + h for h in FAN_OUT_HOSTS]
    assert executed(server) == FAN_OUT_HOSTS
    # one session for the whole fan-out
    assert_logged_out(server)
    by_id = play.result("fan-out by id")
    assert [r["host"] for r in by_id["results"]] == ["host-003", "Zabbix server", "host-001"]
    assert executed(play.server("fan-out by id")) == ["Zabbix server", "host-001", "host-003"]


def test_event_targets(play):
    events = play.real.eventids
    result = play.result("event")
    assert not result.get("failed") and result["changed"] is True
    assert result["value"] == "event=%s name=host-001: Load average is too high host=host-001" % events[0]
    assert result["results"][0]["event_id"] == events[0] and result["results"][0]["host"] == "host-001"
    assert play.server("event")["runs"] == ["event host-001"]
    several = play.result("several events")
    assert [r["event_id"] for r in several["results"]] == [events[1], events[0]]
    assert several["results"][0]["value"] == "event=%s name=host-001: /: Disk space is low host=host-001" % events[1]
    assert play.server("several events")["runs"] == ["event host-001", "event host-001"]


# -- what must not run ----------------------------------------------------------------------------


@pytest.mark.parametrize("name, kind, text", [
    ("host script on an event", "invalid_params", "runs on hosts"),
    ("event script on a host", "invalid_params", "event_id"),
    ("unknown event", "not_found_or_forbidden", "'%s'" % UNKNOWN_ID),
    ("scope 1 script", "unsupported", "action operation"),
    ("unknown host", "not_found_or_forbidden", "'nope'"),
    ("unknown host id", "not_found_or_forbidden", "'%s'" % UNKNOWN_ID),
    ("unknown script", "not_found_or_forbidden", "'No such script'"),
])
def test_refused_before_anything_runs(play, name, kind, text):
    assert_refused_before_anything_ran(play, name, kind, text)


def test_api_token_on_60_runs_nothing_and_says_what_to_do(play):
    for name in ("api token", "check mode, api token"):
        result, server = play.result(name), play.server(name)
        assert result["failed"] is True and result["changed"] is False
        assert result["error"]["kind"] == "unsupported"
        assert "6.0.14 cannot run script.execute with an API token" in result["msg"]
        assert "Nothing was run" in result["msg"] and "username and password" in result["msg"]
        assert server["executions"] == [] and server["runs"] == []
        assert server["logins"] == 0 and server["sessions"] == []


def test_check_mode_runs_nothing(play):
    result = play.result("check mode")
    assert result["changed"] is True and not result.get("failed")
    assert [(r["host"], r["would_execute"]) for r in result["results"]] == [("host-001", True), ("host-002", True)]
    assert all("value" not in r for r in result["results"])
    assert_nothing_ran(play, "check mode")
    assert_logged_out(play.server("check mode"))
    event = play.result("check mode, event")
    assert event["results"][0]["would_execute"] is True and event["changed"] is True
    assert_nothing_ran(play, "check mode, event")


def test_check_mode_knows_the_scripts_host_groups(play):
    result = play.result("check mode, host group")
    assert [(r["host"], r["would_execute"]) for r in result["results"]] == [("host-001", True), ("no-agent", False)]
    assert result["failed"] is True and "no-agent" in result["msg"]
    assert_nothing_ran(play, "check mode, host group")
    # and the server agrees when it runs for real
    real_run = play.result("outside the script's host group")
    assert [r["failed"] for r in real_run["results"]] == [False, True]
    assert real_run["results"][0]["value"] == "canary host-001"
    assert real_run["results"][1]["error"]["kind"] == "not_found_or_forbidden"
    assert real_run["results"][1]["error"]["data"] == "No permissions to referred object or it does not exist!"
    assert play.server("outside the script's host group")["runs"] == ["canary host-001"]


def test_agent_without_an_interface(play):
    result = play.result("agent without an interface")
    assert result["failed"] is True and result["changed"] is False
    error = result["results"][0]["error"]
    assert error == {"code": -32500, "message": error["message"], "kind": "script_failed",
                     "data": "Zabbix agent interface is not defined for host [no-agent]"}
    server = play.server("agent without an interface")
    # The server records the attempt, which never reached an agent.
    assert server["runs"] == []
    assert server["executions"] == [{"hostid": play.real.hostids["no-agent"], "host": "no-agent", "output": None,
                                     "error": "Zabbix agent interface is not defined for host [no-agent]"}]


def test_wrong_password(play):
    result, server = play.result("wrong password"), play.server("wrong password")
    assert result["failed"] is True and result["error"]["kind"] == "auth"
    assert "Incorrect user name or password" in result["msg"]
    assert server["logins"] == 0 and server["failed_logins"] == 1 and server["sessions"] == []
    assert server["executions"] == [] and server["runs"] == []


def test_agent_timeout(play):
    result, server = play.result("agent timeout"), play.server("agent timeout")
    assert result["failed"] is True and result["changed"] is True
    assert result["results"][0]["error"]["data"] == "Timeout while executing a shell script."
    assert result["results"][0]["error"]["kind"] == "script_failed"
    assert server["runs"] == ["sleeps host-001"]
    assert server["executions"][0]["error"] == "Timeout while executing a shell script."


def test_request_timeout_says_the_script_may_have_run(play):
    result, server = play.result("request timeout"), play.server("request timeout")
    assert result["failed"] is True and result["changed"] is True
    assert result["results"][0]["error"]["kind"] == "timeout"
    assert "may have run" in result["msg"]
    # it did: the script started on the server before the client gave up
    assert server["runs"] == ["slow host-002"]


def test_no_secret_in_the_output(play):
    secrets = [play.real.token, OPERATOR["password"], "not-the-password"]
    for name in play.args:
        secrets += [s["sessionid"] for s in play.server(name)["sessions"]]
    assert len(secrets) > 10
    leaked = [s for s in secrets if s in play.run.output]
    assert leaked == [], leaked


def test_every_session_opened_was_closed(play):
    for name in play.args:
        assert [s for s in play.server(name)["sessions"] if s["valid"]] == [], name


def test_adhoc_with_environment_credentials(real, observer):
    observer.mark()
    run = run_adhoc(MODULE, {"script": "Echo host", "hosts": ["host-005", "host-001"]},
                    env={"ZABBIX_URL": URL, "ZABBIX_USERNAME": OPERATOR["username"],
                         "ZABBIX_PASSWORD": OPERATOR["password"]})
    result = only_result(run)
    server = observer.stats()
    assert run.rc == 0, run.output
    assert [r["value"] for r in result["results"]] == ["host=host-005 name=Host 005 conn=127.0.0.1",
                                                       "host=host-001 name=Host 001 conn=127.0.0.1"]
    assert sorted(server["runs"]) == ["echo host-001", "echo host-005"]
    assert_logged_out(server)
    assert real.hostids["host-005"] in [r["host_id"] for r in result["results"]]
