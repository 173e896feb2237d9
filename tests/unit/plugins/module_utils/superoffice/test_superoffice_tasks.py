# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tasks of both SuperOffice modules, against the SuperOffice simulator in this process."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    NotFoundError,
    OptionError,
    ScriptFailedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import run_task
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import SuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.crmscript_task import (
    CrmScriptTask,
    find_script,
    script_info,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.event_handlers_task import (
    EventHandlersTask,
    event_result,
)
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    PASSWORD,
    SCRIPTS,
    USERNAME,
    SuperOfficeSimulator,
)

EVENT_KEYS = {"type", "input_values", "block_execution", "navigate_to", "message", "show_dialog", "output_values",
              "state_values", "exception", "parser_values", "cgi_variables", "cgi_content", "headers",
              "trace_execution", "table_right", "field_properties"}
HELLO = SCRIPTS["hello"]


@pytest.fixture(scope="module", name="server")
def fixture_server():
    with SuperOfficeSimulator(mode="onsite") as sim:
        yield sim


@pytest.fixture(name="sim")
def fixture_sim(server):
    server.reset()
    return server


def perform(task_class, sim, check_mode, **options):
    """What the base module does: the task's options checked, a client (read-only in check mode), one run."""
    params = dict((name, option.get("default")) for name, option in task_class.argument_spec.items())
    params.update(options)
    checked = task_class.check_options(params)
    client = SuperOfficeClient(sim.url, username=USERNAME, password=PASSWORD, timeout=10, read_only=check_mode)
    return run_task(task_class, checked, client, check_mode)


def crmscript(sim, check_mode=False, **options):
    return perform(CrmScriptTask, sim, check_mode, **options)


def handlers(sim, check_mode=False, **options):
    return perform(EventHandlersTask, sim, check_mode, **options)


def calls(sim):
    """(method, endpoint) of every request the simulator received."""
    return [request["endpoint"] for request in sim.requests]


def ran(sim):
    """Ids of the scripts that ran."""
    return [entry["id"] for entry in sim.executions if entry["kind"] == "script"]


# -- superoffice_crmscript_execute ------------------------------------------------------------------------------------------


def test_script_id_runs_the_script_with_string_parameters(sim):
    result = crmscript(sim, script_id=3, parameters={"personId": 27, "dry": False, "hosts": ["a", "b"], "none": None})
    assert result["changed"] is True
    assert result["script"] == {"id": 3, "unique_id": None, "include_id": None, "name": None}
    sent = {"personId": "27", "dry": "false", "hosts": '["a","b"]', "none": ""}
    assert json.loads(result["output"]) == sent and result["output_json"] == sent
    assert calls(sim) == ["POST /api/v1/CRMScript/{id}/Execute"]
    assert sim.requests[0]["body"] == sent and sim.requests[0]["path"].endswith("/CRMScript/3/Execute")


def test_output_that_is_not_json_has_no_output_json(sim):
    result = crmscript(sim, script_id=1, parameters={"name": "Ada"})
    assert result["output"] == "Hello, Ada!" and "output_json" not in result
    silent = crmscript(sim, script_id=7)
    assert silent["output"] == "" and "output_json" not in silent
    assert ran(sim) == [1, 7]


def test_without_parameters_an_empty_map_is_sent(sim):
    crmscript(sim, script_id=1)
    assert sim.requests[0]["body"] == {}


def test_name_is_looked_up_then_run_by_id(sim):
    result = crmscript(sim, name="Hello", parameters={"name": "Bo"})
    assert result["output"] == "Hello, Bo!"
    assert result["script"] == {"id": 1, "unique_id": HELLO["unique_id"], "include_id": "hello", "name": "Hello"}
    assert calls(sim) == ["GET /api/v1/CRMScript", "POST /api/v1/CRMScript/{id}/Execute"]
    assert sim.requests[0]["query"]["$filter"] == "name is 'Hello'"
    assert ran(sim) == [1]


def test_name_matching_differs_in_case_only_when_nothing_matches_exactly(sim):
    assert crmscript(sim, name="hello")["script"]["id"] == 1
    sim.add_script(20, "hello", "lower")
    assert crmscript(sim, name="hello")["output"] == "lower"
    assert crmscript(sim, name="Hello")["script"]["id"] == 1
    with pytest.raises(NotFoundError) as caught:
        crmscript(sim, name="HELLO")
    assert "2 CRMScripts have name 'HELLO'" in caught.value.message
    assert ran(sim) == [1, 20, 1]


def test_ambiguous_name_fails_listing_the_candidates_and_runs_nothing(sim):
    with pytest.raises(NotFoundError) as caught:
        crmscript(sim, name="Duplicate name")
    message = caught.value.message
    assert message.startswith("2 CRMScripts have name 'Duplicate name': ")
    assert "id 5 'Duplicate name' (unique_id %s, include_id duplicate_a)" % SCRIPTS["duplicate_a"]["unique_id"] in message
    assert "id 6 'Duplicate name'" in message and "include_id duplicate_b" in message
    assert "Use script_id, unique_id or include_id" in message
    assert caught.value.may_have_run is False and sim.executions == []


def test_unknown_name_fails_with_similar_names(sim):
    with pytest.raises(NotFoundError) as caught:
        crmscript(sim, name="Helo")
    message = caught.value.message
    assert message.startswith("No CRMScript has name 'Helo', or this user cannot see it.")
    assert "Candidates with a similar name: id 1 'Hello'" in message
    assert calls(sim) == ["GET /api/v1/CRMScript", "GET /api/v1/CRMScript"] and sim.executions == []
    assert sim.requests[1]["query"]["$top"] == "500"


def test_unknown_name_without_similar_names(sim):
    with pytest.raises(NotFoundError) as caught:
        crmscript(sim, name="Quarterly ledger export")
    assert "No script has a similar name." in caught.value.message


def test_name_with_a_quote(sim):
    sim.add_script(21, "O'Brien's report", "quoted")
    assert crmscript(sim, name="O'Brien's report")["output"] == "quoted"
    assert sim.requests[0]["query"]["$filter"] == "name is 'O''Brien''s report'"


def test_unique_id_runs_through_the_execute_url(sim):
    result = crmscript(sim, unique_id=HELLO["unique_id"].upper(), parameters={"name": "Uma"})
    assert result["output"] == "Hello, Uma!"
    assert result["script"] == {"id": None, "unique_id": HELLO["unique_id"].upper(), "include_id": None, "name": None}
    assert calls(sim) == ["POST /api/v1/CRMScript/{id}/Execute"]
    assert sim.requests[0]["path"].endswith("/CRMScript/%s/Execute" % HELLO["unique_id"].upper())


def test_numeric_unique_id_is_not_read_as_an_id(sim):
    sim.add_script(30, "Numbered", "numbered ran", unique_id="1")
    result = crmscript(sim, unique_id="1")
    assert result["output"] == "numbered ran" and ran(sim) == [30]
    assert calls(sim) == ["POST /api/v1/Agents/CRMScript/ExecuteScriptByUniqueId"]


def test_include_id_runs_through_the_agent(sim):
    result = crmscript(sim, include_id="json_output")
    assert result["output_json"] == {"status": "ok", "count": 2, "hosts": ["web01", "db01"]}
    assert result["script"]["include_id"] == "json_output"
    assert calls(sim) == ["POST /api/v1/Agents/CRMScript/ExecuteScriptByIncludeId"]
    assert sim.requests[0]["body"] == {"CRMScriptIncludeId": "json_output", "Parameters": {}}


@pytest.mark.parametrize("selector, endpoint", [
    ({"script_id": 1}, "GET /api/v1/CRMScript/{id}"),
    ({"unique_id": HELLO["unique_id"]}, "GET /api/v1/CRMScript"),
    ({"include_id": "hello"}, "GET /api/v1/CRMScript"),
    ({"name": "Hello"}, "GET /api/v1/CRMScript"),
])
def test_check_mode_looks_the_script_up_and_runs_nothing(sim, selector, endpoint):
    result = crmscript(sim, check_mode=True, parameters={"name": "x"}, **selector)
    assert result == {"changed": True, "script": {"id": 1, "unique_id": HELLO["unique_id"], "include_id": "hello",
                                                  "name": "Hello"}}
    assert calls(sim) == [endpoint] and sim.executions == []


def test_check_mode_by_id_selects_only_what_it_returns(sim):
    crmscript(sim, check_mode=True, script_id=2)
    assert sim.requests[0]["query"] == {"$select": "EjscriptId,UniqueIdentifier,IncludeId,Name"}


@pytest.mark.parametrize("selector, text", [
    ({"script_id": 99}, "CRMScript id 99 not found"),
    ({"unique_id": "no-such-id"}, "No CRMScript has unique_id 'no-such-id'"),
    ({"include_id": "helo"}, "Candidates with a similar include_id: id 1 'Hello'"),
])
def test_check_mode_fails_for_a_missing_script(sim, selector, text):
    with pytest.raises(NotFoundError) as caught:
        crmscript(sim, check_mode=True, **selector)
    assert text in caught.value.message and sim.executions == []


def test_missing_script_fails_without_running(sim):
    with pytest.raises(NotFoundError) as caught:
        crmscript(sim, script_id=99)
    assert caught.value.may_have_run is False and caught.value.code == 404


def test_script_that_throws_may_have_run(sim):
    with pytest.raises(ScriptFailedError) as caught:
        crmscript(sim, name="Throws")
    assert caught.value.may_have_run is True and "Division by zero" in caught.value.message
    assert ran(sim) == [4]


@pytest.mark.parametrize("selector", [{"name": "  "}, {"unique_id": ""}, {"include_id": " "}])
def test_empty_selectors_fail_before_any_request(sim, selector):
    with pytest.raises(OptionError) as caught:
        crmscript(sim, **selector)
    assert "is empty" in caught.value.message and sim.requests == []


class ArchiveStub:
    """A client whose archive answers with fixed rows, whatever the filter."""

    def __init__(self, rows, listing=()):
        self.rows = rows
        self.listing = list(listing)

    def find_scripts(self, column, value):
        return self.rows

    def list_scripts(self):
        return self.listing


def test_rows_that_do_not_match_never_count():
    # A server that ignored the filter must not make an unrelated script run.
    stub = ArchiveStub([{"PrimaryKey": "7", "name": "Other"}], listing=[{"PrimaryKey": "7", "name": "Other"}])
    with pytest.raises(NotFoundError):
        find_script(stub, "name", "Wanted")


def test_archive_rows_with_string_keys():
    stub = ArchiveStub([{"PrimaryKey": "12", "name": "Wanted", "includeId": "", "uniqueIdentifier": "u-12"}])
    assert find_script(stub, "name", "Wanted") == {"id": 12, "unique_id": "u-12", "include_id": None, "name": "Wanted"}


def test_script_info_from_an_entity():
    assert script_info({"EjscriptId": 4, "UniqueIdentifier": "u", "IncludeId": "throws", "Name": "Throws",
                        "Source": None}) == {"id": 4, "unique_id": "u", "include_id": "throws", "name": "Throws"}


# -- superoffice_event_handlers ---------------------------------------------------------------------------------------------


def test_handlers_run_and_their_verdict_comes_back(sim):
    result = handlers(sim, event_type="salesbeforesavesale", input_values={"SaleEntity.Amount": 50, "IsNew": True})
    assert result["changed"] is True and result["handlers_exist"] is True and not result.get("failed")
    assert result["blocked"] is True and result["message"] == "Amount too low"
    assert result["output_values"] == {} and result["navigate_to"] is None
    event = result["event"]
    assert set(event) == EVENT_KEYS
    assert event["type"] == "SalesBeforeSaveSale" and event["block_execution"] is True
    assert event["input_values"] == {"SaleEntity.Amount": "50", "IsNew": "true"}
    assert calls(sim) == ["POST /api/v1/Agents/CustomerService/EventHandlerExists",
                          "POST /api/v1/Agents/CustomerService/ExecuteEventHandlers"]
    assert sim.requests[0]["body"] == {"EventHandlerType": "SalesBeforeSaveSale"}
    assert sim.requests[1]["body"] == {"EventData": {"Type": "SalesBeforeSaveSale",
                                                     "InputValues": {"SaleEntity.Amount": "50", "IsNew": "true"}}}


def test_maps_go_in_and_come_out_with_their_keys_as_sent(sim):
    inputs = {"ticket.id": 4711, "zabbix.script": "Ping", "zabbix.hosts": "web01,db01"}
    result = handlers(sim, event_type="TicketSave", input_values=inputs, state_values={"run": 1},
                      output_values={"pre.set": "yes"})
    assert sim.requests[1]["body"]["EventData"] == {
        "Type": "TicketSave", "InputValues": {"ticket.id": "4711", "zabbix.script": "Ping", "zabbix.hosts": "web01,db01"},
        "StateValues": {"run": "1"}, "OutputValues": {"pre.set": "yes"}}
    assert result["output_values"] == {"pre.set": "yes", "zabbix.script": "Ping", "zabbix.hosts": "web01,db01"}
    assert result["message"] == "Remediation requested for ticket 4711"
    assert result["event"]["state_values"] == {"run": "1", "ticketSave.handled": "true"}
    assert result["blocked"] is False


def test_navigate_to(sim):
    result = handlers(sim, event_type="SalesAfterSaveSale", input_values={"SaleEntity.SaleId": "12"})
    assert result["navigate_to"] == "soprotocol:sale.main?sale_id=12"


def test_fail_on_block(sim):
    result = handlers(sim, event_type="SalesBeforeSaveSale", input_values={"SaleEntity.Amount": "5"}, fail_on_block=True)
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"] == ("An event handler of SalesBeforeSaveSale blocked the event: Amount too low "
                             "(fail_on_block is true).")
    passed = handlers(sim, event_type="SalesBeforeSaveSale", input_values={"SaleEntity.Amount": "500"}, fail_on_block=True)
    assert not passed.get("failed") and passed["blocked"] is False


def test_fail_on_exception(sim):
    result = handlers(sim, event_type="ScheduledTaskFailed")
    assert result["failed"] is True and result["changed"] is True
    assert result["msg"].startswith("The event handlers of ScheduledTaskFailed failed: Error in event handler")
    assert "fail_on_exception: false" in result["msg"]
    assert result["event"]["exception"].startswith("Error in event handler")
    kept = handlers(sim, event_type="ScheduledTaskFailed", fail_on_exception=False)
    assert not kept.get("failed") and kept["event"]["exception"] == result["event"]["exception"]


def test_block_without_fail_on_block_is_a_result(sim):
    result = handlers(sim, event_type="SalesBeforeSaveContact", input_values={"ContactEntity.OrgNr": ""})
    assert not result.get("failed") and result["blocked"] is True
    assert result["message"] == "Organisation number is required"


def test_event_without_handlers_changes_nothing(sim):
    result = handlers(sim, event_type="TicketClosed", input_values={"a": "1"})
    assert result["changed"] is False and result["handlers_exist"] is False
    assert result["event"]["input_values"] == {"a": "1"} and result["output_values"] == {}


@pytest.mark.parametrize("event_type, exists", [("TicketSave", True), ("TicketClosed", False)])
def test_check_mode_asks_event_handler_exists_only(sim, event_type, exists):
    result = handlers(sim, check_mode=True, event_type=event_type, input_values={"zabbix.script": "Ping"})
    assert result == {"changed": exists, "handlers_exist": exists}
    assert calls(sim) == ["POST /api/v1/Agents/CustomerService/EventHandlerExists"] and sim.executions == []


def test_select_is_sent_as_dollar_select_with_the_fields_the_checks_need(sim):
    result = handlers(sim, event_type="SalesBeforeSaveSale", input_values={"SaleEntity.Amount": "5"},
                      select=["message", " "], fail_on_block=False)
    assert sim.requests[1]["query"] == {"$select": "Message,Exception"}
    assert result["message"] == "Amount too low"
    # the rest is nulled out by the server, yet output_values is never null
    assert result["event"]["input_values"] is None and result["output_values"] == {}
    assert result["blocked"] is False
    handlers(sim, event_type="SalesBeforeSaveSale", input_values={"SaleEntity.Amount": "5"},
             select=["OutputValues"], fail_on_block=True, fail_on_exception=False)
    assert sim.requests[-1]["query"] == {"$select": "OutputValues,BlockExecution,Message"}


def test_no_select_sends_no_query(sim):
    handlers(sim, event_type="TicketSave")
    assert sim.requests[1]["query"] == {}


@pytest.mark.parametrize("options, text", [
    ({"event_type": "SaleBeforeSave"}, "SalesBeforeSaveSale"),
    ({"event_type": "TicketSave", "select": ["Outputs"]}, "not an EventData field"),
    ({"event_type": "TicketSave", "input_values": {"x": float("nan")}}, "input_values['x']"),
])
def test_bad_options_fail_before_any_request(sim, options, text):
    with pytest.raises(OptionError) as caught:
        handlers(sim, **options)
    assert text in caught.value.message and sim.requests == []


def test_event_result_converts_the_top_level_only():
    result = event_result({"Type": "TicketSave", "OutputValues": None, "InputValues": {"SaleEntity.Amount": "1"},
                           "BlockExecution": None, "Message": "m", "_Links": {"Self": "x"}})
    assert result["output_values"] == {} and result["blocked"] is False and result["message"] == "m"
    assert result["event"]["input_values"] == {"SaleEntity.Amount": "1"}
    assert result["event"]["_links"] == {"Self": "x"}
    assert EVENT_KEYS <= set(result["event"]) and result["event"]["field_properties"] is None
