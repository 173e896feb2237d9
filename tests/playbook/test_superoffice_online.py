"""SuperOffice Online, unattended, through real ansible-playbook runs against simulated Online.

One play runs against a simulated environment host (login service, keys, token
endpoint, tenant status) and simulated tenants: superoffice_login in both flows,
then scripts and event handlers with its ticket; tenant discovery; every tenant
state; a tenant that moved (421); a ticket refused (401) that the module minted
itself, and one that it was given. The tests read the results and what each
simulator recorded for each task.
"""

import fcntl
import json
import os

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.faults import Fault, FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    ACCESS_TOKEN, APP_TOKEN, PASSWORD, TICKET, USERNAME, SuperOfficeSimulator)

LOGIN = "scriptbridge.core.superoffice_login"
C = "scriptbridge.core.superoffice_crmscript_execute"
E = "scriptbridge.core.superoffice_event_handlers"
GROUP = "group/scriptbridge.core.superoffice"
STOPPED = [state for state in env.STATES if state not in env.RUNNING]
EXPIRED_TICKET = "7T:ZXhwaXJlZC10aWNrZXQtb2YteWVzdGVyZGF5"


def task(name, module, args, **keys):
    return dict({"name": name, module: args}, **keys)


def system_user(host, tenant="Cust12345"):
    """What a play knows in the system user flow: tenant id, environment, token, key, client secret."""
    return {"tenant": tenant, "environment": host.url, "system_user_token": env.SYSTEM_USER_TOKEN,
            "private_key": env.rsa_xml(env.APPLICATION_KEY), "app_token": APP_TOKEN}


def the_tasks(host, bad_host, tenant, key_file):
    """The play: login once and reuse, then discovery, states, 421, 401 and the Online rules."""
    found = {"tenant": "Cust12345", "environment": host.url, "ticket": TICKET, "app_token": APP_TOKEN}
    tasks = [
        task("login", LOGIN, system_user(host), register="login"),
        task("what the login returned", "ansible.builtin.set_fact",
             {"login_keys": "{{ login.keys() | sort }}", "login_url": "{{ login.url }}",
              "login_ticket_ok": "{{ login.ticket == '%s' }}" % TICKET}),
        {"name": "tasks with the login's ticket", "module_defaults": {GROUP: {
            "url": "{{ login.url }}", "ticket": "{{ login.ticket }}", "app_token": APP_TOKEN}}, "block": [
            task("script with the login's ticket", C, {"script_id": 1, "parameters": {"name": "Online"}}),
            task("script by name with the login's ticket", C, {"name": "Hello"}),
            task("event handlers with the login's ticket", E,
                 {"event_type": "TicketSave", "input_values": {"ticket.id": "42", "zabbix.script": "Ping"}}),
            task("check mode with the login's ticket", C, {"script_id": 1}, check_mode=True),
        ]},
        task("login with the key in a file", LOGIN, dict(
            [(k, v) for k, v in system_user(host).items() if k != "private_key"], private_key_path=str(key_file))),
        task("login in check mode", LOGIN, system_user(host), check_mode=True, register="checked_login"),
        task("refresh login", LOGIN, {"client_id": env.CLIENT_ID, "app_token": APP_TOKEN,
                                      "refresh_token": env.REFRESH_TOKEN, "environment": host.url},
             register="refreshed"),
        task("what the refresh returned", "ansible.builtin.set_fact",
             {"refresh_keys": "{{ refreshed.keys() | sort }}", "refresh_expires": "{{ refreshed.expires }}",
              "refresh_token_ok": "{{ refreshed.access_token == '%s' }}" % ACCESS_TOKEN}),
        task("script with the refreshed token", C, {"url": "{{ refreshed.url }}",
                                                    "access_token": "{{ refreshed.access_token }}", "script_id": 1}),
        task("refresh with a revoked token", LOGIN, {"client_id": env.CLIENT_ID, "app_token": APP_TOKEN,
                                                     "refresh_token": "revoked-refresh-token-0",
                                                     "environment": host.url}),
        task("discovery with a ticket", C, dict(found, script_id=1)),
        task("discovery for event handlers", E, dict(found, event_type="TicketSave")),
        task("system user on the module", C, dict(system_user(host), script_id=1)),
        task("system user on the event handlers", E, dict(system_user(host), event_type="TicketSave")),
        task("system user in OnlineMaintenance", C, dict(system_user(host, "Cust5"), script_id=1)),
        task("tenant moved: 421, status again, resend", C, dict(found, tenant="Cust421", script_id=1)),
        task("self-minted ticket refused once", C, dict(system_user(host, "Cust401"), script_id=1)),
        task("given ticket refused", C, {"url": tenant.url, "ticket": EXPIRED_TICKET, "app_token": APP_TOKEN,
                                         "script_id": 1}),
        task("given ticket refused after discovery", C, dict(found, ticket=EXPIRED_TICKET, script_id=1)),
        task("login with a token that does not validate", LOGIN, system_user(bad_host)),
        task("system user with a token that does not validate", C, dict(system_user(bad_host), script_id=1)),
        task("login with the wrong key", LOGIN, dict(system_user(host), private_key=env.pem(env.OTHER_KEY))),
        task("unknown tenant", C, dict(found, tenant="Cust999", script_id=1)),
        task("url and tenant: the url wins", C, {"url": tenant.url, "ticket": TICKET, "app_token": APP_TOKEN,
                                                 "script_id": 1},
             environment={"SUPEROFFICE_TENANT": "Cust12345", "SUPEROFFICE_ENVIRONMENT": host.url}),
        task("ticket and system user: the ticket wins", C, {"tenant": "Cust12345", "environment": host.url,
                                                            "ticket": TICKET, "app_token": APP_TOKEN, "script_id": 1},
             environment={"SUPEROFFICE_SYSTEM_USER_TOKEN": env.SYSTEM_USER_TOKEN,
                          "SUPEROFFICE_PRIVATE_KEY": env.rsa_xml(env.APPLICATION_KEY)}),
        task("url and tenant in one task", C, dict(found, url=tenant.url, script_id=1)),
        task("ticket and system user in one task", C, dict(system_user(host), ticket=TICKET, script_id=1)),
        task("system user without tenant", C, dict(system_user(host), tenant=None, url=tenant.url, script_id=1)),
        task("basic on a tenant-like path is sent", C, {"url": tenant.url, "username": USERNAME,
                                                        "password": PASSWORD, "script_id": 1}),
        task("basic on superoffice.com is refused", C, {"url": "https://online2.superoffice.com/Cust12345",
                                                        "username": USERNAME, "password": PASSWORD, "script_id": 1}),
        task("ticket on superoffice.com needs app_token", C, {"url": "https://online2.superoffice.com/Cust12345",
                                                              "ticket": TICKET, "script_id": 1}),
    ]
    for state in STOPPED:
        tasks.append(task("tenant %s" % state, C, dict(found, tenant="Cust%d" % env.STATES[state], script_id=1)))
        tasks.append(task("login to a tenant %s" % state, LOGIN, system_user(host, "Cust%d" % env.STATES[state])))
    return tasks


def run_everything(key_dir):
    # "moved" answers 421 to any Host but 127.0.0.1; bad_host signs its tokens with a key it does not publish.
    with SuperOfficeSimulator(mode="online") as tenant, \
            SuperOfficeSimulator(mode="online", expected_host="127.0.0.1") as moved, \
            env.EnvironmentHost() as host, env.EnvironmentHost(token_key="other") as bad_host:
        proxy = FaultProxy(tenant.root_url, [Fault("status", status=401, path="/Execute", nth=1, body="")]).start()
        try:
            api = tenant.url + "/api"
            host.add_tenant("Cust12345", api)
            host.add_tenant("Cust421", "http://localhost:%d/Cust12345/api" % moved.port, moved.url + "/api")
            host.add_tenant("Cust401", proxy.url + tenant.base + "/api")
            for state, number in env.STATES.items():
                if state != "Running":
                    host.add_tenant("Cust%d" % number, api, state=state)
            bad_host.add_tenant("Cust12345", api)
            key_file = os.path.join(key_dir, "application.xml")
            with open(key_file, "w", encoding="utf-8") as handle:
                handle.write(env.rsa_xml(env.APPLICATION_KEY))
            run = run_play(the_tasks(host, bad_host, tenant, key_file),
                           control=[tenant.url, moved.url, host.url, bad_host.url])
            proxied = [{"path": e["path"], "action": e["action"]} for e in proxy.log]
            tenant_url = tenant.url
        finally:
            proxy.stop()
    return {"rc": run.rc, "output": run.stdout + run.stderr, "entries": run.entries, "proxied": proxied,
            "tenant_url": tenant_url}


class World:
    def __init__(self, data):
        self.data = data
        self.entries = data["entries"]
        self.output = data["output"]

    def entry(self, name):
        found = [e for e in self.entries if e["task"] == name]
        assert found, "no result for %r:\n%s" % (name, self.output[-4000:])
        return found[-1]

    def result(self, name):
        return self.entry(name)["result"]

    def tenant_stats(self, name):
        return [s for s in self.entry(name)["sims"] if not s.get("environment")]

    def environment(self, name, endpoint):
        return sum(s["endpoints"].get(endpoint, 0) for s in self.entry(name)["sims"] if s.get("environment"))

    def executions(self, name):
        return [e for s in self.tenant_stats(name) for e in s["executions"]]

    def hosts(self, name):
        return [x["request"]["headers"].get("Host") for s in self.tenant_stats(name) for x in s["exchanges"]]

    def statuses(self, name):
        return [x["response"]["status"] for s in self.tenant_stats(name) for x in s["exchanges"]]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return World(run_everything(str(tmp_path_factory.mktemp("keys"))))
    shared = tmp_path_factory.getbasetemp().parent
    outcome = shared / "superoffice_online.json"
    with open(shared / "superoffice_online.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            outcome.write_text(json.dumps(run_everything(str(tmp_path_factory.mktemp("keys")))))
    return World(json.loads(outcome.read_text()))


def assert_refused(world, name, *texts):
    result = world.result(name)
    assert result["failed"] is True, result
    for text in texts:
        assert text in result["msg"], result["msg"]
    assert "Traceback" not in json.dumps(result) and "module_stderr" not in result, result
    return result


def ok(world, name):
    result = world.result(name)
    assert not result.get("failed"), result
    return result


# -- login once, reuse -------------------------------------------------------------------------------------------


def test_a_play_knowing_only_the_tenant_runs_a_script_and_the_event_handlers(world):
    """The tenant id, environment, system user token, private key and client secret are all it takes."""
    assert ok(world, "script with the login's ticket")["output"] == "Hello, Online!"
    assert ok(world, "script by name with the login's ticket")["output"] == "Hello, World!"
    event = ok(world, "event handlers with the login's ticket")
    assert event["message"] == "Remediation requested for ticket 42"
    assert event["output_values"] == {"zabbix.script": "Ping"}
    assert event["event"]["state_values"]["ticketSave.handled"] == "true"
    assert ok(world, "check mode with the login's ticket")["changed"] is True
    assert [e["id"] for e in world.executions("script with the login's ticket")] == [1]


def test_one_login_exchange_and_one_status_call_for_the_whole_play(world):
    names = ["login", "what the login returned", "script with the login's ticket",
             "script by name with the login's ticket", "event handlers with the login's ticket",
             "check mode with the login's ticket"]
    assert sum(world.environment(name, "authenticate") for name in names) == 1
    assert sum(world.environment(name, "state") for name in names) == 1
    assert sum(world.environment(name, "jwks") for name in names) == 1
    # The scripts went straight to the tenant's address, with the minted ticket.
    for name in names[2:]:
        assert world.environment(name, "state") == 0 and world.executions(name) or "check" in name


def test_the_login_result_is_hidden_but_registered(world):
    login = world.result("login")
    assert login["changed"] is False and "censored" in login and "ticket" not in login
    facts = ok(world, "what the login returned")["ansible_facts"]
    assert facts["login_keys"] == ["changed", "failed", "tenant", "ticket", "url"]
    assert facts["login_url"] == world.data["tenant_url"]
    assert facts["login_ticket_ok"] is True
    assert TICKET not in world.output


def test_the_key_from_a_file_and_check_mode(world):
    ok(world, "login with the key in a file")
    assert world.environment("login with the key in a file", "authenticate") == 1
    ok(world, "login in check mode")
    assert world.environment("login in check mode", "authenticate") == 1


def test_refresh_token_flow(world):
    ok(world, "refresh login")
    assert world.environment("refresh login", "token") == 1 and world.environment("refresh login", "state") == 1
    facts = ok(world, "what the refresh returned")["ansible_facts"]
    assert facts["refresh_keys"] == ["access_token", "changed", "expires", "failed", "tenant", "url"]
    assert facts["refresh_expires"].endswith("Z") and facts["refresh_token_ok"] is True
    assert ok(world, "script with the refreshed token")["output"] == "Hello, World!"
    result = assert_refused(world, "refresh with a revoked token", "HTTP 400", "Nothing was run")
    assert "revoked-refresh-token-0" not in json.dumps(result)


# -- discovery, states, 421, 401 ---------------------------------------------------------------------------------


def test_discovery_asks_the_status_once_and_runs(world):
    for name in ("discovery with a ticket", "discovery for event handlers"):
        ok(world, name)
        assert world.environment(name, "state") == 1 and world.environment(name, "authenticate") == 0
    assert [e["id"] for e in world.executions("discovery with a ticket")] == [1]


def test_system_user_on_the_modules(world):
    for name in ("system user on the module", "system user on the event handlers",
                 "system user in OnlineMaintenance"):
        ok(world, name)
        assert world.environment(name, "state") == 1 and world.environment(name, "authenticate") == 1


@pytest.mark.parametrize("state", STOPPED)
def test_a_tenant_that_is_not_running_is_refused_naming_its_state(world, state):
    for name in ("tenant %s" % state, "login to a tenant %s" % state):
        assert_refused(world, name, "is %s" % state, "Nothing was run")
        assert world.executions(name) == [] and world.environment(name, "authenticate") == 0


def test_a_tenant_that_moved_is_asked_again_and_the_request_resent_once(world):
    name = "tenant moved: 421, status again, resend"
    assert ok(world, name)["output"] == "Hello, World!"
    assert world.environment(name, "state") == 2
    assert world.statuses(name) == [421, 200]
    assert world.hosts(name)[0].startswith("localhost:") and world.hosts(name)[1].startswith("127.0.0.1:")
    assert len(world.executions(name)) == 1


def test_a_self_minted_ticket_refused_gets_one_new_login_and_one_resend(world):
    name = "self-minted ticket refused once"
    ok(world, name)
    assert world.environment(name, "authenticate") == 2
    assert [p["action"] for p in world.data["proxied"] if "Execute" in p["path"]] == ["status", "forward"]
    assert len(world.executions(name)) == 1


def test_a_given_ticket_refused_says_how_to_get_a_new_one(world):
    for name in ("given ticket refused", "given ticket refused after discovery"):
        result = assert_refused(world, name, "expired", "revoked", "superoffice_login")
        assert result["error"]["code"] == 401 and world.executions(name) == []
        assert world.environment(name, "authenticate") == 0


def test_a_login_that_fails_or_does_not_validate_runs_nothing(world):
    assert_refused(world, "login with a token that does not validate", "not trusted", "signature")
    assert_refused(world, "system user with a token that does not validate", "not trusted")
    assert world.executions("system user with a token that does not validate") == []
    assert_refused(world, "login with the wrong key", "signature", "Nothing was run")
    assert_refused(world, "unknown tenant", "Cust999", "Unknown")


def test_what_wins_when_options_overlap(world):
    """An AWX credential injects SUPEROFFICE_TENANT and the system user; a task's url and ticket still win.

    Set in one task, the two ways conflict and nothing is sent.
    """
    ok(world, "url and tenant: the url wins")
    assert world.environment("url and tenant: the url wins", "state") == 0
    ok(world, "ticket and system user: the ticket wins")
    assert world.environment("ticket and system user: the ticket wins", "authenticate") == 0
    assert world.environment("ticket and system user: the ticket wins", "state") == 1
    for name, text in (("url and tenant in one task", "either url or tenant"),
                       ("ticket and system user in one task", "one way to authenticate")):
        assert_refused(world, name, text)
        assert world.executions(name) == []
        assert world.environment(name, "authenticate") == 0 and world.environment(name, "state") == 0
    assert_refused(world, "system user without tenant", "tenant")
    assert world.executions("system user without tenant") == []
    assert world.environment("system user without tenant", "authenticate") == 0


# -- Online rules by host only -------------------------------------------------------------------------------------


def test_a_tenant_like_path_elsewhere_is_left_to_the_server(world):
    result = assert_refused(world, "basic on a tenant-like path is sent", "HTTP 401", "Online", "Onsite")
    assert result["error"]["code"] == 401
    assert world.statuses("basic on a tenant-like path is sent") == [401]


def test_superoffice_com_hosts_follow_online_rules_before_sending(world):
    assert_refused(world, "basic on superoffice.com is refused", "Online does not accept username and password")
    assert_refused(world, "ticket on superoffice.com needs app_token", "Online needs app_token")
