"""Start and stop the bundled Zabbix and SuperOffice simulators for a molecule scenario.

Usage (``build/collections`` on ``PYTHONPATH``, as ``create.yml`` and ``destroy.yml`` run it)::

    python simulator_processes.py start STATE_DIR [--zabbix-version 7.0] [--zabbix-hosts 20]
    python simulator_processes.py stop STATE_DIR

``start`` runs each simulator through the simulator launcher
(``tests/simulators/launcher.py``) as a background process in its own session, with
its pid, URL and output in ``STATE_DIR``, and writes ``STATE_DIR/simulators.json``
with what the playbooks need: ``zabbix_url``, ``zabbix_api_token``,
``superoffice_url``, ``superoffice_root`` (where the control endpoints live),
``superoffice_username`` and ``superoffice_password``. Simulators of an earlier
``start`` on the same directory are stopped first. ``stop`` ends them and may run
any number of times.
"""

import argparse
import json
import sys
from pathlib import Path

from ansible_collections.scriptbridge.core.tests.simulators import superoffice_sim, zabbix_sim
from ansible_collections.scriptbridge.core.tests.simulators.launcher import start_in, stop_in


def stop(state_dir):
    """End every simulator started in ``state_dir``; returns the names stopped."""
    stopped = stop_in(state_dir)
    (state_dir / "simulators.json").unlink(missing_ok=True)
    return stopped


def start(state_dir, zabbix_version, zabbix_hosts):
    """Start both simulators; returns what ``simulators.json`` holds."""
    stop(state_dir)
    try:
        zabbix = start_in(state_dir, "zabbix", "--version", zabbix_version, "--hosts", str(zabbix_hosts))
        superoffice = start_in(state_dir, "superoffice", "--mode", "onsite")
    except Exception:
        stop(state_dir)
        raise
    info = {
        "zabbix_url": zabbix["url"],
        "zabbix_api_token": zabbix_sim.API_TOKEN,
        "superoffice_url": superoffice["url"],
        "superoffice_root": superoffice["url"].rsplit("/", 1)[0],
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
