#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fan-out benchmark of zabbix_script_execute against the hand-written uri loop.

Runs, against the Zabbix simulator with a fixed latency per request:

- A: one ``zabbix_script_execute`` task over N hosts by name
  (``benchmarks/playbooks/fanout_module.yml``);
- B: the same work written by hand, one ``ansible.builtin.uri`` call of
  ``script.execute`` per host id, with login and logout
  (``benchmarks/playbooks/fanout_uri.yml``);
- the floor: N x latency / concurrency plus one module start;

and prints, for each N, the wall time of A and B, B/A, A's distance from the
floor, HTTP requests per target, TCP connections, and the peak memory of the
module process. It writes the table into docs/benchmarks.md (between the
generated-section markers), the plot into docs/benchmarks.png and the raw
figures into benchmarks/output/. ``--real URL`` adds the same comparison
against a real Zabbix server (see docs/benchmarks.md).

Usage: .venv/bin/python benchmarks/fanout.py [--quick] [--latency 0.05] [--concurrency 10] [--real URL]
"""

import argparse
import datetime
import json
import os
import platform
import sys
import time

import bench_fanout as fan
import bench_report
import bench_runs
from bench_runs import BenchmarkError

OUTPUT = bench_runs.HERE / "output"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=None,
                        help="comma-separated numbers of targets (default 10,100,200,1000; --quick: 10,100,200)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the simulator takes per request (default 0.05)")
    parser.add_argument("--concurrency", type=int, default=10, help="concurrency of A (default 10)")
    parser.add_argument("--version", default="7.0", help="Zabbix version the simulator speaks (default 7.0)")
    parser.add_argument("--repeat", type=int, default=None, help="runs of A per size (default 3; --quick: 1)")
    parser.add_argument("--b-max", type=int, default=None,
                        help="largest N at which B really runs; larger N are extrapolated from the per-item cost "
                             "measured at the largest N run (default 200; --quick: 10)")
    parser.add_argument("--full", action="store_true", help="run B at every size, extrapolate nothing")
    parser.add_argument("--quick", action="store_true", help="a fast pass: fewer sizes and repetitions, B extrapolated")
    parser.add_argument("--goal-size", type=int, default=200, help="N at which the goals are checked (default 200)")
    parser.add_argument("--start-rounds", type=int, default=None,
                        help="module starts measured per module and method (default 15; --quick: 5)")
    parser.add_argument("--real", metavar="URL", help="also run against this real Zabbix server (see docs/benchmarks.md)")
    parser.add_argument("--real-only", action="store_true", help="with --real: skip the simulator runs")
    parser.add_argument("--real-sizes", default="10,100", help="numbers of hosts for --real (default 10,100)")
    parser.add_argument("--real-trappers", type=int, default=None,
                        help="StartTrappers of the real server (default: read from $ZBX_STATE_DIR/zabbix_server.conf "
                             "of tests/real_zabbix, else ZBX_TRAPPERS, else 5 as in a stock server)")
    parser.add_argument("--real-concurrency", type=int, default=None,
                        help="concurrency of A on the real server (default: its trappers)")
    parser.add_argument("--real-sweep", default="1,2,4,5,8",
                        help="concurrency values tried on --real at the largest real size (empty: none)")
    parser.add_argument("--real-queue", type=int, default=1,
                        help="1: on --real, run K server scripts of 1 s at once for K around the trappers; 0: skip")
    parser.add_argument("--real-username", default=os.environ.get("ZABBIX_USERNAME", "Admin"))
    parser.add_argument("--real-password", default=os.environ.get("ZABBIX_PASSWORD", "zabbix"))
    parser.add_argument("--real-reload", default=str(bench_runs.ROOT / "tests" / "real_zabbix" / "zabbix-stack.sh") + " reload",
                        help="command that makes the server load new hosts at once (empty: wait for the next sync)")
    parser.add_argument("--real-keep", action="store_true", help="keep the benchmark hosts and script on the real server")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md and docs/benchmarks.png")
    parser.add_argument("--render", metavar="RESULTS_JSON",
                        help="measure nothing: report the raw figures of an earlier run (benchmarks/output/run-*/results.json)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sizes = [int(s) for s in (args.sizes or ("10,100,200" if quick else "10,100,200,1000")).split(",") if s]
    args.repeat = args.repeat or (1 if quick else 3)
    args.b_max = max(args.sizes) if args.full else (args.b_max if args.b_max is not None else (10 if quick else 200))
    args.start_rounds = args.start_rounds or (5 if quick else 15)
    args.real_sizes = [int(s) for s in args.real_sizes.split(",") if s]
    args.real_sweep = [int(s) for s in args.real_sweep.split(",") if s]
    if min(args.sizes) < 1 or args.concurrency < 1 or args.latency < 0:
        parser.error("sizes and concurrency must be 1 or more, latency 0 or more")
    if args.goal_size not in args.sizes:
        parser.error("--goal-size %d is not one of the sizes %s" % (args.goal_size, args.sizes))
    if args.real_only and not args.real:
        parser.error("--real-only needs --real URL")
    return args


def say(text):
    print(text, file=sys.stderr, flush=True)


def simulator_runs(args, workdir):
    auth_header = tuple(int(p) for p in args.version.split(".")[:2]) >= (6, 4)
    data = {"sizes": {}, "settings": {"latency": args.latency, "concurrency": args.concurrency, "version": args.version,
                                      "repeat": args.repeat, "b_max": args.b_max, "sizes": args.sizes,
                                      "goal_size": args.goal_size}}
    sizes = sorted(set(args.sizes))
    with bench_runs.Simulator(args.version, max(sizes), args.latency, workdir) as sim:
        say("simulator %s at %s, latency %.3f s" % (args.version, sim.url, args.latency))
        say("module start-up: %d rounds per module and method" % args.start_rounds)
        data["start_raw"] = fan.measure_start(workdir, args.start_rounds)
        data["start_raw"]["cold_before_a"] = []
        say("memory baseline: module process at N=1")
        data["memory_n1"] = fan.run_memory(sim, workdir, 1, args.concurrency)
        measured_b = None
        for n in sizes:
            row = {"a": [], "b": None}
            for rep in range(args.repeat):
                say("A  N=%-5d run %d/%d" % (n, rep + 1, args.repeat))
                # The floor of this run: one module start measured just before it, under the same load.
                start = fan.cold_start(workdir, "a-%d-%d-start" % (n, rep))
                data["start_raw"]["cold_before_a"].append(start)
                run = fan.run_a(sim, workdir, n, args.concurrency, fan.SIM_USER, "a-%d-%d" % (n, rep))
                run["module_start"] = start["zabbix"]
                row["a"].append(run)
            if n <= args.b_max:
                say("B  N=%-5d (one uri call per host)" % n)
                row["b"] = fan.run_b(sim, workdir, n, fan.SIM_USER, auth_header, "b-%d" % n)
                measured_b = row["b"]
            say("module process N=%d" % n)
            row["memory"] = fan.run_memory(sim, workdir, n, args.concurrency)
            data["sizes"][n] = row
        if measured_b is None:
            raise BenchmarkError("B ran at no size: lower the smallest size or raise --b-max")
        for n in sizes:
            if data["sizes"][n]["b"] is None:
                data["sizes"][n]["b"] = fan.extrapolate_b(measured_b, n)
        data["start"] = fan.start_summary(data["start_raw"])
        token_n = args.goal_size
        say("A  N=%d with an API token (request accounting)" % token_n)
        token = {"zabbix_api_token": bench_runs.simulator_token()}
        data["token"] = fan.run_a(sim, workdir, token_n, args.concurrency, token, "a-token-%d" % token_n)
        data["token"]["n"] = token_n
    return data


def environment():
    import ansible  # pylint: disable=import-outside-toplevel
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"python": platform.python_version(), "ansible_core": ansible.__version__, "cpus": os.cpu_count(),
            "machine": platform.machine(), "system": platform.system(), "loadavg_start": load,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def main(argv=None):
    args = parse_args(argv)
    if args.render:
        with open(args.render) as handle:
            return report(json.load(handle), args, args.render)
    bench_runs.ensure_collection_link()
    OUTPUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    workdir = OUTPUT / ("run-" + stamp)
    workdir.mkdir()
    data = {"environment": environment(), "command": " ".join(["benchmarks/fanout.py"] + list(argv or sys.argv[1:]))}
    started = time.monotonic()
    try:
        if not args.real_only:
            data["simulator"] = simulator_runs(args, workdir)
        if args.real:
            import bench_real  # pylint: disable=import-outside-toplevel
            real = bench_real.real_runs(args, workdir, say)
            # Zabbix 7.x figures have a section of their own beside the 6.x ones.
            data["real70" if real["settings"]["version"].startswith("7.") else "real"] = real
    except BenchmarkError as exc:
        say("benchmark failed: %s" % exc)
        return 2
    data["environment"]["loadavg_end"] = os.getloadavg()
    data["environment"]["seconds"] = time.monotonic() - started
    (workdir / "results.json").write_text(json.dumps(data, indent=1, default=str))
    return report(data, args, workdir / "results.json")


def report(data, args, source):
    """Print the figures, rewrite the docs; exit status 1 when a goal was missed."""
    results = bench_report.Report(data)
    print(results.text())
    if not args.no_docs:
        bench_report.write_docs(results, bench_runs.ROOT / "docs")
        say("wrote docs/benchmarks.md and docs/benchmarks.png")
    say("raw figures: %s" % source)
    return 0 if all(ok for _text, ok in results.verdicts()) else 1


if __name__ == "__main__":
    sys.exit(main())
