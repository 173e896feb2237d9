# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SuperOffice Online, unattended: login-service faults and secrets at -vvvv.

Faults: each scenario puts its own fault proxy between the modules and the
simulated environment host. A login service that refuses connections, answers
5xx, answers too late, answers a web page, says ``IsSuccessful: false`` with its
``ErrorMessage``, or echoes the request back, makes superoffice_login fail
cleanly, and makes a SuperOffice module that logs in itself fail before it runs
anything: the tenant records no execution.

Secrets: one -vvvv play logs in with both flows and uses the results; every
secret involved is a canary searched in the output and in every result: the
private key (as RSA-XML fields and as PEM), the system user token, the client
secret, the refresh token, the signed system user token, the JWTs the login
service issued, the minted ticket and the access token. A second -vvvv play
over three hosts shares one login, reuses it, uses the kept tenant status and
refreshes a token that the endpoint rotates: the same canaries and the new
refresh token are searched in its output, its results and the status files.
"""

import base64
import json
import re
import sys

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import BIN, _run, run_play
from ansible_collections.scriptbridge.core.tests.reliability.reliability_helpers import (
    CRMSCRIPT, EVENT_HANDLERS, leaks, no_traceback)
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators.faults import Fault, FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    ACCESS_TOKEN, APP_TOKEN, TICKET, SuperOfficeSimulator)

LOGIN = "scriptbridge.core.superoffice_login"
GROUP = "group/scriptbridge.core.superoffice"
SYSTEM_USER_TOKEN = "Cy-sut-7f3a9c2e41b8d605"
PUBLIC = ("Cust12345",)

pytestmark = pytest.mark.xdist_group("online")


def credentials(environment, tenant="Cust12345"):
    return {"tenant": tenant, "environment": environment, "system_user_token": SYSTEM_USER_TOKEN,
            "private_key": env.rsa_xml(env.APPLICATION_KEY), "app_token": APP_TOKEN, "timeout": 3}


FAULTS = {
    "refused": ([], True),
    "5xx": ([Fault("status", status=502, path="Authenticate", times=None)], False),
    "timeout": ([Fault("delay_reply", seconds=6, path="Authenticate", times=None)], False),
    "html": ([Fault("html_page", status=200, path="Authenticate", times=None)], False),
    "echo": ([Fault("echo", format="superoffice", status=400, path="Authenticate", times=None)], False),
    "status 5xx": ([Fault("status", status=500, path="/api/state/", times=None)], False),
    "status html": ([Fault("html_page", status=200, path="/api/state/", times=None)], False),
    "keys unreachable": ([Fault("status", status=404, path="jwks", times=None)], False),
}


@pytest.fixture(scope="module")
def runs():
    refusal = "Denied: The tenant denied the application access (%s)" % APP_TOKEN
    with SuperOfficeSimulator(mode="online") as tenant, env.EnvironmentHost() as host, \
            env.EnvironmentHost(fail_login=refusal) as refusing:
        for sim in (host, refusing):
            sim.add_tenant("Cust12345", tenant.url + "/api", system_user_token=SYSTEM_USER_TOKEN)
        proxies = {}
        tasks = []
        for name, (faults, down) in FAULTS.items():
            proxy = FaultProxy(host.url, faults).start()
            if down:
                proxy.down()
            proxies[name] = proxy
            tasks.append({"name": "login: %s" % name, LOGIN: credentials(proxy.url)})
            tasks.append({"name": "module: %s" % name, CRMSCRIPT: dict(credentials(proxy.url), script_id=1)})
        tasks.append({"name": "login: IsSuccessful false", LOGIN: credentials(refusing.url)})
        tasks.append({"name": "module: IsSuccessful false", EVENT_HANDLERS: dict(credentials(refusing.url),
                                                                                 event_type="TicketSave")})
        try:
            faults = run_play(tasks, control=[tenant.url])
            host.reset()
            secrets = run_play(secret_tasks(host, tenant), verbosity=4, control=[tenant.url, host.url])
            issued, signed = list(host.issued), list(host.signed)
        finally:
            for proxy in proxies.values():
                proxy.stop()
        yield {"faults": faults, "secrets": secrets, "issued": issued, "signed": signed,
               "proxies": dict((name, list(proxy.log)) for name, proxy in proxies.items())}


def secret_tasks(host, tenant):
    """Both flows at -vvvv: login and reuse, the system user on a module, refused logins."""
    return [
        {"name": "login", LOGIN: credentials(host.url), "register": "login"},
        {"name": "reuse", "module_defaults": {GROUP: {"url": "{{ login.url }}", "ticket": "{{ login.ticket }}",
                                                      "app_token": APP_TOKEN}},
         "block": [{"name": "script with the ticket", CRMSCRIPT: {"script_id": 11}},
                   {"name": "handlers with the ticket", EVENT_HANDLERS: {"event_type": "TicketSave"}}]},
        {"name": "refresh", LOGIN: {"client_id": env.CLIENT_ID, "app_token": APP_TOKEN,
                                    "refresh_token": env.REFRESH_TOKEN, "environment": host.url},
         "register": "refreshed"},
        {"name": "script with the access token",
         CRMSCRIPT: {"url": "{{ refreshed.url }}", "script_id": 1, "access_token": "{{ refreshed.access_token }}"}},
        {"name": "system user on the module", CRMSCRIPT: dict(credentials(host.url), script_id=1)},
        {"name": "login with PEM", LOGIN: dict(credentials(host.url), private_key=env.pem(env.APPLICATION_KEY))},
        {"name": "wrong key", LOGIN: dict(credentials(host.url), private_key=env.pem(env.OTHER_KEY))},
        {"name": "refresh refused", LOGIN: {"client_id": env.CLIENT_ID, "app_token": APP_TOKEN,
                                            "refresh_token": env.REFRESH_TOKEN[::-1], "environment": host.url}},
        # A ticket and the system user in one task are refused, and the refusal shows neither.
        {"name": "given ticket with the system user", CRMSCRIPT: dict(credentials(host.url), ticket=TICKET,
                                                                      script_id=1)},
    ]


# -- faults ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FAULTS) + ["IsSuccessful false"])
def test_a_login_fault_is_a_clean_failure_that_ran_nothing(runs, name):
    run = runs["faults"]
    for task in ("login: %s" % name, "module: %s" % name):
        result = run[task]
        assert result["failed"] is True, (task, result)
        no_traceback(run, result)
        assert "Nothing was run" in result["msg"] or "Cannot connect" in result["msg"] or \
            "No answer" in result["msg"], (task, result["msg"])
        assert "may have run" not in result["msg"] and result["changed"] is False, (task, result)
    sims = [entry["sims"] for entry in run.entries if entry["task"] == "module: %s" % name][-1]
    assert sims[0]["executions"] == [] and sims[0]["requests"] == 0


def test_each_fault_happened(runs):
    run = runs["faults"]
    assert "Cannot connect" in run["login: refused"]["msg"]
    assert "HTTP 502" in run["login: 5xx"]["msg"]
    assert "No answer" in run["login: timeout"]["msg"]
    assert "not JSON" in run["login: html"]["msg"]
    assert "Denied" in run["login: IsSuccessful false"]["msg"]
    assert "HTTP 500" in run["login: status 5xx"]["msg"] and "not JSON" in run["login: status html"]["msg"]
    assert "login_certificate" in run["login: keys unreachable"]["msg"]
    # The echo really carried the secrets, and they came back masked.
    echoed = [entry["body"] for entry in runs["proxies"]["echo"] if "Authenticate" in entry["path"]]
    assert echoed and APP_TOKEN in echoed[0] and SYSTEM_USER_TOKEN in echoed[0]
    assert "********" in run["login: echo"]["msg"]
    assert APP_TOKEN not in run["login: IsSuccessful false"]["msg"]


# -- secrets -------------------------------------------------------------------------------------------------------------


def key_forms():
    numbers = env.APPLICATION_KEY.private_numbers()
    forms = []
    for value in (numbers.d, numbers.p, numbers.q, numbers.dmp1, numbers.dmq1, numbers.iqmp):
        forms.append(base64.b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).decode())
    pem_body = "".join(line for line in env.pem(env.APPLICATION_KEY).splitlines() if "-----" not in line)
    # The PEM body from its 64th character on: its start is the public structure every key shares.
    forms.append(pem_body[64:])
    return forms


def canaries(runs):
    found = {
        "private key": key_forms(),
        "system user token": [SYSTEM_USER_TOKEN],
        "client secret": [APP_TOKEN],
        "refresh token": [env.REFRESH_TOKEN, env.REFRESH_TOKEN[::-1]],
        "ticket": [TICKET],
        "access token": [ACCESS_TOKEN],
        "issued JWTs": [token.rsplit(".", 1)[1] for token in runs["issued"]]
        + [token.split(".")[1] for token in runs["issued"]],
        "signed system user tokens": [token.rsplit(".", 1)[1] for token in runs["signed"]],
    }
    return found


def test_the_secret_run_used_every_secret(runs):
    run = runs["secrets"]
    for name in ("script with the ticket", "handlers with the ticket", "script with the access token",
                 "system user on the module", "login with PEM"):
        assert not run[name].get("failed"), (name, run[name])
    assert run["given ticket with the system user"]["failed"]
    assert "one way to authenticate" in run["given ticket with the system user"]["msg"]
    assert run["wrong key"]["failed"] and run["refresh refused"]["failed"]
    # Logins: the login, the system user on the module, PEM (the wrong key is refused before a token is issued).
    assert len(runs["issued"]) >= 4 and len(runs["signed"]) >= 4
    # The script that prints the request headers ran; it leaves credential headers out.
    assert "user-agent" in run["script with the ticket"]["output"].lower()
    assert "authorization" not in run["script with the ticket"]["output"].lower()


def test_no_secret_at_vvvv(runs):
    run = runs["secrets"]
    secrets = canaries(runs)
    assert not leaks(run.stdout, secrets, PUBLIC), leaks(run.stdout, secrets, PUBLIC)
    assert not leaks(run.stderr, secrets, PUBLIC), leaks(run.stderr, secrets, PUBLIC)
    for entry in run.entries:
        text = json.dumps(entry["result"])
        assert not leaks(text, secrets, PUBLIC), (entry["task"], leaks(text, secrets, PUBLIC))
    # -vvvv really was verbose: the connection and module transfer show.
    assert re.search(r"ESTABLISH LOCAL CONNECTION", run.stdout)


def test_the_leak_search_finds_a_key_fragment():
    secrets = {"private key": key_forms()}
    assert leaks("x" + key_forms()[0][10:30] + "y", secrets, PUBLIC)
    assert not leaks("nothing here ********", secrets, PUBLIC)


# -- secrets when many hosts share one login ---------------------------------------------------------------------------


FLEET = 3


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three hosts at -vvvv: one login shared, a second one reused, the kept tenant status, a rotated refresh token."""
    tmp = tmp_path_factory.mktemp("fleet")
    with SuperOfficeSimulator(mode="online") as tenant, \
            env.EnvironmentHost(status_valid_for=300, rotate_refresh_tokens=True) as host:
        host.add_tenant("Cust12345", tenant.url + "/api", system_user_token=SYSTEM_USER_TOKEN)
        system_user = dict((k, v) for k, v in credentials(host.url).items() if k in ("system_user_token", "private_key"))
        play = {"name": "fleet", "hosts": "all", "gather_facts": False,
                "module_defaults": {GROUP: {"tenant": "Cust12345", "environment": host.url, "app_token": APP_TOKEN}},
                "tasks": [
                    {"name": "login", LOGIN: system_user, "register": "login"},
                    {"name": "login again", LOGIN: system_user, "register": "again"},
                    {"name": "script with the kept status",
                     CRMSCRIPT: {"ticket": "{{ login.ticket }}", "script_id": 1}},
                    {"name": "refresh", LOGIN: {"client_id": env.CLIENT_ID, "refresh_token": env.REFRESH_TOKEN},
                     "register": "refreshed"},
                    {"name": "script with the access token", CRMSCRIPT: {
                        "access_token": "{{ refreshed.access_token }}", "script_id": 1}},
                    {"name": "what the hosts hold", "ansible.builtin.set_fact": {
                        "same": "{{ again.ticket == login.ticket and refreshed.refresh_token is defined }}"}},
                ]}
        inventory = tmp / "inventory.ini"
        inventory.write_text("".join("fleet%d ansible_connection=local ansible_python_interpreter=%s\n"
                                     % (number, sys.executable) for number in range(FLEET)))
        playbook = tmp / "fleet.yml"
        playbook.write_text(json.dumps([play]))
        run = _run([str(BIN / "ansible-playbook"), "-i", str(inventory), "-vvvv", str(playbook)], str(tmp),
                   env={"TMPDIR": str(tmp)})
        files = "".join(path.read_text() for path in tmp.glob("scriptbridge-*/*"))
        rotated = [token for token in host.issued if token.startswith(env.ROTATED_PREFIX)]
        yield {"run": run, "issued": [token for token in host.issued if token not in rotated], "rotated": rotated,
               "signed": list(host.signed), "cache": files, "endpoints": host.stats()["endpoints"]}


def test_many_hosts_at_vvvv_log_in_once_and_refresh_once(fleet):
    run = fleet["run"]
    assert fleet["endpoints"].get("authenticate") == 1 and fleet["endpoints"].get("token") == 1
    assert fleet["endpoints"].get("state") == 1
    facts = [entry["result"]["ansible_facts"]["same"] for entry in run.entries if entry["task"] == "what the hosts hold"]
    assert facts == [True] * FLEET, run.output[-3000:]
    assert "reusing this run's login" in run.stdout
    # The rotated refresh token is one of the canaries below.
    assert len(fleet["rotated"]) == 1


def test_no_secret_at_vvvv_when_hosts_share_the_login(fleet):
    run = fleet["run"]
    secrets = canaries(fleet)
    secrets["rotated refresh token"] = fleet["rotated"]
    for text in (run.stdout, run.stderr, fleet["cache"]):
        assert not leaks(text, secrets, PUBLIC), leaks(text, secrets, PUBLIC)
    for entry in run.entries:
        text = json.dumps(entry["result"])
        assert not leaks(text, secrets, PUBLIC), (entry["task"], leaks(text, secrets, PUBLIC))
    assert "Running" in fleet["cache"]
