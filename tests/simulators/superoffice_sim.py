# pylint: disable=too-many-lines
"""A SuperOffice WebAPI simulator for the scriptbridge.core tests.

Standard library and the simulators' HTTP base (``base.py``). It serves the parts of the SuperOffice CRM WebAPI that
``superoffice_crmscript_execute`` and ``superoffice_event_handlers`` use, in the
shapes of the official Swagger 2.0 specs (CRMScript, CRMScriptAgent,
CustomerServiceAgent), and records every exchange for wire assertions.

Use it in process::

    with SuperOfficeSimulator(mode="online") as sim:
        requests.post(sim.url + "/api/v1/CRMScript/1/Execute", json={"name": "Ada"},
                      headers={"Authorization": "Bearer " + ACCESS_TOKEN})

or as a process (``launcher.py`` starts one; by hand, with ``build/collections`` on
``PYTHONPATH``): ``python tests/simulators/superoffice_sim.py --mode onsite --port 0``
prints ``SUPEROFFICE_SIM_URL=<base url>`` and serves until SIGTERM/SIGINT.

Base URL (``sim.url``)
    onsite: ``http://127.0.0.1:PORT/SuperOffice`` (``base_path``); online:
    ``http://127.0.0.1:PORT/Cust12345`` (``tenant``). The API lives under
    ``{base}/api/v1/``. Paths are matched case-insensitively and a trailing ``/``
    is ignored, as ASP.NET does.

Served operations (paths below ``{base}/api``)
    ===========================================  =======================================
    ``GET  /``                                   version info (JSON if asked, else HTML)
    ``GET  /v1``                                 the served URLs with their verbs
    ``GET  /v1/CRMScript``                       OData list (ODataSlimResponse)
    ``GET  /v1/CRMScript/{id}``                  CRMScriptEntityWithLinks
    ``POST /v1/CRMScript/{id|uniqueId}/Execute`` printed output as a JSON string
    ``POST /v1/Agents/CRMScript/ExecuteScript``  printed output, by EjscriptId
    ``POST .../ExecuteScriptByIncludeId``        printed output, by IncludeId
    ``POST .../ExecuteScriptByUniqueId``         printed output, by UniqueIdentifier
    ``POST /v1/Agents/CustomerService/``         bare EventData
    ``ExecuteEventHandlers``
    ``POST .../EventHandlerExists``              ``true`` / ``false``
    ``POST .../EventHandlersExists``             the given types that have a handler
    ``GET  /v1/Agents/{Agent}/{Method}``         a description of a served agent call
    ===========================================  =======================================

Fixture CRMScripts (``SCRIPTS`` holds their ids; ``reset()`` restores them). The
UniqueIdentifier of script N is ``7d0f9a3e-1b2c-4d5e-8f60-5c0ffee`` + N as 5 hex digits,
e.g. ``7d0f9a3e-1b2c-4d5e-8f60-5c0ffee0000a`` for 10.
    ==  ===============  ==================  =============================================
    Id  IncludeId        Name                prints
    ==  ===============  ==================  =============================================
    1   hello            Hello               ``Hello, <name>!`` (``getVariable("name")``,
                                             ``World`` when empty)
    2   json_output      JSON output         ``{"status":"ok","count":2,"hosts":["web01",``
                                             ``"db01"]}``
    3   echo_parameters  Echo parameters     its parameters as a JSON object, keys sorted
    4   throws           Throws              fails at run time (500 CRMScriptException)
    5   duplicate_a      Duplicate name      ``first``
    6   duplicate_b      Duplicate name      ``second``
    7   silent           Silent              nothing (``""``)
    8   slow             Slow                sleeps ``seconds`` (default ``slow_seconds``),
                                             then ``slept <seconds>``
    9   report           Remediation report  ``recorded``; keeps its parameters in
                                             ``reports`` / ``stats()["reports"]``; with a
                                             ``key`` parameter it keeps the ledger of
                                             event_remediation (``ledger``): ``status``
                                             ``started`` answers ``{"key", "state": "new"}``
                                             the first time, else the key's ``state``
                                             (``started`` or ``reported``, with its
                                             ``status``); another status is the outcome,
                                             answered ``{"key", "state": "reported",
                                             "status"}``
    10  echo_language    Echo language       ``SO-Language``, else ``Accept-Language``,
                                             else ``""``
    11  echo_headers     Echo headers        the request headers as JSON, lower-case
                                             names, credentials left out
    ==  ===============  ==================  =============================================

    ``add_ticket_script()`` adds one more (until ``reset()``), for the problem_ticket role:
    ==  ===============  ==================  =============================================
    12  problem_ticket   Problem ticket      ``{"ticket_id": "<id>", "action": "created"}`` for
                                             a new ``event_id`` parameter (ids from 101), else
                                             ``"updated"`` with that event's ticket; keeps the
                                             tickets in ``tickets`` / ``stats()["tickets"]``
    ==  ===============  ==================  =============================================

Fixture event handlers (``HANDLED_EVENT_TYPES``). Every other of the 109 types has none:
``EventHandlerExists`` is false and ``ExecuteEventHandlers`` returns the EventData as
sent, completed with every field.
    ============================  ==========================================================
    ``SalesBeforeSaveSale``       blocks with ``Amount too low`` when ``SaleEntity.Amount``
                                  (CRMScript ``toInteger``: the leading integer, else 0) is
                                  below 100, as in the official example
    ``SalesBeforeSaveContact``    blocks with ``Organisation number is required`` when
                                  ``ContactEntity.OrgNr`` is empty, else sets OutputValues
                                  ``ContactEntity.OrgNr`` without spaces
    ``TicketSave``                copies the non-empty inputs ``zabbix.script``,
                                  ``zabbix.script_id``, ``zabbix.hosts``,
                                  ``zabbix.manualinput`` to OutputValues and then sets Message
                                  ``Remediation requested for ticket <ticket.id>``; always
                                  sets StateValues ``ticketSave.handled`` = ``true``
    ``SalesAfterSaveSale``        NavigateTo ``soprotocol:sale.main?sale_id=<SaleEntity.SaleId>``
    ``ChatBeforeSaveNewMessage``  StateValues ``chat.count`` (the sent count plus one) and
                                  ``chat.lastMessage`` (input ``chatMessage.message``)
    ``ScheduledTaskFailed``       the handler fails: EventData.Exception is set, HTTP 200
    ============================  ==========================================================

Authentication (module constants hold the valid credentials)
    onsite: ``Basic`` (``USERNAME``/``PASSWORD``; an unencoded ``7T:`` ticket as the Basic
    credential, which the spec's ``Password`` security definition allows, counts as the
    ticket), ``SOTicket`` (scheme case-insensitive), or no Authorization with
    ``X-XSRF-TOKEN``; Bearer is refused. online: ``SOTicket`` with ``SO-AppToken`` =
    ``APP_TOKEN``, ``Bearer`` ``ACCESS_TOKEN``, or no Authorization with ``X-XSRF-TOKEN``;
    Basic is refused. Anything else: 401 with an EMPTY body and ``WWW-Authenticate``
    headers (the real 401 body is undocumented, so clients must cope with any).

Errors (status, reason phrase, body)
    * unknown CRMScript: ``404 CRMScript Not Found``, ``{"Error": true, "ErrorType":
      "SoNotFoundException", "ErrorMessage": "...", "ErrorSource":
      "SuperOffice.Services.Implementation"}``
    * malformed body, non-string values in a string map, invalid EventHandlerType,
      unparsable ``$filter``/``$select``/``$orderBy``/``$top``/``$skip``: ``400 Bad Request``,
      ``ErrorType`` ``ArgumentException``, ``ErrorSource`` ``SuperOffice.WebApi``
    * a CRMScript that throws: ``500 Internal Server Error``, ``ErrorType``
      ``CRMScriptException``, ``ErrorSource`` ``SuperOffice.CRMScript`` (unverified: the
      real status and body are not documented)
    * ``crmscript_agent_restricted``: every CRMScript REST/agent operation (not the OData
      list, not CustomerService) answers ``403 Forbidden``, ``ErrorType``
      ``SoAccessDeniedException`` (unverified)
    * online with ``expected_host`` set and another Host: ``421 Misdirected Request``,
      text body ``Wrong subdomain used to access tenant``
    * errors of the ASP.NET layer carry the ASP.NET Web API body ``{"Message": "..."}``:
      unknown URL 404, wrong verb 405, a request body that is not JSON 415, an Accept
      without JSON 406, an agent call that exists in SuperOffice but is not simulated 501.

Recording: ``stats()``, ``requests``, ``responses``, ``executions``, ``reports``, ``tickets``.
Control endpoints for out-of-process use (no auth, at the root and below the base URL alike; the
shapes of ``base.py``): ``GET /_sim/stats`` (with ``exchanges``, every request and its
answer), ``GET /_sim/requests`` (``requests`` and ``responses``), ``GET /_sim/config``,
``POST /_sim/reset``, ``POST /_sim/config``, ``POST /_sim/handlers``, ``POST /_sim/scripts``.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from ansible_collections.scriptbridge.core.tests.simulators.base import (
    HttpSimulator, Reply, Request, argument_parser, serve)

USERNAME = "tje0"
PASSWORD = "Tje0"
# Same layout as the decoded Online example: UTF-16LE "<32 hex>;<number>;<tenant>".
TICKET = "7T:" + base64.b64encode(
    "3f6c0a9e5b7d41c2a8e19d04b6f2c751;1839204756;Cust12345".encode("utf-16-le")
).decode("ascii")
ACCESS_TOKEN = "8A:Cust12345.AQeN6vT2mZ4kLw9sJb0xYcRfHq7pDu3nEiGz5aKoVt1lMhWjXe8yBd"
APP_TOKEN = "f2398a3a7e1b4c759d4b220e9a9c9432"
XSRF_TOKEN = "c0ffee5e55104e0b9f1d7a2b3c4d5e6f"

FIRST_TICKET_ID = 101
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
JSON_MEDIA_TYPES = ("application/json", "text/json", "application/json-patch+json",
                    "application/merge-patch+json")

# (name, value) of the EventHandlerType enum, in the order of the Swagger specs.
EVENT_HANDLER_TYPES: tuple[tuple[str, int], ...] = (
    ("Unknown", 0), ("NewTicket", 100), ("NewTicketFromCustomerCenter", 101),
    ("NewTicketFromEmail", 102), ("NewTicketFromCustomerCenterBeforeSave", 103),
    ("NewTicketFromSpmLink", 104), ("NewNotifyTicketFromForm", 105), ("NewTicketFromForm", 106),
    ("TicketSave", 109), ("TicketClosed", 110), ("TicketPostponed", 111), ("TicketDeleted", 112),
    ("TicketActivated", 113), ("TicketReopened", 120), ("TicketReopenedFromCustomerCenter", 121),
    ("TicketReopenedFromEmail", 122), ("TicketChangedPriority", 140),
    ("TicketChangedCategory", 141), ("TicketChangedOwnedBy", 142),
    ("TicketChangedPrimaryCustomer", 143), ("TicketChangedTicketStatus", 144),
    ("TicketChangedSlevel", 145), ("TicketMessageAdded", 150), ("TicketInternalMessageAdded", 151),
    ("TicketExternalMessageAdded", 152), ("TicketMessageSentimentCalculated", 153),
    ("CompactModeInjection", 200), ("CustomerCenterAuthentication", 210),
    ("ScheduledTaskFailed", 300), ("DbiTaskFailed", 301), ("CustomerSetSubscriptions", 302),
    ("ImportMailBeforeProcessing", 303), ("ImportMailAfterProcessing", 304), ("MainMenu", 305),
    ("ChatNewSession", 400), ("ChatSessionChangedStatus", 401), ("ChatBeforeSaveNewMessage", 402),
    ("ChatAfterSaveNewMessage", 403), ("ServiceScreenNewTicketLoad", 500),
    ("ServiceScreenNewQuickTicketLoad", 501), ("ServiceScreenListTicketMessagesLoad", 502),
    ("ServiceScreenAddMessageLoad", 503), ("ServiceScreenEditTicketLoad", 504),
    ("ServiceScreenViewCustomerLoad", 505), ("ServiceScreenEditCustomerLoad", 506),
    ("ServiceScreenViewCompanyLoad", 507), ("ServiceScreenEditCompanyLoad", 508),
    ("ServiceScreenForwardLoad", 509), ("ServiceScreenEditExtraTableLoad", 510),
    ("ServiceScreenNewTicketBeforeSubmit", 600), ("ServiceScreenNewQuickTicketBeforeSubmit", 601),
    ("ServiceScreenListTicketMessagesBeforeSubmit", 602),
    ("ServiceScreenAddMessageBeforeSubmit", 603), ("ServiceScreenEditTicketBeforeSubmit", 604),
    ("ServiceScreenViewCustomerBeforeSubmit", 605), ("ServiceScreenEditCustomerBeforeSubmit", 606),
    ("ServiceScreenViewCompanyBeforeSubmit", 607), ("ServiceScreenEditCompanyBeforeSubmit", 608),
    ("ServiceScreenForwardBeforeSubmit", 609), ("ServiceScreenEditExtraTableBeforeSubmit", 610),
    ("ServiceScreenNewTicketAfterSubmit", 700), ("ServiceScreenNewQuickTicketAfterSubmit", 701),
    ("ServiceScreenListTicketMessagesAfterSubmit", 702),
    ("ServiceScreenAddMessageAfterSubmit", 703),
    ("ServiceScreenEditTicketAfterSubmit", 704), ("ServiceScreenViewCustomerAfterSubmit", 705),
    ("ServiceScreenEditCustomerAfterSubmit", 706), ("ServiceScreenViewCompanyAfterSubmit", 707),
    ("ServiceScreenEditCompanyAfterSubmit", 708), ("ServiceScreenForwardAfterSubmit", 709),
    ("ServiceScreenEditExtraTableAfterSubmit", 710), ("SalesBeforeSaveAppointment", 1001),
    ("SalesBeforeSaveStakeholder", 1002), ("SalesBeforeSaveQuote", 1003),
    ("SalesBeforeSaveDocument", 1004), ("SalesBeforeSaveContact", 1005),
    ("SalesBeforeSavePerson", 1006), ("SalesBeforeSaveRelation", 1007),
    ("SalesBeforeSaveSale", 1008), ("SalesBeforeSaveProject", 1009),
    ("SalesBeforeSaveSelection", 1010), ("SalesBeforeSaveProjectMember", 1011),
    ("SalesBeforeSaveSelectionMember", 1012), ("SalesBeforeSaveQuoteLine", 1013),
    ("SalesBeforeSaveApproveQuote", 1014), ("SalesBeforeSaveRejectQuote", 1015),
    ("SalesBeforeSaveTicket", 1016), ("SalesLoadCustomObject", 1017),
    ("SalesBeforeSaveCustomObject", 1018), ("SalesAfterSaveAppointment", 1101),
    ("SalesAfterSaveStakeholder", 1102), ("SalesAfterSaveQuote", 1103),
    ("SalesAfterSaveDocument", 1104), ("SalesAfterSaveContact", 1105),
    ("SalesAfterSavePerson", 1106), ("SalesAfterSaveRelation", 1107), ("SalesAfterSaveSale", 1108),
    ("SalesAfterSaveProject", 1109), ("SalesAfterSaveSelection", 1110),
    ("SalesAfterSaveProjectMember", 1111), ("SalesAfterSaveSelectionMember", 1112),
    ("SalesAfterSaveQuoteLine", 1113), ("SalesAfterSaveApproveQuote", 1114),
    ("SalesAfterSaveRejectQuote", 1115), ("SalesAfterSaveTicket", 1116),
    ("SalesAfterSaveCustomObject", 1117), ("SalesSplitTicket", 1019), ("SalesLoadTicket", 1020),
    ("SalesLoadTicketMessage", 1021),
)
EVENT_TYPE_NAMES: tuple[str, ...] = tuple(name for name, _unused in EVENT_HANDLER_TYPES)
_EVENT_TYPE_BY_LOWER = {name.lower(): name for name in EVENT_TYPE_NAMES}
_EVENT_TYPE_BY_VALUE = {value: name for name, value in EVENT_HANDLER_TYPES}

# EventData fields in the order of the current spec; the response always carries all of them.
EVENT_DATA_FIELDS = ("Type", "InputValues", "BlockExecution", "NavigateTo", "Message", "ShowDialog",
                     "OutputValues", "StateValues", "Exception", "ParserValues", "CgiVariables",
                     "CgiContent", "Headers", "TraceExecution", "TableRight", "FieldProperties")
_EVENT_MAP_FIELDS = ("InputValues", "OutputValues", "StateValues", "ParserValues", "CgiVariables",
                     "Headers")
_EVENT_TEXT_FIELDS = ("NavigateTo", "Message", "ShowDialog", "Exception", "CgiContent")
_EVENT_BOOL_FIELDS = ("BlockExecution", "TraceExecution")

# Columns of the "Ejscripts" archive provider.
ARCHIVE_COLUMNS = ("name", "description", "uniqueIdentifier", "updatedBy", "updatedDate",
                   "registeredBy", "registeredDate", "path", "type", "ejscriptId", "includeId",
                   "accessKey", "htmlOutput", "extraMenuId", "hierarchyId", "hierarchyFullname",
                   "hierarchyName", "hierarchyParentId", "hierarchyFullpathIds")
DEFAULT_ARCHIVE_COLUMNS = ("ejscriptId", "name", "description", "uniqueIdentifier", "includeId",
                           "path")
_INT_COLUMNS = frozenset({"ejscriptId", "extraMenuId", "hierarchyId", "hierarchyParentId"})
_BOOL_COLUMNS = frozenset({"htmlOutput"})
_COLUMN_BY_LOWER = {name.lower(): name for name in ARCHIVE_COLUMNS}

# Headers whose values are secrets: the echo script leaves them out.
_SECRET_HEADERS = frozenset({"authorization", "so-apptoken", "x-xsrf-token", "cookie"})

_AGENT_DOCS = {
    ("CRMScript", "ExecuteScript"):
        "Execute a CRMScript with parameters, returning printed output value.",
    ("CRMScript", "ExecuteScriptByIncludeId"):
        "Execute a CRMScript with parameters, returning printed output value.",
    ("CRMScript", "ExecuteScriptByUniqueId"):
        "Execute a CRMScript with parameters, returning printed output value.",
    ("CustomerService", "ExecuteEventHandlers"):
        "This method will execute event handlers in CRMScript for a given event.",
    ("CustomerService", "EventHandlerExists"):
        "Check if an eventhandler exists for a given enum",
    ("CustomerService", "EventHandlersExists"):
        "Check if any given eventhandler exists",
}
_AGENT_BY_LOWER = {(agent.lower(), method.lower()): (agent, method)
                   for agent, method in _AGENT_DOCS}

_NO_BODY = object()


class CRMScriptError(Exception):
    """Raised by a simulated CRMScript (or event handler) to fail at run time."""


class ApiError(Exception):
    """An HTTP error answer; carries everything needed to send it."""

    def __init__(self, status: int, reason: str, payload: Any = _NO_BODY,
                 content_type: str | None = JSON_CONTENT_TYPE,
                 headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(f"{status} {reason}")
        self.response = _Response(status, reason, payload, content_type, headers)


@dataclass
class _Response:
    """What the HTTP layer sends: status, reason phrase, payload, extra headers."""

    status: int
    reason: str
    payload: Any = _NO_BODY
    content_type: str | None = JSON_CONTENT_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    def encode(self) -> bytes:
        """The body bytes: JSON unless the content type says text."""
        if self.payload is _NO_BODY:
            return b""
        if self.content_type and "json" in self.content_type:
            # Compact and non-ASCII kept, as Newtonsoft writes it.
            return json.dumps(self.payload, ensure_ascii=False, separators=(",", ":")).encode()
        return str(self.payload).encode()

    def record(self) -> dict:
        """How the answer is kept: status, reason, headers, raw_body, body (parsed if JSON)."""
        data = self.encode()
        raw = data.decode("utf-8", errors="replace")
        # Repeated headers are joined with ", ", as HTTP allows.
        headers: dict[str, str] = {}
        for name, value in self.headers:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        is_json = bool(self.content_type and "json" in self.content_type)
        if self.content_type and self.payload is not _NO_BODY:
            headers["Content-Type"] = self.content_type
        headers["Content-Length"] = str(len(data))
        return {"status": self.status, "reason": self.reason, "headers": headers,
                "raw_body": raw, "body": _parse_json_or_none(raw) if is_json else raw or None}


def so_error(status: int, reason: str, error_type: str, message: str,
             source: str = "SuperOffice.Services.Implementation") -> ApiError:
    """A SuperOffice error answer with the documented body shape."""
    return ApiError(status, reason, {"Error": True, "ErrorType": error_type,
                                     "ErrorMessage": message, "ErrorSource": source})


def bad_request(message: str) -> ApiError:
    """400 for a request the WebAPI cannot bind or understand."""
    return so_error(400, "Bad Request", "ArgumentException", message, "SuperOffice.WebApi")


def _aspnet_error(status: int, reason: str, message: str,
                  headers: tuple[tuple[str, str], ...] = ()) -> ApiError:
    """An error raised by the ASP.NET layer before any SuperOffice code runs."""
    return ApiError(status, reason, {"Message": message}, headers=headers)


def _not_found(what: str) -> ApiError:
    return so_error(404, "CRMScript Not Found", "SoNotFoundException", what)


def crmscript_to_integer(text: str | None) -> int:
    """CRMScript ``String.toInteger()``: the leading integer, else 0."""
    match = re.match(r"\s*([-+]?\d+)", text or "")
    return int(match.group(1)) if match else 0


def substitute(template: Any, values: dict[str, str]) -> str:
    """Replace ``${key}`` in a template with ``values[key]`` (empty when missing)."""
    return re.sub(r"\$\{([^}]+)\}", lambda match: values.get(match.group(1), ""), str(template))


def _lookup_header(headers: dict[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


class ScriptContext:
    """What a simulated CRMScript sees: its variables, the request headers, ``print``."""

    def __init__(self, simulator: SuperOfficeSimulator, script: Script,
                 parameters: dict[str, str], headers: dict[str, str]):
        self.simulator = simulator
        self.script = script
        self.parameters = parameters
        self.headers = headers
        self._output: list[str] = []

    def get_variable(self, name: str) -> str:
        """CRMScript ``getVariable``: an empty string when the variable was not passed."""
        return self.parameters.get(name, "")

    def header(self, name: str) -> str | None:
        """A request header, looked up case-insensitively."""
        return _lookup_header(self.headers, name)

    @property
    def language(self) -> str:
        """The language the WebAPI would use: SO-Language overrides Accept-Language."""
        return self.header("SO-Language") or self.header("Accept-Language") or ""

    def print(self, text: Any) -> None:
        """CRMScript ``print``: appends to the output returned by Execute."""
        self._output.append(str(text))

    @property
    def output(self) -> str:
        """Everything printed so far."""
        return "".join(self._output)


ScriptBehaviour = Callable[[ScriptContext], None]
EventHandler = Callable[[dict], None]


@dataclass
class Script:  # pylint: disable=too-many-instance-attributes
    """One CRMScript (a row of the ejscript table) and what it does when run."""

    ejscript_id: int
    unique_id: str
    include_id: str
    name: str
    run: ScriptBehaviour
    description: str = ""
    source: str = ""
    access_key: str = ""
    hierarchy_id: int = 3
    hierarchy_name: str = "Scriptbridge"
    registered: str = "2024-01-15T09:30:00Z"
    updated: str = "2025-06-02T14:05:00Z"

    def entity(self, api_url: str) -> dict:
        """The CRMScriptEntityWithLinks carrier."""
        return {
            "EjscriptId": self.ejscript_id, "UniqueIdentifier": self.unique_id,
            "Name": self.name, "Description": self.description, "IncludeId": self.include_id,
            "AccessKey": self.access_key, "HierarchyId": self.hierarchy_id,
            "Source": self.source, "SourceCode": self.source, "ScriptType": "CRMScript",
            "HtmlOutput": 0, "Includes": [], "SourceMaps": [], "ValidationResult": None,
            "Registered": self.registered, "RegisteredAssociateId": 5,
            "Updated": self.updated, "UpdatedAssociateId": 5, "BlockedVerbs": "BlockNone",
            "TableRight": {"Mask": "Select, Update, Insert, Delete, Filtering", "Reason": ""},
            "FieldProperties": {},
            "_Links": {"Self": f"{api_url}/CRMScript/{self.ejscript_id}",
                       "Archive": f"{api_url}/CRMScript"},
        }

    def archive_row(self) -> dict:
        """Every column of the Ejscripts archive for this script."""
        return {
            "name": self.name, "description": self.description,
            "uniqueIdentifier": self.unique_id, "updatedBy": "tje0",
            "updatedDate": self.updated, "registeredBy": "tje0",
            "registeredDate": self.registered, "path": self.hierarchy_name, "type": "CRMScript",
            "ejscriptId": self.ejscript_id, "includeId": self.include_id,
            "accessKey": self.access_key, "htmlOutput": False, "extraMenuId": 0,
            "hierarchyId": self.hierarchy_id, "hierarchyFullname": self.hierarchy_name,
            "hierarchyName": self.hierarchy_name, "hierarchyParentId": 0,
            "hierarchyFullpathIds": str(self.hierarchy_id),
        }


def _uid(number: int) -> str:
    return f"7d0f9a3e-1b2c-4d5e-8f60-5c0ffee{number:05x}"


def _hello(ctx: ScriptContext) -> None:
    ctx.print(f"Hello, {ctx.get_variable('name') or 'World'}!")


def _json_output(ctx: ScriptContext) -> None:
    ctx.print('{"status":"ok","count":2,"hosts":["web01","db01"]}')


def _echo_parameters(ctx: ScriptContext) -> None:
    ctx.print(json.dumps(ctx.parameters, sort_keys=True))


def _throws(ctx: ScriptContext) -> None:
    ctx.print("starting")
    raise CRMScriptError("Division by zero in script 'Throws' at line 3")


def _print_first(ctx: ScriptContext) -> None:
    ctx.print("first")


def _print_second(ctx: ScriptContext) -> None:
    ctx.print("second")


def _silent(_ctx: ScriptContext) -> None:
    """Prints nothing."""


def _slow(ctx: ScriptContext) -> None:
    try:
        seconds = float(ctx.get_variable("seconds") or ctx.simulator.slow_seconds)
    except ValueError:
        seconds = ctx.simulator.slow_seconds
    # Online stops scripts after 60 s; nothing longer makes sense here.
    seconds = max(0.0, min(seconds, 60.0))
    time.sleep(seconds)
    ctx.print(f"slept {seconds:g}")


def _report(ctx: ScriptContext) -> None:
    ctx.print(ctx.simulator.record_report(dict(ctx.parameters)))


def _problem_ticket(ctx: ScriptContext) -> None:
    ticket_id, action = ctx.simulator.write_ticket(dict(ctx.parameters))
    ctx.print(json.dumps({"ticket_id": str(ticket_id), "action": action}))


def _echo_language(ctx: ScriptContext) -> None:
    ctx.print(ctx.language)


def _echo_headers(ctx: ScriptContext) -> None:
    visible = {key.lower(): value for key, value in ctx.headers.items()
               if key.lower() not in _SECRET_HEADERS}
    ctx.print(json.dumps(visible, sort_keys=True))


# key: (EjscriptId, IncludeId, Name, behaviour, source)
_FIXTURE = {
    "hello": (1, "hello", "Hello", _hello,
              '#setLanguageLevel 3;\nString name = getVariable("name");\n'
              'if (name.isEmpty()) name = "World";\nprint("Hello, " + name + "!");'),
    "json_output": (2, "json_output", "JSON output", _json_output,
                    '#setLanguageLevel 3;\nprint("{\\"status\\":\\"ok\\",\\"count\\":2,'
                    '\\"hosts\\":[\\"web01\\",\\"db01\\"]}");'),
    "echo_parameters": (3, "echo_parameters", "Echo parameters", _echo_parameters,
                        '#setLanguageLevel 3;\nprint(getVariables().toJson());'),
    "throws": (4, "throws", "Throws", _throws,
               '#setLanguageLevel 3;\nprint("starting");\nInteger zero = 0;\nprint(1 / zero);'),
    "duplicate_a": (5, "duplicate_a", "Duplicate name", _print_first, 'print("first");'),
    "duplicate_b": (6, "duplicate_b", "Duplicate name", _print_second, 'print("second");'),
    "silent": (7, "silent", "Silent", _silent, "#setLanguageLevel 3;"),
    "slow": (8, "slow", "Slow", _slow,
             '#setLanguageLevel 3;\nsleep(getVariable("seconds").toInteger() * 1000);'),
    "report": (9, "report", "Remediation report", _report,
               '#setLanguageLevel 3;\n// stores the event_remediation outcome\nprint("recorded");'),
    "echo_language": (10, "echo_language", "Echo language", _echo_language,
                      '#setLanguageLevel 3;\nprint(getHeader("SO-Language"));'),
    "echo_headers": (11, "echo_headers", "Echo headers", _echo_headers,
                     '#setLanguageLevel 3;\nprint(getHeaders().toJson());'),
}

SCRIPTS: dict[str, dict[str, Any]] = {
    key: {"id": ejscript_id, "unique_id": _uid(ejscript_id), "include_id": include_id,
          "name": name}
    for key, (ejscript_id, include_id, name, _behaviour, _source) in _FIXTURE.items()
}


def _fixture_scripts() -> dict[int, Script]:
    scripts = {}
    for ejscript_id, include_id, name, behaviour, source in _FIXTURE.values():
        scripts[ejscript_id] = Script(
            ejscript_id=ejscript_id, unique_id=_uid(ejscript_id), include_id=include_id,
            name=name, run=behaviour, description=f"scriptbridge test script: {name}",
            source=source, access_key=f"{ejscript_id:04d}-{include_id}-key")
    return scripts


def _sale_amount_check(event: dict) -> None:
    if crmscript_to_integer(event["InputValues"].get("SaleEntity.Amount")) < 100:
        event["BlockExecution"] = True
        event["Message"] = "Amount too low"


def _contact_orgnr(event: dict) -> None:
    orgnr = event["InputValues"].get("ContactEntity.OrgNr", "")
    if not orgnr.strip():
        event["BlockExecution"] = True
        event["Message"] = "Organisation number is required"
    else:
        event["OutputValues"]["ContactEntity.OrgNr"] = orgnr.replace(" ", "")


REMEDIATION_KEYS = ("zabbix.script", "zabbix.script_id", "zabbix.hosts", "zabbix.manualinput")


def _ticket_remediation(event: dict) -> None:
    inputs = event["InputValues"]
    copied = False
    for key in REMEDIATION_KEYS:
        if inputs.get(key):
            event["OutputValues"][key] = inputs[key]
            copied = True
    if copied:
        event["Message"] = f"Remediation requested for ticket {inputs.get('ticket.id', '')}".strip()
    event["StateValues"]["ticketSave.handled"] = "true"


def _sale_navigate(event: dict) -> None:
    sale_id = crmscript_to_integer(event["InputValues"].get("SaleEntity.SaleId"))
    event["NavigateTo"] = f"soprotocol:sale.main?sale_id={sale_id}"


def _chat_state(event: dict) -> None:
    state = event["StateValues"]
    state["chat.count"] = str(crmscript_to_integer(state.get("chat.count")) + 1)
    state["chat.lastMessage"] = event["InputValues"].get("chatMessage.message", "")


def _failing_handler(_event: dict) -> None:
    raise CRMScriptError("Error in event handler 'Notify on failed task': "
                         "Object reference not set to an instance of an object. (line 7)")


def _fixture_handlers() -> dict[str, EventHandler]:
    return {
        "SalesBeforeSaveSale": _sale_amount_check,
        "SalesBeforeSaveContact": _contact_orgnr,
        "TicketSave": _ticket_remediation,
        "SalesAfterSaveSale": _sale_navigate,
        "ChatBeforeSaveNewMessage": _chat_state,
        "ScheduledTaskFailed": _failing_handler,
    }


HANDLED_EVENT_TYPES = tuple(_fixture_handlers())

_DECLARATIVE_KEYS = frozenset({"block", "message", "output_values", "state_values", "navigate_to",
                               "show_dialog", "exception"})


def declarative_handler(spec: dict) -> EventHandler:
    """An event handler built from a dict.

    Keys: ``block`` (bool), ``message``, ``navigate_to``, ``show_dialog``, ``exception`` (str or
    None), ``output_values`` and ``state_values`` (dicts merged into the EventData). String values
    may use ``${InputKey}`` to copy an input value.
    """
    unknown = set(spec) - _DECLARATIVE_KEYS
    if unknown:
        raise ValueError(f"unknown handler keys: {', '.join(sorted(unknown))}")
    for key in ("output_values", "state_values"):
        if not isinstance(spec.get(key) or {}, dict):
            raise ValueError(f"{key} must be a dict")
    spec = copy.deepcopy(spec)

    def handler(event: dict) -> None:
        inputs = event["InputValues"]
        if spec.get("block") is not None:
            event["BlockExecution"] = bool(spec["block"])
        for key, target in (("message", "Message"), ("navigate_to", "NavigateTo"),
                            ("show_dialog", "ShowDialog"), ("exception", "Exception")):
            if key in spec:
                event[target] = None if spec[key] is None else substitute(spec[key], inputs)
        for key, target in (("output_values", "OutputValues"), ("state_values", "StateValues")):
            for name, value in (spec.get(key) or {}).items():
                event[target][name] = substitute(value, inputs)

    return handler


def _template_script(output: str, error: str | None) -> ScriptBehaviour:
    def behaviour(ctx: ScriptContext) -> None:
        ctx.print(substitute(output, ctx.parameters))
        if error:
            raise CRMScriptError(substitute(error, ctx.parameters))

    return behaviour


# ---------------------------------------------------------------------------------------------
# OData $filter

class FilterError(ValueError):
    """A $filter, $select or $orderBy the simulated archive cannot use."""


_TOKEN_RE = re.compile(r"""\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)(?![\w.])"""
                       r"""|(?P<punct>[(),])|(?P<word>[A-Za-z_$][\w.$/]*))""")
_STRING_OPS = {
    "eq": lambda a, b: a == b, "equals": lambda a, b: a == b, "is": lambda a, b: a == b,
    "ne": lambda a, b: a != b, "unequals": lambda a, b: a != b, "isnot": lambda a, b: a != b,
    "begins": lambda a, b: a.startswith(b), "notbegins": lambda a, b: not a.startswith(b),
    "contains": lambda a, b: b in a, "notcontains": lambda a, b: b not in a,
}
_ORDER_OPS = {
    "eq": lambda a, b: a == b, "equals": lambda a, b: a == b,
    "ne": lambda a, b: a != b, "unequals": lambda a, b: a != b,
    "lt": lambda a, b: a < b, "less": lambda a, b: a < b, "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b, "greater": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}
_FUNCTIONS = {"startswith": lambda a, b: a.startswith(b), "endswith": lambda a, b: a.endswith(b),
              "substringof": lambda a, b: a in b}


def column_name(text: str) -> str:
    """The archive column a name refers to (case-insensitive)."""
    try:
        return _COLUMN_BY_LOWER[text.lower()]
    except KeyError:
        raise FilterError(f"Unknown column '{text}' in archive Ejscripts") from None


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN_RE.match(text, pos)
        if not match:
            raise FilterError(f"Unexpected character at position {pos}: {text[pos:pos + 10]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class ODataFilter:  # pylint: disable=too-few-public-methods
    """A parsed $filter: ``or``/``and``/``not``, parentheses, comparisons, string functions."""

    def __init__(self, text: str):
        self.text = text
        self._tokens = _tokenize(text)
        self._pos = 0
        if not self._tokens:
            raise FilterError("Empty $filter")
        self.tree = self._parse_or()
        if self._pos != len(self._tokens):
            raise FilterError(f"Unexpected '{self._tokens[self._pos][1]}' in $filter")

    def matches(self, row: dict) -> bool:
        """Whether an archive row satisfies the filter."""
        return self._evaluate(self.tree, row)

    def _peek(self) -> tuple[str, str] | None:
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None

    def _next(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise FilterError("Unexpected end of $filter")
        self._pos += 1
        return token

    def _accept_word(self, word: str) -> bool:
        token = self._peek()
        if token and token[0] == "word" and token[1].lower() == word:
            self._pos += 1
            return True
        return False

    def _expect(self, punct: str) -> None:
        kind, text = self._next()
        if kind != "punct" or text != punct:
            raise FilterError(f"Expected '{punct}' but found '{text}' in $filter")

    def _parse_or(self) -> tuple:
        node = self._parse_and()
        while self._accept_word("or"):
            node = ("or", node, self._parse_and())
        return node

    def _parse_and(self) -> tuple:
        node = self._parse_not()
        while self._accept_word("and"):
            node = ("and", node, self._parse_not())
        return node

    def _parse_not(self) -> tuple:
        if self._accept_word("not"):
            return ("not", self._parse_not())
        return self._parse_primary()

    def _parse_primary(self) -> tuple:
        kind, text = self._next()
        if kind == "punct" and text == "(":
            node = self._parse_or()
            self._expect(")")
            return node
        if kind != "word":
            raise FilterError(f"Expected a column name but found '{text}' in $filter")
        following = self._peek()
        if text.lower() in _FUNCTIONS and following == ("punct", "("):
            return self._parse_function(text.lower())
        column = column_name(text)
        op_kind, op_text = self._next()
        operator = op_text.lower()
        if op_kind != "word" or (operator not in _STRING_OPS and operator not in _ORDER_OPS):
            raise FilterError(f"Unknown or unsupported operator '{op_text}' in $filter")
        value = self._convert(column, self._parse_literal())
        if column in _INT_COLUMNS or column in _BOOL_COLUMNS:
            if operator not in _ORDER_OPS:
                raise FilterError(f"Operator '{op_text}' does not apply to column '{column}'")
        elif operator not in _STRING_OPS:
            raise FilterError(f"Operator '{op_text}' does not apply to text column '{column}'")
        return ("cmp", column, operator, value)

    def _parse_function(self, name: str) -> tuple:
        self._expect("(")
        args = [self._parse_argument()]
        self._expect(",")
        args.append(self._parse_argument())
        self._expect(")")
        return ("func", name, args)

    def _parse_argument(self) -> tuple[str, Any]:
        token = self._peek()
        if token and token[0] == "word" and token[1].lower() not in ("true", "false"):
            self._pos += 1
            return ("column", column_name(token[1]))
        return ("value", self._parse_literal())

    def _parse_literal(self) -> Any:
        kind, text = self._next()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return int(text)
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise FilterError(f"Expected a value but found '{text}' in $filter")

    @staticmethod
    def _convert(column: str, value: Any) -> Any:
        if column in _BOOL_COLUMNS:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "0", "true", "false"):
                return str(value).lower() in ("1", "true")
            raise FilterError(f"Column '{column}' needs a boolean, not {value!r}")
        if column in _INT_COLUMNS:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
                return int(value)
            raise FilterError(f"Column '{column}' needs an integer, not {value!r}")
        return str(value).lower()

    def _evaluate(self, node: tuple, row: dict) -> bool:
        kind = node[0]
        if kind == "or":
            return self._evaluate(node[1], row) or self._evaluate(node[2], row)
        if kind == "and":
            return self._evaluate(node[1], row) and self._evaluate(node[2], row)
        if kind == "not":
            return not self._evaluate(node[1], row)
        if kind == "func":
            first, second = (str(row[arg]).lower() if where == "column" else str(arg).lower()
                             for where, arg in node[2])
            return _FUNCTIONS[node[1]](first, second)
        _unused, column, operator, value = node
        actual = row[column]
        if column in _INT_COLUMNS or column in _BOOL_COLUMNS:
            return _ORDER_OPS[operator](actual, value)
        # Text comparisons follow SQL Server's default case-insensitive collation.
        return _STRING_OPS[operator](str(actual).lower(), value)


# ---------------------------------------------------------------------------------------------
# The simulator

_CONFIG_KEYS = ("latency", "slow_seconds", "crmscript_agent_restricted", "expected_host")


# The public surface is what tests need; splitting it would only scatter it.
class SuperOfficeSimulator(HttpSimulator):  # pylint: disable=too-many-instance-attributes,too-many-public-methods
    """A SuperOffice WebAPI on a local port. See the module docstring for what it serves."""

    server_version = "SuperOfficeSimulator/1.0"
    methods = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")
    thread_name = "superoffice-sim"

    def __init__(self, mode: str = "onsite",  # pylint: disable=too-many-arguments
                 latency: float = 0.0, *, host: str = "127.0.0.1", port: int = 0,
                 base_path: str = "/SuperOffice", tenant: str = "Cust12345", **options: Any):
        """Create a stopped simulator.

        ``options``: ``expected_host`` (online: the only Host accepted, else 421; None = any),
        ``crmscript_agent_restricted`` (bool), ``slow_seconds`` (the Slow script's default sleep).
        """
        if mode not in ("onsite", "online"):
            raise ValueError("mode must be 'onsite' or 'online'")
        unknown = set(options) - set(_CONFIG_KEYS)
        if unknown:
            raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
        self.mode = mode
        self.host = host
        self._requested_port = port
        self.tenant = tenant
        if mode == "online":
            self.base = "/" + tenant
        else:
            self.base = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self._initial_config = {"latency": float(latency), "slow_seconds": 1.0,
                                "crmscript_agent_restricted": False, "expected_host": None}
        self._initial_config.update(options)
        self._lock = threading.RLock()
        self._config: dict[str, Any] = {}
        self._scripts: dict[int, Script] = {}
        self._handlers: dict[str, EventHandler] = {}
        self._requests: list[dict] = []
        self._responses: list[dict] = []
        self._executions: list[dict] = []
        self._reports: list[dict] = []
        self._ledger: dict[str, dict] = {}
        self._tickets: dict[str, dict] = {}
        self._by_endpoint: dict[str, int] = {}
        self._connections = 0
        self.reset()

    @property
    def api_url(self) -> str:
        """``{url}/api/v1``."""
        return self.url + "/api/v1"

    # -- configuration -----------------------------------------------------------------------

    def reset(self) -> None:
        """Back to the state after construction: fixture, configuration, empty records."""
        with self._lock:
            self._config = dict(self._initial_config)
            self._scripts = _fixture_scripts()
            self._handlers = _fixture_handlers()
            self._requests.clear()
            self._responses.clear()
            self._executions.clear()
            self._reports.clear()
            self._ledger.clear()
            self._tickets.clear()
            self._by_endpoint.clear()
            self._connections = 0

    def configure(self, **changes: Any) -> dict:
        """Change ``latency``, ``slow_seconds``, ``crmscript_agent_restricted``, ``expected_host``.

        Returns the whole configuration afterwards.
        """
        unknown = set(changes) - set(_CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        for key in ("latency", "slow_seconds"):
            if key in changes:
                value = changes[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a number >= 0")
                changes[key] = float(value)
        if "crmscript_agent_restricted" in changes and not isinstance(
                changes["crmscript_agent_restricted"], bool):
            raise ValueError("crmscript_agent_restricted must be a boolean")
        if changes.get("expected_host") is not None and not isinstance(changes["expected_host"],
                                                                       str):
            raise ValueError("expected_host must be a string or null")
        with self._lock:
            self._config.update(changes)
            return dict(self._config)

    @property
    def config(self) -> dict:
        """A copy of the current configuration."""
        with self._lock:
            return dict(self._config)

    @property
    def latency(self) -> float:
        """Seconds added before every API answer."""
        return self.config["latency"]

    @latency.setter
    def latency(self, value: float) -> None:
        self.configure(latency=value)

    @property
    def slow_seconds(self) -> float:
        """How long the Slow script sleeps when not told otherwise."""
        return self.config["slow_seconds"]

    @slow_seconds.setter
    def slow_seconds(self, value: float) -> None:
        self.configure(slow_seconds=value)

    def add_script(self, ejscript_id: int, name: str,  # pylint: disable=too-many-arguments
                   output: str = "", *,
                   unique_id: str | None = None, include_id: str = "",
                   run: ScriptBehaviour | None = None, error: str | None = None,
                   description: str = "", source: str = "") -> Script:
        """Add (or replace, by EjscriptId) a CRMScript.

        Without ``run`` it prints ``output``, where ``${name}`` is the parameter ``name``, and then
        fails with ``error`` when that is set.
        """
        if isinstance(ejscript_id, bool) or not isinstance(ejscript_id, int):
            raise ValueError("ejscript_id must be an integer")
        script = Script(
            ejscript_id=ejscript_id,
            unique_id=unique_id or f"00000000-0000-4000-8000-{ejscript_id:012d}",
            include_id=include_id or "", name=name,
            run=run or _template_script(output, error), description=description,
            source=source or f'print("{output}");', access_key=f"{ejscript_id:04d}-key")
        with self._lock:
            self._scripts[ejscript_id] = script
        return script

    def remove_script(self, ejscript_id: int) -> None:
        """Delete a CRMScript (no error when it does not exist)."""
        with self._lock:
            self._scripts.pop(ejscript_id, None)

    def script_list(self) -> list[Script]:
        """The CRMScripts, by EjscriptId."""
        with self._lock:
            return [self._scripts[key] for key in sorted(self._scripts)]

    def set_handler(self, event_type: str, handler: EventHandler | dict | None) -> None:
        """Install the event handler of a type: a callable, a declarative dict, or None to remove.

        A callable gets the complete EventData dict and changes it in place; raising
        ``CRMScriptError`` sets EventData.Exception.
        """
        if event_type not in EVENT_TYPE_NAMES:
            raise ValueError(f"unknown EventHandlerType {event_type!r}")
        if isinstance(handler, dict):
            handler = declarative_handler(handler)
        elif handler is not None and not callable(handler):
            raise ValueError("handler must be a callable, a dict or None")
        with self._lock:
            if handler is None:
                self._handlers.pop(event_type, None)
            else:
                self._handlers[event_type] = handler

    def handled_event_types(self) -> list[str]:
        """The event types that have a handler, in enum order."""
        with self._lock:
            return [name for name in EVENT_TYPE_NAMES if name in self._handlers]

    # -- records -----------------------------------------------------------------------------

    def record_report(self, parameters: dict) -> str:
        """Keep the parameters of one run of the report script; what it prints.

        With a ``key``, the ledger of event_remediation (roles/event_remediation/README.md): ``status``
        ``started`` records the intent the first time (``"new"``) and otherwise answers the key's state; any
        other status records the outcome.
        """
        with self._lock:
            self._reports.append(parameters)
            key = parameters.get("key")
            if not key:
                return "recorded"
            entry = self._ledger.get(key)
            if parameters.get("status") == "started":
                if entry is None:
                    self._ledger[key] = {"state": "started", "status": None, "reports": 0}
                    return json.dumps({"key": key, "state": "new"})
            else:
                entry = self._ledger.setdefault(key, {"state": "started", "status": None, "reports": 0})
                entry.update(state="reported", status=parameters.get("status"), reports=entry["reports"] + 1)
            answer = {"key": key, "state": entry["state"]}
            if entry["status"] is not None:
                answer["status"] = entry["status"]
            return json.dumps(answer)

    def add_ticket_script(self, ejscript_id: int = 12, include_id: str = "problem_ticket") -> Script:
        """Add the "Problem ticket" CRMScript, which opens one ticket per Zabbix event (``tickets``)."""
        return self.add_script(ejscript_id, "Problem ticket", include_id=include_id, run=_problem_ticket,
                               description="scriptbridge test script: Problem ticket",
                               source='#setLanguageLevel 3;\n// opens or updates the ticket of a Zabbix event')

    def write_ticket(self, parameters: dict) -> tuple[int, str]:
        """Open the ticket of ``parameters["event_id"]``, or add a message to the one it has."""
        event_id = str(parameters.get("event_id", ""))
        with self._lock:
            ticket = self._tickets.get(event_id)
            if ticket is None:
                ticket = {"ticket_id": FIRST_TICKET_ID + len(self._tickets), "event_id": event_id, "messages": []}
                self._tickets[event_id] = ticket
                action = "created"
            else:
                action = "updated"
            ticket["messages"].append(dict(parameters))
            return ticket["ticket_id"], action

    @property
    def tickets(self) -> list[dict]:
        """The tickets the Problem ticket script wrote: ticket_id, event_id, messages (its parameters)."""
        with self._lock:
            return copy.deepcopy(list(self._tickets.values()))

    @property
    def requests(self) -> list[dict]:
        """The recorded API requests: method, path, query, headers, body, raw_body, ..."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def responses(self) -> list[dict]:
        """The recorded answers, index for index with ``requests``."""
        with self._lock:
            return copy.deepcopy(self._responses)

    @property
    def executions(self) -> list[dict]:
        """Script runs and event handler runs, in the order they started."""
        with self._lock:
            return copy.deepcopy(self._executions)

    @property
    def reports(self) -> list[dict]:
        """The parameters of every run of the report script."""
        with self._lock:
            return copy.deepcopy(self._reports)

    @property
    def ledger(self) -> dict[str, dict]:
        """The report script's ledger: key -> ``state``, ``status``, ``reports`` (outcomes recorded)."""
        with self._lock:
            return copy.deepcopy(self._ledger)

    def stats(self) -> dict:
        """A JSON-serialisable summary of what happened since the last reset.

        ``exchanges`` holds every recorded request with its answer (``{"request": ...,
        "response": ...}``), so that a client run out of process can be checked on the wire.
        """
        with self._lock:
            return {"requests": len(self._requests), "connections": self._connections,
                    "by_endpoint": dict(self._by_endpoint),
                    "executions": copy.deepcopy(self._executions),
                    "reports": copy.deepcopy(self._reports),
                    "ledger": copy.deepcopy(self._ledger),
                    "tickets": copy.deepcopy(list(self._tickets.values())),
                    "exchanges": [{"request": copy.deepcopy(request), "response": copy.deepcopy(response)}
                                  for request, response in zip(self._requests, self._responses)]}

    def connection_opened(self) -> None:
        """Count an accepted TCP connection."""
        with self._lock:
            self._connections += 1

    def _record(self, request: dict, response: dict) -> None:
        with self._lock:
            request["seq"] = response["seq"] = len(self._requests) + 1
            self._requests.append(request)
            self._responses.append(response)
            self._by_endpoint[request["endpoint"]] = self._by_endpoint.get(request["endpoint"],
                                                                           0) + 1

    # -- request handling --------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str],
               body: bytes) -> _Response:
        """Answer one HTTP request (the HTTP layer calls this)."""
        split = urlsplit(target)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        text = body.decode("utf-8", errors="replace")
        request = {"method": method, "path": path, "query": query, "headers": dict(headers),
                   "raw_body": text, "body": _parse_json_or_none(text), "endpoint": "unknown",
                   "auth": None, "time": time.time()}
        try:
            response = _Call(self, request, body).run()
        except ApiError as err:
            response = err.response
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A simulator bug must still answer, or the client under test hangs on a dead socket.
            response = _Response(500, "Internal Server Error",
                                 {"Message": "An error has occurred.",
                                  "ExceptionMessage": f"{type(exc).__name__}: {exc}"})
        self._record(request, response.record())
        return response

    def run_script(self, script: Script, parameters: dict[str, str], headers: dict[str, str],
                   via: str) -> str:
        """Run a CRMScript and return what it printed; a failure becomes a 500 answer."""
        entry = {"kind": "script", "via": via, "id": script.ejscript_id,
                 "unique_id": script.unique_id, "include_id": script.include_id,
                 "name": script.name, "parameters": dict(parameters),
                 "language": _lookup_header(headers, "SO-Language")
                 or _lookup_header(headers, "Accept-Language")}
        with self._lock:
            self._executions.append(entry)
        context = ScriptContext(self, script, dict(parameters), dict(headers))
        try:
            script.run(context)
        except CRMScriptError as err:
            with self._lock:
                entry["error"] = str(err)
            raise so_error(500, "Internal Server Error", "CRMScriptException", str(err),
                           "SuperOffice.CRMScript") from err
        return context.output

    def run_event_handlers(self, event: dict) -> dict:
        """Run the handler of ``event["Type"]`` on a complete EventData; returns it."""
        with self._lock:
            handler = self._handlers.get(event["Type"])
            self._executions.append({
                "kind": "event_handlers", "event_type": event["Type"],
                "input_values": dict(event["InputValues"]),
                "state_values": dict(event["StateValues"]),
                "output_values": dict(event["OutputValues"]), "handled": handler is not None})
        if handler is not None:
            try:
                handler(event)
            except CRMScriptError as err:
                event["Exception"] = str(err)
        return event

    def find_script(self, *, ejscript_id: int | None = None, unique_id: str | None = None,
                    include_id: str | None = None) -> Script | None:
        """The script with that EjscriptId, UniqueIdentifier or IncludeId."""
        with self._lock:
            if ejscript_id is not None:
                return self._scripts.get(ejscript_id)
            for script in self._scripts.values():
                if unique_id is not None and script.unique_id.lower() == unique_id.lower():
                    return script
                if include_id is not None and script.include_id == include_id:
                    return script
        return None

    def has_handler(self, event_type: str) -> bool:
        """Whether an event type has a handler."""
        with self._lock:
            return event_type in self._handlers

    # -- what the HTTP layer calls -----------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        """The answer to an API request."""
        response = self.handle(request.method, request.target, request.headers, request.body)
        has_body = response.payload is not _NO_BODY
        return Reply(response.status, response.content_type if has_body else None, response.encode(),
                     response.headers, response.reason)

    def recorded(self) -> dict:
        """``GET /_sim/requests``: the requests and, index for index, their answers."""
        return {"requests": self.requests, "responses": self.responses}

    def control_actions(self) -> dict:
        """``POST /_sim/handlers`` and ``POST /_sim/scripts``."""
        return {"handlers": self._control_handlers, "scripts": self._control_scripts}

    def _control_handlers(self, data: dict) -> dict:
        event_type = data.pop("event_type", None)
        self.set_handler(event_type, None if data.pop("remove", False) else data)
        return {"handled_event_types": self.handled_event_types()}

    def _control_scripts(self, data: dict) -> dict:
        script = self.add_script(
            data.pop("id"), data.pop("name"), data.pop("output", ""),
            unique_id=data.pop("unique_id", None), include_id=data.pop("include_id", ""),
            error=data.pop("error", None), description=data.pop("description", ""))
        if data:
            self.remove_script(script.ejscript_id)
            raise ValueError(f"unknown script keys: {', '.join(sorted(data))}")
        return {"id": script.ejscript_id, "unique_id": script.unique_id,
                "include_id": script.include_id, "name": script.name}


def _parse_json_or_none(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _strict_json_loads(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, which .NET does not accept either."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"invalid JSON constant {constant}")
    return json.loads(text, parse_constant=refuse)


def _canonical_keys(obj: dict, names: tuple[str, ...]) -> dict:
    """Newtonsoft binds JSON properties case-insensitively; unknown ones are dropped."""
    by_lower = {name.lower(): name for name in names}
    result = {}
    for key, value in obj.items():
        name = by_lower.get(str(key).lower())
        if name is not None:
            result[name] = value
    return result


def _string_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{where} must be a JSON object of strings")
    wrong = [key for key, item in value.items() if not isinstance(item, str)]
    if wrong:
        raise bad_request(f"{where}: the values of {', '.join(map(repr, wrong))} are not strings")
    return dict(value)


def event_type_name(value: Any, where: str = "EventData.Type") -> str:
    """The canonical EventHandlerType name of a sent value (name, any case, or number)."""
    if isinstance(value, str) and value.lower() in _EVENT_TYPE_BY_LOWER:
        return _EVENT_TYPE_BY_LOWER[value.lower()]
    if isinstance(value, int) and not isinstance(value, bool) and value in _EVENT_TYPE_BY_VALUE:
        return _EVENT_TYPE_BY_VALUE[value]
    raise bad_request(f"Error converting value {json.dumps(value)} to type "
                      f"'SuperOffice.CRM.Services.EventHandlerType'. Path '{where}'.")


def null_unselected(obj: dict, select: str | None) -> dict:
    """``$select``: keep the shape, null every top-level property not named."""
    if select is None or not select.strip():
        return obj
    wanted = {part.strip().split("/")[0].lower() for part in select.split(",") if part.strip()}
    return {key: (value if key.lower() in wanted else None) for key, value in obj.items()}


def accepts_json(accept: str | None) -> bool:
    """Whether an Accept header allows a JSON answer."""
    if not accept or not accept.strip():
        return True
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        if media in JSON_MEDIA_TYPES or media in ("*/*", "application/*"):
            return True
    return False


class _Call:  # pylint: disable=too-many-instance-attributes
    """One API request on its way through host check, routing, auth and the operation."""

    def __init__(self, sim: SuperOfficeSimulator, record: dict, body: bytes):
        self.sim = sim
        self.record = record
        self.method = record["method"]
        self.path = record["path"]
        # ASP.NET binds query parameters case-insensitively.
        self.query = {key.lower(): value for key, value in record["query"].items()}
        self.headers = record["headers"]
        self.body = body
        self.config = sim.config

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        return _lookup_header(self.headers, name)

    @property
    def origin(self) -> str:
        """``http://<Host>`` as the client addressed us, for generated links."""
        return "http://" + (self.header("Host") or f"{self.sim.host}:{self.sim.port}")

    @property
    def api_url(self) -> str:
        """The absolute ``{base}/api/v1`` the client used."""
        return self.origin + self.sim.base + "/api/v1"

    def run(self) -> _Response:
        """Check the host, route, authenticate, and run the operation."""
        self._check_host()
        route = self._route()
        self.record["endpoint"] = route["endpoint"]
        if route.get("public"):
            return route["operation"]()
        self.record["auth"] = self._authenticate()
        if route.get("restricted") and self.config["crmscript_agent_restricted"]:
            raise so_error(403, "Forbidden", "SoAccessDeniedException",
                           "The CRMScript agent is not available in Online by default. Access "
                           "must be requested specifically when app is registered.")
        if not accepts_json(self.header("Accept")) and self.query.get("$format", "").lower() \
                != "json":
            raise _aspnet_error(406, "Not Acceptable",
                                "The simulator answers JSON only (application/json, text/json).")
        return route["operation"]()

    # -- host, routing, auth -----------------------------------------------------------------

    def _check_host(self) -> None:
        expected = self.config["expected_host"]
        if self.sim.mode != "online" or not expected:
            return
        sent = (self.header("Host") or "").lower()
        expected = expected.lower()
        if ":" not in expected:
            sent = sent.rsplit(":", 1)[0] if not sent.endswith("]") else sent
        if sent != expected:
            raise ApiError(421, "Misdirected Request", "Wrong subdomain used to access tenant",
                           content_type="text/plain; charset=utf-8")

    def _route(self) -> dict:  # pylint: disable=too-many-return-statements,too-many-branches
        path = self.path.rstrip("/") or "/"
        base = self.sim.base.lower()
        lowered = path.lower()
        if not (lowered == base + "/api" or lowered.startswith(base + "/api/")):
            raise self._no_route()
        segments = [part for part in path[len(base) + len("/api"):].split("/") if part]
        lower = [part.lower() for part in segments]
        if not lower:
            return self._verb({"GET": self._version}, "GET /api", public=True)
        if lower[0] != "v1":
            raise self._no_route()
        rest, rest_lower = segments[1:], lower[1:]
        if not rest:
            return self._verb({"GET": self._listing}, "GET /api/v1", public=True)
        if rest_lower[0] == "crmscript":
            if len(rest) == 1:
                return self._verb({"GET": self._odata_list}, "GET /api/v1/CRMScript")
            if len(rest) == 2:
                return self._verb({"GET": lambda: self._get_entity(rest[1])},
                                  "GET /api/v1/CRMScript/{id}", restricted=True)
            if len(rest) == 3 and rest_lower[2] == "execute":
                return self._verb({"POST": lambda: self._execute(rest[1])},
                                  "POST /api/v1/CRMScript/{id}/Execute", restricted=True)
            if len(rest) == 3 and rest_lower[2] in ("executeasevent", "validate"):
                raise self._not_simulated()
            raise self._no_route()
        if rest_lower[0] == "agents" and len(rest) == 3:
            known = _AGENT_BY_LOWER.get((rest_lower[1], rest_lower[2]))
            if known is None:
                if rest_lower[1] in ("crmscript", "customerservice") and self.method == "POST":
                    raise self._not_simulated()
                raise self._no_route()
            agent, name = known
            endpoint = f"/api/v1/Agents/{agent}/{name}"
            if self.method == "GET":
                return {"endpoint": "GET " + endpoint, "public": True,
                        "operation": lambda: self._describe(agent, name)}
            operation = getattr(self, "_agent_" + name.lower())
            return self._verb({"POST": operation}, "POST " + endpoint,
                              restricted=agent == "CRMScript")
        raise self._no_route()

    def _verb(self, operations: dict, endpoint: str, **flags: bool) -> dict:
        if self.method == "HEAD" and "GET" in operations:
            operation = operations["GET"]
        elif self.method in operations:
            operation = operations[self.method]
        else:
            self.record["endpoint"] = f"{self.method} {endpoint.split(' ', 1)[1]}"
            raise _aspnet_error(405, "Method Not Allowed",
                                f"The requested resource does not support http method "
                                f"'{self.method}'.", (("Allow", ", ".join(operations)),))
        return {"endpoint": endpoint, "operation": operation, **flags}

    def _no_route(self) -> ApiError:
        return _aspnet_error(404, "Not Found", "No HTTP resource was found that matches the "
                             f"request URI '{self.origin}{quote(self.path)}'.")

    def _not_simulated(self) -> ApiError:
        self.record["endpoint"] = "not simulated"
        return _aspnet_error(501, "Not Implemented",
                             f"{self.method} {self.path} exists in SuperOffice but is not "
                             "simulated.")

    def _unauthorized(self) -> ApiError:
        if self.sim.mode == "online":
            challenges = (("WWW-Authenticate", "Bearer"), ("WWW-Authenticate", "SOTicket"))
        else:
            challenges = (("WWW-Authenticate", 'Basic realm="SuperOffice"'),
                          ("WWW-Authenticate", "SOTicket"))
        return ApiError(401, "Unauthorized", content_type=None, headers=challenges)

    def _authenticate(self) -> str:  # pylint: disable=too-many-return-statements
        authorization = (self.header("Authorization") or "").strip()
        online = self.sim.mode == "online"
        if not authorization:
            if self.header("X-XSRF-TOKEN") == XSRF_TOKEN:
                return "xsrf"
            raise self._unauthorized()
        scheme, _unused, credential = authorization.partition(" ")
        scheme, credential = scheme.lower(), credential.strip()
        if scheme == "soticket" and credential == TICKET:
            if online and self.header("SO-AppToken") != APP_TOKEN:
                raise self._unauthorized()
            return "soticket"
        if scheme == "bearer" and online and credential == ACCESS_TOKEN:
            return "bearer"
        if scheme == "basic" and not online:
            if credential == TICKET:
                return "soticket"
            try:
                decoded = base64.b64decode(credential, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise self._unauthorized() from None
            if decoded == f"{USERNAME}:{PASSWORD}":
                return "basic"
        raise self._unauthorized()

    # -- body helpers ------------------------------------------------------------------------

    def json_body(self) -> Any:
        """The request body as JSON; 415 for another media type, 400 when unparsable."""
        media = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if media not in JSON_MEDIA_TYPES:
            raise _aspnet_error(415, "Unsupported Media Type",
                                f"The request entity's media type '{media or 'none'}' is not "
                                "supported for this resource.")
        try:
            text = self.body.decode("utf-8")
            if not text.strip():
                raise bad_request("The request body is required.")
            return _strict_json_loads(text)
        except ValueError as err:
            raise bad_request(f"The request body is not valid JSON: {err}") from None

    def json_object(self) -> dict:
        """The request body, which must be a JSON object."""
        data = self.json_body()
        if not isinstance(data, dict):
            raise bad_request("The request body must be a JSON object.")
        return data

    # -- operations --------------------------------------------------------------------------

    def _version(self) -> _Response:
        base = self.origin + self.sim.base
        accept = (self.header("Accept") or "").lower()
        if "application/json" in accept or "text/json" in accept:
            return _Response(200, "OK", {
                "v1": base + "/api/v1/", "NetServerVersion": "11.10.9425.1",
                "NetServerAssembly": "SuperOffice.Services.Implementation, Version=11.10.9425.1",
                "NetServerDate": "2026-02-24", "NetServerLabel": "Release_11.10_2026.02.24-02",
                "NetServer": "SuperOffice NetServer (simulated)", "Services": "Services87",
                "ServicesCurrent": "Services88", "Version": "v1"})
        html = ("<html><head><title>SuperOffice WebAPI</title></head><body>"
                f"<h1>SuperOffice WebAPI</h1><p><a href=\"{base}/api/v1/\">v1</a></p>"
                "</body></html>")
        return _Response(200, "OK", html, "text/html; charset=utf-8")

    def _listing(self) -> _Response:
        api = self.api_url
        listing = {
            f"{api}/CRMScript": {"GET": "OData list of all CRMScriptEntity."},
            f"{api}/CRMScript/{{id}}": {"GET": "Gets a CRMScriptEntity object."},
            f"{api}/CRMScript/{{id}}/Execute": {
                "POST": "Execute a CRMScript with parameters, returning printed output value."},
        }
        for (agent, name), doc in _AGENT_DOCS.items():
            listing[f"{api}/Agents/{agent}/{name}"] = {"POST": doc}
        return _Response(200, "OK", listing)

    def _describe(self, agent: str, name: str) -> _Response:
        return _Response(200, "OK", {f"{self.api_url}/Agents/{agent}/{name}":
                                     {"POST": _AGENT_DOCS[(agent, name)]}})

    def _get_entity(self, segment: str) -> _Response:
        script = None
        if re.fullmatch(r"-?\d+", segment):
            script = self.sim.find_script(ejscript_id=int(segment))
        if script is None:
            raise _not_found(f"CRMScript id {segment} not found")
        entity = script.entity(self.api_url)
        return _Response(200, "OK", null_unselected(entity, self.query.get("$select")))

    def _execute(self, segment: str) -> _Response:
        if re.fullmatch(r"-?\d+", segment):
            script = self.sim.find_script(ejscript_id=int(segment))
            missing = f"CRMScript id {segment} not found"
        else:
            script = self.sim.find_script(unique_id=segment)
            missing = f"CRMScript with UniqueIdentifier '{segment}' not found"
        parameters = _string_map(self.json_object(), "parameters")
        if script is None:
            raise _not_found(missing)
        return _Response(200, "OK", self.sim.run_script(script, parameters, self.headers, "rest"))

    def _agent_request(self, names: tuple[str, ...]) -> dict:
        data = _canonical_keys(self.json_object(), names)
        data["Parameters"] = _string_map(data.get("Parameters"), "Parameters")
        return data

    def _agent_run(self, script: Script | None, parameters: dict, missing: str) -> _Response:
        if script is None:
            raise _not_found(missing)
        return _Response(200, "OK", self.sim.run_script(script, parameters, self.headers,
                                                        "agent"))

    def _agent_executescript(self) -> _Response:
        data = self._agent_request(("CRMScriptId", "Parameters"))
        raw = data.get("CRMScriptId", 0)
        # ASP.NET model binding also turns the numeric string "391" into an int.
        if isinstance(raw, str) and re.fullmatch(r"\s*-?\d+\s*", raw):
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise bad_request("CRMScriptId must be an integer.")
        return self._agent_run(self.sim.find_script(ejscript_id=raw), data["Parameters"],
                               f"CRMScript id {raw} not found")

    def _agent_executescriptbyincludeid(self) -> _Response:
        data = self._agent_request(("CRMScriptIncludeId", "Parameters"))
        include_id = data.get("CRMScriptIncludeId")
        if not isinstance(include_id, str):
            raise bad_request("CRMScriptIncludeId must be a string.")
        return self._agent_run(self.sim.find_script(include_id=include_id), data["Parameters"],
                               f"CRMScript with IncludeId '{include_id}' not found")

    def _agent_executescriptbyuniqueid(self) -> _Response:
        data = self._agent_request(("CRMScriptUniqueId", "Parameters"))
        unique_id = data.get("CRMScriptUniqueId")
        if not isinstance(unique_id, str):
            raise bad_request("CRMScriptUniqueId must be a string.")
        return self._agent_run(self.sim.find_script(unique_id=unique_id), data["Parameters"],
                               f"CRMScript with UniqueIdentifier '{unique_id}' not found")

    def _agent_executeeventhandlers(self) -> _Response:
        data = _canonical_keys(self.json_object(), ("EventData",))
        event = self._event_data(data.get("EventData"))
        event = self.sim.run_event_handlers(event)
        return _Response(200, "OK", null_unselected(event, self.query.get("$select")))

    def _agent_eventhandlerexists(self) -> _Response:
        data = _canonical_keys(self.json_object(), ("EventHandlerType",))
        event_type = event_type_name(data.get("EventHandlerType", "Unknown"), "EventHandlerType")
        return _Response(200, "OK", self.sim.has_handler(event_type))

    def _agent_eventhandlersexists(self) -> _Response:
        data = _canonical_keys(self.json_object(), ("EventHandlerTypes",))
        sent = data.get("EventHandlerTypes") or []
        if not isinstance(sent, list):
            raise bad_request("EventHandlerTypes must be an array.")
        names = [event_type_name(item, f"EventHandlerTypes[{index}]")
                 for index, item in enumerate(sent)]
        return _Response(200, "OK", [name for name in names if self.sim.has_handler(name)])

    @staticmethod
    def _event_data(raw: Any) -> dict:
        """A complete EventData from the sent one: every field present, maps never null."""
        if not isinstance(raw, dict):
            raise bad_request("EventData is required and must be a JSON object.")
        sent = _canonical_keys(raw, EVENT_DATA_FIELDS)
        event: dict[str, Any] = {}
        for name in EVENT_DATA_FIELDS:
            value = sent.get(name)
            if name == "Type":
                event[name] = "Unknown" if value is None else event_type_name(value)
            elif name in _EVENT_MAP_FIELDS:
                event[name] = _string_map(value, f"EventData.{name}")
            elif name in _EVENT_TEXT_FIELDS:
                if value is not None and not isinstance(value, str):
                    raise bad_request(f"EventData.{name} must be a string.")
                event[name] = value
            elif name in _EVENT_BOOL_FIELDS:
                if name in sent and not isinstance(value, bool):
                    raise bad_request(f"EventData.{name} must be true or false.")
                event[name] = bool(value)
            elif name == "TableRight":
                if value is not None and not isinstance(value, dict):
                    raise bad_request("EventData.TableRight must be an object.")
                event[name] = value
            else:
                if value is not None and not (isinstance(value, dict) and all(
                        isinstance(item, dict) for item in value.values())):
                    raise bad_request("EventData.FieldProperties must map names to objects.")
                event[name] = dict(value or {})
        return event

    def _odata_list(self) -> _Response:
        try:
            columns = DEFAULT_ARCHIVE_COLUMNS
            if self.query.get("$select", "").strip():
                columns = tuple(column_name(part.strip())
                                for part in self.query["$select"].split(",") if part.strip())
            row_filter = None
            if self.query.get("$filter", "").strip():
                row_filter = ODataFilter(self.query["$filter"])
            top = self._int_query("$top")
            skip = self._int_query("$skip") or 0
            rows = [script.archive_row() for script in self.sim.script_list()]
            if row_filter is not None:
                rows = [row for row in rows if row_filter.matches(row)]
            rows = self._ordered(rows)
        except FilterError as err:
            raise bad_request(str(err)) from None
        page = rows[skip:] if top is None else rows[skip:skip + top]
        values = [{"PrimaryKey": row["ejscriptId"], "EntityName": "ejscript",
                   **{column: row[column] for column in columns}} for row in page]
        result: dict[str, Any] = {"odata.metadata": f"{self.api_url}/archive$metadata"}
        if top is not None and skip + top < len(rows):
            query = dict(self.record["query"])
            query = {key: value for key, value in query.items() if key.lower() != "$skip"}
            query["$skip"] = str(skip + top)
            result["odata.nextLink"] = f"{self.api_url}/CRMScript?{urlencode(query)}"
        result["value"] = values
        return _Response(200, "OK", result)

    def _int_query(self, name: str) -> int | None:
        text = self.query.get(name, "").strip()
        if not text:
            return None
        if not re.fullmatch(r"\d+", text):
            raise FilterError(f"{name} must be a non-negative integer, not '{text}'")
        return int(text)

    def _ordered(self, rows: list[dict]) -> list[dict]:
        order = self.query.get("$orderby", "").strip()
        for part in reversed([item.strip() for item in order.split(",") if item.strip()]):
            words = part.split()
            if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise FilterError(f"Cannot sort by '{part}'")
            column = column_name(words[0])
            descending = len(words) == 2 and words[1].lower() == "desc"
            rows = sorted(
                rows, key=lambda row, col=column: str(row[col]).lower() if isinstance(row[col], str) else row[col],
                reverse=descending)
        return rows


# ---------------------------------------------------------------------------------------------
# Command line

def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM or SIGINT; print ``SUPEROFFICE_SIM_URL=<base url>`` first."""
    parser = argument_parser("SuperOffice WebAPI simulator")
    parser.add_argument("--mode", choices=("onsite", "online"), default="onsite")
    parser.add_argument("--base-path", default="/SuperOffice")
    parser.add_argument("--tenant", default="Cust12345")
    parser.add_argument("--expected-host", default=None)
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--restricted", action="store_true",
                        help="answer 403 to every CRMScript REST/agent operation")
    args = parser.parse_args(argv)
    sim = SuperOfficeSimulator(mode=args.mode, latency=args.latency, host=args.host,
                               port=args.port, base_path=args.base_path, tenant=args.tenant,
                               expected_host=args.expected_host, slow_seconds=args.slow_seconds,
                               crmscript_agent_restricted=args.restricted)
    return serve(sim, "SUPEROFFICE_SIM_URL", args.port_file)


if __name__ == "__main__":
    sys.exit(main())
