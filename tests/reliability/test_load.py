# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Load: 1,000 targets at concurrency 20, every one accounted for exactly once.

Three runs of zabbix_script_execute on 1,000 hosts: straight to the
simulator; through the proxy with a 503 on every 25th first attempt (each is
retried, none runs twice); and through the proxy with a reset after every
100th run (those targets fail saying the script may have run, and are not
sent again).
"""

import collections

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.reliability.reliability_helpers import ZABBIX, no_traceback, says_may_have_run
from ansible_collections.scriptbridge.core.tests.simulators.faults import Fault, FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

TARGETS = 1000
CONCURRENCY = 20
# The simulator pads host numbers to the width of the largest: host-0001 ... host-1000.
HOSTS = ["host-%04d" % n for n in range(1, TARGETS + 1)]
HOSTIDS = [str(20000 + n) for n in range(1, TARGETS + 1)]

# The tests share one module-scoped run: keep them on one worker (pytest -n 2 --dist loadgroup).
pytestmark = pytest.mark.xdist_group("load")


@pytest.fixture(scope="module")
def load_run():
    with ZabbixSimulator(version="7.0", hosts=TARGETS) as sim:
        busy = FaultProxy(sim.url, [Fault("status", status=503, rpc="script.execute", every=25,
                                          first_attempts_only=True)]).start()
        broken = FaultProxy(sim.url, [Fault("reset_after_forward", rpc="script.execute", every=100)]).start()
        try:
            def task(name, url, **extra):
                args = {"url": url, "api_token": API_TOKEN, "script": "Echo host", "hosts": HOSTS,
                        "concurrency": CONCURRENCY}
                args.update(extra)
                return {"name": name, ZABBIX: args}
            run = run_play([task("direct", sim.url), task("503 on every 25th", busy.url),
                            task("reset after every 100th", broken.url, fail_on_error=False)], control=[sim.url])
        finally:
            busy.stop()
            broken.stop()
        yield run, busy, broken


def check_accounted_for(run, name):
    result = run[name]
    stats = run.sims(name)[0]
    no_traceback(run, result)
    # Every target once in results, in the order given.
    assert [r["host"] for r in result["results"]] == HOSTS
    assert [r["host_id"] for r in result["results"]] == HOSTIDS
    # Every target run once on the server.
    ran = collections.Counter(e["hostid"] for e in stats["executions"])
    assert sorted(ran) == sorted(HOSTIDS)
    assert set(ran.values()) == {1}
    assert stats["max_in_flight"] <= CONCURRENCY
    return result, stats


def test_direct(load_run):
    run, dummy, dummy = load_run
    result, stats = check_accounted_for(run, "direct")
    assert not result.get("failed")
    assert result["summary"] == {"total": TARGETS, "succeeded": TARGETS, "failed": 0}
    assert all(r["value"].startswith("host=%s name=Host %s conn=10." % (r["host"], r["host"][5:]))
               for r in result["results"])
    assert stats["methods"].get("script.execute") == TARGETS
    # The fan-out reuses a pool of keep-alive connections.
    assert stats["connections"] <= CONCURRENCY + 2


def test_retried_503s_run_nothing_twice(load_run):
    run, busy, dummy = load_run
    result, stats = check_accounted_for(run, "503 on every 25th")
    assert not result.get("failed"), result.get("msg")
    assert result["summary"]["succeeded"] == TARGETS
    refused = [e for e in busy.entries(rpc="script.execute") if e["action"] == "status"]
    assert len(refused) == TARGETS // 25
    assert busy.count(rpc="script.execute") == TARGETS + TARGETS // 25


def test_resets_under_load_are_reported_and_not_resent(load_run):
    run, dummy, broken = load_run
    result, stats = check_accounted_for(run, "reset after every 100th")
    assert broken.count(rpc="script.execute") == TARGETS
    failed = [r for r in result["results"] if r["failed"]]
    assert len(failed) == TARGETS // 100
    assert all(says_may_have_run(r["error"]["message"]) for r in failed)
    assert result["summary"] == {"total": TARGETS, "succeeded": TARGETS - TARGETS // 100, "failed": TARGETS // 100}
    assert result["changed"] is True
