"""SuperOffice Online's environment host, simulated for the scriptbridge.core tests.

The bare host of an Online environment (``online``, ``sod``, ``qaonline``
.superoffice.com) signs applications in and says where tenants live; the
tenants' APIs are elsewhere (``SuperOfficeSimulator(mode="online")``). This
simulator serves what ``spec/superoffice/ONLINE.md`` describes:

=================================================  ============================================
``POST /Login/api/PartnerSystemUser/Authenticate``  the system-user exchange (ONLINE.md 1.2-1.3):
                                                    checks ApplicationToken, ContextIdentifier,
                                                    the tenant's system user token, the UTC
                                                    minute (``skew`` seconds either way) and the
                                                    RSA PKCS#1 v1.5 SHA-256 signature against the
                                                    application's public key; answers
                                                    ``{"IsSuccessful", "Token", "ErrorMessage"}``
``GET  /login/.well-known/jwks``                    the issuer's public key (kid, x5t)
``GET  /login/.well-known/openid-configuration``    metadata naming the two URLs above
``POST /login/common/oauth/tokens``                 ``grant_type=refresh_token`` (form body or
                                                    query string): ``access_token`` (Bearer),
                                                    ``expires_in`` 3600, ``id_token``; with
                                                    ``rotate_refresh_tokens`` also a new
                                                    ``refresh_token``, and the one used stops working
``GET  /api/state/{tenant}``                        tenant status (ONLINE.md 4): State (name),
                                                    IsRunning, Endpoint, Api, ValidUntil (now +
                                                    ``status_valid_for`` seconds), Version
``*    /{tenant}/...``                              ``421 Wrong subdomain used to access tenant``:
                                                    the bare host serves no tenant
=================================================  ============================================

The JWT (ONLINE.md 2): RS256, issuer ``SuperOffice AS``, audience
``spn:<serial>``, ``exp`` = now + ``token_lifetime``, ``nbf``, ``iat`` as a
string (as in the docs' example), the ``http://schemes.superoffice.net/identity/``
claims ticket, serial, webapi_url, netserver_url, ctx, system_token. The ticket
is ``superoffice_sim.TICKET`` and the access token ``superoffice_sim.ACCESS_TOKEN``,
which the tenant simulators accept.

Faults a test can ask for with ``configure()``: ``token_claims`` (claims to
change or, with None, to drop), ``token_header`` (header fields), ``token_key``
(``"issuer"`` or ``"other"``: sign with a key the JWKS does not publish),
``fail_login`` (an ErrorMessage: ``IsSuccessful: false``). Other settings:
``status_valid_for`` (seconds from the answer to its ValidUntil; 0, the
default, makes every answer stale at once, so a client that keeps answers
until ValidUntil still asks each time) and ``rotate_refresh_tokens`` (false by
default: ONLINE.md 5 shows a refresh answer without ``refresh_token``; when
true, each refresh answers a new one and the one used is no longer accepted,
as OAuth servers that rotate do; ``refresh_tokens`` lists those accepted). A tenant's ``apis``
is a list: each status call gives the next entry (the last one repeats), so a
tenant can move between two calls.

Records: ``count(endpoint)``, ``requests`` (method, path, endpoint, headers,
body), ``issued`` (every JWT it signed, every refresh token it issued), ``signed`` (every signed system user
token it received), ``stats()``; control endpoints ``GET
/_sim/stats`` and ``POST /_sim/reset`` as the other simulators have. Endpoint names: ``authenticate``, ``jwks``, ``metadata``, ``token``,
``state``, ``misdirected``, ``unknown``.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import secrets
import sys
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.scriptbridge.core.tests.simulators import superoffice_sim as so
from ansible_collections.scriptbridge.core.tests.simulators.base import (
    HttpSimulator, Reply, Request, argument_parser, serve)

CLAIM = "http://schemes.superoffice.net/identity/"
ISSUER = "SuperOffice AS"
CLIENT_ID = "c789b7d98f3c496fb5aaa4b1a81ca11b"
REFRESH_TOKEN = "KSamN1Tp4sd26pZJSGK6JobrWOUWorIZ2Y5XxcAqX86K9qoZRp4d3lUH32F4fiT3"
# How the refresh tokens the simulator issues when it rotates them begin.
ROTATED_PREFIX = "rt-"
SYSTEM_USER_TOKEN = "SuperOffice DevNet Node OIDC-8k8Q7DmBgo"
STATES = {"Unknown": 0, "Provisioning": 1, "Running": 2, "Deleted": 3, "Suspended": 4, "OnlineMaintenance": 5,
          "OfflineMaintenance": 6, "ProvisioningFailed": 8, "Deleting": 10, "DeleteFailed": 11,
          "MigrationPending": 12}
RUNNING = ("Running", "OnlineMaintenance")

# The application's key (what the developer portal hands out: 1024-bit, as its samples) and the issuer's
# key that signs the JWTs (2048-bit, as the federated-login certificates). Made once per process.
APPLICATION_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)
ISSUER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode("ascii")


def rsa_xml(private_key: rsa.RSAPrivateKey) -> str:
    """The key as .NET's ``RSA.ToXmlString(true)`` writes it, as the developer portal gives it."""
    n = private_key.private_numbers()
    fields = (("Modulus", n.public_numbers.n), ("Exponent", n.public_numbers.e), ("P", n.p), ("Q", n.q),
              ("DP", n.dmp1), ("DQ", n.dmq1), ("InverseQ", n.iqmp), ("D", n.d))
    return "<RSAKeyValue>%s</RSAKeyValue>" % "".join(f"<{k}>{_b64(v)}</{k}>" for k, v in fields)


def pem(private_key: rsa.RSAPrivateKey) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()).decode("ascii")


def issuer_certificate() -> str:
    """A self-signed certificate of the issuer's key in PEM, like SuperOfficeFederatedLogin.crt."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Simulated Online Federated Login")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ISSUER_KEY.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2113, 1, 1)).sign(ISSUER_KEY, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _x5t(private_key: rsa.RSAPrivateKey) -> str:
    der = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()  # noqa: S324 (x5t is SHA-1)


class Tenant:  # pylint: disable=too-few-public-methods
    """One tenant as the environment knows it."""

    def __init__(self, tenant: str, apis: list[str], state: str = "Running", serial: str = "1234567",
                 system_user_token: str = SYSTEM_USER_TOKEN):
        self.tenant = tenant
        self.apis = list(apis)
        self.state = state
        self.serial = serial
        self.system_user_token = system_user_token
        self.status_calls = 0

    def api(self) -> str:
        api = self.apis[min(self.status_calls, len(self.apis) - 1)]
        self.status_calls += 1
        return api


class EnvironmentHost(HttpSimulator):  # pylint: disable=too-many-instance-attributes
    """The environment host on a local port (``start()``/``stop()``, ``url``).

    ``options`` (also for ``configure()``; ``reset()`` restores them): ``token_claims``,
    ``token_header``, ``token_key``, ``fail_login``, ``latency``.
    """

    server_version = "Microsoft-IIS/10.0"
    thread_name = "online-environment-sim"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, app_token: str = so.APP_TOKEN,
                 skew: int = 300, token_lifetime: int = 300, **options: Any):
        self.host = host
        self._requested_port = port
        self.app_token = app_token
        self.skew = skew
        self.token_lifetime = token_lifetime
        self.tenants: dict[str, Tenant] = {}
        self.requests: list[dict] = []
        self.issued: list[str] = []
        self.signed: list[str] = []
        self._lock = threading.RLock()
        self._initial_config = {"token_claims": {}, "token_header": {}, "token_key": "issuer", "fail_login": None,
                                "latency": 0.0, "status_valid_for": 0, "rotate_refresh_tokens": False}
        self.refresh_tokens: list[str] = []
        unknown = set(options) - set(self._initial_config)
        if unknown:
            raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
        self._initial_config.update(options)
        self.config: dict[str, Any] = {}
        self.reset()

    # -- configuration and records -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the records and restore the configuration; tenants stay, their moves start over."""
        with self._lock:
            self.requests.clear()
            self.config = copy.deepcopy(self._initial_config)
            self.refresh_tokens[:] = [REFRESH_TOKEN]
            for tenant in self.tenants.values():
                tenant.status_calls = 0

    def configure(self, **changes: Any) -> dict:
        unknown = set(changes) - set(self.config)
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        if "token_key" in changes and changes["token_key"] not in ("issuer", "other"):
            raise ValueError("token_key is issuer or other")
        with self._lock:
            self.config.update(changes)
            return dict(self.config)

    def add_tenant(self, tenant: str, *apis: str, **options: Any) -> Tenant:
        """A tenant whose API lives at ``apis[0]`` (``http://host:port/Cust12345/api``), then the others."""
        record = Tenant(tenant, list(apis), **options)
        self.tenants[tenant.lower()] = record
        return record

    def count(self, endpoint: str) -> int:
        with self._lock:
            return sum(1 for request in self.requests if request["endpoint"] == endpoint)

    def stats(self) -> dict:
        """What the environment host was asked, by endpoint; the tokens it issued and received."""
        with self._lock:
            endpoints: dict[str, int] = {}
            for request in self.requests:
                endpoints[request["endpoint"]] = endpoints.get(request["endpoint"], 0) + 1
            return {"environment": True, "endpoints": endpoints, "issued": list(self.issued),
                    "signed": list(self.signed)}

    # -- requests -----------------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        """Answer one API request (the HTTP layer calls this)."""
        split = urlsplit(request.target)
        path = unquote(split.path).rstrip("/")
        record = {"method": request.method, "path": path, "query": dict(parse_qsl(split.query)),
                  "headers": dict(request.headers), "body": request.body.decode("utf-8", "replace"),
                  "endpoint": "unknown", "time": time.time()}
        response = self._route(request.method, path, record)
        with self._lock:
            self.requests.append(record)
        return response

    def _route(self, method: str, path: str, record: dict) -> Reply:
        routes = (
            ("POST", "/login/api/partnersystemuser/authenticate", "authenticate", self._authenticate),
            ("GET", "/login/.well-known/jwks", "jwks", self._jwks),
            ("GET", "/login/.well-known/openid-configuration", "metadata", self._metadata),
            ("POST", "/login/common/oauth/tokens", "token", self._token),
        )
        for verb, route, endpoint, operation in routes:
            if path.lower() == route:
                record["endpoint"] = endpoint
                return operation(record) if method == verb else _json(405, "Method Not Allowed", {})
        if path.lower().startswith("/api/state/") and method == "GET":
            record["endpoint"] = "state"
            return self._state(path.rsplit("/", 1)[-1])
        segments = path.split("/")
        if len(segments) > 1 and segments[1].lower() in self.tenants:
            record["endpoint"] = "misdirected"
            return Reply(421, "text/plain; charset=utf-8", b"Wrong subdomain used to access tenant", (),
                         "Misdirected Request")
        return _json(404, "Not Found", {"Message": f"No HTTP resource was found for {path}."})

    def _authenticate(self, record: dict) -> Reply:
        try:
            body = json.loads(record["body"])
        except ValueError:
            return _json(400, "Bad Request", {"Message": "The request is invalid."})
        if isinstance(body, dict) and isinstance(body.get("SignedSystemToken"), str):
            with self._lock:
                self.signed.append(body["SignedSystemToken"])
        error = self._check_login(body if isinstance(body, dict) else {})
        if error:
            return _json(200, "OK", {"IsSuccessful": False, "Token": None, "ErrorMessage": error})
        tenant = self.tenants[body["ContextIdentifier"].lower()]
        return _json(200, "OK", {"IsSuccessful": True, "Token": self.system_user_jwt(tenant), "ErrorMessage": None})

    def _check_login(self, body: dict) -> str | None:  # pylint: disable=too-many-return-statements
        """The ErrorMessage for a refused login, else None."""
        if self.config["fail_login"]:
            return self.config["fail_login"]
        if body.get("ApplicationToken") != self.app_token:
            return "Unknown application token."
        if body.get("ReturnTokenType") not in ("JWT", "Jwt"):
            return "Unsupported ReturnTokenType."
        tenant = self.tenants.get(str(body.get("ContextIdentifier") or "").lower())
        if tenant is None:
            return "Unknown context identifier."
        token, _dot, rest = str(body.get("SignedSystemToken") or "").rpartition(".")
        system_token, _dot, stamp = token.rpartition(".")
        if system_token != tenant.system_user_token:
            return "Revoked: Application's access to the tenant has been revoked"
        try:
            signed_at = datetime.datetime.strptime(stamp, "%Y%m%d%H%M").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            return "InvalidTimestamp: The supplied timestamp is invalid"
        if abs((datetime.datetime.now(datetime.timezone.utc) - signed_at).total_seconds()) > self.skew + 60:
            return "InvalidTimestamp: The supplied timestamp is invalid"
        try:
            APPLICATION_KEY.public_key().verify(base64.b64decode(rest, validate=True), token.encode("utf-8"),
                                                padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return "InvalidSignature: Calculated signature is invalid"
        return None

    def system_user_jwt(self, tenant: Tenant) -> str:
        now = int(time.time())
        api = tenant.apis[-1].rstrip("/")
        claims = {"iss": ISSUER, "aud": f"spn:{tenant.serial}", "nbf": now - 1, "iat": str(now),
                  "exp": now + self.token_lifetime, CLAIM + "ticket": so.TICKET, CLAIM + "serial": tenant.serial,
                  CLAIM + "webapi_url": api + "/", CLAIM + "ctx": tenant.tenant,
                  CLAIM + "netserver_url": api.rsplit("/api", 1)[0] + "/Remote/Services88/",
                  CLAIM + "system_token": tenant.system_user_token, CLAIM + "is_administrator": "False"}
        for name, value in self.config["token_claims"].items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = ISSUER_KEY if self.config["token_key"] == "issuer" else OTHER_KEY
        header = {"kid": "sim-1", "x5t": _x5t(ISSUER_KEY)}
        header.update(self.config["token_header"])
        token = jwt.encode(claims, key, algorithm="RS256", headers=header)
        with self._lock:
            self.issued.append(token)
        return token

    def _jwks(self, _record: dict) -> Reply:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(ISSUER_KEY.public_key()))
        entry.update(kid="sim-1", x5t=_x5t(ISSUER_KEY), use="sig", alg="RS256")
        return _json(200, "OK", {"keys": [entry]})

    def _metadata(self, _record: dict) -> Reply:
        return _json(200, "OK", {"issuer": self.url, "jwks_uri": self.url + "/login/.well-known/jwks",
                                 "token_endpoint": self.url + "/login/common/oauth/tokens",
                                 "id_token_signing_alg_values_supported": ["RS256"]})

    def _token(self, record: dict) -> Reply:
        form = dict(record["query"])
        content_type = next((v for k, v in record["headers"].items() if k.lower() == "content-type"), "")
        if "x-www-form-urlencoded" in content_type:
            form.update(parse_qsl(record["body"]))
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            return _json(400, "Bad Request", {"error": "invalid_request"})
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != self.app_token:
            return _json(401, "Unauthorized", {"error": "invalid_client"})
        id_token = jwt.encode({"iss": self.url, "aud": CLIENT_ID}, ISSUER_KEY, algorithm="RS256")
        answer = {"token_type": "Bearer", "access_token": so.ACCESS_TOKEN, "expires_in": 3600, "id_token": id_token}
        with self._lock:
            if form.get("refresh_token") not in self.refresh_tokens:
                return _json(400, "Bad Request", {"error": "invalid_grant"})
            if self.config["rotate_refresh_tokens"]:
                answer["refresh_token"] = "%s%s" % (ROTATED_PREFIX, secrets.token_urlsafe(40))
                self.refresh_tokens[:] = [answer["refresh_token"]]
                self.issued.append(answer["refresh_token"])
            self.issued.append(id_token)
        return _json(200, "OK", answer)

    def _state(self, context: str) -> Reply:
        tenant = self.tenants.get(context.lower())
        if tenant is None:
            return _json(200, "OK", {"ContextIdentifier": context, "Endpoint": None, "State": "Unknown",
                                     "IsRunning": False, "ValidUntil": None, "Api": None})
        api = tenant.api().rstrip("/")
        valid = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            seconds=self.config["status_valid_for"])
        return _json(200, "OK", {
            "ContextIdentifier": tenant.tenant, "Endpoint": api.rsplit("/api", 1)[0], "State": tenant.state,
            "IsRunning": tenant.state in RUNNING, "ValidUntil": valid.strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
            "Api": api, "Version": "Release_11.10_2026.02.24-02"})


def _json(status: int, reason: str, payload: Any) -> Reply:
    return Reply(status, "application/json; charset=utf-8", json.dumps(payload).encode("utf-8"), (), reason)


def main(argv: list[str] | None = None) -> int:
    """Serve one tenant (``--tenant``, its API at ``--api``) until SIGTERM or SIGINT.

    ``--key-file`` receives the application's private key (RSA-XML), which the modules need.
    """
    parser = argument_parser("SuperOffice Online environment host simulator")
    parser.add_argument("--tenant", default="Cust12345")
    parser.add_argument("--api", required=True, help="the tenant's API base, e.g. http://127.0.0.1:8081/Cust12345/api")
    parser.add_argument("--state", default="Running", choices=sorted(STATES))
    parser.add_argument("--key-file", help="write the application's private key (RSA-XML) here")
    parser.add_argument("--status-valid-for", type=int, default=0,
                        help="seconds from a tenant-status answer to its ValidUntil (default 0)")
    args = parser.parse_args(argv)
    host = EnvironmentHost(host=args.host, port=args.port, latency=args.latency,
                           status_valid_for=args.status_valid_for)
    host.add_tenant(args.tenant, args.api, state=args.state)
    if args.key_file:
        with open(args.key_file, "w", encoding="utf-8") as handle:
            handle.write(rsa_xml(APPLICATION_KEY))
    return serve(host, "SUPEROFFICE_ENVIRONMENT_SIM_URL", args.port_file)


if __name__ == "__main__":
    sys.exit(main())
