# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""SuperOffice WebAPI client: base URLs, authentication headers, errors, calls.

Requests go through the collection's ``HttpTransport``; this layer adds what
SuperOffice defines: where ``/api/v1`` lives for Onsite and Online
installations, the four ways to authenticate, the ``SO-*`` headers, and how
its error bodies (``{"Error": true, "ErrorType": ..., "ErrorMessage": ...}``)
become messages a person can act on.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six.moves.urllib.parse import quote, urlsplit

from ansible_collections.scriptbridge.core.plugins.module_utils._errors import (
    AuthError,
    HttpStatusError,
    InvalidParamsError,
    NotFoundError,
    OptionError,
    ProtocolError,
    ScriptFailedError,
    UnreachableError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils._http import (
    HttpTransport,
    Redactor,
    body_excerpt,
    check_base_url,
    display_url,
    transport_argument_spec,
)

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

# Headers that carry credentials: they come from no_log options only.
_CREDENTIAL_HEADERS = ("authorization", "so-apptoken", "x-xsrf-token", "cookie")
_API_SUFFIX = re.compile(r"(/api(/v1)?)?/*$", re.IGNORECASE)
_ONLINE_HOST = re.compile(r"(^|\.)superoffice\.com$", re.IGNORECASE)


def connection_argument_spec():
    """The SuperOffice connection options; ``plugins/doc_fragments/superoffice.py`` documents them."""
    spec = dict(
        url=dict(type="str", required=True, fallback=(env_fallback, ["SUPEROFFICE_URL"])),
        username=dict(type="str", fallback=(env_fallback, ["SUPEROFFICE_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_PASSWORD"])),
        ticket=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_TICKET"])),
        access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_ACCESS_TOKEN"])),
        app_token=dict(type="str", no_log=True, fallback=(env_fallback, ["SUPEROFFICE_APP_TOKEN"])),
        xsrf_token=dict(type="str", no_log=True),
        language=dict(type="str"),
        culture=dict(type="str"),
        time_zone=dict(type="str"),
        headers=dict(type="dict"),
    )
    spec.update(transport_argument_spec())
    return spec


def api_url(url):
    """The ``.../api/v1/`` root from an installation or tenant base URL."""
    url = check_base_url(url)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise OptionError("url %r has a query or fragment; give the installation's base URL only." % display_url(url))
    return _API_SUFFIX.sub("", url) + "/api/v1/"


def is_online(url):
    return bool(_ONLINE_HOST.search(urlsplit(url).hostname or ""))


def to_string_map(values, option):
    """A dict for the API's flat string->string maps: text stays, the rest becomes JSON text."""
    if values is None:
        return {}
    result = {}
    for key, value in values.items():
        if value is None:
            result[str(key)] = ""
        elif isinstance(value, str):
            result[str(key)] = value
        elif isinstance(value, bool):
            result[str(key)] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            result[str(key)] = str(value)
        else:
            try:
                result[str(key)] = json.dumps(value, sort_keys=True, separators=(",", ":"))
            except (TypeError, ValueError):
                raise OptionError("%s[%r] cannot be turned into text for the API." % (option, key))
    return result


def odata_string(value):
    """A string literal for ``$filter``."""
    return "'%s'" % value.replace("'", "''")


def canonical_event_type(name):
    """The EventHandlerType spelled as the API spells it, or an error naming the closest ones."""
    if name in EVENT_HANDLER_TYPES:
        return name
    by_lower = dict((n.lower(), n) for n in EVENT_HANDLER_TYPES)
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name, EVENT_HANDLER_TYPES, n=3, cutoff=0.6)
    hint = (" Did you mean %s?" % " or ".join(close)) if close else ""
    raise OptionError("%r is not a SuperOffice event handler type.%s The %d valid names are listed in the "
                      "EventHandlerType enum of the WebAPI reference." % (name, hint, len(EVENT_HANDLER_TYPES)))


def snake_case(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class SuperOfficeClient:
    """Authenticated calls to one SuperOffice installation or tenant."""

    def __init__(self, params, redactor=None):
        self.base = api_url(params["url"])
        self.online = is_online(params["url"])
        self.redactor = redactor or Redactor()
        self.scheme = self.check_credentials(params, self.online)
        headers, basic = self._headers(params)
        self.transport = HttpTransport(
            validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
            timeout=params.get("timeout"), pool_size=1, headers=headers, basic_auth=basic, redactor=self.redactor,
        )

    @staticmethod
    def check_credentials(params, online):
        """Exactly one way to authenticate; returns its name."""
        given = [name for name, present in (
            ("username and password", params.get("username") or params.get("password")),
            ("ticket", params.get("ticket")),
            ("access_token", params.get("access_token")),
            ("xsrf_token", params.get("xsrf_token")),
        ) if present]
        if len(given) != 1:
            raise OptionError(
                "SuperOffice needs exactly one way to authenticate: username and password (Basic, Onsite), "
                "ticket (SOTicket), access_token (Bearer, Online) or xsrf_token (web session); %s."
                % ("none was given" if not given else "got " + ", ".join(given))
            )
        scheme = given[0]
        if scheme == "username and password" and not (params.get("username") and params.get("password")):
            raise OptionError("username and password go together: give both.")
        if online and scheme == "username and password":
            raise OptionError("SuperOffice Online does not accept username and password (Basic); use access_token, "
                              "or ticket with app_token.")
        if online and scheme == "ticket" and not params.get("app_token"):
            raise OptionError("SuperOffice Online needs app_token (the application's client secret) with a ticket.")
        return scheme

    def _headers(self, params):
        headers, basic = {}, None
        for name in ("ticket", "access_token", "app_token", "xsrf_token"):
            self.redactor.add(params.get(name))
        if params.get("username"):
            basic = (params["username"], params["password"])
        elif params.get("ticket"):
            headers["Authorization"] = "SOTicket %s" % params["ticket"]
        elif params.get("access_token"):
            headers["Authorization"] = "Bearer %s" % params["access_token"]
        else:
            headers["X-XSRF-TOKEN"] = params["xsrf_token"]
        if params.get("app_token"):
            headers["SO-AppToken"] = params["app_token"]
        if params.get("language"):
            headers["Accept-Language"] = headers["SO-Language"] = params["language"]
        if params.get("culture"):
            headers["SO-Culture"] = params["culture"]
        if params.get("time_zone"):
            headers["SO-TimeZone"] = params["time_zone"]
        for name, value in (params.get("headers") or {}).items():
            if str(name).lower() in _CREDENTIAL_HEADERS:
                raise OptionError("headers must not set %s: use the matching option, which keeps it out of logs." % name)
            headers[str(name)] = str(value)
        return headers, basic

    def close(self):
        self.transport.close()

    def request(self, method, path, payload=None, params=None):
        """Call ``path`` (relative to ``/api/v1/``) and return the parsed JSON answer."""
        url = self.base + path
        response = self.transport.request(method, url, payload=payload, params=params)
        if 200 <= response.status < 300:
            if not response.content.strip():
                return None
            return response.json()
        raise self._error(response, path)

    def _error(self, response, path):
        status, where = response.status, display_url(response.url)
        error_type, message = _error_body(response)
        detail = "%s: %s" % (error_type, message) if error_type else message
        if status == 401:
            return AuthError(
                "SuperOffice refused the credentials (HTTP 401) for %s%s. %s"
                % (where, ": " + detail if message != "(empty)" else "", self._auth_hint()), status=status)
        if status == 403:
            return AuthError(
                "SuperOffice denied access (HTTP 403) to %s: %s. The user lacks the right, or (Online) the CRMScript "
                "agent is not enabled for this application: it must be requested when the app is registered."
                % (where, detail), status=status, kind="not_found_or_forbidden")
        if status == 421:
            return UnreachableError(
                "SuperOffice answered 421 Misdirected Request for %s: this tenant is served from another sub-domain. "
                "Look up its API host with GET https://online.superoffice.com/api/state/<ContextIdentifier> "
                "(field Endpoint, for example https://online2.superoffice.com/Cust12345) and use that as url."
                % where, status=status)
        if status == 404:
            return NotFoundError("SuperOffice answered 404 for %s: %s" % (where, detail), status=status)
        if status == 400:
            return InvalidParamsError("SuperOffice refused the request to %s (HTTP 400): %s" % (where, detail), status=status)
        if status >= 500 and error_type:
            return ScriptFailedError(
                "SuperOffice failed while running %s (HTTP %s): %s" % (path.split("?")[0], status, detail),
                status=status, data=message, may_have_run=True)
        return HttpStatusError("SuperOffice answered HTTP %s %s for %s: %s" % (status, response.reason, where, detail),
                               status=status, may_have_run=status >= 500 and status != 503)

    def _auth_hint(self):
        return {
            "username and password": "Check username and password, and that the installation allows Basic "
                                     "authentication (AuthorizeWithUsername).",
            "ticket": "Check that the ticket is current (tickets expire after 6 hours without use)%s."
                      % (" and that app_token is the application's client secret" if self.online else ""),
            "access_token": "Check that the access token is current (they live one hour).",
            "xsrf_token": "Check that xsrf_token comes from the same web session.",
        }[self.scheme]

    # -- CRMScript ----------------------------------------------------------

    def script_by_id(self, script_id):
        return self.request("GET", "CRMScript/%d" % script_id, params={
            "$select": "EjscriptId,UniqueIdentifier,IncludeId,Name"})

    def find_scripts(self, column, value):
        """Scripts whose ``column`` equals ``value`` (the Ejscripts archive)."""
        answer = self.request("GET", "CRMScript", params={
            "$select": "ejscriptId,uniqueIdentifier,includeId,name",
            "$filter": "%s eq %s" % (column, odata_string(value)),
        })
        if not isinstance(answer, dict) or not isinstance(answer.get("value"), list):
            raise ProtocolError("The CRMScript list did not come back as an OData list: %s" % body_excerpt(str(answer)))
        return answer["value"]

    def execute_script(self, script_ref, parameters):
        """Run a script by EjscriptId or UniqueIdentifier (one URL shape for both)."""
        return self._output(self.request("POST", "CRMScript/%s/Execute" % quote(str(script_ref), safe=""),
                                         payload=parameters))

    def execute_script_by_include_id(self, include_id, parameters):
        return self._output(self.request("POST", "Agents/CRMScript/ExecuteScriptByIncludeId",
                                         payload={"CRMScriptIncludeId": include_id, "Parameters": parameters}))

    @staticmethod
    def _output(answer):
        if answer is None:
            return ""
        if not isinstance(answer, str):
            raise ProtocolError("The script's output did not come back as a JSON string: %s" % body_excerpt(str(answer)))
        return answer

    # -- event handlers -------------------------------------------------------

    def execute_event_handlers(self, event_data, select=None):
        params = {"$select": ",".join(select)} if select else None
        answer = self.request("POST", "Agents/CustomerService/ExecuteEventHandlers",
                              payload={"EventData": event_data}, params=params)
        if not isinstance(answer, dict):
            raise ProtocolError("ExecuteEventHandlers did not return an EventData object: %s" % body_excerpt(str(answer)))
        return answer

    def event_handler_exists(self, event_type):
        answer = self.request("POST", "Agents/CustomerService/EventHandlerExists", payload={"EventHandlerType": event_type})
        if not isinstance(answer, bool):
            raise ProtocolError("EventHandlerExists did not return true or false: %s" % body_excerpt(str(answer)))
        return answer


def _error_body(response):
    """(ErrorType, ErrorMessage) of a SuperOffice error body, or (None, an excerpt)."""
    try:
        body = json.loads(response.text)
    except ValueError:
        return None, body_excerpt(response.text)
    if isinstance(body, dict):
        if body.get("ErrorMessage") or body.get("ErrorType"):
            return body.get("ErrorType"), str(body.get("ErrorMessage") or "")
        if body.get("Message"):
            return None, str(body["Message"])
    return None, body_excerpt(response.text)
