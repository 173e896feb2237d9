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


# How many characters of a secret make a leak.
LEAK_WINDOW = 8


def leaks(text, secrets, public=()):
    """(label, fragment) of every secret of which LEAK_WINDOW characters (or all, if shorter) show in ``text``.

    ``secrets`` maps a label to the strings that must never show; fragments that
    stand in one of the ``public`` words (a tenant id, a user name) do not count.
    """
    found = []
    for label, values in secrets.items():
        for value in values:
            size = min(LEAK_WINDOW, len(value))
            for start in range(0, len(value) - size + 1):
                fragment = value[start:start + size]
                if any(fragment in word for word in public):
                    continue
                if fragment in text:
                    found.append((label, fragment))
                    break
    return found
