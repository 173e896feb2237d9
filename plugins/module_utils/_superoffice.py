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

import base64
import difflib
import json
import math
import re

from ansible.module_utils.basic import env_fallback
from urllib.parse import quote, urlsplit, urlunsplit

from ansible_collections.scriptbridge.core.plugins.module_utils._errors import (
    AuthError,
    HttpStatusError,
    InvalidParamsError,
    NotFoundError,
    OptionError,
    ProtocolError,
    ScriptFailedError,
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

AUTH_BASIC = "username and password"
AUTH_TICKET = "ticket"
AUTH_BEARER = "access_token"
AUTH_XSRF = "xsrf_token"

# Headers that carry credentials: they come from no_log options only.
_CREDENTIAL_HEADERS = {
    "authorization": "username/password, ticket or access_token",
    "so-apptoken": "app_token",
    "x-xsrf-token": "xsrf_token",
    "cookie": "session_cookie",
}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_API_SUFFIX = re.compile(r"(/api(/v1)?)?/*$", re.IGNORECASE)
# A tenant id ("context identifier") is "Cust" and digits.
_TENANT = re.compile(r"^Cust\d+$", re.IGNORECASE)
# One documentation page writes the REST root of a tenant as .../api/v1/Cust12345.
_API_BEFORE_TENANT = re.compile(r"^/api(/v1)?/(Cust\d+)/*$", re.IGNORECASE)
_ONLINE_HOST = re.compile(r"(^|\.)superoffice\.com$", re.IGNORECASE)
# Online environments: the host of the authentication and tenant-state services.
_ONLINE_ENVIRONMENTS = ("online", "sod", "qaonline", "stage")
# Rows read to suggest scripts when a name matches none.
LIST_LIMIT = 500
_SCHEME_PREFIX = re.compile(r"^(SOTicket|Bearer)(\s+|$)", re.IGNORECASE)


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
        session_cookie=dict(type="str", no_log=True),
        language=dict(type="str"),
        culture=dict(type="str"),
        time_zone=dict(type="str"),
        headers=dict(type="dict"),
    )
    spec.update(transport_argument_spec())
    return spec


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
    """SuperOffice Online: a host of superoffice.com, or a base URL that is a tenant id."""
    return bool(_ONLINE_HOST.search(urlsplit(base_url(url)).hostname or "")) or tenant_id(url) is not None


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


def _credential(value, option):
    """A token as given, without surrounding blanks or a pasted scheme name."""
    value = _SCHEME_PREFIX.sub("", (value or "").strip())
    if not value:
        raise OptionError("%s is empty." % option)
    if re.search(r"[\r\n]", value):
        raise OptionError("%s contains a line break; give the value alone." % option)
    return value


def _error_body(text):
    """The SuperOffice error body as a dict, or None when the body is something else."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(body, dict) and (body.get("ErrorMessage") or body.get("ErrorType")):
        return body
    return None


def _other_message(text, redactor):
    """The message of a non-SuperOffice JSON error (ASP.NET ``{"Message": ...}``), or an excerpt."""
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return body_excerpt(redactor.scrub(text))
    if isinstance(body, dict) and isinstance(body.get("Message"), str):
        return body["Message"]
    return body_excerpt(redactor.scrub(text))


class SuperOfficeClient:
    """Authenticated calls to one SuperOffice installation or tenant."""

    def __init__(self, params, redactor=None):
        self.url = base_url(params["url"])
        self.base = self.url + "/api/v1/"
        self.online = is_online(self.url)
        self.redactor = redactor or Redactor()
        self.scheme = self.check_credentials(params, self.online)
        self.transport = HttpTransport(
            validate_certs=params.get("validate_certs", True), ca_path=params.get("ca_path"),
            timeout=params.get("timeout"), pool_size=1, headers=self.headers(params), redactor=self.redactor,
        )

    @staticmethod
    def check_credentials(params, online):
        """Exactly one way to authenticate; returns its name."""
        given = [name for name, present in (
            (AUTH_BASIC, params.get("username") or params.get("password")),
            (AUTH_TICKET, params.get("ticket")),
            (AUTH_BEARER, params.get("access_token")),
            (AUTH_XSRF, params.get("xsrf_token")),
        ) if present]
        if len(given) != 1:
            raise OptionError(
                "SuperOffice needs exactly one way to authenticate: username and password (Basic, Onsite), "
                "ticket (SOTicket), access_token (Bearer, Online) or xsrf_token (web session); %s. They can also "
                "come from SUPEROFFICE_USERNAME/SUPEROFFICE_PASSWORD, SUPEROFFICE_TICKET or SUPEROFFICE_ACCESS_TOKEN."
                % ("none was given" if not given else "got " + " and ".join(given))
            )
        scheme = given[0]
        if scheme == AUTH_BASIC and not (params.get("username") and params.get("password")):
            raise OptionError("username and password go together: give both (or use ticket or access_token).")
        if scheme == AUTH_BASIC and ":" in params["username"]:
            raise OptionError("username must not contain ':' (Basic authentication cannot carry it).")
        if params.get("session_cookie") and scheme != AUTH_XSRF:
            raise OptionError("session_cookie belongs to xsrf_token (web-session authentication); drop it.")
        if online and scheme == AUTH_BASIC:
            raise OptionError("SuperOffice Online does not accept username and password (Basic authentication); "
                              "use access_token, or ticket with app_token.")
        if online and scheme == AUTH_TICKET and not params.get("app_token"):
            raise OptionError("SuperOffice Online needs app_token (the application's client secret, sent as "
                              "SO-AppToken) with a ticket; set app_token or SUPEROFFICE_APP_TOKEN.")
        return scheme

    def headers(self, params):
        """The headers of every request: credentials, SO-* options, extra headers."""
        headers = {}
        if self.scheme == AUTH_BASIC:
            pair = "%s:%s" % (params["username"], params["password"])
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
            self.redactor.add_basic_auth(params["username"], params["password"])
        elif self.scheme == AUTH_TICKET:
            ticket = _credential(params["ticket"], "ticket")
            headers["Authorization"] = "SOTicket %s" % ticket
            self.redactor.add(params["ticket"], ticket)
        elif self.scheme == AUTH_BEARER:
            token = _credential(params["access_token"], "access_token")
            headers["Authorization"] = "Bearer %s" % token
            self.redactor.add(params["access_token"], token)
        else:
            headers["X-XSRF-TOKEN"] = _credential(params["xsrf_token"], "xsrf_token")
            self.redactor.add(params["xsrf_token"], headers["X-XSRF-TOKEN"])
            if params.get("session_cookie"):
                headers["Cookie"] = _credential(params["session_cookie"], "session_cookie")
                self.redactor.add(headers["Cookie"], *[part.split("=", 1)[-1].strip()
                                                       for part in headers["Cookie"].split(";")])
        if params.get("app_token"):
            headers["SO-AppToken"] = _credential(params["app_token"], "app_token")
            self.redactor.add(params["app_token"], headers["SO-AppToken"])
        if params.get("language"):
            headers["Accept-Language"] = headers["SO-Language"] = params["language"]
        if params.get("culture"):
            headers["SO-Culture"] = params["culture"]
        if params.get("time_zone"):
            headers["SO-TimeZone"] = params["time_zone"]
        for name, value in (params.get("headers") or {}).items():
            name = str(name).strip()
            if name.lower() in _CREDENTIAL_HEADERS:
                raise OptionError("headers must not set %s: use the option %s, which keeps it out of logs."
                                  % (name, _CREDENTIAL_HEADERS[name.lower()]))
            if not _HEADER_NAME.match(name):
                raise OptionError("headers: %r is not a valid HTTP header name." % name)
            value = "" if value is None else str(value)
            if re.search(r"[\r\n]", value):
                raise OptionError("headers: the value of %s contains a line break." % name)
            headers[name] = value
        return headers

    def close(self):
        self.transport.close()

    def request(self, method, path, payload=None, params=None, action=None, runs=False):
        """Call ``path`` (relative to ``/api/v1/``) and return the parsed JSON answer.

        ``action`` says what the call does, for messages; ``runs`` marks calls that run
        scripts, whose failures after the request was sent may mean the script ran.
        """
        action = action or "calling %s" % path
        response = self.transport.request(method, self.base + path, payload=payload, params=params, acts=runs)
        if 200 <= response.status < 300:
            if not response.content.strip():
                return None
            try:
                return json.loads(response.text)
            except (ValueError, RecursionError):
                raise ProtocolError(
                    "While %s, %s answered HTTP %s with a body that is not JSON: %s. A proxy or a login page may have "
                    "answered instead of the WebAPI: check the url option.%s"
                    % (action, display_url(response.url), response.status, response.excerpt(),
                       " The request reached the server, so the script may have run." if runs else ""),
                    may_have_run=runs, status=response.status)
        raise self._error(response, action, runs)

    def _error(self, response, action, runs):
        """The error for a non-2xx answer: what happened, and what to do about it."""
        status, reason, where = response.status, response.reason or "", display_url(response.url)
        text = response.text
        body = _error_body(text)
        if body is not None:
            detail = ": ".join(str(part) for part in (body.get("ErrorType"), body.get("ErrorMessage")) if part)
            data = dict((key, body.get(key)) for key in ("ErrorType", "ErrorMessage", "ErrorSource"))
        else:
            detail = _other_message(text, self.redactor)
            data = None if detail == "(empty)" else detail
        detail = self.redactor.scrub(detail)
        data = self.redactor.scrub(data)
        said = "" if detail == "(empty)" else ": %s" % detail
        common = dict(status=status, code=status, data=data)
        if status == 401:
            # Challenges arrive joined by commas, their parameters (realm="...") too.
            offered = [part.split()[0] for part in response.headers.get("WWW-Authenticate", "").split(",")
                       if part.strip() and "=" not in part.split()[0]]
            offers = " The server offers: %s." % ", ".join(offered) if offered else ""
            return AuthError("SuperOffice did not accept the credentials (HTTP 401) while %s%s.%s %s"
                             % (action, said, offers, self._auth_hint()), **common)
        if status == 403:
            return AuthError(
                "SuperOffice denied access (HTTP 403) while %s%s. The user lacks the right to do this, or (Online) "
                "the CRMScript agent is not enabled for this application: it must be requested when the application "
                "is registered." % (action, said), kind="not_found_or_forbidden", **common)
        if status == 421:
            return HttpStatusError(
                "SuperOffice answered 421 Misdirected Request for %s: the tenant is served from another host. "
                "The bare online/sod hosts only sign users in; the API lives on numbered hosts such as "
                "online2.superoffice.com. Ask %s (field Endpoint) and use that as url." % (where, tenant_state_url(self.url)),
                **common)
        if status == 404 and body is not None:
            return NotFoundError("SuperOffice found nothing (HTTP 404) while %s%s." % (action, said), **common)
        if status == 404:
            return HttpStatusError(
                "Nothing answers at %s (HTTP 404%s). Check the url option: it must be the installation's base URL "
                "(for example https://crm.example.com/SuperOffice) or the tenant's (for example "
                "https://online2.superoffice.com/Cust12345)." % (where, said), **common)
        if status == 400:
            return InvalidParamsError("SuperOffice refused the request (HTTP 400) while %s%s." % (action, said), **common)
        if 300 <= status < 400:
            location = response.headers.get("Location")
            return HttpStatusError(
                "%s redirected the request (HTTP %s %s) to %s while %s. A redirect usually means a login page or a "
                "http:// URL that should be https://: check the url option and the credentials."
                % (where, status, reason, self.redactor.scrub(display_url(location)) if location else "nowhere",
                   action), **common)
        if status >= 500 and body is not None and runs:
            return ScriptFailedError("SuperOffice failed (HTTP %s) while %s%s. The script started, so it may have run "
                                     "in part: check its effects before running it again." % (status, action, said),
                                     may_have_run=True, **common)
        if status >= 500 and body is not None:
            return HttpStatusError("SuperOffice failed (HTTP %s) while %s%s." % (status, action, said), **common)
        ran = runs and status >= 500 and status != 503
        return HttpStatusError(
            "SuperOffice answered HTTP %s %s for %s while %s%s.%s"
            % (status, reason, where, action, said,
               " The request reached the server, so the script may have run; check before running it again." if ran else ""),
            may_have_run=ran, **common)

    def _auth_hint(self):
        return {
            AUTH_BASIC: "Check username and password, and that the installation allows Basic authentication "
                        "(web.config WebApi AuthorizeWithUsername).",
            AUTH_TICKET: "Check that the ticket is current (tickets expire after 6 hours without use)%s."
                         % (" and that app_token is the application's client secret" if self.online else ""),
            AUTH_BEARER: "Check that the access token is current (they live one hour)%s."
                         % ("" if self.online else "; Bearer tokens are for SuperOffice Online, Onsite uses a ticket "
                                                   "or username and password"),
            AUTH_XSRF: "Check that xsrf_token and session_cookie come from the same, still open, web session.",
        }[self.scheme]

    # -- CRMScript ----------------------------------------------------------

    def script_by_id(self, script_id):
        """The script's id, unique id, include id and name (``$select`` nulls the rest)."""
        return self.request("GET", "CRMScript/%d" % script_id,
                            params={"$select": "EjscriptId,UniqueIdentifier,IncludeId,Name"},
                            action="looking up CRMScript %d" % script_id)

    def find_scripts(self, column, value):
        """Rows of the Ejscripts archive whose text ``column`` equals ``value`` (``is``: string equality)."""
        return self._archive({"$filter": "%s is %s" % (column, odata_string(value))},
                             "looking up the CRMScript with %s %r" % (column, value))

    def list_scripts(self, top=LIST_LIMIT):
        """The first ``top`` rows of the Ejscripts archive, by name (to suggest candidates)."""
        return self._archive({"$orderBy": "name", "$top": str(top)}, "listing the CRMScripts")

    def _archive(self, query, action):
        query = dict(query, **{"$select": "ejscriptId,uniqueIdentifier,includeId,name"})
        answer = self.request("GET", "CRMScript", params=query, action=action)
        if not isinstance(answer, dict) or not isinstance(answer.get("value"), list):
            raise ProtocolError("The CRMScript list did not come back as an OData list while %s: %s"
                                % (action, body_excerpt(self.redactor.scrub(json.dumps(answer)))))
        return [row for row in answer["value"] if isinstance(row, dict)]

    def execute_script(self, script_id, parameters):
        """Run a script by EjscriptId."""
        return self._output(self.request("POST", "CRMScript/%d/Execute" % script_id, payload=parameters,
                                         action="running CRMScript %d" % script_id, runs=True))

    def execute_script_by_unique_id(self, unique_id, parameters):
        """Run a script by UniqueIdentifier.

        The REST URL takes ids and unique ids in the same place and reads an integer as an
        id, so a unique id that looks like a number goes through the agent instead.
        """
        action = "running the CRMScript with unique_id %r" % unique_id
        if re.match(r"^\s*[-+]?\d+\s*$", unique_id):
            answer = self.request("POST", "Agents/CRMScript/ExecuteScriptByUniqueId", action=action, runs=True,
                                  payload={"CRMScriptUniqueId": unique_id, "Parameters": parameters})
        else:
            answer = self.request("POST", "CRMScript/%s/Execute" % quote(unique_id, safe=""), payload=parameters,
                                  action=action, runs=True)
        return self._output(answer)

    def execute_script_by_include_id(self, include_id, parameters):
        """Run a script by IncludeId (CRMScript agent)."""
        return self._output(self.request("POST", "Agents/CRMScript/ExecuteScriptByIncludeId",
                                         payload={"CRMScriptIncludeId": include_id, "Parameters": parameters},
                                         action="running the CRMScript with include_id %r" % include_id, runs=True))

    def _output(self, answer):
        if answer is None:
            return ""
        if not isinstance(answer, str):
            raise ProtocolError("The answer to running the script was not its output as a JSON string: %s. The script "
                                "may have run." % body_excerpt(self.redactor.scrub(json.dumps(answer))), may_have_run=True)
        return answer

    # -- event handlers -------------------------------------------------------

    def execute_event_handlers(self, event_data, select=None):
        """Run the handlers of ``event_data["Type"]``; returns the EventData they left."""
        params = {"$select": ",".join(select)} if select else None
        answer = self.request("POST", "Agents/CustomerService/ExecuteEventHandlers", payload={"EventData": event_data},
                              params=params, action="running the event handlers of %s" % event_data["Type"], runs=True)
        if not isinstance(answer, dict):
            raise ProtocolError("ExecuteEventHandlers did not return an EventData object: %s. The handlers may have run."
                                % body_excerpt(self.redactor.scrub(json.dumps(answer))), may_have_run=True)
        return answer

    def event_handler_exists(self, event_type):
        """Whether any handler is registered for ``event_type``."""
        answer = self.request("POST", "Agents/CustomerService/EventHandlerExists", payload={"EventHandlerType": event_type},
                              action="asking whether %s has event handlers" % event_type)
        if not isinstance(answer, bool):
            raise ProtocolError("EventHandlerExists did not return true or false: %s"
                                % body_excerpt(self.redactor.scrub(json.dumps(answer))))
        return answer
