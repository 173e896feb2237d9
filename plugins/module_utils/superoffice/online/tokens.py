# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The system user's JWT checked, and what an access token says of its tenant.

``validate_system_user_jwt`` accepts the token of the login service only
when it is signed with RS256 by one of the environment's keys (``jwks_keys``)
or a pinned certificate, issued by ``SuperOffice AS`` for ``spn:<serial>``,
current, and carries a ticket.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import AuthError
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.libraries import jwt, require


# The system-user token is issued by this name in every environment.
ISSUER = "SuperOffice AS"
CLAIM = "http://schemes.superoffice.net/identity/"


# Seconds of clock difference tolerated when checking exp and nbf.
LEEWAY = 60


def unverified_header(token):
    try:
        return jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError("The login service returned a token that is not a JWT; it was not trusted.")


def jwks_keys(document, header):
    """The RSA keys of a JWKS document that may have signed a token with this header."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise AuthError("The environment's signing keys (JWKS) are not a JSON object with keys; the token was "
                        "not trusted.")
    keys = []
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if header.get("kid") and entry.get("kid") not in (None, header["kid"]):
            continue
        if header.get("x5t") and entry.get("x5t") not in (None, header["x5t"]):
            continue
        try:
            keys.append(jwt.PyJWK(entry, algorithm="RS256").key)
        except jwt.PyJWTError:
            continue
    if not keys:
        raise AuthError("None of the environment's signing keys (JWKS) matches the token (kid %r, x5t %r); the token "
                        "was not trusted." % (header.get("kid"), header.get("x5t")))
    return keys


def _decode(token, keys, audience):
    error = None
    for key in keys:
        try:
            return jwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=ISSUER, leeway=LEEWAY,
                              options={"require": ["exp", "iss", "aud"]})
        except jwt.InvalidSignatureError as exc:
            error = exc
    raise error


_JWT_REASONS = (
    ("InvalidSignatureError", "its signature does not verify against the environment's keys"),
    ("ExpiredSignatureError", "it has expired (is this host's clock right?)"),
    ("ImmatureSignatureError", "it is not valid yet (is this host's clock right?)"),
    ("InvalidIssuerError", "its issuer is not %r" % ISSUER),
    ("InvalidAudienceError", "its audience is not spn:<its serial>"),
    ("MissingRequiredClaimError", "it lacks a required claim"),
    ("InvalidAlgorithmError", "it is not signed with RS256"),
)


def validate_system_user_jwt(token, keys):
    """The claims of the system-user JWT after checking it; ``keys``: RSA public keys it may be signed with.

    RS256 only, issuer ``SuperOffice AS``, audience ``spn:<serial>`` (the serial
    read from the token), exp and nbf with ``LEEWAY`` seconds, and a ticket.
    """
    require("PyJWT", "cryptography")
    header = unverified_header(token)
    if header.get("alg") != "RS256":
        raise AuthError("The login service returned a token signed with %r instead of RS256; it was not trusted."
                        % header.get("alg"))
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AuthError("The login service returned a token whose claims cannot be read; it was not trusted.")
    serial = unverified.get(CLAIM + "serial")
    if not serial:
        raise AuthError("The login service returned a token without a serial claim, so its audience cannot be "
                        "checked; it was not trusted.")
    try:
        claims = _decode(token, keys, "spn:%s" % serial)
    except jwt.PyJWTError as exc:
        reason = next((text for name, text in _JWT_REASONS if name in [c.__name__ for c in type(exc).__mro__]),
                      "it does not validate")
        raise AuthError("The token from the login service was not trusted: %s. No ticket was used." % reason)
    if not isinstance(claims.get(CLAIM + "ticket"), str) or not claims[CLAIM + "ticket"].strip():
        raise AuthError("The token from the login service carries no ticket claim.", nothing_ran=True)
    return claims


def webapi_url_claim(claims):
    """The tenant's base URL from the JWT's webapi_url claim, if any."""
    value = claims.get(CLAIM + "webapi_url")
    if not isinstance(value, str) or not value.strip():
        return None
    return re.sub(r"/api(/v1)?/*$", "", value.strip().rstrip("/"), flags=re.IGNORECASE)


def tenant_of_access_token(token):
    """The tenant id an access token names (``8A:Cust12345.<...>``), or None."""
    match = re.match(r"^\w+:([A-Za-z]+[0-9]+)\.", token or "")
    return match.group(1) if match else None
