# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Zabbix client: URLs, version rules, error kinds, auth and lookups, over a fake JSON-RPC layer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

import pytest

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    HttpStatusError,
    NotFoundError,
    OptionError,
    ProtocolError,
    RequestTimeoutError,
    UnreachableError,
    UnsupportedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import JsonRpcError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import (
    ApiRules,
    ZabbixClient,
    check_credentials,
    classify,
    endpoint_url,
    parse_version,
)

TOKEN = "b6d3a5e4c1f0" * 5 + "abcd"
SESSION = "0424bd59b807674191e7d77572075f33"
SESSION_2 = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
TERMINATED = "Session terminated, re-login, please."

assert len(TOKEN) == 64


def rpc_error(method, code, message, data=None):
    """A ``JsonRpcError`` as the JSON-RPC layer raises it for the Zabbix client."""
    error = JsonRpcError(method, code, message, data)
    error.kind = classify(error)
    return error


# -- URLs and versions -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("https://zbx.example.com", "https://zbx.example.com/api_jsonrpc.php"),
    ("https://zbx.example.com/", "https://zbx.example.com/api_jsonrpc.php"),
    ("https://host/zabbix", "https://host/zabbix/api_jsonrpc.php"),
    ("https://host/zabbix/", "https://host/zabbix/api_jsonrpc.php"),
    ("https://host/zabbix/api_jsonrpc.php", "https://host/zabbix/api_jsonrpc.php"),
    ("https://host/zabbix/api_jsonrpc.php/", "https://host/zabbix/api_jsonrpc.php"),
    ("https://zbx.example.com/api_jsonrpc.php", "https://zbx.example.com/api_jsonrpc.php"),
    ("http://10.0.0.5:8080/monitoring/zabbix", "http://10.0.0.5:8080/monitoring/zabbix/api_jsonrpc.php"),
    ("  https://zbx.example.com/zabbix  ", "https://zbx.example.com/zabbix/api_jsonrpc.php"),
])
def test_endpoint_url_for_every_documented_form(url, expected):
    assert endpoint_url(url) == expected


@pytest.mark.parametrize("url", ["", "   ", "zbx.example.com", "zbx.example.com/zabbix", "ftp://zbx.example.com",
                                 "https://", "file:///etc/passwd"])
def test_endpoint_url_refuses_what_is_not_an_http_url(url):
    with pytest.raises(OptionError) as caught:
        endpoint_url(url)
    assert caught.value.kind == "invalid_params"


@pytest.mark.parametrize("text, expected", [
    ("7.0.5", (7, 0, 5)),
    ("6.0.14", (6, 0, 14)),
    ("6.4", (6, 4, 0)),
    (" 5.0.42 ", (5, 0, 42)),
    ("7.2.0rc1", (7, 2, 0)),
    ("7.4.0beta2", (7, 4, 0)),
    (7.0, (7, 0, 0)),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["", "seven", "v7.0", "7", None, ["7.0.5"], {"version": "7.0"}])
def test_parse_version_refuses_what_is_no_version(text):
    with pytest.raises(ProtocolError) as caught:
        parse_version(text)
    assert "apiinfo.version" in caught.value.message


RULES = [
    # version, auth header, login parameter, event targets, manualinput, URL scripts, 5.4/6.0 token bug
    ((5, 0, 30), False, "user", False, False, False, False),
    ((5, 4, 12), False, "username", True, False, False, True),
    ((6, 0, 14), False, "username", True, False, False, True),
    ((6, 0, 40), False, "username", True, False, False, True),
    ((6, 4, 0), True, "username", True, False, True, False),
    ((7, 0, 5), True, "username", True, True, True, False),
    ((7, 2, 3), True, "username", True, True, True, False),
    ((7, 4, 0), True, "username", True, True, True, False),
]


@pytest.mark.parametrize("version, header, login, events, manualinput, url_scripts, token_bug", RULES)
def test_api_rules_per_version(version, header, login, events, manualinput, url_scripts, token_bug):
    rules = ApiRules(version)
    assert rules.auth_header is header
    assert rules.login_user_param == login
    assert rules.event_targets is events
    assert rules.manualinput is manualinput
    assert rules.url_scripts is url_scripts
    assert rules.token_execute_broken is token_bug
    assert rules.text == "%d.%d.%d" % version


# -- error kinds -------------------------------------------------------------------------------------------------------


CLASSIFIED = [
    # method, code, message, data, kind (FACTS.md, errors table)
    ("host.get", -32700, "Parse error", "Invalid JSON. An error occurred on the server while parsing the JSON text.",
     "protocol"),
    ("host.get", -32600, "Invalid request.", 'Invalid parameter "/": unexpected parameter "auth".', "protocol"),
    ("x.y", -32601, "Method not found.", 'Incorrect method "x.y".', "unsupported"),
    ("script.execute", -32602, "Invalid params.", 'Invalid parameter "/": the parameter "eventid" is missing.',
     "invalid_params"),
    # Sent by 5.0, which knows no eventid; the module never sends hostid and eventid together.
    ("script.execute", -32602, "Invalid params.", 'Invalid parameter "/": unexpected parameter "eventid".', "unsupported"),
    ("script.execute", -32602, "Invalid params.", 'Invalid parameter "/scriptid": a number is expected.', "invalid_params"),
    ("script.execute", -32602, "Invalid params.", 'Invalid parameter "/": unexpected parameter "manualinput".',
     "unsupported"),
    ("host.get", -32602, "Invalid params.", "Not authorized.", "auth"),
    ("script.execute", -32602, "Invalid params.", TERMINATED, "auth"),
    ("apiinfo.version", -32602, "Invalid params.",
     'The "apiinfo.version" method must be called without the "auth" parameter.', "auth"),
    ("apiinfo.version", -32602, "Invalid params.",
     'The "apiinfo.version" method must be called without authorization header.', "auth"),
    ("script.execute", -32500, "Application error.", "No permissions to referred object or it does not exist!",
     "not_found_or_forbidden"),
    ("host.get", -32500, "Application error.", "No permissions to referred object or it does not exist!",
     "not_found_or_forbidden"),
    ("host.get", -32500, "Application error.", "API token expired.", "auth"),
    ("user.login", -32500, "Application error.",
     "Incorrect user name or password or account is temporarily blocked.", "auth"),
    ("script.execute", -32500, "Application error.", "Script is not allowed in manual host action: scope:1",
     "unsupported"),
    ("script.execute", -32500, "Application error.", "Cannot execute URL type script.", "unsupported"),
    ("script.execute", -32500, "Application error.",
     "Global script execution on Zabbix server is disabled by server configuration.", "unsupported"),
    ("script.execute", -32500, "Application error.", "Script takes user input, but none was provided.",
     "invalid_params"),
    ("script.execute", -32500, "Application error.", "Provided script user input failed validation.",
     "invalid_params"),
    ("script.execute", -32500, "Application error.", "Unsupported item key.", "script_failed"),
    ("script.execute", -32500, "Application error.",
     "Get value from agent failed: cannot connect to [[127.0.0.1]:10099]: [111] Connection refused", "script_failed"),
    ("script.execute", -32500, "Application error.", "Zabbix agent interface is not defined for host [web-01]",
     "script_failed"),
    ("script.execute", -32500, "Application error.", "cannot execute script: boom", "script_failed"),
    ("script.execute", -32500, "Application error.", "Timeout while waiting for remote command result.", "timeout"),
    ("script.execute", -32500, "Application error.",
     'Connection to Zabbix server "localhost:10051" refused. Possible reasons:\n1. Incorrect server IP/DNS',
     "server_unreachable"),
    ("script.execute", -32500, "Application error.", "rm: cannot remove '/tmp/x': Permission denied", "script_failed"),
    ("host.get", -32603, "Internal error.", "Unexpected exception", "protocol"),
]


@pytest.mark.parametrize("method, code, message, data, kind", CLASSIFIED,
                         ids=[re.sub(r"[^A-Za-z0-9.]+", "-", "%s %s %s" % (c[0], c[1], c[3][:36])).strip("-")
                              for c in CLASSIFIED])
def test_classify_every_documented_error(method, code, message, data, kind):
    assert classify(JsonRpcError(method, code, message, data)) == kind


def test_classify_reads_the_message_too():
    assert classify(JsonRpcError("host.get", -32602, "Not authorized.", None)) == "auth"


# -- credentials -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"api_token": TOKEN},
    {"username": "Admin", "password": "zabbix"},
    {"api_token": TOKEN, "username": None, "password": ""},
    {"api_token": "", "username": "Admin", "password": "zabbix"},
])
def test_check_credentials_accepts_exactly_one_way(params):
    assert check_credentials(**params) is None


@pytest.mark.parametrize("params, words", [
    ({"api_token": TOKEN, "username": "Admin", "password": "zabbix"}, "not both"),
    ({"api_token": TOKEN, "password": "zabbix"}, "not both"),
    ({"api_token": TOKEN, "username": "Admin"}, "not both"),
    ({"username": "Admin"}, "go together"),
    ({"password": "zabbix"}, "go together"),
    ({}, "ZABBIX_API_TOKEN"),
    ({"api_token": "", "username": "", "password": ""}, "No Zabbix credentials"),
])
def test_check_credentials_refuses(params, words):
    with pytest.raises(OptionError) as caught:
        check_credentials(**params)
    assert words in caught.value.message


# -- the client over a fake JSON-RPC layer ---------------------------------------------------------------------------


class Call:
    def __init__(self, method, params, headers, auth):
        self.method = method
        self.params = params
        self.headers = headers
        self.auth = auth

    @property
    def credential(self):
        """The credential the call carried, wherever it was."""
        if self.auth is not None:
            return self.auth
        bearer = (self.headers or {}).get("Authorization", "")
        return bearer[len("Bearer "):] if bearer.startswith("Bearer ") else None


class FakeRpc:
    """Stands in for ``client.rpc.call``: answers per method, records every call.

    ``on(method, *outcomes)``: each call takes the next outcome (the last one
    repeats); an outcome is a value, an exception to raise, or a callable
    ``(call) -> value``.
    """

    def __init__(self, version="7.0.5"):
        self.calls = []
        self.outcomes = {"apiinfo.version": [version], "user.login": [SESSION], "user.logout": [True]}

    def on(self, method, *outcomes):
        self.outcomes[method] = list(outcomes)
        return self

    def __call__(self, method, params, headers=None, auth=None):
        call = Call(method, params, headers, auth)
        self.calls.append(call)
        queue = self.outcomes.get(method)
        if not queue:
            raise AssertionError("unexpected call of %s" % method)
        outcome = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome(call) if callable(outcome) else outcome

    def methods(self):
        return [c.method for c in self.calls]

    def called(self, method):
        return [c for c in self.calls if c.method == method]


def make_client(monkeypatch, version="7.0.5", url="https://zbx.example.com/zabbix", **params):
    if not params:
        params = {"username": "Admin", "password": "zabbix-pass"}
    client = ZabbixClient(url, redactor=Redactor(), **params)
    fake = FakeRpc(version)
    monkeypatch.setattr(client.rpc, "call", fake)
    return client, fake


def test_client_endpoint_and_secrets_known_to_the_redactor(monkeypatch):
    client, dummy = make_client(monkeypatch, api_token=TOKEN)
    assert client.url == "https://zbx.example.com/zabbix/api_jsonrpc.php"
    assert client.rpc.url == client.url
    assert client.redactor.scrub("token %s" % TOKEN) == "token ********"


def test_http_basic_credentials_reach_the_transport(monkeypatch):
    client, dummy = make_client(monkeypatch, api_token=TOKEN, http_username="web", http_password="web-secret")
    assert client.transport.session.auth == ("web", "web-secret")
    assert "web-secret" not in client.redactor.scrub("web-secret")


@pytest.mark.parametrize("params", [{"api_token": TOKEN}, {"username": "Admin", "password": "zabbix-pass"}])
def test_version_is_detected_without_credentials(monkeypatch, params):
    client, fake = make_client(monkeypatch, version="6.4.9", **params)
    rules = client.detect_version()
    assert rules.version == (6, 4, 9)
    assert client.rules is rules
    assert client.version_text == "6.4.9"
    call = fake.calls[0]
    assert (call.method, call.params, call.headers, call.auth) == ("apiinfo.version", [], None, None)


@pytest.mark.parametrize("version, parameter", [("5.0.30", "user"), ("5.4.12", "username"), ("6.0.14", "username"),
                                                ("6.4.9", "username"), ("7.0.5", "username"), ("7.4.1", "username")])
def test_login_parameter_follows_the_version(monkeypatch, version, parameter):
    client, fake = make_client(monkeypatch, version=version)
    client.detect_version()
    client.login()
    login = fake.called("user.login")[0]
    assert login.params == {parameter: "Admin", "password": "zabbix-pass"}
    assert login.headers is None and login.auth is None
    assert client.redactor.scrub(SESSION) == "********"


@pytest.mark.parametrize("version", ["5.0.30", "5.4.12", "6.0.14"])
def test_session_goes_into_the_body_before_6_4(monkeypatch, version):
    client, fake = make_client(monkeypatch, version=version)
    fake.on("host.get", [])
    client.detect_version()
    client.login()
    client.call("host.get", {"output": ["hostid"]})
    call = fake.called("host.get")[0]
    assert call.auth == SESSION
    assert not (call.headers or {}).get("Authorization")


@pytest.mark.parametrize("version", ["6.4.0", "7.0.5", "7.2.3", "7.4.1"])
def test_session_goes_into_a_bearer_header_from_6_4(monkeypatch, version):
    client, fake = make_client(monkeypatch, version=version)
    fake.on("host.get", [])
    client.detect_version()
    client.login()
    client.call("host.get", {})
    call = fake.called("host.get")[0]
    assert call.headers == {"Authorization": "Bearer %s" % SESSION}
    assert call.auth is None


@pytest.mark.parametrize("version, in_body", [("5.4.12", True), ("6.0.14", True), ("6.4.0", False), ("7.2.3", False)])
def test_token_is_sent_like_a_session_and_never_logged_in_nor_out(monkeypatch, version, in_body):
    client, fake = make_client(monkeypatch, version=version, api_token=TOKEN)
    fake.on("script.get", [])
    client.detect_version()
    client.login()
    client.call("script.get", {})
    client.close()
    call = fake.called("script.get")[0]
    assert call.credential == TOKEN
    assert (call.auth == TOKEN) is in_body
    assert fake.methods() == ["apiinfo.version", "script.get"]


@pytest.mark.parametrize("length", [63, 65, 32])
def test_token_of_the_wrong_length_is_refused(monkeypatch, length):
    client, fake = make_client(monkeypatch, api_token="a" * length)
    client.detect_version()
    with pytest.raises(OptionError) as caught:
        client.login()
    assert str(length) in caught.value.message
    assert "64" in caught.value.message
    assert fake.methods() == ["apiinfo.version"]


def test_logout_after_login(monkeypatch):
    client, fake = make_client(monkeypatch, version="6.0.14")
    client.detect_version()
    client.login()
    client.close()
    logout = fake.called("user.logout")
    assert len(logout) == 1
    assert logout[0].params == []
    assert logout[0].auth == SESSION
    # Closing again does not log out twice.
    client.close()
    assert len(fake.called("user.logout")) == 1


def test_no_logout_without_a_session(monkeypatch):
    client, fake = make_client(monkeypatch)
    client.detect_version()
    client.close()
    assert fake.methods() == ["apiinfo.version"]


def test_close_closes_the_transport(monkeypatch):
    client, dummy = make_client(monkeypatch)
    closed = []
    monkeypatch.setattr(client.transport, "close", lambda: closed.append(True))
    client.detect_version()
    client.login()
    client.close()
    assert closed == [True]


@pytest.mark.parametrize("failure", [
    rpc_error("user.logout", -32602, "Invalid params.", TERMINATED),
    rpc_error("user.logout", -32500, "Application error.", "Internal error"),
    HttpStatusError("https://zbx.example.com answered HTTP 502 Bad Gateway to user.logout", status=502),
    UnreachableError("Cannot connect to https://zbx.example.com"),
    RequestTimeoutError("No answer from https://zbx.example.com", may_have_run=True),
], ids=["session terminated", "application error", "http 502", "unreachable", "timeout"])
def test_logout_failure_is_swallowed(monkeypatch, failure):
    client, fake = make_client(monkeypatch)
    fake.on("user.logout", failure)
    closed = []
    monkeypatch.setattr(client.transport, "close", lambda: closed.append(True))
    client.detect_version()
    client.login()
    client.close()
    assert len(fake.called("user.logout")) == 1
    assert closed == [True]


def test_expired_session_is_renewed_once_and_the_call_repeated(monkeypatch):
    client, fake = make_client(monkeypatch, version="6.0.14")
    fake.on("user.login", SESSION, SESSION_2)
    fake.on("script.execute", rpc_error("script.execute", -32602, "Invalid params.", TERMINATED),
            {"response": "success", "value": "ok"})
    client.detect_version()
    client.login()
    assert client.execute("3", hostid="10084") == {"response": "success", "value": "ok"}
    executes = fake.called("script.execute")
    assert [c.auth for c in executes] == [SESSION, SESSION_2]
    assert executes[0].params == executes[1].params == {"scriptid": "3", "hostid": "10084"}
    assert len(fake.called("user.login")) == 2
    assert client.redactor.scrub(SESSION_2) == "********"
    client.close()
    assert [c.auth for c in fake.called("user.logout")] == [SESSION_2]


def test_session_is_renewed_only_once(monkeypatch):
    client, fake = make_client(monkeypatch, version="7.0.5")
    fake.on("user.login", SESSION, SESSION_2)
    fake.on("host.get", rpc_error("host.get", -32602, "Invalid params.", TERMINATED))
    client.detect_version()
    client.login()
    with pytest.raises(JsonRpcError) as caught:
        client.call("host.get", {})
    assert caught.value.kind == "auth"
    assert len(fake.called("host.get")) == 2
    assert len(fake.called("user.login")) == 2


def test_token_is_not_renewed(monkeypatch):
    client, fake = make_client(monkeypatch, api_token=TOKEN)
    fake.on("host.get", rpc_error("host.get", -32602, "Invalid params.", TERMINATED))
    client.detect_version()
    client.login()
    with pytest.raises(JsonRpcError):
        client.call("host.get", {})
    assert fake.methods() == ["apiinfo.version", "host.get"]


def test_other_errors_are_not_renewed(monkeypatch):
    client, fake = make_client(monkeypatch)
    fake.on("host.get", rpc_error("host.get", -32602, "Invalid params.", "Not authorized."))
    client.detect_version()
    client.login()
    with pytest.raises(JsonRpcError):
        client.call("host.get", {})
    assert len(fake.called("user.login")) == 1
    assert len(fake.called("host.get")) == 1


# -- lookups -----------------------------------------------------------------------------------------------------------


def logged_in(monkeypatch, version="7.0.5", **params):
    client, fake = make_client(monkeypatch, version=version, **params)
    client.detect_version()
    client.login()
    del fake.calls[:]
    return client, fake


HOSTS = [{"hostid": "10084", "host": "Zabbix server", "name": "Zabbix server"},
         {"hostid": "10501", "host": "web-01", "name": "Web 01"},
         {"hostid": "10502", "host": "web-02", "name": "Web 02"}]


def host_get(call):
    wanted = call.params.get("filter", {}).get("host")
    if wanted is not None:
        return [h for h in HOSTS if h["host"] in wanted]
    return [h for h in HOSTS if h["hostid"] in call.params["hostids"]]


def test_hosts_by_name_in_one_call_in_the_given_order(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("host.get", host_get)
    found = client.hosts_by_name(["web-02", "Zabbix server", "web-01"])
    assert [h["hostid"] for h in found] == ["10502", "10084", "10501"]
    assert len(fake.calls) == 1
    assert fake.calls[0].params["filter"] == {"host": ["web-02", "Zabbix server", "web-01"]}


def test_hosts_by_name_lists_every_missing_name(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("host.get", host_get)
    with pytest.raises(NotFoundError) as caught:
        client.hosts_by_name(["web-01", "db-01", "Web-02"])
    message = caught.value.message
    assert "'db-01'" in message and "'Web-02'" in message
    assert "'web-01'" not in message
    assert caught.value.kind == "not_found_or_forbidden"
    assert len(fake.calls) == 1


def test_hosts_by_name_matches_the_technical_name_exactly(monkeypatch):
    client, fake = logged_in(monkeypatch)
    # A server that answered with a visible-name match must not be taken for the host asked for.
    fake.on("host.get", [{"hostid": "10501", "host": "web-01", "name": "Web 01"}])
    with pytest.raises(NotFoundError):
        client.hosts_by_name(["Web 01"])


def test_hosts_by_id(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("host.get", host_get)
    assert [h["host"] for h in client.hosts_by_id(["10502", "10084"])] == ["web-02", "Zabbix server"]
    with pytest.raises(NotFoundError) as caught:
        client.hosts_by_id(["10502", "99999"])
    assert "'99999'" in caught.value.message
    assert len(fake.calls) == 2


def test_events_by_id(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("event.get", [{"eventid": "8812", "name": "High CPU", "hosts": [{"hostid": "10501", "host": "web-01"}]}])
    assert client.events_by_id(["8812"])[0]["hosts"][0]["host"] == "web-01"
    assert fake.calls[0].params["eventids"] == ["8812"]
    with pytest.raises(NotFoundError) as caught:
        client.events_by_id(["8812", "8813"])
    assert "'8813'" in caught.value.message


SCRIPTS = [
    {"scriptid": "1", "name": "Ping", "menu_path": "", "scope": "2", "type": "0"},
    {"scriptid": "7", "name": "Restart agent", "menu_path": "Maintenance/Agents", "scope": "2", "type": "0"},
    {"scriptid": "8", "name": "Restart agent", "menu_path": "Maintenance/Agents/Legacy", "scope": "2", "type": "0"},
    {"scriptid": "9", "name": "Restart agent", "menu_path": "/Lab/", "scope": "2", "type": "0"},
]


def script_get(call):
    params = call.params
    if "scriptids" in params:
        return [s for s in SCRIPTS if s["scriptid"] in params["scriptids"]]
    return [s for s in SCRIPTS if s["name"] in params["filter"]["name"]]


def test_script_by_id(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("script.get", script_get)
    assert client.script(script_id="7")["name"] == "Restart agent"
    assert fake.calls[0].params == {"output": "extend", "scriptids": ["7"]}
    with pytest.raises(NotFoundError) as caught:
        client.script(script_id="404")
    assert "404" in caught.value.message


def test_script_by_unique_name(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("script.get", script_get)
    assert client.script(name="Ping")["scriptid"] == "1"
    assert fake.calls[0].params == {"output": "extend", "filter": {"name": ["Ping"]}}


def test_script_by_ambiguous_name_lists_the_candidates(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("script.get", script_get)
    with pytest.raises(NotFoundError) as caught:
        client.script(name="Restart agent")
    message = caught.value.message
    assert "3 scripts" in message
    for candidate in ("id 7 (menu path 'Maintenance/Agents')", "id 8 (menu path 'Maintenance/Agents/Legacy')",
                      "id 9 (menu path '/Lab/')"):
        assert candidate in message
    assert "menu_path" in message


@pytest.mark.parametrize("menu_path, scriptid", [
    ("Maintenance/Agents", "7"),
    ("/Maintenance/Agents/", "7"),
    ("Maintenance/Agents/Legacy", "8"),
    ("Lab", "9"),
    ("//Lab", "9"),
])
def test_menu_path_narrows_the_name(monkeypatch, menu_path, scriptid):
    client, fake = logged_in(monkeypatch)
    fake.on("script.get", script_get)
    assert client.script(name="Restart agent", menu_path=menu_path)["scriptid"] == scriptid


@pytest.mark.parametrize("name, menu_path", [("Restart agent", "Maintenance"), ("No such script", None),
                                             ("Ping", "Tools")])
def test_script_not_found(monkeypatch, name, menu_path):
    client, fake = logged_in(monkeypatch)
    fake.on("script.get", script_get)
    with pytest.raises(NotFoundError) as caught:
        client.script(name=name, menu_path=menu_path)
    assert "No script named %r" % name in caught.value.message


def test_execute_sends_only_what_is_given(monkeypatch):
    client, fake = logged_in(monkeypatch)
    fake.on("script.execute", {"response": "success", "value": ""})
    client.execute("3", hostid="10084")
    client.execute("3", eventid="8812", manualinput="5")
    assert [c.params for c in fake.calls] == [{"scriptid": "3", "hostid": "10084"},
                                              {"scriptid": "3", "eventid": "8812", "manualinput": "5"}]


# A script is offered on the hosts of its host group where the user has the access it asks for.
GROUP_OF_HOST = {"10501": "5", "10502": "5", "10084": "4"}
EDITABLE = {"10501", "10084"}


def host_get_with_groups_and_rights(call):
    return [{"hostid": h} for h in call.params["hostids"]
            if ("groupids" not in call.params or GROUP_OF_HOST[h] in call.params["groupids"])
            and (not call.params.get("editable") or h in EDITABLE)]


@pytest.mark.parametrize("script, expected, params", [
    ({"scriptid": "7", "groupid": "0", "host_access": "2"}, {"10501", "10502", "10084"}, {}),
    ({"scriptid": "7", "groupid": "5", "host_access": "2"}, {"10501", "10502"}, {"groupids": ["5"]}),
    ({"scriptid": "7", "groupid": "0", "host_access": "3"}, {"10501", "10084"}, {"editable": True}),
    ({"scriptid": "7", "groupid": "5", "host_access": "3"}, {"10501"}, {"groupids": ["5"], "editable": True}),
])
def test_hosts_a_script_runs_on_in_one_call(monkeypatch, script, expected, params):
    client, fake = logged_in(monkeypatch)
    fake.on("host.get", host_get_with_groups_and_rights)
    assert client.hosts_script_runs_on(script, ["10501", "10502", "10084"]) == expected
    calls = fake.called("host.get")
    assert len(calls) == 1
    assert dict((k, v) for k, v in calls[0].params.items() if k in ("groupids", "editable")) == params


def test_hosts_a_script_runs_on_asks_nothing_for_no_hosts(monkeypatch):
    client, fake = logged_in(monkeypatch)
    assert client.hosts_script_runs_on({"scriptid": "7", "groupid": "5"}, []) == set()
    assert fake.called("host.get") == []


@pytest.mark.parametrize("feature, version, message", [
    ("manualinput", "6.4.9", "manualinput needs Zabbix 7.0 or later"),
    ("event_targets", "5.0.30", "Running scripts on events needs Zabbix 5.4 or later"),
])
def test_require_names_the_version(monkeypatch, feature, version, message):
    client, dummy = make_client(monkeypatch, version=version)
    client.detect_version()
    with pytest.raises(UnsupportedError) as caught:
        client.require(feature, message)
    assert message in caught.value.message
    assert version in caught.value.message


def test_require_passes_when_supported(monkeypatch):
    client, dummy = make_client(monkeypatch, version="7.0.5")
    client.detect_version()
    client.require("manualinput", "x")
    client.require("event_targets", "y")


@pytest.mark.parametrize("version, params, refused", [
    ("6.0.14", {"api_token": TOKEN}, True),
    ("6.0.14", {"username": "Admin", "password": "zabbix-pass"}, False),
    ("6.4.0", {"api_token": TOKEN}, False),
    ("5.4.12", {"api_token": TOKEN}, True),
])
def test_broken_token_execute_of_5_4_and_6_0(monkeypatch, version, params, refused):
    client, fake = make_client(monkeypatch, version=version, **params)
    client.detect_version()
    if refused:
        with pytest.raises(UnsupportedError) as caught:
            client.refuse_broken_token_execute()
        assert "username and password" in caught.value.message
        assert "Nothing was run" in caught.value.message
    else:
        client.refuse_broken_token_execute()
    assert fake.methods() == ["apiinfo.version"]


@pytest.mark.parametrize("version, in_body, refused", [("6.0.14", True, False), ("7.0.5", True, False), ("7.2.3", False, True)])
def test_http_basic_moves_the_credential_out_of_the_authorization_header(monkeypatch, version, in_body, refused):
    client, fake = make_client(monkeypatch, version=version, api_token=TOKEN, http_username="web", http_password="web-pass")
    client.detect_version()
    if refused:
        with pytest.raises(UnsupportedError) as caught:
            client.login()
        assert "HTTP Basic" in caught.value.message
        assert fake.methods() == ["apiinfo.version"]
        return
    client.login()
    fake.on("host.get", [])
    client.call("host.get", {})
    call = fake.calls[-1]
    assert call.auth == TOKEN and in_body
    assert "Authorization" not in (call.headers or {})
