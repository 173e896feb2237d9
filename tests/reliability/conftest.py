# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared pieces of the reliability suites.

The suites run the modules through real ``ansible-playbook`` runs (the helpers
of ``tests/playbook``) against the simulators, most of the time through the
fault-injecting proxy of ``tests/simulators/faults.py``. One play carries many
scenarios: each scenario gets its own proxy, so the proxy's log is the wire
record of that scenario alone, and the result-log callback resets the
simulator before each task and records its counters after it.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK_HELPERS = os.path.join(os.path.dirname(HERE), "playbook")
if PLAYBOOK_HELPERS not in sys.path:
    sys.path.insert(0, PLAYBOOK_HELPERS)
