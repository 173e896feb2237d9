# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ledger of problem_ticket in Zabbix: which problems are ticketed, what goes into each, and the outcome."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.scriptbridge.core.plugins.filter import ledger
from ansible_collections.scriptbridge.core.plugins.filter.ledger import (
    event_remediation_ledger,
    intent_marker,
    problem_ticket_acknowledgements,
    problem_ticket_ledger,
    ticket_marker,
)
from ansible_collections.scriptbridge.core.plugins.filter.roles import (
    NOT_RUN_AGAIN,
    NOT_RUN_AGAIN_ON_HOST,
    event_remediation_outcome,
    event_remediation_plan,
    problem_ticket_diagnostics,
    problem_ticket_outcome,
)
from ansible_collections.scriptbridge.core.tests.unit.plugins.filter.filter_docs import assert_filters_documented


def read(event_id, skipped=None):
    """One loop result of the check-mode read of a marker."""
    return {"item": event_id, "changed": False, "ansible_loop_var": "item",
            "events": [{"eventid": event_id, "changed": skipped is None, "skipped": skipped}]}


def unreadable(event_id, msg):
    return {"item": event_id, "failed": False, "changed": False, "msg": msg, "error": {"kind": "not_found_or_forbidden"}}


def test_the_marker_names_the_event():
    assert ticket_marker(1003) == "scriptbridge:1003"
    assert intent_marker(1003) == "scriptbridge-started:1003"


@pytest.mark.parametrize("event_id", ["1", "1003", "99999999999"])
def test_neither_marker_is_found_in_the_text_of_the_other(event_id):
    # zabbix_event_acknowledge's once is a substring test over the problem's messages, with the marker in front.
    ticket_text = "%s SuperOffice ticket T-%s" % (ticket_marker(event_id), event_id)
    intent_text = "%s Diagnostics started with Zabbix script Event echo; the SuperOffice ticket follows." % (
        intent_marker(event_id))
    assert ticket_marker(event_id) not in intent_text and intent_marker(event_id) not in ticket_text
    assert ticket_marker(event_id) in ticket_text and intent_marker(event_id) in intent_text


def test_problems_that_carry_their_marker_are_ticketed_the_rest_to_do():
    markers = {"results": [read("1003", "already carries the marker scriptbridge:1003"), read("1004")]}
    assert problem_ticket_ledger(markers, ["1003", 1004]) == {
        "todo": ["1004"], "started": [], "ticketed": ["1003"], "unread": {}}


def test_a_problem_that_cannot_be_read_still_needs_its_ticket_and_says_why():
    markers = {"results": [read("1003"), unreadable("424242", "No problem event with id 424242 exists.")]}
    assert problem_ticket_ledger(markers, ["1003", "424242"]) == {
        "todo": ["1003", "424242"], "started": [], "ticketed": [],
        "unread": {"424242": "No problem event with id 424242 exists."}}


def test_a_problem_that_carries_the_intent_but_no_ticket_marker_needs_only_its_ticket():
    markers = {"results": [read("1003"), read("1004"), read("1005", "already carries the marker scriptbridge:1005")]}
    intents = {"results": [read("1003", "already carries the marker scriptbridge-started:1003"), read("1004")]}
    assert problem_ticket_ledger(markers, ["1003", "1004", "1005"], intents=intents) == {
        "todo": ["1004"], "started": ["1003"], "ticketed": ["1005"], "unread": {}}


def test_a_problem_that_cannot_take_the_intent_still_gets_its_diagnostics_and_says_why():
    markers = {"results": [read("1003"), unreadable("424242", "No problem event with id 424242 exists.")]}
    intents = {"results": [unreadable("1003", "Zabbix refused: the user's role does not allow it to add problem "
                                              "comments."),
                           unreadable("424242", "No problem event with id 424242 exists.")]}
    assert problem_ticket_ledger(markers, ["1003", "424242"], intents=intents) == {
        "todo": ["1003", "424242"], "started": [], "ticketed": [],
        "unread": {"1003": "the intent could not be written: Zabbix refused: the user's role does not allow it to "
                           "add problem comments.",
                   "424242": "No problem event with id 424242 exists."}}


@pytest.mark.parametrize("intents", [None, {}, {"skipped": True, "results": []}])
def test_no_write_of_the_intents_starts_nothing(intents):
    markers = {"results": [read("1003")]}
    assert problem_ticket_ledger(markers, ["1003"], intents=intents)["started"] == []
    assert problem_ticket_ledger(markers, ["1003"], intents=intents)["todo"] == ["1003"]


@pytest.mark.parametrize("markers", [
    None,
    {},
    {"skipped": True, "results": [{"item": "1003", "skipped": True, "skip_reason": "Conditional result was False"}]},
])
def test_no_read_leaves_every_event_to_do(markers):
    assert problem_ticket_ledger(markers, ["1003", "1001"]) == {
        "todo": ["1003", "1001"], "started": [], "ticketed": [], "unread": {}}


def crm_run(event_id, answer, skipped=False):
    run = {"changed": True, "item": {"event_id": event_id, "host": "h", "failed": False, "value": "v"},
           "ansible_loop_var": "item", "output": "x", "output_json": answer}
    if skipped:
        run = {"skipped": True, "item": run["item"]}
    return run


def test_each_ticket_gives_its_message_and_marker():
    crm = {"results": [crm_run("1003", {"ticket_id": "T-1003", "action": "created"}),
                       crm_run("1001", {"ticket_id": 12, "action": "updated"}),
                       crm_run("1004", "not a dict"), crm_run("1005", None, skipped=True)]}
    assert problem_ticket_acknowledgements(crm) == [
        {"event_id": "1003", "message": "SuperOffice ticket T-1003", "marker": "scriptbridge:1003"},
        {"event_id": "1001", "message": "SuperOffice ticket 12", "marker": "scriptbridge:1001"},
        {"event_id": "1004", "message": "SuperOffice ticket written; the ticket script returned no ticket_id",
         "marker": "scriptbridge:1004"},
    ]


def test_wrong_input_fails_with_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="CRMScript task's result must be a dictionary"):
        problem_ticket_acknowledgements(["x"])
    with pytest.raises(AnsibleFilterError, match="loop result must be a dictionary"):
        problem_ticket_ledger({"results": ["x"]}, ["1"])
    with pytest.raises(AnsibleFilterError, match="write of the intents must be a dictionary"):
        problem_ticket_ledger({"results": []}, ["1"], intents=["x"])


def acknowledged(*runs):
    return {"results": list(runs)}


def ack_run(event_id, error=None):
    item = {"event_id": event_id, "message": "m", "marker": ticket_marker(event_id)}
    if error:
        return {"item": item, "failed": False, "msg": error}
    return {"item": item, "changed": True, "events": [{"eventid": event_id, "changed": True, "skipped": None}]}


def test_the_outcome_lists_the_problems_left_out_and_where_each_ticket_went():
    answer = {"ticket_id": "T-1004", "action": "created"}
    crm = {"results": [crm_run("1004", answer)]}
    outcome = problem_ticket_outcome(crm, "Event echo", {"zabbix_version": "7.0.9"},
                                     ledger={"todo": ["1004"], "ticketed": ["1003"], "unread": {}},
                                     acknowledged=acknowledged(ack_run("1004")))
    assert outcome["status"] == "succeeded"
    assert outcome["msg"] == "Wrote 1 ticket (1 created, 0 updated). Left out event 1003: already ticketed."
    assert outcome["skipped"] == [{"event_id": "1003", "reason": "already ticketed"}]
    assert (outcome["tickets"][0]["acknowledged"], outcome["tickets"][0]["acknowledge_error"]) == (True, None)


def test_a_replayed_event_writes_no_ticket():
    outcome = problem_ticket_outcome({"results": []}, "Event echo", {},
                                     ledger={"todo": [], "ticketed": ["1003", "1001"], "unread": {}},
                                     acknowledged={"skipped": True, "results": []})
    assert outcome["status"] == "succeeded" and outcome["tickets"] == []
    assert outcome["msg"] == "Wrote 0 tickets. Left out events 1003, 1001: already ticketed."
    assert [s["event_id"] for s in outcome["skipped"]] == ["1003", "1001"]


def test_a_ticket_that_did_not_reach_its_problem_fails_the_outcome():
    crm = {"results": [crm_run("1003", {"ticket_id": "T-1"}), crm_run("424242", {"ticket_id": "T-2"})]}
    outcome = problem_ticket_outcome(crm, "Event echo", {}, ledger={"todo": ["1003", "424242"], "ticketed": []},
                                     acknowledged=acknowledged(ack_run("1003"), ack_run("424242", "No event 424242.")))
    assert outcome["status"] == "failed"
    assert outcome["msg"].endswith("The ticket of event 424242 was not written into its Zabbix problem: No event 424242.")
    assert [(t["acknowledged"], t["acknowledge_error"]) for t in outcome["tickets"]] == [
        (True, None), (False, "No event 424242.")]
    assert outcome["skipped"] == []


def test_a_started_problem_gets_its_ticket_saying_the_diagnostics_were_not_run_again():
    ledger = {"todo": ["1004"], "started": ["1003"], "ticketed": [], "unread": {}}
    zabbix = {"zabbix_version": "7.0.9", "results": [
        {"event_id": "1004", "host": "host-001", "failed": False, "value": "load 0.1"}]}
    entries = problem_ticket_diagnostics(zabbix, ledger["todo"], started=ledger["started"])
    assert entries == [{"event_id": "1004", "host": "host-001", "failed": False, "value": "load 0.1"},
                       {"event_id": "1003", "host": "", "failed": True, "value": NOT_RUN_AGAIN}]
    assert NOT_RUN_AGAIN.startswith("diagnostics not run again:") and "may have run" in NOT_RUN_AGAIN
    crm = {"results": [crm_run(entry["event_id"], {"ticket_id": "T-" + entry["event_id"], "action": action})
                       for entry, action in zip(entries, ["created", "updated"])]}
    for run, entry in zip(crm["results"], entries):
        run["item"] = entry
    outcome = problem_ticket_outcome(crm, "Event echo", zabbix, ledger=ledger,
                                     acknowledged=acknowledged(ack_run("1004"), ack_run("1003")))
    assert outcome["status"] == "failed"
    assert outcome["msg"] == (
        "Wrote 2 tickets (1 created, 1 updated). The diagnostics of event 1003 were not run again: an earlier run "
        "started them and stopped before the ticket reached the problem, so they may have run.")
    assert outcome["not_run_again"] == ["1003"] and outcome["skipped"] == []
    assert outcome["summary"] == {"total": 2, "succeeded": 1, "failed": 1}
    assert [(t["event_id"], t["failed"], t["acknowledged"]) for t in outcome["tickets"]] == [
        ("1004", False, True), ("1003", True, True)]


def test_a_started_problem_beside_diagnostics_that_did_not_run_says_both():
    ledger = {"todo": ["1004"], "started": ["1003"], "ticketed": [], "unread": {}}
    entries = problem_ticket_diagnostics({}, ledger["todo"], failure="Zabbix is down", started=ledger["started"])
    assert [e["value"] for e in entries] == ["diagnostics not run: Zabbix is down", NOT_RUN_AGAIN]
    crm = {"results": [dict(crm_run(e["event_id"], {"ticket_id": "T", "action": "created"}), item=e) for e in entries]}
    outcome = problem_ticket_outcome(crm, "Event echo", {}, failure="Zabbix is down", ledger=ledger)
    assert outcome["msg"] == (
        "Wrote 2 tickets (2 created, 0 updated). The diagnostics did not run: Zabbix is down The diagnostics of "
        "event 1003 were not run again: an earlier run started them and stopped before the ticket reached the "
        "problem, so they may have run.")
    assert outcome["status"] == "failed" and outcome["not_run_again"] == ["1003"]


def test_with_acknowledge_off_the_tickets_say_so():
    outcome = problem_ticket_outcome({"results": [crm_run("1003", {"ticket_id": "T-1"})]}, "s", {},
                                     ledger={"todo": ["1003"], "ticketed": []},
                                     acknowledged={"skipped": True, "results": [{"skipped": True, "item": {}}]})
    assert outcome["status"] == "succeeded"
    assert (outcome["tickets"][0]["acknowledged"], outcome["tickets"][0]["acknowledge_error"]) == (False, None)


def test_each_filter_has_its_documentation_next_to_the_plugin():
    assert_filters_documented(ledger, ["problem_ticket_acknowledgements", "problem_ticket_ledger",
                                       "event_remediation_ledger"])


# --- event_remediation: the ledger in the CRM, kept by the report CRMScript --------------------------------

KEY = "5f0c6c1e-2b7a-5d3e-9c41-8a6f0e2d1b37"


def intent(answer, output=None):
    """The registered run of the report CRMScript with the status started."""
    run = {"changed": True, "output": output if output is not None else json.dumps(answer)}
    if isinstance(answer, dict):
        run["output_json"] = answer
    return run


@pytest.mark.parametrize("answer, expected", [
    ({"state": "new"}, {"key": KEY, "state": "new", "status": None}),
    ({"key": KEY, "state": "started"}, {"key": KEY, "state": "started", "status": None}),
    ({"key": KEY, "state": "reported", "status": "succeeded"}, {"key": KEY, "state": "reported", "status": "succeeded"}),
    ({"state": "started", "status": "failed"}, {"key": KEY, "state": "started", "status": None}),
])
def test_the_ledger_answers_what_it_knows_of_the_key(answer, expected):
    assert event_remediation_ledger(intent(answer), KEY) == expected


@pytest.mark.parametrize("registered, key", [
    ({"changed": True, "output": "{}", "output_json": {"state": "new"}}, None),
    ({"changed": True, "output": "{}", "output_json": {"state": "new"}}, ""),
    ({"skipped": True, "skip_reason": "Conditional result was False"}, KEY),
    ({}, KEY),
    (None, KEY),
    # Check mode: the CRMScript is only looked up and prints nothing.
    ({"changed": True, "script": {"id": 9}}, KEY),
])
def test_without_a_key_or_an_intent_there_is_no_ledger(registered, key):
    assert event_remediation_ledger(registered, key)["state"] is None


@pytest.mark.parametrize("registered, complaint", [
    (intent(None, output="recorded"), "it printed 'recorded'"),
    (intent({"state": "done"}), "it answered the state 'done'"),
    (intent({"key": "another", "state": "new"}), "it answered for the key another"),
    (intent({"state": "reported"}), "it answered reported with the status None"),
    (intent({"state": "reported", "status": "started"}), "with the status 'started'"),
])
def test_an_answer_outside_the_contract_fails_before_any_script_runs(registered, complaint):
    with pytest.raises(AnsibleFilterError) as failure:
        event_remediation_ledger(registered, KEY)
    message = str(failure.value)
    assert complaint in message and KEY in message and "No Zabbix script was run." in message
    assert "does not keep the ledger of event_remediation" in message


def test_the_intent_must_be_a_dictionary():
    with pytest.raises(AnsibleFilterError, match="intent's result must be a dictionary"):
        event_remediation_ledger(["x"], KEY)


ECHO_PLAN = event_remediation_plan({"event": {}, "output_values": {"zabbix.script": "Echo host",
                                                                   "zabbix.hosts": "host-001,host-002"}})


def test_a_remediation_an_earlier_run_started_is_not_run_again_and_says_it_may_have_run():
    outcome = event_remediation_outcome(ECHO_PLAN, "TicketSave", {},
                                        ledger={"key": KEY, "state": "started", "status": None})
    assert outcome["status"] == "failed" and outcome["ledger"] == "started"
    assert outcome["results"] == [{"host": "host-001", "failed": True, "value": NOT_RUN_AGAIN_ON_HOST},
                                  {"host": "host-002", "failed": True, "value": NOT_RUN_AGAIN_ON_HOST}]
    assert NOT_RUN_AGAIN_ON_HOST.startswith("not run again:") and "may have run" in NOT_RUN_AGAIN_ON_HOST
    assert outcome["msg"] == (
        "Zabbix script Echo host was not run again on host-001, host-002: an earlier run for this event (key %s) "
        "started it and stopped before its report, so it may have run." % KEY)
    assert outcome["zabbix_version"] is None and outcome["summary"] == {"total": 2, "succeeded": 0, "failed": 2}


def test_a_remediation_an_earlier_run_reported_runs_and_reports_nothing_again():
    outcome = event_remediation_outcome(ECHO_PLAN, "TicketSave", {},
                                        ledger={"key": KEY, "state": "reported", "status": "succeeded"})
    assert (outcome["status"], outcome["ledger"], outcome["results"]) == ("succeeded", "reported", [])
    assert outcome["msg"] == ("An earlier run for this event (key %s) ran Zabbix script Echo host and reported it to "
                              "the CRM (succeeded): nothing was run or reported again." % KEY)


def test_a_new_key_runs_as_without_a_ledger():
    zabbix = {"script": {"scriptid": "10", "name": "Echo host"}, "zabbix_version": "7.0.0",
              "results": [{"host": "host-001", "failed": False, "value": "one"},
                          {"host": "host-002", "failed": False, "value": "two"}]}
    with_ledger = event_remediation_outcome(ECHO_PLAN, "TicketSave", zabbix, ledger={"key": KEY, "state": "new"})
    without = event_remediation_outcome(ECHO_PLAN, "TicketSave", zabbix)
    assert with_ledger == dict(without, ledger="new") and without["ledger"] is None
    assert with_ledger["status"] == "succeeded"


def test_the_ledger_does_not_change_a_decision_to_run_nothing():
    blocked = event_remediation_plan({"event": {}, "blocked": True, "message": "no", "output_values": {}})
    outcome = event_remediation_outcome(blocked, "TicketSave", {}, ledger={"key": KEY, "state": "reported",
                                                                           "status": "succeeded"})
    assert (outcome["status"], outcome["ledger"]) == ("blocked", None)
