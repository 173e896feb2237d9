# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""SuperOffice Online, unattended: signing, keys, the JWT checks, tenant status and the login exchanges."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import datetime
import hashlib
import hmac
import json
import subprocess
import time
from urllib.parse import parse_qsl

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    AuthError,
    NotFoundError,
    OptionError,
    ProtocolError,
    ScriptBridgeError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import HttpTransport, RetryPolicy
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import REDACTED, Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online import login_service as login
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online import (
    environment,
    libraries,
    tenant_status,
    tokens,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online import keys as signing

C = tokens.CLAIM
# The test keys of the signing tests are 1024-bit like the portal's; PyJWT warns about that size.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
TOKEN = "SuperOffice DevNet Node OIDC-8k8Q7DmBgo"


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def other_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(private_key):
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()).decode("ascii")


def public_pem(private_key):
    return private_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)


def b64(number):
    return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode("ascii")


def rsa_xml(private_key, crt=True):
    """The key as .NET's RSA.ToXmlString(true) writes it."""
    n = private_key.private_numbers()
    fields = [("Modulus", n.public_numbers.n), ("Exponent", n.public_numbers.e), ("P", n.p), ("Q", n.q)]
    if crt:
        fields += [("DP", n.dmp1), ("DQ", n.dmq1), ("InverseQ", n.iqmp)]
    fields.append(("D", n.d))
    return "<RSAKeyValue>%s</RSAKeyValue>" % "".join("<%s>%s</%s>" % (k, b64(v), k) for k, v in fields)


# -- environments, tenants -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("given,host", [
    (None, "https://online.superoffice.com"), ("online", "https://online.superoffice.com"),
    ("SOD", "https://sod.superoffice.com"), ("qaonline", "https://qaonline.superoffice.com"),
    ("stage", "https://qaonline.superoffice.com"), ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("https://proxy.example.com/so/", "https://proxy.example.com/so"),
])
def test_environment_hosts(given, host):
    assert environment.environment_url(given) == host


@pytest.mark.parametrize("bad", ["production", "ftp://x", "https://u:p@proxy.example.com", "https://h/?q=1"])
def test_unknown_environments_are_refused(bad):
    with pytest.raises(OptionError, match="environment"):
        environment.environment_url(bad)


@pytest.mark.parametrize("bad", ["", "Cust12345/../x", "12345", "Cust 1", "https://online.superoffice.com/Cust1"])
def test_tenant_ids_are_checked(bad):
    with pytest.raises(OptionError, match="Cust12345"):
        environment.check_tenant(bad)
    assert environment.check_tenant(" Cust26759 ") == "Cust26759"


# -- signing and keys -----------------------------------------------------------------------------------------------


def test_the_signed_string_has_the_documented_shape(key):
    signed = signing.sign_system_user_token(TOKEN, key, now=NOW)
    head, stamp, signature = signed.rsplit(".", 2)
    assert head == TOKEN and stamp == "202603040506"
    # Standard base64 with padding, the size of the modulus.
    assert len(base64.b64decode(signature, validate=True)) == 128


def test_signature_equals_openssl(tmp_path, key):
    """An independent implementation: openssl dgst -sha256 -sign (RSA PKCS#1 v1.5)."""
    keyfile = tmp_path / "key.pem"
    keyfile.write_text(pem(key))
    data = ("%s.%s" % (TOKEN, signing.timestamp(NOW))).encode("utf-8")
    expected = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(keyfile)], input=data,
                              capture_output=True, check=True).stdout
    signed = signing.sign_system_user_token(TOKEN, signing.load_private_key(pem(key)), now=NOW)
    assert base64.b64decode(signed.rsplit(".", 1)[1]) == expected
    # And openssl verifies it against the public key.
    (tmp_path / "pub.pem").write_bytes(public_pem(key))
    (tmp_path / "sig").write_bytes(expected)
    verified = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(tmp_path / "pub.pem"), "-signature",
                               str(tmp_path / "sig")], input=data, capture_output=True, check=False)
    assert verified.returncode == 0, verified.stderr


def test_rsa_xml_and_pem_give_the_same_signature(key):
    from_pem = signing.sign_system_user_token(TOKEN, signing.load_private_key(pem(key)), now=NOW)
    from_xml = signing.sign_system_user_token(TOKEN, signing.load_private_key(rsa_xml(key)), now=NOW)
    # Without the CRT fields (DP, DQ, InverseQ) they are computed.
    from_bare_xml = signing.sign_system_user_token(TOKEN, signing.load_private_key(rsa_xml(key, crt=False)), now=NOW)
    assert from_pem == from_xml == from_bare_xml


def test_rsa_xml_with_whitespace_and_line_breaks(key):
    text = rsa_xml(key).replace("><", ">\n  <")
    assert signing.load_private_key("\n" + text + "\n").private_numbers() == key.private_numbers()


@pytest.mark.parametrize("mangle,match", [
    (lambda x: x.replace("<D>", "<E>").replace("</D>", "</E>"), "no D"),
    (lambda x: x[:-5], "not well-formed"),
    (lambda x: x.replace("RSAKeyValue", "KeyValue"), "not an <RSAKeyValue>"),
    (lambda x: '<!DOCTYPE x [<!ENTITY a "b">]>' + x, "DOCTYPE"),
    (lambda x: x.replace("<P>", "<P>!!"), "not base64"),
])
def test_bad_rsa_xml_is_refused_without_showing_the_key(key, mangle, match):
    text = mangle(rsa_xml(key))
    with pytest.raises(OptionError, match=match) as info:
        signing.load_private_key(text)
    assert b64(key.private_numbers().d)[:16] not in str(info.value)


def test_inconsistent_rsa_xml_is_refused(key, other_key):
    text = rsa_xml(key).replace(b64(key.private_numbers().p), b64(other_key.private_numbers().p))
    with pytest.raises(OptionError, match="valid RSA key"):
        signing.load_private_key(text)


def test_other_key_forms_are_refused(key):
    with pytest.raises(OptionError, match="neither RSA-XML .* nor PEM"):
        signing.load_private_key("MIICXAIBAAKBgQ")
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"pw")).decode()
    with pytest.raises(OptionError, match="encrypted"):
        signing.load_private_key(encrypted)
    with pytest.raises(OptionError, match="not a readable PEM"):
        signing.load_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")


def test_pkcs8_pem_is_read(key):
    text = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    assert signing.load_private_key(text).private_numbers() == key.private_numbers()


def test_a_missing_library_names_the_package(monkeypatch):
    monkeypatch.setattr(libraries, "CRYPTOGRAPHY_IMPORT_ERROR", "Traceback: No module named cryptography")
    with pytest.raises(libraries.MissingLibraryError) as info:
        signing.load_private_key("<RSAKeyValue/>")
    assert info.value.library == "cryptography"
    monkeypatch.setattr(libraries, "CRYPTOGRAPHY_IMPORT_ERROR", None)
    monkeypatch.setattr(libraries, "JWT_IMPORT_ERROR", "Traceback: No module named jwt")
    with pytest.raises(libraries.MissingLibraryError) as info:
        tokens.validate_system_user_jwt("a.b.c", [])
    assert info.value.library == "PyJWT"


# -- the JWT ------------------------------------------------------------------------------------------------------------


def claims(**changes):
    now = int(time.time())
    values = {"iss": "SuperOffice AS", "aud": "spn:1234567", "exp": now + 300, "nbf": now - 5, "iat": str(now),
              C + "serial": "1234567", C + "ticket": "7T:dGlja2V0", C + "ctx": "Cust12345",
              C + "webapi_url": "https://sod2.superoffice.com/Cust12345/api/"}
    values.update(changes)
    return dict((k, v) for k, v in values.items() if v is not None)


def make_jwt(signing_key, **changes):
    return jwt.encode(claims(**changes), signing_key, algorithm="RS256", headers={"kid": "k1"})


def b64url(value):
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def unsigned(header, payload, signature=b""):
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(payload).encode()), b64url(signature)])


def test_a_valid_token_gives_its_claims(key):
    got = tokens.validate_system_user_jwt(make_jwt(key), [key.public_key()])
    assert got[C + "ticket"] == "7T:dGlja2V0"
    assert tokens.webapi_url_claim(got) == "https://sod2.superoffice.com/Cust12345"


@pytest.mark.parametrize("case,token_of,reason", [
    ("wrong signature", lambda k, o: make_jwt(o), "signature does not verify"),
    ("wrong issuer", lambda k, o: make_jwt(k, iss="https://sod.superoffice.com"), "issuer"),
    ("wrong audience", lambda k, o: make_jwt(k, aud="spn:7654321"), "audience"),
    ("client id audience", lambda k, o: make_jwt(k, aud="6cf25376616343b38d14ddcd804f2891"), "audience"),
    ("expired", lambda k, o: make_jwt(k, exp=int(time.time()) - 600), "expired"),
    ("not yet valid", lambda k, o: make_jwt(k, nbf=int(time.time()) + 600), "not valid yet"),
    ("no exp", lambda k, o: make_jwt(k, exp=None), "lacks a required claim"),
    ("no ticket", lambda k, o: make_jwt(k, **{C + "ticket": None}), "no ticket claim"),
    ("empty ticket", lambda k, o: make_jwt(k, **{C + "ticket": " "}), "no ticket claim"),
    ("no serial", lambda k, o: make_jwt(k, **{C + "serial": None}), "without a serial"),
    ("alg none", lambda k, o: unsigned({"alg": "none", "typ": "JWT"}, claims()), "'none' instead of RS256"),
    ("not a JWT", lambda k, o: "7T:dGlja2V0", "not a JWT"),
])
def test_untrustworthy_tokens_are_refused(key, other_key, case, token_of, reason):
    with pytest.raises(AuthError, match=reason):
        tokens.validate_system_user_jwt(token_of(key, other_key), [key.public_key()])


def test_hs256_signed_with_the_public_key_is_refused(key):
    """The classic confusion attack: HMAC keyed with the (public) RSA key."""
    header, payload = {"alg": "HS256", "typ": "JWT"}, claims()
    signing_input = unsigned(header, payload).rsplit(".", 1)[0]
    mac = hmac.new(public_pem(key), signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + b64url(mac)
    with pytest.raises(AuthError, match="'HS256' instead of RS256"):
        tokens.validate_system_user_jwt(token, [key.public_key()])
    # PyJWT alone, as called inside, refuses it too: the check does not rest on one line.
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, key.public_key(), algorithms=["RS256"], audience="spn:1234567", issuer="SuperOffice AS")


def test_rs256_claimed_but_signed_otherwise_is_refused(key):
    token = unsigned({"alg": "RS256", "typ": "JWT"}, claims(), b"\x00" * 128)
    with pytest.raises(AuthError, match="signature does not verify"):
        tokens.validate_system_user_jwt(token, [key.public_key()])


def jwks(*entries):
    keys = []
    for kid, private_key in entries:
        entry = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
        entry.update(kid=kid, use="sig")
        keys.append(entry)
    return {"keys": keys}


def test_jwks_key_is_chosen_by_kid(key, other_key):
    keys = tokens.jwks_keys(jwks(("k0", other_key), ("k1", key)), {"alg": "RS256", "kid": "k1"})
    assert [k.public_numbers() for k in keys] == [key.public_key().public_numbers()]
    # Without kid or x5t in the header, every RSA key is tried.
    keys = tokens.jwks_keys(jwks(("k0", other_key), ("k1", key)), {"alg": "RS256"})
    assert len(keys) == 2
    token = jwt.encode(claims(), key, algorithm="RS256")
    assert tokens.validate_system_user_jwt(token, keys)[C + "ticket"]


@pytest.mark.parametrize("document", [{}, {"keys": "x"}, {"keys": [{"kty": "oct", "k": "AAAA"}]}, []])
def test_unusable_jwks_are_refused(document):
    with pytest.raises(AuthError, match="JWKS"):
        tokens.jwks_keys(document, {"alg": "RS256", "kid": "k1"})


# -- tenant status --------------------------------------------------------------------------------------------------


STATUS = {"ContextIdentifier": "Cust12345", "Endpoint": "https://online2.superoffice.com/Cust12345", "State": "Running",
          "IsRunning": True, "ValidUntil": "2026-02-23T09:52:01.9342965Z",
          "Api": "https://online2.superoffice.com/Cust12345/api", "Version": "Release_11.10_2026.02.24-02"}


@pytest.mark.parametrize("state", ["Running", "OnlineMaintenance", 2, 5])
def test_running_tenants_give_their_address(state):
    answer = dict(STATUS, State=state)
    answer.pop("IsRunning")
    status = tenant_status.TenantStatus("Cust12345", answer).check_running("online")
    assert status.url == "https://online2.superoffice.com/Cust12345"


@pytest.mark.parametrize("number,name", [(n, s) for n, s in tenant_status.TENANT_STATES.items()
                                         if s not in tenant_status.RUNNING_STATES])
def test_every_other_state_is_refused_by_name(number, name):
    for state in (name, number):
        with pytest.raises(ScriptBridgeError, match="Cust12345 in environment sod is %s: .*Nothing was run" % name):
            tenant_status.TenantStatus("Cust12345", dict(STATUS, State=state, IsRunning=False)).check_running("sod")


def test_is_running_decides_over_the_state_name():
    with pytest.raises(ScriptBridgeError, match="is Running"):
        tenant_status.TenantStatus("Cust12345", dict(STATUS, IsRunning=False)).check_running("online")


def test_endpoint_is_used_without_api_and_a_port_is_kept():
    answer = dict(STATUS, Endpoint="https://sod2.superoffice.com:443/Cust00000")
    answer.pop("Api")
    assert tenant_status.TenantStatus("Cust00000", answer).url == "https://sod2.superoffice.com:443/Cust00000"
    with pytest.raises(ScriptBridgeError, match="no API address"):
        tenant_status.TenantStatus("Cust1", {"State": "Running", "IsRunning": True}).check_running("online")


def test_access_token_names_its_tenant():
    assert tokens.tenant_of_access_token("8A:Cust12345.AQeN6vT2") == "Cust12345"
    assert tokens.tenant_of_access_token("opaque") is None


# -- the exchanges, against a local server ------------------------------------------------------------------------


def transport():
    return HttpTransport(timeout=5, redactor=Redactor(), retry=RetryPolicy(attempts=1))


def test_tenant_status_asks_the_environment_host(http_server):
    http_server.add(body=STATUS)
    status = login.tenant_status(transport(), http_server.url + "/", "Cust12345")
    assert status.url == "https://online2.superoffice.com/Cust12345"
    assert http_server.requests[0].path == "/api/state/Cust12345"
    assert "Authorization" not in http_server.requests[0].headers


def test_tenant_status_faults_are_clean(http_server):
    http_server.add(status=404, body="")
    with pytest.raises(NotFoundError, match="knows no tenant Cust9 in environment http"):
        login.tenant_status(transport(), http_server.url, "Cust9")
    http_server.add(status=200, body="<html>login</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(ProtocolError, match="not JSON .*Nothing was run"):
        login.tenant_status(transport(), http_server.url, "Cust9")
    http_server.add(body=dict(STATUS, State="Suspended", IsRunning=False))
    with pytest.raises(ScriptBridgeError, match="is Suspended"):
        login.tenant_status(transport(), http_server.url, "Cust12345")


def authenticate_reply(signing_key, **changes):
    return {"body": {"IsSuccessful": True, "Token": make_jwt(signing_key, **changes), "ErrorMessage": None}}


def test_system_user_login_signs_exchanges_and_validates(http_server, key):
    http_server.add(**authenticate_reply(key))
    http_server.add(body=jwks(("k1", key)))
    trans = transport()
    result = login.system_user_login(trans, http_server.url, "Cust12345", TOKEN, rsa_xml(key), "app-secret-1")
    assert result.credential == "7T:dGlja2V0" and result.url == "https://sod2.superoffice.com/Cust12345"
    sent, keys = http_server.requests
    assert sent.path == "/Login/api/PartnerSystemUser/Authenticate" and keys.path == "/login/.well-known/jwks"
    body = sent.json()
    assert body["ApplicationToken"] == "app-secret-1" and body["ContextIdentifier"] == "Cust12345"
    assert body["ReturnTokenType"] == "JWT"
    head, stamp, signature = body["SignedSystemToken"].rsplit(".", 2)
    assert head == TOKEN and abs(int(stamp) - int(signing.timestamp())) <= 1
    key.public_key().verify(base64.b64decode(signature), ("%s.%s" % (head, stamp)).encode(),
                            libraries.padding.PKCS1v15(), libraries.hashes.SHA256())
    # Every secret of the exchange is known to the redactor now, the ticket too.
    scrubbed = trans.redactor.scrub("%s %s %s" % (body["SignedSystemToken"], "app-secret-1", result.credential))
    assert scrubbed == " ".join([REDACTED] * 3)


def test_a_pinned_certificate_replaces_the_jwks(http_server, key, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SuperOffice Online Development Federated Login")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime.datetime(2020, 1, 1))
            .not_valid_after(datetime.datetime(2113, 1, 1)).sign(key, hashes.SHA256()))
    http_server.add(**authenticate_reply(key))
    certificate = cert.public_bytes(serialization.Encoding.PEM).decode()
    result = login.system_user_login(transport(), http_server.url, "Cust12345", TOKEN, pem(key), "s3cret-app",
                                     certificate=certificate)
    assert result.credential == "7T:dGlja2V0" and len(http_server.requests) == 1


@pytest.mark.parametrize("reply,error,match", [
    ({"body": {"IsSuccessful": False, "Token": None,
               "ErrorMessage": "InvalidTimestamp: The supplied timestamp is invalid"}}, AuthError, "clock"),
    ({"body": {"IsSuccessful": False, "ErrorMessage": "Calculated signature is invalid"}}, AuthError, "certificate"),
    ({"body": {"IsSuccessful": False}}, AuthError, "without a reason"),
    ({"status": 500, "body": "boom"}, ScriptBridgeError, "HTTP 500"),
    ({"status": 401, "body": ""}, AuthError, "HTTP 401"),
    ({"body": "<html><body>Sign in</body></html>"}, ProtocolError, "not JSON"),
    ({"body": ["x"]}, ProtocolError, "instead of an object"),
])
def test_login_refusals_are_clean(http_server, key, reply, error, match):
    http_server.add(**reply)
    with pytest.raises(error, match=match) as info:
        login.system_user_login(transport(), http_server.url, "Cust12345", TOKEN, pem(key), "s3cret-app")
    assert "Nothing was run" in str(info.value)
    assert len(http_server.requests) == 1


def test_an_echoed_secret_is_masked(http_server, key):
    def echo(request):
        body = request.json()
        said = "bad %s / %s" % (body["SignedSystemToken"], body["ApplicationToken"])
        return {"body": {"IsSuccessful": False, "ErrorMessage": said}}
    http_server.add(echo)
    with pytest.raises(AuthError) as info:
        login.system_user_login(transport(), http_server.url, "Cust12345", TOKEN, pem(key), "s3cret-app")
    assert "s3cret-app" not in str(info.value) and TOKEN not in str(info.value)
    assert "bad %s / %s" % (REDACTED, REDACTED) in str(info.value)


def test_a_token_that_does_not_validate_gives_no_ticket(http_server, key, other_key):
    http_server.add(**authenticate_reply(other_key))
    http_server.add(body=jwks(("k1", key)))
    with pytest.raises(AuthError, match="signature does not verify"):
        login.system_user_login(transport(), http_server.url, "Cust12345", TOKEN, pem(key), "s3cret-app")


def test_refresh_sends_a_form_and_returns_the_token(http_server):
    http_server.add(body={"token_type": "Bearer", "access_token": "8A:Cust12345.AQeN6", "expires_in": 3600,
                          "id_token": "x.y.z"})
    trans = transport()
    result = login.refresh_access_token(trans, http_server.url, "c789b7d9", "client-secret-1", "refresh-tok-1",
                                        now=NOW)
    assert (result.credential, result.tenant, result.expires) == ("8A:Cust12345.AQeN6", "Cust12345",
                                                                  "2026-03-04T06:06:07Z")
    request = http_server.requests[0]
    assert request.path == "/login/common/oauth/tokens"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert dict(parse_qsl(request.body.decode())) == {"grant_type": "refresh_token", "client_id": "c789b7d9",
                                                      "client_secret": "client-secret-1",
                                                      "refresh_token": "refresh-tok-1"}
    assert trans.redactor.scrub("8A:Cust12345.AQeN6") == REDACTED


def test_refresh_falls_back_to_the_query_string(http_server):
    http_server.add(status=400, body={"error": "invalid_request"})
    http_server.add(body={"access_token": "8A:Cust1.x", "expires_in": 3600})
    result = login.refresh_access_token(transport(), http_server.url, "c1", "client-secret-1", "refresh-tok-1")
    assert result.credential == "8A:Cust1.x"
    assert "refresh_token=refresh-tok-1" in http_server.requests[1].path


def test_a_refused_refresh_is_not_repeated_and_masks_the_secrets(http_server):
    http_server.add(status=400, body={"error": "invalid_grant", "error_description": "refresh-tok-1 revoked"})
    with pytest.raises(ScriptBridgeError, match="HTTP 400") as info:
        login.refresh_access_token(transport(), http_server.url, "c1", "client-secret-1", "refresh-tok-1")
    assert "refresh-tok-1" not in str(info.value) and len(http_server.requests) == 1
