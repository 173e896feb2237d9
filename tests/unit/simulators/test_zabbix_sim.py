"""Tests of the Zabbix JSON-RPC API simulator, over HTTP, for every simulated version."""

import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from ansible_collections.scriptbridge.core.tests.simulators.launcher import MODULES, simulator_env
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, EXPIRED_API_TOKEN, VERSIONS, ZabbixSimulator

ALL_VERSIONS = ["5.0", "5.4", "6.0", "6.4", "7.0", "7.2", "7.4"]
TOKEN_VERSIONS = [version for version in ALL_VERSIONS if version != "5.0"]
HOSTS = 10
HOST_001 = "20001"
HOST_006 = "20006"
NO_AGENT = "10500"
NO_PERMISSIONS = "No permissions to referred object or it does not exist!"


def number(version):
    """``"6.4"`` as ``(6, 4)``."""
    return tuple(int(part) for part in version.split("."))


def http_post(url, body, headers=None, method="POST"):
    """One HTTP exchange on a fresh connection: (status, headers, body)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, dict(error.headers.items()), error.read()


class Client:
    """A small JSON-RPC client for one simulator."""

    def __init__(self, sim):
        self.sim = sim
        self.version = sim.version

    def raw(self, payload, headers=None, path="/api_jsonrpc.php"):
        """POST a payload (bytes or JSON-able) as application/json-rpc."""
        merged = {"Content-Type": "application/json-rpc"}
        merged.update(headers or {})
        return http_post(self.sim.url + path, payload, merged)

    def call(self, method, params=None, *, auth=None, bearer=None, call_id=1):
        """Call a method; returns the parsed JSON-RPC answer."""
        body = {"jsonrpc": "2.0", "method": method, "params": [] if params is None else params, "id": call_id}
        if auth is not None:
            body["auth"] = auth
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        status, _unused, answer = self.raw(body, headers)
        assert status == 200, (status, answer)
        return json.loads(answer)

    def authed(self, method, params, credential):
        """Call a method with a credential sent the way this version takes it."""
        if number(self.version) >= (7, 2):
            return self.call(method, params, bearer=credential)
        return self.call(method, params, auth=credential)

    def result(self, method, params, credential):
        """The result of an authenticated call that must succeed."""
        answer = self.authed(method, params, credential)
        assert "result" in answer, answer
        return answer["result"]

    def login(self, user="Admin", password="zabbix"):
        """A session id."""
        field = "username" if number(self.version) >= (5, 4) else "user"
        answer = self.call("user.login", {field: user, "password": password})
        return answer["result"]

    def execute(self, credential, **params):
        """script.execute's answer."""
        return self.authed("script.execute", params, credential)


def error_of(answer):
    """(code, data) of an error answer."""
    assert "error" in answer, answer
    return answer["error"]["code"], answer["error"]["data"]


@pytest.fixture(scope="module", name="sims")
def fixture_sims():
    """One running simulator per version, shared by the module."""
    started = {version: ZabbixSimulator(version, hosts=HOSTS).start() for version in ALL_VERSIONS}
    yield started
    for sim in started.values():
        sim.stop()


@pytest.fixture(name="zbx")
def fixture_zbx(sims, version):
    """A client of a freshly reset simulator of ``version``."""
    sim = sims[version]
    sim.reset()
    return Client(sim)


# -- versions, login, authentication ----------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_apiinfo_version(zbx, version):
    """apiinfo.version answers the full version string of each simulated version."""
    expected = {"5.0": "5.0.0", "5.4": "5.4.0", "6.0": "6.0.14", "6.4": "6.4.0", "7.0": "7.0.9",
                "7.2": "7.2.0", "7.4": "7.4.0"}[version]
    assert zbx.call("apiinfo.version", [])["result"] == expected
    assert zbx.call("apiinfo.version", {})["result"] == VERSIONS[version]
    assert zbx.sim.api_version == expected


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_login_parameter_names(zbx, version):
    """user.login takes `user` (5.0), both (5.4, 6.0) or only `username` (6.4+)."""
    by_username = zbx.call("user.login", {"username": "Admin", "password": "zabbix"})
    by_user = zbx.call("user.login", {"user": "Admin", "password": "zabbix"})
    if version == "5.0":
        assert error_of(by_username) == (-32602, 'Invalid parameter "/": unexpected parameter "username".')
        assert len(by_user["result"]) == 32
    elif version in ("5.4", "6.0"):
        assert len(by_username["result"]) == 32
        assert len(by_user["result"]) == 32
    else:
        assert len(by_username["result"]) == 32
        assert error_of(by_user) == (-32602, 'Invalid parameter "/": unexpected parameter "user".')


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_login_failures(zbx, version):
    """Wrong or missing credentials give the Zabbix error texts and open no session."""
    field = "user" if version == "5.0" else "username"
    wrong = zbx.call("user.login", {field: "Admin", "password": "nope"})
    assert error_of(wrong) == (-32500, "Incorrect user name or password or account is temporarily blocked.")
    assert wrong["error"]["message"] == "Application error."
    unknown = zbx.call("user.login", {field: "nobody", "password": "zabbix"})
    if version == "7.0":
        # As a real 7.0.9 answers: the same as a wrong password.
        assert error_of(unknown) == (-32500, "Incorrect user name or password or account is temporarily blocked.")
        assert unknown["error"]["message"] == "Application error."
    else:
        # As a real 6.0.14 answers: the same text, but a parameter error.
        assert error_of(unknown) == (-32602, "Incorrect user name or password or account is temporarily blocked.")
        assert unknown["error"]["message"] == "Invalid params."
    missing = zbx.call("user.login", {field: "Admin"})
    assert error_of(missing) == (-32602, 'Invalid parameter "/": the parameter "password" is missing.')
    assert missing["error"]["message"] == "Invalid params."
    assert zbx.sim.stats()["logins"] == 0


@pytest.mark.parametrize("version", ["6.0", "7.2"])
def test_session_ids_are_random_hex(zbx, version):
    """Session ids are 32 hex characters, different at each login."""
    assert zbx.version == version
    first, second = zbx.login(), zbx.login()
    assert first != second
    for sessionid in (first, second):
        assert len(sessionid) == 32
        int(sessionid, 16)
    stats = zbx.sim.stats()
    assert stats["logins"] == 2
    assert stats["active_sessions"] == 2


@pytest.mark.parametrize("version", ["6.0", "7.0"])
def test_login_user_data(zbx, version):
    """userData returns the user object with a working session id."""
    data = zbx.call("user.login", {"username": "Admin", "password": "zabbix", "userData": True})["result"]
    assert data["userid"] == "1"
    assert data["username"] == "Admin"
    assert zbx.sim.stats()["active_sessions"] == 1
    assert len(data["sessionid"]) == 32
    assert zbx.result("host.get", {"hostids": HOST_001}, data["sessionid"])[0]["host"] == "host-001"
    assert version in ("6.0", "7.0")


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_auth_transport(zbx, version):
    """The session travels in the body up to 7.0 and in a Bearer header from 6.4 on."""
    session = zbx.login()
    params = {"output": ["host"], "hostids": HOST_001}
    by_body = zbx.call("host.get", params, auth=session)
    by_header = zbx.call("host.get", params, bearer=session)
    if number(version) >= (7, 2):
        assert error_of(by_body) == (-32600, 'Invalid parameter "/": unexpected parameter "auth".')
        assert by_body["error"]["message"] == "Invalid request."
    else:
        assert by_body["result"] == [{"hostid": HOST_001, "host": "host-001"}]
    if number(version) >= (6, 4):
        assert by_header["result"] == [{"hostid": HOST_001, "host": "host-001"}]
    else:
        assert error_of(by_header) == (-32602, "Not authorized.")


@pytest.mark.parametrize("version", ["6.4", "7.0"])
def test_header_wins_over_body(zbx, version):
    """When both are sent, the Bearer header is the credential."""
    session = zbx.login()
    answer = zbx.call("host.get", {"hostids": HOST_001, "output": ["host"]}, auth="0" * 32, bearer=session)
    assert answer["result"][0]["host"] == "host-001", version


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_methods_that_take_no_credentials(zbx, version):
    """apiinfo.version and user.login refuse credentials with the version's text."""
    session = zbx.login()
    header = 'The "apiinfo.version" method must be called without authorization header.'
    body = 'The "apiinfo.version" method must be called without the "auth" parameter.'
    # The way authed() sends credentials: body auth up to 7.0, a Bearer header from 7.2 on.
    expected = header if number(version) >= (7, 2) else body
    answer = zbx.authed("apiinfo.version", [], session)
    assert error_of(answer) == (-32602, expected)
    login = zbx.authed("user.login", {"username": "Admin", "password": "zabbix"}, session)
    assert error_of(login) == (-32602, expected.replace("apiinfo.version", "user.login"))
    if number(version) >= (6, 4):
        # A Bearer header counts as credentials once the version reads it; 7.0 names the header.
        in_header = header if number(version) >= (7, 0) else body
        assert error_of(zbx.call("apiinfo.version", [], bearer=session)) == (-32602, in_header)
    else:
        assert zbx.call("apiinfo.version", [], bearer=session)["result"] == VERSIONS[version]
    if version == "7.0":
        # A real 7.0.9 answers body auth with the 6.x text.
        assert error_of(zbx.call("apiinfo.version", [], auth=session)) == (-32602, body)


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_not_authorized_without_credentials(zbx, version):
    """A method that needs authentication refuses an anonymous call."""
    assert error_of(zbx.call("host.get", {})) == (-32602, "Not authorized."), version
    assert error_of(zbx.call("script.execute", {"scriptid": "10", "hostid": HOST_001})) == (
        -32602, "Not authorized.")
    assert zbx.sim.stats()["executions"] == []


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_api_tokens(zbx, version):
    """API_TOKEN works from 5.4 on; the expired and unknown tokens fail as Zabbix says."""
    hosts = zbx.authed("host.get", {"hostids": HOST_001}, API_TOKEN)
    expired = zbx.authed("host.get", {"hostids": HOST_001}, EXPIRED_API_TOKEN)
    unknown = zbx.authed("host.get", {"hostids": HOST_001}, "ab" * 32)
    if version == "5.0":
        # No tokens yet: a 64-character credential is just an unknown session.
        assert error_of(hosts) == (-32602, "Session terminated, re-login, please.")
        assert error_of(expired) == (-32602, "Session terminated, re-login, please.")
    else:
        assert hosts["result"][0]["host"] == "host-001"
        assert error_of(expired) == (-32500, "API token expired.")
        assert error_of(unknown) == (-32602, "Not authorized.")
    assert len(API_TOKEN) == 64
    int(API_TOKEN, 16)


@pytest.mark.parametrize("version", TOKEN_VERSIONS)
def test_token_bug(zbx, version):
    """5.4 and 6.0 answer script.execute with a token by an empty HTTP 500 after the frontend checks."""
    payload = {"jsonrpc": "2.0", "method": "script.execute", "params": {"scriptid": "10", "hostid": HOST_001},
               "id": 7}
    headers = {}
    if number(version) >= (7, 2):
        headers["Authorization"] = f"Bearer {API_TOKEN}"
    else:
        payload["auth"] = API_TOKEN
    status, response_headers, body = zbx.raw(payload, headers)
    stats = zbx.sim.stats()
    assert stats["methods"] == {"script.execute": 1}
    if version in ("5.4", "6.0"):
        assert status == 500
        assert body == b""
        assert response_headers["Content-Length"] == "0"
        assert stats["executions"] == []
        assert stats["http_status"] == {"500": 1}
        # A session works, and so do the frontend checks that come before the crash.
        session = zbx.login()
        assert zbx.execute(session, scriptid="10", hostid=HOST_001)["result"]["response"] == "success"
        assert error_of(zbx.execute(API_TOKEN, scriptid="999", hostid=HOST_001)) == (-32500, NO_PERMISSIONS)
        assert error_of(zbx.execute(API_TOKEN, scriptid="x", hostid=HOST_001))[0] == -32602
        assert zbx.result("script.get", {"scriptids": "10"}, API_TOKEN)[0]["name"] == "Echo host"
    else:
        assert status == 200
        assert json.loads(body)["result"]["value"] == "host=host-001 name=Host 001 conn=10.0.0.1"
        assert stats["executions"] == [{"scriptid": "10", "hostid": HOST_001, "eventid": None, "manualinput": None}]


@pytest.mark.parametrize("version", ["6.0"])
def test_token_bug_in_a_batch_fails_the_whole_request(zbx, version):
    """The crash takes the whole batch down with it."""
    batch = [
        {"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1},
        {"jsonrpc": "2.0", "method": "script.execute", "params": {"scriptid": "10", "hostid": HOST_001},
         "auth": API_TOKEN, "id": 2},
    ]
    status, _unused, body = zbx.raw(batch)
    assert (status, body) == (500, b"")
    assert zbx.sim.stats()["methods"] == {"apiinfo.version": 1, "script.execute": 1}, version


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_logout_ends_the_session(zbx, version):
    """user.logout ends the session; a token cannot be logged out."""
    session = zbx.login()
    assert zbx.result("user.logout", [], session) is True
    assert error_of(zbx.authed("host.get", {}, session)) == (-32602, "Session terminated, re-login, please.")
    assert error_of(zbx.authed("user.logout", [], session)) == (-32602, "Session terminated, re-login, please.")
    stats = zbx.sim.stats()
    assert (stats["logins"], stats["logouts"], stats["active_sessions"]) == (1, 1, 0)
    if version in ("6.0", "7.0"):
        # A real 6.0.14 and 7.0.9 look the token up as a session id (7.0.9: an internal error).
        assert error_of(zbx.authed("user.logout", [], API_TOKEN)) == (
            -32500 if version == "6.0" else -32603,
            'Incorrect field "sessionid" name or value in where statement for table "sessions".')
        # and the token keeps working
        assert "result" in zbx.authed("host.get", {"hostids": HOST_001}, API_TOKEN)
    elif version != "5.0":
        assert error_of(zbx.authed("user.logout", [], API_TOKEN)) == (-32602, "Cannot log out.")


@pytest.mark.parametrize("version", ["6.0", "7.4"])
def test_expire_sessions(zbx, version):
    """expire_sessions() makes the next call fail as an expired session does."""
    session = zbx.login()
    assert zbx.sim.expire_sessions() == 1
    answer = zbx.authed("script.execute", {"scriptid": "10", "hostid": HOST_001}, session)
    assert error_of(answer) == (-32602, "Session terminated, re-login, please."), version
    assert zbx.sim.stats()["active_sessions"] == 0


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.0"])
def test_check_authentication(zbx, version):
    """user.checkAuthentication accepts a live session and refuses an unknown one."""
    session = zbx.login()
    data = zbx.call("user.checkAuthentication", {"sessionid": session})["result"]
    assert data["userid"] == "1"
    assert data["sessionid"] == session
    gone = zbx.call("user.checkAuthentication", {"sessionid": "0" * 32})
    assert error_of(gone) == (-32602, "Session terminated, re-login, please."), version


# -- host.get, script.get, event.get ------------------------------------------------------


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.2"])
def test_host_get(zbx, version):
    """host.get filters by technical name, visible name and ids, with interfaces."""
    session = zbx.login()
    proxy_field = "proxyid" if number(version) >= (7, 0) else "proxy_hostid"
    server = zbx.result("host.get", {"filter": {"host": ["Zabbix server"]}}, session)
    assert len(server) == 1
    assert server[0]["hostid"] == "10084"
    assert server[0][proxy_field] == "0"
    by_visible = zbx.result("host.get", {"output": ["host"], "filter": {"name": "Host 001"}}, session)
    assert by_visible == [{"hostid": HOST_001, "host": "host-001"}]
    # The technical-name filter is exact and does not match visible names.
    assert zbx.result("host.get", {"filter": {"host": "Host 001"}}, session) == []
    with_interfaces = zbx.result("host.get", {"hostids": [HOST_001, NO_AGENT], "output": ["host", "name"],
                                              "selectInterfaces": ["type", "ip", "port"]}, session)
    assert with_interfaces == [
        {"hostid": NO_AGENT, "host": "no-agent", "name": "No agent",
         "interfaces": [{"type": "2", "ip": "10.255.0.1", "port": "161"}]},
        {"hostid": HOST_001, "host": "host-001", "name": "Host 001",
         "interfaces": [{"type": "1", "ip": "10.0.0.1", "port": "10050"}]},
    ]
    everything = zbx.result("host.get", {"output": "extend"}, session)
    assert len(everything) == HOSTS + 2
    assert all(isinstance(host["hostid"], str) for host in everything)
    assert zbx.result("host.get", {"countOutput": True}, session) == str(HOSTS + 2)
    assert {host["host"] for host in everything} >= {"Zabbix server", "no-agent", "host-001", "host-010"}
    # host.get does not validate ids: what is not an id matches nothing.
    assert zbx.result("host.get", {"hostids": ["x"]}, session) == []
    assert zbx.result("host.get", {"hostids": int(HOST_001), "output": ["host"]}, session) == [
        {"hostid": HOST_001, "host": "host-001"}]


def test_default_fixture_has_200_hosts():
    """By default there are 200 host-NNN hosts beside the two fixed ones."""
    with ZabbixSimulator() as sim:
        client = Client(sim)
        session = client.login()
        assert client.result("host.get", {"countOutput": True}, session) == "202"
        last = client.result("host.get", {"filter": {"host": "host-200"}, "output": ["name"]}, session)
        assert last == [{"hostid": "20200", "name": "Host 200"}]
        assert sim.version == "6.0"


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_script_objects_per_version(zbx, version):
    """Script objects have each version's fields, and each version its scripts."""
    session = zbx.login()
    echo = zbx.result("script.get", {"scriptids": "10", "output": "extend"}, session)
    assert len(echo) == 1
    fields = {"scriptid", "name", "command", "host_access", "usrgrpid", "groupid", "description", "confirmation",
              "type", "execute_on"}
    if number(version) >= (5, 4):
        fields |= {"timeout", "scope", "port", "authtype", "username", "password", "publickey", "privatekey",
                   "menu_path", "parameters"}
    if number(version) >= (6, 4):
        fields |= {"url", "new_window"}
    if number(version) >= (7, 0):
        fields |= {"manualinput", "manualinput_prompt", "manualinput_validator", "manualinput_validator_type",
                   "manualinput_default_value"}
    assert set(echo[0]) == fields
    assert echo[0]["scriptid"] == "10"
    assert echo[0]["execute_on"] == "0"
    assert echo[0]["type"] == "0"
    ids = [script["scriptid"] for script in zbx.result("script.get", {"output": ["scriptid"]}, session)]
    expected = ["1", "2", "3", "10", "11", "12", "19", "20"]
    if number(version) >= (5, 4):
        expected += ["13", "14", "15", "16", "17", "18"]
    if number(version) >= (6, 4):
        expected += ["21"]
    if number(version) >= (7, 0):
        expected += ["22", "23"]
    assert ids == sorted(expected, key=int)


@pytest.mark.parametrize("version", ["5.4", "6.0", "7.0"])
def test_script_get_filters(zbx, version):
    """script.get filters by name, menu_path, ids and the hosts a script may run on."""
    session = zbx.login()
    twins = zbx.result("script.get", {"filter": {"name": ["Restart service"]}}, session)
    assert [(script["scriptid"], script["menu_path"]) for script in twins] == [("17", "Linux"), ("18", "Windows")]
    linux = zbx.result("script.get", {"filter": {"name": "Restart service", "menu_path": "Linux"}}, session)
    assert [script["scriptid"] for script in linux] == ["17"]
    assert zbx.result("script.get", {"scriptids": ["1", 2], "output": ["name"]}, session) == [
        {"name": "Ping"}, {"name": "Traceroute"}]
    default_scripts = zbx.result("script.get", {"scriptids": ["1", "2", "3"]}, session)
    for script in default_scripts:
        assert (script["type"], script["execute_on"], script["scope"]) == ("0", "2", "2")
    on_canary = zbx.result("script.get", {"hostids": [HOST_001], "output": ["scriptid"]}, session)
    assert {"scriptid": "19"} in on_canary
    # Like CScript::get, a script offered on any of the hosts is listed.
    on_either = zbx.result("script.get", {"hostids": [HOST_001, HOST_006], "output": ["scriptid"]}, session)
    assert {"scriptid": "19"} in on_either and {"scriptid": "10"} in on_either
    on_other = zbx.result("script.get", {"hostids": [HOST_006], "output": ["scriptid"]}, session)
    assert {"scriptid": "19"} not in on_other and {"scriptid": "10"} in on_other
    canary = zbx.result("script.get", {"scriptids": "19", "selectHosts": ["host"]}, session)[0]
    assert [host["host"] for host in canary["hosts"]] == ["Zabbix server"] + [f"host-00{n}" for n in range(1, 6)]
    assert version in ("5.4", "6.0", "7.0")


@pytest.mark.parametrize("version", ["5.0"])
def test_script_get_50_has_no_same_name_scripts(zbx, version):
    """5.0 has no menu_path, so no two scripts share a name."""
    session = zbx.login()
    assert zbx.result("script.get", {"filter": {"name": "Restart service"}}, session) == [], version


@pytest.mark.parametrize("version", ["7.0", "7.4"])
def test_manualinput_fields(zbx, version):
    """From 7.0 the manual input scripts expose their validators."""
    session = zbx.login()
    found = zbx.result("script.get", {"scriptids": ["22", "23"]}, session)
    scripts = {script["scriptid"]: script for script in found}
    assert scripts["22"]["manualinput"] == "1"
    assert scripts["22"]["manualinput_validator_type"] == "0"
    assert scripts["22"]["manualinput_validator"] == "^[1-9][0-9]?$"
    assert scripts["22"]["manualinput_default_value"] == "3"
    assert scripts["23"]["manualinput_validator_type"] == "1"
    assert scripts["23"]["manualinput_validator"] == "start,stop,restart", version


@pytest.mark.parametrize("version", ["6.0", "7.0"])
def test_event_get(zbx, version):
    """event.get selects events by id or host and returns their hosts."""
    session = zbx.login()
    events = zbx.result("event.get", {"eventids": ["1003"], "output": ["eventid", "objectid", "name", "value"],
                                      "selectHosts": ["hostid", "host"]}, session)
    assert events == [{"eventid": "1003", "objectid": "23001", "name": "host-001: Load average is too high",
                       "value": "1", "hosts": [{"hostid": HOST_001, "host": "host-001"}]}]
    on_server = zbx.result("event.get", {"hostids": "10084", "output": ["eventid"]}, session)
    assert on_server == [{"eventid": "1001"}, {"eventid": "1002"}]
    assert zbx.result("event.get", {"eventids": "424242"}, session) == [], version


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.0"])
def test_events_appear_and_recover(zbx, version):
    """Raised problems and their recoveries, as an incremental event.get poll sees them."""
    session = zbx.login()
    first = zbx.sim.raise_problem("host-002", "host-002: Disk full", 4, [{"tag": "service", "value": "web"}])
    second = zbx.sim.raise_problem("Zabbix server", "Zabbix server: Queue", 2)
    assert (first, second) == ("1006", "1007"), version
    recovery = zbx.sim.recover(first)
    assert recovery == "1008"
    with pytest.raises(ValueError, match="no open problem"):
        zbx.sim.recover(first)
    poll = {"output": ["eventid", "objectid", "value", "severity", "name", "r_eventid", "clock"], "source": 0,
            "object": 0, "value": [1, 0], "eventid_from": "1006", "sortfield": ["eventid"], "sortorder": "ASC",
            "selectHosts": ["host"], "selectTags": "extend", "limit": 10}
    rows = zbx.result("event.get", poll, session)
    assert [(r["eventid"], r["value"], r["severity"], r["r_eventid"]) for r in rows] == [
        ("1006", "1", "4", "1008"), ("1007", "1", "2", "0"), ("1008", "0", "0", "0")]
    assert rows[0]["hosts"] == [{"hostid": "20002", "host": "host-002"}]
    assert rows[0]["tags"] == [{"tag": "service", "value": "web"}] and rows[2]["tags"] == []
    assert rows[0]["objectid"] == rows[2]["objectid"] != rows[1]["objectid"]
    assert abs(int(rows[0]["clock"]) - time.time()) < 60
    problems = zbx.result("event.get", dict(poll, value=1), session)
    assert [r["eventid"] for r in problems] == ["1006", "1007"]
    assert [r["eventid"] for r in zbx.result("event.get", dict(poll, eventid_till="1006"), session)] == ["1006"]
    assert zbx.result("event.get", dict(poll, time_from=str(int(time.time()) + 3600)), session) == []
    newest = zbx.result("event.get", {"output": ["eventid"], "sortfield": ["eventid"], "sortorder": "DESC",
                                      "limit": 1}, session)
    assert newest == [{"eventid": "1008"}]
    in_group = zbx.result("event.get", dict(poll, groupids=["4"]), session)
    assert [r["eventid"] for r in in_group] == ["1007"]
    zbx.sim.reset()
    assert zbx.result("event.get", poll, zbx.login()) == []


@pytest.mark.parametrize("version", ["7.0"])
def test_events_from_the_control_endpoint(zbx, version):
    status, _unused, body = http_post(zbx.sim.url + "/_sim/events", {"host": "host-001", "name": "Load", "severity": 5})
    assert status == 200 and json.loads(body)["eventid"] == "1006", version
    status, _unused, body = http_post(zbx.sim.url + "/_sim/events", {"recover": "1006"})
    assert status == 200 and json.loads(body)["eventid"] == "1007"
    for bad in ({"host": "nobody", "name": "x"}, {"host": "host-001"}, {"host": "host-001", "name": "x", "severity": 9},
                {"recover": "1006"}, {"recover": "1006", "host": "host-001"}):
        assert http_post(zbx.sim.url + "/_sim/events", bad)[0] == 400, bad
    events = {e["eventid"]: e for e in zbx.sim.events()}
    assert events["1006"]["r_eventid"] == "1007" and events["1007"]["value"] == "0"


@pytest.mark.parametrize("version", ["6.0", "7.0"])
def test_events_with_any_clock_in_maintenance_and_visible_late(zbx, version):
    """Problems from a proxy's backlog or a skewed clock, suppressed by a maintenance, or committed late."""
    session = zbx.login()
    old = zbx.sim.raise_problem("host-001", "host-001: Old", 3, clock=1_000_000_000)
    late = zbx.sim.raise_problem("host-002", "host-002: Late", 3, visible=False)
    future = zbx.sim.raise_problem("host-003", "host-003: Future", 3, clock=4_000_000_000)
    suppressed = zbx.sim.raise_problem("host-004", "host-004: In maintenance", 3, suppressed=True)
    poll = {"output": ["eventid", "clock", "suppressed"], "eventid_from": old, "sortfield": ["eventid"]}
    rows = zbx.result("event.get", poll, session)
    assert [(r["eventid"], r["suppressed"]) for r in rows] == [(old, "0"), (future, "0"), (suppressed, "1")]
    assert (rows[0]["clock"], rows[1]["clock"]) == ("1000000000", "4000000000")
    assert zbx.result("event.get", {"eventids": [late]}, session) == []
    assert zbx.sim.publish(late) == late
    assert [r["eventid"] for r in zbx.result("event.get", poll, session)] == [old, late, future, suppressed]
    with pytest.raises(ValueError, match="waiting to be visible"):
        zbx.sim.publish(late)
    only = zbx.result("event.get", dict(poll, suppressed=True, selectSuppressionData="extend"), session)
    expected = {"maintenanceid": "1", "suppress_until": "0"}
    if version == "7.0":
        expected["userid"] = "0"
    assert [(r["eventid"], r["suppression_data"]) for r in only] == [(suppressed, [expected])]
    assert suppressed not in [r["eventid"] for r in zbx.result("event.get", dict(poll, suppressed=False), session)]
    recovery = zbx.sim.recover(suppressed)
    assert zbx.result("event.get", {"eventids": [recovery], "output": ["suppressed"]}, session)[0]["suppressed"] == "0"
    status, _unused, body = http_post(zbx.sim.url + "/_sim/events", {"host": "host-001", "name": "x", "visible": False,
                                                                     "clock": 5, "suppressed": True})
    eventid = json.loads(body)["eventid"]
    assert status == 200 and http_post(zbx.sim.url + "/_sim/events", {"publish": eventid})[0] == 200
    assert http_post(zbx.sim.url + "/_sim/events", {"host": "host-001", "name": "x", "clock": -1})[0] == 400


@pytest.mark.parametrize("version", ["5.0", "7.0"])
def test_hostgroup_get(zbx, version):
    session = zbx.login()
    found = zbx.result("hostgroup.get", {"output": ["groupid", "name"], "filter": {"name": ["Canary hosts", "Nope"]}},
                       session)
    assert found == [{"groupid": "50", "name": "Canary hosts"}], version
    assert len(zbx.result("hostgroup.get", {}, session)) == 3


def test_a_raised_problem_runs_event_scripts(sims):
    sim = sims["7.0"]
    sim.reset()
    zbx = Client(sim)
    eventid = sim.raise_problem("host-003", "host-003: Service down")
    answer = zbx.result("script.execute", {"scriptid": "16", "eventid": eventid}, zbx.login())
    assert answer["value"] == "event=%s name=host-003: Service down host=host-003" % eventid


# -- script.execute ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_execute_agent_echo(zbx, version):
    """The agent echo script returns its resolved macros, with debug from 5.4 on."""
    session = zbx.login()
    result = zbx.execute(session, scriptid="10", hostid=HOST_001)["result"]
    expected = {"response": "success", "value": "host=host-001 name=Host 001 conn=10.0.0.1"}
    if version != "5.0":
        expected["debug"] = []
    assert result == expected
    server = zbx.execute(session, scriptid=10, hostid=10084)["result"]
    assert server["value"] == "host=Zabbix server name=Zabbix server conn=127.0.0.1"
    assert zbx.sim.stats()["executions"] == [
        {"scriptid": "10", "hostid": HOST_001, "eventid": None, "manualinput": None},
        {"scriptid": "10", "hostid": "10084", "eventid": None, "manualinput": None},
    ]


@pytest.mark.parametrize("version", ["5.0"])
def test_execute_params_50(zbx, version):
    """5.0's script.execute takes scriptid and hostid only."""
    session = zbx.login()
    with_event = zbx.execute(session, scriptid="16", eventid="1003")
    assert error_of(with_event) == (-32602, 'Invalid parameter "/": unexpected parameter "eventid".')
    no_host = zbx.execute(session, scriptid="10")
    assert error_of(no_host) == (-32602, 'Invalid parameter "/": the parameter "hostid" is missing.')
    with_input = zbx.execute(session, scriptid="10", hostid=HOST_001, manualinput="x")
    assert error_of(with_input) == (-32602, 'Invalid parameter "/": unexpected parameter "manualinput".')
    assert zbx.sim.stats()["executions"] == [], version


@pytest.mark.parametrize("version", TOKEN_VERSIONS)
def test_execute_params(zbx, version):
    """script.execute parameters are validated with the frontend's texts."""
    session = zbx.login()
    neither = zbx.execute(session, scriptid="10")
    assert error_of(neither) == (-32602, 'Invalid parameter "/": the parameter "eventid" is missing.')
    both = zbx.execute(session, scriptid="10", hostid=HOST_001, eventid="1003")
    assert error_of(both) == (-32602, 'Invalid parameter "/": unexpected parameter "eventid".')
    not_a_number = zbx.execute(session, scriptid="echo", hostid=HOST_001)
    assert error_of(not_a_number) == (-32602, 'Invalid parameter "/scriptid": a number is expected.')
    bad_host = zbx.execute(session, scriptid="10", hostid="host-001")
    assert error_of(bad_host) == (-32602, 'Invalid parameter "/hostid": a number is expected.')
    no_script = zbx.execute(session, hostid=HOST_001)
    assert error_of(no_script) == (-32602, 'Invalid parameter "/": the parameter "scriptid" is missing.')
    with_input = zbx.execute(session, scriptid="10", hostid=HOST_001, manualinput="x")
    if number(version) < (7, 0):
        assert error_of(with_input) == (-32602, 'Invalid parameter "/": unexpected parameter "manualinput".')
    else:
        # A script that takes no input runs anyway; the input is not used.
        assert with_input["result"]["value"] == "host=host-001 name=Host 001 conn=10.0.0.1"
        bad_type = zbx.execute(session, scriptid="10", hostid=HOST_001, manualinput=5)
        assert error_of(bad_type) == (-32602, 'Invalid parameter "/manualinput": a character string is expected.')


@pytest.mark.parametrize("version", ALL_VERSIONS)
def test_execute_no_permissions(zbx, version):
    """Unknown scripts, hosts, events and group-restricted scripts are all 'no permissions'."""
    session = zbx.login()
    cases = [
        {"scriptid": "999", "hostid": HOST_001},
        {"scriptid": "10", "hostid": "99999"},
        {"scriptid": "19", "hostid": HOST_006},
        {"scriptid": "19", "hostid": NO_AGENT},
    ]
    if version != "5.0":
        cases.append({"scriptid": "16", "eventid": "999999"})
    for params in cases:
        assert error_of(zbx.execute(session, **params)) == (-32500, NO_PERMISSIONS), params
    assert zbx.execute(session, scriptid="19", hostid=HOST_001)["result"]["value"] == "canary host-001"
    assert [run["scriptid"] for run in zbx.sim.stats()["executions"]] == ["19"]


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.2"])
def test_operator_cannot_use_admin_scripts(zbx, version):
    """A script restricted to a user group is invisible to other users."""
    operator = zbx.login("operator", "operator-pass")
    visible = [script["scriptid"] for script in zbx.result("script.get", {"output": ["scriptid"]}, operator)]
    assert "3" not in visible
    assert "1" in visible
    assert error_of(zbx.execute(operator, scriptid="3", hostid=HOST_001)) == (-32500, NO_PERMISSIONS)
    assert zbx.execute(operator, scriptid="1", hostid=HOST_001)["result"]["response"] == "success", version


@pytest.mark.parametrize("version", TOKEN_VERSIONS)
def test_execute_scope(zbx, version):
    """The server refuses a script outside its scope, in host and in event actions."""
    session = zbx.login()
    cases = [
        ({"scriptid": "15", "hostid": HOST_001}, "Script is not allowed in manual host action: scope:1"),
        ({"scriptid": "15", "eventid": "1003"}, "Script is not allowed in manual event action: scope:1"),
        ({"scriptid": "16", "hostid": HOST_001}, "Script is not allowed in manual host action: scope:4"),
        ({"scriptid": "10", "eventid": "1003"}, "Script is not allowed in manual event action: scope:2"),
    ]
    for params, message in cases:
        assert error_of(zbx.execute(session, **params)) == (-32500, message), params
    by_event = zbx.execute(session, scriptid="16", eventid="1003")["result"]
    assert by_event["value"] == "event=1003 name=host-001: Load average is too high host=host-001"
    assert zbx.sim.stats()["executions"] == [
        {"scriptid": "16", "hostid": HOST_001, "eventid": "1003", "manualinput": None}], version


@pytest.mark.parametrize("version", TOKEN_VERSIONS)
def test_url_script(zbx, version):
    """URL scripts exist from 6.4 on and are never executable."""
    session = zbx.login()
    answer = zbx.execute(session, scriptid="21", hostid=HOST_001)
    if number(version) >= (6, 4):
        assert error_of(answer) == (-32500, "Cannot execute URL type script.")
        url = zbx.result("script.get", {"scriptids": "21", "output": ["type", "url"]}, session)[0]
        assert url["type"] == "6"
        assert url["url"].endswith("hostid={HOST.ID}")
    else:
        assert error_of(answer) == (-32500, NO_PERMISSIONS)
    assert zbx.sim.stats()["executions"] == []


@pytest.mark.parametrize("version", ["7.0", "7.2", "7.4"])
def test_execute_manualinput(zbx, version):
    """Manual input is required, validated by regex or list, and substituted."""
    session = zbx.login()
    assert error_of(zbx.execute(session, scriptid="22", hostid=HOST_001)) == (
        -32500, "Script takes user input, but none was provided.")
    for scriptid, value in (("22", "abc"), ("22", "0"), ("22", "100"), ("23", "reload"), ("23", "start,stop")):
        answer = zbx.execute(session, scriptid=scriptid, hostid=HOST_001, manualinput=value)
        assert error_of(answer) == (-32500, "Provided script user input failed validation."), value
    count = zbx.execute(session, scriptid="22", hostid=HOST_001, manualinput="5")["result"]["value"]
    assert "5 packets transmitted, 5 received" in count
    assert "10.0.0.1" in count
    action = zbx.execute(session, scriptid="23", hostid=HOST_001, manualinput="stop")["result"]
    assert action == {"response": "success", "value": "service stop on host-001", "debug": []}
    assert zbx.sim.stats()["executions"] == [
        {"scriptid": "22", "hostid": HOST_001, "eventid": None, "manualinput": "5"},
        {"scriptid": "23", "hostid": HOST_001, "eventid": None, "manualinput": "stop"},
    ], version


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.0"])
def test_agent_interface_required(zbx, version):
    """An agent script needs an agent interface; a server script does not."""
    session = zbx.login()
    answer = zbx.execute(session, scriptid="10", hostid=NO_AGENT)
    assert error_of(answer) == (-32500, "Zabbix agent interface is not defined for host [no-agent]")
    ping = zbx.execute(session, scriptid="1", hostid=NO_AGENT)["result"]["value"]
    assert ping.startswith("PING 10.255.0.1 (10.255.0.1)")
    assert [run["scriptid"] for run in zbx.sim.stats()["executions"]] == ["1"], version


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.4"])
def test_exit_status(zbx, version):
    """A non-zero exit fails a server script but not an agent script."""
    session = zbx.login()
    failed = zbx.execute(session, scriptid="12", hostid=HOST_001)
    assert error_of(failed) == (-32500, "check failed on host-001")
    agent = zbx.execute(session, scriptid="11", hostid=HOST_001)["result"]
    assert agent["value"] == "warning on host-001"
    assert [run["scriptid"] for run in zbx.sim.stats()["executions"]] == ["12", "11"], version


@pytest.mark.parametrize("version", TOKEN_VERSIONS)
def test_webhooks(zbx, version):
    """Webhooks return their value with debug logs, or the error they throw."""
    session = zbx.login()
    result = zbx.execute(session, scriptid="13", hostid=HOST_001)["result"]
    assert result["response"] == "success"
    assert json.loads(result["value"]) == {"status": "sent", "host": "host-001", "hostid": HOST_001}
    assert result["debug"] == {"logs": [{"level": 4, "ms": 0,
                                         "message": "[Webhook JSON] sending notification for host-001"}], "ms": 0}
    thrown = zbx.execute(session, scriptid="14", hostid=HOST_001)
    assert error_of(thrown) == (-32500, "cannot execute script: boom"), version


@pytest.mark.parametrize("version", ["6.0"])
def test_other_default_scripts(zbx, version):
    """The default scripts and the second same-name script return their outputs."""
    session = zbx.login()
    trace = zbx.execute(session, scriptid="2", hostid="10084")["result"]["value"]
    assert trace.startswith("traceroute to 127.0.0.1")
    nmap = zbx.execute(session, scriptid="3", hostid=HOST_001)["result"]["value"]
    assert "Nmap scan report for 10.0.0.1" in nmap
    twin = zbx.execute(session, scriptid="18", hostid=HOST_001)["result"]["value"]
    assert twin == "restart (Windows) on host-001", version


@pytest.mark.parametrize("version", ["6.0"])
def test_slow_script_and_parallel_calls(zbx, version):
    """The slow script sleeps its configured time; calls run in parallel."""
    session = zbx.login()
    zbx.sim.configure(slow_script_seconds=0.3)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: zbx.execute(session, scriptid="20", hostid=HOST_001), range(4)))
    elapsed = time.monotonic() - started
    assert all(answer["result"]["value"] == "slow done on host-001" for answer in answers)
    assert elapsed >= 0.3
    # In parallel: the four calls were in the simulator at once (a time bound would fail on a loaded machine).
    stats = zbx.sim.stats()
    assert stats["max_in_flight"] == 4
    assert stats["in_flight"] == 0
    assert len(stats["executions"]) == 4, version


# -- JSON-RPC envelope and HTTP ----------------------------------------------------------------


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.4"])
def test_notifications_get_an_empty_body(zbx, version):
    """A call without id is run and answered by an empty body."""
    session = zbx.login()
    payload = {"jsonrpc": "2.0", "method": "script.execute", "params": {"scriptid": "10", "hostid": HOST_001}}
    headers = {}
    if number(version) >= (7, 2):
        headers["Authorization"] = f"Bearer {session}"
    else:
        payload["auth"] = session
    status, response_headers, body = zbx.raw(payload, headers)
    assert (status, body, response_headers["Content-Length"]) == (200, b"", "0")
    assert len(zbx.sim.stats()["executions"]) == 1
    failing = dict(payload, params={"scriptid": "999", "hostid": HOST_001})
    assert zbx.raw(failing, headers)[0::2] == (200, b"")
    assert zbx.raw({"jsonrpc": "2.0", "method": "apiinfo.version", "params": []})[0::2] == (200, b"")


@pytest.mark.parametrize("version", ["6.0", "7.2"])
def test_batches(zbx, version):
    """A batch is answered by an array in call order, without the notifications."""
    field = "username"
    batch = [
        {"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1},
        {"jsonrpc": "2.0", "method": "apiinfo.version", "params": []},
        {"jsonrpc": "2.0", "method": "user.login", "params": {field: "Admin", "password": "zabbix"}, "id": "two"},
        {"jsonrpc": "2.0", "method": "host.get", "params": {}, "id": 3},
        {"jsonrpc": "1.0", "method": "apiinfo.version", "params": [], "id": 4},
    ]
    status, _unused, body = zbx.raw(batch)
    assert status == 200
    answers = json.loads(body)
    assert [answer["id"] for answer in answers] == [1, "two", 3, 4]
    assert answers[0]["result"] == VERSIONS[version]
    assert len(answers[1]["result"]) == 32
    assert error_of(answers[2]) == (-32602, "Not authorized.")
    assert error_of(answers[3]) == (-32600, 'Invalid parameter "/jsonrpc": value must be "2.0".')
    only_notifications = [{"jsonrpc": "2.0", "method": "apiinfo.version", "params": []}] * 2
    assert zbx.raw(only_notifications)[0::2] == (200, b"")
    assert zbx.sim.stats()["methods"] == {"apiinfo.version": 4, "user.login": 1, "host.get": 1}


@pytest.mark.parametrize("version", ["6.0"])
def test_malformed_bodies(zbx, version):
    """Invalid JSON and invalid envelopes get -32700 and -32600."""
    status, _unused, body = zbx.raw(b"{not json")
    assert status == 200
    assert json.loads(body) == {"jsonrpc": "2.0", "error": {
        "code": -32700, "message": "Parse error",
        "data": "Invalid JSON. An error occurred on the server while parsing the JSON text."}, "id": None}
    for payload in (b"[]", b"{}", b"42", b'"text"'):
        answer = json.loads(zbx.raw(payload)[2])
        assert error_of(answer) == (-32600, "The received JSON is not a valid JSON-RPC request."), payload
        assert answer["id"] is None
    cases = [
        ({"method": "apiinfo.version", "params": [], "id": 1},
         'Invalid parameter "/": the parameter "jsonrpc" is missing.'),
        ({"jsonrpc": "2.0", "params": [], "id": 1}, 'Invalid parameter "/": the parameter "method" is missing.'),
        ({"jsonrpc": "2.0", "method": "apiinfo.version", "id": 1},
         'Invalid parameter "/": the parameter "params" is missing.'),
        ({"jsonrpc": "2.0", "method": "apiinfo.version", "params": "x", "id": 1},
         'Invalid parameter "/params": an array or object is expected.'),
        ({"jsonrpc": "2.0", "method": 5, "params": [], "id": 1},
         'Invalid parameter "/method": a character string is expected.'),
        ({"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1, "extra": True},
         'Invalid parameter "/": unexpected parameter "extra".'),
    ]
    for payload, data in cases:
        answer = json.loads(zbx.raw(payload)[2])
        assert error_of(answer) == (-32600, data)
        assert answer["error"]["message"] == "Invalid request."
        assert answer["id"] == 1
    # An invalid envelope is answered even without an id.
    answer = json.loads(zbx.raw({"jsonrpc": "2.0", "method": "apiinfo.version"})[2])
    assert answer["id"] is None
    assert zbx.sim.stats()["methods"] == {}, version


@pytest.mark.parametrize("version", ["5.0", "7.4"])
def test_unknown_methods(zbx, version):
    """Unknown APIs and methods get -32601; method names ignore case."""
    answer = zbx.call("host.foo", {})
    assert error_of(answer) == (-32601, 'Incorrect method "host.foo".')
    assert answer["error"]["message"] == "Method not found."
    assert error_of(zbx.call("foo.bar", {})) == (-32601, 'Incorrect API "foo".')
    # Method names are case-insensitive, as in PHP.
    assert zbx.call("APIInfo.Version", [])["result"] == VERSIONS[version]
    assert zbx.sim.stats()["methods"] == {"host.foo": 1, "foo.bar": 1, "APIInfo.Version": 1}


@pytest.mark.parametrize("version", ["6.0"])
def test_content_type(zbx, version):
    """Only JSON content types are served; anything else is HTTP 412."""
    payload = {"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1}
    assert zbx.raw(payload, {"Content-Type": "text/plain"})[0] == 412
    status, _unused, body = http_post(zbx.sim.api_url, json.dumps(payload).encode())
    assert (status, body) == (412, b"")
    for content_type in ("application/json", "application/json; charset=utf-8", "application/json-rpc"):
        status, headers, body = zbx.raw(payload, {"Content-Type": content_type})
        assert status == 200
        assert headers["Content-Type"] == "application/json"
        assert json.loads(body)["result"] == "6.0.14"
    assert zbx.sim.stats()["http_status"] == {"412": 2, "200": 3}, version


@pytest.mark.parametrize("version", ["6.0"])
def test_paths(zbx, version):
    """Both API paths are served; other paths are 404."""
    payload = {"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1}
    status, _unused, body = zbx.raw(payload, path="/zabbix/api_jsonrpc.php")
    assert (status, json.loads(body)["result"]) == (200, "6.0.14")
    assert zbx.raw(payload, path="/other.php")[0] == 404
    assert [request["path"] for request in zbx.sim.requests] == ["/zabbix/api_jsonrpc.php"], version


@pytest.mark.parametrize("version", ["6.0"])
def test_keep_alive_reuses_one_connection(zbx, version):
    """Several requests on one keep-alive connection count as one connection."""
    session = zbx.login()
    before = zbx.sim.stats()
    connection = http.client.HTTPConnection("127.0.0.1", zbx.sim.port, timeout=10)
    try:
        for call_id in range(5):
            body = json.dumps({"jsonrpc": "2.0", "method": "host.get", "params": {"hostids": HOST_001},
                               "auth": session, "id": call_id})
            connection.request("POST", "/api_jsonrpc.php", body, {"Content-Type": "application/json-rpc"})
            response = connection.getresponse()
            assert response.status == 200
            assert json.loads(response.read())["id"] == call_id
    finally:
        connection.close()
    after = zbx.sim.stats()
    assert after["requests"] - before["requests"] == 5
    assert after["connections"] - before["connections"] == 1, version


@pytest.mark.parametrize("version", ["6.0"])
def test_requests_are_recorded(zbx, version):
    """Requests are recorded with path, headers and parsed body; reset() clears them."""
    session = zbx.login()
    payload = {"jsonrpc": "2.0", "method": "host.get", "params": {"hostids": HOST_001}, "id": 9, "auth": session}
    assert zbx.raw(payload, {"X-Test": "yes"})[0] == 200
    recorded = zbx.sim.requests
    assert len(recorded) == 2
    last = recorded[-1]
    assert last["method"] == "POST"
    assert last["path"] == "/api_jsonrpc.php"
    assert last["headers"]["Content-Type"] == "application/json-rpc"
    assert last["headers"]["X-Test"] == "yes"
    assert last["body"] == {"jsonrpc": "2.0", "method": "host.get", "params": {"hostids": HOST_001}, "id": 9,
                            "auth": session}
    json.dumps(zbx.sim.stats())
    zbx.sim.reset()
    assert zbx.sim.requests == []
    assert zbx.sim.stats()["requests"] == 0, version


@pytest.mark.parametrize("version", ["6.0"])
def test_latency(zbx, version):
    """configure(latency=...) slows every answer; reset() restores the initial latency."""
    zbx.sim.configure(latency=0.2)
    started = time.monotonic()
    assert zbx.call("apiinfo.version", [])["result"] == "6.0.14"
    assert time.monotonic() - started >= 0.2
    zbx.sim.reset()
    assert zbx.sim.config["latency"] == 0.0, version


def test_latency_from_the_constructor():
    """The constructor's latency slows every answer."""
    with ZabbixSimulator("7.0", latency=0.15, hosts=1) as sim:
        started = time.monotonic()
        assert Client(sim).call("apiinfo.version", [])["result"] == "7.0.9"
        assert time.monotonic() - started >= 0.15


def test_http_basic():
    """With http_basic, the API needs HTTP Basic; the control endpoints do not."""
    with ZabbixSimulator("6.0", hosts=1, http_basic=("web", "secret")) as sim:
        client = Client(sim)
        payload = {"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1}
        status, headers, body = client.raw(payload)
        assert status == 401
        assert headers["WWW-Authenticate"] == 'Basic realm="Zabbix"'
        assert b"<html>" in body
        assert client.raw(payload, {"Authorization": "Basic d2ViOndyb25n"})[0] == 401
        basic = {"Authorization": "Basic d2ViOnNlY3JldA=="}
        status, _unused, body = client.raw(payload, basic)
        assert (status, json.loads(body)["result"]) == (200, "6.0.14")
        login = {"jsonrpc": "2.0", "method": "user.login", "params": {"username": "Admin", "password": "zabbix"},
                 "id": 2}
        session = json.loads(client.raw(login, basic)[2])["result"]
        execute = {"jsonrpc": "2.0", "method": "script.execute", "params": {"scriptid": "10", "hostid": HOST_001},
                   "auth": session, "id": 3}
        assert json.loads(client.raw(execute, basic)[2])["result"]["value"].startswith("host=host-001")
        # The control endpoints need no credentials.
        assert http_post(sim.url + "/_sim/stats", None, method="GET")[0] == 200
        assert sim.stats()["http_status"] == {"401": 2, "200": 3}


@pytest.mark.parametrize("version", ["7.0"])
def test_control_endpoints(zbx, version):
    """The /_sim/ endpoints report, configure, expire sessions and reset."""
    url = zbx.sim.url
    session = zbx.login()
    assert zbx.version == version
    status, _unused, body = http_post(url + "/_sim/stats", None, method="GET")
    stats = json.loads(body)
    assert status == 200
    assert (stats["requests"], stats["logins"], stats["active_sessions"]) == (1, 1, 1)
    assert stats["version"] == "7.0"
    assert json.loads(http_post(url + "/_sim/requests", None, method="GET")[2])["requests"][0]["body"]["method"] == "user.login"
    status, _unused, body = http_post(url + "/_sim/config", {"latency": 0.05, "slow_script_seconds": 0.1})
    assert status == 200
    assert json.loads(body)["config"] == {"latency": 0.05, "slow_script_seconds": 0.1, "enable_global_scripts": 1}
    assert json.loads(http_post(url + "/_sim/config", None, method="GET")[2])["latency"] == 0.05
    assert http_post(url + "/_sim/config", {"faults": 1})[0] == 400
    assert http_post(url + "/_sim/config", {"latency": -1})[0] == 400
    assert http_post(url + "/_sim/config", {"enable_global_scripts": 2})[0] == 400
    assert http_post(url + "/_sim/config", b"not json")[0] == 400
    status, _unused, body = http_post(url + "/_sim/expire_sessions", b"")
    assert (status, json.loads(body)) == (200, {"ok": True, "expired": 1})
    assert error_of(zbx.authed("host.get", {}, session)) == (-32602, "Session terminated, re-login, please.")
    status, _unused, body = http_post(url + "/_sim/reset", b"")
    assert (status, json.loads(body)) == (200, {"ok": True})
    stats = json.loads(http_post(url + "/_sim/stats", None, method="GET")[2])
    assert (stats["requests"], stats["methods"], stats["executions"]) == (0, {}, [])
    assert json.loads(http_post(url + "/_sim/config", None, method="GET")[2]) == {
        "latency": 0.0, "slow_script_seconds": 2.0, "enable_global_scripts": 1}
    assert http_post(url + "/_sim/nothing", None, method="GET")[0] == 404


def test_stop_cuts_idle_keep_alive_connections():
    """stop() returns promptly even with an idle keep-alive connection open."""
    sim = ZabbixSimulator("6.0", hosts=1).start()
    connection = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    connection.request("POST", "/api_jsonrpc.php", b'{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":1}',
                       {"Content-Type": "application/json-rpc"})
    assert connection.getresponse().read()
    started = time.monotonic()
    sim.stop()
    assert time.monotonic() - started < 2
    connection.close()
    with pytest.raises(RuntimeError):
        assert not sim.url


def test_rejects_unknown_versions():
    """Only the listed versions can be simulated."""
    with pytest.raises(ValueError):
        ZabbixSimulator("6.2")


def test_cli_serves_until_sigterm(tmp_path):
    """The command line prints its URL, writes the port file and exits 0 on SIGTERM."""
    port_file = tmp_path / "url.txt"
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-m", MODULES["zabbix"], "--version", "7.2", "--port", "0", "--hosts", "5", "--latency", "0.01",
         "--port-file", str(port_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=simulator_env())
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("ZABBIX_SIM_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        assert port_file.read_text(encoding="utf-8").strip() == url
        payload = {"jsonrpc": "2.0", "method": "apiinfo.version", "params": [], "id": 1}
        status, _unused, body = http_post(url + "/api_jsonrpc.php", payload, {"Content-Type": "application/json-rpc"})
        assert (status, json.loads(body)["result"]) == (200, "7.2.0")
        stats = json.loads(http_post(url + "/_sim/stats", None, method="GET")[2])
        assert stats["requests"] == 1
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
        process.stderr.close()


def test_concurrent_logins_are_thread_safe():
    """Parallel logins are all counted and all get distinct sessions."""
    with ZabbixSimulator("7.4", hosts=1) as sim:
        client = Client(sim)
        sessions = []
        lock = threading.Lock()

        def login(_unused):
            sessionid = client.login()
            with lock:
                sessions.append(sessionid)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(login, range(40)))
        stats = sim.stats()
        assert len(set(sessions)) == 40
        assert (stats["logins"], stats["active_sessions"], stats["methods"]) == (40, 40, {"user.login": 40})


@pytest.mark.parametrize("version", ["6.0"])
def test_answers_as_a_real_60(zbx, version):
    """What tests/real_zabbix/test_conformance.py found a real Zabbix 6.0.14 to answer."""
    session = zbx.login()
    both = zbx.call("user.login", {"username": "Admin", "user": "Admin", "password": "zabbix"})
    assert error_of(both) == (-32602, 'Parameter "user" is deprecated.')
    data = zbx.call("user.login", {"username": "Admin", "password": "zabbix", "userData": True})["result"]
    assert (data["gui_access"], data["debug_mode"], data["type"]) == (0, 0, 3)
    assert error_of(zbx.call("user.checkAuthentication", {})) == (-32602, "Session ID or token is expected.")
    assert error_of(zbx.call("user.checkAuthentication", {"token": "ab" * 32})) == (-32602, "Not authorized.")
    assert zbx.call("user.checkAuthentication", {"token": API_TOKEN})["result"]["userid"] == "1"
    # host.get and event.get do not validate ids: what is not an id matches nothing
    assert zbx.result("event.get", {"eventids": ["abc"], "objectids": "x"}, session) == []
    assert zbx.result("host.get", {"groupids": "abc"}, session) == []
    # objects selected along always carry their id
    host = zbx.result("host.get", {"output": ["host"], "hostids": HOST_001, "selectGroups": ["name"]}, session)[0]
    assert host["groups"] == [{"groupid": "2", "name": "Linux servers"}, {"groupid": "50", "name": "Canary hosts"}]
    event = zbx.result("event.get", {"output": ["eventid"], "eventids": "1003", "selectHosts": ["host"]}, session)
    assert event == [{"eventid": "1003", "hosts": [{"hostid": HOST_001, "host": "host-001"}]}]
    canary = zbx.result("script.get", {"output": ["name"], "scriptids": "19", "selectHosts": ["host"]}, session)[0]
    assert canary["hosts"][1] == {"hostid": HOST_001, "host": "host-001"}
    # every field a 6.0.14 object has
    full = zbx.result("host.get", {"hostids": NO_AGENT, "selectInterfaces": "extend", "selectGroups": "extend"},
                      session)[0]
    assert {"tls_connect", "ipmi_authtype", "custom_interfaces", "uuid", "proxy_address", "lastaccess"} <= set(full)
    assert full["interfaces"][0]["details"] == {"version": "2", "bulk": "1", "community": "public"}
    assert {"error", "errors_from", "disable_until"} <= set(full["interfaces"][0])
    assert set(full["groups"][0]) == {"groupid", "name", "internal", "flags", "uuid"}
    assert zbx.result("event.get", {"eventids": "1003"}, session)[0]["urls"] == []
    # a token is looked up as a session id by user.logout
    assert error_of(zbx.authed("user.logout", [], API_TOKEN))[0] == -32500
    # server-run commands keep their last newline; the fixture's server scripts print none
    assert zbx.execute(session, scriptid="1", hostid="10084")["result"]["value"].endswith(" ms\n")
    assert zbx.execute(session, scriptid="17", hostid=HOST_001)["result"]["value"] == "restart (Linux) on host-001"
    assert version == "6.0"


@pytest.mark.parametrize("version", ["6.4", "7.4"])
def test_objects_outside_60_keep_their_fields(zbx, version):
    """Only the 6.0 and 7.0 modes carry the fields checked against a real 6.0.14 and 7.0.9."""
    session = zbx.login()
    host = zbx.result("host.get", {"hostids": HOST_001, "selectGroups": "extend"}, session)[0]
    assert "tls_connect" not in host and set(host["groups"][0]) == {"groupid", "name", "flags"}, version


@pytest.mark.parametrize("version", ["7.0"])
def test_70_objects_are_those_of_a_real_709(zbx, version):
    """7.0 hosts, interfaces, host groups and user data carry the fields a real 7.0.9 returns."""
    session = zbx.login()
    found = zbx.result("host.get", {"hostids": [HOST_001, "10500"], "selectGroups": "extend",
                                    "selectInterfaces": "extend"}, session)
    host, snmp = [dict((h["hostid"], h) for h in found)[hostid] for hostid in (HOST_001, "10500")]
    assert {"monitored_by", "proxy_groupid", "assigned_proxyid", "vendor_name"} <= set(host), version
    assert "lastaccess" not in host and "proxy_hostid" not in host
    assert set(host["groups"][0]) == {"groupid", "name", "flags", "uuid"}
    assert snmp["interfaces"][0]["details"] == {
        "version": "2", "bulk": "1", "community": "public", "max_repetitions": "10"}
    # an output list is what comes back: no id added to selected host groups
    named = zbx.result("host.get", {"hostids": HOST_001, "output": ["host"], "selectGroups": ["name"]}, session)
    assert named[0]["groups"] == [{"name": "Linux servers"}, {"name": "Canary hosts"}]
    user = zbx.call("user.login", {"username": "Admin", "password": "zabbix", "userData": True})["result"]
    assert (user["timezone"], user["gui_access"], user["deprovisioned"], user["mfaid"]) == ("system", "1", False, 0)
    assert re.fullmatch(r"[0-9a-f]{32}", user["secret"]) and user["secret"] != user["sessionid"]
    assert error_of(zbx.authed("event.get", {"eventids": ["abc"]}, session)) == (
        -32602, 'Invalid parameter "/eventids/1": a number is expected.')


@pytest.mark.parametrize("version", ["6.0", "7.0"])
def test_global_scripts_disabled(zbx, version):
    """EnableGlobalScripts=0 (7.0+): scripts run by the server or a proxy are refused, the others run."""
    zbx.sim.configure(enable_global_scripts=0)
    session = zbx.login()
    disabled = (-32500, "Global script execution on Zabbix server is disabled by server configuration.")
    for scriptid in ("1", "12", "17"):  # Ping (server/proxy), Server failure and Restart service (server)
        answer = zbx.authed("script.execute", {"scriptid": scriptid, "hostid": HOST_001}, session)
        if version == "7.0":
            assert error_of(answer) == disabled, scriptid
        else:
            # 6.0 has no such setting: they run (Server failure fails by its exit status)
            assert answer.get("error", {}).get("data") != disabled[1], scriptid
    # the agent and webhooks are not global scripts run by the server
    assert zbx.result("script.execute", {"scriptid": "10", "hostid": HOST_001}, session)["response"] == "success"
    assert zbx.result("script.execute", {"scriptid": "13", "hostid": HOST_001}, session)["response"] == "success"
    executed = [e["scriptid"] for e in zbx.sim.stats()["executions"]]
    assert executed == (["10", "13"] if version == "7.0" else ["1", "12", "17", "10", "13"])
    zbx.sim.configure(enable_global_scripts=1)
    assert zbx.result("script.execute", {"scriptid": "1", "hostid": HOST_001}, session)["response"] == "success"
