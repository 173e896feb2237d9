"""The example roles through real ansible-playbook runs, where the molecule scenarios do not reach.

The molecule scenarios (``make molecule``) cover every outcome of the roles with
plays that set ``check_mode`` themselves. Here: ``--check`` on the command line,
the argument specs refusing bad variables before anything reaches a server, and
``make demo`` from start to end.
"""

import json
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


KEY = "5f0c6c1e-2b7a-5d3e-9c41-8a6f0e2d1b37"


def test_with_a_key_the_ledger_in_the_crm_runs_the_script_once_and_reports_once(fresh):
    # Each run is a new ansible-playbook: only the CRM's ledger (the report CRMScript) remembers the key.
    zabbix, superoffice = fresh
    variables = dict(TICKET, event_remediation_key=KEY)
    first = run_play(remediate(variables), module_defaults=defaults(fresh))["outcome"]["event_remediation_result"]
    assert (first["status"], first["ledger"], first["reported"]) == ("succeeded", "new", True), first
    assert [(r["status"], r["key"]) for r in superoffice.stats()["reports"]] == [("started", KEY), ("succeeded", KEY)]
    assert len(zabbix.stats()["executions"]) == 2

    replay = run_play(remediate(variables), module_defaults=defaults(fresh))["outcome"]["event_remediation_result"]
    assert (replay["status"], replay["ledger"], replay["reported"], replay["results"]) == (
        "succeeded", "reported", False, []), replay
    assert "nothing was run or reported again" in replay["msg"]
    assert len(zabbix.stats()["executions"]) == 2
    assert [r["status"] for r in superoffice.stats()["reports"]] == ["started", "succeeded", "started"]
    assert superoffice.ledger == {KEY: {"state": "reported", "status": "succeeded", "reports": 1}}


def test_a_key_an_earlier_run_started_runs_no_script_and_reports_that_it_may_have_run(fresh):
    zabbix, superoffice = fresh
    # As if a run had written the intent and been killed before its report.
    started = {"name": "intent", "scriptbridge.core.superoffice_crmscript_execute": {
        "script_id": 9, "parameters": {"event_type": "TicketSave", "status": "started", "key": KEY}}}
    variables = dict(TICKET, event_remediation_key=KEY, event_remediation_fail_on_error=False)
    run = run_play([started] + remediate(variables), module_defaults=defaults(fresh))
    outcome = run["outcome"]["event_remediation_result"]
    assert (outcome["status"], outcome["ledger"], outcome["reported"]) == ("failed", "started", True), run.output
    assert "was not run again on host-001, host-002" in outcome["msg"] and "may have run" in outcome["msg"]
    assert zabbix.stats()["executions"] == []
    reports = superoffice.stats()["reports"]
    assert [(r["status"], r.get("key")) for r in reports] == [("started", KEY), ("started", KEY), ("failed", KEY)]
    assert [r["value"].startswith("not run again:") for r in json.loads(reports[-1]["results"])] == [True, True]


def test_a_report_script_without_the_ledger_stops_the_role_before_any_script(fresh):
    zabbix, superoffice = fresh
    # Script 2 prints JSON that is no answer of the ledger.
    variables = dict(TICKET, event_remediation_key=KEY, event_remediation_report_script_id=2)
    run = run_play(remediate(variables), module_defaults=defaults(fresh))
    failed = [e for e in run.entries if e["status"] == "failed"]
    assert failed and "does not keep the ledger of event_remediation" in failed[0]["result"]["msg"], run.output
    assert "No Zabbix script was run." in failed[0]["result"]["msg"]
    assert zabbix.stats()["executions"] == [] and superoffice.stats()["reports"] == []


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


def ticket(event_ids, **variables):
    return [
        {"name": "ticket", "ansible.builtin.include_role": {"name": "scriptbridge.core.problem_ticket"},
         "vars": dict({"problem_ticket_event_ids": event_ids, "problem_ticket_zabbix_script": "Event echo",
                       "problem_ticket_crmscript_include_id": "zabbix_problem_ticket"}, **variables)},
        {"name": "outcome", "ansible.builtin.debug": {"var": "problem_ticket_result"}},
    ]


@pytest.fixture
def ticketing(fresh):
    _zabbix, superoffice = fresh
    superoffice.add_script(50, "Zabbix problem ticket", '{"ticket_id": "T-${event_id}", "action": "created"}',
                           include_id="zabbix_problem_ticket")
    return fresh


def test_a_replayed_problem_opens_no_second_ticket_in_a_new_run(ticketing):
    # Two ansible-playbook runs share nothing but what Zabbix holds: no event source state, no facts.
    zabbix, superoffice = ticketing
    first = run_play(ticket(["1003"]), module_defaults=defaults(ticketing))["outcome"]["problem_ticket_result"]
    assert first["status"] == "succeeded" and first["tickets"][0]["ticket_id"] == "T-1003", first
    assert first["tickets"][0]["acknowledged"] is True
    rows = zabbix.acknowledgements("1003")
    assert [(r["action"], r["message"]) for r in rows] == [
        ("4", "scriptbridge-started:1003 Diagnostics started with Zabbix script Event echo; the SuperOffice ticket "
              "follows."),
        ("6", "scriptbridge:1003 SuperOffice ticket T-1003")]

    replay = run_play(ticket(["1003"]), module_defaults=defaults(ticketing))["outcome"]["problem_ticket_result"]
    assert replay["status"] == "succeeded", replay
    assert replay["tickets"] == [] and replay["skipped"] == [{"event_id": "1003", "reason": "already ticketed"}]
    assert replay["msg"] == "Wrote 0 tickets. Left out event 1003: already ticketed."
    assert [e["eventid"] for e in zabbix.stats()["executions"]] == ["1003"]
    assert [e["parameters"]["event_id"] for e in superoffice.stats()["executions"]] == ["1003"]
    assert len(zabbix.acknowledgements("1003")) == 2


def test_a_problem_an_earlier_run_started_gets_its_ticket_without_a_second_diagnostics_run(ticketing):
    # As if a run had written the intent into 1003 and been killed before its ticket marker: only Zabbix knows.
    zabbix, superoffice = ticketing
    intent = {"name": "intent", "scriptbridge.core.zabbix_event_acknowledge": {
        "eventids": ["1003"], "message": "Diagnostics started", "once": "scriptbridge-started:1003",
        "acknowledge": False}}
    run = run_play([intent] + ticket(["1003", "1004"], problem_ticket_fail_on_error=False),
                   module_defaults=defaults(ticketing))
    outcome = run["outcome"]["problem_ticket_result"]
    assert outcome["status"] == "failed", run.output
    assert outcome["not_run_again"] == ["1003"] and outcome["skipped"] == []
    assert outcome["msg"] == (
        "Wrote 2 tickets (2 created, 0 updated). The diagnostics of event 1003 were not run again: an earlier run "
        "started them and stopped before the ticket reached the problem, so they may have run.")
    assert [e["eventid"] for e in zabbix.stats()["executions"]] == ["1004"]
    sent = dict((e["parameters"]["event_id"], e["parameters"]) for e in superoffice.stats()["executions"])
    assert sorted(sent) == ["1003", "1004"]
    assert sent["1003"]["failed"] == "true" and sent["1003"]["host"] == ""
    assert sent["1003"]["output"].startswith("diagnostics not run again:") and "may have run" in sent["1003"]["output"]
    assert sent["1004"]["failed"] == "false" and "1004" in sent["1004"]["output"]
    assert [(t["event_id"], t["failed"], t["acknowledged"]) for t in outcome["tickets"]] == [
        ("1004", False, True), ("1003", True, True)]
    # 1003: the intent written before, then its ticket marker; no second intent.
    assert [r["message"].split(" ")[0] for r in zabbix.acknowledgements("1003")] == [
        "scriptbridge-started:1003", "scriptbridge:1003"]
    assert [r["message"].split(" ")[0] for r in zabbix.acknowledgements("1004")] == [
        "scriptbridge-started:1004", "scriptbridge:1004"]

    replay = run_play(ticket(["1003", "1004"]), module_defaults=defaults(ticketing))["outcome"]["problem_ticket_result"]
    assert replay["status"] == "succeeded" and replay["tickets"] == [] and replay["not_run_again"] == []
    assert [e["eventid"] for e in zabbix.stats()["executions"]] == ["1004"]


def test_check_on_the_command_line_reads_the_markers_and_writes_nothing(ticketing):
    zabbix, superoffice = ticketing
    run = run_play(ticket(["1003", "1004"]), check=True, module_defaults=defaults(ticketing))
    outcome = run["outcome"]["problem_ticket_result"]
    assert outcome["msg"] == "Check mode: would write 2 tickets.", run.output
    assert outcome["skipped"] == [] and [t["acknowledged"] for t in outcome["tickets"]] == [True, True]
    assert outcome["not_run_again"] == []
    assert "event.acknowledge" not in zabbix.stats()["methods"] and zabbix.stats()["executions"] == []
    assert zabbix.acknowledgements("1003") == [] and superoffice.stats()["executions"] == []


def test_the_argument_spec_refuses_a_ledger_switch_that_is_no_boolean(ticketing):
    zabbix, _superoffice = ticketing
    run = run_play(ticket(["1003"], problem_ticket_acknowledge="sometimes"), module_defaults=defaults(ticketing))
    validation = [e for e in run.entries if "Validating arguments against arg spec 'main'" in e["task"]]
    assert [e["status"] for e in validation] == ["failed"], run.output
    assert "problem_ticket_acknowledge" in validation[0]["result"]["msg"]
    assert zabbix.stats()["requests"] == 0
