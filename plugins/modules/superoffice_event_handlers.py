#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: superoffice_event_handlers
short_description: Run the CRMScript event handlers of a SuperOffice event
version_added: 0.1.0
description:
  - Runs the CRMScript event handlers registered for an event type
    (C(POST /api/v1/Agents/CustomerService/ExecuteEventHandlers)) and returns the EventData they produced.
author:
  - scriptbridge.core maintainers (@scriptbridge)
extends_documentation_fragment:
  - scriptbridge.core.superoffice
  - scriptbridge.core.superoffice_online
  - scriptbridge.core.transport
  - scriptbridge.core.attributes
  - scriptbridge.core.attributes.ACTIONGROUP_SUPEROFFICE
options:
  event_type:
    description:
      - The event, as an EventHandlerType name such as V(SalesBeforeSaveSale) or V(TicketSave).
      - The name is checked against the 109 names of the WebAPI; an unknown name fails with the closest valid names.
        Case does not matter.
    type: str
    required: true
    aliases: [type]
  input_values:
    description:
      - EventData.InputValues, the values the handlers read (C(ed.getInputValue("SaleEntity.Amount"))).
      - Values are sent as text, like O(scriptbridge.core.superoffice_crmscript_execute#module:parameters).
    type: dict
  state_values:
    description:
      - EventData.StateValues, kept between handlers.
    type: dict
  output_values:
    description:
      - EventData.OutputValues sent in.
    type: dict
  select:
    description:
      - Top-level EventData fields to return (C($select)), as the API names them (V(OutputValues)) or in snake_case
        (V(output_values)); the others come back null. An unknown field fails before anything runs.
      - C(Exception) is always asked for when O(fail_on_exception) is true, and C(BlockExecution) and C(Message)
        when O(fail_on_block) is true.
    type: list
    elements: str
  fail_on_block:
    description:
      - Fail the task when a handler set BlockExecution, with the handler's Message.
    type: bool
    default: false
  fail_on_exception:
    description:
      - Fail the task when the handlers failed (EventData.Exception is set).
    type: bool
    default: true
notes:
  - The module first asks C(EventHandlerExists). RV(ignore:changed) is true when handlers are registered for the
    event type (and so ran), false when none are.
  - In check mode no handler runs; the module only asks C(EventHandlerExists) and returns RV(handlers_exist).
seealso:
  - module: scriptbridge.core.superoffice_crmscript_execute
"""

EXAMPLES = r"""
- name: Ask the sale handlers whether a sale may be saved
  scriptbridge.core.superoffice_event_handlers:
    url: https://crm.example.com/SuperOffice
    ticket: "{{ superoffice_ticket }}"
    event_type: SalesBeforeSaveSale
    input_values:
      SaleEntity.Amount: 50
      IsNew: true
  register: verdict

- name: Stop when a handler blocked it
  ansible.builtin.fail:
    msg: "{{ verdict.message }}"
  when: verdict.blocked

- name: Let the handlers decide what to run
  scriptbridge.core.superoffice_event_handlers:
    event_type: TicketSave
    input_values:
      ticket.id: "4711"
    select: [output_values, message, block_execution]
  module_defaults:
    group/scriptbridge.core.superoffice:
      url: https://online2.superoffice.com/Cust12345
      access_token: "{{ superoffice_access_token }}"
  register: decision
"""

RETURN = r"""
event:
  description:
    - The EventData the handlers returned, with its top-level keys in snake_case. Keys inside the maps are kept as sent.
  returned: when the handlers ran
  type: dict
  contains:
    type:
      description: The event type.
      type: str
    input_values:
      description: InputValues.
      type: dict
    block_execution:
      description: Whether a handler blocked the event.
      type: bool
    navigate_to:
      description: Where the client should go next.
      type: str
    message:
      description: A message for the user.
      type: str
    show_dialog:
      description: A dialog definition (JSON text), if a handler asked for one.
      type: str
    output_values:
      description: OutputValues.
      type: dict
    state_values:
      description: StateValues.
      type: dict
    exception:
      description: The error text when the handlers failed.
      type: str
    parser_values:
      description: ParserValues.
      type: dict
    cgi_variables:
      description: CgiVariables.
      type: dict
    cgi_content:
      description: CgiContent.
      type: str
    headers:
      description: Headers.
      type: dict
    trace_execution:
      description: TraceExecution.
      type: bool
    table_right:
      description: TableRight.
      type: dict
    field_properties:
      description: FieldProperties.
      type: dict
blocked:
  description: Whether a handler set BlockExecution.
  returned: when the handlers ran
  type: bool
message:
  description: The handlers' Message.
  returned: when the handlers ran
  type: str
output_values:
  description: The handlers' OutputValues; an empty dict when there are none.
  returned: when the handlers ran
  type: dict
navigate_to:
  description: The handlers' NavigateTo.
  returned: when the handlers ran
  type: str
handlers_exist:
  description: Whether any handler is registered for the event type (C(EventHandlerExists)).
  returned: success
  type: bool
error:
  description:
    - What went wrong - C(code) (the HTTP status), C(message), C(data) (the SuperOffice error body), C(kind).
    - Not set when the task fails because of O(fail_on_block) or O(fail_on_exception); the EventData is returned then.
  returned: failure
  type: dict
"""

from ansible_collections.scriptbridge.core.plugins.module_utils.core.module import ScriptBridgeModule
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.event_handlers_task import EventHandlersTask


def main():
    ScriptBridgeModule(EventHandlersTask).run()


if __name__ == "__main__":
    main()
