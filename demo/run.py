"""Run the demo: start the bundled simulators, run the demo play, stop them.

Usage (from the repository root): ``make demo`` or ``.venv/bin/python demo/run.py``.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / "build" / "collections"
BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT / "tests"))
from simulators.zabbix_sim import API_TOKEN  # noqa: E402  pylint: disable=wrong-import-position


def link_collection():
    """Make the working tree importable as ansible_collections.scriptbridge.core."""
    link = COLLECTIONS / "ansible_collections" / "scriptbridge" / "core"
    if not link.is_symlink() and not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(ROOT)


def start_simulator(script, marker, *args):
    """Start a simulator process and return it with the URL it printed."""
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "simulators" / script), "--port", "0", *args],
        stdout=subprocess.PIPE, text=True,
    )
    for line in proc.stdout:
        if line.startswith(marker + "="):
            return proc, line.strip().split("=", 1)[1]
    proc.wait()
    raise SystemExit("%s did not start (exit code %s)" % (script, proc.returncode))


def stats(url):
    with urllib.request.urlopen(url.rstrip("/") + "/_sim/stats", timeout=10) as answer:
        return json.load(answer)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def main():
    link_collection()
    zabbix, zabbix_url = start_simulator("zabbix_sim.py", "ZABBIX_SIM_URL", "--version", "7.0", "--hosts", "20")
    try:
        print("Started a simulated Zabbix 7.0 API at %s\n" % zabbix_url, flush=True)
        env = dict(
            os.environ,
            ZABBIX_URL=zabbix_url, ZABBIX_API_TOKEN=API_TOKEN,
            ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
            ANSIBLE_CALLBACK_RESULT_FORMAT="yaml", ANSIBLE_DISPLAY_SKIPPED_HOSTS="0",
        )
        play = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", str(ROOT / "demo" / "inventory.yml"), str(ROOT / "demo" / "zabbix.yml")],
            env=env, check=False,
        )
        seen = stats(zabbix_url)
        print("\nWhat the simulated Zabbix server saw:")
        print("  %d HTTP requests over %d TCP connections" % (seen["requests"], seen["connections"]))
        print("  API calls: %s" % ", ".join("%s x%d" % item for item in sorted(seen["methods"].items())))
        print("  scripts executed: %d (%s)" % (len(seen["executions"]), ", ".join(
            "script %s on host %s" % (e["scriptid"], e["hostid"]) for e in seen["executions"])))
        print("\nDemo %s." % ("finished" if play.returncode == 0 else "FAILED (exit code %d)" % play.returncode))
        return play.returncode
    finally:
        stop(zabbix)


if __name__ == "__main__":
    sys.exit(main())
