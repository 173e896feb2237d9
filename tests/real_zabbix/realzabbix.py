"""Helpers for the tests against the real Zabbix 6.0 and 7.0 started by ``zabbix-stack.sh``.

``ZabbixApi`` speaks raw JSON-RPC (no collection code involved), ``Fixture``
creates what the tests need on the server (hosts, scripts, a trapper item with
triggers, problem events, an API token) and removes it again, and ``Observer``
tells what the server did between two points in time: script executions and
logins/logouts from the audit log, runs recorded by the scripts themselves,
and the sessions opened in the database.

The objects copy the simulator's fixture (tests/simulators/zabbix_sim.py):
the same host names, script names, types, scopes, menu paths and outputs, so
that the same calls can be compared against both. ``STACKS`` says where each
version runs; everything that talks to a server takes its ``Stack``.
"""

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

import requests

HERE = Path(__file__).resolve().parent
STACK = HERE / "zabbix-stack.sh"
STATE_DIR = Path(os.environ.get("ZBX_STATE_DIR", "/tmp/scriptbridge-zabbix"))
URL = "http://127.0.0.1:%s" % os.environ.get("ZBX_PORT", "8580")
Z70_ROOT = Path(os.environ.get("ZBX70_ROOT", "/opt/scriptbridge-zabbix70"))


class Stack(NamedTuple):
    """Where one Zabbix version of ``zabbix-stack.sh`` runs."""

    version: str          # "6.0" or "7.0": the argument of zabbix-stack.sh
    release: str          # what apiinfo.version answers
    url: str
    state_dir: Path
    db_name: str
    sender: str           # zabbix_sender of that version
    server_port: str      # the server's trapper port


STACKS = {
    "6.0": Stack("6.0", "6.0.14", URL, STATE_DIR, "zabbix", "zabbix_sender", "10051"),
    "7.0": Stack("7.0", "7.0.9", "http://127.0.0.1:%s" % os.environ.get("ZBX70_PORT", "8570"),
                 Path(os.environ.get("ZBX70_STATE_DIR", "/tmp/scriptbridge-zabbix70")), "zabbix70",
                 str(Z70_ROOT / "usr/bin/zabbix_sender"), os.environ.get("ZBX70_SERVER_PORT", "10151")),
}
# The shipped server configuration of the unpacked 7.0 packages.
Z70_SHIPPED_SERVER_CONF = Z70_ROOT / "usr/share/zabbix-server-pgsql/zabbix_server.conf"
ADMIN = {"username": "Admin", "password": "zabbix"}
# The module runs as this user: as the simulator's "operator" (user role, group "Operators", every host
# readable), with a password that the 6.0 password policy accepts and that is no word of the output
# (Ansible masks a no_log value wherever it occurs, so "zabbix" would turn "zabbix_version" into "********_version").
OPERATOR = {"username": "operator", "password": "Runs-scripts-6014"}
OPERATORS_GROUP = "Operators"
# The scripts append one line per run here; the directory is world-writable
# because the agent and the server run them as the zabbix user.
RUNS_DIR = Path(os.environ.get("ZBX_RUNS_DIR", "/tmp/scriptbridge-zabbix-runs"))
RUNS_LOG = RUNS_DIR / "runs.log"

SERVER_HOSTID = "10084"
LINUX_SERVERS = "Linux servers"
CANARY_GROUP = "Canary hosts"
FAN_OUT_HOSTS = ["host-%03d" % n for n in range(1, 6)]
NO_AGENT = "no-agent"
# 7.0 only: a host whose agent interface is a closed port.
DEAD_AGENT = "dead-agent"
TOKEN_NAME = "scriptbridge tests"
EXPIRED_TOKEN_NAME = "scriptbridge tests, expired"
TRAP_KEY = "scriptbridge.trap"
# Event names as the simulator's fixture events 1003 and 1004 on host-001.
EVENT_TRIGGERS = (
    ("host-001: Load average is too high", "last(/host-001/%s)>0" % TRAP_KEY, 3),
    ("host-001: /: Disk space is low", "last(/host-001/%s)>1" % TRAP_KEY, 2),
)

AUDIT_LOGOUT, AUDIT_EXECUTE, AUDIT_LOGIN, AUDIT_FAILED_LOGIN = "4", "7", "8", "9"


def _record(tag):
    return 'echo "%s {HOST.HOST}" >> %s; ' % (tag, RUNS_LOG)


# The scripts of the simulator's fixture that a 6.0.14 server can hold, with
# the same outputs. Agent and server scripts also record each run. The second
# "Restart service" (Windows) cannot exist: 6.0.14 keeps script names unique.
SCRIPTS = (
    {"name": "Echo host", "type": 0, "execute_on": 0, "scope": 2,
     "command": _record("echo") + 'echo "host={HOST.HOST} name={HOST.NAME} conn={HOST.CONN}"',
     "description": "Echoes the host macros on the agent."},
    {"name": "Agent exit code", "type": 0, "execute_on": 0, "scope": 2,
     "command": 'echo "warning on {HOST.HOST}"; exit 1'},
    {"name": "Server failure", "type": 0, "execute_on": 1, "scope": 2,
     "command": _record("failure") + 'echo "check failed on {HOST.HOST}"; exit 3'},
    {"name": "Webhook JSON", "type": 5, "scope": 2, "timeout": "30s",
     "command": "var p = JSON.parse(value);\n"
                "Zabbix.log(4, '[Webhook JSON] sending notification for ' + p.host);\n"
                "return JSON.stringify({status: 'sent', host: p.host, hostid: p.hostid});",
     "parameters": [{"name": "host", "value": "{HOST.HOST}"}, {"name": "hostid", "value": "{HOST.ID}"}]},
    {"name": "Webhook throws", "type": 5, "scope": 2, "timeout": "30s", "command": "throw 'boom';"},
    {"name": "Action only", "type": 0, "execute_on": 1, "scope": 1,
     "command": _record("action") + "printf 'action on %s' '{HOST.HOST}'"},
    {"name": "Event echo", "type": 0, "execute_on": 1, "scope": 4,
     "command": _record("event") + "printf 'event=%s name=%s host=%s' '{EVENT.ID}' '{EVENT.NAME}' '{HOST.HOST}'"},
    {"name": "Restart service", "type": 0, "execute_on": 1, "scope": 2, "menu_path": "Linux",
     "command": _record("restart") + "printf 'restart (Linux) on %s' '{HOST.HOST}'"},
    {"name": "Canary echo", "type": 0, "execute_on": 0, "scope": 2, "group": CANARY_GROUP,
     "command": _record("canary") + 'echo "canary {HOST.HOST}"'},
    {"name": "Slow script", "type": 0, "execute_on": 1, "scope": 2,
     "command": _record("slow") + "sleep 2; printf 'slow done on %s' '{HOST.HOST}'"},
    # Not in the simulator: longer than the agent's Timeout (3 s in the stack).
    {"name": "Agent sleeps", "type": 0, "execute_on": 0, "scope": 2,
     "command": _record("sleeps") + "sleep 6; echo late"},
)

# The simulator's scripts that only 7.0 can hold: a second "Restart service" (same name, another menu
# path: 6.0.15 and later), a URL script, and the two that take manual input. ``key`` is the name in
# ``Fixture.scriptids`` where it is not the script's name.
SCRIPTS_70 = (
    {"name": "Restart service", "key": "Restart service/Windows", "type": 0, "execute_on": 1, "scope": 2,
     "menu_path": "Windows", "command": _record("restart-windows") + "printf 'restart (Windows) on %s' '{HOST.HOST}'"},
    {"name": "Open host page", "type": 6, "scope": 2,
     "url": "https://zabbix.example.invalid/zabbix.php?action=host.view&hostid={HOST.ID}"},
    {"name": "Ping count", "type": 0, "execute_on": 1, "scope": 2,
     "command": _record("ping-count") + "ping -c {MANUALINPUT} -i 0.2 {HOST.CONN}",
     "manualinput": 1, "manualinput_prompt": "Packet count", "manualinput_validator": "^[1-9][0-9]?$",
     "manualinput_validator_type": 0, "manualinput_default_value": "3"},
    {"name": "Service action", "type": 0, "execute_on": 1, "scope": 2,
     "command": _record("service") + "printf 'service %s on %s' '{MANUALINPUT}' '{HOST.HOST}'",
     "manualinput": 1, "manualinput_prompt": "Action", "manualinput_validator": "start,stop,restart",
     "manualinput_validator_type": 1},
    # Not in the simulator: a server script that fails after writing to both stdout and stderr.
    {"name": "Server failure, stderr", "type": 0, "execute_on": 1, "scope": 2,
     "command": _record("stderr") + 'echo "about to fail on {HOST.HOST}"; echo "on stderr" >&2; exit 1'},
)


def scripts_of(target):
    """The fixture scripts a server of that version holds."""
    return SCRIPTS + (SCRIPTS_70 if target.version == "7.0" else ())


class ApiError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, method, error):
        super().__init__("%s: %s" % (method, error))
        self.error = error


class Answer:
    """One HTTP exchange: status, raw body and the decoded JSON (None when not JSON)."""

    def __init__(self, status, text):
        self.status = status
        self.text = text
        try:
            self.doc = json.loads(text) if text else None
        except ValueError:
            self.doc = None

    def __repr__(self):
        return "Answer(%s, %r)" % (self.status, self.text[:300])


class ZabbixApi:
    """Raw JSON-RPC over HTTP to one API endpoint."""

    def __init__(self, url):
        self.url = url.rstrip("/")
        self.endpoint = self.url + "/api_jsonrpc.php"
        self.http = requests.Session()
        self._ids = iter(range(1, 1 << 62))
        self._lock = threading.Lock()

    def _next_id(self):
        with self._lock:
            return next(self._ids)

    def post(self, payload, content_type="application/json-rpc", headers=None):
        """POST a JSON-able payload (or bytes/str as they are); returns an ``Answer``."""
        if isinstance(payload, (bytes, str)):
            data = payload.encode() if isinstance(payload, str) else payload
        else:
            data = json.dumps(payload).encode()
        merged = {"Content-Type": content_type}
        merged.update(headers or {})
        reply = self.http.post(self.endpoint, data=data, headers=merged, timeout=90)
        return Answer(reply.status_code, reply.text)

    def envelope(self, method, params, auth=None):
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": self._next_id()}
        if auth is not None:
            body["auth"] = auth
        return body

    def call(self, method, params, auth=None, headers=None):
        """One call; returns the ``Answer``."""
        return self.post(self.envelope(method, params, auth), headers=headers)

    def result(self, method, params, auth=None):
        """The result of a call that must succeed."""
        answer = self.call(method, params, auth)
        if answer.doc is None:
            raise ApiError(method, "HTTP %s: %r" % (answer.status, answer.text[:500]))
        if "error" in answer.doc:
            raise ApiError(method, answer.doc["error"])
        return answer.doc["result"]

    def login(self, username=ADMIN["username"], password=ADMIN["password"]):
        return self.result("user.login", {"username": username, "password": password})

    def logout(self, session):
        try:
            self.result("user.logout", [], session)
        except ApiError:
            pass

    def version(self):
        return self.result("apiinfo.version", [])


def answering(url=URL):
    """The API version when the API answers, else None."""
    try:
        return ZabbixApi(url).version()
    except (requests.RequestException, ApiError):
        return None


def stack(*args, check=True):
    """Run ``zabbix-stack.sh``; returns the CompletedProcess."""
    return subprocess.run([str(STACK)] + list(args), capture_output=True, text=True, timeout=600, check=check)


def db_settings(target=STACKS["6.0"]):
    """The server's database settings from the stack's server configuration."""
    settings = {"DBHost": "127.0.0.1", "DBPort": "5432", "DBName": target.db_name, "DBUser": target.db_name,
                "DBPassword": os.environ.get("ZBX_DB_PASSWORD", "zabbix")}
    try:
        lines = (target.state_dir / "zabbix_server.conf").read_text().splitlines()
    except OSError:
        # missing, or readable by root only: the stack's defaults
        lines = []
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key in settings:
            settings[key] = value
    return settings


def sql(query, target=STACKS["6.0"]):
    """Rows of a query on the Zabbix database, as lists of strings."""
    db = db_settings(target)
    proc = subprocess.run(
        ["psql", "-X", "-q", "-At", "-F", "\t", "-h", db["DBHost"], "-p", db["DBPort"], "-U", db["DBUser"],
         "-d", db["DBName"], "-c", query],
        capture_output=True, text=True, timeout=30, check=True, env=dict(os.environ, PGPASSWORD=db["DBPassword"]),
    )
    return [line.split("\t") for line in proc.stdout.splitlines() if line]


def read_runs():
    """Every line the scripts recorded so far."""
    try:
        return RUNS_LOG.read_text().splitlines()
    except FileNotFoundError:
        return []


class Fixture:
    """The objects the tests need on the real server; ``ensure`` is idempotent."""

    def __init__(self, api, target=STACKS["6.0"]):
        self.api = api
        self.stack = target
        self.session = None
        self.hostids = {}
        self.scriptids = {}
        self.groupids = {}
        self.eventids = []
        self.triggerids = []
        self.token = None
        self.expired_token = None

    def call(self, method, params):
        return self.api.result(method, params, self.session)

    # -- building -----------------------------------------------------------

    def ensure(self):
        RUNS_DIR.mkdir(exist_ok=True)
        if RUNS_DIR.stat().st_uid == os.geteuid():
            os.chmod(RUNS_DIR, 0o1777)
        self.session = self.api.login()
        self.groupids[LINUX_SERVERS] = self._group(LINUX_SERVERS)
        self.groupids[CANARY_GROUP] = self._group(CANARY_GROUP)
        self._operator()
        created = False
        if self.stack.version == "7.0":
            # before the hosts whose sync is waited for, so that the same sync brings it
            created |= self._host(DEAD_AGENT, "Dead agent", [LINUX_SERVERS], agent=True, port="10099")
        for number, name in enumerate(FAN_OUT_HOSTS, 1):
            created |= self._host(name, "Host %03d" % number, [LINUX_SERVERS, CANARY_GROUP], agent=True)
        created |= self._host(NO_AGENT, "No agent", [LINUX_SERVERS], agent=False)
        self.hostids["Zabbix server"] = SERVER_HOSTID
        for spec in scripts_of(self.stack):
            self._script(spec)
        created |= self._trap_item()
        self.token = self._token(TOKEN_NAME)
        self.expired_token = self._token(EXPIRED_TOKEN_NAME, expires_at=int(time.time()) - 3600)
        if created:
            wait_for_sync(self.api, self.session, [self.hostids[h] for h in FAN_OUT_HOSTS],
                          self.scriptids["Agent exit code"], self.stack)
        self._raise_events()
        return self

    def _group(self, name):
        found = self.call("hostgroup.get", {"output": ["groupid"], "filter": {"name": [name]}})
        if found:
            return found[0]["groupid"]
        return self.call("hostgroup.create", {"name": name})["groupids"][0]

    def _operator(self):
        """The user the module runs as, with read access to the fixture's host groups."""
        rights = [{"id": self.groupids[g], "permission": 2} for g in (LINUX_SERVERS, CANARY_GROUP)]
        rights.append({"id": "4", "permission": 2})  # Zabbix servers
        found = self.call("usergroup.get", {"output": ["usrgrpid"], "filter": {"name": [OPERATORS_GROUP]}})
        if found:
            usrgrpid = found[0]["usrgrpid"]
            self.call("usergroup.update", {"usrgrpid": usrgrpid, "rights": rights})
        else:
            usrgrpid = self.call("usergroup.create", {"name": OPERATORS_GROUP, "rights": rights})["usrgrpids"][0]
        user = {"passwd": OPERATOR["password"], "roleid": "1", "usrgrps": [{"usrgrpid": usrgrpid}]}
        found = self.call("user.get", {"output": ["userid"], "filter": {"username": [OPERATOR["username"]]}})
        if found:
            self.call("user.update", dict(user, userid=found[0]["userid"]))
        else:
            self.call("user.create", dict(user, username=OPERATOR["username"]))

    def _host(self, name, visible, groups, agent, port="10050"):  # pylint: disable=too-many-arguments,too-many-positional-arguments
        """Create the host unless one of that name with the same interface exists; True when created."""
        interface = {"type": 1, "main": 1, "useip": 1, "ip": "127.0.0.1", "dns": "", "port": port}
        if not agent:
            # An SNMP interface only; nothing polls it (the host has no items).
            interface = {"type": 2, "main": 1, "useip": 1, "ip": "127.0.0.1", "dns": "", "port": "161",
                         "details": {"version": 2, "community": "public", "bulk": 1}}
        found = self.call("host.get", {"output": ["hostid", "name"], "filter": {"host": [name]},
                                       "selectInterfaces": ["type", "ip", "port"], "selectGroups": ["name"]})
        if found:
            host = found[0]
            same = (host["name"] == visible and [(i["type"], i["ip"], i["port"]) for i in host["interfaces"]]
                    == [(str(interface["type"]), interface["ip"], interface["port"])]
                    and sorted(g["name"] for g in host["groups"]) == sorted(groups))
            if same:
                self.hostids[name] = host["hostid"]
                return False
            self.call("host.delete", [host["hostid"]])
        created = self.call("host.create", {
            "host": name, "name": visible, "interfaces": [interface],
            "groups": [{"groupid": self.groupids[g]} for g in groups],
        })
        self.hostids[name] = created["hostids"][0]
        return True

    def _script(self, spec):
        wanted = dict((k, v) for k, v in spec.items() if k not in ("group", "key"))
        wanted["groupid"] = self.groupids[spec["group"]] if "group" in spec else "0"
        key = spec.get("key", spec["name"])
        found = [s for s in self.call("script.get", {"output": "extend", "filter": {"name": [spec["name"]]}})
                 if s.get("menu_path", "") == spec.get("menu_path", s.get("menu_path", ""))]
        if found:
            script = found[0]
            self.scriptids[key] = script["scriptid"]
            changes = dict((k, v) for k, v in wanted.items() if k != "parameters" and str(script.get(k)) != str(v))
            if spec.get("parameters") is not None and script.get("parameters") != spec["parameters"]:
                changes["parameters"] = spec["parameters"]
            if changes:
                changes.pop("type", None)
                self.call("script.update", dict(changes, scriptid=script["scriptid"], type=spec["type"]))
            return
        self.scriptids[key] = self.call("script.create", wanted)["scriptids"][0]

    def _trap_item(self):
        """A trapper item on host-001 with the two triggers of the fixture events; True when created."""
        hostid = self.hostids["host-001"]
        items = self.call("item.get", {"output": ["itemid"], "hostids": [hostid], "filter": {"key_": [TRAP_KEY]}})
        created = False
        if not items:
            self.call("item.create", {"hostid": hostid, "name": "scriptbridge trap", "key_": TRAP_KEY,
                                      "type": 2, "value_type": 3})
            created = True
        self.triggerids = []
        for description, expression, priority in EVENT_TRIGGERS:
            found = self.call("trigger.get", {"output": ["triggerid"], "hostids": [hostid],
                                              "filter": {"description": [description]}})
            if found:
                self.triggerids.append(found[0]["triggerid"])
                continue
            self.triggerids.append(self.call("trigger.create", {
                "description": description, "expression": expression, "priority": priority,
            })["triggerids"][0])
            created = True
        return created

    def problem_events(self):
        """The newest open problem event of each fixture trigger, in trigger order."""
        events = self.call("event.get", {"output": ["eventid", "objectid", "r_eventid"], "source": 0, "object": 0,
                                         "objectids": self.triggerids, "value": 1,
                                         "sortfield": ["eventid"], "sortorder": "DESC"})
        newest = {}
        for event in events:
            if event["r_eventid"] == "0":
                newest.setdefault(event["objectid"], event["eventid"])
        return [newest.get(t) for t in self.triggerids]

    def _raise_events(self, timeout=60):
        """Send a value both triggers fire on, until each has an open problem event."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.problem_events()
            if all(events):
                self.eventids = events
                return
            if time.monotonic() > deadline:
                raise AssertionError("no problem events for the triggers %s after %d s" % (self.triggerids, timeout))
            send_trap("host-001", TRAP_KEY, 5, self.stack)
            time.sleep(1)

    def _token(self, name, expires_at=0):
        """A new secret for the token ``name`` of Admin (made when missing)."""
        found = self.call("token.get", {"output": ["tokenid"], "filter": {"name": [name]}})
        if found:
            tokenid = found[0]["tokenid"]
        else:
            tokenid = self.call("token.create", {"name": name, "userid": "1", "expires_at": expires_at})["tokenids"][0]
        return self.call("token.generate", [tokenid])[0]["token"]

    # -- removing -----------------------------------------------------------

    def remove(self):
        """Delete what ``ensure`` made (the triggers, item and events go with their host)."""
        session = self.session or self.api.login()
        self.session = session
        hosts = self.call("host.get", {"output": ["hostid"], "filter": {"host": FAN_OUT_HOSTS + [NO_AGENT, DEAD_AGENT]}})
        if hosts:
            self.call("host.delete", [h["hostid"] for h in hosts])
        scripts = self.call("script.get", {"output": ["scriptid"],
                                           "filter": {"name": [s["name"] for s in scripts_of(self.stack)]}})
        if scripts:
            self.call("script.delete", [s["scriptid"] for s in scripts])
        tokens = self.call("token.get", {"output": ["tokenid"], "filter": {"name": [TOKEN_NAME, EXPIRED_TOKEN_NAME]}})
        if tokens:
            self.call("token.delete", [t["tokenid"] for t in tokens])
        users = self.call("user.get", {"output": ["userid"], "filter": {"username": [OPERATOR["username"]]}})
        if users:
            self.call("user.delete", [u["userid"] for u in users])
        usergroups = self.call("usergroup.get", {"output": ["usrgrpid"], "filter": {"name": [OPERATORS_GROUP]}})
        if usergroups:
            self.call("usergroup.delete", [g["usrgrpid"] for g in usergroups])
        groups = self.call("hostgroup.get", {"output": ["groupid"], "filter": {"name": [CANARY_GROUP]}})
        if groups:
            self.call("hostgroup.delete", [g["groupid"] for g in groups])
        self.api.logout(session)
        self.session = None


def send_trap(host, key, value, target=STACKS["6.0"]):
    """``zabbix_sender`` one value; returns its output (it fails while the item is not in the server's cache)."""
    proc = subprocess.run([target.sender, "-z", "127.0.0.1", "-p", target.server_port, "-s", host, "-k", key,
                           "-o", str(value)], capture_output=True, text=True, timeout=30, check=False)
    return proc.stdout + proc.stderr


def reload_config(target=STACKS["6.0"]):
    """Ask the server to load new hosts and items now (needs root); False when that was not possible."""
    if os.geteuid() != 0:
        return False
    return stack("reload", target.version, check=False).returncode == 0


def wait_for_sync(api, session, hostids, probe_scriptid, target=STACKS["6.0"], timeout=60):  # pylint: disable=too-many-arguments,too-many-positional-arguments
    """Wait until the server knows every host (a config sync): the probe script runs on each of them."""
    reload_config(target)
    deadline = time.monotonic() + timeout
    pending = list(hostids)
    last = None
    while pending:
        answer = api.call("script.execute", {"scriptid": probe_scriptid, "hostid": pending[0]}, session)
        if answer.doc and "result" in answer.doc:
            pending.pop(0)
            continue
        last = answer.doc
        if time.monotonic() > deadline:
            raise AssertionError("the server did not pick up host %s within %d s: %s" % (pending[0], timeout, last))
        time.sleep(0.5)
        if time.monotonic() + 5 < deadline and int(time.monotonic()) % 10 == 0:
            reload_config(target)


class Observer:
    """What the server did since ``mark``: audit entries, recorded runs, new sessions.

    Only what concerns the fixture counts (script executions on its hosts, the
    logins and sessions of the user the module runs as), so that others using
    the same stack at the same time do not disturb the counts.

    Also served over HTTP as the ``/_sim/reset`` + ``/_sim/stats`` control
    endpoints that the playbook tests' result callback calls around each task,
    so each task of a play gets its own view of the server.
    """

    def __init__(self, api, fixture):
        self.api = api
        self.fixture = fixture
        self._since = None
        self._known = set()
        self._runs = 0
        self._sessions = set()
        self._server = None

    def _audit(self, since):
        return self.api.result("auditlog.get", {
            "output": ["auditid", "clock", "username", "action", "resourceid", "resourcename", "details"],
            "time_from": since, "filter": {"action": [AUDIT_LOGOUT, AUDIT_EXECUTE, AUDIT_LOGIN, AUDIT_FAILED_LOGIN]},
        }, self.fixture.session)

    def _session_ids(self):
        return set(row[0] for row in sql(
            "SELECT s.sessionid FROM sessions s JOIN users u ON u.userid = s.userid WHERE u.username = '%s'"
            % OPERATOR["username"], self.fixture.stack))

    def mark(self):
        self._since = int(time.time()) - 1
        self._known = set(entry["auditid"] for entry in self._audit(self._since))
        self._runs = len(read_runs())
        self._sessions = self._session_ids()

    def stats(self):
        names = dict((v, k) for k, v in self.fixture.hostids.items())
        entries = [e for e in self._audit(self._since) if e["auditid"] not in self._known]
        sign_ins = [e for e in entries if e["action"] != AUDIT_EXECUTE and e["username"] == OPERATOR["username"]]
        executions = []
        for entry in entries:
            if entry["action"] != AUDIT_EXECUTE or entry["resourceid"] not in names:
                continue
            details = json.loads(entry["details"] or "{}")
            executions.append({
                "hostid": entry["resourceid"], "host": names[entry["resourceid"]],
                "output": (details.get("script.output") or [None, None])[-1],
                "error": (details.get("script.error") or [None, None])[-1],
            })
        sessions = []
        for sessionid in sorted(self._session_ids() - self._sessions):
            status, userid = sql("SELECT status, userid FROM sessions WHERE sessionid = '%s'" % sessionid,
                                 self.fixture.stack)[0]
            check = self.api.call("user.checkAuthentication", {"sessionid": sessionid})
            sessions.append({"sessionid": sessionid, "status": status, "userid": userid,
                             "valid": bool(check.doc and "result" in check.doc)})
        return {
            "executions": executions,
            "logins": sum(1 for e in sign_ins if e["action"] == AUDIT_LOGIN),
            "logouts": sum(1 for e in sign_ins if e["action"] == AUDIT_LOGOUT),
            "failed_logins": sum(1 for e in sign_ins if e["action"] == AUDIT_FAILED_LOGIN),
            "runs": read_runs()[self._runs:],
            "sessions": sessions,
        }

    # -- as control endpoints -------------------------------------------------

    def serve(self):
        """Serve ``/_sim/reset`` and ``/_sim/stats`` on a free port; returns the base URL."""
        observer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # pylint: disable=arguments-differ
                """Quiet."""

            def _send(self, document):
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):  # pylint: disable=invalid-name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                observer.mark()
                self._send({"ok": True})

            def do_GET(self):  # pylint: disable=invalid-name
                self._send(observer.stats())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def close(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
