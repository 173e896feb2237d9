# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The JSON-RPC 2.0 client over a fake transport."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import threading

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    AuthError,
    HttpStatusError,
    ProtocolError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpResponse
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import (
    CONTENT_TYPE,
    JsonRpcClient,
    JsonRpcError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import HTTP_AUTH_HINT
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import acts as zabbix_acts

ENDPOINT = "https://api:hidden@zbx.example.com/zabbix/api_jsonrpc.php?debug=1"
SHOWN_ENDPOINT = "https://zbx.example.com/zabbix/api_jsonrpc.php"

REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable"}


def answer(status=200, body=None):
    """An ``HttpResponse`` as the transport hands it back."""
    if body is None:
        content = b""
    elif isinstance(body, bytes):
        content = body
    elif isinstance(body, str):
        content = body.encode("utf-8")
    else:
        content = json.dumps(body).encode("utf-8")
    return HttpResponse(status, REASONS.get(status, "Other"), {}, content, ENDPOINT)


def result_for(envelope, result):
    return {"jsonrpc": "2.0", "result": result, "id": envelope["id"]}


class FakeTransport:
    """Records what the client sends; answers with ``reply(envelope)`` or a fixed response."""

    def __init__(self, reply=None):
        self.sent = []
        self.reply = reply or (lambda envelope: answer(body=result_for(envelope, "ok")))
        self._lock = threading.Lock()

    def request(self, method, url, payload=None, headers=None, params=None, content_type="application/json", acts=None):
        with self._lock:
            self.sent.append({"method": method, "url": url, "payload": payload, "headers": headers,
                              "params": params, "content_type": content_type, "acts": acts})
        reply = self.reply
        return reply(payload) if callable(reply) else reply


def client_with(reply=None, **kwargs):
    """A client with the rules of the Zabbix client (which methods act, what to do on HTTP 401/403)."""
    transport = FakeTransport(reply)
    kwargs.setdefault("acts", zabbix_acts)
    kwargs.setdefault("http_auth_hint", HTTP_AUTH_HINT)
    return JsonRpcClient(transport, ENDPOINT, **kwargs), transport


# -- the request ---------------------------------------------------------------------------------------------------


def test_the_transport_is_told_which_calls_can_act():
    client, transport = client_with()
    client.call("host.get", {})
    client.call("script.execute", {"scriptid": "1", "hostid": "2"})
    client.call("user.login", {"username": "Admin", "password": "x"})
    assert [s["acts"] for s in transport.sent] == [False, True, False]


def test_without_a_service_rule_every_call_can_act_and_the_hint_names_no_option():
    transport = FakeTransport()
    client = JsonRpcClient(transport, ENDPOINT)
    client.call("host.get", {})
    client.call("apiinfo.version", [])
    assert [s["acts"] for s in transport.sent] == [True, True]
    transport.reply = answer(status=401)
    with pytest.raises(AuthError) as caught:
        client.call("apiinfo.version", [])
    assert "http_username" not in caught.value.message and "web server" in caught.value.message


def test_envelope_fields_and_transport_arguments():
    client, transport = client_with(lambda env: answer(body=result_for(env, ["10084"])))
    assert client.call("host.get", {"output": ["hostid"]}, headers={"Authorization": "Bearer t"}) == ["10084"]
    sent = transport.sent[0]
    assert sent["method"] == "POST"
    assert sent["url"] == ENDPOINT
    assert sent["content_type"] == CONTENT_TYPE == "application/json-rpc"
    assert sent["headers"] == {"Authorization": "Bearer t"}
    assert sent["payload"] == {"jsonrpc": "2.0", "method": "host.get", "params": {"output": ["hostid"]}, "id": 1}


def test_auth_goes_into_the_envelope_only_when_given():
    client, transport = client_with()
    client.call("apiinfo.version", [])
    client.call("host.get", {}, auth="0424bd59b807674191e7d77572075f33")
    without, with_auth = (s["payload"] for s in transport.sent)
    assert "auth" not in without
    assert with_auth["auth"] == "0424bd59b807674191e7d77572075f33"


def test_every_call_gets_a_fresh_increasing_id():
    client, transport = client_with()
    for dummy in range(4):
        client.call("apiinfo.version", [])
    assert [s["payload"]["id"] for s in transport.sent] == [1, 2, 3, 4]


def test_ids_are_unique_across_threads():
    client, transport = client_with()
    start = threading.Barrier(8)
    results = []

    def worker():
        start.wait()
        for dummy in range(25):
            results.append(client.call("apiinfo.version", []))

    threads = [threading.Thread(target=worker) for dummy in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    ids = [s["payload"]["id"] for s in transport.sent]
    assert len(ids) == 200
    assert sorted(ids) == list(range(1, 201))
    assert results == ["ok"] * 200


def test_two_clients_count_independently():
    first, first_transport = client_with()
    second, second_transport = client_with()
    first.call("a.b", [])
    first.call("a.b", [])
    second.call("a.b", [])
    assert [s["payload"]["id"] for s in first_transport.sent] == [1, 2]
    assert [s["payload"]["id"] for s in second_transport.sent] == [1]


# -- answers that are not what JSON-RPC says -------------------------------------------------------------------------


def test_answer_for_another_id_is_refused():
    client, dummy = client_with(lambda env: answer(body={"jsonrpc": "2.0", "result": "7.0.5", "id": env["id"] + 1}))
    with pytest.raises(ProtocolError) as caught:
        client.call("apiinfo.version", [])
    assert "id 2" in caught.value.message
    assert "id 1" in caught.value.message


def test_answer_without_id_is_refused():
    client, dummy = client_with(answer(body={"jsonrpc": "2.0", "result": "7.0.5"}))
    with pytest.raises(ProtocolError):
        client.call("apiinfo.version", [])


@pytest.mark.parametrize("version", [None, "1.0", 2.0])
def test_answer_without_jsonrpc_2_0_is_refused(version):
    def reply(env):
        body = {"result": "x", "id": env["id"]}
        if version is not None:
            body["jsonrpc"] = version
        return answer(body=body)

    client, dummy = client_with(reply)
    with pytest.raises(ProtocolError) as caught:
        client.call("apiinfo.version", [])
    assert "jsonrpc" in caught.value.message


def test_answer_with_both_result_and_error_is_refused():
    client, dummy = client_with(lambda env: answer(body={
        "jsonrpc": "2.0", "result": [], "error": {"code": -32500, "message": "x"}, "id": env["id"]}))
    with pytest.raises(ProtocolError) as caught:
        client.call("host.get", {})
    assert "both result and error" in caught.value.message


def test_answer_with_neither_result_nor_error_is_refused():
    client, dummy = client_with(lambda env: answer(body={"jsonrpc": "2.0", "id": env["id"]}))
    with pytest.raises(ProtocolError) as caught:
        client.call("host.get", {})
    assert "neither result nor error" in caught.value.message


def test_result_may_be_null_or_falsy():
    for value in (None, [], 0, ""):
        client, dummy = client_with(lambda env, v=value: answer(body=result_for(env, v)))
        assert client.call("x.y", []) == value


@pytest.mark.parametrize("body", [[{"jsonrpc": "2.0", "result": 1, "id": 1}], "7.0.5", 42])
def test_answer_that_is_not_an_object_is_refused(body):
    client, dummy = client_with(answer(body=body))
    with pytest.raises(ProtocolError):
        client.call("apiinfo.version", [])


# -- error objects ---------------------------------------------------------------------------------------------------


def error_reply(error):
    return lambda env: answer(body={"jsonrpc": "2.0", "error": error, "id": env["id"]})


def test_error_object_becomes_json_rpc_error():
    client, dummy = client_with(error_reply({
        "code": -32602, "message": "Invalid params.", "data": 'Invalid parameter "/scriptid": a number is expected.'}))
    with pytest.raises(JsonRpcError) as caught:
        client.call("script.execute", {"scriptid": "x"})
    error = caught.value
    assert error.code == -32602
    assert error.rpc_message == "Invalid params."
    assert error.data == 'Invalid parameter "/scriptid": a number is expected.'
    assert error.method == "script.execute"
    assert error.kind == "invalid_params"
    assert error.message == 'script.execute failed: Invalid params. Invalid parameter "/scriptid": a number is expected.'
    assert error.to_dict() == {"code": -32602, "message": error.message, "data": error.data, "kind": "invalid_params"}


@pytest.mark.parametrize("code, kind", [
    (-32700, "protocol"), (-32600, "protocol"), (-32601, "unsupported"), (-32602, "invalid_params"),
    (-32603, "protocol"), (-32500, "protocol"), (-1, "protocol"),
])
def test_generic_kind_of_each_code(code, kind):
    client, dummy = client_with(error_reply({"code": code, "message": "m", "data": "d"}))
    with pytest.raises(JsonRpcError) as caught:
        client.call("a.b", [])
    assert caught.value.kind == kind


def test_classifier_decides_the_kind():
    seen = []

    def classify(error):
        seen.append((error.method, error.code, error.rpc_message, error.data))
        return "not_found_or_forbidden"

    client, dummy = client_with(error_reply({"code": -32500, "message": "Application error.", "data": "No permissions"}),
                                classify=classify)
    with pytest.raises(JsonRpcError) as caught:
        client.call("script.execute", {})
    assert caught.value.kind == "not_found_or_forbidden"
    assert seen == [("script.execute", -32500, "Application error.", "No permissions")]


@pytest.mark.parametrize("data", [None, "", "Invalid params."])
def test_message_leaves_out_empty_or_repeated_data(data):
    client, dummy = client_with(error_reply({"code": -32602, "message": "Invalid params.", "data": data}))
    with pytest.raises(JsonRpcError) as caught:
        client.call("host.get", {})
    assert caught.value.message == "host.get failed: Invalid params."


@pytest.mark.parametrize("error", ["boom", ["x"], {"message": "no code"}, {"code": "-32500", "message": "text code"}, None])
def test_malformed_error_object_is_a_protocol_error(error):
    client, dummy = client_with(error_reply(error))
    with pytest.raises(ProtocolError) as caught:
        client.call("host.get", {})
    assert not isinstance(caught.value, JsonRpcError)
    assert "malformed error object" in caught.value.message


# -- HTTP answers ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [401, 403])
def test_http_401_and_403_are_auth_errors(status):
    client, dummy = client_with(answer(status=status, body="<html><body>Authorization Required</body></html>"))
    with pytest.raises(AuthError) as caught:
        client.call("apiinfo.version", [])
    error = caught.value
    assert error.kind == "auth"
    assert error.status == status
    assert str(status) in error.message
    assert "http_username" in error.message
    assert SHOWN_ENDPOINT in error.message
    assert "hidden" not in error.message


def test_http_500_with_empty_body_is_an_http_error_that_may_have_run():
    client, dummy = client_with(answer(status=500))
    with pytest.raises(HttpStatusError) as caught:
        client.call("script.execute", {"scriptid": "1", "hostid": "2"})
    error = caught.value
    assert error.kind == "http"
    assert error.status == 500
    assert error.may_have_run is True
    assert "HTTP 500" in error.message
    assert "script.execute" in error.message
    assert "(empty)" in error.message


@pytest.mark.parametrize("status, may_have_run", [(404, False), (502, True), (503, False)])
def test_other_http_statuses(status, may_have_run):
    client, dummy = client_with(answer(status=status, body="<h1>Nope</h1>"))
    with pytest.raises(HttpStatusError) as caught:
        client.call("script.execute", {})
    assert caught.value.status == status
    assert caught.value.may_have_run is may_have_run
    assert "Nope" in caught.value.message
    assert "<h1>" not in caught.value.message


@pytest.mark.parametrize("body", [b"", b"  \r\n"])
def test_empty_body_on_200_is_a_protocol_error(body):
    client, dummy = client_with(answer(body=body))
    with pytest.raises(ProtocolError) as caught:
        client.call("apiinfo.version", [])
    assert "empty body" in caught.value.message
    assert SHOWN_ENDPOINT in caught.value.message


def test_html_page_is_a_protocol_error_with_a_readable_excerpt():
    page = (
        "<!DOCTYPE html>\n<html><head><title>Zabbix</title></head>\n<body>\n"
        "  <div class=\"login\"><h1>Welcome</h1>\n  <p>Please   sign in.</p></div>\n</body></html>"
    )
    client, dummy = client_with(answer(body=page))
    with pytest.raises(ProtocolError) as caught:
        client.call("apiinfo.version", [])
    message = caught.value.message
    assert "not JSON" in message
    assert "Zabbix Welcome Please sign in." in message
    assert "<" not in message
    assert "\n" not in message
    assert SHOWN_ENDPOINT in message


def test_long_non_json_body_is_cut_short():
    client, dummy = client_with(answer(body="x" * 5000))
    with pytest.raises(ProtocolError) as caught:
        client.call("apiinfo.version", [])
    assert len(caught.value.message) < 400
    assert caught.value.message.endswith("...")
