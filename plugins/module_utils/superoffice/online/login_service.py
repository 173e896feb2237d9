# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The exchanges with SuperOffice's environment host.

* ``tenant_status()``: ``GET /api/state/{tenant}``, no authentication; with a
  ``StatusCache``, an answer kept until its ``ValidUntil`` instead.
* ``system_user_login()``: sign the system user token, ``POST
  /Login/api/PartnerSystemUser/Authenticate``, validate the JWT against the
  environment's keys (``/login/.well-known/jwks``) or a pinned certificate,
  return the ticket.
* ``refresh_access_token()``: ``POST /login/common/oauth/tokens`` with
  ``grant_type=refresh_token``; a new refresh token in the answer is returned.

None of them runs a script, so a failure here always means nothing ran. Every
secret involved is added to the transport's redactor before it is sent.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    AuthError,
    HttpStatusError,
    NotFoundError,
    OptionError,
    ProtocolError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import NOT_JSON, parse_json
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import display_url
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.environment import (
    check_tenant,
    environment_name,
    environment_url,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.keys import (
    load_certificate_key,
    load_private_key,
    sign_system_user_token,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.libraries import require
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.tenant_status import TenantStatus
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.tokens import (
    CLAIM,
    jwks_keys,
    tenant_of_access_token,
    unverified_header,
    validate_system_user_jwt,
    webapi_url_claim,
)

AUTHENTICATE_PATH = "/Login/api/PartnerSystemUser/Authenticate"
JWKS_PATH = "/login/.well-known/jwks"
TOKEN_PATH = "/login/common/oauth/tokens"
STATE_PATH = "/api/state/"
# What the documented AuthorizeErrorCode names mean for the person running the play.
_ERROR_HINTS = (
    ("timestamp", "The signed timestamp was refused: check that this host's clock is right (UTC, NTP)."),
    ("signature", "The signature was refused: private_key must be the key whose certificate is registered for this "
                  "application in this environment in the developer portal."),
    ("revoked", "The tenant's administrator revoked the application's access: it must be approved again."),
    ("expired", "The application's authorization on this tenant expired: it must be approved again."),
    ("reapproval", "The tenant's administrator must approve the application again."),
    ("denied", "The tenant denied the application access."),
)


class LoginResult:
    """A ticket or access token and where to use it."""

    def __init__(self, credential, url=None, tenant=None, expires=None, refresh_token=None):
        self.credential = credential
        self.url = url
        self.tenant = tenant
        self.expires = expires
        # A new refresh token, when the token endpoint replaced the one given.
        self.refresh_token = refresh_token


def _answer_json(response, what):
    """The JSON of a 2xx answer, or an error that says a proxy or page answered instead."""
    answer = parse_json(response.text)
    if answer is NOT_JSON:
        raise ProtocolError("%s answered HTTP %s with something that is not JSON (%s) while %s: a proxy or a web page "
                            "answered instead of SuperOffice. Check the environment option."
                            % (display_url(response.url), response.status, response.excerpt(), what), nothing_ran=True)
    return answer


def _status_error(response, what, hint=""):
    cls = AuthError if response.status in (401, 403) else HttpStatusError
    return cls("%s answered HTTP %s %s while %s: %s.%s"
               % (display_url(response.url), response.status, response.reason or "", what, response.excerpt(), hint),
               status=response.status, code=response.status, nothing_ran=True)


def tenant_status(transport, environment, tenant, cache=None, fresh=False):
    """Ask the tenant-status service about ``tenant``; refuse a tenant that is not running.

    With a ``cache`` (a ``StatusCache``), a kept answer still valid is used
    instead of asking, unless ``fresh``; a new answer of a running tenant is
    kept.
    """
    tenant = check_tenant(tenant)
    base = environment_url(environment)
    if cache is not None and not fresh:
        kept = cache.get(base, tenant)
        if kept is not None:
            status = TenantStatus(tenant, kept)
            if status.running and status.url:
                return status
    url = base + STATE_PATH + tenant
    what = "asking the tenant-status service about %s" % tenant
    response = transport.request("GET", url, acts=False)
    if response.status == 404:
        raise NotFoundError("The tenant-status service (%s) knows no tenant %s in environment %s: check tenant and "
                            "environment." % (display_url(url), tenant, environment_name(environment)),
                            status=404, code=404, nothing_ran=True)
    if not 200 <= response.status < 300:
        raise _status_error(response, what)
    answer = _answer_json(response, what)
    if not isinstance(answer, dict):
        raise ProtocolError("The tenant-status service answered %s instead of an object while %s."
                            % (response.excerpt(), what), nothing_ran=True)
    status = TenantStatus(tenant, answer).check_running(environment)
    if cache is not None:
        cache.put(base, tenant, answer)
    return status


def _login_refused(message):
    hints = [hint for word, hint in _ERROR_HINTS if word in message.lower()]
    return " ".join(hints) or ("Check tenant, system_user_token (it changes when the application is approved again), "
                               "private_key and app_token (the client secret of this environment).")


def _authenticate(transport, environment, tenant, signed, app_token):
    """The JWT from PartnerSystemUser/Authenticate."""
    what = "logging in the system user of %s" % tenant
    payload = {"SignedSystemToken": signed, "ApplicationToken": app_token, "ContextIdentifier": tenant,
               "ReturnTokenType": "JWT"}
    response = transport.request("POST", environment_url(environment) + AUTHENTICATE_PATH, payload=payload,
                                 acts=False)
    if not 200 <= response.status < 300:
        raise _status_error(response, what, " " + _login_refused(response.text))
    answer = _answer_json(response, what)
    if not isinstance(answer, dict):
        raise ProtocolError("The login service answered %s instead of an object." % response.excerpt(), nothing_ran=True)
    if answer.get("IsSuccessful") is not True or not isinstance(answer.get("Token"), str) or not answer["Token"]:
        said = answer.get("ErrorMessage") if isinstance(answer.get("ErrorMessage"), str) else ""
        raise AuthError("SuperOffice's login service refused the system user of %s%s. %s"
                        % (tenant, ": %s" % transport.redactor.scrub(said) if said else " without a reason",
                           _login_refused(said)), nothing_ran=True)
    return answer["Token"]


def _signing_keys(transport, environment, header, certificate):
    if certificate:
        return [load_certificate_key(certificate)]
    url = environment_url(environment) + JWKS_PATH
    response = transport.request("GET", url, acts=False)
    what = "reading the environment's signing keys"
    if not 200 <= response.status < 300:
        raise _status_error(response, what, " Give login_certificate (the environment's SuperOfficeFederatedLogin.crt)"
                                            " if this host cannot reach the keys.")
    return jwks_keys(_answer_json(response, what), header)


def system_user_login(transport, environment, tenant, system_user_token, private_key, app_token, certificate=None):
    """Log the tenant's system user in; returns its ticket once the JWT has been validated."""
    require("cryptography", "PyJWT")
    tenant = check_tenant(tenant)
    for secret in (system_user_token, private_key, app_token):
        transport.redactor.add(secret)
    key = load_private_key(private_key)
    signed = sign_system_user_token(system_user_token.strip(), key)
    transport.redactor.add(signed, signed.rsplit(".", 1)[-1])
    token = _authenticate(transport, environment, tenant, signed, app_token.strip())
    transport.redactor.add(token, *token.split("."))
    header = unverified_header(token)
    claims = validate_system_user_jwt(token, _signing_keys(transport, environment, header, certificate))
    ticket = claims[CLAIM + "ticket"].strip()
    transport.redactor.add(ticket)
    return LoginResult(ticket, url=webapi_url_claim(claims), tenant=tenant)


def _token_request(transport, url, form):
    """POST the refresh parameters as a form body; where that is refused as malformed, as the query string.

    SuperOffice documents the query string, the OAuth client library its own
    extension uses sends a form body; a token request runs nothing, so asking
    the second way after a 400/415 is safe.
    """
    response = transport.request("POST", url, form=form, acts=False)
    if response.status in (400, 415) and "invalid_grant" not in response.text:
        response = transport.request("POST", url, params=form, acts=False)
    return response


def refresh_access_token(transport, environment, client_id, client_secret, refresh_token, now=None):
    """A fresh access token (Bearer) from a refresh token."""
    for secret in (client_secret, refresh_token):
        transport.redactor.add(secret)
    url = environment_url(environment) + TOKEN_PATH
    form = {"grant_type": "refresh_token", "client_id": client_id.strip(), "client_secret": client_secret.strip(),
            "refresh_token": refresh_token.strip()}
    what = "refreshing the access token of client %s" % client_id
    response = _token_request(transport, url, form)
    if not 200 <= response.status < 300:
        raise _status_error(response, what, " Check client_id, app_token (the client secret) and refresh_token (it "
                                            "ends when the user's consent is withdrawn).")
    answer = _answer_json(response, what)
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise ProtocolError("The token endpoint answered without an access_token while %s." % what, nothing_ran=True)
    transport.redactor.add(token, answer.get("id_token"), answer.get("refresh_token"))
    expires = None
    if isinstance(answer.get("expires_in"), (int, float)) and not isinstance(answer.get("expires_in"), bool):
        now = now or datetime.datetime.now(datetime.timezone.utc)
        expires = (now + datetime.timedelta(seconds=answer["expires_in"])).strftime("%Y-%m-%dT%H:%M:%SZ")
    rotated = answer.get("refresh_token")
    rotated = rotated.strip() if isinstance(rotated, str) and rotated.strip() != form["refresh_token"] else None
    return LoginResult(token.strip(), tenant=tenant_of_access_token(token), expires=expires,
                       refresh_token=rotated or None)


# -- the flows, from module options ------------------------------------------------------------------------------

# What each flow needs; the application's key may also be given as its file (private_key_path).
FLOWS = {"system_user": ("system_user_token", "private_key", "app_token", "tenant"),
         "refresh_token": ("client_id", "app_token", "refresh_token")}


def check_flow(flow, params):
    """Everything ``flow`` needs is in ``params``, before anything is sent; an error naming what is missing."""
    needed = FLOWS[flow]
    missing = [name for name in needed if not params.get(name)]
    if missing:
        raise OptionError("The %s login needs %s; missing: %s. They can also come from %s."
                          % (flow.replace("_", " "),
                             ", ".join("private_key (or private_key_path)" if name == "private_key" else name
                                       for name in needed),
                             ", ".join(missing), ", ".join("SUPEROFFICE_%s" % name.upper() for name in missing)))


def choose_flow(params):
    """``system_user`` or ``refresh_token``: exactly one, complete; an error naming what is missing otherwise."""
    system_user = [name for name in ("system_user_token", "private_key") if params.get(name)]
    refresh = [name for name in ("client_id", "refresh_token") if params.get(name)]
    if system_user and refresh:
        raise OptionError("Give one way to log in: the system user (system_user_token, private_key, app_token, "
                          "tenant) or a refresh token (client_id, refresh_token, app_token), not %s and %s together."
                          % (", ".join(system_user), ", ".join(refresh)))
    flow = "refresh_token" if refresh else "system_user"
    check_flow(flow, params)
    return flow


def login(transport, environment=None, tenant=None, system_user_token=None, private_key=None, app_token=None,
          client_id=None, refresh_token=None, login_certificate=None, status_cache=None):
    """Log in with the flow the arguments make up; returns a ``LoginResult`` with the tenant's url when known.

    The system user flow asks the tenant status first (a tenant that is not
    running is refused before any login) and takes the url from it. The refresh
    flow asks it when the tenant is known (given, or named by the access token).
    ``status_cache``: a ``StatusCache`` for the tenant-status answers.
    """
    flow = choose_flow({"tenant": tenant, "system_user_token": system_user_token, "private_key": private_key,
                        "app_token": app_token, "client_id": client_id, "refresh_token": refresh_token})
    if flow == "system_user":
        status = tenant_status(transport, environment, tenant, status_cache)
        result = system_user_login(transport, environment, status.tenant, system_user_token, private_key, app_token,
                                   login_certificate)
        result.url = status.url or result.url
        return result
    result = refresh_access_token(transport, environment, client_id, app_token, refresh_token)
    tenant = tenant or result.tenant
    if tenant:
        status = tenant_status(transport, environment, tenant, status_cache)
        result.tenant, result.url = status.tenant, status.url
    return result
