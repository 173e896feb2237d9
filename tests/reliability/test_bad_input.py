# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Bad input: every case fails cleanly, says what to fix, and runs nothing.

The first half runs the modules through ansible-playbook with wrong types,
missing and conflicting options, malformed URLs, unknown names, oversize
values, Unicode, empty strings and non-string values: each case must give
``failed: true``, a ``msg`` that names what to fix, no traceback, and no
script run on the simulators.

The second half feeds arbitrary answers (bodies, statuses, headers) to the
parsers of the core: whatever a server sends, they return a result or raise
the collection's own ``ScriptBridgeError``, never anything else.
"""

import json
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import (
    HttpResponse,
    RetryPolicy,
    retry_after_seconds,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import JsonRpcClient
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.client import SuperOfficeClient
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.client import classify
from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.reliability.reliability_helpers import (
    CRMSCRIPT,
    EVENT_HANDLERS,
    ZABBIX,
    no_traceback,
)
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import TICKET, SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

DROP = object()
LONG_NAME = "host-" + "x" * 5000
MANY_HOSTS = ["missing-%04d" % n for n in range(300)]


def zabbix_case(case, expect, **args):
    base = {"url": "{zabbix}", "api_token": API_TOKEN, "script_id": "10", "host": "host-001"}
    return (case, ZABBIX, base, args, expect)


def crmscript_case(case, expect, **args):
    base = {"url": "{superoffice}", "ticket": TICKET, "script_id": 1}
    return (case, CRMSCRIPT, base, args, expect)


def handlers_case(case, expect, **args):
    base = {"url": "{superoffice}", "ticket": TICKET, "event_type": "TicketSave"}
    return (case, EVENT_HANDLERS, base, args, expect)


# (name, module, base args, changes (DROP removes an option), words of which the msg must contain one)
CASES = [
    zabbix_case("zabbix: url missing", ["url"], url=DROP),
    zabbix_case("zabbix: no credentials", ["api_token"], api_token=DROP),
    zabbix_case("zabbix: token and password", ["either api_token or username"], username="Admin", password="zabbix"),
    zabbix_case("zabbix: username without password", ["username and password"], api_token=DROP, username="Admin"),
    zabbix_case("zabbix: script and script_id", ["mutually exclusive"], script="Ping"),
    zabbix_case("zabbix: no script", ["script_id", "one of"], script_id=DROP),
    zabbix_case("zabbix: two target options", ["mutually exclusive"], hosts=["host-002"]),
    zabbix_case("zabbix: no target", ["one of"], host=DROP),
    zabbix_case("zabbix: menu_path without script", ["menu_path"], menu_path="Linux"),
    zabbix_case("zabbix: script_id not a number", ["script_id"], script_id="ten"),
    zabbix_case("zabbix: script_id a list", ["script_id"], script_id=[10, 11]),
    zabbix_case("zabbix: script_id a dict", ["script_id"], script_id={"id": 10}),
    zabbix_case("zabbix: host_ids not numbers", ["host_ids"], host=DROP, host_ids=["20001", "web-01"]),
    zabbix_case("zabbix: hosts empty list", ["hosts"], host=DROP, hosts=[]),
    zabbix_case("zabbix: hosts twice the same", ["more than once"], host=DROP, hosts=["host-001", "host-001"]),
    zabbix_case("zabbix: hosts with an empty string", ["empty"], host=DROP, hosts=["host-001", ""]),
    zabbix_case("zabbix: host empty string", ["empty"], host=""),
    zabbix_case("zabbix: hosts a number", ["hosts", "numeric", "technical name"], host=DROP, hosts=12),
    zabbix_case("zabbix: event_id not a number", ["event_id"], host=DROP, script_id="16", event_id="last"),
    zabbix_case("zabbix: concurrency zero", ["concurrency"], concurrency=0),
    zabbix_case("zabbix: concurrency not a number", ["concurrency"], concurrency="many"),
    zabbix_case("zabbix: timeout negative", ["timeout"], timeout=-5),
    zabbix_case("zabbix: timeout not a number", ["timeout"], timeout="soon"),
    zabbix_case("zabbix: timeout absurdly large", ["timeout"], timeout=10 ** 12),
    zabbix_case("zabbix: fail_on_error not a boolean", ["fail_on_error"], fail_on_error="perhaps"),
    zabbix_case("zabbix: unknown option", ["Unsupported parameters", "scriptname"], scriptname="Ping"),
    zabbix_case("zabbix: ftp url", ["http"], url="ftp://zabbix.example.com/"),
    zabbix_case("zabbix: url without host", ["url"], url="http://"),
    zabbix_case("zabbix: url is not a url", ["url"], url="zabbix server please"),
    zabbix_case("zabbix: url with a bad port", ["port"], url="http://127.0.0.1:99999/"),
    zabbix_case("zabbix: url empty", ["url"], url=""),
    zabbix_case("zabbix: url with user info", ["user name or password"], url="http://admin:secret@zabbix.example.com/"),
    zabbix_case("zabbix: url with a space in the host", ["url", "host"], url="http://zab bix.example.com/"),
    zabbix_case("zabbix: api_token of the wrong length", ["64"], api_token="abc123"),
    zabbix_case("zabbix: unknown script name in Unicode", ["No script named"], script_id=DROP, script="Скрипт ☃ 脚本"),
    zabbix_case("zabbix: unknown host in Unicode", ["technical name"], host="hôst-ü-名前"),
    zabbix_case("zabbix: oversize host name", ["technical name"], host=LONG_NAME),
    zabbix_case("zabbix: 300 unknown hosts", ["technical name"], host=DROP, hosts=MANY_HOSTS),
    zabbix_case("zabbix: unknown event", ["No event"], host=DROP, script_id="16", event_id="999999"),
    zabbix_case("zabbix: manualinput the script refuses", ["manualinput", "user input"], script_id="22", manualinput="abc"),
    zabbix_case("zabbix: script name with only blanks", ["script"], script_id=DROP, script="   "),
    crmscript_case("crmscript: no credentials", ["authenticate"], ticket=DROP),
    crmscript_case("crmscript: two ways to authenticate", ["authenticate"], access_token="8A:abc.def"),
    crmscript_case("crmscript: username without password", ["password"], ticket=DROP, username="tje0"),
    crmscript_case("crmscript: script_id not a number", ["script_id"], script_id="one"),
    crmscript_case("crmscript: script_id and name", ["mutually exclusive"], name="Hello"),
    crmscript_case("crmscript: no script", ["one of"], script_id=DROP),
    crmscript_case("crmscript: name empty", ["name"], script_id=DROP, name=""),
    crmscript_case("crmscript: unknown name in Unicode", ["Ünïcødé ✓"], script_id=DROP, name="Ünïcødé ✓"),
    crmscript_case("crmscript: unknown unique_id", ["unique", "404", "found"], script_id=DROP,
                   unique_id="00000000-0000-4000-8000-999999999999"),
    crmscript_case("crmscript: unknown include_id", ["include", "found"], script_id=DROP, include_id="no_such_include"),
    crmscript_case("crmscript: unknown script_id", ["1234567", "found"], script_id=1234567),
    crmscript_case("crmscript: parameters a list", ["parameters"], parameters=["a", "b"]),
    crmscript_case("crmscript: url with a query", ["url"], url="{superoffice}?tenant=1"),
    crmscript_case("crmscript: url not http", ["http"], url="file:///etc/passwd"),
    crmscript_case("crmscript: Authorization in headers", ["Authorization"], headers={"Authorization": "Basic eDp5"}),
    crmscript_case("crmscript: bad header name", ["header"], headers={"Bad Header": "x"}),
    crmscript_case("crmscript: header value with a line break", ["line break"], headers={"X-Note": "a\r\nX-Evil: 1"}),
    crmscript_case("crmscript: ticket with a line break", ["line break"], ticket="7T:abc\nX-Evil: 1"),
    crmscript_case("crmscript: timeout zero", ["timeout"], timeout=0),
    crmscript_case("crmscript: Basic on Online", ["Online"], ticket=DROP, username="tje0", password="Tje0",
                   url="https://online2.superoffice.com/Cust12345"),
    handlers_case("handlers: event_type missing", ["event_type"], event_type=DROP),
    handlers_case("handlers: event_type misspelt", ["TicketSave"], event_type="TicketSaev"),
    handlers_case("handlers: event_type empty", ["event_type", "event handler type"], event_type=""),
    handlers_case("handlers: event_type in Unicode", ["event handler type"], event_type="Тикет"),
    handlers_case("handlers: input_values a list", ["input_values"], input_values=["a"]),
    handlers_case("handlers: state_values a number", ["state_values"], state_values=5),
    handlers_case("handlers: fail_on_block not a boolean", ["fail_on_block"], fail_on_block="sometimes"),
    handlers_case("handlers: select a dict", ["select"], select={"a": 1}),
    handlers_case("handlers: no credentials", ["authenticate"], ticket=DROP),
    handlers_case("handlers: url empty", ["url"], url=""),
]


def module_args(base, changes, urls):
    args = dict(base)
    for key, value in changes.items():
        if value is DROP:
            args.pop(key, None)
        else:
            args[key] = value
    if isinstance(args.get("url"), str):
        args["url"] = args["url"].format(**urls)
    return args


@pytest.fixture(scope="module")
def bad_input_run():
    with ZabbixSimulator(version="7.0", hosts=20) as zabbix, SuperOfficeSimulator(mode="onsite") as superoffice:
        urls = {"zabbix": zabbix.url, "superoffice": superoffice.url}
        tasks = [{"name": name, module: module_args(base, changes, urls)} for name, module, base, changes, dummy in CASES]
        yield run_play(tasks, control=[zabbix.url, superoffice.root_url])


def test_there_are_enough_cases():
    assert len(CASES) >= 40
    assert len(set(c[0] for c in CASES)) == len(CASES)
    assert set(c[1] for c in CASES) == {ZABBIX, CRMSCRIPT, EVENT_HANDLERS}


@pytest.mark.xdist_group("bad input")
@pytest.mark.parametrize("name, module, base, changes, expect", CASES, ids=[c[0] for c in CASES])
def test_bad_input_fails_cleanly(bad_input_run, name, module, base, changes, expect):
    result = bad_input_run[name]
    assert result.get("failed") is True, result
    msg = result.get("msg")
    assert isinstance(msg, str) and msg.strip(), result
    assert any(word.lower() in msg.lower() for word in expect), msg
    no_traceback(bad_input_run, result)
    # Nothing ran on either simulator.
    for stats in bad_input_run.sims(name):
        assert stats["executions"] == [], stats["executions"]
    assert result.get("changed") is not True


# -- arbitrary answers to the parsers ------------------------------------------------------------------------------

STATUSES = st.one_of(st.sampled_from([200, 201, 204, 301, 302, 400, 401, 403, 404, 405, 412, 421, 429, 500, 502, 503]),
                     st.integers(min_value=100, max_value=599))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
ENVELOPE_KEYS = st.sampled_from(["jsonrpc", "id", "result", "error", "code", "message", "data", "method",
                                 "Error", "ErrorType", "ErrorMessage", "ErrorSource", "Message"])


@st.composite
def envelopes(draw):
    """Dicts that look like the answers servers give (JSON-RPC, SuperOffice errors), with any values."""
    document = draw(st.dictionaries(ENVELOPE_KEYS, JSON_VALUES, max_size=6))
    if draw(st.booleans()):
        document["jsonrpc"] = "2.0"
    if draw(st.booleans()):
        document["id"] = draw(st.sampled_from([1, 2, "1", None, True, 1.0]))
    if draw(st.booleans()):
        document["error"] = draw(st.dictionaries(ENVELOPE_KEYS, JSON_VALUES, max_size=4)
                                 | st.fixed_dictionaries({"code": st.integers() | st.booleans(), "message": JSON_VALUES,
                                                          "data": JSON_VALUES}))
    return document


BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8")),
    JSON_VALUES.map(lambda v: json.dumps(v).encode("utf-8")),
    envelopes().map(lambda v: json.dumps(v).encode("utf-8")),
)
HEADERS = st.dictionaries(st.sampled_from(["Retry-After", "WWW-Authenticate", "Location", "Content-Type"]),
                          st.text(max_size=40), max_size=3)
DEEP = b"[" * 100000 + b"]" * 100000
DEEP_ERROR = b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32500, "message": "x", "data": ' + DEEP + b"}}"
DEEP_SUPEROFFICE = b'{"Error": true, "ErrorType": "X", "ErrorMessage": ' + DEEP + b"}"


class CaseInsensitive(dict):
    """Headers as requests hands them over: looked up without regard to case."""

    def get(self, key, default=None):
        for name, value in self.items():
            if name.lower() == key.lower():
                return value
        return default


def response(status, body, headers=None, method="POST"):
    return HttpResponse(status, "Reason", CaseInsensitive(headers or {}), body, "https://server.example.com/x",
                        Redactor(["s3cr3t-token"]), method)


class FakeTransport:
    """Answers every request with one prepared response."""

    def __init__(self, answer):
        self.answer = answer
        self.redactor = answer.redactor

    def request(self, method, url, payload=None, headers=None, params=None, content_type="application/json", acts=None):
        return self.answer

    def close(self):
        pass


def returns_or_raises_own_error(call):
    try:
        return call()
    except ScriptBridgeError as exc:
        assert isinstance(exc.message, str) and exc.message
        assert exc.kind in ("auth", "not_found_or_forbidden", "invalid_params", "unsupported", "script_failed",
                            "server_unreachable", "timeout", "http", "protocol")
        assert "s3cr3t-token" not in exc.message
        return exc


FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(status=STATUSES, body=BODIES, method=st.sampled_from(["GET", "POST"]))
@example(status=200, body=DEEP, method="POST")
@example(status=200, body=b"\xff\xfe\x00", method="POST")
def test_http_response_json(status, body, method):
    returns_or_raises_own_error(lambda: response(status, body, method=method).json())


@FAST
@given(status=STATUSES, body=BODIES, headers=HEADERS,
       method=st.sampled_from(["script.execute", "script.get", "apiinfo.version", "user.login"]))
@example(status=200, body=DEEP, headers={}, method="script.execute")
@example(status=200, body=DEEP_ERROR, headers={}, method="script.execute")
@example(status=200, body=b'{"jsonrpc": "2.0", "id": 1, "error": {"code": true, "message": null, "data": {"a": [1]}}}',
         headers={}, method="user.login")
@example(status=200, body=b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32602, "message": "x", "data": "s3cr3t-token"}}',
         headers={}, method="script.execute")
def test_jsonrpc_client(status, body, headers, method):
    client = JsonRpcClient(FakeTransport(response(status, body, headers)), "https://server.example.com/api_jsonrpc.php",
                           classify=classify)
    outcome = returns_or_raises_own_error(lambda: client.call(method, {}))
    if isinstance(outcome, ScriptBridgeError) and method == "script.execute" and status != 200 \
            and status >= 500 and status != 503:
        assert outcome.may_have_run is True


def superoffice_client(answer):
    client = SuperOfficeClient("https://crm.example.com/SuperOffice", ticket="7T:abc=", validate_certs=True,
                               ca_path=None, timeout=30)
    client.transport.close()
    client.transport = FakeTransport(answer)
    client.redactor = answer.redactor
    return client


@FAST
@given(status=STATUSES, body=BODIES, headers=HEADERS, runs=st.booleans(), method=st.sampled_from(["GET", "POST"]))
@example(status=500, body=DEEP_SUPEROFFICE, headers={}, runs=True, method="POST")
@example(status=502, body=DEEP, headers={}, runs=True, method="POST")
@example(status=200, body=DEEP, headers={}, runs=True, method="POST")
@example(status=302, body=b"", headers={"Location": "https://user:s3cr3t-token@login.example.com/?x=1"}, runs=False,
         method="GET")
def test_superoffice_request(status, body, headers, runs, method):
    answer = response(status, body, headers, method=method)
    client = superoffice_client(answer)
    returns_or_raises_own_error(lambda: client.request(method, "CRMScript/1/Execute", payload={}, acts=runs))
    error = returns_or_raises_own_error(lambda: client._error(answer, "running CRMScript 1", runs))
    assert isinstance(error, ScriptBridgeError)


@FAST
@given(value=st.one_of(st.none(), st.text(max_size=60), st.sampled_from(
    ["nan", "NaN", "inf", "-inf", "1e999", "-1", "0", "120", "Wed, 21 Oct 2015 07:28:00 GMT",
     "Mon, 01 Jan 99999 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:60 +9999", "30 seconds"])))
def test_retry_after_is_always_a_bounded_wait(value):
    policy = RetryPolicy(backoff=0.5, max_delay=10.0)
    delay = policy.delay(2, value)
    assert not math.isnan(delay)
    assert 0.0 <= delay <= 10.0
    assert 0.0 <= retry_after_seconds(value, 1.0, 10.0) <= 10.0
