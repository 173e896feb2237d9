#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the event sources, against the simulators, each source in a process of its own.

- zabbix_events: a backlog of 10,000 problem events emitted from a state file's cursor (time, CPU,
  event.get calls, memory), then the steady state (calls per poll, interval 1 s);
- superoffice_webhook: deliveries per second and the p50/p99 answer time, with signature checking and
  a state file, and without the state file, side by side in the same run with eda.builtin.webhook
  (ansible-rulebook's copy of ansible.eda.webhook) given SuperOffice's HMAC, on the same signed payloads;
- the size of a webhook state file holding 100,000 delivery keys.

Writes the figures into docs/benchmarks.md (the generated section "eda") and benchmarks/output/.

Usage: PYTHONPATH=build/collections .venv/bin/python benchmarks/eda_sources.py [--backlog 10000] [--deliveries 3000]
"""

import argparse
import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOC = ROOT / "docs" / "benchmarks.md"
SOURCES = ROOT / "build" / "collections" / "ansible_collections" / "scriptbridge" / "core" / "extensions" / "eda" / \
    "plugins" / "event_source"
RULEBOOK_PYTHON = ROOT / ".venvs" / "rulebook" / "bin" / "python"
CHILD = HERE / "eda_source_child.py"
SECRET = "bench-webhook-secret-5d1f"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env():
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(ROOT / "build" / "collections")
    env["PYTHONPATH"] = ""  # the sources find the collection through Ansible's loader, as under ansible-rulebook
    env["ANSIBLE_HOME"] = tempfile.mkdtemp(prefix="bench-ansible-home-")
    return env


# -- zabbix_events -------------------------------------------------------------------------------

def bench_zabbix(backlog, steady_polls):
    sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import ZabbixSimulator

    with ZabbixSimulator("7.0", hosts=20) as sim, tempfile.TemporaryDirectory() as work:
        first = None
        began = time.perf_counter()
        for number in range(backlog):
            host = "host-%03d" % (number % 20 + 1)
            eventid = sim.raise_problem(host, "%s: backlog %d" % (host, number), 3 + number % 3,
                                        [{"tag": "bench", "value": str(number % 7)}])
            first = first or eventid
        raised = time.perf_counter() - began
        state_file = os.path.join(work, "zabbix.db")
        before = sim.stats()["methods"]
        answer = subprocess.run(
            [str(RULEBOOK_PYTHON), str(CHILD), "zabbix", str(SOURCES / "zabbix_events.py"), sim.url,
             str(int(first) - 1), state_file, str(backlog), str(steady_polls)],
            env=child_env(), capture_output=True, text=True, timeout=1800, check=False)
        if answer.returncode != 0:
            raise SystemExit("zabbix_events benchmark failed:\n%s" % answer.stderr[-4000:])
        figures = json.loads(answer.stdout.strip().splitlines()[-1])
        after = sim.stats()["methods"]
        figures["server_methods"] = dict((name, after.get(name, 0) - before.get(name, 0)) for name in after)
        figures["state_file_bytes"] = sum(os.path.getsize(state_file + suffix) for suffix in ("", "-wal")
                                          if os.path.exists(state_file + suffix))
        figures["raised_seconds"] = raised
        figures["backlog"] = backlog
    return figures


# -- webhooks ---------------------------------------------------------------------------------

def payloads(count):
    bodies = []
    for number in range(count):
        payload = {"EventId": str(uuid.uuid4()), "Timestamp": "2026-12-03T10:48:%02d.%03dZ" % (number // 1000 % 60, number % 1000),
                   "Changes": ["ticket_id", "status"], "Event": "ticket.changed", "PrimaryKey": 100000 + number,
                   "Entity": "ticket", "ContextIdentifier": "Cust12345", "ChangedByAssociateId": 5,
                   "WebhookName": "Remediation", "FieldValues": {"title": "Server %d down" % number}}
        body = json.dumps(payload).encode("utf-8")
        signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        bodies.append((body, {"Content-Type": "application/json", "X-SuperOffice-Signature": signature,
                              "X-SuperOffice-Event": "ticket.changed", "X-SuperOffice-EventId": payload["EventId"]}))
    return bodies


async def load(url, bodies, concurrency):
    latencies = []
    statuses = {}
    pending = list(bodies)

    async def worker(session):
        while pending:
            body, headers = pending.pop()
            began = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as answer:
                await answer.read()
                statuses[answer.status] = statuses.get(answer.status, 0) + 1
            latencies.append(time.perf_counter() - began)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _worker in range(concurrency)))
        seconds = time.perf_counter() - began
    return seconds, latencies, statuses


def wait_for_port(port, proc, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("a webhook source ended:\n%s" % proc.stderr.read())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("a webhook source did not listen on %d" % port)


def bench_webhook(name, source_file, deliveries, concurrency, state_file=None):
    port = free_port()
    argv = [str(RULEBOOK_PYTHON), str(CHILD), "webhook", str(source_file), str(port), SECRET]
    if state_file:
        argv.append(state_file)
    with subprocess.Popen(argv, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as proc:
        try:
            wait_for_port(port, proc)
            url = "http://127.0.0.1:%d/superoffice" % port
            asyncio.run(load(url, payloads(200), concurrency))  # warm-up, not counted
            seconds, latencies, statuses = asyncio.run(load(url, payloads(deliveries), concurrency))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    latencies.sort()
    return {"name": name, "deliveries": deliveries, "concurrency": concurrency, "seconds": seconds,
            "per_second": deliveries / seconds, "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))], "statuses": statuses}


def bench_state_size(keys):
    sys.path.insert(0, str(ROOT / "build" / "collections"))
    from ansible_collections.scriptbridge.core.plugins.module_utils.eda.state import DeliveryKeys

    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "webhook.db")
        store = DeliveryKeys(path)
        now = time.time()
        digests = ["%s:%s" % ("id" if n % 2 else "content", hashlib.sha256(str(n).encode()).hexdigest())
                   for n in range(keys)]
        began = time.perf_counter()
        for start in range(0, keys, 1000):
            store.remember(digests[start:start + 1000], now, now - 86400, 10 ** 9)
        written = time.perf_counter() - began
        count = store.count()
        store.file.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = store.file.size()
        # One more delivery against the full file: the cost of a write does not grow with the file.
        began = time.perf_counter()
        for number in range(100):
            store.remember(["id:x%d" % number, "content:y%d" % number], now, now - 86400, 10 ** 9)
            store.confirm(["id:x%d" % number, "content:y%d" % number])
        per_delivery = (time.perf_counter() - began) / 100
        store.close()
    return {"keys": count, "bytes": size, "write_seconds": written, "delivery_write_ms_at_full": 1000 * per_delivery}


# -- report -----------------------------------------------------------------------------------

def render(results):
    zbx, hooks, size, env = results["zabbix"], results["webhooks"], results["state_size"], results["environment"]
    by_name = dict((hook["name"], hook) for hook in hooks)
    base = by_name["eda.builtin.webhook"]
    lines = [
        "Measured %s on %s (%d CPUs, load average %.1f at the start), Python %s."
        % (env["date"], env["machine"], env["cpus"], env["loadavg_start"][0], env["python"]),
        "",
        "**zabbix_events, a backlog of %s problem events** (simulated Zabbix 7.0, from a state file's cursor):"
        % format(zbx["backlog"], ","),
        "",
        "| figure | value |",
        "|---|---|",
        "| events emitted | %s |" % format(zbx["emitted"], ","),
        "| time to emit them all | %.1f s (%.0f events/s) |" % (
            zbx["backlog_seconds"], zbx["emitted"] / zbx["backlog_seconds"]),
        "| CPU time of the source's process | %.1f s |" % zbx["backlog_cpu_seconds"],
        "| `event.get` calls for the backlog | %d (pages of 1,000) |" % zbx["backlog_event_get"],
        "| peak memory of the source's process (RSS) | %.1f MiB |" % (zbx["max_rss_kib"] / 1024.0),
        "| peak memory allocated by Python (tracemalloc) | %.1f MiB |" % (zbx["traced_peak_bytes"] / 1048576.0),
        "| steady state: API calls in %d polls after the backlog | %d `event.get`, %d in all |"
        % (zbx["steady_polls"], zbx["steady_event_get"], zbx["steady_calls"]),
        "| state file after the backlog | %.1f KiB |" % (zbx["state_file_bytes"] / 1024.0),
        "",
        "**Webhooks, %s signed deliveries, %d at a time** (each source in a process of its own, loaded as "
        "ansible-rulebook loads it, its queue drained):" % (format(base["deliveries"], ","), base["concurrency"]),
        "",
        "| source | deliveries/s | p50 answer | p99 answer | vs eda.builtin.webhook |",
        "|---|---|---|---|---|",
    ]
    for hook in hooks:
        lines.append("| %s | %.0f | %.1f ms | %.1f ms | %.2f× the rate |" % (
            hook["name"], hook["per_second"], hook["p50_ms"], hook["p99_ms"], hook["per_second"] / base["per_second"]))
    lines += [
        "",
        "**A webhook state file with %s delivery keys**: %.1f MiB (%.0f bytes a key); one delivery's write "
        "(two keys, then their confirmation, each a synced commit) takes %.1f ms with the file full."
        % (format(size["keys"], ","), size["bytes"] / 1048576.0, size["bytes"] / float(size["keys"]),
           size["delivery_write_ms_at_full"]),
    ]
    return "\n".join(lines)


def write_doc(text, results):
    begin, end = "<!-- BEGIN GENERATED: eda -->", "<!-- END GENERATED: eda -->"
    block = "%s\n%s\n\n<!-- data: %s -->\n%s" % (begin, text, json.dumps(results, sort_keys=True), end)
    doc = DOC.read_text(encoding="utf-8")
    if begin in doc:
        doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _m: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(doc, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--backlog", type=int, default=10000, help="Zabbix events in the backlog (default 10000)")
    parser.add_argument("--steady-polls", type=int, default=5, help="polls measured after the backlog (default 5)")
    parser.add_argument("--deliveries", type=int, default=3000, help="webhook deliveries per source (default 3000)")
    parser.add_argument("--concurrency", type=int, default=8, help="deliveries in flight (default 8)")
    parser.add_argument("--keys", type=int, default=100000, help="delivery keys in the state file (default 100000)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    options = parser.parse_args()
    if not RULEBOOK_PYTHON.exists():
        raise SystemExit("%s is missing: make venv makes it" % RULEBOOK_PYTHON)
    started = time.time()
    results = {"environment": {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
        "loadavg_start": list(os.getloadavg())}}
    with tempfile.TemporaryDirectory() as work:
        builtin = subprocess.run([str(RULEBOOK_PYTHON), "-c", "import ansible_rulebook.event_source.webhook as w; "
                                  "print(w.__file__)"], capture_output=True, text=True, check=True).stdout.strip()
        results["webhooks"] = [
            bench_webhook("eda.builtin.webhook", builtin, options.deliveries, options.concurrency),
            bench_webhook("superoffice_webhook", SOURCES / "superoffice_webhook.py", options.deliveries,
                          options.concurrency),
            bench_webhook("superoffice_webhook, state_file", SOURCES / "superoffice_webhook.py", options.deliveries,
                          options.concurrency, state_file=os.path.join(work, "webhook.db")),
        ]
    results["zabbix"] = bench_zabbix(options.backlog, options.steady_polls)
    results["state_size"] = bench_state_size(options.keys)
    results["environment"]["loadavg_end"] = list(os.getloadavg())
    results["environment"]["seconds"] = time.time() - started
    text = render(results)
    print(text)
    output = HERE / "output"
    output.mkdir(exist_ok=True)
    raw = output / ("eda-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
    raw.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if not options.no_doc:
        write_doc(text, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
