"""Every module's EXAMPLES block, run with ansible-playbook against the simulators.

The examples are taken from the module files as they are. A small transform
points them at the simulators and nothing else:

- the example URLs become the simulators' (an Onsite and an Online SuperOffice,
  a Zabbix 7.0 where both ``https://host`` and ``https://host/zabbix`` work);
- the variables the examples use for credentials are given the simulators'
  credentials as extra vars;
- names the simulators do not have (hosts, scripts, ids) are swapped for
  simulator fixtures of the same kind (``FIXTURES``), in module options only.

Each block is one play. A task is expected to succeed unless ``EXPECTED`` says
how it fails; then it alone gets ``ignore_errors`` so the rest of the block
still runs. The test also checks, per task, what the example's text promises
(``CHECKS``) and what the simulators saw.
"""

import ast
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import BIN, ROOT, Run, ansible_env
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim, superoffice_sim
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

MODULES = ["zabbix_script_execute", "zabbix_event_acknowledge", "superoffice_crmscript_execute", "superoffice_event_handlers", "superoffice_login"]
OUR_MODULES = {"scriptbridge.core." + m for m in MODULES}
GROUPS = {"group/scriptbridge.core.zabbix", "group/scriptbridge.core.superoffice"}

# Example value -> simulator fixture of the same kind, applied to module options only.
FIXTURES = {
    "zabbix_script_execute": {
        "web-01": "host-001",                 # a host
        "automation": "Admin",                # a user
        "Restart agent": "Restart service",   # a script name shared by two menu paths
        "Maintenance/Agents": "Linux",        # the menu path that picks one of them
        "42": "16",                           # an event script (scope 4)
        "8812": "1001",                       # a problem event
    },
    "zabbix_event_acknowledge": {
        "8812": "1003",                       # problem events
        "8813": "1004",
        "8814": "1005",                       # a problem whose trigger allows manual close
    },
    "superoffice_crmscript_execute": {
        195: 3,                                           # "Echo parameters": prints its parameters as JSON
        "Open tickets per company": "JSON output",        # a script that prints JSON
    },
    "superoffice_event_handlers": {},
    "superoffice_login": {
        "nightly_cleanup": "hello",                       # a script that greets
    },
}

# Credentials the examples take from variables.
EXTRA_VARS = {
    "zabbix_api_token": API_TOKEN,
    "zabbix_password": "zabbix",
    "superoffice_ticket": superoffice_sim.TICKET,
    "system_user_ticket": superoffice_sim.TICKET,
    "client_secret": superoffice_sim.APP_TOKEN,
    "superoffice_access_token": superoffice_sim.ACCESS_TOKEN,
    # SuperOffice Online, unattended: what the developer portal and the tenant's approval give.
    "vault_system_user_token": superoffice_online_sim.SYSTEM_USER_TOKEN,
    "vault_private_key": superoffice_online_sim.rsa_xml(superoffice_online_sim.APPLICATION_KEY),
    "vault_client_secret": superoffice_sim.APP_TOKEN,
    "superoffice_client_id": superoffice_online_sim.CLIENT_ID,
    "vault_refresh_token": superoffice_online_sim.REFRESH_TOKEN,
}

# Tasks that fail by design, with a text their message must contain.
EXPECTED_FAILURES = {
    ("superoffice_event_handlers", "Stop when a handler blocked it"): "Amount too low",
}


def _value_json(result):
    return result.get("value_json")


# What each task's text promises, as a check of its result.
CHECKS = {
    "Ping a host through the Zabbix server":
        lambda r: r["changed"] and "packets transmitted" in r["value"] and r["results"][0]["host"] == "host-001",
    "Run a script on many hosts, ten at a time, with a session that is logged out afterwards":
        lambda r: r["changed"] and r["summary"] == {"total": 3, "succeeded": 3, "failed": 0}
        and r["script"]["menu_path"] == "Linux",
    "Show where it failed": lambda r: r["msg"] == [],
    "Run an event script with user input (Zabbix 7.0 and later)":
        lambda r: r["changed"] and r["results"][0]["event_id"] == "1001" and r["value"].startswith("event=1001 "),
    "Tell the operators which ticket belongs to the problem, only once":
        lambda r: r["changed"] and r["events"] == [{"eventid": "1003", "changed": True, "skipped": None}],
    "Say whether it was written now or found from an earlier run": lambda r: r["msg"] == [None],
    "Add a comment to several problems without acknowledging them":
        lambda r: r["changed"] and [e["eventid"] for e in r["events"]] == ["1003", "1004"],
    "Raise a problem to high and close it (its trigger allows manual close)":
        lambda r: r["changed"] and r["events"] == [{"eventid": "1005", "changed": True, "skipped": None}],
    "Run a CRMScript with parameters": lambda r: r["changed"] and r["output_json"] == {"personId": "27"},
    "Run a script by name in SuperOffice Online and use its JSON output":
        lambda r: r["changed"] and r["output_json"]["status"] == "ok" and r["script"]["name"] == "JSON output",
    "Show it": lambda r: r["report.output_json"]["hosts"] == ["web01", "db01"],
    "Ask the sale handlers whether a sale may be saved":
        lambda r: r["blocked"] is True and r["message"] == "Amount too low",
    "Stop when a handler blocked it": lambda r: r["msg"] == "Amount too low",
    "Let the handlers decide what to run":
        # The simulator's ticket handlers ask for nothing unless zabbix.* inputs are given;
        # select leaves the fields not asked for null.
        lambda r: r["changed"] and r["blocked"] is False and r["output_values"] == {}
        and r["event"]["state_values"] is None,
    # The login's output is hidden; the tasks after it show that the registered variable kept the credential.
    "Log in as the tenant's system user": lambda r: "censored" in r and "ticket" not in r,
    "Run a CRMScript with the login's ticket": lambda r: r["changed"] and r["output"] == "Hello, World!",
    "Refresh an access token instead": lambda r: "censored" in r and "access_token" not in r,
    "Run the event handlers with the access token":
        lambda r: r["changed"] and r["event"]["state_values"] == {"ticketSave.handled": "true"},
}

INVENTORY = {
    "all": {
        "hosts": {"localhost": {"ansible_connection": "local",
                                "ansible_python_interpreter": "{{ ansible_playbook_python }}"}},
        # groups['web'] in the examples; never connected to.
        "children": {"web": {"hosts": {"host-001": {}, "host-002": {}, "host-003": {}}}},
    }
}


def examples(module):
    """The EXAMPLES of a module file, parsed."""
    source = (ROOT / "plugins" / "modules" / (module + ".py")).read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXAMPLES" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no EXAMPLES" % module)


class Urls:
    def __init__(self, zabbix, onsite, online, environment):
        self.map = {
            "https://zabbix.example.com/zabbix": zabbix.url + "/zabbix",
            "https://zabbix.example.com": zabbix.url,
            "https://crm.example.com/SuperOffice": onsite.url,
            "https://online2.superoffice.com/Cust12345": online.url,
        }
        self.environments = {"online": environment.url}

    def __call__(self, url):
        if url.startswith("{{"):
            return url  # from an earlier task's result (superoffice_login)
        if url not in self.map:
            raise AssertionError("example URL %r has no simulator; add it to test_examples.Urls" % url)
        return self.map[url]


def point_at_simulators(args, fixtures, urls):
    args = dict(args)
    for key, value in args.items():
        if key == "url":
            args[key] = urls(value)
        elif key == "environment":
            args[key] = urls.environments[value]
        elif isinstance(value, list):
            args[key] = [fixtures.get(v, v) for v in value]
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            args[key] = fixtures.get(value, value)
    return args


def transform(module, tasks, urls):
    fixtures = FIXTURES[module]
    out = []
    for task in tasks:
        task = dict(task)
        for key in list(task):
            if key in OUR_MODULES:
                task[key] = point_at_simulators(task[key], fixtures, urls)
        if "module_defaults" in task:
            task["module_defaults"] = dict(
                (group, point_at_simulators(values, fixtures, urls) if group in GROUPS else values)
                for group, values in task["module_defaults"].items()
            )
        if (module, task["name"]) in EXPECTED_FAILURES:
            task["ignore_errors"] = True
        out.append(task)
    return out


@pytest.fixture(scope="module")
def run():
    with ZabbixSimulator(version="7.0", hosts=10) as zabbix, \
            SuperOfficeSimulator(mode="onsite") as onsite, SuperOfficeSimulator(mode="online") as online, \
            SuperOfficeSimulator(mode="online") as unattended, superoffice_online_sim.EnvironmentHost() as environment:
        # The tenant that superoffice_login's examples find through the environment host.
        environment.add_tenant("Cust12345", unattended.url + "/api")
        urls = Urls(zabbix, onsite, online, environment)
        plays = [{"name": module, "hosts": "localhost", "gather_facts": False,
                  "tasks": transform(module, examples(module), urls)} for module in MODULES]
        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "inventory.yml").write_text(json.dumps(INVENTORY))
            Path(tmp, "examples.yml").write_text(json.dumps(plays, indent=1))
            Path(tmp, "vars.json").write_text(json.dumps(EXTRA_VARS))
            log = Path(tmp, "results.jsonl")
            proc = subprocess.run(
                [str(BIN / "ansible-playbook"), "-i", "inventory.yml", "-e", "@vars.json", "examples.yml"],
                cwd=tmp, env=ansible_env({"SCRIPTBRIDGE_RESULT_LOG": str(log)}),
                capture_output=True, text=True, timeout=600, check=False,
            )
            entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        yield (Run(proc, entries), plays, zabbix.stats(), onsite.stats(), online.stats(),
               (unattended.stats(), environment.stats()))


CASES = [(module, task["name"]) for module in MODULES for task in examples(module)]


def test_every_example_task_is_checked():
    """A new example task gets a check of what its text promises."""
    assert len(CASES) >= 9
    assert sorted(name for _m, name in CASES) == sorted(CHECKS)


@pytest.mark.parametrize("module, name", CASES, ids=["%s: %s" % c for c in CASES])
def test_example(run, module, name):
    outcome = run[0]
    result = outcome[name]
    assert "Traceback" not in outcome.output
    failure = EXPECTED_FAILURES.get((module, name))
    if failure:
        assert result.get("failed") is True and failure in result["msg"], result
    else:
        assert not result.get("failed"), result
        assert outcome.status(name) in ("ok", "changed"), outcome.status(name)
    assert CHECKS[name](result), result


def test_the_examples_ran_what_they_say(run):
    outcome, _plays, zabbix, onsite, online, (unattended, environment) = run
    assert outcome.rc == 0, outcome.output
    # Ping on host-001, Restart service on three hosts, Event echo on one event.
    assert sorted((e["scriptid"], e["hostid"], e.get("eventid")) for e in zabbix["executions"]) == sorted(
        [("1", "20001", None), ("17", "20001", None), ("17", "20002", None), ("17", "20003", None),
         ("16", "10084", "1001")])
    # "a session that is logged out afterwards"
    assert zabbix["logins"] == zabbix["logouts"] == 1 and zabbix["active_sessions"] == 0
    assert [(e["kind"], e.get("id"), e.get("event_type")) for e in onsite["executions"]] == [
        ("script", 3, None), ("event_handlers", None, "SalesBeforeSaveSale")]
    assert [(e["kind"], e.get("id"), e.get("event_type")) for e in online["executions"]] == [
        ("script", 2, None), ("event_handlers", None, "TicketSave")]
    # superoffice_login's examples: one system user login and one refresh, each with one status call,
    # then a script and the event handlers on the tenant the status named.
    assert environment["endpoints"] == {"state": 2, "authenticate": 1, "jwks": 1, "token": 1}
    assert [(e["kind"], e.get("id"), e.get("event_type")) for e in unattended["executions"]] == [
        ("script", 1, None), ("event_handlers", None, "TicketSave")]


def test_the_acknowledge_examples_read_once_and_wrote_once_each(run):
    _outcome, _plays, zabbix, _onsite, _online, _unattended = run
    # zabbix_event_acknowledge's three writing examples: one event.get and one event.acknowledge each
    assert zabbix["methods"]["event.acknowledge"] == 3
    assert zabbix["methods"]["event.get"] >= 3
