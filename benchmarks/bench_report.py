# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fan-out benchmark's figures as a terminal table, Markdown, goal verdicts and a plot.

docs/benchmarks.md keeps its generated sections between ``<!-- BEGIN GENERATED: x -->``
and ``<!-- END GENERATED: x -->``; each section carries its raw figures in a
``<!-- data: ... -->`` comment, so that a run of only one part (simulator or
real server) can redraw the plot with the other part's last figures.
"""

import json
import re
from pathlib import Path

from bench_runs import median

MIB = 1024.0
GOAL_RATIO = 40.0
GOAL_FLOOR = 1.3
GOAL_SLOPE = 1.2
GOAL_MEMORY = 1.5
GOAL_START = 1.2
SECTIONS = ("simulator", "real", "real70")
# The sections of real servers: 6.x in "real", 7.x in "real70".
REAL_SECTIONS = ("real", "real70")


def _fit(points):
    """Least-squares line through (x, y): slope, intercept, R squared."""
    n = len(points)
    if n < 2:
        return None
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _y in points)
    if not sxx:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for _x, y in points)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in points)
    return {"slope": slope, "intercept": intercept, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def _secs(value):
    if value is None:
        return "n/a"
    return "%.2f" % value if value < 100 else "%.0f" % value


def _methods_ok(methods, n, password):
    expected = {"apiinfo.version": 1, "script.get": 1, "host.get": 1, "script.execute": n}
    if password:
        expected.update({"user.login": 1, "user.logout": 1})
    return dict(methods) == expected


class Rows:
    """The per-N figures of one data set (simulator or real server)."""

    def __init__(self, data):
        self.data = data
        self.settings = data["settings"]
        self.concurrency = self.settings["concurrency"]
        self.rows = []
        self.paced = {}
        for key in sorted(data["sizes"], key=int):
            self.rows.append(self._row(int(key), data["sizes"][key]))

    def _row(self, n, raw):
        paced = [r["paced"] for r in raw["a"] if "paced" in r]
        if paced:
            # A real server: what a bare client needs for the same calls, measured right before each run of A.
            self.paced[n] = median(paced)
        a_runs = [r["seconds"] for r in raw["a"]]
        a = median(a_runs)
        b = raw["b"]["seconds"] if raw.get("b") else None
        row = {
            "n": n, "a": a, "a_min": min(a_runs), "a_max": max(a_runs), "a_runs": a_runs, "b": b,
            "b_extrapolated": bool(raw.get("b") and raw["b"].get("extrapolated")),
            "ratio": b / a if b else None,
            "floor": self.floor(n, median([r["module_start"] for r in raw["a"] if "module_start" in r]) or None),
            "a_requests": max(r["traffic"]["requests"] for r in raw["a"]) if "traffic" in raw["a"][0] else None,
            "a_connections": max(r["traffic"]["connections"] for r in raw["a"]) if "traffic" in raw["a"][0] else None,
            "a_methods": [r["traffic"]["methods"] for r in raw["a"]] if "traffic" in raw["a"][0] else [],
        }
        # A without the module start measured right before it: the part that grows with N.
        row["a_net"] = median([r["seconds"] - r["module_start"] for r in raw["a"] if "module_start" in r])
        # Each run against the floor of its own module start, when it has one.
        row["a_floor"] = median([r["seconds"] / self.floor(n, r.get("module_start"), r.get("paced")) for r in raw["a"]])
        traffic = (raw.get("b") or {}).get("traffic")
        row["b_requests"] = traffic["requests"] if traffic else None
        row["b_connections"] = traffic["connections"] if traffic else None
        memory = raw.get("memory")
        row["process"] = memory["seconds"] if memory else None
        row["rss"] = memory["rss_kib"] / MIB if memory else None
        return row

    @property
    def module_start(self):
        if "module_start" in self.data:
            return self.data["module_start"]
        return self.data["start"]["task_cold"]["zabbix"]

    def floor(self, n, module_start=None, paced=None):
        """N x latency / concurrency (or the bare client's time, on a real server) + one module start."""
        if paced is None:
            paced = self.paced.get(n, n * self.settings["latency"] / self.concurrency)
        return paced + (module_start or self.module_start)

    def row(self, n):
        return next((r for r in self.rows if r["n"] == n), None)

    def fit(self, key="a"):
        return _fit([(r["n"], r[key]) for r in self.rows if r[key] is not None])


class Report:
    """Everything one run of benchmarks/fanout.py found."""

    def __init__(self, data):
        self.data = data
        self.sim = Rows(data["simulator"]) if "simulator" in data else None
        self.reals = dict((key, Rows(data[key])) for key in REAL_SECTIONS if key in data)
        self.real = self.reals.get("real")

    # -- verdicts -----------------------------------------------------------

    def verdicts(self):
        """(text, ok) for each goal the simulator run can check."""
        if self.sim is None:
            return []
        sim, settings = self.sim, self.sim.settings
        out = []
        goal = sim.row(settings["goal_size"])
        if goal is not None:
            out.append(("N=%d: B/A = %.1f (at least %.0f%s)" % (
                goal["n"], goal["ratio"], GOAL_RATIO, ", B extrapolated" if goal["b_extrapolated"] else ""),
                goal["ratio"] >= GOAL_RATIO))
            out.append(("N=%d: A/floor = %.2f (at most %.1f)" % (goal["n"], goal["a_floor"], GOAL_FLOOR),
                        goal["a_floor"] <= GOAL_FLOOR))
        methods_ok = all(_methods_ok(m, r["n"], True) for r in sim.rows for m in r["a_methods"])
        out.append(("every A run with a password: one script.execute per target; one apiinfo.version, host.get, "
                    "script.get, user.login and user.logout per task", methods_ok))
        token = self.data["simulator"].get("token")
        if token:
            out.append(("A with an API token (N=%d, %.2f s): no user.login or user.logout, nothing else extra: %s"
                        % (token["n"], token["seconds"], _methods_text(token["traffic"]["methods"])),
                        _methods_ok(token["traffic"]["methods"], token["n"], False)))
        most = max(r["a_connections"] for r in sim.rows)
        out.append(("TCP connections of A at most the concurrency: at most %d for concurrency %d" % (
            most, sim.concurrency), most <= sim.concurrency))
        fit, process = sim.fit("a_net"), sim.fit("process")
        if fit:
            expected = settings["latency"] / sim.concurrency
            ratio = fit["slope"] / expected if expected else float("inf")
            out.append(("A grows linearly with N: A minus its module start grows by %.2f ms per target "
                        "(latency/concurrency = %.2f ms, x%.2f, R^2 = %.4f); the module process alone by %.2f ms "
                        "(R^2 = %.4f)" % (fit["slope"] * 1000, expected * 1000, ratio, fit["r2"],
                                          process["slope"] * 1000 if process else float("nan"),
                                          process["r2"] if process else float("nan")),
                        ratio <= GOAL_SLOPE and fit["r2"] >= 0.99))
        largest = sim.rows[-1]
        base = self.data["simulator"]["memory_n1"]["rss_kib"] / MIB
        out.append(("module peak RSS at N=%d is %.2fx that at N=1 (%.1f / %.1f MiB; at most %.1fx)" % (
            largest["n"], largest["rss"] / base, largest["rss"], base, GOAL_MEMORY), largest["rss"] / base <= GOAL_MEMORY))
        start = self.data["simulator"]["start"]
        for key, what in (("task_warm", "task, payload built"), ("task_cold", "task, first in its play"),
                          ("process", "process, python -m")):
            out.append(("module start-up (%s): zabbix_script_execute %.0f ms, uri %.0f ms, x%.2f (at most %.1fx)" % (
                what, start[key]["zabbix"] * 1000, start[key]["uri"] * 1000, start[key]["ratio"], GOAL_START),
                start[key]["ratio"] <= GOAL_START))
        return out

    # -- text ---------------------------------------------------------------

    def text(self):
        lines = []
        if self.sim is not None:
            settings = self.sim.settings
            lines.append("Simulator (Zabbix %s), %.0f ms per request, A concurrency %d, password login" % (
                settings["version"], settings["latency"] * 1000, self.sim.concurrency))
            lines.extend(_table(self.sim, markdown=False))
            lines.append("")
            lines.extend("%s  %s" % ("PASS" if ok else "FAIL", text) for text, ok in self.verdicts())
        for real in self.reals.values():
            lines.append("")
            lines.append(_real_title(real))
            lines.extend(_table(real, markdown=False))
            lines.extend(_sweep_lines(real, markdown=False))
            lines.extend(_queue_lines(real, markdown=False))
        return "\n".join(lines)

    # -- Markdown -----------------------------------------------------------

    def markdown(self, section):
        env = self.data["environment"]
        head = ("_Generated by `%s` on %s (Python %s, ansible-core %s, %s CPUs, load average %.2f at the start, "
                "%.2f at the end; the run took %.0f s). Do not edit this section: the command rewrites it._" % (
                    self.data["command"], env["date"], env["python"], env["ansible_core"], env["cpus"],
                    env["loadavg_start"][0], env["loadavg_end"][0], env["seconds"]))
        lines = [head, ""]
        if section == "simulator":
            lines.extend(self._sim_markdown())
            raw = self.data["simulator"]
        else:
            lines.extend(self._real_markdown(self.reals[section]))
            raw = self.data[section]
        lines.append("")
        lines.append("<!-- data: %s -->" % _comment_json({"environment": env, "figures": raw}))
        return "\n".join(lines)

    def _sim_markdown(self):
        sim, settings = self.sim, self.sim.settings
        start = self.data["simulator"]["start"]
        lines = [
            "Simulator speaking Zabbix %s, %.0f ms per request; A with concurrency %d and a password "
            "(login and logout included). A: median of %d run%s (min-max in brackets). B: one run%s. "
            "Floor: N x latency / concurrency + one module start, the first zabbix_script_execute task of a play "
            "(%.0f ms, median of %d), measured right before each run of A; A/floor is the median of each run "
            "against its own floor." % (
                settings["version"], settings["latency"] * 1000, sim.concurrency, settings["repeat"],
                "" if settings["repeat"] == 1 else "s",
                "; at N above %d extrapolated (marked ~) from the per-item cost measured at the largest N it ran"
                % settings["b_max"] if any(r["b_extrapolated"] for r in sim.rows) else "",
                start["task_cold"]["zabbix"] * 1000, start["task_cold"]["samples"]),
            "",
        ]
        lines.extend(_table(sim, markdown=True))
        lines.append("")
        lines.append("Goals (at N=%d unless said otherwise):" % settings["goal_size"])
        lines.append("")
        lines.extend("- %s %s" % ("**pass**" if ok else "**FAIL**", text) for text, ok in self.verdicts())
        lines.append("")
        lines.append("Module start-up, median of each method (milliseconds):")
        lines.append("")
        lines.append("| measured as | zabbix_script_execute | ansible.builtin.uri | ratio |")
        lines.append("|---|---:|---:|---:|")
        for key, what in (("task_warm", "ansible task, module payload already built"),
                          ("task_cold", "ansible task, first use of the module in the play"),
                          ("process", "`python -m` the module, arguments from a JSON file"),
                          ("imports", "imports alone (`python -X importtime`, top-level sum)")):
            figures = (what, start[key]["zabbix"] * 1000, start[key]["uri"] * 1000, start[key]["ratio"])
            lines.append("| %s | %.0f | %.0f | %.2f |" % figures)
        fit = sim.fit("process")
        if fit:
            lines.append("")
            lines.append("The module process alone grows by %.2f ms per target (R^2 %.4f) from %.2f s at N=0."
                         % (fit["slope"] * 1000, fit["r2"], fit["intercept"]))
        return lines

    @staticmethod
    def _real_markdown(real):
        lines = [_real_title(real), ""]
        lines.extend(_table(real, markdown=True))
        lines.extend(_sweep_lines(real, markdown=True))
        lines.extend(_queue_lines(real, markdown=True))
        return lines


def _methods_text(methods):
    return ", ".join("%s %s" % (k, v) for k, v in sorted(methods.items()))


def _real_title(real):
    s = real.settings
    paced = ", ".join("N=%d %.2f s" % (n, real.paced[n]) for n in sorted(real.paced))
    return ("Real Zabbix %s (%s), agent script `echo ok` on hosts whose agent interface is the local agent; A with "
            "concurrency %d (the server's StartTrappers: %s), a password, median of %d run%s (min-max); B one run. "
            "One script.execute takes %.0f ms alone (median of %d), but the server shares the machine's cores with "
            "everything else, so its calls do not overlap perfectly: the floor here is what a bare client (threads "
            "sending the same calls with urllib, logged in already) needs at the same concurrency right before each "
            "run of A (median: %s), plus one module start measured then too (median %.0f ms); A/floor is the median "
            "of each run against its own floor." % (
                s["version"], s["url"], real.concurrency, s["trappers"], s["repeat"], "" if s["repeat"] == 1 else "s",
                s["latency"] * 1000, s["latency_samples"], paced, real.module_start * 1000))


def _table(rows, markdown):
    header = ["N", "A s", "B s", "B/A", "floor s", "A/floor", "requests per target A / B",
              "TCP connections A / B", "module process s", "module peak RSS MiB"]
    body = []
    for r in rows.rows:
        b = _secs(r["b"])
        if r["b_extrapolated"]:
            b = "~" + b
        spread = "%s (%s-%s)" % (_secs(r["a"]), _secs(r["a_min"]), _secs(r["a_max"])) if len(r["a_runs"]) > 1 else _secs(r["a"])
        body.append([
            str(r["n"]), spread, b,
            ("~%.0f" if r["b_extrapolated"] else "%.0f") % r["ratio"] if r["ratio"] else "n/a",
            _secs(r["floor"]), "%.2f" % r["a_floor"],
            "%s / %s" % (_per(r["a_requests"], r["n"]), _per(r["b_requests"], r["n"])),
            "%s / %s" % (_count(r["a_connections"]), _count(r["b_connections"])),
            _secs(r["process"]), "%.1f" % r["rss"] if r["rss"] else "n/a",
        ])
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _h in header) + "|"]
        lines.extend("| " + " | ".join(cells) + " |" for cells in body)
        return lines
    widths = [max(len(h), max(len(c[i]) for c in body)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
    lines.extend("  ".join(c.rjust(w) for c, w in zip(cells, widths)) for cells in body)
    return lines


def _per(total, n):
    return "n/a" if total is None else "%.3f" % (float(total) / n)


def _count(value):
    return "n/a" if value is None else str(value)


def _sweep_lines(real, markdown):
    sweep = real.data.get("sweep")
    if not sweep:
        return []
    n = real.data["settings"]["sweep_n"]
    lines = ["", "A at N=%d against concurrency (the server has %s trappers):" % (n, real.data["settings"]["trappers"]), ""]
    if markdown:
        lines.append("| concurrency | A s | bare client s | failed targets |")
        lines.append("|---:|---:|---:|---:|")
        for c in sorted(sweep, key=int):
            cells = (c, _secs(sweep[c]["seconds"]), _secs(sweep[c].get("paced")), sweep[c]["failed"])
            lines.append("| %s | %s | %s | %s |" % cells)
    else:
        for c in sorted(sweep, key=int):
            lines.append("  concurrency %3s: A %s s, bare client %s s, %s failed" % (
                c, _secs(sweep[c]["seconds"]), _secs(sweep[c].get("paced")), sweep[c]["failed"]))
    return lines


def _queue_lines(real, markdown):
    queue = real.data.get("queue")
    if not queue:
        return []
    lines = ["", "K server-side scripts of 1 s each (`sleep 1`) sent at once; each holds a trapper while it runs "
                 "(the server has %s):" % real.data["settings"]["trappers"], ""]
    rows = []
    for count in sorted(queue, key=int):
        ended = queue[count]
        first_second = sum(1 for t in ended if t < 1.5)
        rows.append((count, first_second, ended[-1], " ".join("%.1f" % t for t in ended)))
    if markdown:
        lines.append("| K at once | done within 1.5 s | all done after s | each call's end, s |")
        lines.append("|---:|---:|---:|---|")
        lines.extend("| %s | %d | %.2f | %s |" % row for row in rows)
    else:
        lines.extend("  %3s at once: %d done within 1.5 s, all after %.2f s (%s)" % row for row in rows)
    return lines


def _comment_json(value):
    # "--" may not appear inside an HTML comment; \u002d is the same character to a JSON reader.
    return json.dumps(value, sort_keys=True, default=str).replace("--", "-\\u002d")


# -- docs -------------------------------------------------------------------


def _markers(section):
    return "<!-- BEGIN GENERATED: %s -->" % section, "<!-- END GENERATED: %s -->" % section


def read_sections(text):
    """The raw figures stored in each generated section of docs/benchmarks.md."""
    found = {}
    for section in SECTIONS:
        begin, end = _markers(section)
        match = re.search(re.escape(begin) + r"(.*?)" + re.escape(end), text, re.S)
        if match:
            data = re.search(r"<!-- data: (.*?) -->", match.group(1), re.S)
            if data:
                found[section] = json.loads(data.group(1))
    return found


def write_docs(report, docs):
    """Rewrite the generated sections this run measured, and the plot."""
    path = Path(docs) / "benchmarks.md"
    text = path.read_text()
    for section in SECTIONS:
        if section not in report.data:
            continue
        begin, end = _markers(section)
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if not pattern.search(text):
            raise ValueError("%s has no %s ... %s markers" % (path, begin, end))
        text = pattern.sub(lambda _m, s=section: "%s\n%s\n%s" % (begin, report.markdown(s), end), text)
    path.write_text(text)
    stored = read_sections(text)
    plot(Path(docs) / "benchmarks.png", stored.get("simulator", {}).get("figures"), stored.get("real", {}).get("figures"),
         stored.get("real70", {}).get("figures"))


def plot(path, simulator, real, real70=None):
    """Time against N for A, B and the floor; one panel per data set."""
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.ticker  # pylint: disable=import-outside-toplevel
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    panels = [(name, Rows(data)) for name, data in (("simulator", simulator), ("real", real), ("real70", real70))
              if data]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 4.6), squeeze=False)
    for ax, (name, rows) in zip(axes[0], panels):
        ns = [r["n"] for r in rows.rows]
        a = [r["a"] for r in rows.rows]
        low = [r["a"] - r["a_min"] for r in rows.rows]
        high = [r["a_max"] - r["a"] for r in rows.rows]
        ax.errorbar(ns, a, yerr=[low, high], marker="o", capsize=3, label="A: zabbix_script_execute, one task")
        measured = [(r["n"], r["b"]) for r in rows.rows if r["b"] is not None and not r["b_extrapolated"]]
        guessed = [(r["n"], r["b"]) for r in rows.rows if r["b"] is not None and r["b_extrapolated"]]
        if measured:
            ax.plot(*zip(*measured), marker="s", color="tab:red", label="B: uri loop, measured")
        if guessed:
            line = measured[-1:] + guessed
            ax.plot(*zip(*line), marker="s", linestyle="--", color="tab:red", markerfacecolor="none",
                    label="B: uri loop, extrapolated")
        paced = "N x latency / concurrency" if name == "simulator" else "bare client at the same concurrency"
        ax.plot(ns, [r["floor"] for r in rows.rows], linestyle=":", marker=".", color="black",
                label="floor: %s + module start" % paced)
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _pos: "%g" % value))
            axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("targets (N)")
        ax.set_ylabel("seconds")
        s = rows.settings
        if name == "simulator":
            ax.set_title("Simulator, %.0f ms per request, concurrency %d" % (s["latency"] * 1000, rows.concurrency))
        else:
            ax.set_title("Real Zabbix %s, concurrency %d" % (s["version"], rows.concurrency))
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(str(path), dpi=100)
    plt.close(fig)
