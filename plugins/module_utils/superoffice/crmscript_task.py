# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The task of ``superoffice_crmscript_execute``: find a CRMScript, run it, return its output.

``CrmScriptTask`` is built from the module's options and a client;
``predict()`` (check mode) only looks the script up, ``execute()`` runs it.
Every failure is a ``ScriptBridgeError`` that the base module turns into
``failed: true``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import NotFoundError, OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import NOT_JSON, parse_json
from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import Task
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.connection import SUPEROFFICE
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.vocabulary import to_string_map

SCRIPT_SELECTORS = ("script_id", "unique_id", "include_id", "name")
# The Ejscripts archive column each text selector is looked up by.
ARCHIVE_COLUMNS = {"unique_id": "uniqueIdentifier", "include_id": "includeId", "name": "name"}
MAX_CANDIDATES = 10

CRMSCRIPT_ARGUMENT_SPEC = dict(
    script_id=dict(type="int", aliases=["crmscript_id", "id"]),
    unique_id=dict(type="str"),
    include_id=dict(type="str"),
    name=dict(type="str"),
    parameters=dict(type="dict"),
)

CRMSCRIPT_CONSTRAINTS = dict(
    mutually_exclusive=[SCRIPT_SELECTORS],
    required_one_of=[SCRIPT_SELECTORS],
)


def _pick(entry, *keys):
    for key in keys:
        if entry.get(key) not in (None, ""):
            return entry[key]
    return None


def script_info(entry):
    """The ``script`` return value from a CRMScriptEntity or an Ejscripts archive row."""
    script_id = _pick(entry, "EjscriptId", "ejscriptId", "PrimaryKey")
    try:
        script_id = int(script_id) if script_id is not None else None
    except (TypeError, ValueError):
        script_id = None
    return {
        "id": script_id,
        "unique_id": _pick(entry, "UniqueIdentifier", "uniqueIdentifier"),
        "include_id": _pick(entry, "IncludeId", "includeId"),
        "name": _pick(entry, "Name", "name"),
    }


def describe(script):
    """One script for a message: ``id 5 'Name' (unique_id ..., include_id ...)``."""
    return "id %s %r (unique_id %s, include_id %s)" % (
        script["id"], script["name"], script["unique_id"] or "-", script["include_id"] or "-")


def find_script(client, option, value):
    """The one script whose ``option`` (name, unique_id, include_id) is ``value``; else an error listing candidates."""
    column = ARCHIVE_COLUMNS[option]
    rows = [script_info(row) for row in client.find_scripts(column, value)]
    # The archive compares text the way the database does (usually without regard to case);
    # an exact match wins, and rows that do not match at all never count.
    matches = [s for s in rows if s[option] == value] or \
              [s for s in rows if (s[option] or "").lower() == value.lower()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise NotFoundError("%d CRMScripts have %s %r: %s. Use script_id, unique_id or include_id to pick one." % (
            len(matches), option, value, "; ".join(describe(s) for s in matches[:MAX_CANDIDATES])))
    others = [script_info(row) for row in client.list_scripts()]
    by_value = dict(((s[option] or "").lower(), s) for s in others if s[option])
    close = [by_value[key] for key in difflib.get_close_matches(value.lower(), list(by_value), n=5, cutoff=0.5)]
    hint = (" Candidates with a similar %s: %s." % (option, "; ".join(describe(s) for s in close))) if close else \
        " No script has a similar %s." % option
    raise NotFoundError("No CRMScript has %s %r, or this user cannot see it.%s" % (option, value, hint))


def _selector(params):
    for option in SCRIPT_SELECTORS:
        if params.get(option) is not None:
            if option != "script_id" and not params[option].strip():
                raise OptionError("%s is empty: give the CRMScript's %s." % (option, option.replace("_", " ")))
            return option, params[option]
    raise OptionError("Name the CRMScript with one of %s." % ", ".join(SCRIPT_SELECTORS))


class CrmScriptTask(Task):
    """``superoffice_crmscript_execute``: look the script up where needed, run it, return its output."""

    connection = SUPEROFFICE
    argument_spec = CRMSCRIPT_ARGUMENT_SPEC
    constraints = CRMSCRIPT_CONSTRAINTS

    @classmethod
    def check_options(cls, params):
        option, value = _selector(params)
        return {"option": option, "value": value, "parameters": to_string_map(params.get("parameters"), "parameters")}

    def predict(self):
        """The script that would run, looked up whatever names it."""
        option, value = self.options["option"], self.options["value"]
        if option == "script_id":
            return {"changed": True, "script": script_info(self.client.script_by_id(value))}
        return {"changed": True, "script": find_script(self.client, option, value)}

    def execute(self):
        option, value, parameters = self.options["option"], self.options["value"], self.options["parameters"]
        client = self.client
        script = {"id": None, "unique_id": None, "include_id": None, "name": None}
        script["id" if option == "script_id" else option] = value
        if option == "name":
            script = find_script(client, option, value)
        if option == "include_id":
            output = client.execute_script_by_include_id(value, parameters)
        elif script["id"] is not None:
            output = client.execute_script(script["id"], parameters)
        else:
            output = client.execute_script_by_unique_id(script["unique_id"], parameters)
        result = {"changed": True, "script": script, "output": output}
        parsed = parse_json(output)
        if parsed is not NOT_JSON:
            result["output_json"] = parsed
        return result
