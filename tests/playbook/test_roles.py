"""The example roles through real ansible-playbook runs, where the molecule scenarios do not reach.

The molecule scenarios (``make molecule``) cover every outcome of the roles with
plays that set ``check_mode`` themselves. Here: ``--check`` on the command line,
the argument specs refusing bad variables before anything reaches a server, and
``make demo`` from start to end.
"""

import os
import subprocess
import sys

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import COLLECTIONS, ROOT, run_play
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import PASSWORD, USERNAME, SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator


@pytest.fixture(scope="module")
def sims():
    with ZabbixSimulator("7.0", hosts=10) as zabbix, SuperOfficeSimulator() as superoffice:
        yield zabbix, superoffice


@pytest.fixture
def fresh(sims):
    for sim in sims:
        sim.reset()
    return sims


def defaults(sims):
    zabbix, superoffice = sims
    return {
        "group/scriptbridge.core.zabbix": {"url": zabbix.url, "api_token": API_TOKEN},
        "group/scriptbridge.core.superoffice": {"url": superoffice.url, "username": USERNAME, "password": PASSWORD},
    }


def remediate(variables):
    return [
        {"name": "remediate", "ansible.builtin.include_role": {"name": "scriptbridge.core.event_remediation"},
         "vars": variables},
        {"name": "outcome", "ansible.builtin.debug": {"var": "event_remediation_result"}},
    ]


TICKET = {
    "event_remediation_event_type": "TicketSave",
    "event_remediation_input_values": {"ticket.id": "7", "zabbix.script": "Echo host", "zabbix.hosts": "host-001,host-002"},
    "event_remediation_report_script_id": 9,
}


def test_check_on_the_command_line_runs_no_handler_no_script_no_report(fresh):
    zabbix, superoffice = fresh
    run = run_play(remediate(TICKET), check=True, module_defaults=defaults(fresh))
    outcome = run["outcome"]["event_remediation_result"]
    assert outcome["status"] == "undecided", run.output
    assert outcome["check_mode"] is True
    assert outcome["reported"] is False
    seen = superoffice.stats()
    assert "POST /api/v1/Agents/CustomerService/ExecuteEventHandlers" not in seen["by_endpoint"]
    assert seen["executions"] == [] and seen["reports"] == []
    assert zabbix.stats()["requests"] == 0


def test_check_on_the_command_line_with_a_preview_checks_each_host(fresh):
    zabbix, superoffice = fresh
    variables = dict(TICKET, event_remediation_run_handlers_in_check_mode=True)
    run = run_play(remediate(variables), check=True, module_defaults=defaults(fresh))
    outcome = run["outcome"]["event_remediation_result"]
    assert outcome["status"] == "succeeded", run.output
    assert [r["would_execute"] for r in outcome["results"]] == [True, True]
    assert [e["kind"] for e in superoffice.stats()["executions"]] == ["event_handlers"]
    assert superoffice.stats()["reports"] == []
    assert zabbix.stats()["executions"] == []
    assert "script.execute" not in zabbix.stats()["methods"]


@pytest.mark.parametrize("variables, complaint", [
    ({"event_remediation_input_values": {"ticket.id": "7"}}, "event_remediation_event_type"),
    (dict(TICKET, event_remediation_report_script_id="nine"), "event_remediation_report_script_id"),
    (dict(TICKET, event_remediation_fail_on_error="sometimes"), "event_remediation_fail_on_error"),
])
def test_the_argument_spec_refuses_bad_variables_before_any_request(fresh, variables, complaint):
    zabbix, superoffice = fresh
    run = run_play(remediate(variables), module_defaults=defaults(fresh))
    validation = [e for e in run.entries if "Validating arguments against arg spec 'main'" in e["task"]]
    assert [e["status"] for e in validation] == ["failed"], run.output
    assert complaint in validation[0]["result"]["msg"]
    assert run.rc != 0
    assert [e["task"] for e in run.entries if e["task"] == "outcome"] == []
    assert superoffice.stats()["requests"] == 0
    assert zabbix.stats()["requests"] == 0


def test_a_single_allowed_script_may_be_given_as_text(fresh):
    zabbix, superoffice = fresh
    variables = dict(TICKET, event_remediation_allowed_scripts="Ping", event_remediation_fail_on_error=False)
    run = run_play(remediate(variables), module_defaults=defaults(fresh))
    outcome = run["outcome"]["event_remediation_result"]
    assert outcome["status"] == "failed", run.output
    assert "does not allow" in outcome["msg"]
    assert zabbix.stats()["requests"] == 0
    assert [r["status"] for r in superoffice.stats()["reports"]] == ["failed"]


def test_make_demo_tells_each_step():
    # As make demo runs it: with the collection importable from build/collections.
    demo = subprocess.run([sys.executable, str(ROOT / "demo" / "run.py")], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)), timeout=600, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    text = demo.stdout
    assert "a handler BLOCKED the event: 'Amount too low'" in text
    assert text.count("Zabbix: no script ran (the server received no API call at all).") == 2
    assert "Zabbix: script 10 (Echo host) ran 3 times, once on each of host-001, host-002, host-003." in text
    assert "recorded status=succeeded" in text and "recorded status=failed" in text
    assert "Role outcome: failed. Zabbix script Server failure ran on 2 hosts: failed on host-004, host-005." in text
    assert "Zabbix: script 16 (Event echo) ran 2 times, once on each of event 1003, event 1004." in text
    assert text.rstrip().endswith("Demo finished.")
