# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fan-out benchmark runs: the simulator, ansible-playbook, and module processes.

Three ways of running things, each measured the way it is used:

- ``Simulator``: ``tests/simulators/zabbix_sim.py`` in its own process (started by
  ``tests/simulators/launcher.py``), so that its threads do not share an
  interpreter with what is measured;
- ``run_playbook``: a real ``ansible-playbook`` whose tasks are timed by the
  ``bench_timing`` callback (task start to result, so ansible-playbook's own
  start-up is left out for every variant alike);
- ``run_module_process``: the module as one Python process (``python -m`` with
  the arguments in a JSON file, the way Ansible hands them over), whose peak
  resident memory comes from ``os.wait4`` (``ru_maxrss``, the kernel's
  high-water mark of that one process).
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    from ansible_collections.scriptbridge.core.tests.simulators import zabbix_sim
    from ansible_collections.scriptbridge.core.tests.simulators.launcher import SimulatorError, SimulatorProcess
except ImportError as error:
    raise SystemExit("The collection is not importable (%s): run 'make benchmark' from the repository root, "
                     "or put build/collections on PYTHONPATH after 'make link'." % error)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COLLECTIONS = ROOT / "build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "scriptbridge" / "core"
PLAYBOOKS = HERE / "playbooks"
CALLBACKS = HERE / "callback_plugins"
BIN = Path(sys.executable).parent
MODULE = "ansible_collections.scriptbridge.core.plugins.modules.zabbix_script_execute"
URI_MODULE = "ansible.modules.uri"
PYCACHE = HERE / "output" / "pycache"

# Variables that would change what the modules or Ansible do behind the benchmark's back.
_SCRUBBED_ENV = ("ZABBIX_", "SUPEROFFICE_", "ANSIBLE_")

INVENTORY = """---
all:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


class BenchmarkError(Exception):
    """Something the benchmark needs did not work; the message says what."""


def ensure_collection_link():
    """Let Ansible see the working tree as scriptbridge.core (as the tests do)."""
    if not os.path.lexists(LINK):
        LINK.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(ROOT, LINK)


def simulator_token():
    """The simulator's valid API token (a constant of the simulator)."""
    return zabbix_sim.API_TOKEN


def clean_env(extra=None):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(_SCRUBBED_ENV))
    env["PATH"] = "%s:%s" % (BIN, env.get("PATH", ""))
    env.update(extra or {})
    return env


def median(values):
    return statistics.median(values) if values else None


class Simulator:
    """The Zabbix simulator as a separate process, driven through its control endpoints."""

    def __init__(self, version, hosts, latency, workdir):
        self.version = version
        self.hosts = hosts
        self.latency = latency
        self.workdir = Path(workdir)
        self.url = None
        self._process = None

    def __enter__(self):
        self._process = SimulatorProcess("zabbix", "--version", self.version, "--hosts", str(self.hosts),
                                         "--latency", str(self.latency), workdir=self.workdir, env=clean_env())
        try:
            self.url = self._process.start().url
        except SimulatorError as error:
            raise BenchmarkError("the simulator did not start; see %s" % self._process.log_file) from error
        return self

    def __exit__(self, *exc_info):
        self._process.stop()

    def host_name(self, k):
        """The technical name of fixture host k (the simulator pads to the width of its host count)."""
        return "host-%0*d" % (max(3, len(str(self.hosts))), k)

    @staticmethod
    def host_id(k):
        return str(20000 + k)

    def control(self, action, payload=None):
        return self._process.control(action, payload)

    def reset(self):
        self.control("reset", {})

    def stats(self):
        return self.control("stats")


def traffic(stats):
    """The part of the simulator's statistics the benchmark reports."""
    return {
        "requests": stats["requests"],
        "connections": stats["connections"],
        "methods": dict(stats["methods"]),
        "max_in_flight": stats["max_in_flight"],
        "http_status": dict(stats["http_status"]),
    }


def run_playbook(workdir, playbook, variables, label, timeout=7200):
    """Run one playbook on localhost; returns (timed tasks, wall seconds of the command)."""
    workdir = Path(workdir).resolve()
    inventory = workdir / "inventory.yml"
    inventory.write_text(INVENTORY)
    vars_file = workdir / ("%s.vars.json" % label)
    vars_file.write_text(json.dumps(variables))
    log = workdir / ("%s.tasks.jsonl" % label)
    if log.exists():
        log.unlink()
    env = clean_env({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
        "ANSIBLE_CALLBACKS_ENABLED": "bench_timing",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "SCRIPTBRIDGE_BENCH_LOG": str(log),
    })
    argv = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-e", "@%s" % vars_file, str(PLAYBOOKS / playbook)]
    started = time.monotonic()
    with open(workdir / ("%s.out" % label), "w") as output:
        proc = subprocess.run(argv, cwd=str(workdir), env=env, stdout=output, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False)
    wall = time.monotonic() - started
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    if proc.returncode != 0:
        tail = (workdir / ("%s.out" % label)).read_text().splitlines()[-15:]
        raise BenchmarkError("%s failed (rc %s):\n%s" % (label, proc.returncode, "\n".join(tail)))
    return entries, wall


def task_seconds(entries, name):
    return [e["seconds"] for e in entries if e["task"] == name]


def run_module_process(workdir, args, module=MODULE, label="module", python_args=()):
    """Run a module as one process; returns (wall seconds, peak RSS in KiB, parsed result, stderr)."""
    workdir = Path(workdir).resolve()
    args_file = workdir / ("%s.args.json" % label)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = clean_env({"PYTHONPATH": str(COLLECTIONS), "PYTHONPYCACHEPREFIX": str(PYCACHE)})
    # Both modules alike from cached bytecode (the first run of each writes it), whatever the
    # environment says: the collection's files would otherwise be compiled on every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable] + list(python_args) + ["-m", module, str(args_file)],
            stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=str(workdir),
        )
        status, usage = os.wait4(proc.pid, 0)[1:]
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    try:
        result = json.loads(text)
    except ValueError:
        raise BenchmarkError("%s printed no JSON result:\n%s\n%s" % (label, text[-2000:], errors[-2000:]))
    return wall, usage.ru_maxrss, result, errors


def import_seconds(importtime_text):
    """Total import time of the top-level imports in ``python -X importtime`` output."""
    total = 0
    for line in importtime_text.splitlines():
        match = re.match(r"^import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match.group(2).startswith(" "):
            total += int(match.group(1))
    return total / 1e6
