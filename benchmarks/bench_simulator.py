#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start tests/simulators/zabbix_sim.py for the benchmark, with TCP_NODELAY on its sockets.

The simulator's handler writes the headers and the body of an answer in two
sends. With Nagle's algorithm on, the body waits for the client's delayed ACK
of the headers (40 ms on Linux), so every answer would take the configured
latency plus about 40 ms. Real web servers (Apache, nginx) set TCP_NODELAY;
so does this launcher, unless the simulator already does. Same arguments as
the simulator.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "simulators"))

import zabbix_sim  # noqa: E402  pylint: disable=wrong-import-position


def main(argv=None):
    # socketserver.StreamRequestHandler sets TCP_NODELAY in setup() when this is true.
    zabbix_sim._Handler.disable_nagle_algorithm = True  # pylint: disable=protected-access
    return zabbix_sim.main(argv)


if __name__ == "__main__":
    sys.exit(main())
