"""Start and stop the bundled Zabbix and SuperOffice simulators for a molecule scenario.

Usage::

    python simulator_processes.py start STATE_DIR [--zabbix-version 7.0] [--zabbix-hosts 20]
    python simulator_processes.py stop STATE_DIR

``start`` runs each simulator as a background process in its own session, keeps
its pid in ``STATE_DIR/<name>.pid`` and its output in ``STATE_DIR/<name>.log``,
waits until both serve, and writes ``STATE_DIR/simulators.json`` with what the
playbooks need: ``zabbix_url``, ``zabbix_api_token``, ``superoffice_url``,
``superoffice_root`` (where the control endpoints live),
``superoffice_username`` and ``superoffice_password``. Simulators of an earlier
``start`` on the same directory are stopped first. ``stop`` ends the processes
named by the pid files and may run any number of times.
"""

import argparse
import importlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SIMULATORS = ROOT / "tests" / "simulators"
NAMES = {"zabbix": ("zabbix_sim.py", "ZABBIX_SIM_URL"), "superoffice": ("superoffice_sim.py", "SUPEROFFICE_SIM_URL")}
START_TIMEOUT = 20.0


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # An ended process nobody has reaped yet (no init to do it in some containers) is a zombie.
    try:
        return Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _wait_for_exit(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            # Our own child when started in this process, else someone else's: both end the same way.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            if not _alive(pid):
                return True
        time.sleep(0.05)
    return False


def stop(state_dir):
    """End every simulator whose pid file is in ``state_dir``; returns the names stopped."""
    stopped = []
    for name in NAMES:
        pid_file = state_dir / ("%s.pid" % name)
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text().strip() or 0)
        if pid > 0 and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            if not _wait_for_exit(pid, 10):
                os.kill(pid, signal.SIGKILL)
                _wait_for_exit(pid, 5)
            stopped.append(name)
        pid_file.unlink()
    (state_dir / "simulators.json").unlink(missing_ok=True)
    return stopped


def _url_from_log(log, marker, proc):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith(marker + "="):
                return line.split("=", 1)[1].strip()
        if proc.poll() is not None:
            raise RuntimeError("%s exited with code %s:\n%s" % (log.stem, proc.returncode, log.read_text()))
        time.sleep(0.05)
    raise RuntimeError("%s did not start within %d s:\n%s" % (log.stem, START_TIMEOUT, log.read_text()))


def start(state_dir, zabbix_version, zabbix_hosts):
    """Start both simulators; returns what ``simulators.json`` holds."""
    state_dir.mkdir(parents=True, exist_ok=True)
    stop(state_dir)
    arguments = {
        "zabbix": ["--version", zabbix_version, "--hosts", str(zabbix_hosts)],
        "superoffice": ["--mode", "onsite"],
    }
    urls = {}
    try:
        for name, (script, marker) in NAMES.items():
            log = state_dir / ("%s.log" % name)
            with log.open("w") as output:
                proc = subprocess.Popen(  # pylint: disable=consider-using-with
                    [sys.executable, "-u", str(SIMULATORS / script), "--port", "0"] + arguments[name],
                    stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                )
            (state_dir / ("%s.pid" % name)).write_text("%d\n" % proc.pid)
            urls[name] = _url_from_log(log, marker, proc)
    except Exception:
        stop(state_dir)
        raise
    sys.path.insert(0, str(ROOT / "tests"))
    zabbix_sim = importlib.import_module("simulators.zabbix_sim")
    superoffice_sim = importlib.import_module("simulators.superoffice_sim")
    info = {
        "zabbix_url": urls["zabbix"],
        "zabbix_api_token": zabbix_sim.API_TOKEN,
        "superoffice_url": urls["superoffice"],
        "superoffice_root": urls["superoffice"].rsplit("/", 1)[0],
        "superoffice_username": superoffice_sim.USERNAME,
        "superoffice_password": superoffice_sim.PASSWORD,
    }
    (state_dir / "simulators.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("start", "stop"))
    parser.add_argument("state_dir", type=Path)
    parser.add_argument("--zabbix-version", default="7.0")
    parser.add_argument("--zabbix-hosts", type=int, default=20)
    args = parser.parse_args(argv)
    if args.action == "start":
        print(json.dumps(start(args.state_dir, args.zabbix_version, args.zabbix_hosts)))
    else:
        print(json.dumps({"stopped": stop(args.state_dir)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
