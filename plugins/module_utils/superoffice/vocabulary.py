# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""What the SuperOffice WebAPI names: event handler types, EventData fields, flat string maps.

The names of the EventHandlerType enum and the EventData fields, as the
official Swagger specs spell them, and how option values become the API's
flat string maps and OData literals. No requests are made here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import math
import re

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError


# EventHandlerType names of the WebAPI (the enum of the official Swagger specs).
EVENT_HANDLER_TYPES = tuple("""
    Unknown NewTicket NewTicketFromCustomerCenter NewTicketFromEmail
    NewTicketFromCustomerCenterBeforeSave NewTicketFromSpmLink NewNotifyTicketFromForm
    NewTicketFromForm TicketSave TicketClosed TicketPostponed TicketDeleted TicketActivated
    TicketReopened TicketReopenedFromCustomerCenter TicketReopenedFromEmail
    TicketChangedPriority TicketChangedCategory TicketChangedOwnedBy
    TicketChangedPrimaryCustomer TicketChangedTicketStatus TicketChangedSlevel
    TicketMessageAdded TicketInternalMessageAdded TicketExternalMessageAdded
    TicketMessageSentimentCalculated CompactModeInjection CustomerCenterAuthentication
    ScheduledTaskFailed DbiTaskFailed CustomerSetSubscriptions ImportMailBeforeProcessing
    ImportMailAfterProcessing MainMenu ChatNewSession ChatSessionChangedStatus
    ChatBeforeSaveNewMessage ChatAfterSaveNewMessage ServiceScreenNewTicketLoad
    ServiceScreenNewQuickTicketLoad ServiceScreenListTicketMessagesLoad
    ServiceScreenAddMessageLoad ServiceScreenEditTicketLoad ServiceScreenViewCustomerLoad
    ServiceScreenEditCustomerLoad ServiceScreenViewCompanyLoad ServiceScreenEditCompanyLoad
    ServiceScreenForwardLoad ServiceScreenEditExtraTableLoad ServiceScreenNewTicketBeforeSubmit
    ServiceScreenNewQuickTicketBeforeSubmit ServiceScreenListTicketMessagesBeforeSubmit
    ServiceScreenAddMessageBeforeSubmit ServiceScreenEditTicketBeforeSubmit
    ServiceScreenViewCustomerBeforeSubmit ServiceScreenEditCustomerBeforeSubmit
    ServiceScreenViewCompanyBeforeSubmit ServiceScreenEditCompanyBeforeSubmit
    ServiceScreenForwardBeforeSubmit ServiceScreenEditExtraTableBeforeSubmit
    ServiceScreenNewTicketAfterSubmit ServiceScreenNewQuickTicketAfterSubmit
    ServiceScreenListTicketMessagesAfterSubmit ServiceScreenAddMessageAfterSubmit
    ServiceScreenEditTicketAfterSubmit ServiceScreenViewCustomerAfterSubmit
    ServiceScreenEditCustomerAfterSubmit ServiceScreenViewCompanyAfterSubmit
    ServiceScreenEditCompanyAfterSubmit ServiceScreenForwardAfterSubmit
    ServiceScreenEditExtraTableAfterSubmit SalesBeforeSaveAppointment SalesBeforeSaveStakeholder
    SalesBeforeSaveQuote SalesBeforeSaveDocument SalesBeforeSaveContact SalesBeforeSavePerson
    SalesBeforeSaveRelation SalesBeforeSaveSale SalesBeforeSaveProject SalesBeforeSaveSelection
    SalesBeforeSaveProjectMember SalesBeforeSaveSelectionMember SalesBeforeSaveQuoteLine
    SalesBeforeSaveApproveQuote SalesBeforeSaveRejectQuote SalesBeforeSaveTicket
    SalesLoadCustomObject SalesBeforeSaveCustomObject SalesAfterSaveAppointment
    SalesAfterSaveStakeholder SalesAfterSaveQuote SalesAfterSaveDocument SalesAfterSaveContact
    SalesAfterSavePerson SalesAfterSaveRelation SalesAfterSaveSale SalesAfterSaveProject
    SalesAfterSaveSelection SalesAfterSaveProjectMember SalesAfterSaveSelectionMember
    SalesAfterSaveQuoteLine SalesAfterSaveApproveQuote SalesAfterSaveRejectQuote
    SalesAfterSaveTicket SalesAfterSaveCustomObject SalesSplitTicket SalesLoadTicket
    SalesLoadTicketMessage
""".split())


EVENT_DATA_FIELDS = (
    "Type", "InputValues", "BlockExecution", "NavigateTo", "Message", "ShowDialog", "OutputValues",
    "StateValues", "Exception", "ParserValues", "CgiVariables", "CgiContent", "Headers", "TraceExecution",
    "TableRight", "FieldProperties",
)


def to_string_map(values, option):
    """A dict for the API's flat string->string maps: text stays, the rest becomes JSON text."""
    if values is None:
        return {}
    result = {}
    for key, value in values.items():
        if value is None:
            text = ""
        elif isinstance(value, str):
            text = value
        elif isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int) or (isinstance(value, float) and math.isfinite(value)):
            text = str(value)
        else:
            try:
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
            except (TypeError, ValueError):
                raise OptionError("%s[%r] cannot be turned into text for SuperOffice: give a string, number, "
                                  "boolean, list or dict." % (option, key))
        result[str(key)] = text
    return result


def odata_string(value):
    """A string literal for ``$filter`` (quotes doubled, as OData escapes them)."""
    return "'%s'" % value.replace("'", "''")


def canonical_event_type(name):
    """The EventHandlerType spelled as the API spells it, or an error naming the closest ones."""
    text = (name or "").strip()
    by_lower = dict((n.lower(), n) for n in EVENT_HANDLER_TYPES)
    if text.lower() in by_lower:
        return by_lower[text.lower()]
    close = [by_lower[n] for n in difflib.get_close_matches(text.lower(), list(by_lower), n=5, cutoff=0.6)]
    hint = (" The closest valid names: %s." % ", ".join(close)) if close else ""
    raise OptionError("event_type %r is not a SuperOffice event handler type.%s The %d valid names are those of the "
                      "EventHandlerType enum of the WebAPI (for example SalesBeforeSaveSale, TicketSave)."
                      % (name, hint, len(EVENT_HANDLER_TYPES)))


def event_data_field(name):
    """The EventData field for a ``select`` entry: ``OutputValues``, ``output_values`` or ``outputvalues``."""
    head, sep, rest = name.strip().partition("/")
    by_key = dict((field.lower(), field) for field in EVENT_DATA_FIELDS)
    field = by_key.get(head.replace("_", "").lower())
    if field is None:
        raise OptionError("select: %r is not an EventData field; choose from %s (snake_case works too)."
                          % (name, ", ".join(EVENT_DATA_FIELDS)))
    return field + sep + rest


def snake_case(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
