# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The task of ``superoffice_event_handlers``: run the handlers of an event, or ask whether there are any.

``EventHandlersTask`` is built from the module's options and a client;
``predict()`` (check mode) only asks ``EventHandlerExists``, ``execute()``
runs the handlers. Every failure is a ``ScriptBridgeError`` that the base
module turns into ``failed: true``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import Task
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.connection import SUPEROFFICE
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.vocabulary import (
    EVENT_DATA_FIELDS,
    canonical_event_type,
    event_data_field,
    snake_case,
    to_string_map,
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


def event_result(event):
    """The returned EventData with snake_case top-level keys, and the convenience keys."""
    converted = dict((snake_case(key), value) for key, value in event.items())
    for field in EVENT_DATA_FIELDS:
        converted.setdefault(snake_case(field), None)
    return {
        "event": converted,
        "blocked": bool(converted["block_execution"]),
        "message": converted["message"],
        "output_values": converted["output_values"] or {},
        "navigate_to": converted["navigate_to"],
    }


def event_data(params):
    """The EventData to send: the type and the maps given."""
    data = {"Type": canonical_event_type(params["event_type"])}
    for option, field in (("input_values", "InputValues"), ("state_values", "StateValues"),
                          ("output_values", "OutputValues")):
        if params.get(option) is not None:
            data[field] = to_string_map(params[option], option)
    return data


def selected_fields(params):
    """``$select`` from ``select``, plus the fields the fail_on_* checks read."""
    fields = [event_data_field(name) for name in params.get("select") or [] if name and name.strip()]
    if not fields:
        return []
    needed = []
    if params.get("fail_on_exception", True):
        needed.append("Exception")
    if params.get("fail_on_block"):
        needed.extend(("BlockExecution", "Message"))
    return fields + [name for name in needed if name not in fields]


class EventHandlersTask(Task):
    """``superoffice_event_handlers``: run the handlers of an event, or in check mode ask whether there are any."""

    connection = SUPEROFFICE
    argument_spec = EVENT_HANDLERS_ARGUMENT_SPEC

    @classmethod
    def check_options(cls, params):
        return {"data": event_data(params), "select": selected_fields(params),
                "fail_on_exception": params.get("fail_on_exception", True), "fail_on_block": params.get("fail_on_block")}

    def predict(self):
        exists = self.client.event_handler_exists(self.options["data"]["Type"])
        return {"changed": exists, "handlers_exist": exists}

    def execute(self):
        data = self.options["data"]
        event_type = data["Type"]
        exists = self.client.event_handler_exists(event_type)
        result = event_result(self.client.execute_event_handlers(data, self.options["select"]))
        exception = result["event"]["exception"]
        result.update(changed=exists or bool(exception), handlers_exist=exists)
        if exception and self.options["fail_on_exception"]:
            result.update(failed=True, msg="The event handlers of %s failed: %s. Set fail_on_exception: false to get "
                                           "the returned EventData instead of a failure." % (event_type, exception))
        elif result["blocked"] and self.options["fail_on_block"]:
            result.update(failed=True, msg="An event handler of %s blocked the event: %s (fail_on_block is true)."
                                           % (event_type, result["message"] or "no message given"))
        return result
