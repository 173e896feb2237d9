# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""SuperOffice Online, unattended: environments, keys, signing, the JWT, tenant status.

Everything here talks to the *environment host* (``online``, ``sod`` or
``qaonline``.superoffice.com, or a URL given instead): the system-user login
service, its signing keys (JWKS), the OAuth token endpoint and the tenant-status
service. The exchanges themselves live in ``_superoffice_login``.

``cryptography`` (keys, signatures) and ``PyJWT`` (token validation) are imported
guarded: only the flows that need them call ``require()``, which raises
``MissingLibraryError`` naming the package.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import re
import traceback
from xml.etree import ElementTree

from urllib.parse import urlsplit, urlunsplit

from ansible_collections.scriptbridge.core.plugins.module_utils._errors import (
    AuthError,
    OptionError,
    ScriptBridgeError,
)

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None

try:
    import jwt
except ImportError:
    JWT_IMPORT_ERROR = traceback.format_exc()
else:
    JWT_IMPORT_ERROR = None

# The documented environment names and the host each one lives on; "stage" is the old name of qaonline.
ENVIRONMENTS = {"online": "online", "sod": "sod", "qaonline": "qaonline", "stage": "qaonline"}
DEFAULT_ENVIRONMENT = "online"
# The system-user token is issued by this name in every environment.
ISSUER = "SuperOffice AS"
CLAIM = "http://schemes.superoffice.net/identity/"
# Seconds of clock difference tolerated when checking exp and nbf.
LEEWAY = 60
# TenantState of the tenant-status service, by number and name.
TENANT_STATES = {
    0: "Unknown", 1: "Provisioning", 2: "Running", 3: "Deleted", 4: "Suspended", 5: "OnlineMaintenance",
    6: "OfflineMaintenance", 8: "ProvisioningFailed", 10: "Deleting", 11: "DeleteFailed", 12: "MigrationPending",
}
RUNNING_STATES = ("Running", "OnlineMaintenance")
_STATE_HINTS = {
    "Unknown": "SuperOffice does not know this tenant in this environment: check tenant and environment",
    "Provisioning": "the tenant is still being created: try again when it is ready",
    "ProvisioningFailed": "creating the tenant failed: ask SuperOffice support",
    "Deleted": "the tenant was deleted",
    "Deleting": "the tenant is being deleted",
    "DeleteFailed": "the tenant was being deleted",
    "Suspended": "the tenant is suspended and its APIs are not available",
    "OfflineMaintenance": "the tenant is in offline maintenance and its APIs are not available: try again later",
    "MigrationPending": "the tenant is waiting to be moved: try again later",
}
_TENANT = re.compile(r"^[A-Za-z]+[0-9]+$")
_XML_FIELDS = ("Modulus", "Exponent", "P", "Q", "DP", "DQ", "InverseQ", "D")


class MissingLibraryError(ScriptBridgeError):
    """A Python package a flow needs is not installed where the module runs."""

    kind = "unsupported"

    def __init__(self, library, import_error):
        super(MissingLibraryError, self).__init__("The Python library %s is required." % library)
        self.library = library
        self.import_error = import_error


def require(*libraries):
    """Raise ``MissingLibraryError`` for the first of ``cryptography``, ``PyJWT`` that is missing."""
    errors = {"cryptography": CRYPTOGRAPHY_IMPORT_ERROR, "PyJWT": JWT_IMPORT_ERROR}
    for library in libraries:
        if errors[library]:
            raise MissingLibraryError(library, errors[library])


def environment_url(environment):
    """The environment host's base URL: ``https://online.superoffice.com`` or the URL given."""
    name = (environment or DEFAULT_ENVIRONMENT).strip()
    if name.lower() in ENVIRONMENTS:
        return "https://%s.superoffice.com" % ENVIRONMENTS[name.lower()]
    parts = urlsplit(name)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("environment %r is neither online, sod, qaonline (stage) nor the http(s) URL of an "
                          "environment host." % name)
    if "@" in parts.netloc or parts.query or parts.fragment:
        raise OptionError("environment: give the environment host's URL without user info, query or fragment.")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def environment_name(environment):
    """How messages name the environment: ``online`` or the URL."""
    name = (environment or DEFAULT_ENVIRONMENT).strip()
    return ENVIRONMENTS.get(name.lower(), name)


def check_tenant(tenant):
    """The context identifier (``Cust12345``) as given, or an error before anything is sent."""
    text = (tenant or "").strip()
    if not _TENANT.match(text):
        raise OptionError("tenant %r is not a SuperOffice context identifier: give it as Cust12345 (the part of the "
                          "tenant's URL after the host)." % text)
    return text


# -- keys and signing ------------------------------------------------------------------------------------------


def _xml_integer(root, name):
    element = root.find(name)
    if element is None or not (element.text or "").strip():
        return None
    try:
        return int.from_bytes(base64.b64decode("".join(element.text.split()), validate=True), "big")
    except (binascii.Error, ValueError):
        raise OptionError("private_key: the RSA-XML element <%s> is not base64." % name)


def _rsa_xml_key(text):
    """A private key from SuperOffice's RSA-XML (``<RSAKeyValue><Modulus>...``), as .NET writes it."""
    if "<!" in text:
        raise OptionError("private_key: an RSA-XML key has no DOCTYPE or entity declarations.")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise OptionError("private_key looks like RSA-XML but is not well-formed XML: paste the whole "
                          "<RSAKeyValue>...</RSAKeyValue> as the developer portal gave it.")
    if root.tag != "RSAKeyValue":
        raise OptionError("private_key: the XML is a <%s>, not an <RSAKeyValue>." % root.tag)
    values = dict((name, _xml_integer(root, name)) for name in _XML_FIELDS)
    missing = [name for name in ("Modulus", "Exponent", "P", "Q", "D") if values[name] is None]
    if missing:
        raise OptionError("private_key: the RSA-XML has no %s, so it is a public key or incomplete: give the private "
                          "key the developer portal issued." % ", ".join(missing))
    p, q, d = values["P"], values["Q"], values["D"]
    numbers = rsa.RSAPrivateNumbers(
        p=p, q=q, d=d,
        dmp1=values["DP"] if values["DP"] is not None else rsa.rsa_crt_dmp1(d, p),
        dmq1=values["DQ"] if values["DQ"] is not None else rsa.rsa_crt_dmq1(d, q),
        iqmp=values["InverseQ"] if values["InverseQ"] is not None else rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(values["Exponent"], values["Modulus"]),
    )
    try:
        return numbers.private_key()
    except ValueError:
        raise OptionError("private_key: the numbers of the RSA-XML key do not form a valid RSA key.")


def load_private_key(text):
    """The application's RSA private key from RSA-XML or PEM text."""
    require("cryptography")
    text = (text or "").strip()
    if not text:
        raise OptionError("private_key is empty.")
    if text.startswith("<"):
        return _rsa_xml_key(text)
    if "-----BEGIN" not in text:
        raise OptionError("private_key is neither RSA-XML (<RSAKeyValue>...) nor PEM (-----BEGIN ... PRIVATE KEY-----).")
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except TypeError:
        raise OptionError("private_key is an encrypted PEM key: give it unencrypted (openssl rsa -in key.pem).")
    except (ValueError, UnsupportedAlgorithm):
        raise OptionError("private_key is not a readable PEM private key.")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise OptionError("private_key is not an RSA key: SuperOffice signs system user tokens with RSA.")
    return key


def timestamp(now=None):
    """The UTC minute the signature vouches for: ``yyyyMMddHHmm``."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M")


def sign_system_user_token(system_user_token, key, now=None):
    """``<token>.<yyyyMMddHHmm>.<base64 RSA PKCS#1 v1.5 SHA-256 signature of the first two>``."""
    signed = "%s.%s" % (system_user_token, timestamp(now))
    signature = key.sign(signed.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return "%s.%s" % (signed, base64.b64encode(signature).decode("ascii"))


def load_certificate_key(text):
    """The public key of a pinned certificate (PEM), e.g. SuperOfficeFederatedLogin.crt."""
    require("cryptography")
    try:
        return x509.load_pem_x509_certificate((text or "").strip().encode("utf-8")).public_key()
    except ValueError:
        raise OptionError("login_certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----): give the "
                          "environment's SuperOfficeFederatedLogin.crt in PEM form.")


# -- the JWT ------------------------------------------------------------------------------------------------------


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


# -- tenant status --------------------------------------------------------------------------------------------------


def state_name(value):
    """The TenantState name for a name or number."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return TENANT_STATES.get(value, "state %d" % value)
    return str(value) if value not in (None, "") else "Unknown"


class TenantStatus:
    """What the tenant-status service says about one tenant."""

    def __init__(self, tenant, answer):
        self.tenant = tenant
        self.state = state_name(answer.get("State"))
        running = answer.get("IsRunning")
        self.running = running if isinstance(running, bool) else self.state in RUNNING_STATES
        self.api = answer.get("Api") if isinstance(answer.get("Api"), str) else None
        self.endpoint = answer.get("Endpoint") if isinstance(answer.get("Endpoint"), str) else None
        self.valid_until = answer.get("ValidUntil")

    @property
    def url(self):
        """The tenant's installation base (``https://online2.superoffice.com/Cust12345``)."""
        base = self.api or self.endpoint
        return re.sub(r"/api(/v1)?/*$", "", base.rstrip("/"), flags=re.IGNORECASE) if base else None

    def check_running(self, environment):
        """Refuse a tenant whose APIs are not available, naming its state."""
        if not self.running:
            hint = _STATE_HINTS.get(self.state, "its APIs are not available")
            raise ScriptBridgeError("SuperOffice tenant %s in environment %s is %s: %s."
                                    % (self.tenant, environment_name(environment), self.state, hint),
                                    kind="unsupported", nothing_ran=True)
        if not self.url:
            raise ScriptBridgeError("The tenant-status service says tenant %s is %s but gives no API address (Api or "
                                    "Endpoint)." % (self.tenant, self.state), kind="protocol", nothing_ran=True)
        return self


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
