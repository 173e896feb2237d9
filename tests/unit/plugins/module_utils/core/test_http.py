# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HTTP transport against a real local server (see conftest.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import email.utils
import json
import socket
import threading
import time

import pytest
import requests
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    ActingRequestRefused,
    OptionError,
    ProtocolError,
    RequestTimeoutError,
    ScriptBridgeError,
    UnreachableError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import (
    NOT_JSON,
    USER_AGENT,
    HttpTransport,
    RetryPolicy,
    _balanced,
    _short_reason,
    check_base_url,
    may_have_run_after,
    parse_json,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import REDACTED, Redactor, display_url

URL_SECRET = "UrlS3cretPass"
BASIC_SECRET = "B4sicS3cret!"


class Sleeps:
    """A fake ``sleep`` that records the delays asked for instead of waiting."""

    def __init__(self, on_sleep=None):
        self.delays = []
        self.on_sleep = on_sleep

    def __call__(self, seconds):
        self.delays.append(seconds)
        if self.on_sleep is not None:
            self.on_sleep(len(self.delays))


@pytest.fixture
def make_transport():
    made = []

    def factory(sleep=None, attempts=3, backoff=0.5, max_delay=10.0, **kwargs):
        kwargs.setdefault("timeout", 5)
        policy = RetryPolicy(attempts=attempts, backoff=backoff, max_delay=max_delay,
                             sleep=sleep if sleep is not None else Sleeps())
        transport = HttpTransport(retry=policy, **kwargs)
        made.append(transport)
        return transport

    yield factory
    for transport in made:
        transport.close()


def with_user_info(url, user="api", password=URL_SECRET):
    scheme, rest = url.split("://", 1)
    return "%s://%s:%s@%s" % (scheme, user, password, rest)


# -- what goes on the wire ---------------------------------------------------------------------------------------


def test_json_payload_and_content_type_on_the_wire(http_server, make_transport):
    payload = {"jsonrpc": "2.0", "method": "host.get", "params": {"filter": {"host": ["web-01", "caf\u00e9"]}}, "id": 7}
    make_transport().request("POST", http_server.url + "/zabbix/api_jsonrpc.php", payload=payload,
                             content_type="application/json-rpc")
    request = http_server.requests[0]
    assert request.method == "POST"
    assert request.path == "/zabbix/api_jsonrpc.php"
    assert request.headers["Content-Type"] == "application/json-rpc"
    assert int(request.headers["Content-Length"]) == len(request.body)
    assert request.json() == payload


def test_content_type_defaults_to_json_and_no_payload_sends_no_body(http_server, make_transport):
    transport = make_transport()
    transport.request("POST", http_server.url + "/a", payload={"x": 1})
    transport.request("GET", http_server.url + "/b")
    with_payload, without = http_server.requests
    assert with_payload.headers["Content-Type"] == "application/json"
    assert without.body == b""
    assert without.headers.get("Content-Type") is None


def test_user_agent_and_accept_headers(http_server, make_transport):
    make_transport().request("GET", http_server.url + "/")
    headers = http_server.requests[0].headers
    assert headers["User-Agent"] == USER_AGENT
    assert headers["User-Agent"].startswith("scriptbridge.core/")
    assert headers["Accept"] == "application/json"


def test_extra_headers_of_the_transport_and_of_one_request(http_server, make_transport):
    transport = make_transport(headers={"X-Team": "ops"})
    transport.request("POST", http_server.url + "/", payload={}, headers={"Authorization": "Bearer abc"})
    transport.request("POST", http_server.url + "/", payload={})
    first, second = http_server.requests
    assert first.headers["X-Team"] == "ops"
    assert first.headers["Authorization"] == "Bearer abc"
    assert second.headers["X-Team"] == "ops"
    # A header of one request does not stick to the session.
    assert second.headers.get("Authorization") is None


def test_http_basic_header(http_server, make_transport):
    make_transport(basic_auth=("web-user", BASIC_SECRET)).request("GET", http_server.url + "/")
    expected = base64.b64encode(("web-user:%s" % BASIC_SECRET).encode("ascii")).decode("ascii")
    assert http_server.requests[0].headers["Authorization"] == "Basic " + expected


def test_response_carries_status_reason_headers_and_body(http_server, make_transport):
    http_server.add(status=201, body={"answer": 42}, headers={"X-Trace": "t-1"})
    response = make_transport().request("GET", http_server.url + "/")
    assert response.status == 201
    assert response.reason == "Created"
    assert response.headers["X-Trace"] == "t-1"
    assert response.json() == {"answer": 42}
    assert response.text == '{"answer": 42}'


def test_environment_proxies_are_ignored(http_server, make_transport, refused_url, monkeypatch):
    # A proxy from the environment would silently change where requests go.
    monkeypatch.setenv("HTTP_PROXY", refused_url)
    monkeypatch.setenv("http_proxy", refused_url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    response = make_transport(attempts=1).request("GET", http_server.url + "/")
    assert response.status == 200
    assert http_server.hits == 1


@pytest.mark.parametrize("timeout", [0, -1])
def test_timeout_must_be_positive(timeout):
    with pytest.raises(OptionError):
        HttpTransport(timeout=timeout)


def test_tls_settings_reach_the_session(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    bundle = str(bundle)
    assert HttpTransport().session.verify is True
    assert HttpTransport(ca_path=bundle).session.verify == bundle
    assert HttpTransport(validate_certs=False, ca_path=bundle).session.verify is False


def test_a_ca_path_that_does_not_exist_is_an_option_error(tmp_path):
    missing = str(tmp_path / "missing.pem")
    with pytest.raises(OptionError) as caught:
        HttpTransport(ca_path=missing)
    assert "ca_path" in caught.value.message and missing in caught.value.message
    # Without verification the bundle is not read, so it need not exist.
    assert HttpTransport(validate_certs=False, ca_path=missing).session.verify is False


# -- retries ---------------------------------------------------------------------------------------------------------


def test_connection_refused_is_retried_then_unreachable(refused_url, make_transport):
    sleeps = Sleeps()
    transport = make_transport(sleep=sleeps, attempts=4, backoff=0.5, max_delay=1.5)
    with pytest.raises(UnreachableError) as caught:
        transport.request("POST", refused_url + "/api_jsonrpc.php?x=1", payload={})
    error = caught.value
    assert sleeps.delays == [0.5, 1.0, 1.5]
    assert error.kind == "server_unreachable"
    assert error.may_have_run is False
    assert "tried 4 times" in error.message
    assert refused_url + "/api_jsonrpc.php" in error.message
    assert "x=1" not in error.message


def test_connection_refused_until_the_server_listens(idle_http_server, make_transport):
    def start_on_second_sleep(count):
        if count == 2:
            idle_http_server.listen()

    sleeps = Sleeps(on_sleep=start_on_second_sleep)
    idle_http_server.add(body={"up": True})
    response = make_transport(sleep=sleeps, attempts=5).request("POST", idle_http_server.url + "/", payload={"n": 1})
    assert response.json() == {"up": True}
    assert len(sleeps.delays) == 2
    assert idle_http_server.hits == 1
    assert idle_http_server.requests[0].json() == {"n": 1}


def test_429_and_503_are_retried_honouring_retry_after_seconds(http_server, make_transport):
    http_server.add(status=429, headers={"Retry-After": "2"}, body="slow down")
    http_server.add(status=503, headers={"Retry-After": "1"}, body="busy")
    http_server.add(status=200, body={"done": True})
    sleeps = Sleeps()
    response = make_transport(sleep=sleeps, attempts=3).request("POST", http_server.url + "/", payload={"k": "v"})
    assert response.status == 200
    assert response.json() == {"done": True}
    assert sleeps.delays == [2.0, 1.0]
    assert http_server.hits == 3
    # The same request is sent every time.
    assert [r.json() for r in http_server.requests] == [{"k": "v"}] * 3


def test_retry_after_as_http_date(http_server, make_transport):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    http_server.add(status=503, headers={"Retry-After": when})
    sleeps = Sleeps()
    response = make_transport(sleep=sleeps, attempts=2, max_delay=60).request("GET", http_server.url + "/")
    assert response.status == 200
    assert len(sleeps.delays) == 1
    assert 27.0 <= sleeps.delays[0] <= 30.0


@pytest.mark.parametrize("retry_after", ["3600", "date"])
def test_retry_after_is_capped_by_max_delay(http_server, make_transport, retry_after):
    if retry_after == "date":
        retry_after = email.utils.formatdate(time.time() + 3600, usegmt=True)
    http_server.add(status=429, headers={"Retry-After": retry_after})
    sleeps = Sleeps()
    make_transport(sleep=sleeps, attempts=2, max_delay=5.0).request("GET", http_server.url + "/")
    assert sleeps.delays == [5.0]


def test_retry_after_in_the_past_means_no_wait(http_server, make_transport):
    http_server.add(status=503, headers={"Retry-After": email.utils.formatdate(time.time() - 600, usegmt=True)})
    sleeps = Sleeps()
    make_transport(sleep=sleeps, attempts=2).request("GET", http_server.url + "/")
    assert sleeps.delays == [0.0]


def test_retry_without_retry_after_backs_off(http_server, make_transport):
    http_server.add(status=429).add(status=429, headers={"Retry-After": "soon"})
    sleeps = Sleeps()
    response = make_transport(sleep=sleeps, attempts=3, backoff=0.25).request("GET", http_server.url + "/")
    assert response.status == 200
    # No header, then an unreadable one: the backoff of each attempt.
    assert sleeps.delays == [0.25, 0.5]


def test_last_retryable_answer_is_returned_when_attempts_run_out(http_server, make_transport):
    http_server.add(status=503, body="busy 1").add(status=503, body="busy 2").add(status=200)
    sleeps = Sleeps()
    response = make_transport(sleep=sleeps, attempts=2).request("GET", http_server.url + "/")
    assert response.status == 503
    assert response.text == "busy 2"
    assert http_server.hits == 2
    assert len(sleeps.delays) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_not_retried(http_server, make_transport, status):
    http_server.add(status=status, body="oops").add(status=200)
    sleeps = Sleeps()
    response = make_transport(sleep=sleeps, attempts=5).request("POST", http_server.url + "/", payload={})
    assert response.status == status
    assert response.text == "oops"
    assert http_server.hits == 1
    assert sleeps.delays == []


# -- failures after the request left ---------------------------------------------------------------------------------


def test_read_timeout_may_have_run_and_is_not_retried(http_server, make_transport):
    http_server.add(delay=5)
    sleeps = Sleeps()
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        make_transport(sleep=sleeps, timeout=0.3, attempts=5).request("POST", http_server.url + "/x", payload={})
    assert time.monotonic() - started < 3
    error = caught.value
    assert error.kind == "timeout"
    assert error.may_have_run is True
    assert "0.3 seconds" in error.message
    assert http_server.url + "/x" in error.message
    assert http_server.hits == 1
    assert sleeps.delays == []


def test_answer_stalling_in_the_body_is_a_timeout(http_server, make_transport):
    http_server.add(body={"value": "x" * 64}, stall=5)
    sleeps = Sleeps()
    with pytest.raises(RequestTimeoutError) as caught:
        make_transport(sleep=sleeps, timeout=0.3, attempts=5).request("POST", http_server.url + "/", payload={})
    assert caught.value.may_have_run is True
    assert http_server.hits == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("how", ["close", "reset"])
def test_connection_lost_after_the_request_may_have_run(http_server, make_transport, how):
    http_server.add(**{how: True}).add(body={"second": True})
    sleeps = Sleeps()
    transport = make_transport(sleep=sleeps, attempts=5)
    with pytest.raises(UnreachableError) as caught:
        transport.request("POST", http_server.url + "/", payload={"run": 1})
    assert caught.value.may_have_run is True
    assert caught.value.kind == "server_unreachable"
    assert http_server.hits == 1
    assert sleeps.delays == []
    # The transport stays usable.
    assert transport.request("GET", http_server.url + "/").json() == {"second": True}


def test_truncated_body_is_a_protocol_error_that_may_have_run(http_server, make_transport):
    http_server.add(body=b'{"result": "abc', declared_length=500)
    sleeps = Sleeps()
    with pytest.raises(ProtocolError) as caught:
        make_transport(sleep=sleeps, attempts=5).request("POST", http_server.url + "/", payload={})
    assert caught.value.kind == "protocol"
    assert caught.value.may_have_run is True
    assert http_server.hits == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("url", ["http://", "ftp://example.com/x", "example.com/api", "http://127.0.0.1:99999/"])
def test_invalid_url_is_an_option_error(make_transport, url):
    sleeps = Sleeps()
    with pytest.raises(OptionError) as caught:
        make_transport(sleep=sleeps).request("GET", url)
    assert caught.value.kind == "invalid_params"
    assert caught.value.may_have_run is False
    assert sleeps.delays == []


# -- URLs ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url, expected", [
    ("https://zbx.example.com", "https://zbx.example.com"),
    ("  http://zbx.example.com/zabbix/ \n", "http://zbx.example.com/zabbix/"),
    ("https://zbx.example.com:8443/api_jsonrpc.php", "https://zbx.example.com:8443/api_jsonrpc.php"),
])
def test_check_base_url_accepts_http_urls(url, expected):
    assert check_base_url(url) == expected


@pytest.mark.parametrize("url", [None, "", "   ", "zbx.example.com", "ftp://zbx.example.com", "https://", "https:///path",
                                 "mailto:admin@example.com", "https://user:pw@zbx.example.com:8443/",
                                 "https://zbx.example.com:99999/"])
def test_check_base_url_rejects(url):
    with pytest.raises(OptionError) as caught:
        check_base_url(url, option="zabbix_url")
    assert "zabbix_url" in caught.value.message


def test_check_base_url_message_hides_user_info():
    with pytest.raises(OptionError) as caught:
        check_base_url("gopher://admin:%s@zbx.example.com/" % URL_SECRET)
    assert URL_SECRET not in caught.value.message
    assert "zbx.example.com" in caught.value.message


@pytest.mark.parametrize("url, expected", [
    ("https://user:pw@zbx.example.com:8443/zabbix/api_jsonrpc.php?token=abc#top",
     "https://zbx.example.com:8443/zabbix/api_jsonrpc.php"),
    ("https://user@zbx.example.com/", "https://zbx.example.com/"),
    ("http://a:b@c@zbx.example.com/x?y=z", "http://zbx.example.com/x"),
    ("https://zbx.example.com", "https://zbx.example.com"),
])
def test_display_url_strips_user_info_query_and_fragment(url, expected):
    assert display_url(url) == expected


# -- redaction -----------------------------------------------------------------------------------------------------


def test_redactor_masks_every_form_inside_nested_values():
    secret = 'p@ss w0rd/"x'
    redactor = Redactor([secret])
    value = {
        "msg": "login with %s failed" % secret,
        "nested": [
            {"url": "https://zbx.example.com/?password=p%40ss%20w0rd%2F%22x&u=1"},
            ("json", json.dumps({"password": secret})),
        ],
        "count": 3,
        "flag": True,
        "none": None,
        secret: "as a key",
    }
    scrubbed = redactor.scrub(value)
    assert scrubbed == {
        "msg": "login with %s failed" % REDACTED,
        "nested": [
            {"url": "https://zbx.example.com/?password=%s&u=1" % REDACTED},
            ["json", json.dumps({"password": REDACTED})],
        ],
        "count": 3,
        "flag": True,
        "none": None,
        REDACTED: "as a key",
    }
    # The input is left alone.
    assert value["msg"] == "login with %s failed" % secret


def test_redactor_masks_json_escaped_non_ascii():
    redactor = Redactor(["p\u00e4ssw\u00f6rd"])
    text = json.dumps({"password": "p\u00e4ssw\u00f6rd"})
    assert "\\u00e4" in text
    assert redactor.scrub(text) == json.dumps({"password": REDACTED})


def test_redactor_masks_basic_auth_forms():
    redactor = Redactor()
    redactor.add_basic_auth("admin", "hunter22")
    header = "Basic " + base64.b64encode(b"admin:hunter22").decode("ascii")
    assert redactor.scrub(["Authorization: %s" % header, "password hunter22"]) == [
        "Authorization: Basic %s" % REDACTED, "password %s" % REDACTED]


def test_redactor_masks_basic_header_even_of_a_short_password():
    redactor = Redactor()
    redactor.add_basic_auth("administrator", "pw")
    header = base64.b64encode(b"administrator:pw").decode("ascii")
    assert redactor.scrub("Basic %s with pw" % header) == "Basic %s with pw" % REDACTED


def test_redactor_ignores_short_and_empty_values():
    redactor = Redactor(["abc", "", None])
    redactor.add("xyz")
    redactor.add_basic_auth("user", None)
    text = "abc xyz None user"
    assert redactor.scrub(text) == text


def test_redactor_masks_the_longest_secret_first():
    redactor = Redactor(["abcd", "abcdefgh"])
    assert redactor.scrub("xabcdefghx abcd") == "x%sx %s" % (REDACTED, REDACTED)


def test_redactor_masks_a_secret_added_later():
    redactor = Redactor()
    assert redactor.scrub("session 0123456789abcdef") == "session 0123456789abcdef"
    redactor.add("0123456789abcdef")
    assert redactor.scrub("session 0123456789abcdef") == "session " + REDACTED


def _refused(server, transport, url):
    server.stop()
    transport.request("POST", url, payload={})


def _timeout(server, transport, url):
    server.add(delay=5)
    transport.request("POST", url, payload={})


def _closed(server, transport, url):
    server.add(close=True)
    transport.request("POST", url, payload={})


def _truncated(server, transport, url):
    server.add(body="{", declared_length=99)
    transport.request("POST", url, payload={})


def _bad_port(server, transport, url):
    transport.request("POST", url.replace(str(server.port), "99999"))


def _bad_scheme(server, transport, url):
    transport.request("POST", url.replace("http://", "ftp://"))


FAILURES = {
    "refused": _refused,
    "timeout": _timeout,
    "closed": _closed,
    "truncated": _truncated,
    "bad port": _bad_port,
    "bad scheme": _bad_scheme,
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_error_messages_never_show_the_password_of_the_url(http_server, make_transport, failure):
    url = with_user_info(http_server.url + "/api_jsonrpc.php")
    transport = make_transport(timeout=0.3, attempts=2)
    with pytest.raises(ScriptBridgeError) as caught:
        FAILURES[failure](http_server, transport, url)
    assert URL_SECRET not in caught.value.message
    assert URL_SECRET not in str(caught.value)


def test_error_messages_never_show_a_secret_echoed_by_the_server(http_server, make_transport):
    basic = base64.b64encode(("web-user:%s" % BASIC_SECRET).encode("ascii")).decode("ascii")
    http_server.add(status=200, headers={"Content-Type": "text/html"},
                    body="<html><body><p>Denied: Authorization: Basic %s (password %s)</p></body></html>"
                         % (basic, BASIC_SECRET))
    response = make_transport(basic_auth=("web-user", BASIC_SECRET)).request("POST", http_server.url + "/", payload={})
    with pytest.raises(ProtocolError) as caught:
        response.json()
    assert "Denied" in caught.value.message
    assert BASIC_SECRET not in caught.value.message
    assert basic not in caught.value.message


# -- connections -----------------------------------------------------------------------------------------------------


def test_sequential_requests_reuse_one_connection(http_server, make_transport):
    transport = make_transport()
    for number in range(6):
        http_server.add(body={"n": number})
    answers = [transport.request("POST", http_server.url + "/", payload={"n": n}).json()["n"] for n in range(6)]
    assert answers == list(range(6))
    assert http_server.connections == 1
    assert set(r.connection for r in http_server.requests) == {1}


@pytest.mark.parametrize("requests_at_once", [3, 9])
def test_pool_opens_at_most_its_size_in_connections(http_server, make_transport, requests_at_once):
    pool_size = 3
    http_server.answer_by_default(delay=0.15)
    transport = make_transport(pool_size=pool_size)
    statuses = []
    start = threading.Barrier(requests_at_once)

    def one():
        start.wait()
        statuses.append(transport.request("POST", http_server.url + "/", payload={}).status)

    threads = [threading.Thread(target=one) for dummy in range(requests_at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert statuses == [200] * requests_at_once
    assert http_server.hits == requests_at_once
    assert 2 <= http_server.connections <= pool_size
    assert 2 <= http_server.max_in_flight <= pool_size


# -- check mode: a read-only transport -----------------------------------------------------------------------------


@pytest.mark.parametrize("method, acts", [("POST", None), ("POST", True), ("GET", True), ("PUT", None)])
def test_a_read_only_transport_refuses_requests_that_act_before_sending(http_server, make_transport, method, acts):
    transport = make_transport(read_only=True)
    with pytest.raises(ActingRequestRefused) as caught:
        transport.request(method, with_user_info(http_server.url) + "/api/v1/CRMScript/1/Execute", payload={}, acts=acts)
    assert http_server.hits == 0
    assert "check mode" in caught.value.message and "Nothing was sent" in caught.value.message
    assert caught.value.may_have_run is False
    assert URL_SECRET not in caught.value.message


@pytest.mark.parametrize("method, acts", [("GET", None), ("POST", False)])
def test_a_read_only_transport_sends_reads(http_server, make_transport, method, acts):
    transport = make_transport(read_only=True)
    assert transport.request(method, http_server.url + "/x", payload={}, acts=acts).status == 200
    assert http_server.hits == 1


def test_the_response_knows_whether_its_request_acts(http_server, make_transport):
    transport = make_transport()
    assert transport.request("POST", http_server.url + "/x", acts=False).acts is False
    assert transport.request("GET", http_server.url + "/x", acts=True).acts is True
    assert transport.request("POST", http_server.url + "/x").acts is True


# -- the shared helpers of "may have run" and JSON --------------------------------------------------------------------


@pytest.mark.parametrize("status, acts, expected", [
    (500, True, True), (502, True, True), (504, True, True), (503, True, False), (429, True, False),
    (404, True, False), (200, True, False), (500, False, False), (502, False, False),
])
def test_may_have_run_after_a_status(status, acts, expected):
    assert may_have_run_after(status, acts) is expected


@pytest.mark.parametrize("text, expected", [
    ('{"a": [1, null]}', {"a": [1, None]}), ("null", None), ('"x"', "x"), ("<html>", NOT_JSON), ("", NOT_JSON),
    ("[" * 100000, NOT_JSON), (None, NOT_JSON),
])
def test_parse_json(text, expected):
    assert parse_json(text) == expected if expected is not NOT_JSON else parse_json(text) is NOT_JSON


# -- Why a connection could not be opened, in a sentence -------------------------------------------------------------


def _connection_error(reason):
    """What requests raises when urllib3 gave up on a connection for ``reason``."""
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/api_jsonrpc.php", reason))


def _name_resolution_error():
    return NameResolutionError("zabbix.invalid", HTTPConnection("zabbix.invalid"),
                               socket.gaierror(-2, "Name or service not known"))


def _refused_error():
    return NewConnectionError(HTTPConnection("127.0.0.1", 1),
                              "Failed to establish a new connection: [Errno 111] Connection refused")


def test_a_name_that_does_not_resolve_reads_as_one_clause():
    reason = _short_reason(_connection_error(_name_resolution_error()))
    assert reason == "the host name zabbix.invalid does not resolve (Name or service not known)"


@pytest.mark.parametrize("make", [_name_resolution_error, _refused_error])
def test_a_reason_has_balanced_brackets_and_no_object_names(make):
    reason = _short_reason(_connection_error(make()))
    assert _balanced(reason) and reason.count("(") == reason.count(")")
    assert "object at 0x" not in reason and "HTTPConnection(" not in reason


def test_a_refused_connection_says_so_in_a_balanced_sentence(refused_url, make_transport):
    transport = make_transport(sleep=Sleeps())
    with pytest.raises(UnreachableError) as caught:
        transport.request("GET", refused_url + "/x")
    message = caught.value.message
    assert "Connection refused; tried 3 times. Check the url option" in message
    assert _balanced(message)
