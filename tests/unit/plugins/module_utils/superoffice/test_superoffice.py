# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The SuperOffice client: URLs, credentials, headers, string maps, event types, and errors from a real local server."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import module_arguments
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    MAY_HAVE_RUN,
    AuthError,
    HttpStatusError,
    InvalidParamsError,
    NotFoundError,
    OptionError,
    ProtocolError,
    ScriptFailedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import REDACTED, Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import SuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.connection import SUPEROFFICE
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.urls import (
    api_url,
    base_url,
    is_online,
    tenant_id,
    tenant_state_url,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.vocabulary import (
    EVENT_DATA_FIELDS,
    EVENT_HANDLER_TYPES,
    canonical_event_type,
    event_data_field,
    odata_string,
    snake_case,
    to_string_map,
)
from ansible_collections.scriptbridge.core.tests.simulators.swagger import event_handler_type_enum

TICKET = "7T:MAA3AGYAMQBlAGQAZAAxAGQAZQAwADgAYgAxAGEAYwBkADYAOAA0ADcAMQA2AA=="
ACCESS_TOKEN = "8A:Cust12345.AQeN6vT2mZ4kLw9sJb0xYcRfHq7pDu3nE"
APP_TOKEN = "f2398a3a7e1b4c759d4b220e9a9c9432"
XSRF = "c0ffee5e55104e0b9f1d7a2b3c4d5e6f"
COOKIE = "ASP.NET_SessionId=k3j4h5g6f7d8s9a0; XSRF-TOKEN=c0ffee5e55104e0b9f1d7a2b3c4d5e6f"
PASSWORD = "Tje0-S3cret\u00e6"
ONSITE = "https://crm.example.com/SuperOffice"
ONLINE = "https://online2.superoffice.com/Cust12345"


def connection_argument_spec():
    """The options of a SuperOffice module's connection: its group and the transport group."""
    return module_arguments(SUPEROFFICE.compose(), {}, {})[0]


def client_for(url=ONSITE, **kwargs):
    return SuperOfficeClient(url, redactor=Redactor(), timeout=5, **kwargs)


# -- URLs ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("https://crm.example.com/SuperOffice", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://crm.example.com/SuperOffice/", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://crm.example.com/SuperOffice/api", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://crm.example.com/SuperOffice/api/", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://crm.example.com/SuperOffice/api/v1", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://crm.example.com/SuperOffice/api/v1/", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://crm.example.com/SuperOffice/API/V1//", "https://crm.example.com/SuperOffice/api/v1/"),
    ("http://superoffice80", "http://superoffice80/api/v1/"),
    ("http://superoffice80/", "http://superoffice80/api/v1/"),
    ("http://superoffice80/api/v1", "http://superoffice80/api/v1/"),
    ("http://10.0.0.5:8080/crm/superoffice", "http://10.0.0.5:8080/crm/superoffice/api/v1/"),
    ("  https://crm.example.com/SuperOffice  ", "https://crm.example.com/SuperOffice/api/v1/"),
    ("https://sod2.superoffice.com/Cust12345", "https://sod2.superoffice.com/Cust12345/api/v1/"),
    ("https://sod2.superoffice.com/Cust12345/", "https://sod2.superoffice.com/Cust12345/api/v1/"),
    ("https://sod.superoffice.com/Cust26759/api/", "https://sod.superoffice.com/Cust26759/api/v1/"),
    ("https://online3.superoffice.com/Cust12345/api/v1/", "https://online3.superoffice.com/Cust12345/api/v1/"),
    # the REST root as one documentation page writes it
    ("https://sod2.superoffice.com/api/v1/Cust12345", "https://sod2.superoffice.com/Cust12345/api/v1/"),
])
def test_api_url_for_every_documented_form(url, expected):
    assert api_url(url) == expected
    assert base_url(url) + "/api/v1/" == expected


@pytest.mark.parametrize("url, text", [
    ("", "empty"),
    ("   ", "empty"),
    ("crm.example.com/SuperOffice", "http"),
    ("ftp://crm.example.com/SuperOffice", "http"),
    ("https://", "http"),
    ("https://crm.example.com/SuperOffice?x=1", "query or fragment"),
    ("https://crm.example.com/SuperOffice#top", "query or fragment"),
    ("https://user:pw@crm.example.com/SuperOffice", "user name or password"),
])
def test_api_url_refuses_what_is_not_a_base_url(url, text):
    with pytest.raises(OptionError) as caught:
        api_url(url)
    assert text in caught.value.message and caught.value.kind == "invalid_params"
    assert "pw@" not in caught.value.message


@pytest.mark.parametrize("url, online, tenant", [
    ("https://online2.superoffice.com/Cust12345", True, "Cust12345"),
    ("https://sod.superoffice.com/Cust26759/api/", True, "Cust26759"),
    ("https://app.superoffice.com/cust4/", True, "cust4"),
    # Not under superoffice.com: not judged by its path, however much it looks like a tenant.
    ("http://127.0.0.1:8080/Cust12345", False, "Cust12345"),
    ("https://crm.example.com/SuperOffice", False, None),
    ("http://superoffice80", False, None),
    ("https://crm.example.com/Cust12345/SuperOffice", False, None),
    ("https://crm.example.com/Customer1", False, None),
    ("https://superoffice.com.example.org/SuperOffice", False, None),
])
def test_online_is_told_by_host_only(url, online, tenant):
    assert is_online(url) is online
    assert tenant_id(url) == tenant


@pytest.mark.parametrize("url, expected", [
    ("https://sod2.superoffice.com/Cust12345", "https://sod.superoffice.com/api/state/Cust12345"),
    ("https://sod.superoffice.com/Cust12345", "https://sod.superoffice.com/api/state/Cust12345"),
    ("https://online3.superoffice.com/Cust777/api", "https://online.superoffice.com/api/state/Cust777"),
    ("https://qaonline.superoffice.com/Cust1", "https://qaonline.superoffice.com/api/state/Cust1"),
    ("https://app.superoffice.com/Cust1", "https://online.superoffice.com/api/state/Cust1"),
    ("http://127.0.0.1:9/Cust12345", "https://online.superoffice.com/api/state/Cust12345"),
])
def test_tenant_state_url_names_the_environment_and_tenant(url, expected):
    assert tenant_state_url(url) == expected


# -- credentials and headers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, given, text", [
    (ONSITE, {}, "none was given"),
    (ONSITE, {"ticket": TICKET, "access_token": ACCESS_TOKEN}, "got ticket and access_token"),
    (ONSITE, {"username": "tje0", "password": PASSWORD, "ticket": TICKET}, "got username and password and ticket"),
    (ONSITE, {"xsrf_token": XSRF, "access_token": ACCESS_TOKEN}, "got access_token and xsrf_token"),
    (ONSITE, {"username": "tje0"}, "go together"),
    (ONSITE, {"password": PASSWORD}, "go together"),
    (ONSITE, {"username": "tje:0", "password": PASSWORD}, "':'"),
    (ONSITE, {"ticket": TICKET, "session_cookie": COOKIE}, "session_cookie belongs to xsrf_token"),
    (ONLINE, {"username": "tje0", "password": PASSWORD}, "Online does not accept username and password"),
    ("https://app.superoffice.com/Cust12345", {"username": "tje0", "password": PASSWORD}, "Online does not accept"),
    (ONLINE, {"ticket": TICKET}, "needs app_token"),
])
def test_credentials_are_checked_before_any_request(url, given, text):
    with pytest.raises(OptionError) as caught:
        client_for(url, **given)
    assert text in caught.value.message
    assert caught.value.kind == "invalid_params"
    assert PASSWORD not in caught.value.message and TICKET not in caught.value.message


def test_no_credentials_message_names_the_environment_variables():
    with pytest.raises(OptionError) as caught:
        client_for()
    assert "SUPEROFFICE_TICKET" in caught.value.message and "SUPEROFFICE_ACCESS_TOKEN" in caught.value.message


def sent_headers(url=ONSITE, **kwargs):
    client = client_for(url, **kwargs)
    try:
        return dict(client.transport.session.headers), client
    finally:
        client.close()


def test_basic_header_is_utf8_base64_of_user_and_password():
    headers, client = sent_headers(username="tje0", password=PASSWORD)
    assert headers["Authorization"] == "Basic " + base64.b64encode(("tje0:" + PASSWORD).encode("utf-8")).decode()
    assert client.scheme == "username and password" and client.online is False
    assert client.transport.session.auth is None
    assert REDACTED in client.redactor.scrub(headers["Authorization"])
    assert "SO-AppToken" not in headers and "X-XSRF-TOKEN" not in headers


@pytest.mark.parametrize("given, expected", [
    (TICKET, "SOTicket " + TICKET),
    ("  " + TICKET + "\n", "SOTicket " + TICKET),
    ("SOTicket " + TICKET, "SOTicket " + TICKET),
    ("soticket   " + TICKET, "SOTicket " + TICKET),
])
def test_ticket_header(given, expected):
    headers, client = sent_headers(ticket=given)
    assert headers["Authorization"] == expected
    assert client.redactor.scrub("x " + TICKET + " y") == "x %s y" % REDACTED


def test_ticket_with_app_token_online():
    headers, client = sent_headers(ONLINE, ticket=TICKET, app_token=APP_TOKEN)
    assert headers["Authorization"] == "SOTicket " + TICKET and headers["SO-AppToken"] == APP_TOKEN
    assert client.online and client.scheme == "ticket"
    assert client.redactor.scrub(APP_TOKEN) == REDACTED


@pytest.mark.parametrize("given", [ACCESS_TOKEN, "Bearer " + ACCESS_TOKEN, "bearer " + ACCESS_TOKEN + " "])
def test_bearer_header(given):
    headers, client = sent_headers(ONLINE, access_token=given)
    assert headers["Authorization"] == "Bearer " + ACCESS_TOKEN
    assert "SO-AppToken" not in headers
    assert client.redactor.scrub(ACCESS_TOKEN) == REDACTED


def test_xsrf_header_without_authorization_and_with_the_session_cookie():
    headers, client = sent_headers(xsrf_token=XSRF, session_cookie=COOKIE)
    assert "Authorization" not in headers
    assert headers["X-XSRF-TOKEN"] == XSRF and headers["Cookie"] == COOKIE
    # the whole cookie and each value are secrets
    assert client.redactor.scrub(COOKIE) == REDACTED
    assert client.redactor.scrub("id k3j4h5g6f7d8s9a0") == "id " + REDACTED


def test_xsrf_alone_sends_no_cookie():
    headers, client = sent_headers(xsrf_token=XSRF)
    assert headers["X-XSRF-TOKEN"] == XSRF and "Cookie" not in headers and "Authorization" not in headers
    assert client.scheme == "xsrf_token"


def test_language_culture_time_zone_and_extra_headers():
    headers, _client = sent_headers(ticket=TICKET, language="nb", culture="en", time_zone="US-NY, includeTZOffset",
                                    headers={"X-Request-Id": "run-42", "X-Number": 7, "SO-Language": "sv"})
    assert headers["Accept-Language"] == "nb"
    # an extra header of the same name wins: it is the more specific wish
    assert headers["SO-Language"] == "sv"
    assert headers["SO-Culture"] == "en" and headers["SO-TimeZone"] == "US-NY, includeTZOffset"
    assert headers["X-Request-Id"] == "run-42" and headers["X-Number"] == "7"
    assert headers["Accept"] == "application/json"


def test_no_language_headers_unless_asked():
    headers, _client = sent_headers(ticket=TICKET)
    assert not set(headers) & {"Accept-Language", "SO-Language", "SO-Culture", "SO-TimeZone"}


@pytest.mark.parametrize("name, option", [
    ("Authorization", "ticket or access_token"),
    ("authorization", "ticket or access_token"),
    ("SO-AppToken", "app_token"),
    ("so-apptoken", "app_token"),
    ("X-XSRF-TOKEN", "xsrf_token"),
    ("Cookie", "session_cookie"),
    (" COOKIE ", "session_cookie"),
])
def test_credential_headers_are_refused_in_headers(name, option):
    with pytest.raises(OptionError) as caught:
        client_for(ticket=TICKET, headers={name: "Bearer leaked-value-123"})
    assert option in caught.value.message and "keeps it out of logs" in caught.value.message
    assert "leaked-value-123" not in caught.value.message


@pytest.mark.parametrize("headers, text", [
    ({"Bad Name": "x"}, "not a valid HTTP header name"),
    ({"X-Ok": "a\r\nInjected: yes"}, "line break"),
])
def test_malformed_extra_headers_are_refused(headers, text):
    with pytest.raises(OptionError) as caught:
        client_for(ticket=TICKET, headers=headers)
    assert text in caught.value.message


@pytest.mark.parametrize("given", [{"ticket": "   "}, {"access_token": "Bearer "}, {"xsrf_token": " \n"}])
def test_blank_tokens_are_refused(given):
    with pytest.raises(OptionError) as caught:
        client_for(**given)
    assert "%s is empty" % list(given)[0] in caught.value.message


def test_token_with_a_line_break_inside_is_refused():
    with pytest.raises(OptionError) as caught:
        client_for(ticket="7T:abc\ndef")
    assert "line break" in caught.value.message and "7T:abc" not in caught.value.message


def test_argument_spec_marks_every_secret_no_log_and_has_the_environment_fallbacks():
    spec = connection_argument_spec()
    secrets = {"password", "ticket", "access_token", "app_token", "xsrf_token", "session_cookie", "system_user_token",
               "private_key"}
    assert set(name for name, option in spec.items() if option.get("no_log")) == secrets
    fallbacks = dict((name, option["fallback"][1]) for name, option in spec.items() if "fallback" in option)
    assert fallbacks == {
        "url": ["SUPEROFFICE_URL"], "username": ["SUPEROFFICE_USERNAME"], "password": ["SUPEROFFICE_PASSWORD"],
        "ticket": ["SUPEROFFICE_TICKET"], "access_token": ["SUPEROFFICE_ACCESS_TOKEN"],
        "app_token": ["SUPEROFFICE_APP_TOKEN"], "tenant": ["SUPEROFFICE_TENANT"],
        "environment": ["SUPEROFFICE_ENVIRONMENT"], "system_user_token": ["SUPEROFFICE_SYSTEM_USER_TOKEN"],
        "private_key": ["SUPEROFFICE_PRIVATE_KEY"],
    }
    # url or tenant: the group requires one of them, so url itself is not required.
    assert not spec["url"].get("required") and ("url", "tenant") in SUPEROFFICE.required_one_of
    assert spec["headers"]["type"] == "dict"
    # a 60-second CRMScript must finish within the default timeout
    assert spec["timeout"]["default"] > 60 and spec["validate_certs"]["default"] is True


# -- string maps, OData, event types ---------------------------------------------------------------------------------------


def test_string_maps_send_text_only():
    assert to_string_map({
        "text": "27", "int": 27, "float": 2.5, "true": True, "false": False, "none": None,
        "list": ["web01", 2], "dict": {"b": 1, "a": [True, None]}, "unicode": {"navn": "Bj\u00f8rn"}, 5: "key",
    }, "parameters") == {
        "text": "27", "int": "27", "float": "2.5", "true": "true", "false": "false", "none": "",
        "list": '["web01",2]', "dict": '{"b":1,"a":[true,null]}', "unicode": '{"navn":"Bj\u00f8rn"}', "5": "key",
    }
    assert to_string_map(None, "parameters") == {}
    assert to_string_map({}, "parameters") == {}


@pytest.mark.parametrize("value", [{"n": float("nan")}, [object()], float("nan"), float("inf"), object()])
def test_string_maps_refuse_what_has_no_json_text(value):
    with pytest.raises(OptionError) as caught:
        to_string_map({"x": value}, "input_values")
    assert "input_values['x']" in caught.value.message


@pytest.mark.parametrize("value, literal", [
    ("Hello", "'Hello'"), ("O'Brien's script", "'O''Brien''s script'"), ("", "''"),
])
def test_odata_string_literal(value, literal):
    assert odata_string(value) == literal


def test_event_types_are_exactly_the_spec_enum():
    assert list(EVENT_HANDLER_TYPES) == event_handler_type_enum()
    assert list(EVENT_HANDLER_TYPES) == event_handler_type_enum("Swagger-v1-CRMScript.json")
    assert len(EVENT_HANDLER_TYPES) == 109 and len(set(EVENT_HANDLER_TYPES)) == 109


@pytest.mark.parametrize("name, canonical", [
    ("SalesBeforeSaveSale", "SalesBeforeSaveSale"),
    ("salesbeforesavesale", "SalesBeforeSaveSale"),
    ("  TICKETSAVE ", "TicketSave"),
    ("Unknown", "Unknown"),
])
def test_event_type_is_canonicalised(name, canonical):
    assert canonical_event_type(name) == canonical


@pytest.mark.parametrize("name, expected", [
    ("SaleBeforeSave", "SalesBeforeSaveSale"),
    ("salebeforesave", "SalesBeforeSaveSale"),
    ("TicketSaved", "TicketSave"),
    ("NewTicketEmail", "NewTicketFromEmail"),
    ("SalesBeforeSaveAcceptQuote", "SalesBeforeSaveApproveQuote"),
])
def test_unknown_event_type_fails_with_the_closest_names(name, expected):
    with pytest.raises(OptionError) as caught:
        canonical_event_type(name)
    message = caught.value.message
    assert repr(name) in message and "closest valid names" in message
    suggestions = message.split("closest valid names: ")[1].split(".")[0].split(", ")
    assert expected in suggestions and len(suggestions) <= 5
    assert all(s in EVENT_HANDLER_TYPES for s in suggestions)


def test_nonsense_event_type_fails_without_suggestions():
    with pytest.raises(OptionError) as caught:
        canonical_event_type("zzzz")
    assert "closest" not in caught.value.message and "109 valid names" in caught.value.message


@pytest.mark.parametrize("name, field", [
    ("OutputValues", "OutputValues"), ("output_values", "OutputValues"), ("outputvalues", "OutputValues"),
    (" Message ", "Message"), ("block_execution", "BlockExecution"), ("TableRight/Mask", "TableRight/Mask"),
])
def test_select_names_become_event_data_fields(name, field):
    assert event_data_field(name) == field


def test_unknown_select_name_lists_the_fields():
    with pytest.raises(OptionError) as caught:
        event_data_field("Outputs")
    assert "'Outputs'" in caught.value.message and "OutputValues" in caught.value.message


def test_snake_case_of_every_event_data_field():
    assert [snake_case(f) for f in EVENT_DATA_FIELDS] == [
        "type", "input_values", "block_execution", "navigate_to", "message", "show_dialog", "output_values",
        "state_values", "exception", "parser_values", "cgi_variables", "cgi_content", "headers", "trace_execution",
        "table_right", "field_properties"]


# -- requests and errors against a local server ---------------------------------------------------------------------------


def so_error(error_type, message, source="SuperOffice.Services.Implementation"):
    return {"Error": True, "ErrorType": error_type, "ErrorMessage": message, "ErrorSource": source}


@pytest.fixture
def client(http_server):
    made = client_for(http_server.url + "/SuperOffice", ticket=TICKET)
    yield made
    made.close()


def test_calls_go_below_api_v1_with_json(http_server, client):
    http_server.add(body=json.dumps("Hello, Ada!"))
    assert client.execute_script(1, {"name": "Ada"}) == "Hello, Ada!"
    request = http_server.requests[0]
    assert (request.method, request.path) == ("POST", "/SuperOffice/api/v1/CRMScript/1/Execute")
    assert request.headers["Content-Type"] == "application/json" and request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "SOTicket " + TICKET
    assert request.json() == {"name": "Ada"}


def test_unique_ids_use_the_execute_url_unless_they_look_like_numbers(http_server, client):
    http_server.add(body='"a"').add(body='"b"')
    assert client.execute_script_by_unique_id("7d0f9a3e-1b2c 4d5e", {}) == "a"
    assert client.execute_script_by_unique_id("123", {"x": "1"}) == "b"
    first, second = http_server.requests
    assert first.path == "/SuperOffice/api/v1/CRMScript/7d0f9a3e-1b2c%204d5e/Execute" and first.json() == {}
    assert second.path == "/SuperOffice/api/v1/Agents/CRMScript/ExecuteScriptByUniqueId"
    assert second.json() == {"CRMScriptUniqueId": "123", "Parameters": {"x": "1"}}


def test_include_id_goes_through_the_agent(http_server, client):
    http_server.add(body='""')
    assert client.execute_script_by_include_id("my_inc", {"a": "b"}) == ""
    request = http_server.requests[0]
    assert request.path == "/SuperOffice/api/v1/Agents/CRMScript/ExecuteScriptByIncludeId"
    assert request.json() == {"CRMScriptIncludeId": "my_inc", "Parameters": {"a": "b"}}


def test_empty_or_null_output_is_empty_text(http_server, client):
    http_server.add(body=b"", headers={"Content-Type": "application/json"}).add(body="null")
    assert client.execute_script(7, {}) == ""
    assert client.execute_script(7, {}) == ""


def test_script_lookups(http_server, client):
    http_server.add(body={"EjscriptId": 4, "Name": "Throws", "UniqueIdentifier": None})
    http_server.add(body={"odata.metadata": "m", "value": [{"PrimaryKey": 1, "name": "Hello"}, "junk"]})
    http_server.add(body={"value": []})
    assert client.script_by_id(4)["Name"] == "Throws"
    assert client.find_scripts("name", "O'Hello") == [{"PrimaryKey": 1, "name": "Hello"}]
    assert client.list_scripts() == []
    by_id, found, listed = http_server.requests
    assert by_id.path == "/SuperOffice/api/v1/CRMScript/4?%24select=EjscriptId%2CUniqueIdentifier%2CIncludeId%2CName"
    assert "%24filter=name+is+%27O%27%27Hello%27" in found.path
    assert "%24select=ejscriptId%2CuniqueIdentifier%2CincludeId%2Cname" in found.path
    assert "%24top=500" in listed.path and "%24orderBy=name" in listed.path and "filter" not in listed.path


def test_event_handler_calls(http_server, client):
    http_server.add(body={"Type": "TicketSave", "BlockExecution": False}).add(body="true").add(body="false")
    event = client.execute_event_handlers({"Type": "TicketSave", "InputValues": {"a": "1"}}, ["OutputValues", "Message"])
    assert event == {"Type": "TicketSave", "BlockExecution": False}
    assert client.event_handler_exists("TicketSave") is True
    assert client.event_handler_exists("TicketSave") is False
    run, exists, _again = http_server.requests
    assert run.path == "/SuperOffice/api/v1/Agents/CustomerService/ExecuteEventHandlers?%24select=OutputValues%2CMessage"
    assert run.json() == {"EventData": {"Type": "TicketSave", "InputValues": {"a": "1"}}}
    assert exists.path == "/SuperOffice/api/v1/Agents/CustomerService/EventHandlerExists"
    assert exists.json() == {"EventHandlerType": "TicketSave"}


@pytest.mark.parametrize("call, body, text", [
    (lambda c: c.execute_script(1, {}), {"not": "text"}, "not its output as a JSON string"),
    (lambda c: c.execute_event_handlers({"Type": "TicketSave"}), ["x"], "did not return an EventData"),
    (lambda c: c.event_handler_exists("TicketSave"), '"yes"', "did not return true or false"),
    (lambda c: c.find_scripts("name", "x"), [1, 2], "not come back as an OData list"),
])
def test_answers_of_the_wrong_shape(http_server, client, call, body, text):
    http_server.add(body=body)
    with pytest.raises(ProtocolError) as caught:
        call(client)
    assert text in caught.value.message


def test_login_page_instead_of_json(http_server, client):
    http_server.add(status=200, body="<html><body><h1>Sign in</h1></body></html>", headers={"Content-Type": "text/html"})
    with pytest.raises(ProtocolError) as caught:
        client.execute_script(1, {})
    message = caught.value.message
    assert message.startswith("While running CRMScript 1, ") and "Sign in" in message and "check the url" in message
    assert "<h1>" not in message
    # the request went out: whether the script ran cannot be told
    assert caught.value.may_have_run is True


def error_of(http_server, client, call=lambda c: c.execute_script(4, {}), **reply):
    http_server.add(**reply)
    with pytest.raises(Exception) as caught:
        call(client)
    return caught.value


def test_401_with_empty_body(http_server, client):
    error = error_of(http_server, client, status=401, body=b"", headers={
        "Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="SuperOffice", SOTicket'})
    assert isinstance(error, AuthError) and error.kind == "auth" and error.code == 401
    assert error.message.startswith("SuperOffice did not accept the credentials (HTTP 401) while running CRMScript 4.")
    assert "The server offers: Basic, SOTicket." in error.message
    assert "tickets expire after 6 hours" in error.message and "(empty)" not in error.message
    assert error.data is None and error.may_have_run is False


def test_401_challenge_parameters_are_not_schemes(http_server, client):
    error = error_of(http_server, client, status=401, body=b"", headers={
        "WWW-Authenticate": 'Bearer realm="SuperOffice", error="invalid_token", SOTicket'})
    assert "The server offers: Bearer, SOTicket." in error.message


def test_401_with_html_body(http_server, client):
    error = error_of(http_server, client, status=401, headers={"Content-Type": "text/html"},
                     body="<html><title>401</title><body>Access is denied.</body></html>")
    assert isinstance(error, AuthError) and "Access is denied." in error.message and "<body>" not in error.message


def test_401_hints_per_scheme(http_server):
    for given, hint in (({"access_token": ACCESS_TOKEN}, "Bearer tokens are for SuperOffice Online"),
                        ({"username": "tje0", "password": PASSWORD}, "AuthorizeWithUsername"),
                        ({"xsrf_token": XSRF}, "same, still open, web session")):
        made = client_for(http_server.url + "/SuperOffice", **given)
        error = error_of(http_server, made, status=401, body=b"")
        made.close()
        assert hint in error.message


def test_online_ticket_hint_names_the_app_token(http_server):
    made = client_for(http_server.url + "/Cust12345", ticket=TICKET, app_token=APP_TOKEN)
    error = error_of(http_server, made, status=401, body=b"")
    made.close()
    assert "app_token is the application's client secret" in error.message


def test_403_says_what_to_request(http_server, client):
    error = error_of(http_server, client, status=403, body=so_error("SoAccessDeniedException", "No access to CRMScript"))
    assert error.kind == "not_found_or_forbidden" and error.code == 403
    assert "HTTP 403" in error.message and "SoAccessDeniedException: No access to CRMScript" in error.message
    assert "requested when the application is registered" in error.message
    assert error.data == {"ErrorType": "SoAccessDeniedException", "ErrorMessage": "No access to CRMScript",
                          "ErrorSource": "SuperOffice.Services.Implementation"}


def test_404_with_a_superoffice_body(http_server, client):
    error = error_of(http_server, client, status=404, body=so_error("SoNotFoundException", "CRMScript id 4 not found"))
    assert isinstance(error, NotFoundError) and error.may_have_run is False
    assert error.message == ("SuperOffice found nothing (HTTP 404) while running CRMScript 4: "
                             "SoNotFoundException: CRMScript id 4 not found.")


@pytest.mark.parametrize("body, content_type, shown", [
    ({"Message": "No HTTP resource was found that matches the request URI"}, "application/json", "No HTTP resource"),
    ("<html><body>Page not found</body></html>", "text/html", "Page not found"),
    (b"", "text/plain", None),
])
def test_404_from_something_else_points_at_the_url(http_server, client, body, content_type, shown):
    error = error_of(http_server, client, status=404, body=body, headers={"Content-Type": content_type})
    assert isinstance(error, HttpStatusError) and error.kind == "http"
    assert "Check the url option" in error.message and "/SuperOffice/api/v1/CRMScript/4/Execute" in error.message
    if shown:
        assert shown in error.message
    else:
        assert "(empty)" not in error.message


def test_400_is_invalid_params(http_server, client):
    error = error_of(http_server, client, status=400,
                     body=so_error("ArgumentException", "parameters: the values of 'x' are not strings", "SuperOffice.WebApi"))
    assert isinstance(error, InvalidParamsError) and error.kind == "invalid_params"
    assert "HTTP 400" in error.message and "ArgumentException: parameters: the values of 'x'" in error.message


def test_421_explains_the_numbered_hosts(http_server):
    made = client_for(http_server.url + "/Cust12345", access_token=ACCESS_TOKEN)
    error = error_of(http_server, made, status=421, body="Wrong subdomain used to access tenant",
                     headers={"Content-Type": "text/plain"})
    made.close()
    assert error.kind == "http" and error.code == 421 and error.may_have_run is False
    assert "421 Misdirected Request" in error.message
    assert "https://online.superoffice.com/api/state/Cust12345" in error.message and "Endpoint" in error.message


def test_500_with_a_superoffice_body_while_running_is_a_script_failure(http_server, client):
    error = error_of(http_server, client, status=500,
                     body=so_error("CRMScriptException", "Division by zero at line 3", "SuperOffice.CRMScript"))
    assert isinstance(error, ScriptFailedError) and error.kind == "script_failed" and error.may_have_run is True
    assert error.message == ("SuperOffice failed (HTTP 500) while running CRMScript 4: "
                             "CRMScriptException: Division by zero at line 3. The script started and may have done "
                             "part of its work. " + MAY_HAVE_RUN)


def test_500_while_looking_up_ran_nothing(http_server, client):
    error = error_of(http_server, client, call=lambda c: c.script_by_id(4), status=500,
                     body=so_error("NullReferenceException", "Object reference not set"))
    assert isinstance(error, HttpStatusError) and error.may_have_run is False
    assert "while looking up CRMScript 4: NullReferenceException" in error.message


@pytest.mark.parametrize("status", [500, 502, 504])
def test_gateway_pages_while_running_may_have_run(http_server, client, status):
    error = error_of(http_server, client, status=status, headers={"Content-Type": "text/html"},
                     body="<html><body><h1>Bad Gateway</h1> nginx</body></html>")
    assert isinstance(error, HttpStatusError) and error.may_have_run is True
    assert "HTTP %d" % status in error.message and "Bad Gateway nginx" in error.message
    assert "the script may have run" in error.message


def test_gateway_page_while_asking_ran_nothing(http_server, client):
    error = error_of(http_server, client, call=lambda c: c.event_handler_exists("TicketSave"), status=502,
                     body="<html>Bad Gateway</html>", headers={"Content-Type": "text/html"})
    assert error.may_have_run is False and "may have run" not in error.message


def test_redirect_to_a_login_page(http_server, client):
    error = error_of(http_server, client, status=302, body=b"",
                     headers={"Location": "https://login.example.com/signin?ticket=" + TICKET})
    assert error.kind == "http" and error.code == 302
    assert "redirected the request (HTTP 302" in error.message and "https://login.example.com/signin" in error.message
    assert TICKET not in error.message and "login page" in error.message


def test_secrets_echoed_in_error_bodies_are_masked(http_server, client):
    error = error_of(http_server, client, status=400, body=so_error("ArgumentException", "bad ticket " + TICKET))
    assert TICKET not in error.message and REDACTED in error.message
    assert TICKET not in json.dumps(error.data)
    error = error_of(http_server, client, status=500, body="<p>ticket %s</p>" % TICKET, headers={"Content-Type": "text/html"})
    assert TICKET not in error.message and TICKET not in json.dumps(error.data)


def test_unreachable_lookup_is_not_a_run(refused_url):
    made = client_for(refused_url, ticket=TICKET)
    made.transport.retry.sleep = lambda seconds: None
    with pytest.raises(Exception) as caught:
        made.script_by_id(1)
    made.close()
    assert caught.value.kind == "server_unreachable" and caught.value.may_have_run is False
