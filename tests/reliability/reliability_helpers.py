# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Names and checks shared by the reliability suites."""

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
