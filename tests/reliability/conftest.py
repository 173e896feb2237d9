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

ZABBIX = "scriptbridge.core.zabbix_script_execute"
CRMSCRIPT = "scriptbridge.core.superoffice_crmscript_execute"
EVENT_HANDLERS = "scriptbridge.core.superoffice_event_handlers"
MODULES = (ZABBIX, CRMSCRIPT, EVENT_HANDLERS)

# The request that runs something, per module, as the proxy's rules and log select it.
EXECUTION = {
    ZABBIX: {"rpc": "script.execute"},
    CRMSCRIPT: {"path": r"/Execute"},
    EVENT_HANDLERS: {"path": r"/ExecuteEventHandlers"},
}


def says_may_have_run(text):
    return "may have run" in (text or "")


def no_traceback(run, result):
    """Nothing in a run or a result looks like a Python traceback."""
    for text in (run.stdout, run.stderr, str(result)):
        assert "Traceback (most recent call last)" not in text, text[-3000:]
    # ansible-core 2.19+ fills in a placeholder when a failure carries no traceback.
    assert result.get("exception") in (None, "", "(traceback unavailable)"), result.get("exception")
    assert not result.get("module_stderr"), result.get("module_stderr")
