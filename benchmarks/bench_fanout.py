# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The measurements of the fan-out benchmark: module start, A, B and the module process."""

import bench_runs
from bench_runs import BenchmarkError, median, run_module_process, run_playbook, task_seconds, traffic

SIM_USER = {"zabbix_username": "Admin", "zabbix_password": "zabbix"}
SIM_SCRIPT = {"name": "Echo host", "id": "10"}
A_TASK = "Run the script on every host in one task"
B_LOOP = "Run the script on each host"
B_FIXED = ("Log in", "Choose how the credential travels", "Log out")
START_TASKS = {"zabbix": "Start zabbix_script_execute", "uri": "Start uri"}
# Both fail at argument parsing (no url), before anything is sent.
START_ARGS = {"zabbix": {"script_id": "1", "host_id": "1"}, "uri": {"method": "POST"}}
START_MODULES = {"zabbix": bench_runs.MODULE, "uri": bench_runs.URI_MODULE}
STARTS_PER_PLAYBOOK = 5
IMPORT_SAMPLES = 5


# -- module start -------------------------------------------------------------


def measure_start(workdir, rounds):
    """Start-up of zabbix_script_execute and of uri, measured the same way for both.

    task: as the controller sees it, ansible-playbook tasks that fail at argument
    parsing; the first start of a module in a playbook also builds its payload
    ("cold"), later ones reuse it ("warm").
    process: ``python -m`` the module with the same failing arguments, the two
    modules alternating; imports: ``python -X importtime`` of the same.
    """
    task = dict((m, {"cold": [], "warm": []}) for m in START_TASKS)
    playbooks = max(1, -(-rounds // STARTS_PER_PLAYBOOK))
    for run in range(playbooks):
        entries, _wall = run_playbook(workdir, "module_start.yml", {"zabbix_start_rounds": STARTS_PER_PLAYBOOK},
                                      "start-%d" % run)
        for name, task_name in START_TASKS.items():
            seconds = task_seconds(entries, task_name)
            task[name]["cold"].append(seconds[0])
            task[name]["warm"].extend(seconds[1:])
    process = dict((m, []) for m in START_TASKS)
    imports = dict((m, []) for m in START_TASKS)
    for name in START_TASKS:
        # Fills the bytecode cache, as every later run finds it.
        run_module_process(workdir, START_ARGS[name], START_MODULES[name], "start-" + name)
    for index in range(rounds):
        for name in ("zabbix", "uri") if index % 2 else ("uri", "zabbix"):
            wall, _rss, result, _err = run_module_process(workdir, START_ARGS[name], START_MODULES[name], "start-" + name)
            if not result.get("failed"):
                raise BenchmarkError("the %s start-up run was expected to fail at argument parsing: %s" % (name, result))
            process[name].append(wall)
            if index < IMPORT_SAMPLES:
                _wall, _rss, _result, err = run_module_process(workdir, START_ARGS[name], START_MODULES[name],
                                                               "start-" + name, python_args=("-X", "importtime"))
                imports[name].append(bench_runs.import_seconds(err))
    return {"task": task, "process": process, "imports": imports}


def cold_start(workdir, label):
    """One first start of each module in a play of its own (zabbix_script_execute first)."""
    entries, _wall = run_playbook(workdir, "module_start.yml", {"zabbix_start_rounds": 1}, label)
    return dict((m, task_seconds(entries, task_name)[0]) for m, task_name in START_TASKS.items())


def start_summary(start):
    out = {}
    cold = dict((m, start["task"][m]["cold"] + [s[m] for s in start.get("cold_before_a", [])]) for m in START_TASKS)
    out["task_cold"] = dict((m, median(cold[m])) for m in START_TASKS)
    out["task_cold"]["samples"] = len(cold["zabbix"])
    out["task_warm"] = dict((m, median(start["task"][m]["warm"])) for m in START_TASKS)
    out["process"] = dict((m, median(start["process"][m])) for m in START_TASKS)
    out["imports"] = dict((m, median(start["imports"][m])) for m in START_TASKS)
    for key in ("task_cold", "task_warm", "process", "imports"):
        out[key]["ratio"] = out[key]["zabbix"] / out[key]["uri"]
    return out


# -- A and B ----------------------------------------------------------------------


def a_playbook_vars(url, credentials, script, host_names, concurrency, fail_on_error=True):
    return dict(credentials, zabbix_url=url, zabbix_script=script, zabbix_hosts=list(host_names),
                zabbix_concurrency=concurrency, zabbix_fail_on_error=fail_on_error)


def b_playbook_vars(url, credentials, script_id, host_ids, auth_header):
    return dict(credentials, zabbix_url=url, zabbix_script_id=script_id, zabbix_host_ids=list(host_ids),
                zabbix_auth_header=auth_header)


def a_figures(entries, wall, n, stats, fail_on_error=True):
    entry = [e for e in entries if e["task"] == A_TASK][-1]
    summary = entry["result"].get("summary") or {}
    if fail_on_error and (entry["status"] != "ok" or summary.get("succeeded") != n):
        raise BenchmarkError("A at N=%d did not succeed on every host: %s" % (n, entry["result"]))
    figures = {"seconds": entry["seconds"], "command": wall, "failed": summary.get("failed")}
    if stats is not None:
        figures["traffic"] = stats
    return figures


def b_figures(entries, wall, n, stats):
    loop = [e for e in entries if e["task"] == B_LOOP][-1]
    if loop["status"] != "ok" or loop["result"].get("items") != n or loop["result"].get("items_failed"):
        raise BenchmarkError("B at N=%d did not succeed on every host: %s" % (n, loop["result"]))
    fixed = sum(e["seconds"] for e in entries if e["task"] in B_FIXED)
    figures = {"n": n, "seconds": fixed + loop["seconds"], "loop": loop["seconds"], "fixed": fixed, "command": wall,
               "per_item": loop["seconds"] / n}
    if stats is not None:
        figures["traffic"] = stats
    return figures


def extrapolate_b(measured, n):
    """B at ``n`` from the fixed cost and the per-item cost of a measured run."""
    return {"seconds": measured["fixed"] + measured["per_item"] * n, "per_item": measured["per_item"],
            "fixed": measured["fixed"], "from_n": measured["n"], "extrapolated": True}


def run_a(sim, workdir, n, concurrency, credentials, label):
    sim.reset()
    variables = a_playbook_vars(sim.url, credentials, SIM_SCRIPT["name"], [sim.host_name(k) for k in range(1, n + 1)],
                                concurrency)
    entries, wall = run_playbook(workdir, "fanout_module.yml", variables, label)
    return a_figures(entries, wall, n, traffic(sim.stats()))


def run_b(sim, workdir, n, credentials, auth_header, label):
    sim.reset()
    variables = b_playbook_vars(sim.url, credentials, SIM_SCRIPT["id"], [sim.host_id(k) for k in range(1, n + 1)],
                                auth_header)
    entries, wall = run_playbook(workdir, "fanout_uri.yml", variables, label)
    return b_figures(entries, wall, n, traffic(sim.stats()))


def run_memory(sim, workdir, n, concurrency):
    """The module as one process over n hosts: wall time and peak RSS."""
    sim.reset()
    args = {"url": sim.url, "username": SIM_USER["zabbix_username"], "password": SIM_USER["zabbix_password"],
            "script": SIM_SCRIPT["name"], "hosts": [sim.host_name(k) for k in range(1, n + 1)], "concurrency": concurrency}
    wall, rss, result, err = run_module_process(workdir, args, label="memory")
    if result.get("failed") or result.get("summary", {}).get("succeeded") != n:
        raise BenchmarkError("the module process at N=%d failed: %s %s" % (n, result.get("msg"), err[-500:]))
    return {"seconds": wall, "rss_kib": rss, "traffic": traffic(sim.stats())}
