"""Run real ``ansible-playbook`` and ``ansible`` commands and collect task results.

The collection under test is the working tree (``build/collections`` links
to it), so an installed copy elsewhere can never hide an edit.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / "build" / "collections"
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
BIN = Path(sys.executable).parent

# Variables that would change what the modules do behind the tests' back.
_SCRUBBED_ENV = ("ZABBIX_", "SUPEROFFICE_", "ANSIBLE_")


class Run:
    """The outcome of one ansible command: return code, output and results by task name."""

    def __init__(self, proc, entries):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.entries = entries

    def __getitem__(self, task_name):
        found = [e["result"] for e in self.entries if e["task"] == task_name]
        if not found:
            raise KeyError("no result for task %r; output:\n%s\n%s" % (task_name, self.stdout, self.stderr))
        return found[-1]

    def sims(self, task_name):
        """The statistics of each simulator given by ``control``, taken right after the task."""
        return [e["sims"] for e in self.entries if e["task"] == task_name][-1]

    def status(self, task_name):
        return [e["status"] for e in self.entries if e["task"] == task_name][-1]

    @property
    def output(self):
        return self.stdout + self.stderr


def ansible_env(extra=None):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(_SCRUBBED_ENV))
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="result_log",
        ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_HOST_KEY_CHECKING="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        PATH="%s:%s" % (BIN, os.environ.get("PATH", "")),
    )
    env.update(extra or {})
    return env


def _inventory(tmp):
    path = Path(tmp) / "inventory.ini"
    path.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    return path


def _run(argv, tmp, env=None, timeout=600, control=()):
    log = Path(tmp) / "results.jsonl"
    env = dict(env or {}, SCRIPTBRIDGE_SIM_CONTROL=",".join(url.rstrip("/") + "/_sim/" for url in control))
    proc = subprocess.run(
        argv, cwd=tmp, env=ansible_env(dict(env or {}, SCRIPTBRIDGE_RESULT_LOG=str(log))),
        capture_output=True, text=True, timeout=timeout, check=False,
    )
    entries = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return Run(proc, entries)


def run_play(tasks, check=False, env=None, verbosity=0, module_defaults=None, extra_args=(), control=()):
    """Run ``tasks`` in one play on localhost; every task ignores errors so all of them run.

    ``control``: base URLs of simulators to reset before each task and read after it.
    """
    play = {"name": "test", "hosts": "localhost", "gather_facts": False, "tasks": []}
    if module_defaults:
        play["module_defaults"] = module_defaults
    for task in tasks:
        task = dict(task)
        task.setdefault("ignore_errors", True)
        play["tasks"].append(task)
    with tempfile.TemporaryDirectory() as tmp:
        playbook = Path(tmp) / "play.yml"
        playbook.write_text(json.dumps([play], indent=1))
        argv = [str(BIN / "ansible-playbook"), "-i", str(_inventory(tmp)), str(playbook)]
        if check:
            argv.append("--check")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        argv.extend(extra_args)
        return _run(argv, tmp, env, control=control)


def run_adhoc(module, args, check=False, env=None, verbosity=0, control=()):
    """``ansible localhost -m <module> -a <args as JSON>``; returns the module result."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [str(BIN / "ansible"), "localhost", "-i", str(_inventory(tmp)), "-m", module, "-a", json.dumps(args)]
        if check:
            argv.append("--check")
        if verbosity:
            argv.append("-" + "v" * verbosity)
        return _run(argv, tmp, env, control=control)


def only_result(run):
    """The result of a run that had exactly one task (an ad-hoc command)."""
    assert len(run.entries) == 1, "expected one result, got %d:\n%s" % (len(run.entries), run.output)
    return run.entries[0]["result"]
