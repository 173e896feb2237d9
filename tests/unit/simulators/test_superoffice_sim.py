"""Tests of the SuperOffice WebAPI simulator, over HTTP, and of its faithfulness to the specs.

Every exchange a test causes is checked against the official Swagger 2.0 specs when
the test ends (see ``_check_faithful``).
"""

# The test names say what each test checks.
# pylint: disable=missing-function-docstring

import base64
import json
import signal
import subprocess
import sys
import threading
import time

import jsonschema
import pytest
import requests

from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    ACCESS_TOKEN, APP_TOKEN, EVENT_DATA_FIELDS, EVENT_HANDLER_TYPES, EVENT_TYPE_NAMES,
    HANDLED_EVENT_TYPES, PASSWORD, SCRIPTS, TICKET, USERNAME, XSRF_TOKEN, CRMScriptError,
    SuperOfficeSimulator)
from ansible_collections.scriptbridge.core.tests.simulators.launcher import MODULES, simulator_env
from ansible_collections.scriptbridge.core.tests.simulators.swagger import (
    ERROR_BODY_SCHEMA, SPEC_DIR, SPEC_FILES, SwaggerMismatch, event_handler_type_enum, find_operation,
    load_spec, operation_schemas, validate_exchange, validator)


BASIC = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
CS = "/api/v1/Agents/CustomerService/"
AGENT = "/api/v1/Agents/CRMScript/"


# Sent by tests whose request breaks the spec on purpose, to show what the server tolerates.
OFF_SPEC = {"X-Test-Off-Spec": "1"}


def _check_faithful(sim):
    """Every exchange with a spec operation fits the spec.

    Requests answered 400/415 were made invalid on purpose, and requests marked OFF_SPEC
    show what the server tolerates, so only their answers are checked.
    """
    for request, response in zip(sim.requests, sim.responses):
        if find_operation(request["method"], request["path"]) is None:
            continue
        deliberate = response["status"] in (400, 415) or "X-Test-Off-Spec" in request["headers"]
        validate_exchange(request, response, check_request=not deliberate)


@pytest.fixture(scope="module", name="onsite_server")
def fixture_onsite_server():
    """One onsite simulator for the module."""
    with SuperOfficeSimulator(mode="onsite") as sim:
        yield sim


@pytest.fixture(scope="module", name="online_server")
def fixture_online_server():
    """One online simulator for the module."""
    with SuperOfficeSimulator(mode="online") as sim:
        yield sim


@pytest.fixture(name="onsite")
def fixture_onsite(onsite_server):
    """The onsite simulator, fresh, checked against the specs afterwards."""
    onsite_server.reset()
    yield onsite_server
    _check_faithful(onsite_server)


@pytest.fixture(name="online")
def fixture_online(online_server):
    """The online simulator, fresh, checked against the specs afterwards."""
    online_server.reset()
    yield online_server
    _check_faithful(online_server)


def call(sim, method, path, *, auth=True, headers=None, **kwargs):
    """A request below the simulator's base URL, with valid credentials unless told not to."""
    sent = {}
    if auth:
        sent["Authorization"] = BASIC if sim.mode == "onsite" else "Bearer " + ACCESS_TOKEN
    sent.update(headers or {})
    return requests.request(method, sim.url + path, headers=sent, timeout=10, **kwargs)


def execute(sim, script, parameters=None, **kwargs):
    """POST CRMScript/{script}/Execute."""
    return call(sim, "POST", f"/api/v1/CRMScript/{script}/Execute",
                json={} if parameters is None else parameters, **kwargs)


def event(sim, event_data, **kwargs):
    """POST Agents/CustomerService/ExecuteEventHandlers."""
    return call(sim, "POST", CS + "ExecuteEventHandlers", json={"EventData": event_data}, **kwargs)


def assert_error(response, status, error_type, reason=None):
    """A SuperOffice error answer of the documented shape."""
    assert response.status_code == status, response.text
    if reason:
        assert response.reason == reason
    body = response.json()
    jsonschema.Draft4Validator(ERROR_BODY_SCHEMA).validate(body)
    assert body["ErrorType"] == error_type
    return body


# -- URLs, version, lifecycle ------------------------------------------------------------------

def test_base_urls(onsite, online):
    assert onsite.url == f"http://127.0.0.1:{onsite.port}/SuperOffice"
    assert online.url == f"http://127.0.0.1:{online.port}/Cust12345"


def test_empty_base_path_and_bad_mode():
    with SuperOfficeSimulator(base_path="") as sim:
        assert sim.url == f"http://127.0.0.1:{sim.port}"
        assert execute(sim, 1, {"name": "x"}).json() == "Hello, x!"
    with pytest.raises(ValueError):
        SuperOfficeSimulator(mode="cloud")
    with pytest.raises(TypeError):
        SuperOfficeSimulator(colour="blue")


def test_version_info_without_auth(onsite):
    response = call(onsite, "GET", "/api", auth=False, headers={"Accept": "application/json"})
    assert response.status_code == 200
    info = response.json()
    assert info["v1"] == onsite.url + "/api/v1/"
    for key in ("NetServerVersion", "NetServerAssembly", "NetServerDate", "NetServerLabel",
                "NetServer", "Services", "ServicesCurrent", "Version"):
        assert key in info
    html = call(onsite, "GET", "/api", auth=False, headers={"Accept": "text/html"})
    assert html.headers["Content-Type"].startswith("text/html")
    assert "<html>" in html.text


def test_v1_listing(online):
    listing = call(online, "GET", "/api/v1", auth=False).json()
    assert listing[online.url + "/api/v1/Agents/CustomerService/ExecuteEventHandlers"] == {
        "POST": "This method will execute event handlers in CRMScript for a given event."}


def test_stop_drops_kept_alive_connections():
    sim = SuperOfficeSimulator().start()
    url = sim.url + "/api/v1/CRMScript/7/Execute"
    with requests.Session() as session:
        assert session.post(url, json={}, headers={"Authorization": BASIC},
                            timeout=5).status_code == 200
        sim.stop()
        with pytest.raises(requests.ConnectionError):
            session.post(url, json={}, headers={"Authorization": BASIC}, timeout=5)
    sim.stop()
    with pytest.raises(RuntimeError):
        assert not sim.url


# -- CRMScript Execute -------------------------------------------------------------------------

def test_execute_by_id_prints_greeting(onsite):
    response = execute(onsite, 1, {"name": "Ada"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == "Hello, Ada!"
    assert execute(onsite, 1).json() == "Hello, World!"


def test_execute_by_unique_id_any_case_and_trailing_slash(online):
    unique_id = SCRIPTS["echo_parameters"]["unique_id"]
    response = call(online, "POST", f"/API/V1/crmscript/{unique_id.upper()}/execute/",
                    json={"b": "2", "a": "1"})
    assert response.status_code == 200
    assert json.loads(response.json()) == {"a": "1", "b": "2"}


@pytest.mark.parametrize("key, expected", [
    ("json_output", '{"status":"ok","count":2,"hosts":["web01","db01"]}'),
    ("silent", ""),
    ("duplicate_a", "first"),
    ("duplicate_b", "second"),
])
def test_execute_fixture_outputs(onsite, key, expected):
    assert execute(onsite, SCRIPTS[key]["id"]).json() == expected


def test_json_output_parses(onsite):
    assert json.loads(execute(onsite, 2).json()) == {"status": "ok", "count": 2,
                                                     "hosts": ["web01", "db01"]}


@pytest.mark.parametrize("body", [
    {"n": 1}, {"n": None}, {"n": True}, {"n": {"a": "b"}}, {"n": ["a"]}, ["a"], "text", 3,
])
def test_execute_rejects_non_string_parameters(onsite, body):
    response = execute(onsite, 1, body)
    body_schema, _unused = operation_schemas("Swagger-v1-CRMScript.json",
                                             "/api/v1/CRMScript/{cRMScriptId}/Execute", "post")
    assert not validator(body_schema).is_valid(body)
    assert_error(response, 400, "ArgumentException", "Bad Request")
    assert onsite.executions == []


def test_execute_without_body_or_with_broken_json(onsite):
    assert_error(call(onsite, "POST", "/api/v1/CRMScript/1/Execute",
                      headers={"Content-Type": "application/json"}), 400, "ArgumentException")
    assert_error(call(onsite, "POST", "/api/v1/CRMScript/1/Execute", data="{nope",
                      headers={"Content-Type": "application/json"}), 400, "ArgumentException")
    assert_error(call(onsite, "POST", "/api/v1/CRMScript/1/Execute", data='{"a": NaN}',
                      headers={"Content-Type": "application/json"}), 400, "ArgumentException")
    assert_error(call(onsite, "POST", "/api/v1/CRMScript/1/Execute", data=b'{"a": "\xff"}',
                      headers={"Content-Type": "application/json"}), 400, "ArgumentException")


def test_execute_needs_json_content_type(onsite):
    response = call(onsite, "POST", "/api/v1/CRMScript/1/Execute", data="name=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    assert "Message" in response.json()
    text_json = call(onsite, "POST", "/api/v1/CRMScript/1/Execute", data='{"name": "t"}',
                     headers={"Content-Type": "text/json"})
    assert text_json.json() == "Hello, t!"


def test_execute_unknown_script(onsite):
    body = assert_error(execute(onsite, 999), 404, "SoNotFoundException", "CRMScript Not Found")
    assert body["ErrorSource"] == "SuperOffice.Services.Implementation"
    assert "999" in body["ErrorMessage"]
    body = assert_error(execute(onsite, "no-such-unique-id"), 404, "SoNotFoundException")
    assert "no-such-unique-id" in body["ErrorMessage"]


def test_execute_script_that_throws(onsite):
    body = assert_error(execute(onsite, 4), 500, "CRMScriptException")
    assert "Division by zero" in body["ErrorMessage"]
    assert onsite.executions[0]["error"] == body["ErrorMessage"]


def test_slow_script_and_concurrency(onsite):
    started = time.monotonic()
    assert execute(onsite, 8, {"seconds": "0.3"}).json() == "slept 0.3"
    assert time.monotonic() - started >= 0.3
    onsite.slow_seconds = 0.4
    results = []

    def run():
        results.append(execute(onsite, 8).json())

    started = time.monotonic()
    threads = [threading.Thread(target=run) for _unused in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["slept 0.4"] * 6
    assert time.monotonic() - started < 1.5


def test_client_that_gives_up_is_recorded_quietly(onsite, capfd):
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(onsite.url + "/api/v1/CRMScript/8/Execute", json={"seconds": "0.3"},
                      headers={"Authorization": BASIC}, timeout=0.1)
    # Until the connection's handler has ended, so that an error it reports is in capfd.
    deadline = time.monotonic() + 10
    while (not onsite.requests or onsite.open_connections) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert onsite.open_connections == 0
    assert onsite.responses[0]["status"] == 200 and onsite.responses[0]["body"] == "slept 0.3"
    assert [entry["id"] for entry in onsite.executions] == [8]
    assert "Traceback" not in capfd.readouterr().err


def test_report_script_records_parameters(onsite):
    parameters = {"event_type": "TicketSave", "status": "succeeded", "message": "m",
                  "script": "Restart", "hosts": "web01", "results": "[]"}
    assert execute(onsite, 9, parameters).json() == "recorded"
    assert onsite.reports == [parameters]
    assert onsite.stats()["reports"] == [parameters]


def test_report_script_keeps_the_ledger_of_a_key(onsite):
    parameters = {"event_type": "TicketSave", "message": "m", "script": "Restart", "hosts": "web01", "results": "[]"}
    intent = dict(parameters, status="started", key="k-1")
    assert json.loads(execute(onsite, 9, intent).json()) == {"key": "k-1", "state": "new"}
    assert json.loads(execute(onsite, 9, intent).json()) == {"key": "k-1", "state": "started"}
    outcome = dict(parameters, status="succeeded", key="k-1")
    assert json.loads(execute(onsite, 9, outcome).json()) == {"key": "k-1", "state": "reported", "status": "succeeded"}
    assert json.loads(execute(onsite, 9, intent).json()) == {"key": "k-1", "state": "reported", "status": "succeeded"}
    # Another key has a ledger entry of its own; a report without a key keeps none.
    assert json.loads(execute(onsite, 9, dict(intent, key="k-2")).json()) == {"key": "k-2", "state": "new"}
    assert execute(onsite, 9, dict(parameters, status="failed")).json() == "recorded"
    assert onsite.ledger == {"k-1": {"state": "reported", "status": "succeeded", "reports": 1},
                             "k-2": {"state": "started", "status": None, "reports": 0}}
    assert [r["status"] for r in onsite.stats()["reports"]] == ["started", "started", "succeeded", "started", "started",
                                                                "failed"]
    onsite.reset()
    assert onsite.ledger == {}


def test_ticket_script_opens_one_ticket_per_event(onsite):
    onsite.add_ticket_script()
    first = call(onsite, "POST", AGENT + "ExecuteScriptByIncludeId",
                 json={"CRMScriptIncludeId": "problem_ticket", "Parameters": {"event_id": "1006", "host": "h"}})
    again = call(onsite, "POST", AGENT + "ExecuteScriptByIncludeId",
                 json={"CRMScriptIncludeId": "problem_ticket", "Parameters": {"event_id": "1006", "host": "h"}})
    other = execute(onsite, 12, {"event_id": "1007"})
    assert [json.loads(r.json()) for r in (first, again, other)] == [
        {"ticket_id": "101", "action": "created"}, {"ticket_id": "101", "action": "updated"},
        {"ticket_id": "102", "action": "created"}]
    tickets = onsite.stats()["tickets"]
    assert [(t["ticket_id"], t["event_id"], len(t["messages"])) for t in tickets] == [(101, "1006", 2), (102, "1007", 1)]
    onsite.reset()
    assert onsite.tickets == [] and execute(onsite, 12, {}).status_code == 404


def test_language_headers_are_visible(onsite):
    both = execute(onsite, 10, headers={"Accept-Language": "en", "SO-Language": "no"})
    assert both.json() == "no"
    assert execute(onsite, 10, headers={"Accept-Language": "de"}).json() == "de"
    assert execute(onsite, 10).json() == ""
    echoed = json.loads(execute(onsite, 11, headers={
        "SO-Culture": "nb", "SO-TimeZone": "NO", "X-Extra": "1", "SO-AppToken": APP_TOKEN}).json())
    assert echoed["so-culture"] == "nb" and echoed["so-timezone"] == "NO"
    assert echoed["x-extra"] == "1"
    assert "authorization" not in echoed and "so-apptoken" not in echoed
    recorded = onsite.requests[-1]["headers"]
    assert recorded["SO-AppToken"] == APP_TOKEN and recorded["SO-Culture"] == "nb"
    assert onsite.executions[0]["language"] == "no"


# -- CRMScript entity and list -----------------------------------------------------------------

def test_get_entity(onsite):
    response = call(onsite, "GET", "/api/v1/CRMScript/1")
    entity = response.json()
    assert entity["EjscriptId"] == 1
    assert entity["UniqueIdentifier"] == SCRIPTS["hello"]["unique_id"]
    assert entity["IncludeId"] == "hello" and entity["Name"] == "Hello"
    assert entity["_Links"] == {"Self": onsite.url + "/api/v1/CRMScript/1",
                                "Archive": onsite.url + "/api/v1/CRMScript"}
    assert isinstance(entity["HtmlOutput"], int) and entity["ScriptType"] == "CRMScript"


def test_get_entity_select_nulls_the_rest(online):
    entity = call(online, "GET", "/api/v1/CRMScript/3", params={"$select": "name,IncludeId"}).json()
    assert entity["Name"] == "Echo parameters" and entity["IncludeId"] == "echo_parameters"
    assert entity["EjscriptId"] is None and entity["_Links"] is None
    assert len(entity) == 22


def test_get_entity_unknown(onsite):
    assert_error(call(onsite, "GET", "/api/v1/CRMScript/404"), 404, "SoNotFoundException",
                 "CRMScript Not Found")
    assert_error(call(onsite, "GET", "/api/v1/CRMScript/abc"), 404, "SoNotFoundException")


def _list(sim, **params):
    response = call(sim, "GET", "/api/v1/CRMScript",
                    params={f"${key}": value for key, value in params.items()})
    return response


def test_list_default_columns(onsite):
    body = _list(onsite).json()
    assert body["odata.metadata"] == onsite.url + "/api/v1/archive$metadata"
    assert "odata.nextLink" not in body
    assert [row["PrimaryKey"] for row in body["value"]] == list(range(1, 12))
    assert set(body["value"][0]) == {"PrimaryKey", "EntityName", "ejscriptId", "name",
                                     "description", "uniqueIdentifier", "includeId", "path"}
    assert body["value"][0]["EntityName"] == "ejscript"


@pytest.mark.parametrize("expression, ids", [
    ("name eq 'Hello'", [1]),
    ("name eq 'hello'", [1]),
    ("name is 'Duplicate name'", [5, 6]),
    ("name eq 'Duplicate name' and includeId eq 'duplicate_b'", [6]),
    (f"uniqueIdentifier eq '{SCRIPTS['slow']['unique_id']}'", [8]),
    ("includeId eq 'report'", [9]),
    ("ejscriptId eq 2", [2]),
    ("ejscriptId eq '3'", [3]),
    ("ejscriptId gt 9", [10, 11]),
    ("ejscriptId ge 2 and ejscriptId lt 4", [2, 3]),
    ("name eq 'Hello' or name eq 'Silent'", [1, 7]),
    ("(name eq 'Hello' or name eq 'Silent') and ejscriptId ne 1", [7]),
    ("not (ejscriptId le 10)", [11]),
    ("startswith(name, 'Echo')", [3, 10, 11]),
    ("endswith(includeId,'_a')", [5]),
    ("substringof('param', name)", [3]),
    ("name begins 'Dup'", [5, 6]),
    ("name contains 'output'", [2]),
    ("name notContains 'e'", [2, 4, 8]),
    ("name isNot 'Hello' and ejscriptId lt 3", [2]),
    ("name eq 'Nobody''s'", []),
])
def test_list_filters(online, expression, ids):
    body = _list(online, filter=expression, select="ejscriptId,name").json()
    assert [row["ejscriptId"] for row in body["value"]] == ids


@pytest.mark.parametrize("params", [
    {"filter": "name eq"}, {"filter": "name eq 'unterminated"}, {"filter": "name ~ 'x'"},
    {"filter": "colour eq 'red'"}, {"filter": "(name eq 'x'"}, {"filter": "ejscriptId eq 'x'"},
    {"filter": "name gt 'a'"}, {"filter": "name eq 'a' and"}, {"filter": "name eq 'a' 'b'"},
    {"select": "name,colour"}, {"top": "-1"}, {"top": "ten"}, {"skip": "x"},
    {"orderBy": "name sideways"},
])
def test_list_rejects_what_it_cannot_parse(onsite, params):
    assert_error(_list(onsite, **params), 400, "ArgumentException", "Bad Request")


def test_list_top_skip_next_link_and_order(onsite):
    body = _list(onsite, top="3", select="ejscriptId").json()
    assert [row["ejscriptId"] for row in body["value"]] == [1, 2, 3]
    next_page = requests.get(body["odata.nextLink"], headers={"Authorization": BASIC},
                             timeout=5).json()
    assert [row["ejscriptId"] for row in next_page["value"]] == [4, 5, 6]
    last = _list(onsite, top="5", skip="10", select="ejscriptId").json()
    assert [row["ejscriptId"] for row in last["value"]] == [11]
    assert "odata.nextLink" not in last
    ordered = _list(onsite, orderBy="name desc,ejscriptId", top="3", select="name").json()
    assert [row["name"] for row in ordered["value"]] == ["Throws", "Slow", "Silent"]


def test_list_is_not_restricted(onsite):
    onsite.configure(crmscript_agent_restricted=True)
    assert _list(onsite, filter="ejscriptId eq 1").status_code == 200


# -- CRMScript agent ---------------------------------------------------------------------------

def test_agent_execute_by_include_id(onsite):
    response = call(onsite, "POST", AGENT + "ExecuteScriptByIncludeId",
                    json={"CRMScriptIncludeId": "hello", "Parameters": {"name": "Bo"}})
    assert response.json() == "Hello, Bo!"
    assert onsite.executions[-1]["via"] == "agent"
    no_parameters = call(onsite, "POST", AGENT + "ExecuteScriptByIncludeId",
                         json={"CRMScriptIncludeId": "hello"})
    assert no_parameters.json() == "Hello, World!"


def test_agent_execute_errors(online):
    assert_error(call(online, "POST", AGENT + "ExecuteScriptByIncludeId",
                      json={"CRMScriptIncludeId": "nope", "Parameters": {}}),
                 404, "SoNotFoundException", "CRMScript Not Found")
    assert_error(call(online, "POST", AGENT + "ExecuteScriptByIncludeId",
                      json={"CRMScriptIncludeId": "hello", "Parameters": {"a": 1}}),
                 400, "ArgumentException")
    assert_error(call(online, "POST", AGENT + "ExecuteScriptByIncludeId",
                      json={"CRMScriptIncludeId": 5}), 400, "ArgumentException")
    assert_error(call(online, "POST", AGENT + "ExecuteScriptByIncludeId",
                      json={"CRMScriptIncludeId": "throws"}), 500, "CRMScriptException")


def test_agent_execute_by_id_and_unique_id(onsite):
    assert call(onsite, "POST", AGENT + "ExecuteScript",
                json={"CRMScriptId": 1, "Parameters": {"name": "Id"}}).json() == "Hello, Id!"
    # The official samples send the id as a string; model binding accepts it.
    assert call(onsite, "POST", AGENT + "ExecuteScript", headers=OFF_SPEC,
                json={"CRMScriptId": "1", "Parameters": {}}).json() == "Hello, World!"
    assert call(onsite, "POST", AGENT + "ExecuteScriptByUniqueId",
                json={"CRMScriptUniqueId": SCRIPTS["duplicate_b"]["unique_id"],
                      "Parameters": {}}).json() == "second"
    assert_error(call(onsite, "POST", AGENT + "ExecuteScript", json={"CRMScriptId": "x"}),
                 400, "ArgumentException")


def test_get_on_agent_url_describes_it(onsite):
    response = call(onsite, "GET", AGENT + "ExecuteScriptByIncludeId", auth=False)
    assert response.status_code == 200
    assert list(response.json().values()) == [
        {"POST": "Execute a CRMScript with parameters, returning printed output value."}]
    assert call(onsite, "GET", AGENT + "NoSuchMethod").status_code == 404


def test_unsimulated_agent_methods_answer_501(onsite):
    response = call(onsite, "POST", AGENT + "ValidateScript", json={"CRMScriptId": 1})
    assert response.status_code == 501
    assert "not simulated" in response.json()["Message"]
    assert call(onsite, "POST", "/api/v1/CRMScript/1/Validate").status_code == 501


# -- Event handlers ----------------------------------------------------------------------------

@pytest.mark.parametrize("amount, blocked", [("50", True), ("99", True), ("100", False),
                                             ("250", False), ("", True), ("abc", True)])
def test_sale_handler_blocks_low_amounts(onsite, amount, blocked):
    result = event(onsite, {"Type": "SalesBeforeSaveSale",
                            "InputValues": {"SaleEntity.Amount": amount, "IsNew": "true"},
                            "BlockExecution": False, "StateValues": {}}).json()
    assert list(result) == list(EVENT_DATA_FIELDS)
    assert result["BlockExecution"] is blocked
    assert result["Message"] == ("Amount too low" if blocked else None)
    assert result["InputValues"] == {"SaleEntity.Amount": amount, "IsNew": "true"}


def test_ticket_save_sets_remediation_outputs(onsite):
    inputs = {"ticket.id": "42", "zabbix.script": "Restart service", "zabbix.hosts": "web01,db01",
              "zabbix.manualinput": "nginx", "zabbix.script_id": ""}
    result = event(onsite, {"Type": "TicketSave", "InputValues": inputs}).json()
    assert result["OutputValues"] == {"zabbix.script": "Restart service",
                                      "zabbix.hosts": "web01,db01", "zabbix.manualinput": "nginx"}
    assert result["Message"] == "Remediation requested for ticket 42"
    assert result["StateValues"] == {"ticketSave.handled": "true"}
    assert result["BlockExecution"] is False
    quiet = event(onsite, {"Type": "TicketSave", "InputValues": {"ticket.id": "7"}}).json()
    assert quiet["OutputValues"] == {} and quiet["Message"] is None


def test_navigate_state_exception_and_contact_handlers(online):
    navigate = event(online, {"Type": "SalesAfterSaveSale",
                              "InputValues": {"SaleEntity.SaleId": "12"}}).json()
    assert navigate["NavigateTo"] == "soprotocol:sale.main?sale_id=12"
    chat = event(online, {"Type": "ChatBeforeSaveNewMessage",
                          "InputValues": {"chatMessage.message": "hi"},
                          "StateValues": {"chat.count": "2", "kept": "yes"}}).json()
    assert chat["StateValues"] == {"chat.count": "3", "kept": "yes", "chat.lastMessage": "hi"}
    failed = event(online, {"Type": "ScheduledTaskFailed"})
    assert failed.status_code == 200
    assert "Object reference not set" in failed.json()["Exception"]
    contact = event(online, {"Type": "SalesBeforeSaveContact",
                             "InputValues": {"ContactEntity.OrgNr": "123 456 789"}}).json()
    assert contact["OutputValues"] == {"ContactEntity.OrgNr": "123456789"}
    missing = event(online, {"Type": "SalesBeforeSaveContact", "InputValues": {}}).json()
    assert missing["BlockExecution"] is True
    assert missing["Message"] == "Organisation number is required"


def test_type_without_handler_returns_event_data_unchanged(onsite):
    sent = {"Type": "TicketClosed", "InputValues": {"a": "1"}, "BlockExecution": True,
            "NavigateTo": "there", "Message": "m", "OutputValues": {"o": "2"},
            "StateValues": {"s": "3"}, "CgiContent": "c", "TraceExecution": True}
    result = event(onsite, sent).json()
    for key, value in sent.items():
        assert result[key] == value
    assert result["ShowDialog"] is None and result["Exception"] is None
    assert result["ParserValues"] == {} and result["Headers"] == {}
    assert result["TableRight"] is None and result["FieldProperties"] == {}
    assert onsite.executions[-1] == {"kind": "event_handlers", "event_type": "TicketClosed",
                                     "input_values": {"a": "1"}, "state_values": {"s": "3"},
                                     "output_values": {"o": "2"}, "handled": False}


def test_event_type_forms(onsite):
    # Newtonsoft reads enum names in any case, and numbers.
    lower = event(onsite, {"Type": "salesbeforesavesale"}, headers=OFF_SPEC)
    assert lower.json()["Type"] == "SalesBeforeSaveSale"
    assert event(onsite, {"Type": 1008}, headers=OFF_SPEC).json()["Type"] == "SalesBeforeSaveSale"
    assert event(onsite, {"InputValues": {}}).json()["Type"] == "Unknown"
    camel = call(onsite, "POST", CS + "ExecuteEventHandlers", headers=OFF_SPEC,
                 json={"eventData": {"type": "TicketSave", "inputValues": {"a": "b"}}})
    assert camel.json()["Type"] == "TicketSave" and camel.json()["InputValues"] == {"a": "b"}


@pytest.mark.parametrize("event_data", [
    {"Type": "SaleBeforeSave"}, {"Type": 5}, {"Type": True}, {"Type": "OutboxItemCreated"},
    {"Type": "TicketSave", "InputValues": {"n": 1}}, {"Type": "TicketSave", "InputValues": []},
    {"Type": "TicketSave", "BlockExecution": "yes"}, {"Type": "TicketSave", "Message": 3},
    None, "TicketSave",
])
def test_execute_event_handlers_rejects_invalid_event_data(onsite, event_data):
    body = assert_error(event(onsite, event_data), 400, "ArgumentException", "Bad Request")
    if isinstance(event_data, dict) and event_data.get("Type") == "SaleBeforeSave":
        assert "EventHandlerType" in body["ErrorMessage"]
    assert onsite.executions == []


def test_event_select_nulls_unselected_fields(onsite):
    result = call(onsite, "POST", CS + "ExecuteEventHandlers?$select=blockExecution,Message",
                  json={"EventData": {"Type": "SalesBeforeSaveSale",
                                      "InputValues": {"SaleEntity.Amount": "1"}}}).json()
    assert result["BlockExecution"] is True and result["Message"] == "Amount too low"
    assert all(result[key] is None for key in EVENT_DATA_FIELDS
               if key not in ("BlockExecution", "Message"))
    assert list(result) == list(EVENT_DATA_FIELDS)


def test_event_handler_exists(onsite):
    for event_type in HANDLED_EVENT_TYPES:
        assert call(onsite, "POST", CS + "EventHandlerExists",
                    json={"EventHandlerType": event_type}).json() is True
    response = call(onsite, "POST", CS + "EventHandlerExists",
                    json={"EventHandlerType": "TicketClosed"})
    assert response.text == "false"
    assert_error(call(onsite, "POST", CS + "EventHandlerExists",
                      json={"EventHandlerType": "Nope"}), 400, "ArgumentException")
    asked = ["TicketClosed", "TicketSave", "SalesBeforeSaveSale"]
    several = call(onsite, "POST", CS + "EventHandlersExists", json={"EventHandlerTypes": asked})
    assert several.json() == ["TicketSave", "SalesBeforeSaveSale"]


def test_set_handler_callable_and_declarative(onsite):
    def handler(event_data):
        event_data["OutputValues"]["seen"] = event_data["InputValues"].get("x", "")
        event_data["ShowDialog"] = '{"title": "t"}'

    onsite.set_handler("TicketClosed", handler)
    result = event(onsite, {"Type": "TicketClosed", "InputValues": {"x": "1"}}).json()
    assert result["OutputValues"] == {"seen": "1"} and result["ShowDialog"] == '{"title": "t"}'

    def failing(_event_data):
        raise CRMScriptError("boom")

    onsite.set_handler("TicketDeleted", failing)
    assert event(onsite, {"Type": "TicketDeleted"}).json()["Exception"] == "boom"
    onsite.set_handler("NewTicket", {"block": True, "message": "No ${who}",
                                     "output_values": {"k": "${who}!"},
                                     "state_values": {"s": "1"}, "navigate_to": "x"})
    declared = event(onsite, {"Type": "NewTicket", "InputValues": {"who": "Eve"}}).json()
    assert declared["BlockExecution"] is True and declared["Message"] == "No Eve"
    assert declared["OutputValues"] == {"k": "Eve!"} and declared["StateValues"] == {"s": "1"}
    assert declared["NavigateTo"] == "x"
    onsite.set_handler("TicketSave", None)
    assert call(onsite, "POST", CS + "EventHandlerExists",
                json={"EventHandlerType": "TicketSave"}).json() is False
    assert onsite.handled_event_types()[0] == "NewTicket"
    with pytest.raises(ValueError):
        onsite.set_handler("NoSuchType", {})
    with pytest.raises(ValueError):
        onsite.set_handler("TicketSave", {"colour": "red"})
    onsite.reset()
    assert onsite.handled_event_types() == sorted(
        HANDLED_EVENT_TYPES, key=EVENT_TYPE_NAMES.index)


# -- Authentication ----------------------------------------------------------------------------

def _assert_unauthorized(response):
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["Content-Length"] == "0"
    assert response.headers["WWW-Authenticate"]


@pytest.mark.parametrize("headers", [
    {"Authorization": BASIC},
    {"Authorization": "SOTicket " + TICKET},
    {"Authorization": "SoTicket " + TICKET},
    {"Authorization": "SOTICKET " + TICKET},
    {"Authorization": "soticket " + TICKET},
    {"Authorization": "Basic " + TICKET},
    {"X-XSRF-TOKEN": XSRF_TOKEN},
])
def test_onsite_accepts(onsite, headers):
    assert execute(onsite, 1, auth=False, headers=headers).json() == "Hello, World!"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Basic " + base64.b64encode(b"tje0:wrong").decode()},
    {"Authorization": "Basic !!!"},
    {"Authorization": "Basic"},
    {"Authorization": "Bearer " + ACCESS_TOKEN},
    {"Authorization": "SOTicket 7T:bm9wZQ=="},
    {"Authorization": "Negotiate abc"},
    {"X-XSRF-TOKEN": "wrong"},
])
def test_onsite_refuses(onsite, headers):
    _assert_unauthorized(execute(onsite, 1, auth=False, headers=headers))
    assert onsite.executions == []


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer " + ACCESS_TOKEN},
    {"Authorization": "SOTicket " + TICKET, "SO-AppToken": APP_TOKEN},
    {"Authorization": "SoTicket " + TICKET, "SO-AppToken": APP_TOKEN},
    {"X-XSRF-TOKEN": XSRF_TOKEN},
])
def test_online_accepts(online, headers):
    assert execute(online, 1, auth=False, headers=headers).json() == "Hello, World!"


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "SOTicket " + TICKET},
    {"Authorization": "SOTicket " + TICKET, "SO-AppToken": "0" * 32},
    {"Authorization": "Bearer 8A:Cust12345.wrong"},
    {"Authorization": BASIC},
    {"Authorization": "Basic " + TICKET},
])
def test_online_refuses(online, headers):
    _assert_unauthorized(execute(online, 1, auth=False, headers=headers))


def test_credential_constants_have_documented_shapes():
    assert TICKET.startswith("7T:")
    decoded = base64.b64decode(TICKET[3:]).decode("utf-16-le").split(";")
    assert len(decoded[0]) == 32 and decoded[1].isdigit() and decoded[2] == "Cust12345"
    assert ACCESS_TOKEN.startswith("8A:Cust12345.")
    assert len(APP_TOKEN) == 32 and int(APP_TOKEN, 16) >= 0
    assert BASIC == "Basic dGplMDpUamUw"


def test_misdirected_online_host(online):
    online.configure(expected_host="online2.superoffice.com")
    wrong = execute(online, 1, headers={"Host": "online.superoffice.com"})
    assert wrong.status_code == 421
    assert online.responses[-1]["body"] == "Wrong subdomain used to access tenant"
    assert online.executions == []
    assert wrong.reason == "Misdirected Request"
    assert wrong.text == "Wrong subdomain used to access tenant"
    right = execute(online, 1, headers={"Host": "online2.superoffice.com:443"})
    assert right.json() == "Hello, World!"
    with SuperOfficeSimulator(mode="onsite", expected_host="elsewhere") as onsite_sim:
        assert execute(onsite_sim, 1).status_code == 200


def test_restricted_crmscript_agent(onsite):
    onsite.configure(crmscript_agent_restricted=True)
    for response in (execute(onsite, 1), call(onsite, "GET", "/api/v1/CRMScript/1"),
                     call(onsite, "POST", AGENT + "ExecuteScriptByIncludeId",
                          json={"CRMScriptIncludeId": "hello", "Parameters": {}})):
        assert_error(response, 403, "SoAccessDeniedException", "Forbidden")
    assert event(onsite, {"Type": "TicketSave"}).status_code == 200
    assert onsite.executions[-1]["kind"] == "event_handlers"
    _assert_unauthorized(execute(onsite, 1, auth=False))


# -- HTTP details ------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v1/Nope", "/api/v2/CRMScript", "/api/v1/CRMScript/1/x",
                                  "/api/v1/Agents/Other/Method"])
def test_unknown_paths(onsite, path):
    response = call(onsite, "POST", path, json={})
    assert response.status_code == 404
    assert response.json()["Message"].startswith("No HTTP resource was found")


def test_paths_outside_the_base(onsite, online):
    root = onsite.url.rsplit("/", 1)[0]
    assert requests.get(root + "/Other/api", timeout=5).status_code == 404
    assert requests.get(online.url.replace("Cust12345", "Cust99999") + "/api/v1/CRMScript",
                        headers={"Authorization": "Bearer " + ACCESS_TOKEN},
                        timeout=5).status_code == 404


def test_wrong_verb(onsite):
    response = call(onsite, "GET", "/api/v1/CRMScript/1/Execute")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert onsite.stats()["by_endpoint"] == {"GET /api/v1/CRMScript/{id}/Execute": 1}


def test_accept_without_json(onsite):
    assert execute(onsite, 1, headers={"Accept": "application/xml"}).status_code == 406
    assert execute(onsite, 1, headers={"Accept": "text/json"}).status_code == 200
    assert execute(onsite, 1, headers={"Accept": "*/*"}).status_code == 200


def test_keep_alive_and_connection_count(onsite):
    with requests.Session() as session:
        for _unused in range(3):
            response = session.post(onsite.url + "/api/v1/CRMScript/1/Execute", json={},
                                    headers={"Authorization": BASIC}, timeout=5)
            assert response.raw.version == 11
            assert response.headers.get("Connection", "").lower() != "close"
    assert onsite.stats()["connections"] == 1
    for _unused in range(2):
        execute(onsite, 1)
    assert onsite.stats()["connections"] == 3


def test_chunked_request_body(onsite):
    def chunks():
        yield b'{"name": '
        yield b'"chunky"}'

    response = call(onsite, "POST", "/api/v1/CRMScript/1/Execute", data=chunks(),
                    headers={"Content-Type": "application/json"})
    assert response.json() == "Hello, chunky!"


def test_latency(onsite):
    onsite.latency = 0.25
    started = time.monotonic()
    execute(onsite, 7)
    assert time.monotonic() - started >= 0.25


# -- Recording and control ---------------------------------------------------------------------

def test_recording(onsite):
    execute(onsite, 1, {"name": "Rec"}, headers={"SO-Language": "en"})
    event(onsite, {"Type": "TicketSave", "InputValues": {"zabbix.script": "S"}})
    call(onsite, "GET", "/api/v1/CRMScript", params={"$top": "1"})
    execute(onsite, 1, auth=False)
    request, response = onsite.requests[0], onsite.responses[0]
    assert request["method"] == "POST"
    assert request["path"] == "/SuperOffice/api/v1/CRMScript/1/Execute"
    assert request["body"] == {"name": "Rec"} and request["auth"] == "basic"
    assert request["headers"]["SO-Language"] == "en"
    assert response["status"] == 200 and response["body"] == "Hello, Rec!"
    assert response["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert onsite.requests[2]["query"] == {"$top": "1"}
    assert onsite.responses[3]["status"] == 401 and onsite.responses[3]["body"] is None
    challenge = onsite.responses[3]["headers"]["WWW-Authenticate"]
    assert challenge == 'Basic realm="SuperOffice", SOTicket'

    stats = onsite.stats()
    json.dumps(stats)
    assert stats["requests"] == 4
    assert stats["by_endpoint"] == {"POST /api/v1/CRMScript/{id}/Execute": 2,
                                    "POST /api/v1/Agents/CustomerService/ExecuteEventHandlers": 1,
                                    "GET /api/v1/CRMScript": 1}
    assert [entry["kind"] for entry in stats["executions"]] == ["script", "event_handlers"]
    assert stats["executions"][0]["parameters"] == {"name": "Rec"}
    assert stats["executions"][1]["input_values"] == {"zabbix.script": "S"}
    assert [x["request"]["endpoint"] for x in stats["exchanges"]] == [
        "POST /api/v1/CRMScript/{id}/Execute", "POST /api/v1/Agents/CustomerService/ExecuteEventHandlers",
        "GET /api/v1/CRMScript", "POST /api/v1/CRMScript/{id}/Execute"]
    assert stats["exchanges"][0] == {"request": onsite.requests[0], "response": onsite.responses[0]}
    assert stats["exchanges"][3]["response"]["status"] == 401
    onsite.reset()
    assert onsite.stats() == {"requests": 0, "connections": 0, "by_endpoint": {},
                              "executions": [], "reports": [], "ledger": {}, "tickets": [], "exchanges": []}


def test_add_script(onsite):
    onsite.add_script(100, "Custom", "Hi ${who}", include_id="custom", unique_id="custom-uid")
    assert execute(onsite, 100, {"who": "you"}).json() == "Hi you"
    assert execute(onsite, "custom-uid").json() == "Hi "
    assert _list(onsite, filter="name eq 'Custom'", select="includeId").json()["value"] == [
        {"PrimaryKey": 100, "EntityName": "ejscript", "includeId": "custom"}]
    onsite.add_script(101, "Printer", run=lambda ctx: ctx.print(ctx.get_variable("v") * 2))
    assert execute(onsite, 101, {"v": "ab"}).json() == "abab"
    onsite.add_script(102, "Failing", "partial", error="bad ${v}")
    assert assert_error(execute(onsite, 102, {"v": "x"}), 500,
                        "CRMScriptException")["ErrorMessage"] == "bad x"
    onsite.remove_script(100)
    assert execute(onsite, 100).status_code == 404


def test_control_endpoints(online):
    root = online.root_url
    execute(online, 1)
    stats = requests.get(root + "/_sim/stats", timeout=5).json()
    assert stats["requests"] == 1 and stats["executions"][0]["id"] == 1
    exchanges = requests.get(root + "/_sim/requests", timeout=5).json()
    assert exchanges["responses"][0]["body"] == "Hello, World!"
    config = requests.post(root + "/_sim/config", json={"latency": 0.01, "slow_seconds": 0.1},
                           timeout=5).json()["config"]
    assert config["latency"] == 0.01 and online.slow_seconds == 0.1
    assert requests.post(root + "/_sim/config", json={"colour": 1}, timeout=5).status_code == 400
    assert requests.post(root + "/_sim/config", json={"latency": -1},
                         timeout=5).status_code == 400
    handler = {"event_type": "TicketClosed", "block": False, "message": "closed ${id}",
               "output_values": {"zabbix.script": "Cleanup", "zabbix.hosts": "${hosts}"},
               "exception": None}
    assert requests.post(root + "/_sim/handlers", json=handler, timeout=5).status_code == 200
    result = event(online, {"Type": "TicketClosed",
                            "InputValues": {"id": "9", "hosts": "web01"}}).json()
    assert result["Message"] == "closed 9"
    assert result["OutputValues"] == {"zabbix.script": "Cleanup", "zabbix.hosts": "web01"}
    assert requests.post(root + "/_sim/handlers", json={"event_type": "TicketClosed",
                                                        "remove": True},
                         timeout=5).status_code == 200
    assert not online.has_handler("TicketClosed")
    assert requests.post(root + "/_sim/handlers", json={"event_type": "Nope"},
                         timeout=5).status_code == 400
    added = requests.post(root + "/_sim/scripts", json={"id": 50, "name": "Remote",
                                                        "output": "r ${x}", "include_id": "rem"},
                          timeout=5).json()
    assert added["include_id"] == "rem"
    assert call(online, "POST", AGENT + "ExecuteScriptByIncludeId",
                json={"CRMScriptIncludeId": "rem", "Parameters": {"x": "1"}}).json() == "r 1"
    assert requests.post(root + "/_sim/scripts", json={"name": "no id"},
                         timeout=5).status_code == 400
    assert requests.post(root + "/_sim/reset", timeout=5).json() == {"ok": True}
    assert online.stats()["requests"] == 0 and online.config["latency"] == 0.0
    assert requests.get(root + "/_sim/nothing", timeout=5).status_code == 404
    # below the tenant URL too, so that the base URL is all a client needs to know
    execute(online, 1)
    below = requests.get(online.url + "/_sim/stats", timeout=5).json()
    assert below["requests"] == 1 and below["exchanges"][0]["response"]["body"] == "Hello, World!"
    assert requests.post(online.url.upper().replace("HTTP://", "http://") + "/_sim/reset",
                         timeout=5).json() == {"ok": True}
    assert online.stats()["requests"] == 0


def test_command_line(tmp_path):
    port_file = tmp_path / "port"
    env = simulator_env()
    with subprocess.Popen([sys.executable, "-m", MODULES["superoffice"], "--mode", "online", "--port", "0",
                           "--latency", "0.01", "--port-file", str(port_file)],
                          stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            line = process.stdout.readline().strip()
            assert line.startswith("SUPEROFFICE_SIM_URL=http://127.0.0.1:")
            url = line.split("=", 1)[1]
            assert url.endswith("/Cust12345")
            assert port_file.read_text().strip() == url
            response = requests.post(url + "/api/v1/CRMScript/1/Execute", json={"name": "cli"},
                                     headers={"Authorization": "Bearer " + ACCESS_TOKEN},
                                     timeout=5)
            assert response.json() == "Hello, cli!"
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
    with subprocess.Popen([sys.executable, "-m", MODULES["superoffice"]], stdout=subprocess.PIPE,
                          text=True, env=env) as process:
        try:
            assert process.stdout.readline().strip().endswith("/SuperOffice")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


# -- Faithfulness to the official specs --------------------------------------------------------

def test_event_type_enum_matches_specs_and_json_file():
    with open(SPEC_DIR / "event-handler-types.json", encoding="utf-8") as handle:
        listed = json.load(handle)
    assert len(EVENT_TYPE_NAMES) == 109
    assert [tuple(item) for item in listed] == list(EVENT_HANDLER_TYPES)
    assert event_handler_type_enum() == list(EVENT_TYPE_NAMES)
    assert event_handler_type_enum("Swagger-v1-CRMScript.json") == list(EVENT_TYPE_NAMES)
    definitions = load_spec("Swagger-v1-CustomerServiceAgent.json")["definitions"]
    prefix = "SuperOffice.WebApi.v1.Carriers.CustomerServiceCarriers."
    assert definitions[prefix + "EventHandlerExistsRequest"]["properties"][
        "EventHandlerType"]["enum"] == list(EVENT_TYPE_NAMES)
    assert definitions[prefix + "EventHandlersExistsRequest"]["properties"][
        "EventHandlerTypes"]["items"]["enum"] == list(EVENT_TYPE_NAMES)
    assert list(definitions["SuperOffice.CRM.Services.EventData"]["properties"]) == list(
        EVENT_DATA_FIELDS)


def test_every_served_operation_is_validated(onsite):
    """One call of each served operation; each must map to its spec operation and validate."""
    calls = [
        ("POST", "/api/v1/CRMScript/1/Execute", {"name": "v"}),
        ("POST", f"/api/v1/CRMScript/{SCRIPTS['hello']['unique_id']}/Execute", {}),
        ("GET", "/api/v1/CRMScript/1", None),
        ("GET", "/api/v1/CRMScript/1?$select=Name", None),
        ("GET", "/api/v1/CRMScript?$select=name,ejscriptId&$filter=name eq 'Hello'&$top=5", None),
        ("GET", "/api/v1/CRMScript", None),
        ("POST", AGENT + "ExecuteScript", {"CRMScriptId": 2, "Parameters": {}}),
        ("POST", AGENT + "ExecuteScriptByIncludeId",
         {"CRMScriptIncludeId": "echo_parameters", "Parameters": {"a": "b"}}),
        ("POST", AGENT + "ExecuteScriptByUniqueId",
         {"CRMScriptUniqueId": SCRIPTS["silent"]["unique_id"], "Parameters": {}}),
        ("POST", CS + "ExecuteEventHandlers",
         {"EventData": {"Type": "TicketSave", "InputValues": {"zabbix.script": "x"}}}),
        ("POST", CS + "ExecuteEventHandlers?$select=OutputValues",
         {"EventData": {"Type": "TicketSave", "InputValues": {"zabbix.script": "x"}}}),
        ("POST", CS + "EventHandlerExists", {"EventHandlerType": "TicketSave"}),
        ("POST", CS + "EventHandlersExists", {"EventHandlerTypes": ["TicketSave"]}),
    ]
    for method, path, body in calls:
        assert call(onsite, method, path, json=body).status_code == 200, path
    operation_ids = [validate_exchange(request, response)
                     for request, response in zip(onsite.requests, onsite.responses)]
    assert operation_ids == [
        "v1CRMScriptEntity_ExecuteScript", "v1CRMScriptEntity_ExecuteScriptByUniqueId",
        "v1CRMScriptEntity_GetCRMScriptEntity", "v1CRMScriptEntity_GetCRMScriptEntity",
        "v1CRMScriptEntity_GetAll", "v1CRMScriptEntity_GetAll",
        "v1CRMScriptAgent_ExecuteScript", "v1CRMScriptAgent_ExecuteScriptByIncludeId",
        "v1CRMScriptAgent_ExecuteScriptByUniqueId",
        "v1CustomerServiceAgent_ExecuteEventHandlers",
        "v1CustomerServiceAgent_ExecuteEventHandlers",
        "v1CustomerServiceAgent_EventHandlerExists",
        "v1CustomerServiceAgent_EventHandlersExists"]


def test_error_answers_fit_the_documented_error_shape(onsite):
    execute(onsite, 999)
    execute(onsite, 4)
    execute(onsite, 1, {"n": 5})
    onsite.configure(crmscript_agent_restricted=True)
    execute(onsite, 1)
    for response in onsite.responses:
        jsonschema.Draft4Validator(ERROR_BODY_SCHEMA).validate(response["body"])


def _exchange(path, body, response_body, **overrides):
    """A recorded request and response as the simulator keeps them."""
    request = {"method": overrides.get("method", "POST"), "path": "/SuperOffice" + path,
               "query": overrides.get("query", {}),
               "headers": {"Content-Type": "application/json"},
               "raw_body": "" if body is None else json.dumps(body)}
    response = {"status": overrides.get("status", 200),
                "headers": {"Content-Type": "application/json; charset=utf-8"},
                "raw_body": json.dumps(response_body)}
    return request, response


def test_validator_is_not_vacuous():
    good = _exchange(CS + "ExecuteEventHandlers", {"EventData": {"Type": "TicketSave"}},
                     {"Type": "TicketSave", "BlockExecution": False})
    assert validate_exchange(*good) == "v1CustomerServiceAgent_ExecuteEventHandlers"
    bad_cases = [
        _exchange(CS + "ExecuteEventHandlers", {"EventData": {"Type": "Nope"}}, {}),
        _exchange(CS + "ExecuteEventHandlers", {"EventData": {"InputValues": {"a": 1}}}, {}),
        _exchange(CS + "ExecuteEventHandlers", {"EventData": {}}, {"BlockExecution": "yes"}),
        _exchange(CS + "ExecuteEventHandlers", {"EventData": {}}, {"OutputValues": {"a": None}}),
        _exchange("/api/v1/CRMScript/1/Execute", {"a": 1}, "out"),
        _exchange("/api/v1/CRMScript/1/Execute", {"a": "1"}, {"not": "a string"}),
        _exchange("/api/v1/CRMScript/1/Execute", None, "out"),
        _exchange("/api/v1/CRMScript/1/Execute", {}, "out", query={"$select": "x"}),
        _exchange(AGENT + "ExecuteScript", {"CRMScriptId": "1"}, "out"),
        _exchange(CS + "EventHandlerExists", {"EventHandlerType": "TicketSave"}, "true"),
        _exchange("/api/v1/CRMScript", None, {"value": "x"}, method="GET"),
        _exchange("/api/v1/CRMScript", None, {"value": []}, method="GET", query={"$top": "x"}),
        _exchange("/api/v1/CRMScript/1", None, {"EjscriptId": "1"}, method="GET"),
        _exchange("/api/v1/CRMScript/1", None, {"ScriptType": "Python"}, method="GET"),
        _exchange("/api/v1/CRMScript/1/Execute", {}, {"Error": True, "ErrorType": "X"},
                  status=404),
    ]
    for request, response in bad_cases:
        with pytest.raises((jsonschema.ValidationError, SwaggerMismatch)):
            validate_exchange(request, response)
    with pytest.raises(LookupError):
        validate_exchange({"method": "GET", "path": "/SuperOffice/api/v1/Nope", "query": {}})
    request, response = _exchange("/api/v1/CRMScript/1/Execute", {}, "out")
    response["headers"]["Content-Type"] = "text/plain"
    with pytest.raises(SwaggerMismatch):
        validate_exchange(request, response)


def test_find_operation_tells_ids_from_unique_ids():
    assert find_operation("POST", "/x/api/v1/CRMScript/12/Execute").operation_id == \
        "v1CRMScriptEntity_ExecuteScript"
    assert find_operation("POST", "/x/api/v1/CRMScript/ab-12/Execute").operation_id == \
        "v1CRMScriptEntity_ExecuteScriptByUniqueId"
    assert find_operation("GET", "/x/api/v1/CRMScript/default").operation_id == \
        "v1CRMScriptEntity_DefaultCRMScriptEntity"
    assert find_operation("GET", "/x/api/v1/CRMScript/abc") is None
    assert find_operation("GET", "/x/api") is None
    assert all((SPEC_DIR / name).is_file() for name in SPEC_FILES)


def test_full_responses_keep_value_types_non_null(onsite):
    entity = call(onsite, "GET", "/api/v1/CRMScript/2").json()
    for key in ("EjscriptId", "HierarchyId", "HtmlOutput", "RegisteredAssociateId",
                "UpdatedAssociateId", "ScriptType", "BlockedVerbs", "Registered", "Updated"):
        assert entity[key] is not None, key
    result = event(onsite, {"Type": "TicketSave"}).json()
    for key in ("Type", "BlockExecution", "TraceExecution", "InputValues", "OutputValues",
                "StateValues", "ParserValues", "CgiVariables", "Headers", "FieldProperties"):
        assert result[key] is not None, key
    _unused, schema = operation_schemas("Swagger-v1-CustomerServiceAgent.json",
                                        "/api/v1/Agents/CustomerService/ExecuteEventHandlers", "post",
                                        nullable=False)
    strict = {key: value for key, value in result.items() if value is not None}
    validator(schema).validate(strict)
