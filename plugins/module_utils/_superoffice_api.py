# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""What the SuperOffice WebAPI defines, as data and pure functions.

Where ``/api/v1`` lives for Onsite installations and Online tenants, the names
of the EventHandlerType enum and the EventData fields, and how option values
become the API's flat string maps. No requests are made here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import math
import re

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.scriptbridge.core.plugins.module_utils._errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils._http import check_base_url, display_url

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

_API_SUFFIX = re.compile(r"(/api(/v1)?)?/*$", re.IGNORECASE)
# A tenant id ("context identifier") is "Cust" and digits.
_TENANT = re.compile(r"^Cust\d+$", re.IGNORECASE)
# One documentation page writes the REST root of a tenant as .../api/v1/Cust12345.
_API_BEFORE_TENANT = re.compile(r"^/api(/v1)?/(Cust\d+)/*$", re.IGNORECASE)
_ONLINE_HOST = re.compile(r"(^|\.)superoffice\.com$", re.IGNORECASE)
# Online environments: the host of the authentication and tenant-state services.
_ONLINE_ENVIRONMENTS = ("online", "sod", "qaonline", "stage")


def base_url(url):
    """The installation or tenant base URL: no trailing ``/``, ``/api`` or ``/api/v1``."""
    url = check_base_url(url)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise OptionError("The url option %r has a query or fragment; give the installation's or tenant's base URL only, "
                          "for example https://crm.example.com/SuperOffice or https://online2.superoffice.com/Cust12345."
                          % display_url(url))
    path = parts.path
    misplaced = _API_BEFORE_TENANT.match(path)
    if misplaced:
        path = "/" + misplaced.group(2)
    path = _API_SUFFIX.sub("", path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def api_url(url):
    """The ``.../api/v1/`` root from an installation or tenant base URL."""
    return base_url(url) + "/api/v1/"


def tenant_id(url):
    """The Online tenant id (``Cust12345``) when the base URL is a tenant URL, else None."""
    segments = [part for part in urlsplit(base_url(url)).path.split("/") if part]
    if len(segments) == 1 and _TENANT.match(segments[0]):
        return segments[0]
    return None


def is_online(url):
    """SuperOffice Online: a host under superoffice.com. No other host is judged by the shape of its path."""
    return bool(_ONLINE_HOST.search(urlsplit(base_url(url)).hostname or ""))


def tenant_state_url(url):
    """Where the tenant-status service tells the API host of this tenant."""
    host = (urlsplit(base_url(url)).hostname or "").lower()
    match = re.match(r"^([a-z]+?)\d*\.superoffice\.com$", host)
    environment = match.group(1) if match and match.group(1) in _ONLINE_ENVIRONMENTS else "online"
    return "https://%s.superoffice.com/api/state/%s" % (environment, tenant_id(url) or "<tenant id, Cust12345>")


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
