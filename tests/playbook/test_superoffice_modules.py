"""superoffice_crmscript_execute and superoffice_event_handlers through real ansible-playbook and ansible runs.

Three plays (Onsite CRMScript runs, Onsite event handlers, Online) and two ad-hoc
commands run once against SuperOffice simulators; the tests then read what the
modules returned and, from the simulators' records (each task's own, see the
``result_log`` callback), what went over the wire. The last test checks every
request the modules sent and every answer they got against the official
Swagger specs.

Under pytest-xdist the runs happen once per test session: the first worker runs
them and leaves the outcome in the session's temporary directory for the other.
"""

import base64
import fcntl
import json
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_adhoc, run_play
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import (
    ACCESS_TOKEN, APP_TOKEN, PASSWORD, SCRIPTS, TICKET, USERNAME, XSRF_TOKEN, SuperOfficeSimulator)
from ansible_collections.scriptbridge.core.tests.simulators.swagger import find_operation, validate_exchange

C = "scriptbridge.core.superoffice_crmscript_execute"
E = "scriptbridge.core.superoffice_event_handlers"
GROUP = "group/scriptbridge.core.superoffice"
COOKIE = "ASP.NET_SessionId=q8w7e6r5t4y3u2i1o0p9; .ASPXAUTH=0F1E2D3C4B5A69788796A5B4C3D2E1F0"
WRONG_PASSWORD = "Wr0ng-Passw0rd!"
WRONG_APP_TOKEN = "0000aaaa1111bbbb2222cccc3333dddd"
EXPIRED_TOKEN = "8A:Cust12345.ExpiredTokenZ9y8x7w6v5u4t3s2r1"
SECRETS = [PASSWORD, TICKET, ACCESS_TOKEN, APP_TOKEN, XSRF_TOKEN, COOKIE, "q8w7e6r5t4y3u2i1o0p9",
           "0F1E2D3C4B5A69788796A5B4C3D2E1F0", WRONG_PASSWORD, WRONG_APP_TOKEN, EXPIRED_TOKEN,
           base64.b64encode(("%s:%s" % (USERNAME, PASSWORD)).encode()).decode(),
           base64.b64encode(("%s:%s" % (USERNAME, WRONG_PASSWORD)).encode()).decode()]
HELLO = SCRIPTS["hello"]
ONLINE_HOST_URL = "https://online2.superoffice.com/Cust12345"
EVENT_KEYS = {"type", "input_values", "block_execution", "navigate_to", "message", "show_dialog", "output_values",
              "state_values", "exception", "parser_values", "cgi_variables", "cgi_content", "headers",
              "trace_execution", "table_right", "field_properties"}
EXECUTING = {"POST /api/v1/CRMScript/{id}/Execute", "POST /api/v1/Agents/CRMScript/ExecuteScript",
             "POST /api/v1/Agents/CRMScript/ExecuteScriptByIncludeId",
             "POST /api/v1/Agents/CRMScript/ExecuteScriptByUniqueId",
             "POST /api/v1/Agents/CustomerService/ExecuteEventHandlers"}


def task(name, module, args, **keys):
    return dict({"name": name, module: args}, **keys)


def onsite_script_tasks(sim, restricted):
    url = sim.url
    ticket = {"url": url, "ticket": TICKET}
    return [
        task("basic by id", C, {"url": url, "username": USERNAME, "password": PASSWORD, "script_id": 1,
                                "parameters": {"name": "Ada"}}),
        task("ticket by name", C, dict(ticket, name="Hello", parameters={"name": "Bo"})),
        task("xsrf by unique id", C, {"url": url, "xsrf_token": XSRF_TOKEN, "session_cookie": COOKIE,
                                      "unique_id": HELLO["unique_id"]}),
        task("alias crmscript_id", C, dict(ticket, crmscript_id=2)),
        task("alias id with typed parameters", C, dict(ticket, id=3, parameters={
            "personId": 27, "dry": True, "ratio": 0.5, "hosts": ["web01", "db01"], "meta": {"a": 1}, "none": None})),
        task("include id", C, dict(ticket, include_id="json_output")),
        task("silent script", C, dict(ticket, script_id=7)),
        task("language and extra headers", C, dict(ticket, app_token=APP_TOKEN, script_id=11, language="nb",
                                                   culture="nb", time_zone="NO", headers={"X-Trace-Id": "run-42"})),
        task("url with api suffix", C, {"url": url + "/api/v1/", "ticket": TICKET, "script_id": 1}),
        task("check by id", C, dict(ticket, script_id=1, parameters={"name": "x"}), check_mode=True),
        task("check by unique id", C, dict(ticket, unique_id=HELLO["unique_id"]), check_mode=True),
        task("check by include id", C, dict(ticket, include_id="hello"), check_mode=True),
        task("check by name", C, dict(ticket, name="Hello"), check_mode=True),
        task("check unknown id", C, dict(ticket, script_id=99), check_mode=True),
        task("unknown id", C, dict(ticket, script_id=99)),
        task("ambiguous name", C, dict(ticket, name="Duplicate name")),
        task("unknown name", C, dict(ticket, name="Helo")),
        task("script throws", C, dict(ticket, script_id=4)),
        task("wrong password", C, {"url": url, "username": USERNAME, "password": WRONG_PASSWORD, "script_id": 1}),
        task("bearer onsite", C, {"url": url, "access_token": ACCESS_TOKEN, "script_id": 1}),
        task("no credentials", C, {"url": url, "script_id": 1}),
        task("two credentials", C, dict(ticket, access_token=ACCESS_TOKEN, script_id=1)),
        task("password without username", C, {"url": url, "password": PASSWORD, "script_id": 1}),
        task("credential in headers", C, dict(ticket, script_id=1, headers={"SO-AppToken": "in-the-wrong-place"})),
        task("not a url", C, {"url": "crm.example.com/SuperOffice", "ticket": TICKET, "script_id": 1}),
        task("url with query", C, {"url": url + "?tenant=1", "ticket": TICKET, "script_id": 1}),
        task("wrong path", C, {"url": sim.root_url + "/Nothing", "ticket": TICKET, "script_id": 1}),
        task("closed port", C, {"url": "http://127.0.0.1:9/SuperOffice", "ticket": TICKET, "script_id": 1}),
        task("restricted agent", C, {"url": restricted.url, "ticket": TICKET, "script_id": 1}),
        task("two selectors", C, dict(ticket, script_id=1, name="Hello")),
        task("no selector", C, dict(ticket)),
        task("empty name", C, dict(ticket, name="  ")),
        # Last: the script goes on running after the module gave up.
        task("timeout", C, dict(ticket, script_id=8, parameters={"seconds": 3}, timeout=1)),
    ]


def onsite_event_tasks(sim):
    ticket = {"url": sim.url, "ticket": TICKET}
    return [
        task("sale blocked", E, dict(ticket, type="SalesBeforeSaveSale",
                                     input_values={"SaleEntity.Amount": 50, "IsNew": True})),
        task("sale blocked fails", E, dict(ticket, event_type="SalesBeforeSaveSale", fail_on_block=True,
                                           input_values={"SaleEntity.Amount": "50"})),
        task("sale allowed", E, dict(ticket, event_type="SalesBeforeSaveSale", fail_on_block=True,
                                     input_values={"SaleEntity.Amount": "500"})),
        task("ticket save with select", E, dict(
            ticket, event_type="TicketSave", select=["output_values", "Message"], state_values={"run": 1},
            output_values={"pre.set": "yes"},
            input_values={"ticket.id": 4711, "zabbix.script": "Ping", "zabbix.hosts": "web01,db01"})),
        task("navigate", E, dict(ticket, event_type="SalesAfterSaveSale", input_values={"SaleEntity.SaleId": 12})),
        task("chat state", E, dict(ticket, event_type="ChatBeforeSaveNewMessage", state_values={"chat.count": 2},
                                   input_values={"chatMessage.message": "Hi"})),
        task("handler exception", E, dict(ticket, event_type="ScheduledTaskFailed")),
        task("handler exception kept", E, dict(ticket, event_type="ScheduledTaskFailed", fail_on_exception=False)),
        task("no handlers", E, dict(ticket, event_type="TicketClosed", input_values={"a": "1"})),
        task("check handlers", E, dict(ticket, event_type="TicketSave", input_values={"zabbix.script": "Ping"}),
             check_mode=True),
        task("check no handlers", E, dict(ticket, event_type="TicketClosed"), check_mode=True),
        task("unknown event type", E, dict(ticket, event_type="SaleBeforeSave")),
        task("unknown select", E, dict(ticket, event_type="TicketSave", select=["Outputs"])),
        task("module defaults", C, {"script_id": 1}, module_defaults={GROUP: ticket}),
        task("module defaults for event handlers", E, {"event_type": "TicketSave"}, module_defaults={GROUP: ticket}),
    ]


def online_tasks(sim, misdirected):
    url = sim.url
    bearer = {"url": url, "access_token": ACCESS_TOKEN}
    return [
        task("online bearer", C, dict(bearer, script_id=1, parameters={"name": "Online"})),
        task("online ticket with app token", C, {"url": url, "ticket": TICKET, "app_token": APP_TOKEN,
                                                 "name": "Hello"}),
        task("online ticket pasted with scheme", C, {"url": url, "ticket": "SOTicket " + TICKET,
                                                     "app_token": APP_TOKEN, "script_id": 1}),
        task("online xsrf", C, {"url": url, "xsrf_token": XSRF_TOKEN, "session_cookie": COOKIE, "script_id": 1}),
        task("online tenant url with api", C, dict(bearer, url=url + "/api", include_id="hello")),
        # Online rules follow the host: these are refused before anything is sent, so the host need not answer.
        task("online basic refused", C, {"url": ONLINE_HOST_URL, "username": USERNAME, "password": PASSWORD,
                                         "script_id": 1}),
        task("online ticket without app token", C, {"url": ONLINE_HOST_URL, "ticket": TICKET, "script_id": 1}),
        task("online wrong app token", C, {"url": url, "ticket": TICKET, "app_token": WRONG_APP_TOKEN,
                                           "script_id": 1}),
        task("online expired token", C, {"url": url, "access_token": EXPIRED_TOKEN, "script_id": 1}),
        task("online misdirected", C, {"url": misdirected.url, "access_token": ACCESS_TOKEN, "script_id": 1}),
        task("online event handlers", E, dict(bearer, event_type="TicketSave",
                                              input_values={"ticket.id": "7", "zabbix.script_id": "10"})),
        task("online check handlers", E, dict(bearer, event_type="SalesBeforeSaveSale"), check_mode=True),
        task("online check script", C, dict(bearer, name="Hello"), check_mode=True),
    ]


class Placeholder:
    """Stands for a simulator where only the task names matter."""

    url = root_url = "http://127.0.0.1:1"


def _record(run):
    return {"rc": run.rc, "stdout": run.stdout, "stderr": run.stderr, "entries": run.entries}


def run_everything():
    """Start the simulators, run the plays and ad-hoc commands, return what they left (JSON-serialisable)."""
    with SuperOfficeSimulator(mode="onsite") as onsite, \
            SuperOfficeSimulator(mode="onsite", crmscript_agent_restricted=True) as restricted, \
            SuperOfficeSimulator(mode="onsite") as events, \
            SuperOfficeSimulator(mode="online") as online, \
            SuperOfficeSimulator(mode="online", expected_host="online2.superoffice.com") as misdirected, \
            SuperOfficeSimulator(mode="onsite") as adhoc_onsite, \
            SuperOfficeSimulator(mode="online") as adhoc_online:

        def scripts_play():
            # -vvv with the module arguments in every result: the most a run can show
            return {"scripts": _record(run_play(onsite_script_tasks(onsite, restricted), verbosity=3,
                                                env={"ANSIBLE_INJECT_INVOCATION": "1"},
                                                control=[onsite.url, restricted.url]))}

        def the_rest():
            runs = {
                "events": _record(run_play(onsite_event_tasks(events), control=[events.url])),
                "online": _record(run_play(online_tasks(online, misdirected), control=[online.url, misdirected.url])),
                "adhoc script": _record(run_adhoc(
                    C, {"script_id": 1, "parameters": {"name": "Env"}}, verbosity=3, control=[adhoc_onsite.url],
                    env={"SUPEROFFICE_URL": adhoc_onsite.url, "SUPEROFFICE_USERNAME": USERNAME,
                         "SUPEROFFICE_PASSWORD": PASSWORD})),
                "adhoc events": _record(run_adhoc(
                    E, {"event_type": "ticketsave"}, check=True, control=[adhoc_online.url],
                    env={"SUPEROFFICE_URL": adhoc_online.url, "SUPEROFFICE_TICKET": TICKET,
                         "SUPEROFFICE_APP_TOKEN": APP_TOKEN})),
            }
            return runs

        with ThreadPoolExecutor(max_workers=2) as pool:
            first, second = pool.submit(scripts_play), pool.submit(the_rest)
            runs = dict(first.result(), **second.result())
        urls = {"onsite": onsite.url, "online": online.url, "misdirected": misdirected.url}
    return {"runs": runs, "urls": urls}


class Recorded:
    """One ansible command's outcome: results and simulator records, by task name."""

    def __init__(self, data):
        self.rc = data["rc"]
        self.output = data["stdout"] + data["stderr"]
        self.entries = data["entries"]

    def names(self):
        return [entry["task"] for entry in self.entries]

    def entry(self, name):
        found = [entry for entry in self.entries if entry["task"] == name]
        assert found, "no result for %r:\n%s" % (name, self.output[-3000:])
        return found[-1]


class World:
    def __init__(self, data):
        self.urls = data["urls"]
        self.runs = dict((name, Recorded(run)) for name, run in data["runs"].items())

    def entry(self, name):
        for key in ("scripts", "events", "online"):
            if name in self.runs[key].names():
                return self.runs[key].entry(name)
        return self.runs[name].entries[0]

    def result(self, name):
        return self.entry(name)["result"]

    def stats(self, name):
        """The records of every simulator of the run, for this task, merged."""
        sims = self.entry(name)["sims"]
        return {"requests": sum(s["requests"] for s in sims),
                "executions": [e for s in sims for e in s["executions"]],
                "exchanges": [x for s in sims for x in s["exchanges"]]}

    def requests(self, name):
        return [x["request"] for x in self.stats(name)["exchanges"]]

    def endpoints(self, name):
        return [request["endpoint"] for request in self.requests(name)]

    def exchanges(self):
        for run in self.runs.values():
            for entry in run.entries:
                for sim in entry["sims"]:
                    for exchange in sim["exchanges"]:
                        yield entry["task"], exchange


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return World(run_everything())
    shared = tmp_path_factory.getbasetemp().parent
    outcome = shared / "superoffice_modules.json"
    with open(shared / "superoffice_modules.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not outcome.exists():
            outcome.write_text(json.dumps(run_everything()))
    return World(json.loads(outcome.read_text()))


def header(request, name):
    for key, value in request["headers"].items():
        if key.lower() == name.lower():
            return value
    return None


def assert_clean_failure(world, name, text, kind=None):
    """failed, a message with ``text``, no traceback; returns the result."""
    result = world.result(name)
    assert result["failed"] is True, result
    assert text in result["msg"], result["msg"]
    assert "Traceback (most recent call last)" not in json.dumps(result) and "module_stderr" not in result
    if kind:
        assert result["error"]["kind"] == kind, result
    return result


# -- the runs themselves ---------------------------------------------------------------------------------------------------


def test_every_task_ran_and_nothing_crashed(world):
    for key, tasks in (("scripts", onsite_script_tasks(Placeholder, Placeholder)),
                       ("events", onsite_event_tasks(Placeholder)),
                       ("online", online_tasks(Placeholder, Placeholder))):
        assert world.runs[key].names() == [t["name"] for t in tasks]
    for name, run in world.runs.items():
        assert "Traceback (most recent call last)" not in run.output, name
        assert "MODULE FAILURE" not in run.output, name


def test_no_secret_anywhere_at_any_verbosity(world):
    for name, run in world.runs.items():
        results = json.dumps([entry["result"] for entry in run.entries])
        for secret in SECRETS:
            assert secret not in run.output, (name, secret)
            assert secret not in results, (name, secret)
    # the -vvv run did print the module arguments, masked
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in world.runs["scripts"].output


# -- authentication on the wire --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, expected, absent", [
    ("basic by id", {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (USERNAME, PASSWORD)).encode()).decode()},
     ["SO-AppToken", "X-XSRF-TOKEN", "Cookie"]),
    ("ticket by name", {"Authorization": "SOTicket " + TICKET}, ["SO-AppToken", "X-XSRF-TOKEN", "Cookie"]),
    ("xsrf by unique id", {"X-XSRF-TOKEN": XSRF_TOKEN, "Cookie": COOKIE}, ["Authorization", "SO-AppToken"]),
    ("language and extra headers", {"Authorization": "SOTicket " + TICKET, "SO-AppToken": APP_TOKEN,
                                    "Accept-Language": "nb", "SO-Language": "nb", "SO-Culture": "nb",
                                    "SO-TimeZone": "NO", "X-Trace-Id": "run-42"}, ["X-XSRF-TOKEN"]),
    ("online bearer", {"Authorization": "Bearer " + ACCESS_TOKEN}, ["SO-AppToken", "X-XSRF-TOKEN"]),
    ("online ticket with app token", {"Authorization": "SOTicket " + TICKET, "SO-AppToken": APP_TOKEN}, []),
    ("online ticket pasted with scheme", {"Authorization": "SOTicket " + TICKET, "SO-AppToken": APP_TOKEN}, []),
    ("online xsrf", {"X-XSRF-TOKEN": XSRF_TOKEN, "Cookie": COOKIE}, ["Authorization"]),
    ("adhoc script", {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (USERNAME, PASSWORD)).encode()).decode()},
     []),
    ("adhoc events", {"Authorization": "SOTicket " + TICKET, "SO-AppToken": APP_TOKEN}, []),
])
def test_each_auth_scheme_puts_its_headers_on_every_request(world, name, expected, absent):
    requests = world.requests(name)
    assert requests
    for request in requests:
        for key, value in expected.items():
            assert header(request, key) == value, (name, key)
        for key in absent + ["Accept-Language", "SO-Language", "SO-Culture", "SO-TimeZone"]:
            if key not in expected:
                assert header(request, key) is None, (name, key)
        assert header(request, "Accept") == "application/json"
    assert world.result(name).get("failed") is not True


def test_the_simulator_accepted_each_scheme(world):
    auth = dict((name, {r["auth"] for r in world.requests(name)}) for name in (
        "basic by id", "ticket by name", "xsrf by unique id", "online bearer", "online ticket with app token",
        "online xsrf"))
    assert auth == {"basic by id": {"basic"}, "ticket by name": {"soticket"}, "xsrf by unique id": {"xsrf"},
                    "online bearer": {"bearer"}, "online ticket with app token": {"soticket"},
                    "online xsrf": {"xsrf"}}


def test_language_culture_time_zone_and_extra_headers_reach_the_script(world):
    seen = world.result("language and extra headers")["output_json"]
    assert seen["accept-language"] == "nb" and seen["so-language"] == "nb"
    assert seen["so-culture"] == "nb" and seen["so-timezone"] == "NO" and seen["x-trace-id"] == "run-42"
    assert seen["user-agent"].startswith("scriptbridge.core/")


# -- superoffice_crmscript_execute -----------------------------------------------------------------------------------------


def test_run_by_id_returns_output_and_the_script(world):
    result = world.result("basic by id")
    assert result["changed"] is True and result["output"] == "Hello, Ada!" and "output_json" not in result
    assert result["script"] == {"id": 1, "unique_id": None, "include_id": None, "name": None}
    assert world.endpoints("basic by id") == ["POST /api/v1/CRMScript/{id}/Execute"]
    assert world.requests("basic by id")[0]["body"] == {"name": "Ada"}
    assert [e["id"] for e in world.stats("basic by id")["executions"]] == [1]


def test_run_by_name_looks_up_then_runs(world):
    result = world.result("ticket by name")
    assert result["output"] == "Hello, Bo!"
    assert result["script"] == {"id": 1, "unique_id": HELLO["unique_id"], "include_id": "hello", "name": "Hello"}
    assert world.endpoints("ticket by name") == ["GET /api/v1/CRMScript", "POST /api/v1/CRMScript/{id}/Execute"]
    assert world.requests("ticket by name")[0]["query"]["$filter"] == "name is 'Hello'"


def test_run_by_unique_id_and_include_id(world):
    by_unique = world.result("xsrf by unique id")
    assert by_unique["output"] == "Hello, World!" and by_unique["script"]["unique_id"] == HELLO["unique_id"]
    assert world.requests("xsrf by unique id")[0]["path"].endswith("/CRMScript/%s/Execute" % HELLO["unique_id"])
    by_include = world.result("include id")
    assert by_include["output_json"]["hosts"] == ["web01", "db01"]
    assert by_include["script"] == {"id": None, "unique_id": None, "include_id": "json_output", "name": None}
    assert world.endpoints("include id") == ["POST /api/v1/Agents/CRMScript/ExecuteScriptByIncludeId"]


def test_aliases_and_output_json(world):
    assert world.result("alias crmscript_id")["output_json"] == {"status": "ok", "count": 2, "hosts": ["web01", "db01"]}
    assert world.result("alias crmscript_id")["script"]["id"] == 2


def test_parameters_go_as_a_flat_string_map(world):
    sent = {"personId": "27", "dry": "true", "ratio": "0.5", "hosts": '["web01","db01"]', "meta": '{"a":1}',
            "none": ""}
    assert world.requests("alias id with typed parameters")[0]["body"] == sent
    assert world.result("alias id with typed parameters")["output_json"] == sent


def test_empty_output_has_no_output_json(world):
    result = world.result("silent script")
    assert result["output"] == "" and "output_json" not in result and result["changed"] is True


def test_url_forms(world):
    assert world.result("url with api suffix")["output"] == "Hello, World!"
    assert world.requests("url with api suffix")[0]["path"] == "/SuperOffice/api/v1/CRMScript/1/Execute"
    assert world.result("online tenant url with api")["output"] == "Hello, World!"
    assert world.requests("online tenant url with api")[0]["path"] == \
        "/Cust12345/api/v1/Agents/CRMScript/ExecuteScriptByIncludeId"


@pytest.mark.parametrize("name, endpoint", [
    ("check by id", "GET /api/v1/CRMScript/{id}"),
    ("check by unique id", "GET /api/v1/CRMScript"),
    ("check by include id", "GET /api/v1/CRMScript"),
    ("check by name", "GET /api/v1/CRMScript"),
    ("online check script", "GET /api/v1/CRMScript"),
])
def test_check_mode_looks_the_script_up_and_runs_nothing(world, name, endpoint):
    result = world.result(name)
    assert result["changed"] is True and not result.get("failed") and "output" not in result
    assert result["script"] == {"id": 1, "unique_id": HELLO["unique_id"], "include_id": "hello", "name": "Hello"}
    assert world.endpoints(name) == [endpoint]
    assert world.stats(name)["executions"] == []


def test_check_mode_fails_for_a_missing_script(world):
    result = assert_clean_failure(world, "check unknown id", "CRMScript id 99 not found", "not_found_or_forbidden")
    assert result["changed"] is False and world.stats("check unknown id")["executions"] == []


@pytest.mark.parametrize("name, text, kind, changed", [
    ("unknown id", "SuperOffice found nothing (HTTP 404) while running CRMScript 99", "not_found_or_forbidden", False),
    ("ambiguous name", "2 CRMScripts have name 'Duplicate name': id 5", "not_found_or_forbidden", False),
    ("unknown name", "Candidates with a similar name: id 1 'Hello'", "not_found_or_forbidden", False),
    ("script throws", "CRMScriptException: Division by zero", "script_failed", True),
    ("wrong password", "did not accept the credentials (HTTP 401)", "auth", False),
    ("bearer onsite", "Bearer tokens are for SuperOffice Online", "auth", False),
    ("no credentials", "none was given", "invalid_params", False),
    ("two credentials", "got ticket and access_token", "invalid_params", False),
    ("password without username", "go together", "invalid_params", False),
    ("credential in headers", "headers must not set SO-AppToken: use the option app_token", "invalid_params", False),
    ("not a url", "is not an http:// or https:// URL", "invalid_params", False),
    ("url with query", "has a query or fragment", "invalid_params", False),
    ("wrong path", "Check the url option", "http", False),
    ("closed port", "Cannot connect to http://127.0.0.1:9/SuperOffice/api/v1/CRMScript/1/Execute", "server_unreachable",
     False),
    ("restricted agent", "requested when the application is registered", "not_found_or_forbidden", False),
    ("empty name", "name is empty", "invalid_params", False),
    ("timeout", "may have run", "timeout", True),
    ("unknown event type", "closest valid names: SalesBeforeSaveSale", "invalid_params", False),
    ("unknown select", "'Outputs' is not an EventData field", "invalid_params", False),
    ("online basic refused", "Online does not accept username and password", "invalid_params", False),
    ("online ticket without app token", "Online needs app_token", "invalid_params", False),
    ("online wrong app token", "app_token is the application's client secret", "auth", False),
    ("online expired token", "access token is current", "auth", False),
    ("online misdirected", "https://online.superoffice.com/api/state/Cust12345", "http", False),
])
def test_error_paths(world, name, text, kind, changed):
    result = assert_clean_failure(world, name, text, kind)
    assert result["changed"] is changed


@pytest.mark.parametrize("name", ["no credentials", "two credentials", "password without username",
                                  "credential in headers", "not a url", "url with query", "empty name",
                                  "unknown event type", "unknown select", "online basic refused",
                                  "online ticket without app token", "two selectors", "no selector"])
def test_option_errors_send_nothing(world, name):
    assert world.stats(name)["requests"] == 0


def test_errors_that_ran_nothing(world):
    for name in ("unknown id", "ambiguous name", "unknown name", "wrong password", "bearer onsite", "restricted agent",
                 "online wrong app token", "online expired token", "online misdirected", "wrong path"):
        assert world.stats(name)["executions"] == [], name


def test_script_that_throws_ran_once(world):
    assert [(e["id"], e["error"]) for e in world.stats("script throws")["executions"]] == \
        [(4, "Division by zero in script 'Throws' at line 3")]
    assert world.result("script throws")["error"]["code"] == 500


def test_timeout_ran_the_script_and_says_so(world):
    result = world.result("timeout")
    assert "No answer from" in result["msg"] and "within 1 seconds" in result["msg"]
    assert [e["id"] for e in world.stats("timeout")["executions"]] == [8]


def test_401_without_body_is_explained(world):
    result = world.result("wrong password")
    assert "The server offers: Basic, SOTicket." in result["msg"] and result["error"]["code"] == 401
    assert world.stats("wrong password")["exchanges"][0]["response"]["raw_body"] == ""


def test_421_names_the_tenant_state_service(world):
    result = world.result("online misdirected")
    assert "421 Misdirected Request" in result["msg"] and result["error"]["code"] == 421
    assert world.stats("online misdirected")["exchanges"][0]["response"]["status"] == 421


def test_ansible_checks_the_selectors(world):
    assert "mutually exclusive: script_id|unique_id|include_id|name" in world.result("two selectors")["msg"]
    assert "one of the following is required: script_id, unique_id, include_id, name" in \
        world.result("no selector")["msg"]


# -- superoffice_event_handlers --------------------------------------------------------------------------------------------


def test_handlers_verdict_and_every_return_key(world):
    result = world.result("sale blocked")
    assert result["changed"] is True and result["handlers_exist"] is True and not result.get("failed")
    assert result["blocked"] is True and result["message"] == "Amount too low"
    assert result["output_values"] == {} and result["navigate_to"] is None
    assert set(result["event"]) == EVENT_KEYS
    assert result["event"]["type"] == "SalesBeforeSaveSale" and result["event"]["block_execution"] is True
    assert result["event"]["input_values"] == {"SaleEntity.Amount": "50", "IsNew": "true"}
    assert world.endpoints("sale blocked") == ["POST /api/v1/Agents/CustomerService/EventHandlerExists",
                                               "POST /api/v1/Agents/CustomerService/ExecuteEventHandlers"]
    assert world.requests("sale blocked")[1]["body"] == {"EventData": {
        "Type": "SalesBeforeSaveSale", "InputValues": {"SaleEntity.Amount": "50", "IsNew": "true"}}}


def test_fail_on_block(world):
    result = assert_clean_failure(world, "sale blocked fails", "blocked the event: Amount too low")
    assert result["changed"] is True and result["blocked"] is True
    allowed = world.result("sale allowed")
    assert not allowed.get("failed") and allowed["blocked"] is False


def test_maps_in_and_out_with_select(world):
    result = world.result("ticket save with select")
    request = world.requests("ticket save with select")[1]
    assert request["query"] == {"$select": "OutputValues,Message,Exception"}
    assert request["body"]["EventData"] == {
        "Type": "TicketSave", "InputValues": {"ticket.id": "4711", "zabbix.script": "Ping", "zabbix.hosts": "web01,db01"},
        "StateValues": {"run": "1"}, "OutputValues": {"pre.set": "yes"}}
    assert result["output_values"] == {"pre.set": "yes", "zabbix.script": "Ping", "zabbix.hosts": "web01,db01"}
    assert result["message"] == "Remediation requested for ticket 4711"
    # not selected: nulled by the server
    assert result["event"]["input_values"] is None and result["event"]["state_values"] is None


def test_navigate_to_and_state_values(world):
    assert world.result("navigate")["navigate_to"] == "soprotocol:sale.main?sale_id=12"
    assert world.result("chat state")["event"]["state_values"] == {"chat.count": "3", "chat.lastMessage": "Hi"}


def test_fail_on_exception(world):
    result = assert_clean_failure(world, "handler exception", "The event handlers of ScheduledTaskFailed failed")
    assert result["changed"] is True and "fail_on_exception: false" in result["msg"]
    kept = world.result("handler exception kept")
    assert not kept.get("failed") and kept["event"]["exception"].startswith("Error in event handler")


def test_event_without_handlers_is_not_a_change(world):
    result = world.result("no handlers")
    assert result["changed"] is False and result["handlers_exist"] is False and result["output_values"] == {}
    assert world.stats("no handlers")["executions"][0]["handled"] is False


@pytest.mark.parametrize("name, exists", [("check handlers", True), ("check no handlers", False),
                                          ("online check handlers", True), ("adhoc events", True)])
def test_check_mode_asks_event_handler_exists_only(world, name, exists):
    result = world.result(name)
    assert result["handlers_exist"] is exists and result["changed"] is exists and "event" not in result
    assert world.endpoints(name) == ["POST /api/v1/Agents/CustomerService/EventHandlerExists"]
    assert world.stats(name)["executions"] == []


def test_online_event_handlers(world):
    result = world.result("online event handlers")
    assert result["output_values"] == {"zabbix.script_id": "10"} and result["message"].endswith("ticket 7")


# -- module_defaults and ad-hoc --------------------------------------------------------------------------------------------


def test_module_defaults_for_the_action_group(world):
    assert world.result("module defaults")["output"] == "Hello, World!"
    assert world.result("module defaults for event handlers")["handlers_exist"] is True
    for name in ("module defaults", "module defaults for event handlers"):
        assert {header(r, "Authorization") for r in world.requests(name)} == {"SOTicket " + TICKET}


def test_adhoc_with_environment_variables(world):
    assert world.runs["adhoc script"].rc == 0 and world.runs["adhoc events"].rc == 0
    result = world.result("adhoc script")
    assert result["output"] == "Hello, Env!" and result["changed"] is True
    assert world.requests("adhoc script")[0]["path"].startswith("/SuperOffice/api/v1/CRMScript/1/Execute")


# -- faithfulness to the specs ---------------------------------------------------------------------------------------------


def test_every_exchange_fits_the_swagger_specs(world):
    checked = {}
    for name, exchange in world.exchanges():
        request, response = exchange["request"], exchange["response"]
        if find_operation(request["method"], request["path"]) is None:
            continue
        operation = validate_exchange(request, response)
        checked.setdefault(operation, []).append(name)
    assert set(checked) == {
        "v1CRMScriptEntity_ExecuteScript", "v1CRMScriptEntity_ExecuteScriptByUniqueId", "v1CRMScriptEntity_GetAll",
        "v1CRMScriptEntity_GetCRMScriptEntity", "v1CRMScriptAgent_ExecuteScriptByIncludeId",
        "v1CustomerServiceAgent_ExecuteEventHandlers", "v1CustomerServiceAgent_EventHandlerExists"}
    assert sum(len(names) for names in checked.values()) >= 60
