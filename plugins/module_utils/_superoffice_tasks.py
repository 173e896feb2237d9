# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The work of the SuperOffice modules, on top of ``SuperOfficeClient``."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.scriptbridge.core.plugins.module_utils._errors import NotFoundError, OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils._superoffice import (
    EVENT_DATA_FIELDS,
    SuperOfficeClient,
    canonical_event_type,
    snake_case,
    to_string_map,
)

SCRIPT_SELECTORS = ("script_id", "unique_id", "include_id", "name")

CRMSCRIPT_ARGUMENT_SPEC = dict(
    script_id=dict(type="int", aliases=["crmscript_id", "id"]),
    unique_id=dict(type="str"),
    include_id=dict(type="str"),
    name=dict(type="str"),
    parameters=dict(type="dict"),
)

CRMSCRIPT_KWARGS = dict(
    mutually_exclusive=[SCRIPT_SELECTORS],
    required_one_of=[SCRIPT_SELECTORS],
)

EVENT_HANDLERS_ARGUMENT_SPEC = dict(
    event_type=dict(type="str", required=True, aliases=["type"]),
    input_values=dict(type="dict"),
    state_values=dict(type="dict"),
    output_values=dict(type="dict"),
    select=dict(type="list", elements="str"),
    fail_on_block=dict(type="bool", default=False),
    fail_on_exception=dict(type="bool", default=True),
)


def _with_client(params, redactor, work):
    client = SuperOfficeClient(params, redactor=redactor)
    try:
        return work(client)
    finally:
        client.close()


def _script_info(entry):
    """The ``script`` return value from an entity or an archive row."""
    def pick(*keys):
        for key in keys:
            if entry.get(key) not in (None, ""):
                return entry[key]
        return None
    script_id = pick("EjscriptId", "ejscriptId", "PrimaryKey")
    return {
        "id": int(script_id) if script_id is not None else None,
        "unique_id": pick("UniqueIdentifier", "uniqueIdentifier"),
        "include_id": pick("IncludeId", "includeId"),
        "name": pick("Name", "name"),
    }


def find_script(client, column, value, option):
    """Exactly one script whose ``column`` equals ``value``; else an error listing the candidates."""
    rows = client.find_scripts(column, value)
    # The archive compares text without regard to case; the option means this exact script.
    exact = [r for r in rows if str(r.get(column)) == value] or rows
    if len(exact) == 1:
        return _script_info(exact[0])
    if not exact:
        raise NotFoundError("No CRMScript has %s %r (or the user may not see it)." % (option, value))
    raise NotFoundError("%d CRMScripts have %s %r: %s. Use script_id, unique_id or include_id to pick one." % (
        len(exact), option, value, "; ".join(
            "id %s (unique_id %s, include_id %s)" % (s["id"], s["unique_id"], s["include_id"])
            for s in (_script_info(r) for r in exact))))


def run_crmscript(params, check_mode, redactor):
    """``superoffice_crmscript_execute``: look the script up if needed, run it, return its output."""
    if params.get("name") is not None and not params["name"].strip():
        raise OptionError("name is empty: give the CRMScript's name.")
    parameters = to_string_map(params.get("parameters"), "parameters")

    def work(client):
        script = {"id": params.get("script_id"), "unique_id": params.get("unique_id"),
                  "include_id": params.get("include_id"), "name": params.get("name")}
        if params.get("name") is not None:
            script = find_script(client, "name", params["name"], "name")
        elif check_mode and params.get("script_id") is not None:
            script = _script_info(client.script_by_id(params["script_id"]))
        elif check_mode and params.get("unique_id") is not None:
            script = find_script(client, "uniqueIdentifier", params["unique_id"], "unique_id")
        elif check_mode:
            script = find_script(client, "includeId", params["include_id"], "include_id")
        if check_mode:
            return {"changed": True, "script": script}
        if params.get("include_id") is not None and params.get("name") is None:
            output = client.execute_script_by_include_id(params["include_id"], parameters)
        else:
            output = client.execute_script(script["id"] if script["id"] is not None else script["unique_id"], parameters)
        result = {"changed": True, "script": script, "output": output}
        try:
            result["output_json"] = json.loads(output)
        except ValueError:
            pass
        return result

    return _with_client(params, redactor, work)


def event_result(event):
    """The returned EventData with snake_case top-level keys, and the convenience keys."""
    converted = dict((snake_case(key), value) for key, value in event.items())
    for field in EVENT_DATA_FIELDS:
        converted.setdefault(snake_case(field), None)
    return {
        "event": converted,
        "blocked": bool(converted.get("block_execution")),
        "message": converted.get("message"),
        "output_values": converted.get("output_values") or {},
        "navigate_to": converted.get("navigate_to"),
    }


def run_event_handlers(params, check_mode, redactor):
    """``superoffice_event_handlers``: run the handlers of an event, or in check mode ask whether there are any."""
    event_type = canonical_event_type(params["event_type"].strip())
    event_data = {"Type": event_type}
    for option, field in (("input_values", "InputValues"), ("state_values", "StateValues"),
                          ("output_values", "OutputValues")):
        if params.get(option) is not None:
            event_data[field] = to_string_map(params[option], option)
    select = [s.strip() for s in params.get("select") or [] if s and s.strip()]

    def work(client):
        if check_mode:
            exists = client.event_handler_exists(event_type)
            return {"changed": exists, "handlers_exist": exists}
        result = event_result(client.execute_event_handlers(event_data, select))
        result["changed"] = True
        exception = result["event"].get("exception")
        if exception and params["fail_on_exception"]:
            result.update(failed=True, msg="An event handler for %s failed: %s. Set fail_on_exception: false to get "
                                           "the returned EventData instead." % (event_type, exception))
        elif result["blocked"] and params["fail_on_block"]:
            result.update(failed=True, msg="An event handler for %s blocked the event: %s" % (
                event_type, result["message"] or "(no message)"))
        return result

    return _with_client(params, redactor, work)
