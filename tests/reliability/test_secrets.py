# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""No secret ever shows: every module and role, success and failure, at -vvvv.

Every secret option gets a canary. Where a simulator lets the test choose the
credential (Zabbix's HTTP Basic password), the canary is the valid value.
Elsewhere the simulators have fixed credentials: success paths use those
constants and the test looks for them; failure paths use wrong canaries.
Session ids that Zabbix hands out are read off the wire (the proxy's log)
and looked for as well.

The output searched is ansible-playbook's stdout and stderr at -vvvv and
every task result as registered. A secret counts as leaked when any 8
characters of it show (so a message cut in the middle of a token is caught),
or its Basic-auth or URL-encoded form does.

The fault proxy's ``echo`` action plays a server that repeats the request
(credential headers first, then the body) in its error page, its JSON-RPC
error ``data`` or its SuperOffice ``ErrorMessage``: the modules must mask
what the server echoes.
"""

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.reliability.reliability_helpers import (
    CRMSCRIPT, EVENT_HANDLERS, LEAK_WINDOW, ZABBIX, leaks, no_traceback)
from ansible_collections.scriptbridge.core.tests.simulators.faults import Fault, FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_sim as so
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

ROOT = Path(__file__).resolve().parents[2]

# Valid where the simulator lets the test choose it.
ZABBIX_HTTP_PASSWORD = "Cy-http-ok-0c4e7b19d2"
ZABBIX_PASSWORD = "operator-pass"
# Wrong canaries, for the failure paths.
WRONG = {
    "zabbix password": "Cy-zbx-pw-a9d3e1f4b7",
    "zabbix api_token": hashlib.sha256(b"zabbix api_token canary").hexdigest(),
    "zabbix http_password": "Cy-http-wr-7e21aa53c9",
    "superoffice password": "Cy-so-pw-3f9b1c55e0",
    "superoffice ticket": "7T:" + base64.b64encode(b"canary-ticket-b4f9e2d61a").decode("ascii"),
    "superoffice access_token": "8A:Cy-at-5d2c8e71f0a4",
    "superoffice app_token": "Cy-app-91ab77c2e8f3",
    "superoffice xsrf_token": "Cy-xsrf-6e0d4a17b5c2",
}
VALID = {
    "zabbix password": ZABBIX_PASSWORD,
    "zabbix api_token": API_TOKEN,
    "zabbix http_password": ZABBIX_HTTP_PASSWORD,
    "superoffice password": so.PASSWORD,
    "superoffice ticket": so.TICKET,
    "superoffice access_token": so.ACCESS_TOKEN,
    "superoffice app_token": so.APP_TOKEN,
    "superoffice xsrf_token": so.XSRF_TOKEN,
}
BASIC = {
    "zabbix http basic": ("web", ZABBIX_HTTP_PASSWORD),
    "zabbix http basic (wrong)": ("web", WRONG["zabbix http_password"]),
    "superoffice basic": (so.USERNAME, so.PASSWORD),
    "superoffice basic (wrong)": (so.USERNAME, WRONG["superoffice password"]),
}
# Public words that parts of the fixed credentials happen to contain (the tenant, a user name).
PUBLIC = ("Cust12345", "operator", "tje0")

# The tests share one module-scoped run: keep them on one worker (pytest -n 2 --dist loadgroup).
pytestmark = pytest.mark.xdist_group("secrets")


def secret_forms():
    """label -> the strings that must never show."""
    forms = {}
    for kind, table in (("valid", VALID), ("wrong", WRONG)):
        for label, secret in table.items():
            forms["%s %s" % (kind, label)] = [secret, quote(secret, safe="")]
    for label, (user, password) in BASIC.items():
        forms[label] = [base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")]
    return forms


class Plays:
    """Runs plays whose tasks each get their own proxy in front of a simulator; keeps every proxy's log."""

    def __init__(self):
        self.proxies = []
        self.runs = []

    def via(self, upstream, *faults, down=False):
        proxy = FaultProxy(upstream, faults).start()
        if down:
            proxy.down()
        self.proxies.append(proxy)
        return proxy.url

    def play(self, tasks, **kwargs):
        run = run_play(tasks, verbosity=4, **kwargs)
        self.runs.append(run)
        return run

    def stop(self):
        for proxy in self.proxies:
            proxy.stop()

    def session_ids(self):
        """Credentials seen on the wire that are not canaries: Zabbix session ids."""
        found = set()
        for proxy in self.proxies:
            for entry in proxy.log:
                bearer = re.match(r"Bearer (\S+)", entry["headers"].get("Authorization", ""))
                if bearer:
                    found.add(bearer.group(1))
                match = re.search(r'"auth":"([^"]+)"', entry["body"])
                if match:
                    found.add(match.group(1))
        known = set(VALID.values()) | set(WRONG.values())
        return sorted(found - known)


# -- Zabbix ------------------------------------------------------------------------------------------------------


def zabbix_tasks(plays, sim):
    """Success and failure paths of zabbix_script_execute on one version.

    6.0 sends credentials in the body, behind HTTP Basic (whose password is a
    canary the simulator accepts); 7.0 sends them in the Authorization header.
    """
    v = sim.version
    basic = {"http_username": "web", "http_password": ZABBIX_HTTP_PASSWORD} if v == "6.0" else {}

    def task(name, faults=(), down=False, check=False, **args):
        module_args = dict(basic, url=plays.via(sim.url, *faults, down=down), script_id="10", host="host-001")
        module_args.update(args)
        entry = {"name": "%s %s" % (v, name), ZABBIX: dict((k, a) for k, a in module_args.items() if a is not None)}
        if check:
            entry["check_mode"] = True
        return entry

    login = {"username": "operator", "password": ZABBIX_PASSWORD}
    execute = {"rpc": "script.execute"}
    if v == "6.0":
        return [
            task("password: success", **login),
            task("password: check mode", check=True, **login),
            task("wrong password", username="operator", password=WRONG["zabbix password"]),
            task("wrong http_password", http_password=WRONG["zabbix http_password"], **login),
            task("api_token and password", api_token=WRONG["zabbix api_token"], username="operator",
                 password=WRONG["zabbix password"]),
            task("password in the url", url="http://operator:%s@127.0.0.1:%d" % (WRONG["zabbix password"], sim.port),
                 **login),
            task("echo page on script.execute", [Fault("echo", **execute)], **login),
            task("echo JSON-RPC error on script.execute", [Fault("echo", format="jsonrpc", **execute)], **login),
            task("echo JSON-RPC error on user.login", [Fault("echo", format="jsonrpc", rpc="user.login")], **login),
            # 6.0 cannot run scripts with a token: the module says so before anything runs.
            task("token refused on 6.0", api_token=API_TOKEN),
            task("wrong api_token", api_token=WRONG["zabbix api_token"]),
        ]
    return [
        task("token: success", api_token=API_TOKEN),
        task("password: success", **login),
        task("password: two hosts, one fails", hosts=["host-001", "no-agent"], host=None, fail_on_error=False, **login),
        task("wrong api_token", api_token=WRONG["zabbix api_token"]),
        task("api_token of the wrong length", api_token=WRONG["zabbix password"]),
        task("unreachable", down=True, **login),
        task("token: echo JSON-RPC error on script.execute", [Fault("echo", format="jsonrpc", **execute)],
             api_token=API_TOKEN),
        task("token: echo page on script.get", [Fault("echo", rpc="script.get")], api_token=API_TOKEN),
        task("echo page on user.login", [Fault("echo", rpc="user.login")], **login),
        task("echo JSON-RPC error on script.execute", [Fault("echo", format="jsonrpc", **execute)], **login),
        task("reset after script.execute", [Fault("reset_after_forward", **execute)], **login),
    ]


# -- SuperOffice ---------------------------------------------------------------------------------------------------


def superoffice_credentials(mode, wrong=None):
    """Module options for each way to authenticate in one mode; ``wrong`` swaps one secret for its canary."""
    def pick(label):
        return WRONG[label] if label == wrong else VALID[label]
    if mode == "onsite":
        return {
            "basic": {"username": so.USERNAME, "password": pick("superoffice password")},
            "ticket": {"ticket": pick("superoffice ticket")},
            "xsrf": {"xsrf_token": pick("superoffice xsrf_token")},
        }
    return {
        "ticket": {"ticket": pick("superoffice ticket"), "app_token": pick("superoffice app_token")},
        "bearer": {"access_token": pick("superoffice access_token"), "app_token": pick("superoffice app_token")},
    }


def superoffice_tasks(plays, sims):
    tasks = []

    def task(module, name, sim, args, faults=(), check=False):
        module_args = {"url": plays.via(sim.root_url, *faults) + sim.base}
        module_args.update(args)
        entry = {"name": "%s %s: %s" % (module.rsplit(".", maxsplit=1)[-1], sim.mode, name), module: module_args}
        if check:
            entry["check_mode"] = True
        return entry

    crm = {"script_id": 1, "parameters": {"name": "Ada"}}
    handlers = {"event_type": "TicketSave", "input_values": {"ticket.id": "42"}}
    run_script = {"path": r"/Execute"}
    run_handlers = {"path": r"/ExecuteEventHandlers"}
    echoes = [("echo page", {"status": 500}), ("echo error body", {"format": "superoffice", "status": 400})]
    for mode, sim in sims.items():
        for index, (how, creds) in enumerate(superoffice_credentials(mode).items()):
            # Each way to authenticate: a run, and a server that echoes it in each of the two forms.
            crm_echo, handler_echo = echoes[index % 2], echoes[(index + 1) % 2]
            tasks += [
                task(CRMSCRIPT, "%s: success" % how, sim, dict(crm, **creds)),
                task(CRMSCRIPT, "%s: %s" % (how, crm_echo[0]), sim, dict(crm, **creds),
                     [Fault("echo", **dict(run_script, **crm_echo[1]))]),
                task(EVENT_HANDLERS, "%s: %s" % (how, handler_echo[0]), sim, dict(handlers, **creds),
                     [Fault("echo", **dict(run_handlers, **handler_echo[1]))]),
            ]
        wrong_ones = ("superoffice password", "superoffice ticket", "superoffice xsrf_token") if mode == "onsite" \
            else ("superoffice ticket", "superoffice access_token", "superoffice app_token")
        for label in wrong_ones:
            for how, creds in superoffice_credentials(mode, wrong=label).items():
                if any(WRONG[label] == value for value in creds.values()):
                    tasks.append(task(CRMSCRIPT, "wrong %s (%s)" % (label, how), sim, dict(crm, **creds)))
                    break
    onsite, online = sims["onsite"], sims["online"]
    ticket = superoffice_credentials("onsite")["ticket"]
    bearer = superoffice_credentials("online")["bearer"]
    tasks += [
        task(CRMSCRIPT, "ticket: check mode", onsite, dict(crm, **ticket), check=True),
        task(CRMSCRIPT, "bearer: the script prints the request headers", online, dict(bearer, script_id=11)),
        task(CRMSCRIPT, "ticket: reset after the run", onsite, dict(crm, **ticket), [Fault("reset_after_forward", **run_script)]),
        task(EVENT_HANDLERS, "basic: success", onsite, dict(handlers, **superoffice_credentials("onsite")["basic"])),
        task(EVENT_HANDLERS, "bearer: success", online, dict(handlers, **bearer)),
        task(EVENT_HANDLERS, "wrong superoffice access_token (bearer)", online,
             dict(handlers, **superoffice_credentials("online", wrong="superoffice access_token")["bearer"])),
        task(EVENT_HANDLERS, "wrong superoffice xsrf_token (xsrf)", onsite,
             dict(handlers, **superoffice_credentials("onsite", wrong="superoffice xsrf_token")["xsrf"])),
        task(CRMSCRIPT, "two ways to authenticate", onsite,
             dict(crm, ticket=WRONG["superoffice ticket"], access_token=WRONG["superoffice access_token"],
                  username="someone", password=WRONG["superoffice password"])),
        task(CRMSCRIPT, "password in the url", onsite,
             dict(crm, ticket=VALID["superoffice ticket"],
                  url="http://u:%s@127.0.0.1:%d%s" % (WRONG["superoffice password"], onsite.port, onsite.base))),
        task(EVENT_HANDLERS, "credential in headers", online,
             dict(handlers, **dict(bearer, headers={"Authorization": "Bearer " + WRONG["superoffice access_token"]}))),
    ]
    return tasks


# -- roles -----------------------------------------------------------------------------------------------------------


def role_tasks(plays, zabbix, superoffice):
    """The collection's roles, with connections from block-level module_defaults, valid and wrong."""
    roles = sorted(p.parent.parent.name for p in ROOT.glob("roles/*/tasks/main.yml"))
    variables = {
        "event_remediation": {
            "event_remediation_event_type": "TicketSave",
            "event_remediation_input_values": {"ticket.id": "4712", "zabbix.script": "Echo host",
                                               "zabbix.hosts": "host-001, host-002"},
            "event_remediation_report_script_id": 9,
        },
        "problem_ticket": {
            "problem_ticket_event_ids": ["1003"],
            "problem_ticket_zabbix_script": "Event echo",
            "problem_ticket_crmscript_include_id": "echo_parameters",
        },
    }
    tasks = []
    for wrong in (False, True):
        defaults = {
            "group/scriptbridge.core.zabbix": {
                "url": plays.via(zabbix.url), "username": "operator",
                "password": WRONG["zabbix password"] if wrong else ZABBIX_PASSWORD,
                "http_username": "web", "http_password": ZABBIX_HTTP_PASSWORD,
            },
            "group/scriptbridge.core.superoffice": dict(
                superoffice_credentials("online", wrong="superoffice ticket" if wrong else None)["ticket"],
                url=plays.via(superoffice.root_url) + superoffice.base),
        }
        for role in roles:
            tasks.append({
                "name": "role %s%s" % (role, " with wrong credentials" if wrong else ""),
                "module_defaults": defaults,
                "block": [{
                    "name": "Include %s" % role,
                    "ansible.builtin.include_role": {"name": "scriptbridge.core." + role},
                    "vars": variables.get(role, {}),
                }],
            })
    return tasks, roles


# -- the runs ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret_runs():
    plays = Plays()
    zabbix = [ZabbixSimulator(version="6.0", hosts=20, http_basic=("web", ZABBIX_HTTP_PASSWORD)).start(),
              ZabbixSimulator(version="7.0", hosts=20).start()]
    superoffice = {"onsite": so.SuperOfficeSimulator(mode="onsite").start(),
                   "online": so.SuperOfficeSimulator(mode="online").start()}
    try:
        plays.play([t for sim in zabbix for t in zabbix_tasks(plays, sim)])
        plays.play(superoffice_tasks(plays, superoffice))
        tasks, roles = role_tasks(plays, zabbix[0], superoffice["online"])
        if tasks:
            plays.play(tasks)
        yield plays, roles
    finally:
        plays.stop()
        for sim in zabbix + list(superoffice.values()):
            sim.stop()


def all_results(plays):
    return [(entry["task"], entry["result"]) for run in plays.runs for entry in run.entries]


def test_every_path_ran(secret_runs):
    """Success and failure paths both happened, so the search below searched something."""
    plays, dummy = secret_runs
    results = dict(all_results(plays))
    assert len(results) >= 50
    ok = [name for name, r in results.items() if not r.get("failed")]
    failed = [name for name, r in results.items() if r.get("failed")]
    assert len(ok) >= 12 and len(failed) >= 30, (ok, failed)
    for name in ("7.0 password: success", "7.0 token: success", "6.0 password: success", "6.0 password: check mode",
                 "superoffice_crmscript_execute onsite: basic: success",
                 "superoffice_crmscript_execute onsite: xsrf: success",
                 "superoffice_crmscript_execute online: bearer: success",
                 "superoffice_crmscript_execute online: ticket: success",
                 "superoffice_crmscript_execute onsite: ticket: success",
                 "superoffice_event_handlers online: bearer: success"):
        assert not results[name].get("failed"), results[name]
    for name in ("6.0 wrong password", "6.0 echo JSON-RPC error on user.login",
                 "superoffice_crmscript_execute online: wrong superoffice app_token (ticket)",
                 "superoffice_event_handlers online: credential in headers"):
        assert results[name]["failed"], results[name]


def test_echoed_requests_carried_the_secrets(secret_runs):
    """The echoing server really received the credentials, so masking them was needed."""
    plays, dummy = secret_runs
    echoed = [e for proxy in plays.proxies for e in proxy.log if e["action"] == "echo"]
    wire = json.dumps(echoed)
    for secret in (ZABBIX_PASSWORD, API_TOKEN, so.TICKET, so.ACCESS_TOKEN, so.APP_TOKEN, so.XSRF_TOKEN,
                   base64.b64encode(("%s:%s" % BASIC["superoffice basic"]).encode()).decode()):
        assert secret in wire
    assert plays.session_ids(), "no Zabbix session id was seen on the wire"


def test_echoed_errors_reach_the_user_masked(secret_runs):
    plays, dummy = secret_runs
    results = dict(all_results(plays))
    page = results["6.0 echo page on script.execute"]
    assert "********" in page["msg"], page["msg"]
    rpc = results["6.0 echo JSON-RPC error on user.login"]
    assert "********" in rpc["msg"] and '"password":' in rpc["msg"], rpc["msg"]
    body = results["superoffice_crmscript_execute online: ticket: echo page"]
    assert "SO-AppToken: ********" in body["msg"], body["msg"]
    body = results["superoffice_crmscript_execute online: bearer: echo error body"]
    assert "Authorization: Bearer ********" in body["msg"], body["msg"]


def test_no_secret_in_output_or_results(secret_runs):
    plays, dummy = secret_runs
    secrets = secret_forms()
    for index, sid in enumerate(plays.session_ids()):
        secrets["zabbix session id %d" % index] = [sid]
    for run in plays.runs:
        assert not leaks(run.stdout, secrets, PUBLIC), leaks(run.stdout, secrets, PUBLIC)
        assert not leaks(run.stderr, secrets, PUBLIC), leaks(run.stderr, secrets, PUBLIC)
    for name, result in all_results(plays):
        text = json.dumps(result)
        assert not leaks(text, secrets, PUBLIC), (name, leaks(text, secrets, PUBLIC))


def test_failures_are_clean(secret_runs):
    plays, dummy = secret_runs
    for run in plays.runs:
        for entry in run.entries:
            result = entry["result"]
            no_traceback(run, result)
            if result.get("failed") and entry["task"].startswith(("6.0", "7.0", "superoffice")):
                assert result.get("msg"), entry


def test_roles_ran(secret_runs):
    """Every role under roles/ went through the search, with valid and with wrong credentials."""
    plays, roles = secret_runs
    names = [name for name, dummy in all_results(plays)]
    assert len(roles) >= 1
    zabbix_runs = [p for p in plays.proxies if p.count(rpc="script.execute")]
    assert zabbix_runs, "no role ran a Zabbix script"
    for role in roles:
        # The block's name does not show; the included tasks' results do.
        assert any(name.startswith(("scriptbridge.core.%s :" % role, "%s :" % role)) for name in names), names


def test_leak_search_finds_what_it_looks_for():
    """The search itself: a cut, an encoded and a whole secret are all found."""
    secrets = secret_forms()
    token = VALID["zabbix api_token"]
    assert leaks("x" + token[20:20 + LEAK_WINDOW] + "y", secrets, PUBLIC)
    assert leaks(quote(WRONG["superoffice ticket"], safe=""), secrets, PUBLIC)
    assert leaks(base64.b64encode(b"web:" + ZABBIX_HTTP_PASSWORD.encode()).decode(), secrets, PUBLIC)
    assert not leaks("nothing to see " + REDACTED_SAMPLE, secrets, PUBLIC)


REDACTED_SAMPLE = "Authorization: Bearer ********"
