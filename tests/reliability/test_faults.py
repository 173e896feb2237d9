# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every module through every network and server fault, with what the server saw.

For each module one play runs all its scenarios; each scenario has its own
fault proxy in front of the module's simulator. The assertions are on three
records: the task result, the simulator's counters for that task (what ran),
and the proxy's log (what was sent, when, and whether it reached the server).

The rules under test (docs/reliability.md):
- a script never runs twice for one target;
- a request is sent again only when the server certainly did not act on it:
  the connection could not be opened, the server answered 429 or 503 before
  running anything, or Zabbix refused an expired session (one re-login);
  waits back off and honour Retry-After, within a bound;
- when the outcome is unknown (reset, timeout, an unreadable answer after the
  request was sent), the task fails and says that the script may have run.
"""

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.reliability.reliability_helpers import (
    CRMSCRIPT, EVENT_HANDLERS, EXECUTION, ZABBIX, no_traceback, says_may_have_run)
from ansible_collections.scriptbridge.core.tests.simulators.faults import Fault, FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import PASSWORD, USERNAME, SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

ZABBIX_PASSWORD_LOGIN = {"username": "operator", "password": "operator-pass"}
FIVE_HOSTS = ["host-001", "host-002", "host-003", "host-004", "host-005"]


class Scenario:
    """A fault, the module arguments it needs, and what must come of it."""

    def __init__(self, name, faults=(), args=None, failed=False, executions=1, sent=1, unknown=False, changed=None,
                 kind=None, gaps=(), text=None, down=False, check=None, forwarded=None):
        self.name = name
        self.faults = faults
        self.args = args or {}
        self.failed = failed
        self.executions = executions
        self.sent = sent
        # Requests that reached the server; a refused session reached it without running anything.
        self.forwarded = executions if forwarded is None else forwarded
        self.unknown = unknown
        self.changed = (not failed) or unknown if changed is None else changed
        self.kind = kind
        self.gaps = gaps
        self.text = text
        self.down = down
        self.check = check

    def __repr__(self):
        return self.name


def common_scenarios(execution):
    """The faults every module meets; ``execution`` selects the request that runs something."""
    def on_run(action, **options):
        return [Fault(action, **dict(execution, **options))]

    return [
        Scenario("no fault"),
        Scenario("connection refused", down=True, failed=True, executions=0, sent=0, kind="server_unreachable",
                 text="tried 3 times"),
        Scenario("reset before forwarding", on_run("reset_before_forward"), failed=True, executions=0, unknown=True),
        Scenario("reset after forwarding", on_run("reset_after_forward"), failed=True, unknown=True),
        Scenario("500 before forwarding", on_run("status", status=500), failed=True, executions=0, unknown=True,
                 text="500"),
        Scenario("500 with Retry-After is not retried", on_run("status", status=500, retry_after=1), failed=True,
                 executions=0, unknown=True),
        Scenario("502 HTML page before forwarding", on_run("html_page", status=502), failed=True, executions=0,
                 unknown=True, text="Bad Gateway"),
        Scenario("502 after forwarding", on_run("status_after_forward", status=502), failed=True, unknown=True,
                 text="502"),
        Scenario("503 once, backoff", on_run("status", status=503), sent=2, gaps=[(0.45, 4.0)]),
        Scenario("503 once, Retry-After 1", on_run("status", status=503, retry_after=1), sent=2, gaps=[(0.95, 4.5)]),
        Scenario("503 every time", on_run("status", status=503, retry_after=1, times=None), failed=True,
                 executions=0, sent=3, gaps=[(0.95, 4.5), (0.95, 4.5)], kind="http", text="503"),
        Scenario("429 once, Retry-After 1", on_run("status", status=429, retry_after=1), sent=2, gaps=[(0.95, 4.5)]),
        Scenario("reply after the timeout", on_run("delay_reply", seconds=4), args={"timeout": 2}, failed=True,
                 unknown=True, kind="timeout"),
        Scenario("invalid JSON", on_run("invalid_json"), failed=True, unknown=True, kind="protocol", text="not JSON"),
        Scenario("HTML page with 200 before forwarding", on_run("html_page", status=200), failed=True, executions=0,
                 unknown=True, kind="protocol"),
        Scenario("truncated body", on_run("truncate"), failed=True, unknown=True, kind="protocol"),
    ]


# -- Zabbix ------------------------------------------------------------------------------------------------------


def zabbix_scenarios():
    execute = EXECUTION[ZABBIX]
    items = common_scenarios(execute)
    items += [
        Scenario("refused, then listening again", [Fault("go_down", rpc="host.get", seconds=1.0)],
                 check=refused_then_up(ZABBIX, {"rpc": "host.get"})),
        Scenario("Retry-After is capped", [Fault("status", status=429, retry_after=3600, **execute)], sent=2,
                 gaps=[(9.9, 14.0)]),
        Scenario("JSON-RPC answer with another id", [Fault("wrong_id", **execute)], failed=True, unknown=True,
                 kind="protocol", text="id"),
        Scenario("expired session", [Fault("expire_session", **execute)], args=ZABBIX_PASSWORD_LOGIN, sent=2,
                 forwarded=2, check=logins(2)),
        Scenario("session expires every time", [Fault("expire_session", times=None, **execute)],
                 args=ZABBIX_PASSWORD_LOGIN, failed=True, executions=0, sent=2, forwarded=2, kind="auth",
                 check=logins(2)),
        Scenario("reset after the 2nd of 5 runs", [Fault("reset_after_forward", nth=2, **execute)],
                 args={"hosts": FIVE_HOSTS, "concurrency": 3, "host": None}, failed=True, unknown=True,
                 executions=5, sent=5, check=one_failed_of(5)),
        Scenario("503 on the 2nd and 3rd of 5 runs", [Fault("status", status=503, nth=2, times=2, **execute)],
                 args={"hosts": FIVE_HOSTS, "concurrency": 3, "host": None}, executions=5, sent=7),
    ]
    return items


def zabbix_args(url, scenario):
    args = {"url": url, "api_token": API_TOKEN, "script_id": "10", "host": "host-001"}
    if "username" in scenario.args:
        del args["api_token"]
    args.update(scenario.args)
    return dict((k, v) for k, v in args.items() if v is not None)


# -- SuperOffice -------------------------------------------------------------------------------------------------


def crmscript_scenarios():
    items = common_scenarios(EXECUTION[CRMSCRIPT])
    items.append(Scenario("refused, then listening again", [Fault("go_down", method="GET", path=r"/CRMScript\?", seconds=1.0)],
                          args={"name": "Hello", "script_id": None},
                          check=refused_then_up(CRMSCRIPT, {"method": "GET", "path": r"/CRMScript\?"})))
    return items


def crmscript_args(url, scenario):
    args = {"url": url, "username": USERNAME, "password": PASSWORD, "script_id": 1, "parameters": {"name": "Ada"}}
    args.update(scenario.args)
    return dict((k, v) for k, v in args.items() if v is not None)


def event_handler_scenarios():
    return common_scenarios(EXECUTION[EVENT_HANDLERS])


def event_handler_args(url, scenario):
    args = {"url": url, "username": USERNAME, "password": PASSWORD, "event_type": "TicketSave",
            "input_values": {"ticket.id": "42", "zabbix.script": "Ping"}}
    args.update(scenario.args)
    return args


# -- extra checks ------------------------------------------------------------------------------------------------


def refused_then_up(module, before):
    """The request after ``before`` was refused, waited for (0.5 s, then 1 s) and then sent once."""
    def check(suite, scenario, result, stats, proxy):
        assert not result.get("failed"), result
        gap = proxy.times(**EXECUTION[module])[0] - proxy.times(**before)[0]
        # Down for 1 s: refused at once and after 0.5 s, connected after 1.5 s.
        assert 1.45 <= gap <= 6.0, gap
    return check


def logins(count):
    def check(suite, scenario, result, stats, proxy):
        assert stats["logins"] == count
        assert proxy.count(rpc="user.login") == count
    return check


def one_failed_of(total):
    def check(suite, scenario, result, stats, proxy):
        assert result["summary"] == {"total": total, "succeeded": total - 1, "failed": 1}
        failed = [r for r in result["results"] if r["failed"]]
        assert says_may_have_run(failed[0]["error"]["message"])
        assert [r["host"] for r in result["results"]] == FIVE_HOSTS
    return check


# -- the plays ---------------------------------------------------------------------------------------------------


class Suite:
    """One play with every scenario of one module; one proxy per scenario."""

    def __init__(self, module, sim, upstream, base_path, control, scenarios, make_args):
        self.module = module
        self.sim = sim
        self.scenarios = dict((s.name, s) for s in scenarios)
        self.proxies = {}
        tasks = []
        try:
            for scenario in scenarios:
                proxy = FaultProxy(upstream, scenario.faults).start()
                self.proxies[scenario.name] = proxy
                if scenario.down:
                    proxy.down()
                tasks.append({"name": scenario.name, module: make_args(proxy.url + base_path, scenario)})
            self.run = run_play(tasks, control=[control])
        finally:
            for proxy in self.proxies.values():
                proxy.stop()

    def outcome(self, name):
        return self.run[name], self.run.sims(name)[0], self.proxies[name]


@pytest.fixture(scope="module")
def zabbix_suite():
    with ZabbixSimulator(version="7.0", hosts=20) as sim:
        yield Suite(ZABBIX, sim, sim.url, "", sim.url, zabbix_scenarios(), zabbix_args)


@pytest.fixture(scope="module")
def crmscript_suite():
    with SuperOfficeSimulator(mode="onsite") as sim:
        yield Suite(CRMSCRIPT, sim, sim.root_url, sim.base, sim.root_url, crmscript_scenarios(), crmscript_args)


@pytest.fixture(scope="module")
def event_handler_suite():
    with SuperOfficeSimulator(mode="onsite") as sim:
        yield Suite(EVENT_HANDLERS, sim, sim.root_url, sim.base, sim.root_url, event_handler_scenarios(),
                    event_handler_args)


SUITES = {ZABBIX: "zabbix_suite", CRMSCRIPT: "crmscript_suite", EVENT_HANDLERS: "event_handler_suite"}
SCENARIOS = {ZABBIX: zabbix_scenarios(), CRMSCRIPT: crmscript_scenarios(), EVENT_HANDLERS: event_handler_scenarios()}
CASES = [(module, scenario.name) for module, items in SCENARIOS.items() for scenario in items]
# One worker per module's play (pytest -n 2 --dist loadgroup), so that each play runs once.
PARAMS = [pytest.param(module, name, id="%s: %s" % (module.rsplit(".", maxsplit=1)[-1], name),
                       marks=pytest.mark.xdist_group("faults " + module.rsplit(".", maxsplit=1)[-1])) for module, name in CASES]


def error_of(module, result):
    """The error dict of a failed task: per target for Zabbix runs that got as far as running."""
    if module == ZABBIX and result.get("results"):
        failed = [r for r in result["results"] if r["failed"]]
        return failed[0]["error"] if failed else None
    return result.get("error")


def executed(module, stats):
    """What ran on the server for that task: one key per run."""
    if module == ZABBIX:
        return [(e["scriptid"], e["hostid"], e.get("eventid")) for e in stats["executions"]]
    return [(e["kind"], e.get("id"), e.get("event_type")) for e in stats["executions"]]


@pytest.mark.parametrize("module, name", PARAMS)
def test_fault(request, module, name):
    suite = request.getfixturevalue(SUITES[module])
    scenario = suite.scenarios[name]
    result, stats, proxy = suite.outcome(name)
    runs = executed(module, stats)

    # What ran: never twice for one target, and exactly as often as the fault allows.
    assert len(runs) == len(set(runs)), runs
    assert len(runs) == scenario.executions, (runs, result.get("msg"))
    # What was sent: retries only where nothing ran.
    assert proxy.count(**EXECUTION[module]) == scenario.sent, [(e["action"], e["path"]) for e in proxy.log]
    forwarded = [e for e in proxy.entries(**EXECUTION[module]) if e["forwarded"]]
    assert len(forwarded) == scenario.forwarded

    assert bool(result.get("failed")) is scenario.failed, result
    assert result["changed"] is scenario.changed, result
    no_traceback(suite.run, result)
    if scenario.failed:
        msg = result["msg"]
        assert says_may_have_run(msg) is scenario.unknown, msg
        if scenario.kind:
            assert error_of(module, result)["kind"] == scenario.kind, result
        if scenario.text:
            assert scenario.text in msg, msg
    else:
        assert "may have run" not in str(result)

    # Waits between attempts of the same request: at least the backoff or Retry-After, and bounded.
    times = proxy.times(**EXECUTION[module])
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    for gap, (low, high) in zip(gaps, scenario.gaps):
        assert low <= gap <= high, gaps
    if scenario.gaps:
        bodies = set(e["body"] for e in proxy.entries(**EXECUTION[module]))
        assert len(bodies) == 1, "a retry must send the same request"
    if scenario.check:
        scenario.check(suite, scenario, result, stats, proxy)


def test_fault_matrix_size():
    """The matrix this suite promises: every common fault for every module, and the protocol-specific ones."""
    assert len(CASES) >= 50
    assert all(len(SCENARIOS[m]) >= 16 for m in SCENARIOS)
