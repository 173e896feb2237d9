# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Zabbix API client: URLs, version rules, authentication, name resolution.

Everything that differs between Zabbix versions is decided in ``ApiRules``
from the version that ``apiinfo.version`` reports, so the rest of the code
asks questions (``rules.auth_header``) instead of comparing version numbers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    NotFoundError,
    OptionError,
    ProtocolError,
    ScriptBridgeError,
    UnsupportedError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport, check_base_url
from ansible_collections.scriptbridge.core.plugins.module_utils.core.jsonrpc import JsonRpcClient, JsonRpcError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor

API_PATH = "api_jsonrpc.php"
TOKEN_LENGTH = 64

SCOPE_ACTION = 1
SCOPE_HOST = 2
SCOPE_EVENT = 4
SCOPE_NAMES = {SCOPE_ACTION: "action operation", SCOPE_HOST: "manual host action", SCOPE_EVENT: "manual event action"}
TYPE_URL = 6
TYPE_NAMES = {0: "script", 1: "IPMI", 2: "SSH", 3: "Telnet", 5: "webhook", 6: "URL"}
EXECUTE_ON_NAMES = {0: "agent", 1: "server", 2: "server (proxy)"}

# What to do when the web server in front of the API refuses a request (HTTP 401/403).
HTTP_AUTH_HINT = "Check http_username and http_password."
SESSION_TERMINATED = "Session terminated, re-login, please."
NO_PERMISSIONS = "No permissions to referred object or it does not exist!"

# Texts of the server that say which kind of failure happened (FACTS: errors table).
_AUTH_TEXTS = (
    "Not authorized.",
    SESSION_TERMINATED,
    "API token expired.",
    "Incorrect user name or password",
    "must be called without",
)
_UNSUPPORTED_TEXTS = (
    'unexpected parameter "manualinput"',
    'unexpected parameter "eventid"',
    "Cannot execute URL type script.",
    "Script is not allowed in manual",
    "Global script execution on Zabbix server is disabled",
)
_INVALID_TEXTS = (
    "Script takes user input, but none was provided.",
    "Provided script user input failed validation.",
)
_UNREACHABLE_TEXTS = ("Connection to Zabbix server",)
_TIMEOUT_TEXTS = ("Timeout while waiting for remote command result.",)
# script.execute failures where the command never started on the target.
_NOT_STARTED_TEXTS = (
    "Unknown host identifier.",
    "Zabbix agent interface is not defined",
    "Unsupported item key.",
    "cannot connect to",
    "Global script execution on Zabbix server is disabled",
)


# Methods that read, and methods that open or close a session: none of them can run a script.
_SESSION_METHODS = ("user.login", "user.logout", "user.checkAuthentication")


def acts(method):
    """Whether a Zabbix API method can act (run a script, change something): anything but a read or a session."""
    name = str(method)
    return not (name.endswith(".get") or name.startswith("apiinfo.") or name in _SESSION_METHODS)


def check_credentials(api_token=None, username=None, password=None):
    """Exactly one of api_token or username+password."""
    if api_token and (username or password):
        raise OptionError("Give either api_token or username and password, not both.")
    if not api_token and not (username and password):
        if username or password:
            raise OptionError("username and password go together: give both, or use api_token instead.")
        raise OptionError(
            "No Zabbix credentials: set api_token (or ZABBIX_API_TOKEN), or username and password "
            "(or ZABBIX_USERNAME and ZABBIX_PASSWORD)."
        )


def classify(error):
    """The error kind of a Zabbix JSON-RPC error, from its code and texts."""
    text = "%s %s" % (error.rpc_message, error.data or "")
    for kind, texts in (("auth", _AUTH_TEXTS), ("unsupported", _UNSUPPORTED_TEXTS), ("invalid_params", _INVALID_TEXTS),
                        ("server_unreachable", _UNREACHABLE_TEXTS), ("timeout", _TIMEOUT_TEXTS)):
        if any(t in text for t in texts):
            return kind
    if NO_PERMISSIONS in text:
        return "not_found_or_forbidden"
    if error.code == -32500:
        # Application errors of script.execute are the script's own failures:
        # exit status, agent unreachable, webhook exceptions.
        return "script_failed" if error.method == "script.execute" else "invalid_params"
    return error.kind


def script_may_have_run(error):
    """Whether a failed ``script.execute`` may have run the script on its target."""
    if error.may_have_run or error.kind == "timeout":
        return True
    if error.kind != "script_failed":
        return False
    text = "%s %s" % (error.message, error.data or "")
    return not any(t in text for t in _NOT_STARTED_TEXTS)


def endpoint_url(url):
    """``https://host``, ``https://host/zabbix/`` or the full endpoint -> the endpoint."""
    url = check_base_url(url).rstrip("/")
    if url.endswith("/" + API_PATH):
        return url
    return "%s/%s" % (url, API_PATH)


def parse_version(text):
    match = re.match(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?", str(text))
    if not match:
        raise ProtocolError("apiinfo.version returned %r, which is not a Zabbix version number." % (text,))
    return tuple(int(part or 0) for part in match.groups())


class ApiRules:
    """What one Zabbix API version expects (FACTS: version matrix)."""

    def __init__(self, version):
        self.version = version
        major_minor = version[:2]
        self.auth_header = major_minor >= (6, 4)
        # 7.2 refuses the credential in the body, which 6.4 and 7.0 still take.
        self.auth_in_body = major_minor < (7, 2)
        self.login_user_param = "user" if major_minor < (5, 4) else "username"
        self.event_targets = major_minor >= (5, 4)
        self.api_tokens = major_minor >= (5, 4)
        self.manualinput = major_minor >= (7, 0)
        self.url_scripts = major_minor >= (6, 4)
        # 5.4 and 6.0 frontends crash in script.execute when the caller uses an API token.
        self.token_execute_broken = (5, 4) <= major_minor < (6, 4)

    @property
    def text(self):
        return "%d.%d.%d" % self.version


class ZabbixClient:
    """A logged-in view of one Zabbix API.

    Built from named arguments, so that it works without Ansible; use it as a
    context manager (or call ``close()``) to log out and close the connections.
    ``read_only`` opens the transport for check mode: ``script.execute`` and
    every other method that acts is refused before it is sent.
    """

    def __init__(self, url, *, api_token=None, username=None, password=None, http_username=None, http_password=None,
                 validate_certs=True, ca_path=None, timeout=None, pool_size=4, redactor=None, read_only=False):
        check_credentials(api_token, username, password)
        self.url = endpoint_url(url)
        self.redactor = redactor or Redactor()
        self.api_token = api_token
        self.username = username
        self.password = password
        self.redactor.add(self.api_token)
        self.redactor.add(self.password)
        basic = None
        if http_username is not None:
            basic = (http_username, http_password or "")
        self.http_basic = basic is not None
        self.transport = HttpTransport(
            validate_certs=validate_certs, ca_path=ca_path, timeout=timeout, pool_size=pool_size, basic_auth=basic,
            redactor=self.redactor, read_only=read_only,
        )
        self.rpc = JsonRpcClient(self.transport, self.url, classify=classify, acts=acts,
                                 http_auth_hint=HTTP_AUTH_HINT)
        self.rules = None
        self.version_text = None
        self._session = None
        self._login_lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- connection -------------------------------------------------------

    def detect_version(self):
        """Ask ``apiinfo.version`` (without credentials) and derive the rules."""
        self.version_text = self.rpc.call("apiinfo.version", [])
        self.rules = ApiRules(parse_version(self.version_text))
        return self.rules

    @property
    def uses_token(self):
        return bool(self.api_token)

    def login(self):
        """Open a session for username/password; a token needs no login."""
        if self.http_basic and not self.rules.auth_in_body:
            raise UnsupportedError(
                "Zabbix %s takes the API credential only in the Authorization header, which HTTP Basic "
                "(http_username, http_password) in front of the API already uses. Let the web server pass the "
                "API through without Basic authentication, or reach the API by another address." % self.version_text)
        if self.uses_token:
            self.require("api_tokens", "API tokens need Zabbix 5.4 or later: use username and password")
            if len(self.api_token) != TOKEN_LENGTH:
                raise OptionError(
                    "api_token is %d characters long; Zabbix API tokens have %d. A session id is not an API token: "
                    "use username and password to log in." % (len(self.api_token), TOKEN_LENGTH)
                )
            return
        with self._login_lock:
            self._login_locked()

    def _login_locked(self):
        self._session = self.rpc.call("user.login", {self.rules.login_user_param: self.username, "password": self.password})
        self.redactor.add(self._session)

    def logout(self):
        """Close the session opened by ``login``; never log out a token."""
        if self._session is None:
            return
        session, self._session = self._session, None
        try:
            self._call_with(session, "user.logout", [])
        except ScriptBridgeError:
            # A failed logout must not hide the outcome of the task; the session
            # expires on the server by itself.
            pass

    def close(self):
        try:
            self.logout()
        finally:
            self.transport.close()

    def _call_with(self, credential, method, params):
        # With HTTP Basic in front of the API the Authorization header is taken.
        if self.rules.auth_header and not (self.http_basic and self.rules.auth_in_body):
            return self.rpc.call(method, params, headers={"Authorization": "Bearer %s" % credential})
        return self.rpc.call(method, params, auth=credential)

    def call(self, method, params):
        """Call an authenticated method; an expired session is renewed once.

        Renewal is safe for any method, ``script.execute`` included: the
        server refused the call before doing anything.
        """
        credential = self.api_token or self._session
        try:
            return self._call_with(credential, method, params)
        except JsonRpcError as exc:
            if self.uses_token or SESSION_TERMINATED not in str(exc.data):
                raise
        with self._login_lock:
            # Of several calls that saw the session end, the first logs in again.
            if self._session == credential:
                self._login_locked()
            credential = self._session
        return self._call_with(credential, method, params)

    # -- lookups ------------------------------------------------------------

    def hosts_by_name(self, names):
        """Map technical host names to host ids in one call; every name must exist."""
        found = self.call("host.get", {"output": ["hostid", "host", "name"], "filter": {"host": list(names)}})
        by_name = dict((h["host"], h) for h in found)
        missing = [n for n in names if n not in by_name]
        if missing:
            raise NotFoundError(
                "No host with the technical name %s is visible to this user%s. Host names are case-sensitive and "
                "are the technical name (Configuration > Hosts > Host name), not the visible name."
                % (_quoted(missing), "" if len(missing) == 1 else " (none of them)" if len(missing) == len(names) else "")
            )
        return [by_name[n] for n in names]

    def hosts_by_id(self, hostids):
        found = self.call("host.get", {"output": ["hostid", "host", "name"], "hostids": list(hostids)})
        by_id = dict((h["hostid"], h) for h in found)
        missing = [i for i in hostids if i not in by_id]
        if missing:
            raise NotFoundError("No host with id %s exists or is visible to this user." % _quoted(missing))
        return [by_id[i] for i in hostids]

    def events_by_id(self, eventids):
        found = self.call("event.get", {
            "output": ["eventid", "name", "objectid"], "eventids": list(eventids), "selectHosts": ["hostid", "host"],
        })
        by_id = dict((e["eventid"], e) for e in found)
        missing = [i for i in eventids if i not in by_id]
        if missing:
            raise NotFoundError("No event with id %s exists or is visible to this user." % _quoted(missing))
        return [by_id[i] for i in eventids]

    def script(self, script_id=None, name=None, menu_path=None):
        """One script by id, or by name (and menu path); ambiguity is an error."""
        output = "extend"
        if script_id is not None:
            found = self.call("script.get", {"output": output, "scriptids": [script_id]})
            if not found:
                raise NotFoundError("No script with id %s exists or is visible to this user." % script_id)
            return found[0]
        found = self.call("script.get", {"output": output, "filter": {"name": [name]}})
        if menu_path is not None:
            wanted = _norm_menu(menu_path)
            found = [s for s in found if _norm_menu(s.get("menu_path")) == wanted]
        if len(found) == 1:
            return found[0]
        where = "" if menu_path is None else " in menu path %r" % menu_path
        if not found:
            raise NotFoundError("No script named %r%s exists or is visible to this user." % (name, where))
        raise NotFoundError(
            "%d scripts are named %r%s: %s. Give menu_path, or script_id instead of script."
            % (len(found), name, where, "; ".join(
                "id %s (menu path %r)" % (s["scriptid"], s.get("menu_path") or "") for s in found))
        )

    def hosts_script_runs_on(self, script, hostids):
        """The ids among ``hostids`` that the script is offered on, in one call.

        A script is offered on the hosts of its host group (``groupid``, 0 for
        all) where the user has the access it asks for (``host_access`` 3:
        write). ``script.get`` cannot answer this in bulk: with several
        ``hostids`` it lists the scripts offered on any of them.
        """
        if not hostids:
            return set()
        params = {"output": ["hostid"], "hostids": list(hostids)}
        if str(script.get("groupid") or "0") != "0":
            params["groupids"] = [script["groupid"]]
        if str(script.get("host_access")) == "3":
            params["editable"] = True
        return set(h["hostid"] for h in self.call("host.get", params))

    def execute(self, scriptid, hostid=None, eventid=None, manualinput=None):
        params = {"scriptid": scriptid}
        if hostid is not None:
            params["hostid"] = hostid
        if eventid is not None:
            params["eventid"] = eventid
        if manualinput is not None:
            params["manualinput"] = manualinput
        return self.call("script.execute", params)

    def require(self, feature, message):
        if not getattr(self.rules, feature):
            raise UnsupportedError("%s (this server runs Zabbix %s)." % (message, self.version_text))

    def refuse_broken_token_execute(self):
        if self.uses_token and self.rules.token_execute_broken:
            raise UnsupportedError(
                "Zabbix %s cannot run script.execute with an API token: its frontend fails with HTTP 500 "
                "(a known 5.4/6.0 bug: executeScript() gets no session id). Use username and password instead "
                "(the module logs in and out for you), or upgrade to Zabbix 6.4 or later." % self.version_text,
                nothing_ran=True,
            )


def _norm_menu(path):
    return "/".join(p for p in (path or "").split("/") if p)


def _quoted(values):
    return ", ".join(repr(str(v)) for v in values)
