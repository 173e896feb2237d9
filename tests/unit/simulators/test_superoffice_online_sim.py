"""The environment-host simulator follows spec/superoffice/ONLINE.md (checked with requests, PyJWT, cryptography)."""

import base64
import datetime

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim as env
from ansible_collections.scriptbridge.core.tests.simulators import superoffice_sim as so
from ansible_collections.scriptbridge.core.tests.simulators.launcher import SimulatorProcess

C = env.CLAIM


@pytest.fixture()
def host():
    with env.EnvironmentHost() as sim:
        sim.add_tenant("Cust12345", "http://127.0.0.1:1/Cust12345/api")
        yield sim


def signed(token=env.SYSTEM_USER_TOKEN, key=None, when=None):
    """Signed as ONLINE.md 1.2 says, written here independently of the collection."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    data = "%s.%s" % (token, when.strftime("%Y%m%d%H%M"))
    signature = (key or env.APPLICATION_KEY).sign(data.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return data + "." + base64.b64encode(signature).decode()


def authenticate(sim, **changes):
    body = {"SignedSystemToken": signed(), "ApplicationToken": so.APP_TOKEN, "ContextIdentifier": "Cust12345",
            "ReturnTokenType": "JWT"}
    body.update(changes)
    return requests.post(sim.url + "/Login/api/PartnerSystemUser/Authenticate", json=body,
                         headers={"Accept": "application/json"}, timeout=5)


def test_a_good_login_returns_a_jwt_that_validates_against_the_jwks(host):
    answer = authenticate(host).json()
    assert answer["IsSuccessful"] is True and answer["ErrorMessage"] is None
    keys = requests.get(host.url + "/login/.well-known/jwks", timeout=5).json()["keys"]
    header = jwt.get_unverified_header(answer["Token"])
    assert header["alg"] == "RS256" and header["kid"] == keys[0]["kid"] and header["x5t"] == keys[0]["x5t"]
    claims = jwt.decode(answer["Token"], jwt.PyJWK(keys[0]).key, algorithms=["RS256"], audience="spn:1234567",
                        issuer="SuperOffice AS")
    assert claims[C + "ticket"] == so.TICKET and claims[C + "ctx"] == "Cust12345"
    assert claims[C + "webapi_url"] == "http://127.0.0.1:1/Cust12345/api/"
    assert isinstance(claims["iat"], str) and claims["exp"] - int(claims["iat"]) == 300
    assert host.count("authenticate") == 1 and host.count("jwks") == 1


@pytest.mark.parametrize("changes,error", [
    ({"SignedSystemToken": signed(key=rsa.generate_private_key(public_exponent=65537, key_size=1024))},
     "InvalidSignature"),
    ({"SignedSystemToken": signed(when=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))},
     "InvalidTimestamp"),
    ({"SignedSystemToken": signed(token="Another App-xyz")}, "Revoked"),
    ({"ApplicationToken": "wrong"}, "application token"),
    ({"ContextIdentifier": "Cust999"}, "context identifier"),
])
def test_refused_logins_say_why(host, changes, error):
    answer = authenticate(host, **changes).json()
    assert answer["IsSuccessful"] is False and answer["Token"] is None and error in answer["ErrorMessage"]


def test_a_tampered_signature_is_refused(host):
    token = signed()
    head, sig = token.rsplit(".", 1)
    raw = bytearray(base64.b64decode(sig))
    raw[0] ^= 1
    assert "InvalidSignature" in authenticate(host, SignedSystemToken=head + "." + base64.b64encode(raw).decode()
                                              ).json()["ErrorMessage"]


def test_tenant_status_has_the_documented_shape_for_every_state(host):
    for state, number in env.STATES.items():
        host.tenants["cust12345"].state = state
        answer = requests.get(host.url + "/api/state/Cust12345", headers={"Accept": "application/json"},
                              timeout=5).json()
        assert set(answer) == {"ContextIdentifier", "Endpoint", "State", "IsRunning", "ValidUntil", "Api", "Version"}
        assert answer["State"] == state and answer["IsRunning"] == (number in (2, 5))
        assert answer["Api"] == "http://127.0.0.1:1/Cust12345/api"
        assert answer["Endpoint"] == "http://127.0.0.1:1/Cust12345"
    assert host.count("state") == len(env.STATES)


def test_a_tenant_can_move_between_status_calls(host):
    host.add_tenant("Cust7", "http://a:1/Cust7/api", "http://b:1/Cust7/api")
    apis = [requests.get(host.url + "/api/state/Cust7", timeout=5).json()["Api"] for _call in range(3)]
    assert apis == ["http://a:1/Cust7/api", "http://b:1/Cust7/api", "http://b:1/Cust7/api"]


def test_the_bare_host_serves_no_tenant(host):
    answer = requests.post(host.url + "/Cust12345/api/v1/CRMScript/1/Execute", json={}, timeout=5)
    assert answer.status_code == 421 and "Wrong subdomain used to access tenant" in answer.text


@pytest.mark.parametrize("how", ["form", "query"])
def test_the_token_endpoint_refreshes(host, how):
    params = {"grant_type": "refresh_token", "client_id": env.CLIENT_ID, "client_secret": so.APP_TOKEN,
              "refresh_token": env.REFRESH_TOKEN}
    url = host.url + "/login/common/oauth/tokens"
    answer = requests.post(url, data=params, timeout=5) if how == "form" else requests.post(url, params=params,
                                                                                            timeout=5)
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["access_token"] == so.ACCESS_TOKEN and body["expires_in"] == 3600
    wrong = requests.post(url, data=dict(params, refresh_token="revoked"), timeout=5)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_faults_on_request_change_the_token(host):
    host.configure(token_claims={"iss": "someone", C + "ticket": None}, token_key="other")
    token = authenticate(host).json()["Token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "someone" and C + "ticket" not in claims
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, env.ISSUER_KEY.public_key(), algorithms=["RS256"], options={"verify_aud": False})


def test_control_endpoints_of_the_shared_base(host):
    authenticate(host)
    stats = requests.get(host.url + "/_sim/stats", timeout=5).json()
    assert stats["endpoints"] == {"authenticate": 1} and len(stats["issued"]) == 1 and len(stats["signed"]) == 1
    host.configure(fail_login="Denied")
    assert requests.post(host.url + "/_sim/reset", json={}, timeout=5).json()["ok"] is True
    assert requests.get(host.url + "/_sim/stats", timeout=5).json()["endpoints"] == {}
    assert authenticate(host).json()["IsSuccessful"] is True


def test_runs_as_a_process_with_its_key_in_a_file(tmp_path):
    key_file = tmp_path / "application.xml"
    with SimulatorProcess("superoffice_online", "--api", "http://127.0.0.1:1/Cust7/api", "--tenant", "Cust7",
                          "--key-file", str(key_file)) as process:
        state = requests.get(process.url + "/api/state/Cust7", timeout=5).json()
        assert state["State"] == "Running" and state["Api"] == "http://127.0.0.1:1/Cust7/api"
        assert key_file.read_text().startswith("<RSAKeyValue><Modulus>")
