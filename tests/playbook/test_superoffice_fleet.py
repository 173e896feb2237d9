"""SuperOffice Online at fleet scale: a play over 50 hosts logs in once and asks the tenant status at most once.

One ansible-playbook run over 50 inventory hosts (local connection, 10 forks)
against a simulated environment host whose tenant-status answers hold for ten
minutes, and a simulated tenant; the simulators count what arrived:

1. all 50 hosts, linear strategy, ``tenant`` and ``environment`` in
   ``module_defaults``: one ``superoffice_login`` (no ``run_once``) and three
   SuperOffice tasks with its ticket per host, then the same login again;
2. on 10 of them (another tenant each, so each logs in anew): ``run_once``
   on the login; the free strategy;
3. on those 10: the refresh-token flow with an endpoint that rotates refresh
   tokens: one exchange, so every host gets the same new refresh token, hidden;
4. on those 10: a login that is refused: one exchange for all the hosts of the
   task, the same clean failure on each.

Every host's registered variable holds the result; no ticket, token or key
shows in the output.
"""

import fcntl
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import BIN, _run
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    ACCESS_TOKEN, APP_TOKEN, TICKET, SuperOfficeSimulator)

HOSTS = 50
FEW = 10
LOGIN = "scriptbridge.core.superoffice_login"
C = "scriptbridge.core.superoffice_crmscript_execute"
E = "scriptbridge.core.superoffice_event_handlers"
GROUP = "group/scriptbridge.core.superoffice"
TENANTS = {"linear": "Cust12345", "run_once": "Cust23456", "free": "Cust34567", "refused": "Cust45678"}


def system_user_play(name, environment, tenant, hosts="all", strategy="linear", run_once=False, again=False,
                     tasks_per_host=3):
    """A many-host play: log in as the system user, then a script, a script by name and the event handlers."""
    credentials = {"system_user_token": env.SYSTEM_USER_TOKEN, "private_key": env.rsa_xml(env.APPLICATION_KEY)}
    login = {"name": "%s: login" % name, LOGIN: credentials, "register": "login"}
    if run_once:
        login["run_once"] = True
    with_ticket = {"ticket": "{{ login.ticket }}"}
    tasks = [
        login,
        {"name": "%s: script" % name, C: dict(with_ticket, script_id=1, parameters={"name": "{{ inventory_hostname }}"})},
        {"name": "%s: script by name" % name, C: dict(with_ticket, name="Hello")},
        {"name": "%s: event handlers" % name, E: dict(with_ticket, event_type="TicketSave",
                                                      input_values={"ticket.id": "42"})},
    ][:1 + tasks_per_host] + [
        {"name": "%s: what each host registered" % name, "ansible.builtin.set_fact": {
            "login_ok": "{{ login.ticket == '%s' and login.tenant == '%s' and not login.changed }}" % (TICKET, tenant)}},
    ]
    if again:
        tasks.append(dict(login, name="%s: the same login again" % name, register="login_again"))
        tasks.append({"name": "%s: the second login gave the same" % name, "ansible.builtin.set_fact": {
            "login_ok": "{{ login_ok and login_again.ticket == login.ticket }}"}})
    return {"name": name, "hosts": hosts, "gather_facts": False, "strategy": strategy,
            "module_defaults": {GROUP: {"tenant": tenant, "environment": environment, "app_token": APP_TOKEN}},
            "tasks": tasks}


def refresh_play(environment):
    return {"name": "refresh", "hosts": "few", "gather_facts": False,
            "module_defaults": {GROUP: {"environment": environment, "app_token": APP_TOKEN}},
            "tasks": [
                {"name": "refresh: login", LOGIN: {"client_id": env.CLIENT_ID, "refresh_token": env.REFRESH_TOKEN},
                 "register": "refreshed"},
                {"name": "refresh: what each host registered", "ansible.builtin.set_fact": {
                    "refreshed_ok": "{{ refreshed.access_token == '%s' }}" % ACCESS_TOKEN,
                    "new_refresh_token": "{{ refreshed.refresh_token | hash('sha256') }}"}},
                {"name": "refresh: every host", "run_once": True, "ansible.builtin.debug": {"msg": {
                    "ok": "{{ ansible_play_hosts_all | map('extract', hostvars, 'refreshed_ok') | list }}",
                    "tokens": "{{ ansible_play_hosts_all | map('extract', hostvars, 'new_refresh_token') | unique }}"}}},
            ]}


def refused_play(environment):
    return {"name": "refused", "hosts": "few", "gather_facts": False, "tasks": [
        {"name": "refused: login", "ignore_errors": True, LOGIN: {
            "tenant": TENANTS["refused"], "environment": environment, "app_token": APP_TOKEN,
            "system_user_token": "Not the tenant's system user token", "private_key": env.rsa_xml(env.APPLICATION_KEY)}},
    ]}


def run_fleet():
    with SuperOfficeSimulator(mode="online") as tenant, env.EnvironmentHost(status_valid_for=600,
                                                                            rotate_refresh_tokens=True) as host:
        for tenant_id in TENANTS.values():
            host.add_tenant(tenant_id, tenant.url + "/api")
        plays = [
            system_user_play("linear", host.url, TENANTS["linear"], again=True),
            system_user_play("run_once", host.url, TENANTS["run_once"], hosts="few", run_once=True, tasks_per_host=1),
            system_user_play("free", host.url, TENANTS["free"], hosts="few", strategy="free", tasks_per_host=1),
            refresh_play(host.url),
            refused_play(host.url),
        ]
        with tempfile.TemporaryDirectory() as tmp:
            inventory = Path(tmp) / "inventory.ini"
            inventory.write_text("".join("host%02d ansible_connection=local ansible_python_interpreter=%s\n"
                                         % (number, sys.executable) for number in range(1, HOSTS + 1))
                                 + "[few]\n" + "".join("host%02d\n" % number for number in range(1, FEW + 1)))
            playbook = Path(tmp) / "fleet.yml"
            playbook.write_text(json.dumps(plays, indent=1))
            run = _run([str(BIN / "ansible-playbook"), "-i", str(inventory), "-f", "10", str(playbook)], tmp,
                       env={"TMPDIR": tmp}, timeout=1200)
            cache_files = sorted(path.name for path in Path(tmp).glob("scriptbridge-*/*"))
            cache_text = "".join(path.read_text() for path in Path(tmp).glob("scriptbridge-*/*"))
        requests = list(host.requests)
        return {"rc": run.rc, "output": run.output, "entries": run.entries, "requests": requests,
                "executions": tenant.stats()["executions"], "issued": list(host.issued),
                "cache_files": cache_files, "cache_text": cache_text}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """The run's outcome; under xdist the first worker runs it and the others read what it wrote."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return run_fleet()
    shared = tmp_path_factory.getbasetemp().parent
    outcome = shared / "superoffice_fleet.json"
    with open(shared / "superoffice_fleet.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            outcome.write_text(json.dumps(run_fleet()))
    return json.loads(outcome.read_text())


def calls(fleet, endpoint, tenant=None):
    """How many requests of ``endpoint`` reached the environment host (for ``tenant`` only, if given)."""
    found = 0
    for request in fleet["requests"]:
        if request["endpoint"] != endpoint:
            continue
        if tenant is None or request["path"].endswith("/" + tenant) or '"%s"' % tenant in request["body"]:
            found += 1
    return found


def results(fleet, task):
    return [entry for entry in fleet["entries"] if entry["task"] == task]


@pytest.mark.parametrize("play", ["linear", "run_once", "free"])
def test_one_login_exchange_and_one_status_call_for_fifty_hosts(fleet, play):
    tenant = TENANTS[play]
    assert calls(fleet, "authenticate", tenant) == 1, fleet["output"][-3000:]
    assert calls(fleet, "state", tenant) <= 1
    assert calls(fleet, "state", tenant) == 1  # the login's own; the 150 tasks used the kept answer


def test_the_keys_were_read_once_per_login(fleet):
    assert calls(fleet, "jwks") == 3


def hosts_of(play):
    return HOSTS if play == "linear" else FEW


@pytest.mark.parametrize("play", ["linear", "run_once", "free"])
def test_every_host_ran_every_task_with_its_registered_ticket(fleet, play):
    for task in ("script", "script by name", "event handlers")[:3 if play == "linear" else 1]:
        found = results(fleet, "%s: %s" % (play, task))
        assert len(found) == hosts_of(play) and all(entry["status"] == "ok" for entry in found), found[:1]
    assert sorted(entry["result"]["output"] for entry in results(fleet, "%s: script" % play)) == [
        "Hello, host%02d!" % number for number in range(1, hosts_of(play) + 1)]
    for task in ("what each host registered", "the second login gave the same")[:2 if play == "linear" else 1]:
        found = results(fleet, "%s: %s" % (play, task))
        assert [entry["result"]["ansible_facts"]["login_ok"] for entry in found] == [True] * hosts_of(play)


def test_the_login_ran_once_per_host_or_once_with_run_once_and_is_hidden(fleet):
    assert len(results(fleet, "linear: login")) == HOSTS
    assert len(results(fleet, "linear: the same login again")) == HOSTS
    assert len(results(fleet, "run_once: login")) == 1
    assert len(results(fleet, "free: login")) == FEW
    for task in ("linear: login", "run_once: login", "free: login", "linear: the same login again"):
        for entry in results(fleet, task):
            assert entry["status"] == "ok" and "censored" in entry["result"] and "ticket" not in entry["result"]


def test_refresh_tokens_rotate_once_for_the_whole_play(fleet):
    assert calls(fleet, "token") == 1
    (every,) = results(fleet, "refresh: every host")
    assert every["result"]["msg"]["ok"] == [True] * FEW
    # Every host holds the same new refresh token (shown here only as its hash).
    assert len(every["result"]["msg"]["tokens"]) == 1


def test_a_refused_login_is_one_exchange_and_the_same_clean_failure_everywhere(fleet):
    assert calls(fleet, "authenticate", TENANTS["refused"]) == 1 and calls(fleet, "state", TENANTS["refused"]) == 1
    found = results(fleet, "refused: login")
    assert len(found) == FEW and all(entry["status"] == "failed" for entry in found)
    messages = set(entry["result"]["msg"] for entry in found)
    assert len(messages) == 1 and "Revoked" in messages.pop()


def test_nothing_secret_in_the_output_or_the_cache(fleet):
    secrets = [TICKET, ACCESS_TOKEN, APP_TOKEN, env.SYSTEM_USER_TOKEN, env.REFRESH_TOKEN] + fleet["issued"]
    for secret in secrets:
        assert secret not in fleet["output"]
        assert secret not in fleet["cache_text"]
    for entry in fleet["entries"]:
        text = json.dumps(entry["result"])
        for secret in secrets:
            assert secret not in text, entry["task"]


def test_the_status_cache_is_one_file_per_tenant_in_a_private_directory(fleet):
    assert len(fleet["cache_files"]) == len(TENANTS) and all(name.startswith("tenant-status-") for name in fleet["cache_files"])
    assert "Cust12345" in fleet["cache_text"] and "Running" in fleet["cache_text"]
