# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""SuperOffice WebAPI client: base URLs, authentication headers, errors, calls.

Requests go through the collection's ``HttpTransport``; this layer adds what
SuperOffice defines: where ``/api/v1`` lives for Onsite and Online
installations (``urls.py``), the four ways to authenticate, the
``SO-*`` headers, and how its error bodies (``{"Error": true, "ErrorType": ...,
"ErrorMessage": ...}``) become messages a person can act on.

The client is built from named arguments, so that it works without Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from urllib.parse import quote

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    AuthError,
    HttpStatusError,
    InvalidParamsError,
    NotFoundError,
    OptionError,
    ProtocolError,
    ScriptFailedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import (
    NOT_JSON,
    SAFE_METHODS,
    HttpTransport,
    may_have_run_after,
    parse_json,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor, body_excerpt, display_url
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.urls import (
    base_url,
    is_online,
    tenant_state_url,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.vocabulary import odata_string

AUTH_BASIC = "username and password"
AUTH_TICKET = "ticket"
AUTH_BEARER = "access_token"
AUTH_XSRF = "xsrf_token"

# Headers that carry credentials: they come from the no_log options named here, never from ``headers``.
CREDENTIAL_HEADERS = {
    "authorization": "username/password, ticket or access_token",
    "so-apptoken": "app_token",
    "x-xsrf-token": "xsrf_token",
    "cookie": "session_cookie",
}
# Headers whose values are secrets wherever they come from: masked in everything returned.
SECRET_HEADERS = tuple(CREDENTIAL_HEADERS) + ("proxy-authorization",)
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Rows read to suggest scripts when a name matches none.
LIST_LIMIT = 500
_SCHEME_PREFIX = re.compile(r"^(SOTicket|Bearer)(\s+|$)", re.IGNORECASE)


def secret_header_values(headers):
    """The values of the extra ``headers`` that are secrets (refused or not), to mask them."""
    return [str(value) for name, value in (headers or {}).items()
            if str(name).strip().lower() in SECRET_HEADERS and value]


def check_credentials(online, username=None, password=None, ticket=None, access_token=None, xsrf_token=None,
                      session_cookie=None, app_token=None):
    """Exactly one way to authenticate; returns its name."""
    given = [name for name, present in (
        (AUTH_BASIC, username or password), (AUTH_TICKET, ticket), (AUTH_BEARER, access_token), (AUTH_XSRF, xsrf_token),
    ) if present]
    if len(given) != 1:
        raise OptionError(
            "SuperOffice needs exactly one way to authenticate: username and password (Basic, Onsite), "
            "ticket (SOTicket), access_token (Bearer, Online) or xsrf_token (web session); %s. They can also "
            "come from SUPEROFFICE_USERNAME/SUPEROFFICE_PASSWORD, SUPEROFFICE_TICKET or SUPEROFFICE_ACCESS_TOKEN."
            % ("none was given" if not given else "got " + " and ".join(given))
        )
    scheme = given[0]
    if scheme == AUTH_BASIC and not (username and password):
        raise OptionError("username and password go together: give both (or use ticket or access_token).")
    if scheme == AUTH_BASIC and ":" in username:
        raise OptionError("username must not contain ':' (Basic authentication cannot carry it).")
    if session_cookie and scheme != AUTH_XSRF:
        raise OptionError("session_cookie belongs to xsrf_token (web-session authentication); drop it.")
    if online and scheme == AUTH_BASIC:
        raise OptionError("SuperOffice Online does not accept username and password (Basic authentication); "
                          "use access_token, or ticket with app_token.")
    if online and scheme == AUTH_TICKET and not app_token:
        raise OptionError("SuperOffice Online needs app_token (the application's client secret, sent as "
                          "SO-AppToken) with a ticket; set app_token or SUPEROFFICE_APP_TOKEN.")
    return scheme


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
    body = parse_json(text)
    if isinstance(body, dict) and (body.get("ErrorMessage") or body.get("ErrorType")):
        return body
    return None


def _other_message(text, redactor):
    """The message of a non-SuperOffice JSON error (ASP.NET ``{"Message": ...}``), or an excerpt."""
    body = parse_json(text)
    if isinstance(body, dict) and isinstance(body.get("Message"), str):
        return body["Message"]
    return body_excerpt(redactor.scrub(text))


# POSTs that only read: they are sent in check mode. Every other POST, PUT, PATCH or DELETE acts.
KNOWN_READS = frozenset([("POST", "Agents/CustomerService/EventHandlerExists")])


def request_acts(method, path):
    """Whether ``method`` on ``path`` can act: anything but GET, HEAD, OPTIONS and the known reads."""
    method = str(method).upper()
    return method not in SAFE_METHODS and (method, str(path).split("?", 1)[0]) not in KNOWN_READS


class SuperOfficeClient:
    """Authenticated calls to one SuperOffice installation or tenant.

    ``read_only`` opens the transport for check mode: every request that acts
    (runs a script or event handlers) is refused before it is sent.
    """

    def __init__(self, url, *, username=None, password=None, ticket=None, access_token=None, app_token=None,
                 xsrf_token=None, session_cookie=None, language=None, culture=None, time_zone=None, headers=None,
                 validate_certs=True, ca_path=None, timeout=None, redactor=None, read_only=False):
        self.url = base_url(url)
        self.base = self.url + "/api/v1/"
        self.online = is_online(self.url)
        self.app_token_given = bool(app_token)
        self.redactor = redactor or Redactor()
        for value in secret_header_values(headers):
            self.redactor.add(value)
        credentials = dict(username=username, password=password, ticket=ticket, access_token=access_token,
                           xsrf_token=xsrf_token, session_cookie=session_cookie, app_token=app_token)
        self.scheme = check_credentials(self.online, **credentials)
        send = self._auth_headers(**credentials)
        send.update(self._app_headers(app_token))
        send.update(self._locale_headers(language, culture, time_zone))
        send.update(self._extra_headers(headers))
        self.transport = HttpTransport(validate_certs=validate_certs, ca_path=ca_path, timeout=timeout, pool_size=1,
                                       headers=send, redactor=self.redactor, read_only=read_only)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _secret(self, value, option):
        """A credential as it is sent (see ``_credential``), remembered for masking in both forms."""
        sent = _credential(value, option)
        self.redactor.add(value, sent)
        return sent

    def _auth_headers(self, username=None, password=None, ticket=None, access_token=None, xsrf_token=None,
                      session_cookie=None, app_token=None):
        """The ``Authorization`` header of the chosen scheme (``X-XSRF-TOKEN`` and ``Cookie`` for a web session)."""
        if self.scheme == AUTH_BASIC:
            self.redactor.add_basic_auth(username, password)
            pair = "%s:%s" % (username, password)
            return {"Authorization": "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")}
        if self.scheme == AUTH_TICKET:
            return {"Authorization": "SOTicket %s" % self._secret(ticket, "ticket")}
        if self.scheme == AUTH_BEARER:
            return {"Authorization": "Bearer %s" % self._secret(access_token, "access_token")}
        headers = {"X-XSRF-TOKEN": self._secret(xsrf_token, "xsrf_token")}
        if session_cookie:
            cookie = headers["Cookie"] = _credential(session_cookie, "session_cookie")
            self.redactor.add(cookie, *[part.split("=", 1)[-1].strip() for part in cookie.split(";")])
        return headers

    def _app_headers(self, app_token):
        return {"SO-AppToken": self._secret(app_token, "app_token")} if app_token else {}

    @staticmethod
    def _locale_headers(language, culture, time_zone):
        headers = {}
        if language:
            headers["Accept-Language"] = headers["SO-Language"] = language
        if culture:
            headers["SO-Culture"] = culture
        if time_zone:
            headers["SO-TimeZone"] = time_zone
        return headers

    @staticmethod
    def _extra_headers(extra):
        """The ``headers`` option, checked: no credentials, valid names, no line breaks."""
        headers = {}
        for name, value in (extra or {}).items():
            name = str(name).strip()
            if name.lower() in CREDENTIAL_HEADERS:
                raise OptionError("headers must not set %s: use the option %s, which keeps it out of logs."
                                  % (name, CREDENTIAL_HEADERS[name.lower()]))
            if not _HEADER_NAME.match(name):
                raise OptionError("headers: %r is not a valid HTTP header name." % name)
            value = "" if value is None else str(value)
            if re.search(r"[\r\n]", value):
                raise OptionError("headers: the value of %s contains a line break." % name)
            headers[name] = value
        return headers

    def close(self):
        self.transport.close()

    def request(self, method, path, payload=None, params=None, action=None, acts=None):
        """Call ``path`` (relative to ``/api/v1/``) and return the parsed JSON answer.

        ``action`` says what the call does, for messages. Whether the call acts (can run
        a script, so that a failure after sending may mean it ran, and check mode refuses
        it) follows from ``request_acts`` unless the caller says ``acts`` explicitly.
        """
        action = action or "calling %s" % path
        acts = request_acts(method, path) if acts is None else bool(acts)
        response = self.transport.request(method, self.base + path, payload=payload, params=params, acts=acts)
        if 200 <= response.status < 300:
            if not response.content.strip():
                return None
            body = parse_json(response.text)
            if body is NOT_JSON:
                raise ProtocolError(
                    "While %s, %s answered HTTP %s with a body that is not JSON: %s. A proxy or a login page may have "
                    "answered instead of the WebAPI: check the url option."
                    % (action, display_url(response.url), response.status, response.excerpt()),
                    may_have_run=acts, status=response.status)
            return body
        raise self._error(response, action, acts)

    def _error(self, response, action, acts):
        """The error for a non-2xx answer: what happened, and what to do about it."""
        status, reason, where = response.status, response.reason or "", display_url(response.url)
        body, detail, data = self._error_detail(response.text)
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
        if status >= 500 and body is not None and acts:
            return ScriptFailedError("SuperOffice failed (HTTP %s) while %s%s. The script started and may have done "
                                     "part of its work." % (status, action, said), may_have_run=True, **common)
        if status >= 500 and body is not None:
            return HttpStatusError("SuperOffice failed (HTTP %s) while %s%s." % (status, action, said), **common)
        return HttpStatusError("SuperOffice answered HTTP %s %s for %s while %s%s."
                               % (status, reason, where, action, said),
                               may_have_run=may_have_run_after(status, acts), **common)

    def _error_detail(self, text):
        """(SuperOffice error body or None, what it says, the error's data), every secret masked."""
        body = _error_body(text)
        if body is not None:
            detail = ": ".join(str(part) for part in (body.get("ErrorType"), body.get("ErrorMessage")) if part)
            data = dict((key, body.get(key)) for key in ("ErrorType", "ErrorMessage", "ErrorSource"))
        else:
            detail = _other_message(text, self.redactor)
            data = None if detail == "(empty)" else detail
        return body, self.redactor.scrub(detail), self.redactor.scrub(data)

    def _auth_hint(self):
        return {
            AUTH_BASIC: "Check username and password, and that the installation allows Basic authentication "
                        "(web.config WebApi AuthorizeWithUsername).%s" % self._which_accepts(),
            AUTH_TICKET: "The ticket expired (tickets expire after 6 hours without use) or was revoked.%s Get a new "
                         "one: log in with scriptbridge.core.superoffice_login earlier in the play and pass its ticket, "
                         "or give system_user_token, private_key, app_token and tenant so that the module logs in "
                         "itself.%s" % (" Check also that app_token is the application's client secret."
                                        if self.online or self.app_token_given else "", self._which_accepts()),
            AUTH_BEARER: "Check that the access token is current (they live one hour)%s."
                         % ("" if self.online else "; Bearer tokens are for SuperOffice Online, Onsite uses a ticket "
                                                   "or username and password"),
            AUTH_XSRF: "Check that xsrf_token and session_cookie come from the same, still open, web session.",
        }[self.scheme]

    def _which_accepts(self):
        """For a host not under superoffice.com, which the server judged: what each kind of installation takes."""
        if self.online:
            return ""
        return (" This host is not under superoffice.com, so the server decided: SuperOffice Online accepts a ticket "
                "with app_token, or an access_token; Onsite accepts username and password, or a ticket.")

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
                                         action="running CRMScript %d" % script_id, acts=True))

    def execute_script_by_unique_id(self, unique_id, parameters):
        """Run a script by UniqueIdentifier.

        The REST URL takes ids and unique ids in the same place and reads an integer as an
        id, so a unique id that looks like a number goes through the agent instead.
        """
        action = "running the CRMScript with unique_id %r" % unique_id
        if re.match(r"^\s*[-+]?\d+\s*$", unique_id):
            answer = self.request("POST", "Agents/CRMScript/ExecuteScriptByUniqueId", action=action, acts=True,
                                  payload={"CRMScriptUniqueId": unique_id, "Parameters": parameters})
        else:
            answer = self.request("POST", "CRMScript/%s/Execute" % quote(unique_id, safe=""), payload=parameters,
                                  action=action, acts=True)
        return self._output(answer)

    def execute_script_by_include_id(self, include_id, parameters):
        """Run a script by IncludeId (CRMScript agent)."""
        return self._output(self.request("POST", "Agents/CRMScript/ExecuteScriptByIncludeId",
                                         payload={"CRMScriptIncludeId": include_id, "Parameters": parameters},
                                         action="running the CRMScript with include_id %r" % include_id, acts=True))

    def _output(self, answer):
        if answer is None:
            return ""
        if not isinstance(answer, str):
            raise ProtocolError("The answer to running the script was not its output as a JSON string: %s."
                                % body_excerpt(self.redactor.scrub(json.dumps(answer))), may_have_run=True)
        return answer

    # -- event handlers -------------------------------------------------------

    def execute_event_handlers(self, event_data, select=None):
        """Run the handlers of ``event_data["Type"]``; returns the EventData they left."""
        params = {"$select": ",".join(select)} if select else None
        answer = self.request("POST", "Agents/CustomerService/ExecuteEventHandlers", payload={"EventData": event_data},
                              params=params, action="running the event handlers of %s" % event_data["Type"], acts=True)
        if not isinstance(answer, dict):
            raise ProtocolError("ExecuteEventHandlers did not return an EventData object: %s."
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
