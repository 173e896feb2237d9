# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The filters of the example roles (plugins/filter/roles.py), without a playbook."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.scriptbridge.core.plugins.filter import roles
from ansible_collections.scriptbridge.core.plugins.filter.roles import (
    event_remediation_outcome,
    event_remediation_plan,
    problem_ticket_diagnostics,
    problem_ticket_outcome,
    target_value,
)
from ansible_collections.scriptbridge.core.tests.unit.plugins.filter.filter_docs import assert_filters_documented

SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}


def handlers(output_values=None, blocked=False, message="", ran=True, handlers_exist=True):
    """A result of superoffice_event_handlers: with ``event`` when the handlers ran, without in check mode."""
    result = {"changed": ran, "handlers_exist": handlers_exist, "blocked": blocked, "message": message,
              "output_values": output_values if output_values is not None else {}}
    if ran:
        result["event"] = "TicketSave"
    else:
        result = {"changed": False, "handlers_exist": handlers_exist}
    return result


def plan_of(output_values=None, **kwargs):
    allowed = kwargs.pop("allowed_scripts", None)
    return event_remediation_plan(handlers(output_values, **kwargs), SKIPPED, allowed)


ECHO = {"zabbix.script": "Echo host", "zabbix.hosts": "host-001,host-002"}


def zabbix(*results, **extra):
    answer = {"changed": True, "script": {"scriptid": "10", "name": "Echo host"}, "zabbix_version": "7.0.0",
              "results": list(results)}
    answer.update(extra)
    return answer


def ran(host, value):
    return {"host": host, "host_id": "1", "event_id": None, "failed": False, "value": value}


def failed(host, **error):
    return {"host": host, "host_id": "1", "event_id": None, "failed": True, "error": error}


# --- event_remediation_plan: the decision ladder ------------------------------------------------


@pytest.mark.parametrize("case, kwargs, decision", [
    ("check mode, handlers exist", {"ran": False}, "undecided"),
    ("check mode, no handlers", {"ran": False, "handlers_exist": False}, "nothing_to_do"),
    ("blocked wins over a named script", {"blocked": True}, "blocked"),
    ("no script named", {"output_values": {"zabbix.hosts": "host-001"}}, "nothing_to_do"),
    ("script not allowed", {"allowed_scripts": ["Ping"]}, "not_allowed"),
    ("no host named", {"output_values": {"zabbix.script": "Echo host", "zabbix.hosts": " , ,"}}, "no_hosts"),
    ("allowed and hosts named", {"allowed_scripts": ["Ping", "Echo host"]}, "run"),
    ("any script allowed", {"allowed_scripts": []}, "run"),
])
def test_the_plan_takes_the_first_decision_that_applies(case, kwargs, decision):
    kwargs.setdefault("output_values", ECHO)
    assert plan_of(**kwargs)["decision"] == decision, case


def test_the_plan_reads_script_hosts_and_manual_input_from_the_output_values():
    plan = plan_of({"zabbix.script": "  Echo host ", "zabbix.hosts": " host-003, host-001,,host-003 , HOST-001,host-002",
                    "zabbix.manualinput": " 2 "}, message="Remediation requested")
    assert plan == {
        "check_mode": False, "handlers_ran": True, "decision": "run", "blocked": False,
        "message": "Remediation requested",
        "output_values": {"zabbix.script": "  Echo host ", "zabbix.manualinput": " 2 ",
                          "zabbix.hosts": " host-003, host-001,,host-003 , HOST-001,host-002"},
        "script_id": "", "script_name": "Echo host", "script": "Echo host",
        "hosts": ["host-003", "host-001", "host-002"], "manualinput": " 2 ",
    }


def test_a_script_id_wins_over_a_script_name_and_is_compared_as_text():
    plan = plan_of({"zabbix.script": "Echo host", "zabbix.script_id": 22, "zabbix.hosts": "host-002"},
                   allowed_scripts=[22])
    assert (plan["decision"], plan["script"], plan["script_id"], plan["script_name"]) == ("run", "22", "22", "Echo host")
    assert plan_of({"zabbix.script_id": 22, "zabbix.hosts": "h"}, allowed_scripts=["Echo host"])["decision"] == "not_allowed"


@pytest.mark.parametrize("allowed, decision", [("Echo host", "run"), ("Ping", "not_allowed"),
                                               ("Ping,Echo host", "run"), ("E", "not_allowed")])
def test_allowed_scripts_given_as_text_are_a_comma_separated_list(allowed, decision):
    assert plan_of(ECHO, allowed_scripts=allowed)["decision"] == decision


def test_an_allowed_script_id_given_as_text_allows_that_id_only():
    by_id = {"zabbix.script_id": "1", "zabbix.hosts": "host-001"}
    assert plan_of(by_id, allowed_scripts="10")["decision"] == "not_allowed"
    assert plan_of(by_id, allowed_scripts=1)["decision"] == "run"


def test_a_blocked_event_has_no_script_but_keeps_what_the_handlers_asked_for():
    plan = plan_of(ECHO, blocked=True, message="Amount too low")
    expected = (True, "", "Echo host", "Amount too low")
    assert (plan["blocked"], plan["script"], plan["script_name"], plan["message"]) == expected


def test_a_preview_that_ran_holds_the_decision_and_check_mode_stays_true():
    plan = event_remediation_plan(handlers(ran=False), handlers(ECHO))
    assert (plan["check_mode"], plan["handlers_ran"], plan["decision"]) == (True, True, "run")
    assert plan["hosts"] == ["host-001", "host-002"]


def test_empty_answers_of_the_handlers_read_as_empty_values():
    answer = {"event": "TicketSave", "blocked": None, "message": None, "output_values": None}
    plan = event_remediation_plan(answer)
    assert plan["decision"] == "nothing_to_do"
    assert (plan["blocked"], plan["message"], plan["output_values"], plan["hosts"]) == (False, "", {}, [])


@pytest.mark.parametrize("answer, preview, allowed, complaint", [
    ("not a result", None, None, "event handlers' result must be a dictionary"),
    ({"event": "x"}, ["not", "a", "result"], None, "preview's result must be a dictionary"),
    ({"event": "x", "output_values": "text"}, None, None, "output_values must be a dictionary"),
    (handlers(ECHO), None, {"a": 1}, "allowed_scripts must be a list"),
])
def test_a_plan_from_wrong_input_fails_with_a_filter_error(answer, preview, allowed, complaint):
    with pytest.raises(AnsibleFilterError, match=complaint):
        event_remediation_plan(answer, preview, allowed)


# --- event_remediation_outcome: results, status, message --------------------------------------------


def test_a_success_gives_one_result_per_host_and_says_so():
    outcome = event_remediation_outcome(plan_of(ECHO, message="m"), "TicketSave",
                                        zabbix(ran("host-001", "one"), ran("host-002", "two")))
    assert outcome == {
        "status": "succeeded", "msg": "Zabbix script Echo host ran on 2 hosts, successfully.",
        "event_type": "TicketSave", "blocked": False, "message": "m", "output_values": ECHO,
        "script": "Echo host", "script_id": "10", "hosts": ["host-001", "host-002"], "manualinput": "",
        "results": [{"host": "host-001", "failed": False, "value": "one"},
                    {"host": "host-002", "failed": False, "value": "two"}],
        "summary": {"total": 2, "succeeded": 2, "failed": 0}, "zabbix_version": "7.0.0", "check_mode": False,
        "ledger": None, "reported": False, "report_output": None,
    }
    assert list(outcome) == ["status", "msg", "event_type", "blocked", "message", "output_values", "script",
                             "script_id", "hosts", "manualinput", "results", "summary", "zabbix_version",
                             "check_mode", "ledger", "reported", "report_output"]


def test_failed_hosts_carry_the_script_output_or_the_error_message():
    outcome = event_remediation_outcome(
        plan_of({"zabbix.script": "Check", "zabbix.hosts": "a,b,c"}), "TicketSave",
        zabbix(failed("a", message="Cannot execute script.", data="check failed on a"),
               failed("b", message="No permissions.", data={"code": 1}),
               ran("c", ""), script={"scriptid": "12", "name": "Check"}))
    assert [(r["host"], r["failed"], r["value"]) for r in outcome["results"]] == [
        ("a", True, "check failed on a"), ("b", True, "No permissions."), ("c", False, "")]
    assert outcome["status"] == "failed"
    assert outcome["msg"] == "Zabbix script Check ran on 3 hosts: failed on a, b."
    assert outcome["summary"] == {"total": 3, "succeeded": 1, "failed": 2}
    assert outcome["script_id"] == "12"


def test_one_host_is_one_host():
    outcome = event_remediation_outcome(plan_of({"zabbix.script": "Echo host", "zabbix.hosts": "h"}), "T",
                                        zabbix(ran("h", "x")))
    assert outcome["msg"] == "Zabbix script Echo host ran on 1 host, successfully."


def test_a_zabbix_task_that_failed_before_running_marks_every_host_not_run():
    outcome = event_remediation_outcome(plan_of(ECHO), "TicketSave", {"failed": True, "msg": "Unknown host"},
                                        failure="Unknown host: host-002")
    assert outcome["results"] == [{"host": "host-001", "failed": True, "value": "not run: Unknown host: host-002"},
                                  {"host": "host-002", "failed": True, "value": "not run: Unknown host: host-002"}]
    assert outcome["status"] == "failed"
    assert outcome["msg"] == "Zabbix script Echo host did not run: Unknown host: host-002"
    assert outcome["zabbix_version"] is None and outcome["script_id"] == ""


def test_a_check_mode_preview_says_what_would_run_and_where():
    plan = event_remediation_plan(handlers(ran=False), handlers(ECHO))
    checked = zabbix(dict(ran("host-001", None), would_execute=True), dict(ran("host-002", None), would_execute=True))
    outcome = event_remediation_outcome(plan, "TicketSave", checked)
    assert outcome["msg"] == "Zabbix script Echo host would run on 2 hosts."
    assert [r["would_execute"] for r in outcome["results"]] == [True, True]
    assert (outcome["status"], outcome["check_mode"]) == ("succeeded", True)


@pytest.mark.parametrize("kwargs, status, msg", [
    ({"ran": False}, "undecided",
     "Check mode: TicketSave has event handlers, which were not run; set"
     " event_remediation_run_handlers_in_check_mode to preview their decision."),
    ({"blocked": True, "message": "Amount too low"}, "blocked",
     "A handler of TicketSave blocked the event (Amount too low): no Zabbix script ran."),
    ({"blocked": True}, "blocked", "A handler of TicketSave blocked the event (no message): no Zabbix script ran."),
    ({"output_values": {}}, "nothing_to_do", "The handlers of TicketSave named no Zabbix script: nothing to do."),
    ({"allowed_scripts": ["Ping"]}, "failed",
     "The handlers asked for Zabbix script Echo host, which event_remediation_allowed_scripts does not allow:"
     " no Zabbix script ran."),
    ({"output_values": {"zabbix.script": "Echo host"}}, "failed",
     "The handlers asked for Zabbix script Echo host but named no hosts in zabbix.hosts: no Zabbix script ran."),
])
def test_when_no_script_runs_the_outcome_says_why(kwargs, status, msg):
    kwargs.setdefault("output_values", ECHO)
    # The Zabbix task was skipped: its registered result is not read.
    outcome = event_remediation_outcome(plan_of(**kwargs), "TicketSave", SKIPPED)
    assert (outcome["status"], outcome["msg"]) == (status, msg)
    assert outcome["results"] == [] and outcome["summary"] == {"total": 0, "succeeded": 0, "failed": 0}
    assert outcome["zabbix_version"] is None


def test_hosts_are_reported_only_when_a_script_was_asked_for():
    assert event_remediation_outcome(plan_of(ECHO, blocked=True), "T", SKIPPED)["hosts"] == []
    assert event_remediation_outcome(plan_of(ECHO, allowed_scripts=["x"]), "T", SKIPPED)["hosts"] == [
        "host-001", "host-002"]


def test_the_results_are_the_json_the_report_script_receives():
    outcome = event_remediation_outcome(plan_of(ECHO), "T", zabbix(ran("host-001", "a"), failed("host-002",
                                                                                                message="boom")))
    assert json.loads(json.dumps(outcome["results"])) == [{"host": "host-001", "failed": False, "value": "a"},
                                                          {"host": "host-002", "failed": True, "value": "boom"}]


def test_target_value_prefers_the_printed_value_then_text_data_then_the_message():
    assert target_value({"value": "out", "error": {"data": "d", "message": "m"}}) == "out"
    assert target_value({"value": None, "error": {"data": "d", "message": "m"}}) == "d"
    assert target_value({"error": {"data": "", "message": "m"}}) == "m"
    assert target_value({"error": None}) is None


# --- problem_ticket -------------------------------------------------------------------------------


def event(event_id, host, value=None, **error):
    item = {"event_id": event_id, "host": host, "host_id": "1", "failed": bool(error)}
    if error:
        item["error"] = error
    else:
        item["value"] = value
    return item


def test_diagnostics_give_one_entry_per_event_from_the_zabbix_results():
    result = zabbix(event("1003", "host-001", "load high"), event(1001, None, message="No host.", data="exit 1"))
    assert problem_ticket_diagnostics(result, ["1003", "1001"]) == [
        {"event_id": "1003", "host": "host-001", "failed": False, "value": "load high"},
        {"event_id": "1001", "host": "", "failed": True, "value": "exit 1"},
    ]


def test_diagnostics_that_did_not_run_mark_every_event():
    entries = problem_ticket_diagnostics({"failed": True}, [1003, "1004"], failure="cannot run on events")
    assert entries == [
        {"event_id": "1003", "host": "", "failed": True, "value": "diagnostics not run: cannot run on events"},
        {"event_id": "1004", "host": "", "failed": True, "value": "diagnostics not run: cannot run on events"},
    ]


def crm_run(item, output=None, answer=None):
    run = {"changed": True, "item": item, "ansible_loop_var": "item"}
    if output is not None:
        run["output"] = output
        run["output_json"] = answer
    return run


def test_the_ticket_outcome_counts_created_and_updated_tickets():
    first = {"event_id": "1003", "host": "host-001", "failed": False, "value": "v"}
    second = {"event_id": "1001", "host": "Zabbix server", "failed": False, "value": "w"}
    crm = {"results": [crm_run(first, '{"ticket_id": "T-1003", "action": "created"}',
                               {"ticket_id": "T-1003", "action": "created"}),
                       crm_run(second, '{"ticket_id": "T-1001", "action": "updated"}',
                               {"ticket_id": "T-1001", "action": "updated"})]}
    outcome = problem_ticket_outcome(crm, "Event echo", zabbix(zabbix_version="6.0.30"))
    assert outcome == {
        "status": "succeeded", "msg": "Wrote 2 tickets (1 created, 1 updated).", "script": "Event echo",
        "zabbix_version": "6.0.30",
        "tickets": [dict(first, ticket_id="T-1003", action="created", output='{"ticket_id": "T-1003", "action": "created"}'),
                    dict(second, ticket_id="T-1001", action="updated", output='{"ticket_id": "T-1001", "action": "updated"}')],
        "summary": {"total": 2, "succeeded": 2, "failed": 0}, "check_mode": False,
    }


def test_failed_diagnostics_fail_the_outcome_and_are_named():
    entries = problem_ticket_diagnostics(zabbix(event("1003", "h", "ok"), event("424242", None, message="No event.")),
                                         ["1003", "424242"])
    crm = {"results": [crm_run(entry, "printed text", "not a dict") for entry in entries]}
    outcome = problem_ticket_outcome(crm, 16, zabbix())
    assert outcome["status"] == "failed"
    assert outcome["msg"] == "Wrote 2 tickets. The diagnostics failed for event 424242."
    assert [(t["ticket_id"], t["action"], t["output"]) for t in outcome["tickets"]] == [
        (None, None, "printed text"), (None, None, "printed text")]
    assert outcome["summary"] == {"total": 2, "succeeded": 1, "failed": 1}


def test_diagnostics_that_did_not_run_are_said_once():
    entries = problem_ticket_diagnostics({}, ["1003"], failure="cannot run on events")
    answer = {"ticket_id": "T-1", "action": "created"}
    crm = {"results": [crm_run(entries[0], json.dumps(answer), answer)]}
    outcome = problem_ticket_outcome(crm, "Event echo", {"failed": True, "msg": "x"}, failure="cannot run on events")
    assert outcome["msg"] == "Wrote 1 ticket (1 created, 0 updated). The diagnostics did not run: cannot run on events"
    assert (outcome["status"], outcome["zabbix_version"]) == ("failed", None)


def test_a_crmscript_that_only_was_looked_up_means_check_mode():
    entries = [{"event_id": "1003", "host": "h", "failed": False, "value": None}]
    outcome = problem_ticket_outcome({"results": [crm_run(entries[0])]}, "Event echo")
    assert (outcome["check_mode"], outcome["msg"]) == (True, "Check mode: would write 1 ticket.")
    assert outcome["tickets"][0]["ticket_id"] is None


def test_a_ticket_outcome_from_wrong_input_fails_with_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="CRMScript task's result must be a dictionary"):
        problem_ticket_outcome(["x"], "s")
    with pytest.raises(AnsibleFilterError, match="loop result must be a dictionary"):
        problem_ticket_outcome({"results": ["x"]}, "s")


# --- the plugin ---------------------------------------------------------------------------------


def test_each_filter_has_its_documentation_next_to_the_plugin():
    assert_filters_documented(roles, ["event_remediation_outcome", "event_remediation_plan",
                                      "problem_ticket_diagnostics", "problem_ticket_outcome"])
