# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Start a simulator as a process of its own, wait until it serves, stop it.

The one way the demo, the benchmarks, molecule and the tests run a simulator out of
process. In Python::

    with SimulatorProcess("zabbix", "--version", "7.0", "--hosts", "20") as zabbix:
        zabbix.url          # http://127.0.0.1:PORT (the port the OS chose)
        zabbix.reset()      # POST /_sim/reset
        zabbix.stats()      # GET /_sim/stats

From a shell (``build/collections`` on ``PYTHONPATH``; ``make link`` makes it)::

    python -m ansible_collections.scriptbridge.core.tests.simulators.launcher start STATE_DIR zabbix -- --version 7.0
    python -m ansible_collections.scriptbridge.core.tests.simulators.launcher stop STATE_DIR

``start`` leaves the simulator running in a session of its own and prints
``{"name", "url", "pid"}``; it keeps ``NAME.pid``, ``NAME.url`` and ``NAME.log`` in
``STATE_DIR`` (a simulator of the same name started there before is stopped first).
``stop`` ends the simulators of ``STATE_DIR`` (all, or those named) and prints
``{"stopped": [names]}``; it may run any number of times.

The simulator always gets ``--port 0`` (the OS picks a free port) and ``--port-file``;
it is ready when the port file exists, since it writes the file (aside, then renamed)
once it serves.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

# Also right when run with ``python -m`` (``__name__`` is then ``__main__``).
PACKAGE = __package__ or ""
MODULES = {"zabbix": PACKAGE + ".zabbix_sim", "superoffice": PACKAGE + ".superoffice_sim",
           "superoffice_online": PACKAGE + ".superoffice_online_sim"}
# The directory that holds ``ansible_collections``: one level up per part of the package name.
IMPORT_ROOT = Path(os.path.abspath(__file__)).parents[len(PACKAGE.split("."))]
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class SimulatorError(RuntimeError):
    """A simulator did not start or stop; the message says why and quotes its log."""


def simulator_env(env: dict | None = None) -> dict:
    """``env`` (default: this process's) with the collection importable."""
    env = dict(os.environ if env is None else env)
    paths = [str(IMPORT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # An ended process nobody has reaped yet (no init to do it in some containers) is a zombie.
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _runs_simulator(pid: int) -> bool:
    """Whether ``pid`` is still a simulator process (and not a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return _alive(pid)
    return any(module.encode() in command for module in MODULES.values())


def _wait_for_exit(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        try:
            # Our own child when started in this process, else someone else's: both end the same way.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            if not _alive(pid):
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)


def end_process(pid: int) -> None:
    """SIGTERM, and SIGKILL when that was not enough."""
    try:
        os.kill(pid, signal.SIGTERM)
        if not _wait_for_exit(pid, STOP_TIMEOUT):
            os.kill(pid, signal.SIGKILL)
            _wait_for_exit(pid, 5)
    except ProcessLookupError:
        pass


class SimulatorProcess:
    """One simulator process: ``name`` is a key of ``MODULES``; ``args`` go to its command line.

    ``workdir`` holds ``NAME.url`` and ``NAME.log`` (default: a temporary directory,
    removed by ``stop()``); ``detach`` starts it in a session of its own, so that it
    outlives this process (``stop_from()`` ends it later).
    """

    def __init__(self, name: str, *args: str, workdir: str | os.PathLike | None = None,  # pylint: disable=too-many-arguments
                 env: dict | None = None, start_timeout: float = START_TIMEOUT, detach: bool = False) -> None:
        if name not in MODULES:
            raise ValueError(f"unknown simulator {name!r}: one of {', '.join(MODULES)}")
        self.name = name
        self.args = [str(arg) for arg in args]
        self._workdir = Path(workdir) if workdir is not None else None
        self._temporary: tempfile.TemporaryDirectory | None = None
        self._env = env
        self._start_timeout = start_timeout
        self._detach = detach
        self._proc: subprocess.Popen | None = None
        self.url: str | None = None

    @property
    def command(self) -> list:
        """The simulator's command line, without ``--port`` and ``--port-file``."""
        return [sys.executable, "-m", MODULES[self.name], *self.args]

    @property
    def pid(self) -> int:
        """The simulator's process id."""
        if self._proc is None:
            raise SimulatorError(f"the {self.name} simulator is not running")
        return self._proc.pid

    @property
    def root_url(self) -> str:
        """``http://host:port``, without the simulator's base path."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def port_file(self) -> Path:
        """Where the simulator writes its URL."""
        return self._directory() / f"{self.name}.url"

    @property
    def log_file(self) -> Path:
        """The simulator's standard output and error."""
        return self._directory() / f"{self.name}.log"

    def _directory(self) -> Path:
        if self._workdir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix=f"{self.name}-sim-")  # pylint: disable=consider-using-with
            self._workdir = Path(self._temporary.name)
        return self._workdir

    def _log_text(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def start(self) -> SimulatorProcess:
        """Start the process and return once it serves (``url`` is then set)."""
        if self._proc is not None:
            return self
        self._directory().mkdir(parents=True, exist_ok=True)
        self.port_file.unlink(missing_ok=True)
        with self.log_file.open("w", encoding="utf-8") as log:
            self._proc = subprocess.Popen(  # pylint: disable=consider-using-with
                self.command + ["--port", "0", "--port-file", str(self.port_file)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=simulator_env(self._env), start_new_session=self._detach)
        deadline = time.monotonic() + self._start_timeout
        while not self.port_file.exists():
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self.stop()
                raise SimulatorError(f"the {self.name} simulator exited with code {code}:\n{self._log_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise SimulatorError(f"the {self.name} simulator did not serve within {self._start_timeout:g} s:\n"
                                     f"{self._log_text()}")
            time.sleep(0.02)
        self.url = self.port_file.read_text(encoding="utf-8").strip()
        return self

    def stop(self) -> None:
        """End the process (SIGTERM, then SIGKILL) and remove a temporary directory."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._temporary is not None:
            self._temporary.cleanup()
            self._temporary = None
            self._workdir = None

    def __enter__(self) -> SimulatorProcess:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def control(self, action: str, payload: dict | None = None, timeout: float = 30) -> dict:
        """``GET /_sim/<action>``, or ``POST`` with ``payload`` as JSON when one is given."""
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(f"{self.url}/_sim/{action}", data=data,
                                         headers={"Content-Type": "application/json"} if data is not None else {},
                                         method="GET" if data is None else "POST")
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.load(answer)

    def reset(self) -> dict:
        """Back to the state right after start."""
        return self.control("reset", {})

    def stats(self) -> dict:
        """What the simulator recorded since its last reset."""
        return self.control("stats")


# ---------------------------------------------------------------------------------------------
# Simulators that outlive the command that started them, kept in a state directory


def start_in(state_dir: Path, name: str, *args: str) -> dict:
    """Start a detached simulator whose files live in ``state_dir``; returns ``{"name", "url", "pid"}``."""
    state_dir.mkdir(parents=True, exist_ok=True)
    stop_in(state_dir, [name])
    simulator = SimulatorProcess(name, *args, workdir=state_dir, detach=True).start()
    (state_dir / f"{name}.pid").write_text(f"{simulator.pid}\n", encoding="utf-8")
    return {"name": name, "url": simulator.url, "pid": simulator.pid}


def stop_in(state_dir: Path, names=None) -> list:
    """End the simulators started in ``state_dir`` (all, or ``names``); returns the names stopped."""
    stopped = []
    for name in names or MODULES:
        pid_file = state_dir / f"{name}.pid"
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text(encoding="utf-8").strip() or 0)
        if pid > 0 and _alive(pid) and _runs_simulator(pid):
            end_process(pid)
            stopped.append(name)
        pid_file.unlink()
        (state_dir / f"{name}.url").unlink(missing_ok=True)
    return stopped


def main(argv=None) -> int:
    """The command line: ``start STATE_DIR NAME [-- ARGS]`` or ``stop STATE_DIR [NAME ...]``."""
    parser = argparse.ArgumentParser(description="Start and stop simulator processes.")
    actions = parser.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start a simulator that keeps running; print its URL as JSON")
    start.add_argument("state_dir", type=Path)
    start.add_argument("name", choices=sorted(MODULES))
    start.add_argument("args", nargs=argparse.REMAINDER, help="the simulator's own options, after --")
    stop = actions.add_parser("stop", help="stop the simulators of a state directory")
    stop.add_argument("state_dir", type=Path)
    stop.add_argument("names", nargs="*", metavar="NAME", help="; ".join(sorted(MODULES)) + " (default: all)")
    args = parser.parse_args(argv)
    if args.action == "stop" and set(args.names) - set(MODULES):
        parser.error(f"unknown simulators: {', '.join(sorted(set(args.names) - set(MODULES)))}")
    if args.action == "start":
        extra = args.args[1:] if args.args[:1] == ["--"] else args.args
        try:
            print(json.dumps(start_in(args.state_dir, args.name, *extra)))
        except SimulatorError as error:
            print(str(error), file=sys.stderr)
            return 1
    else:
        print(json.dumps({"stopped": stop_in(args.state_dir, args.names)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
