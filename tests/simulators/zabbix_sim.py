# pylint: disable=too-many-lines
"""A Zabbix JSON-RPC API simulator (Zabbix 5.0 to 7.4) for the scriptbridge.core tests.

Standard library and the simulators' HTTP base (``base.py``). It serves ``POST /api_jsonrpc.php`` and
``POST /zabbix/api_jsonrpc.php`` with the behaviour of the Zabbix frontend and
server for the methods that ``script.execute`` clients use, per version, and
records every exchange for wire assertions.

Use it in process::

    with ZabbixSimulator(version="6.0") as sim:
        urllib.request.urlopen(urllib.request.Request(
            sim.api_url, data=b'{"jsonrpc":"2.0","method":"apiinfo.version","params":[],"id":1}',
            headers={"Content-Type": "application/json-rpc"}))

or as a process (``launcher.py`` starts one; by hand, with ``build/collections`` on
``PYTHONPATH``): ``python tests/simulators/zabbix_sim.py --version 6.0 --port 0`` prints
``ZABBIX_SIM_URL=http://127.0.0.1:PORT`` and serves until SIGTERM/SIGINT.

Versions
    =======  ===============  ==============================================================
    version  apiinfo.version  behaviour
    =======  ===============  ==============================================================
    5.0      5.0.0            body ``auth``; ``user.login`` takes ``user``; no API tokens (a
                              64-char credential is looked up as a session); ``script.execute``
                              takes ``scriptid`` + ``hostid``; result has no ``debug``; script
                              objects have no ``scope``/``menu_path``/``timeout``/``parameters``;
                              no webhook, scope 1/4 or same-name scripts
    5.4      5.4.0            body ``auth``; ``username`` (``user`` still accepted); tokens;
                              ``eventid``; ``debug``; has the token bug (see below)
    6.0      6.0.14           as 5.4 (a Bearer header is ignored); the token bug
    6.4      6.4.0            ``Authorization: Bearer`` or body ``auth`` (the header wins);
                              ``user`` removed; URL scripts (type 6) exist, never executable
    7.0      7.0.9            as 6.4 plus ``manualinput``; credentials sent to a method that takes
                              none: "without authorization header." for a Bearer header, "without
                              the "auth" parameter." for body ``auth``; API tokens run scripts
    7.2/7.4  7.2.0/7.4.0      header only: body ``auth`` is -32600 ``unexpected parameter "auth"``
    =======  ===============  ==============================================================

    The token bug (5.4, 6.0): ``script.execute`` authenticated with an API token
    passes the frontend checks (parameters, permissions) and then answers HTTP 500
    with an empty body; the script does not run. The call is counted in
    ``stats()["methods"]`` and ``stats()["http_status"]["500"]``.

Users and credentials
    ``Admin`` / ``zabbix`` (userid 1, Super admin, user group 7 "Zabbix administrators");
    ``operator`` / ``operator-pass`` (userid 3, User, user group 15 "Operators"; sees every
    host but not scripts restricted to user group 7). ``API_TOKEN`` authenticates as
    Admin (5.4+); ``EXPIRED_API_TOKEN`` answers -32500 ``API token expired.``; any
    other 64-char credential -32602 ``Not authorized.``. Session ids are 32 random hex
    characters.

Fixture hosts (``hosts=N``; NNN is zero-padded to at least 3 digits; get methods list hosts by hostid)
    ===========  =============  =============  ============================  ========  ===================
    hostid       host           name           interface (= {HOST.CONN})     groupids  notes
    ===========  =============  =============  ============================  ========  ===================
    10084        Zabbix server  Zabbix server  agent 127.0.0.1:10050         4, 50
    10500        no-agent       No agent       SNMP 10.255.0.1:161           2         no agent interface
    20000+k      host-k         Host k         agent 10.x.y.z:10050          2         k = 1..N
    20001-20005  host-001..005  Host 001..005  (as above)                    2, 50     the canary hosts
    ===========  =============  =============  ============================  ========  ===================

    host-k's IP is 10.(k >> 16 & 255).(k >> 8 & 255).(k & 255): host-001 is 10.0.0.1,
    host-200 10.0.0.200, host-256 10.0.1.0.

    Host groups: 2 "Linux servers", 4 "Zabbix servers", 50 "Canary hosts".

Fixture scripts (type 0 = script, 5 = webhook, 6 = URL; execute_on 0 = agent,
1 = server, 2 = server (proxy); scope 1 = action, 2 = manual host, 4 = manual event)
    ==  =======================  ====  ==========  =====  ========  =====  ==================================
    id  name                     type  execute_on  scope  groupid   since  on success ``value`` / behaviour
    ==  =======================  ====  ==========  =====  ========  =====  ==================================
    1   Ping                     0     2           2      0         5.0    ping output for {HOST.CONN}
    2   Traceroute               0     2           2      0         5.0    traceroute output
    3   Detect operating system  0     2           2      0         5.0    nmap output; usrgrpid 7 (Admin only)
    10  Echo host                0     0 (agent)   2      0         5.0    ``host={HOST.HOST} name={HOST.NAME}
                                                                           conn={HOST.CONN}``
    11  Agent exit code          0     0 (agent)   2      0         5.0    ``warning on {HOST.HOST}``: exits 1,
                                                                           still a success (agent)
    12  Server failure           0     1           2      0         5.0    exits 3: -32500 with data
                                                                           ``check failed on {HOST.HOST}``
    13  Webhook JSON             5     2           2      0         5.4    ``{"status":"sent","host":"{HOST.HOST}",
                                                                           "hostid":"{HOST.ID}"}`` with debug log
                                                                           ``[Webhook JSON] sending notification
                                                                           for {HOST.HOST}``
    14  Webhook throws           5     2           2      0         5.4    -32500 ``cannot execute script: boom``
    15  Action only              0     1           1      0         5.4    never executable
    16  Event echo               0     1           4      0         5.4    ``event={EVENT.ID} name={EVENT.NAME}
                                                                           host={HOST.HOST}`` (run with eventid)
    17  Restart service          0     1           2      0         5.4    ``restart (Linux) on {HOST.HOST}``;
                                                                           menu_path ``Linux``
    18  Restart service          0     1           2      0         5.4    ``restart (Windows) on {HOST.HOST}``;
                                                                           menu_path ``Windows``
    19  Canary echo              0     0 (agent)   2      50        5.0    ``canary {HOST.HOST}``; only on hosts
                                                                           of group 50
    20  Slow script              0     1           2      0         5.0    sleeps ``slow_script_seconds``
                                                                           (default 2.0), then
                                                                           ``slow done on {HOST.HOST}``
    21  Open host page           6     2           2      0         6.4    -32500 ``Cannot execute URL type
                                                                           script.``
    22  Ping count               0     1           2      0         7.0    manualinput, regex ``^[1-9][0-9]?$``
                                                                           (type 0), default ``3``; ping summary
                                                                           with {MANUALINPUT} packets
    23  Service action           0     1           2      0         7.0    manualinput, list ``start,stop,restart``
                                                                           (type 1); ``service {MANUALINPUT} on
                                                                           {HOST.HOST}``
    ==  =======================  ====  ==========  =====  ========  =====  ==================================

    A script's ``value`` is its output with the macros {HOST.HOST}, {HOST.NAME},
    {HOST.CONN}, {HOST.IP}, {HOST.DNS}, {HOST.ID}, {EVENT.ID}, {EVENT.NAME} resolved
    ({EVENT.*} only when run with ``eventid``; unresolved macros stay as they are) and,
    when the script takes manual input, {MANUALINPUT} replaced first, as the server does.

Fixture events (all trigger problem events, value 1)
    ======  =============  ========  ==========================================
    eventid host           objectid  name
    ======  =============  ========  ==========================================
    1001    Zabbix server  22391     Zabbix server: High CPU utilization
    1002    Zabbix server  22392     Zabbix server: Utilization of poller processes is high
    1003    host-001       23001     host-001: Load average is too high
    1004    host-001       23002     host-001: /: Disk space is low
    1005    no-agent       23100     no-agent: Unavailable by ICMP ping
    ======  =============  ========  ==========================================

    Events 1003 and 1004 exist only when ``hosts >= 1``.

Events that appear and recover (for event sources that poll ``event.get``)
    ``raise_problem(host, name, severity=3, tags=())`` (or ``POST /_sim/events`` with
    ``{"host", "name", "severity", "tags": [{"tag", "value"}]}``) adds a problem event of a
    new trigger (objectid 30001, 30002, ...) on the host with that technical name, with the
    next event id and the current time as ``clock``; ``recover(eventid)`` (or ``POST
    /_sim/events`` with ``{"recover": eventid}``) adds its recovery event (value 0, severity
    0, same trigger and name, no tags) and sets the problem's ``r_eventid`` to it. Both
    answer the new event id; ``reset()`` drops them. ``raise_problem`` also takes ``clock``
    (a proxy's backlog or a skewed clock: any Unix time), ``suppressed=True`` (the problem is in a
    maintenance: ``suppressed`` is ``"1"`` and its suppression data names maintenance 1) and
    ``visible=False`` (the id is handed out now, the event becomes visible to ``event.get`` only
    with ``publish(eventid)``, as a transaction that commits late); the recovery of a suppressed
    problem is not suppressed itself, as on the server. ``event.get`` takes ``eventids``,
    ``hostids``, ``groupids``, ``objectids``, ``value`` (one or a list), ``eventid_from``/
    ``eventid_till``, ``time_from``/``time_till`` (inclusive), ``suppressed`` (true: only
    suppressed events, false: only the others), ``filter``, ``selectHosts``, ``selectTags``,
    ``selectSuppressionData`` (``maintenanceid``, ``suppress_until``, and ``userid`` from 6.4),
    ``sortfield``/``sortorder`` and ``limit``; without a sort field events come by event id.
    ``event.acknowledge`` and the acknowledgements ``event.get`` selects
    (``select_acknowledges``, ``selectRelatedObject``) are in ``zabbix_acknowledge.py``; only
    the trigger of event 1005 allows manual close; ``reset()`` drops the acknowledgements.
    ``hostgroup.get`` lists the three host groups (``groupids``, ``filter``, ``search``, ``output``).

Recording (thread-safe)
    ``stats()`` (also ``GET /_sim/stats``): ``requests`` (HTTP requests to the API paths),
    ``connections`` (TCP connections that carried at least one API request),
    ``connections_total`` (every TCP connection accepted, control calls included),
    ``methods`` (calls per JSON-RPC method name as sent), ``executions`` (scripts that
    ran, in order: scriptid, hostid (the host it ran on, also for eventid calls),
    eventid, manualinput as sent), ``logins``, ``logouts``, ``active_sessions``,
    ``http_status`` (answers per HTTP status), ``in_flight``, ``max_in_flight``,
    ``version``, ``api_version``. ``requests`` (property, also ``GET /_sim/requests`` as
    ``{"requests": [...]}``): the last 10000 API requests as ``{"method", "path", "headers", "body", "raw"}``
    (``body`` is the parsed JSON or None).

Control endpoints (never need HTTP Basic, never slowed down, not counted in ``requests``;
the shapes of ``base.py``)
    ``GET /_sim/stats``, ``GET /_sim/requests``, ``GET /_sim/config``,
    ``POST /_sim/reset``, ``POST /_sim/expire_sessions`` (``{"ok": true, "expired": N}``),
    ``POST /_sim/events`` (above, with ``clock``, ``suppressed`` and ``visible`` too, or
    ``{"publish": eventid}``; ``{"ok": true, "eventid": ...}``),
    ``POST /_sim/config`` with a JSON object of ``latency`` and/or ``slow_script_seconds``
    (numbers >= 0) and/or ``enable_global_scripts`` (0 or 1, the server's ``EnableGlobalScripts``;
    7.0+ only refuse scripts run by the server or a proxy when it is 0; default 1, as the
    real-server stack runs it, although Debian's shipped 7.0 configuration sets 0); unknown
    keys or bad values answer 400.

Readings where the API facts are silent (from the frontend and server sources)
    - ``script.execute`` checks, in order: parameters; the event or host exists; the
      script exists, its user group admits the caller and its host group holds the host;
      URL type (6.4+); the token bug (5.4, 6.0); scope (a ``hostid`` call needs scope 2,
      else ``Script is not allowed in manual host action: scope:N``; an ``eventid`` call
      needs scope 4, else ``... manual event action: scope:N``); manual input (7.0+);
      the agent interface (agent scripts only); then the script runs.
    - 7.0+: ``manualinput`` sent to a script that takes none is accepted and unused.
      The regex validator is a search (PCRE ``zbx_regexp_match``), the list validator an
      exact match of one comma-separated item.
    - An unknown API name is -32601 ``Incorrect API "x".``; a known API with a method the
      simulator lacks is -32601 ``Incorrect method "x.y".``. Method names ignore case.
    - Errors of notifications are not answered; envelope errors (-32600) always are.
      ``params`` is required in the envelope. ``"auth": null`` is no credential (up to 7.0).
    - 5.4/6.0 ``user.login`` with both ``user`` and ``username``: ``user`` wins.
      ``user.logout`` authenticated by a token: -32602 ``Cannot log out.`` (6.0: see below).
    - Get methods ignore parameters they do not know and filter fields an object lacks;
      an ``output`` list returns only those fields (host.get always adds ``hostid``,
      event.get ``eventid``). ``script.get`` with ``hostids`` keeps the scripts runnable on
      any of the given hosts, as ``CScript::get`` does (``groupid IN (groups of the hosts)
      OR groupid = 0``); an unknown host id leaves only the scripts without a host group.
    - HTTP 412 has an empty body; non-API paths are 404; HTTP Basic failures are 401 with
      an HTML body.

Checked against a real Zabbix 6.0.14 (tests/real_zabbix/test_conformance.py sends the same
requests to both and compares status, envelope, error texts and result shapes)
    - ``user.login``: an unknown user is -32602, a wrong password -32500, with the same text;
      ``user`` and ``username`` together (5.4, 6.0) are -32602 ``Parameter "user" is deprecated.``;
      ``gui_access`` in the user data is a number.
    - ``user.checkAuthentication`` takes ``token`` from 5.4 on; with neither ``sessionid`` nor
      ``token`` it answers -32602 ``Session ID or token is expected.``.
    - 6.0: ``user.logout`` with a token is -32500 ``Incorrect field "sessionid" name or value in
      where statement for table "sessions".``.
    - ``host.get`` and ``event.get`` do not validate ids (a non-id matches nothing); ``script.get``
      does. Objects selected along (``selectHosts``, ``selectGroups``) always carry their id.
    - 6.0 hosts, interfaces and host groups carry every field a 6.0.14 returns; events have
      ``urls``.
    - The output of a command run by the server keeps its last newline (the default scripts'
      outputs end with one); the agent strips it. The fixture's server scripts print with
      ``printf``, without a newline, so their outputs are exactly the ``value`` given above.
    - Known differences kept on purpose: 6.0.14 leaves ``{HOST.ID}`` unresolved in scripts (the
      simulator resolves it), and 6.0.14 (like 5.4 and 6.4.0) refuses a second script of the same
      name (the simulator has two "Restart service" scripts from 5.4 on).
"""

import base64
import binascii
import contextlib
import copy
import json
import math
import re
import secrets
import sys
import threading
import time
from collections import deque
from typing import NamedTuple

from ansible_collections.scriptbridge.core.tests.simulators.base import (
    HttpSimulator, Reply, Request, argument_parser, serve)
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_acknowledge import AcknowledgeError, Acknowledgements

API_TOKEN = "89686848d8d56dfd8ecb410ebce6fb50550c92ecffb7dad04305c08747e3ebdd"
EXPIRED_API_TOKEN = "e419395cb5b6742bd483d6ec8bdb7e930c808a58667b27666bfbe6e7cb0c69cc"

VERSIONS = {
    "5.0": "5.0.0",
    "5.4": "5.4.0",
    "6.0": "6.0.14",
    "6.4": "6.4.0",
    "7.0": "7.0.9",
    "7.2": "7.2.0",
    "7.4": "7.4.0",
}
API_PATHS = ("/api_jsonrpc.php", "/zabbix/api_jsonrpc.php")
CONTENT_TYPES = ("application/json-rpc", "application/json")

ZABBIX_SERVER_HOSTID = "10084"
NO_AGENT_HOSTID = "10500"
FIRST_HOSTID = 20001
CANARY_GROUPID = "50"
CANARY_HOSTS = 5

NO_PERMISSIONS = "No permissions to referred object or it does not exist!"
PARSE_ERROR_DATA = "Invalid JSON. An error occurred on the server while parsing the JSON text."
INVALID_REQUEST_DATA = "The received JSON is not a valid JSON-RPC request."

_MESSAGES = {
    -32700: "Parse error",
    -32600: "Invalid request.",
    -32601: "Method not found.",
    -32602: "Invalid params.",
    -32603: "Internal error.",
    -32500: "Application error.",
}
_MAX_ID = 9223372036854775807
_MAX_RECORDED_REQUESTS = 10000

# API names of a real frontend: an unknown one is "Incorrect API", a known one with
# a method the simulator lacks is "Incorrect method", as Zabbix words them.
_KNOWN_APIS = frozenset(
    "action alert apiinfo auditlog authentication autoregistration configuration connector correlation "
    "dashboard dcheck dhost discoveryrule drule dservice event graph graphitem graphprototype hanode "
    "history host hostgroup hostinterface hostprototype housekeeping httptest iconmap image item "
    "itemprototype maintenance map mediatype mfa module problem proxy proxygroup regexp report role "
    "script service settings sla task template templatedashboard templategroup token trend trigger "
    "triggerprototype user userdirectory usergroup usermacro valuemap".split()
)

_USERS = {
    "Admin": {
        "userid": "1", "username": "Admin", "name": "Zabbix", "surname": "Administrator",
        "password": "zabbix", "type": 3, "roleid": "3", "usrgrpids": ("7",), "gui_access": "1",
    },
    "operator": {
        "userid": "3", "username": "operator", "name": "Ops", "surname": "Operator",
        "password": "operator-pass", "type": 1, "roleid": "1", "usrgrpids": ("15",),
    },
}
_SUPER_ADMIN = 3

_GROUPS = {
    "2": "Linux servers",
    "4": "Zabbix servers",
    CANARY_GROUPID: "Canary hosts",
}

_PING_OUTPUT = (
    "PING {HOST.CONN} ({HOST.CONN}) 56(84) bytes of data.\n"
    "64 bytes from {HOST.CONN}: icmp_seq=1 ttl=64 time=0.045 ms\n"
    "64 bytes from {HOST.CONN}: icmp_seq=2 ttl=64 time=0.031 ms\n"
    "64 bytes from {HOST.CONN}: icmp_seq=3 ttl=64 time=0.030 ms\n\n"
    "--- {HOST.CONN} ping statistics ---\n"
    "3 packets transmitted, 3 received, 0% packet loss, time 2003ms\n"
    "rtt min/avg/max/mdev = 0.030/0.035/0.045/0.007 ms\n"
)
_PING_COUNT_OUTPUT = (
    "PING {HOST.CONN} ({HOST.CONN}) 56(84) bytes of data.\n\n"
    "--- {HOST.CONN} ping statistics ---\n"
    "{MANUALINPUT} packets transmitted, {MANUALINPUT} received, 0% packet loss\n"
)
_TRACEROUTE_OUTPUT = (
    "traceroute to {HOST.CONN} ({HOST.CONN}), 30 hops max, 60 byte packets\n"
    " 1  {HOST.CONN} ({HOST.CONN})  0.051 ms  0.012 ms  0.010 ms\n"
)
_NMAP_OUTPUT = (
    "Starting Nmap 7.93 ( https://nmap.org )\n"
    "Nmap scan report for {HOST.CONN}\n"
    "Host is up (0.000050s latency).\n"
    "OS details: Linux 5.0 - 5.14\n"
    "Nmap done: 1 IP address (1 host up) scanned in 1.52 seconds\n"
)

_SCRIPT_DEFAULTS = {
    "command": "", "host_access": "2", "usrgrpid": "0", "groupid": "0", "description": "",
    "confirmation": "", "type": "0", "execute_on": "2", "timeout": "30s", "scope": "2", "port": "",
    "authtype": "0", "username": "", "password": "", "publickey": "", "privatekey": "", "menu_path": "",
    "parameters": [], "url": "", "new_window": "1", "manualinput": "0", "manualinput_prompt": "",
    "manualinput_validator": "", "manualinput_validator_type": "0", "manualinput_default_value": "",
    # Internal keys: first version that has the script, how it runs, its output, its exit status.
    "_since": (5, 0), "_run": "output", "_output": "", "_exit": 0, "_log": "",
}

_SCRIPT_SPECS = (
    {"scriptid": "1", "name": "Ping", "_output": _PING_OUTPUT,
     "command": "ping -c 3 {HOST.CONN}; case $? in [01]) true;; *) false;; esac"},
    {"scriptid": "2", "name": "Traceroute", "command": "/usr/bin/traceroute {HOST.CONN}",
     "_output": _TRACEROUTE_OUTPUT},
    {"scriptid": "3", "name": "Detect operating system", "command": "sudo /usr/bin/nmap -O {HOST.CONN}",
     "usrgrpid": "7", "_output": _NMAP_OUTPUT},
    {"scriptid": "10", "name": "Echo host", "execute_on": "0",
     "command": 'echo "host={HOST.HOST} name={HOST.NAME} conn={HOST.CONN}"',
     "description": "Echoes the host macros on the agent.",
     "_output": "host={HOST.HOST} name={HOST.NAME} conn={HOST.CONN}"},
    {"scriptid": "11", "name": "Agent exit code", "execute_on": "0",
     "command": 'echo "warning on {HOST.HOST}"; exit 1', "_output": "warning on {HOST.HOST}", "_exit": 1},
    {"scriptid": "12", "name": "Server failure", "execute_on": "1",
     "command": 'echo "check failed on {HOST.HOST}"; exit 3', "_output": "check failed on {HOST.HOST}",
     "_exit": 3},
    {"scriptid": "13", "name": "Webhook JSON", "type": "5", "_since": (5, 4), "_run": "webhook",
     "command": "var p = JSON.parse(value);\n"
                "Zabbix.log(4, '[Webhook JSON] sending notification for ' + p.host);\n"
                "return JSON.stringify({status: 'sent', host: p.host, hostid: p.hostid});",
     "parameters": [{"name": "host", "value": "{HOST.HOST}"}, {"name": "hostid", "value": "{HOST.ID}"}],
     "_output": '{"status":"sent","host":"{HOST.HOST}","hostid":"{HOST.ID}"}',
     "_log": "[Webhook JSON] sending notification for {HOST.HOST}"},
    {"scriptid": "14", "name": "Webhook throws", "type": "5", "_since": (5, 4), "_run": "throw",
     "command": "throw 'boom';"},
    {"scriptid": "15", "name": "Action only", "scope": "1", "execute_on": "1", "_since": (5, 4),
     "command": "printf 'action on %s' '{HOST.HOST}'", "_output": "action on {HOST.HOST}"},
    {"scriptid": "16", "name": "Event echo", "scope": "4", "execute_on": "1", "_since": (5, 4),
     "command": "printf 'event=%s name=%s host=%s' '{EVENT.ID}' '{EVENT.NAME}' '{HOST.HOST}'",
     "_output": "event={EVENT.ID} name={EVENT.NAME} host={HOST.HOST}"},
    {"scriptid": "17", "name": "Restart service", "menu_path": "Linux", "execute_on": "1", "_since": (5, 4),
     "command": "printf 'restart (Linux) on %s' '{HOST.HOST}'", "_output": "restart (Linux) on {HOST.HOST}"},
    {"scriptid": "18", "name": "Restart service", "menu_path": "Windows", "execute_on": "1", "_since": (5, 4),
     "command": "printf 'restart (Windows) on %s' '{HOST.HOST}'",
     "_output": "restart (Windows) on {HOST.HOST}"},
    {"scriptid": "19", "name": "Canary echo", "groupid": CANARY_GROUPID, "execute_on": "0",
     "command": 'echo "canary {HOST.HOST}"', "_output": "canary {HOST.HOST}"},
    {"scriptid": "20", "name": "Slow script", "execute_on": "1", "_run": "sleep",
     "command": "sleep 2; printf 'slow done on %s' '{HOST.HOST}'", "_output": "slow done on {HOST.HOST}"},
    {"scriptid": "21", "name": "Open host page", "type": "6", "_since": (6, 4), "_run": "url",
     "url": "https://zabbix.example.invalid/zabbix.php?action=host.view&hostid={HOST.ID}"},
    {"scriptid": "22", "name": "Ping count", "execute_on": "1", "_since": (7, 0),
     "command": "ping -c {MANUALINPUT} {HOST.CONN}", "_output": _PING_COUNT_OUTPUT,
     "manualinput": "1", "manualinput_prompt": "Packet count", "manualinput_validator": "^[1-9][0-9]?$",
     "manualinput_validator_type": "0", "manualinput_default_value": "3"},
    {"scriptid": "23", "name": "Service action", "execute_on": "1", "_since": (7, 0),
     "command": "printf 'service %s on %s' '{MANUALINPUT}' '{HOST.HOST}'",
     "_output": "service {MANUALINPUT} on {HOST.HOST}",
     "manualinput": "1", "manualinput_prompt": "Action", "manualinput_validator": "start,stop,restart",
     "manualinput_validator_type": "1"},
)

_SCRIPT_FIELDS_50 = ("scriptid", "name", "command", "host_access", "usrgrpid", "groupid", "description",
                     "confirmation", "type", "execute_on")
_SCRIPT_FIELDS_54 = ("timeout", "scope", "port", "authtype", "username", "password", "publickey",
                     "privatekey", "menu_path", "parameters")
_SCRIPT_FIELDS_64 = ("url", "new_window")
_SCRIPT_FIELDS_70 = ("manualinput", "manualinput_prompt", "manualinput_validator",
                     "manualinput_validator_type", "manualinput_default_value")

# (eventid, hostid or host name, objectid, name, severity, clock)
_EVENT_SPECS = (
    ("1001", ZABBIX_SERVER_HOSTID, "22391", "Zabbix server: High CPU utilization", "3", "1700000000"),
    ("1002", ZABBIX_SERVER_HOSTID, "22392", "Zabbix server: Utilization of poller processes is high", "2",
     "1700000060"),
    ("1003", str(FIRST_HOSTID), "23001", "host-001: Load average is too high", "3", "1700000120"),
    ("1004", str(FIRST_HOSTID), "23002", "host-001: /: Disk space is low", "2", "1700000180"),
    ("1005", NO_AGENT_HOSTID, "23100", "no-agent: Unavailable by ICMP ping", "4", "1700000240"),
)

_MACRO_RE = re.compile(r"\{(HOST\.HOST|HOST\.NAME|HOST\.CONN|HOST\.IP|HOST\.DNS|HOST\.ID|EVENT\.ID|EVENT\.NAME)\}")

_HTML_401 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>401 Unauthorized</title>\n'
    b"</head><body>\n<h1>Unauthorized</h1>\n<p>This server could not verify that you\n"
    b"are authorized to access the document\nrequested.</p>\n</body></html>\n"
)
_HTML_404 = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n'
    b"</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n"
    b"</body></html>\n"
)


class ApiError(Exception):
    """A JSON-RPC error, answered with HTTP 200."""

    def __init__(self, code: int, data: str) -> None:
        super().__init__(data)
        self.code = code
        self.data = data


class FrontendCrash(Exception):
    """The PHP frontend died on the request: HTTP 500 with an empty body."""


class _Caller(NamedTuple):
    """Who an authenticated call runs as."""

    user: dict
    token: bool
    sessionid: str | None


class _Profile:
    """What a Zabbix version does, as the version matrix of the API facts says."""

    def __init__(self, version: str) -> None:
        if version not in VERSIONS:
            raise ValueError(f"unsupported Zabbix version {version!r}; use one of {', '.join(VERSIONS)}")
        self.short = version
        self.full = VERSIONS[version]
        self.number = tuple(int(part) for part in version.split("."))

    @property
    def tokens(self) -> bool:
        """API tokens exist."""
        return self.number >= (5, 4)

    @property
    def header_auth(self) -> bool:
        """``Authorization: Bearer`` is read."""
        return self.number >= (6, 4)

    @property
    def body_auth(self) -> bool:
        """The envelope may carry ``auth``."""
        return self.number < (7, 2)

    @property
    def login_user(self) -> bool:
        """``user.login`` accepts ``user``."""
        return self.number <= (6, 0)

    @property
    def login_username(self) -> bool:
        """``user.login`` accepts ``username``."""
        return self.number >= (5, 4)

    @property
    def events(self) -> bool:
        """``script.execute`` takes ``eventid``, returns ``debug``; scripts have a scope."""
        return self.number >= (5, 4)

    @property
    def url_scripts(self) -> bool:
        """URL scripts exist (and are refused by ``script.execute``)."""
        return self.number >= (6, 4)

    @property
    def manualinput(self) -> bool:
        """``script.execute`` takes ``manualinput``."""
        return self.number >= (7, 0)

    @property
    def token_bug(self) -> bool:
        """``script.execute`` with an API token crashes the frontend."""
        return self.number in ((5, 4), (6, 0))

    @property
    def full_objects(self) -> bool:
        """Hosts, interfaces and host groups carry every field a real 6.0.14 or 7.0.9 returns (checked against one)."""
        return self.number in ((6, 0), (7, 0))

    @property
    def proxy_field(self) -> str:
        """Name of the host's proxy id field."""
        return "proxyid" if self.number >= (7, 0) else "proxy_hostid"

    def without_auth_text(self, method: str, in_header: bool) -> str:
        """The -32602 text for credentials sent to a method that takes none.

        7.0 words it after where the credential came from (a real 7.0.9: a Bearer
        header, or body ``auth``); 7.2+ only has the header.
        """
        if self.number >= (7, 0) and (in_header or not self.body_auth):
            return f'The "{method}" method must be called without authorization header.'
        return f'The "{method}" method must be called without the "auth" parameter.'

    @property
    def user_fields_70(self) -> bool:
        """User data carries the 7.0 fields (``userdirectoryid``, ``mfaid``, a session ``secret``...)."""
        return self.number >= (7, 0)

    @property
    def login_unknown_user_code(self) -> int:
        """The code of "Incorrect user name or password" for an unknown user: -32602 on a real 6.0.14, -32500 on 7.0.9."""
        return -32500 if self.number == (7, 0) else -32602

    @property
    def checked_eventids(self) -> bool:
        """``event.get`` validates ``eventids`` (a real 7.0.9 does, 6.0.14 does not)."""
        return self.number == (7, 0)

    def script_fields(self) -> tuple:
        """Fields of a script object in this version."""
        fields = _SCRIPT_FIELDS_50
        if self.number >= (5, 4):
            fields += _SCRIPT_FIELDS_54
        if self.number >= (6, 4):
            fields += _SCRIPT_FIELDS_64
        if self.number >= (7, 0):
            fields += _SCRIPT_FIELDS_70
        return fields


# ---------------------------------------------------------------------------
# Parameter validation, worded as CApiInputValidator words it


def _invalid(path: str, reason: str) -> ApiError:
    return ApiError(-32602, f'Invalid parameter "{path}": {reason}.')


def _no_permissions() -> ApiError:
    return ApiError(-32500, NO_PERMISSIONS)


def _subpath(path: str, name: str) -> str:
    return f"/{name}" if path == "/" else f"{path}/{name}"


def _as_mapping(data, path: str) -> dict:
    # PHP decodes a JSON list into an array keyed 0, 1, ...: the validator sees those keys.
    if isinstance(data, list):
        return {str(index): value for index, value in enumerate(data)}
    if isinstance(data, dict):
        return data
    raise _invalid(path, "an array is expected")


def _check_id(value, path: str) -> str:
    # PHP's strval() turns true into "1", false into "" and 2.0 into "2".
    if isinstance(value, bool):
        text = "1" if value else ""
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else ""
    elif isinstance(value, (int, str)):
        text = str(value)
    else:
        text = ""
    if not (text.isascii() and text.isdigit()):
        raise _invalid(path, "a number is expected")
    if int(text) > _MAX_ID:
        raise _invalid(path, "a number is too large")
    return str(int(text))


def _check_string(value, path: str) -> str:
    if not isinstance(value, str):
        raise _invalid(path, "a character string is expected")
    return value


def _check_flag(value, _path: str) -> bool:
    return value if isinstance(value, bool) else value is not None


_CHECKS = {"id": _check_id, "string": _check_string, "flag": _check_flag}


def _validate_object(data, rules: dict, path: str = "/") -> dict:
    """Validate ``data`` against ``rules`` (name -> (kind, required)) like an API_OBJECT rule."""
    mapping = _as_mapping(data, path)
    for key in mapping:
        if not rules:
            raise _invalid(path, "should be empty")
        if key not in rules:
            raise _invalid(path, f'unexpected parameter "{key}"')
    clean = {}
    for name, (kind, required) in rules.items():
        if name in mapping:
            clean[name] = _CHECKS[kind](mapping[name], _subpath(path, name))
        elif required:
            raise _invalid(path, f'the parameter "{name}" is missing')
    return clean


def _check_ids(value, path: str) -> set | None:
    """Validate an API_IDS parameter (one id or a list of ids); None when absent."""
    if value is None:
        return None
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, list):
        items = value
    else:
        return {_check_id(value, path)}
    return {_check_id(item, f"{path}/{index}") for index, item in enumerate(items, 1)}


def _loose_ids(value) -> set | None:
    """An id selection of a get method that does not validate it (host.get, event.get): no match for a non-id."""
    if value is None:
        return None
    items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else [value]
    return {str(item) for item in items if not isinstance(item, bool)}


def _selected(wanted: set | None, value: str) -> bool:
    """``value`` passes an optional id (or value) selection."""
    return wanted is None or value in wanted


def _get_params(params) -> dict:
    """Parameters of a get method; unknown ones are accepted and ignored."""
    return _as_mapping(params, "/")


def _matches_filter(obj: dict, flt) -> bool:
    if not isinstance(flt, dict):
        return True
    for field, wanted in flt.items():
        if wanted is None or field not in obj:
            continue
        values = wanted if isinstance(wanted, list) else [wanted]
        if str(obj[field]) not in {str(value) for value in values}:
            return False
    return True


def _matches_search(obj: dict, search) -> bool:
    if not isinstance(search, dict):
        return True
    for field, needle in search.items():
        if needle is None or field not in obj:
            continue
        needles = needle if isinstance(needle, list) else [needle]
        haystack = str(obj[field]).lower()
        if not any(str(item).lower() in haystack for item in needles):
            return False
    return True


def _project(obj: dict, output, keep: tuple = ()) -> dict:
    """The public fields of ``obj`` that ``output`` asks for, plus ``keep``."""
    public = {key: value for key, value in obj.items() if not key.startswith("_")}
    if output is None or output == "extend":
        return copy.deepcopy(public)
    wanted = set(output) if isinstance(output, list) else set()
    wanted.update(keep)
    return copy.deepcopy({key: value for key, value in public.items() if key in wanted})


def _sort_key(field: str):
    def key(obj: dict):
        value = str(obj.get(field, ""))
        return (0, int(value), "") if value.isdigit() else (1, 0, value.lower())
    return key


def _finish_get(rows: list, params: dict, pk: str, keep: tuple = ()):
    """Apply countOutput, sorting, limit, output and preservekeys."""
    if params.get("countOutput"):
        return str(len(rows))
    sortfield = params.get("sortfield")
    if isinstance(sortfield, str):
        sortfield = [sortfield]
    if isinstance(sortfield, list):
        descending = str(params.get("sortorder", "ASC")).upper() == "DESC"
        for field in reversed(sortfield):
            rows = sorted(rows, key=_sort_key(str(field)), reverse=descending)
    limit = params.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        rows = rows[:limit]
    output = params.get("output", "extend")
    if params.get("preservekeys"):
        return {row[pk]: _project(row, output, keep) for row in rows}
    return [_project(row, output, keep) for row in rows]


def _expand(template: str, host: dict, event: dict | None, manualinput: str | None) -> str:
    """Resolve the macros of a script's command or output."""
    text = template
    if manualinput is not None:
        # The server replaces {MANUALINPUT} before it resolves the other macros.
        text = text.replace("{MANUALINPUT}", manualinput)
    values = {
        "HOST.HOST": host["host"],
        "HOST.NAME": host["name"],
        "HOST.CONN": host["_conn"],
        "HOST.IP": host["_conn"],
        "HOST.DNS": "",
        "HOST.ID": host["hostid"],
    }
    if event is not None:
        values["EVENT.ID"] = event["eventid"]
        values["EVENT.NAME"] = event["name"]
    return _MACRO_RE.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _input_is_valid(value: str, validator: str, validator_type: str) -> bool:
    if validator_type == "1":
        return value in validator.split(",")
    try:
        return re.search(validator, value) is not None
    except re.error:
        return False


# ---------------------------------------------------------------------------
# Fixture


def _interface(interfaceid: str, hostid: str, kind: str, ip: str, profile: "_Profile") -> dict:
    port = {"1": "10050", "2": "161"}[kind]
    interface = {"interfaceid": interfaceid, "hostid": hostid, "main": "1", "type": kind, "useip": "1",
                 "ip": ip, "dns": "", "port": port, "available": "1" if kind == "1" else "0"}
    if profile.full_objects:
        details = {"version": "2", "bulk": "1", "community": "public"} if kind == "2" else []
        if kind == "2" and profile.number >= (7, 0):
            details["max_repetitions"] = "10"
        interface.update({"error": "", "errors_from": "0", "disable_until": "0", "details": details})
    return interface


# Host fields of a real 6.0.14 beyond those every version has.
_HOST_FIELDS_60 = {
    "lastaccess": "0", "ipmi_authtype": "-1", "ipmi_privilege": "2", "ipmi_username": "", "ipmi_password": "",
    "maintenanceid": "0", "maintenance_type": "0", "maintenance_from": "0", "templateid": "0",
    "tls_connect": "1", "tls_accept": "1", "tls_issuer": "", "tls_subject": "", "proxy_address": "",
    "auto_compress": "1", "custom_interfaces": "0", "uuid": "",
}
# ... and of a real 7.0.9.
_HOST_FIELDS_70 = {
    "ipmi_authtype": "-1", "ipmi_privilege": "2", "ipmi_username": "", "ipmi_password": "", "maintenanceid": "0",
    "maintenance_type": "0", "maintenance_from": "0", "templateid": "0", "tls_connect": "1", "tls_accept": "1",
    "tls_issuer": "", "tls_subject": "", "custom_interfaces": "0", "uuid": "", "vendor_name": "", "vendor_version": "",
    "proxy_groupid": "0", "monitored_by": "0", "active_available": "0", "assigned_proxyid": "0",
}
_GROUP_UUIDS = {"2": "dc579cd7a1a34222933f24f52a68bcd8", "4": "6f6799aa69e844b4b3918f779f2abf08",
                CANARY_GROUPID: "5d3a8f0ad83a4c1d9b2e1f04c6a7b9e2"}


# pylint: disable-next=too-many-arguments,too-many-positional-arguments
def _event_object(profile: _Profile, eventid: str, hostid: str, objectid: str, name: str,
                  severity: str, clock: str, value: str, tags) -> dict:
    """A trigger event as event.get returns it, with the host id and tags kept aside."""
    event = {"eventid": eventid, "source": "0", "object": "0", "objectid": objectid, "clock": clock,
             "value": value, "acknowledged": "0", "ns": "0", "name": name, "severity": severity,
             "r_eventid": "0", "c_eventid": "0", "correlationid": "0", "userid": "0", "opdata": "",
             "suppressed": "0", "urls": [], "_hostid": hostid,
             "_tags": tuple({"tag": str(tag["tag"]), "value": str(tag.get("value", ""))} for tag in tags)}
    if profile.number >= (6, 4):
        event["cause_eventid"] = "0"
    return event


class _Fixture:
    """Hosts, scripts and events of one simulated Zabbix; read-only once built."""

    def __init__(self, profile: _Profile, host_count: int) -> None:
        self.full_objects = profile.full_objects
        self.number = profile.number
        self.hosts = self._build_hosts(profile, host_count)
        self.hosts_by_id = {host["hostid"]: host for host in self.hosts}
        self.scripts = self._build_scripts(profile)
        self.scripts_by_id = {script["scriptid"]: script for script in self.scripts}
        self.events = self._build_events(profile, self.hosts_by_id)
        self.events_by_id = {event["eventid"]: event for event in self.events}

    @staticmethod
    def _build_hosts(profile: _Profile, count: int) -> list:
        width = max(3, len(str(count)))

        def host(hostid, name, visible, groups, interface):
            obj = {"hostid": hostid, profile.proxy_field: "0", "host": name, "status": "0", "description": "",
                   "flags": "0", "inventory_mode": "-1", "name": visible, "maintenance_status": "0",
                   "_groups": tuple(groups), "_interfaces": (interface,), "_conn": interface["ip"]}
            if profile.number < (5, 4):
                obj["available"] = "1" if interface["type"] == "1" else "0"
            if profile.full_objects:
                obj.update(_HOST_FIELDS_70 if profile.number >= (7, 0) else _HOST_FIELDS_60)
            return obj

        hosts = [host(ZABBIX_SERVER_HOSTID, "Zabbix server", "Zabbix server", ("4", CANARY_GROUPID),
                      _interface("1", ZABBIX_SERVER_HOSTID, "1", "127.0.0.1", profile))]
        hosts.append(host(NO_AGENT_HOSTID, "no-agent", "No agent", ("2",),
                          _interface("2", NO_AGENT_HOSTID, "2", "10.255.0.1", profile)))
        for number in range(1, count + 1):
            hostid = str(FIRST_HOSTID + number - 1)
            groups = ("2", CANARY_GROUPID) if number <= CANARY_HOSTS else ("2",)
            ip = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
            hosts.append(host(hostid, f"host-{number:0{width}d}", f"Host {number:0{width}d}", groups,
                              _interface(str(100000 + number), hostid, "1", ip, profile)))
        return sorted(hosts, key=lambda obj: int(obj["hostid"]))

    @staticmethod
    def _build_scripts(profile: _Profile) -> list:
        fields = profile.script_fields()
        scripts = []
        for spec in _SCRIPT_SPECS:
            full = copy.deepcopy(_SCRIPT_DEFAULTS)
            full.update(copy.deepcopy(spec))
            if full["_since"] > profile.number:
                continue
            obj = {field: full[field] for field in fields}
            obj.update({key: value for key, value in full.items() if key.startswith("_")})
            # Fields a version lacks still drive its behaviour (5.0 scripts all act as host scripts).
            for hidden in ("scope", "manualinput", "manualinput_validator", "manualinput_validator_type"):
                obj["_" + hidden] = full[hidden]
            scripts.append(obj)
        return scripts

    @staticmethod
    def _build_events(profile: _Profile, hosts_by_id: dict) -> list:
        return [_event_object(profile, eventid, hostid, objectid, name, severity, clock, "1", ())
                for eventid, hostid, objectid, name, severity, clock in _EVENT_SPECS if hostid in hosts_by_id]

    def host(self, hostid: str) -> dict | None:
        """The host with this id, or None."""
        return self.hosts_by_id.get(hostid)

    def event(self, eventid: str) -> dict | None:
        """The event with this id, or None."""
        return self.events_by_id.get(eventid)

    def script(self, scriptid: str) -> dict | None:
        """The script with this id in this version, or None."""
        return self.scripts_by_id.get(scriptid)

    def group_objects(self, host: dict, output) -> list:
        """The host groups of ``host`` as API objects."""
        groups = []
        for groupid in host["_groups"]:
            group = {"groupid": groupid, "name": _GROUPS[groupid], "flags": "0"}
            if self.full_objects:
                group["uuid"] = _GROUP_UUIDS[groupid]
                if self.number < (7, 0):
                    group["internal"] = "0"
            groups.append(group)
        # 6.0.14 adds the id to any output list; 7.0.9 returns what was asked for.
        return [_project(group, output, ("groupid",) if self.number < (7, 0) else ()) for group in groups]


# ---------------------------------------------------------------------------
# Mutable state


class _EventLog:
    """The fixture events, and the problems raised and recovered while the simulator runs."""

    FIRST_TRIGGERID = 30001

    def __init__(self, profile: _Profile, fixture: _Fixture) -> None:
        self._profile = profile
        self._fixture = fixture
        self._lock = threading.Lock()
        self._events: list = []
        self._next_triggerid = self.FIRST_TRIGGERID
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._events = copy.deepcopy(self._fixture.events)
            self._next_triggerid = self.FIRST_TRIGGERID

    def all(self) -> list:
        """Copies of every visible event, by event id."""
        with self._lock:
            return copy.deepcopy([event for event in self._events if not event.get("_hidden")])

    def event(self, eventid: str) -> dict | None:
        with self._lock:
            found = [event for event in self._events if event["eventid"] == str(eventid) and not event.get("_hidden")]
            return copy.deepcopy(found[0]) if found else None

    def _next_eventid(self) -> str:
        return str(max(int(event["eventid"]) for event in self._events) + 1 if self._events else 1)

    def publish(self, eventid: str) -> dict:
        """An event raised with ``visible=False`` becomes visible."""
        with self._lock:
            found = [event for event in self._events if event["eventid"] == str(eventid) and event.get("_hidden")]
            if not found:
                raise ValueError(f"no event {eventid!r} waiting to be visible")
            del found[0]["_hidden"]
            return copy.deepcopy(found[0])

    # pylint: disable-next=too-many-arguments
    def raise_problem(self, host: str, name: str, severity: int = 3, tags=(), *, clock=None, suppressed=False,
                      visible=True) -> dict:
        """A new problem event of a new trigger on the host with this technical name."""
        found = [h for h in self._fixture.hosts if h["host"] == host]
        if not found:
            raise ValueError(f"no host {host!r}")
        if isinstance(severity, bool) or not isinstance(severity, int) or not 0 <= severity <= 5:
            raise ValueError("severity must be an integer from 0 to 5")
        if not isinstance(tags, (list, tuple)) or not all(isinstance(t, dict) and t.get("tag") for t in tags):
            raise ValueError("tags must be a list of {tag, value}")
        if clock is not None and (isinstance(clock, bool) or not isinstance(clock, int) or clock < 0):
            raise ValueError("clock must be a Unix time (an integer >= 0)")
        with self._lock:
            event = _event_object(self._profile, self._next_eventid(), found[0]["hostid"], str(self._next_triggerid),
                                  str(name), str(severity), str(int(time.time()) if clock is None else clock), "1", tags)
            if suppressed:
                event["suppressed"] = "1"
                event["_suppression"] = ({"maintenanceid": "1", "suppress_until": "0", "userid": "0"},)
            if not visible:
                event["_hidden"] = True
            self._next_triggerid += 1
            self._events.append(event)
            return copy.deepcopy(event)

    def recover(self, problem_eventid: str) -> dict:
        """The recovery event of an open problem; the problem's ``r_eventid`` points to it."""
        with self._lock:
            found = [e for e in self._events if e["eventid"] == str(problem_eventid) and e["value"] == "1"]
            if not found or found[0]["r_eventid"] != "0":
                raise ValueError(f"no open problem {problem_eventid!r}")
            problem = found[0]
            event = _event_object(self._profile, self._next_eventid(), problem["_hostid"], problem["objectid"],
                                  problem["name"], "0", str(int(time.time())), "0", ())
            problem["r_eventid"] = event["eventid"]
            self._events.append(event)
            return copy.deepcopy(event)

    def control(self, data: dict) -> dict:
        """``POST /_sim/events``: ``{"host", "name", "severity", "tags", "clock", "suppressed", "visible"}``,
        ``{"recover": eventid}`` or ``{"publish": eventid}``."""
        if "publish" in data:
            if set(data) != {"publish"}:
                raise ValueError("publish takes no other keys")
            return {"eventid": self.publish(str(data["publish"]))["eventid"]}
        if "recover" in data:
            if set(data) != {"recover"}:
                raise ValueError("recover takes no other keys")
            event = self.recover(str(data["recover"]))
            return {"eventid": event["eventid"], "problem_eventid": str(data["recover"])}
        unknown = set(data) - {"host", "name", "severity", "tags", "clock", "suppressed", "visible"}
        if unknown or "host" not in data or "name" not in data:
            raise ValueError("a problem is {host, name, severity, tags, clock, suppressed, visible}")
        event = self.raise_problem(str(data["host"]), str(data["name"]), data.get("severity", 3), data.get("tags", []),
                                   clock=data.get("clock"), suppressed=bool(data.get("suppressed", False)),
                                   visible=bool(data.get("visible", True)))
        return {"eventid": event["eventid"]}


class _Sessions:
    """Sessions opened by ``user.login``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, str] = {}
        self._secrets: dict[str, str] = {}

    def open(self, username: str) -> str:
        """Start a session; returns its id."""
        sessionid = secrets.token_hex(16)
        with self._lock:
            self._by_id[sessionid] = username
            self._secrets[sessionid] = secrets.token_hex(16)
        return sessionid

    def secret(self, sessionid: str) -> str:
        """The session's secret (7.0 user data shows it), 32 hex characters."""
        with self._lock:
            return self._secrets.setdefault(sessionid, secrets.token_hex(16))

    def lookup(self, sessionid: str) -> str | None:
        """The user name of a live session, or None."""
        with self._lock:
            return self._by_id.get(sessionid)

    def close(self, sessionid: str) -> bool:
        """End a session; False when it was not live."""
        with self._lock:
            self._secrets.pop(sessionid, None)
            return self._by_id.pop(sessionid, None) is not None

    def clear(self) -> int:
        """End every session; returns how many there were."""
        with self._lock:
            count = len(self._by_id)
            self._by_id.clear()
            self._secrets.clear()
        return count

    def count(self) -> int:
        """How many sessions are live."""
        with self._lock:
            return len(self._by_id)


class _Recorder:
    """Counters and recorded requests, shared by the handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: deque = deque(maxlen=_MAX_RECORDED_REQUESTS)
        self._in_flight = 0
        self._data: dict = {}
        self.clear()

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._requests.clear()
            self._data = {"requests": 0, "connections": 0, "connections_total": 0, "logins": 0, "logouts": 0,
                          "methods": {}, "executions": [], "http_status": {}, "max_in_flight": self._in_flight}

    def _bump(self, key: str, amount: int = 1) -> None:
        with self._lock:
            self._data[key] += amount

    def connection(self) -> None:
        """A TCP connection was accepted."""
        self._bump("connections_total")

    def login(self) -> None:
        """A ``user.login`` succeeded."""
        self._bump("logins")

    def logout(self) -> None:
        """A ``user.logout`` succeeded."""
        self._bump("logouts")

    def request(self, entry: dict, new_connection: bool) -> None:
        """An HTTP request reached an API path."""
        with self._lock:
            self._data["requests"] += 1
            if new_connection:
                self._data["connections"] += 1
            self._requests.append(entry)

    def method(self, name: str) -> None:
        """A JSON-RPC call with a valid envelope."""
        with self._lock:
            methods = self._data["methods"]
            methods[name] = methods.get(name, 0) + 1

    def status(self, code: int) -> None:
        """An API answer went out with this HTTP status."""
        with self._lock:
            statuses = self._data["http_status"]
            statuses[str(code)] = statuses.get(str(code), 0) + 1

    def execution(self, scriptid: str, hostid: str, eventid: str | None, manualinput: str | None) -> None:
        """A script started to run."""
        with self._lock:
            self._data["executions"].append(
                {"scriptid": scriptid, "hostid": hostid, "eventid": eventid, "manualinput": manualinput})

    @contextlib.contextmanager
    def in_flight(self):
        """Count an API request as being answered."""
        with self._lock:
            self._in_flight += 1
            self._data["max_in_flight"] = max(self._data["max_in_flight"], self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def requests(self) -> list:
        """A copy of the recorded requests."""
        with self._lock:
            return copy.deepcopy(list(self._requests))

    def snapshot(self) -> dict:
        """A JSON-serialisable copy of the counters."""
        with self._lock:
            data = copy.deepcopy(self._data)
            data["in_flight"] = self._in_flight
        return data


class _Config:
    """Settings that can change while the simulator runs."""

    KEYS = ("latency", "slow_script_seconds", "enable_global_scripts")

    def __init__(self, latency: float, slow_script_seconds: float) -> None:
        self._lock = threading.Lock()
        self._initial = self._checked({"latency": latency, "slow_script_seconds": slow_script_seconds,
                                       "enable_global_scripts": 1})
        self._values = dict(self._initial)

    @classmethod
    def _checked(cls, changes) -> dict:
        if not isinstance(changes, dict):
            raise ValueError("the configuration must be a JSON object")
        clean = {}
        for key, value in changes.items():
            if key not in cls.KEYS:
                raise ValueError(f"unknown setting {key!r}; known: {', '.join(cls.KEYS)}")
            if key == "enable_global_scripts":
                # the server's EnableGlobalScripts (7.0+): 0 or 1
                if value not in (0, 1):
                    raise ValueError(f"{key} must be 0 or 1")
                clean[key] = int(value)
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
                raise ValueError(f"{key} must be a number >= 0")
            clean[key] = float(value)
        return clean

    def get(self, key: str) -> float:
        """The current value of a setting."""
        with self._lock:
            return self._values[key]

    def update(self, changes) -> dict:
        """Change settings; raises ValueError (nothing changed) on a bad one."""
        clean = self._checked(changes)
        with self._lock:
            self._values.update(clean)
            return dict(self._values)

    def restore(self) -> None:
        """Back to the values the simulator was created with."""
        with self._lock:
            self._values = dict(self._initial)

    def snapshot(self) -> dict:
        """A copy of the current settings."""
        with self._lock:
            return dict(self._values)


# ---------------------------------------------------------------------------
# The JSON-RPC API


class _ZabbixApi:  # pylint: disable=too-few-public-methods
    """JSON-RPC processing and the simulated API methods (all private, reached through ``process``)."""

    # pylint: disable-next=too-many-arguments,too-many-positional-arguments
    def __init__(self, profile: _Profile, fixture: _Fixture, sessions: _Sessions, recorder: _Recorder,
                 config: _Config, events: _EventLog) -> None:
        self._profile = profile
        self._fixture = fixture
        self._events = events
        self._sessions = sessions
        self._recorder = recorder
        self._config = config
        # event.acknowledge and what event.get shows of it (zabbix_acknowledge.py)
        self.acknowledgements = Acknowledgements(profile.number, events, _USERS)
        # method -> (implementation, needs authentication)
        self._methods = {
            "apiinfo.version": (self._apiinfo_version, False),
            "user.login": (self._user_login, False),
            "user.checkauthentication": (self._user_check_authentication, False),
            "user.logout": (self._user_logout, True),
            "host.get": (self._host_get, True),
            "script.get": (self._script_get, True),
            "script.execute": (self._script_execute, True),
            "event.get": (self._event_get, True),
            "event.acknowledge": (self._event_acknowledge, True),
            "hostgroup.get": (self._hostgroup_get, True),
        }

    # -- envelope -----------------------------------------------------------

    def process(self, raw: bytes, headers) -> bytes:
        """Answer one HTTP body; raises FrontendCrash for an HTTP 500."""
        try:
            payload = json.loads(raw.decode("utf-8"))
        except ValueError:
            return _encode(_error_doc(-32700, PARSE_ERROR_DATA, None))
        if isinstance(payload, list) and payload:
            calls, batch = payload, True
        elif isinstance(payload, dict) and payload:
            calls, batch = [payload], False
        else:
            return _encode(_error_doc(-32600, INVALID_REQUEST_DATA, None))
        bearer = self._bearer(headers) if self._profile.header_auth else None
        answers = [answer for answer in (self._call(call, bearer) for call in calls) if answer is not None]
        if not answers:
            return b""
        return _encode(answers if batch else answers[0])

    @staticmethod
    def _bearer(headers) -> str | None:
        match = re.match(r"^Bearer\s+(\S.*)$", headers.get("Authorization", "") or "", re.IGNORECASE)
        return match.group(1).strip() if match else None

    def _call(self, call, bearer: str | None) -> dict | None:
        if isinstance(call, list):
            call = _as_mapping(call, "/")
        if not isinstance(call, dict):
            return _error_doc(-32600, 'Invalid parameter "/": an array is expected.', None)
        problem = self._envelope_problem(call)
        if problem is not None:
            call_id = call.get("id")
            return _error_doc(-32600, problem, call_id if _is_valid_id(call_id) else None)
        method = call["method"]
        self._recorder.method(method)
        credential = bearer if bearer is not None else (call.get("auth") if self._profile.body_auth else None)
        try:
            result = self._invoke(method, call["params"], credential, bearer is not None)
        except ApiError as error:
            return _error_doc(error.code, error.data, call["id"]) if "id" in call else None
        return {"jsonrpc": "2.0", "result": result, "id": call["id"]} if "id" in call else None

    def _envelope_problem(self, call: dict) -> str | None:
        fields = ("jsonrpc", "method", "params", "auth", "id") if self._profile.body_auth else (
            "jsonrpc", "method", "params", "id")
        for key in call:
            if key not in fields:
                return f'Invalid parameter "/": unexpected parameter "{key}".'
        for name in fields:
            if name not in call:
                if name in ("jsonrpc", "method", "params"):
                    return f'Invalid parameter "/": the parameter "{name}" is missing.'
                continue
            problem = _ENVELOPE_CHECKS[name](call[name])
            if problem is not None:
                return problem
        return None

    def _invoke(self, method: str, params, credential, in_header: bool = False):
        entry = self._methods.get(method.lower())
        if entry is None:
            api, _unused, name = method.partition(".")
            if api.lower() not in _KNOWN_APIS:
                raise ApiError(-32601, f'Incorrect API "{api}".')
            raise ApiError(-32601, f'Incorrect method "{api}.{name}".')
        implementation, needs_auth = entry
        if not needs_auth:
            if credential is not None:
                raise ApiError(-32602, self._profile.without_auth_text(method, in_header))
            return implementation(params, None)
        return implementation(params, self._authenticate(credential))

    def _authenticate(self, credential) -> _Caller:
        if not credential:
            raise ApiError(-32602, "Not authorized.")
        if self._profile.tokens and len(credential) == 64:
            if credential == API_TOKEN:
                return _Caller(_USERS["Admin"], True, None)
            if credential == EXPIRED_API_TOKEN:
                raise ApiError(-32500, "API token expired.")
            raise ApiError(-32602, "Not authorized.")
        username = self._sessions.lookup(credential)
        if username is None:
            raise ApiError(-32602, "Session terminated, re-login, please.")
        return _Caller(_USERS[username], False, credential)

    # -- apiinfo / user -----------------------------------------------------

    def _apiinfo_version(self, params, _caller) -> str:
        _validate_object(params, {})
        return self._profile.full

    def _user_data(self, user: dict, sessionid: str | None) -> dict:
        name_key = "username" if self._profile.login_username else "alias"
        data = {"userid": user["userid"], name_key: user["username"], "name": user["name"],
                "surname": user["surname"], "url": "", "autologin": "1", "autologout": "0", "lang": "en_US",
                "refresh": "30s", "theme": "default", "attempt_failed": "0", "attempt_ip": "",
                "attempt_clock": "0", "rows_per_page": "50", "timezone": "default", "roleid": user["roleid"],
                "type": user["type"], "userip": "127.0.0.1", "debug_mode": 0, "gui_access": 0}
        if self._profile.user_fields_70:
            # A real 7.0.9: the fields of 7.0 users, in its order, and the session's secret.
            data["timezone"] = "system"
            data = dict(data, userdirectoryid="0", ts_provisioned="0", debug_mode=0, deprovisioned=False,
                        gui_access=user.get("gui_access", "0"), mfaid=0, auth_type=0, type=data.pop("type"),
                        userip=data.pop("userip"))
        if sessionid is not None:
            data["sessionid"] = sessionid
            if self._profile.user_fields_70:
                data["secret"] = self._sessions.secret(sessionid)
        return data

    def _user_login(self, params, _caller):
        profile = self._profile
        mapping = _as_mapping(params, "/")
        if profile.login_user and profile.login_username and "user" in mapping:
            # 5.4 and 6.0 still take the deprecated "user" in place of "username", but not both.
            if "username" in mapping:
                raise ApiError(-32602, 'Parameter "user" is deprecated.')
            mapping = dict(mapping)
            mapping["username"] = mapping.pop("user")
        name_field = "username" if profile.login_username else "user"
        data = _validate_object(mapping, {name_field: ("string", True), "password": ("string", True),
                                          "userData": ("flag", False)})
        user = _USERS.get(data[name_field])
        # The same text, but an unknown user is a parameter error and a wrong password a permission error.
        if user is None:
            raise ApiError(profile.login_unknown_user_code,
                           "Incorrect user name or password or account is temporarily blocked.")
        if user["password"] != data["password"]:
            raise ApiError(-32500, "Incorrect user name or password or account is temporarily blocked.")
        sessionid = self._sessions.open(user["username"])
        self._recorder.login()
        return self._user_data(user, sessionid) if data.get("userData") else sessionid

    def _user_check_authentication(self, params, _caller) -> dict:
        rules = {"sessionid": ("string", False), "extend": ("flag", False)}
        if self._profile.tokens:
            rules["token"] = ("string", False)
        data = _validate_object(params, rules)
        if "token" in data:
            if data["token"] == API_TOKEN:
                return self._user_data(_USERS["Admin"], None)
            if data["token"] == EXPIRED_API_TOKEN:
                raise ApiError(-32500, "API token expired.")
            raise ApiError(-32602, "Not authorized.")
        if "sessionid" not in data:
            if self._profile.tokens:
                raise ApiError(-32602, "Session ID or token is expected.")
            raise _invalid("/", 'the parameter "sessionid" is missing')
        username = self._sessions.lookup(data["sessionid"])
        if username is None:
            raise ApiError(-32602, "Session terminated, re-login, please.")
        return self._user_data(_USERS[username], data["sessionid"])

    def _user_logout(self, params, caller: _Caller) -> bool:
        _validate_object(params, {})
        if caller.sessionid is None and self._profile.number in ((6, 0), (7, 0)):
            # 6.0.14 and 7.0.9 look the token up as a session id (7.0.9 as an internal error); it stays valid.
            raise ApiError(-32500 if self._profile.number == (6, 0) else -32603,
                           'Incorrect field "sessionid" name or value in where statement for table "sessions".')
        if caller.sessionid is None or not self._sessions.close(caller.sessionid):
            raise ApiError(-32602, "Cannot log out.")
        self._recorder.logout()
        return True

    # -- get methods --------------------------------------------------------

    def _host_object(self, host: dict, params: dict) -> dict:
        obj = dict(host)
        if params.get("selectInterfaces") is not None:
            obj["interfaces"] = [_project(interface, params["selectInterfaces"])
                                 for interface in host["_interfaces"]]
        for key in ("selectGroups", "selectHostGroups"):
            if params.get(key) is not None:
                obj["groups" if key == "selectGroups" else "hostgroups"] = self._fixture.group_objects(
                    host, params[key])
        return obj

    def _host_get(self, params, _caller):
        params = _get_params(params)
        hostids = _loose_ids(params.get("hostids"))
        groupids = _loose_ids(params.get("groupids"))
        rows = [self._host_object(host, params) for host in self._fixture.hosts
                if all((_selected(hostids, host["hostid"]), groupids is None or groupids.intersection(host["_groups"]),
                        _matches_filter(host, params.get("filter")), _matches_search(host, params.get("search"))))]
        keep = ("hostid", "interfaces", "groups", "hostgroups")
        return _finish_get(rows, params, "hostid", keep)

    def _event_selected(self, event: dict, params: dict) -> bool:
        """event.get's filters: ids, hosts, groups, triggers, values, id and time ranges, ``filter``."""
        values = params.get("value")
        values = None if values is None else {str(item) for item in (values if isinstance(values, list) else [values])}
        groupids = _loose_ids(params.get("groupids"))
        host = self._fixture.hosts_by_id[event["_hostid"]]
        ranges = (("eventid_from", "eventid", 1), ("eventid_till", "eventid", -1),
                  ("time_from", "clock", 1), ("time_till", "clock", -1))
        for param, field, sign in ranges:
            bound = params.get(param)
            if bound is not None and (not str(bound).isdigit() or sign * (int(event[field]) - int(bound)) < 0):
                return False
        suppressed = params.get("suppressed")
        if suppressed is not None and (str(suppressed).lower() in ("1", "true")) != (event["suppressed"] == "1"):
            return False
        return all((_selected(_loose_ids(params.get("eventids")), event["eventid"]),
                    _selected(_loose_ids(params.get("hostids")), event["_hostid"]),
                    groupids is None or groupids.intersection(host["_groups"]),
                    _selected(_loose_ids(params.get("objectids")), event["objectid"]),
                    _selected(values, event["value"]), _matches_filter(event, params.get("filter"))))

    def _event_get(self, params, _caller):
        params = _get_params(params)
        if self._profile.checked_eventids:
            _check_ids(params.get("eventids"), "/eventids")
        # Every simulated event is a trigger event: source 0, object 0.
        if str(params.get("source", 0)) != "0" or str(params.get("object", 0)) != "0":
            return _finish_get([], params, "eventid")
        rows = []
        for event in self._events.all():
            if not self._event_selected(event, params):
                continue
            row = dict(event)
            if params.get("selectHosts") is not None:
                host = self._fixture.hosts_by_id[event["_hostid"]]
                row["hosts"] = [_project(host, params["selectHosts"], ("hostid",))]
            if params.get("selectTags") is not None:
                row["tags"] = [_project(tag, params["selectTags"]) for tag in event["_tags"]]
            if params.get("selectSuppressionData") is not None:
                fields = ("maintenanceid", "suppress_until") + (("userid",) if self._profile.number >= (6, 4) else ())
                row["suppression_data"] = [_project({k: v for k, v in item.items() if k in fields},
                                                    params["selectSuppressionData"])
                                           for item in event.get("_suppression", ())]
            self.acknowledgements.add_to(row, params)
            rows.append(row)
        # Events come by event id unless a sort field says otherwise.
        rows.sort(key=lambda row: int(row["eventid"]))
        return _finish_get(rows, params, "eventid",
                           ("eventid", "hosts", "tags", "suppression_data", "acknowledges", "relatedObject"))

    def _event_acknowledge(self, params, caller: _Caller):
        try:
            return self.acknowledgements.acknowledge(params, caller.user)
        except AcknowledgeError as error:
            raise ApiError(error.code, error.data) from None

    def _hostgroup_get(self, params, _caller):
        params = _get_params(params)
        groupids = _loose_ids(params.get("groupids"))
        rows = [{"groupid": groupid, "name": name, "flags": "0"} for groupid, name in sorted(_GROUPS.items())
                if _selected(groupids, groupid)]
        rows = [row for row in rows if _matches_filter(row, params.get("filter"))
                and _matches_search(row, params.get("search"))]
        return _finish_get(rows, params, "groupid", ("groupid",))

    def _script_allowed(self, caller: _Caller, script: dict) -> bool:
        """The user may see and run the script (its user group restriction)."""
        user = caller.user
        return user["type"] == _SUPER_ADMIN or script["usrgrpid"] == "0" or script["usrgrpid"] in user["usrgrpids"]

    def _runnable_on(self, script: dict, hostids) -> bool:
        """The script's host group restriction lets it run on every one of ``hostids``."""
        if script["groupid"] == "0":
            return True
        for hostid in hostids:
            host = self._fixture.host(hostid)
            if host is None or script["groupid"] not in host["_groups"]:
                return False
        return True

    def _script_get(self, params, caller: _Caller):
        params = _get_params(params)
        scriptids = _check_ids(params.get("scriptids"), "/scriptids")
        hostids = _check_ids(params.get("hostids"), "/hostids")
        rows = []
        for script in self._fixture.scripts:
            if not all((_selected(scriptids, script["scriptid"]), self._script_allowed(caller, script),
                        hostids is None or any(self._runnable_on(script, [h]) for h in hostids)
                        or (not hostids and script["groupid"] == "0"),
                        _matches_filter(script, params.get("filter")), _matches_search(script, params.get("search")))):
                continue
            row = dict(script)
            if params.get("selectHosts") is not None:
                row["hosts"] = [_project(host, params["selectHosts"], ("hostid",)) for host in self._fixture.hosts
                                if self._runnable_on(script, [host["hostid"]])]
            rows.append(row)
        return _finish_get(rows, params, "scriptid", ("hosts",))

    # -- script.execute -----------------------------------------------------

    def _execute_params(self, params) -> dict:
        profile = self._profile
        rules = {"scriptid": ("id", True)}
        if profile.events:
            rules.update({"hostid": ("id", False), "eventid": ("id", False)})
        else:
            rules["hostid"] = ("id", True)
        if profile.manualinput:
            rules["manualinput"] = ("string", False)
        data = _validate_object(params, rules)
        if "hostid" not in data and "eventid" not in data:
            raise _invalid("/", 'the parameter "eventid" is missing')
        if "hostid" in data and "eventid" in data:
            raise _invalid("/", 'unexpected parameter "eventid"')
        return data

    def _execute_target(self, request: dict) -> tuple:
        """The host (and event) a script.execute call names; no permissions when unknown."""
        if "eventid" in request:
            event = self._events.event(request["eventid"])
            if event is None:
                raise _no_permissions()
            return self._fixture.hosts_by_id[event["_hostid"]], event
        host = self._fixture.host(request["hostid"])
        if host is None:
            raise _no_permissions()
        return host, None

    def _script_execute(self, params, caller: _Caller) -> dict:
        request = self._execute_params(params)
        # Frontend: the event or host, then the script, must be visible to the caller.
        host, event = self._execute_target(request)
        script = self._fixture.script(request["scriptid"])
        if script is None or not self._script_allowed(caller, script) or not self._runnable_on(
                script, [host["hostid"]]):
            raise _no_permissions()
        if self._profile.url_scripts and script["type"] == "6":
            raise ApiError(-32500, "Cannot execute URL type script.")
        if caller.token and self._profile.token_bug:
            raise FrontendCrash("CZabbixServer::executeScript(): Argument #2 ($sid) must be of type string, "
                                "null given")
        # Server: scope, manual input, then the run itself.
        if self._profile.events:
            scope = script["_scope"]
            if "hostid" in request and scope != "2":
                raise ApiError(-32500, f"Script is not allowed in manual host action: scope:{scope}")
            if "eventid" in request and scope != "4":
                raise ApiError(-32500, f"Script is not allowed in manual event action: scope:{scope}")
        manualinput = None
        if self._profile.manualinput and script["_manualinput"] == "1":
            manualinput = request.get("manualinput")
            if manualinput is None:
                raise ApiError(-32500, "Script takes user input, but none was provided.")
            if not _input_is_valid(manualinput, script["_manualinput_validator"],
                                   script["_manualinput_validator_type"]):
                raise ApiError(-32500, "Provided script user input failed validation.")
        if self._profile.manualinput and not self._config.get("enable_global_scripts") and script["type"] == "0" \
                and script["execute_on"] in ("1", "2"):
            # 7.0+: the frontend refuses commands for the server (or a proxy) when the server says so.
            raise ApiError(-32500, "Global script execution on Zabbix server is disabled by server configuration.")
        return self._run(script, host, event, request, manualinput)

    def _run(self, script: dict, host: dict, event: dict | None, request: dict, manualinput: str | None) -> dict:
        on_agent = script["type"] == "0" and script["execute_on"] == "0"
        if on_agent and not any(interface["type"] == "1" for interface in host["_interfaces"]):
            raise ApiError(-32500, f"Zabbix agent interface is not defined for host [{host['host']}]")
        self._recorder.execution(script["scriptid"], host["hostid"], request.get("eventid"),
                                 request.get("manualinput"))
        kind = script["_run"]
        if kind == "throw":
            raise ApiError(-32500, "cannot execute script: boom")
        if kind == "sleep":
            time.sleep(self._config.get("slow_script_seconds"))
        output = _expand(script["_output"], host, event, manualinput)
        # Only a script run by the server (or a proxy) fails on a non-zero exit status.
        if script["_exit"] != 0 and not on_agent:
            raise ApiError(-32500, output)
        result = {"response": "success", "value": output}
        if self._profile.events:
            if kind == "webhook":
                message = _expand(script["_log"], host, event, manualinput)
                result["debug"] = {"logs": [{"level": 4, "ms": 0, "message": message}], "ms": 0}
            else:
                result["debug"] = []
        return result


def _is_valid_id(value) -> bool:
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _check_jsonrpc(value) -> str | None:
    if not isinstance(value, str):
        return 'Invalid parameter "/jsonrpc": a character string is expected.'
    if value != "2.0":
        return 'Invalid parameter "/jsonrpc": value must be "2.0".'
    return None


def _check_method(value) -> str | None:
    return None if isinstance(value, str) else 'Invalid parameter "/method": a character string is expected.'


def _check_params(value) -> str | None:
    return None if isinstance(value, (list, dict)) else 'Invalid parameter "/params": an array or object is expected.'


def _check_auth(value) -> str | None:
    return None if value is None or isinstance(value, str) else (
        'Invalid parameter "/auth": a character string is expected.')


def _check_call_id(value) -> str | None:
    return None if _is_valid_id(value) else 'Invalid parameter "/id": a string, number or null value is expected.'


_ENVELOPE_CHECKS = {
    "jsonrpc": _check_jsonrpc,
    "method": _check_method,
    "params": _check_params,
    "auth": _check_auth,
    "id": _check_call_id,
}


def _error_doc(code: int, data: str, call_id) -> dict:
    return {"jsonrpc": "2.0", "error": {"code": code, "message": _MESSAGES[code], "data": data}, "id": call_id}


def _encode(document) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


# ---------------------------------------------------------------------------
# HTTP


_Answer = Reply


class _Backend:
    """Everything a request needs: state, recording and the API."""

    def __init__(self, profile: _Profile, host_count: int, config: _Config, http_basic) -> None:
        self.profile = profile
        self.fixture = _Fixture(profile, host_count)
        self.sessions = _Sessions()
        self.recorder = _Recorder()
        self.config = config
        self.events = _EventLog(profile, self.fixture)
        self.api = _ZabbixApi(profile, self.fixture, self.sessions, self.recorder, config, self.events)
        self._basic = None
        if http_basic is not None:
            user, password = http_basic
            self._basic = base64.b64encode(f"{user}:{password}".encode("utf-8")).decode("ascii")

    def _basic_ok(self, headers) -> bool:
        match = re.match(r"^Basic\s+(\S+)\s*$", headers.get("Authorization", "") or "", re.IGNORECASE)
        if not match:
            return False
        try:
            given = base64.b64decode(match.group(1), validate=True)
        except (binascii.Error, ValueError):
            return False
        return secrets.compare_digest(given, base64.b64decode(self._basic))

    def answer_api(self, headers, body: bytes) -> _Answer:
        """The answer to a request on an API path."""
        if self._basic is not None and not self._basic_ok(headers):
            return _Answer(401, "text/html; charset=iso-8859-1", _HTML_401,
                           (("WWW-Authenticate", 'Basic realm="Zabbix"'),))
        content_type = (headers.get("Content-Type", "") or "").split(";", 1)[0].strip().lower()
        if content_type not in CONTENT_TYPES:
            return _Answer(412, "text/html; charset=UTF-8", b"")
        try:
            return _Answer(200, "application/json", self.api.process(body, headers))
        except FrontendCrash:
            return _Answer(500, "text/html; charset=UTF-8", b"")

    def reset(self) -> None:
        """Back to the state right after start."""
        self.sessions.clear()
        self.config.restore()
        self.recorder.clear()
        self.events.reset()
        self.api.acknowledgements.reset()

    def stats(self) -> dict:
        """The recorded counters."""
        data = self.recorder.snapshot()
        data["active_sessions"] = self.sessions.count()
        data["version"] = self.profile.short
        data["api_version"] = self.profile.full
        return data


def _loads_or_none(body: bytes):
    try:
        return json.loads(body.decode("utf-8") or "null")
    except ValueError:
        return None


class ZabbixSimulator(HttpSimulator):
    """A Zabbix JSON-RPC API on a local port.

    ``version`` is one of ``VERSIONS``; ``latency`` seconds are slept before each API
    answer; ``hosts`` is the number of ``host-NNN`` fixture hosts; ``http_basic`` a
    ``(user, password)`` pair that every API request must present as HTTP Basic;
    ``slow_script_seconds`` how long the "Slow script" (id 20) runs.
    """

    server_version = "Apache/2.4.57"

    def __init__(self, version="6.0", latency=0.0, host="127.0.0.1", port=0, hosts=200,  # pylint: disable=too-many-arguments,too-many-positional-arguments
                 http_basic=None, *, slow_script_seconds=2.0) -> None:
        if isinstance(hosts, bool) or not isinstance(hosts, int) or hosts < 0:
            raise ValueError("hosts must be an integer >= 0")
        profile = _Profile(str(version))
        self._backend = _Backend(profile, hosts, _Config(latency, slow_script_seconds), http_basic)
        self.host = host
        self._requested_port = port
        self.thread_name = f"zabbix-sim-{self.version}"

    @property
    def version(self) -> str:
        """The simulated version, e.g. ``"6.0"``."""
        return self._backend.profile.short

    @property
    def api_version(self) -> str:
        """What ``apiinfo.version`` answers, e.g. ``"6.0.14"``."""
        return self._backend.profile.full

    @property
    def api_url(self) -> str:
        """The JSON-RPC endpoint, ``url + "/api_jsonrpc.php"``."""
        return self.url + API_PATHS[0]

    @property
    def requests(self) -> list:
        """The recorded API requests (``method``, ``path``, ``headers``, ``body``, ``raw``)."""
        return self._backend.recorder.requests()

    @property
    def config(self) -> dict:
        """The settings: ``latency``, ``slow_script_seconds`` and ``enable_global_scripts``."""
        return self._backend.config.snapshot()

    def reset(self) -> None:
        """Clear counters, recorded requests and sessions; restore the settings given at creation."""
        self._backend.reset()

    def expire_sessions(self) -> int:
        """End every session, as an expired session ends; returns how many there were."""
        return self._backend.sessions.clear()

    def configure(self, **changes) -> dict:
        """Change ``latency``, ``slow_script_seconds`` and/or ``enable_global_scripts``; returns the settings."""
        return self._backend.config.update(changes)

    def new_session(self, username: str = "Admin") -> str:
        """Open a session without calling ``user.login`` (not counted as a login)."""
        if username not in _USERS:
            raise ValueError(f"unknown user {username!r}")
        return self._backend.sessions.open(username)

    def stats(self) -> dict:
        """The recorded counters, JSON-serialisable."""
        return self._backend.stats()

    # -- what the HTTP layer calls ------------------------------------------------------------

    def connection_opened(self) -> None:
        """Count an accepted TCP connection."""
        self._backend.recorder.connection()

    # pylint: disable-next=too-many-arguments
    def raise_problem(self, host: str, name: str, severity: int = 3, tags=(), *, clock=None, suppressed=False,
                      visible=True) -> str:
        """A new problem event on the host with this technical name (a new trigger); its event id.

        ``clock``: its Unix time (default now); ``suppressed``: in a maintenance; ``visible=False``:
        not visible to ``event.get`` until ``publish``.
        """
        return self._backend.events.raise_problem(host, name, severity, tags, clock=clock, suppressed=suppressed,
                                                  visible=visible)["eventid"]

    def publish(self, eventid: str) -> str:
        """An event raised with ``visible=False`` becomes visible to ``event.get``; its event id."""
        return self._backend.events.publish(eventid)["eventid"]

    def recover(self, problem_eventid: str) -> str:
        """Resolve an open problem: a recovery event (value 0) follows; its event id."""
        return self._backend.events.recover(problem_eventid)["eventid"]

    def events(self) -> list:
        """Every event (fixture and raised), as event.get returns them with ``extend``."""
        return [{key: value for key, value in event.items() if not key.startswith("_")}
                for event in self._backend.events.all()]

    def acknowledgements(self, eventid: str) -> list:
        """What event.acknowledge wrote into an event, oldest first (``action``, ``message``, ``username``, ...)."""
        return self._backend.api.acknowledgements.written(eventid)

    def control_actions(self) -> dict:
        """``POST /_sim/expire_sessions``, ``POST /_sim/events``."""
        return {"expire_sessions": lambda _data: {"expired": self.expire_sessions()},
                "events": self._backend.events.control}

    @contextlib.contextmanager
    def exchange(self, request: Request):
        """Record an API request and count it in flight while it is answered."""
        recorder = self._backend.recorder
        if request.path not in API_PATHS:
            yield
            return
        recorder.request({"method": request.method, "path": request.path, "headers": request.headers,
                          "body": _loads_or_none(request.body), "raw": request.body.decode("utf-8", "replace")},
                         request.new_connection)
        with recorder.in_flight():
            yield

    def answer(self, request: Request) -> Reply:
        """The answer to a request outside ``/_sim/``."""
        if request.path not in API_PATHS:
            return _Answer(404, "text/html; charset=iso-8859-1", _HTML_404)
        answer = self._backend.answer_api(request.headers, request.body)
        # Recorded before the answer leaves, so that a client reading stats right after sees it.
        self._backend.recorder.status(answer.status)
        return answer


def main(argv=None) -> int:
    """Serve a simulator until SIGTERM or SIGINT."""
    parser = argument_parser("Zabbix JSON-RPC API simulator")
    parser.add_argument("--version", default="6.0", choices=sorted(VERSIONS), help="Zabbix version to simulate")
    parser.add_argument("--hosts", type=int, default=200, help="number of host-NNN fixture hosts")
    parser.add_argument("--slow-script-seconds", type=float, default=2.0, help="run time of the Slow script")
    parser.add_argument("--http-basic", metavar="USER:PASSWORD", help="require HTTP Basic on the API")
    args = parser.parse_args(argv)

    http_basic = tuple(args.http_basic.split(":", 1)) if args.http_basic else None
    if http_basic is not None and len(http_basic) != 2:
        parser.error("--http-basic takes USER:PASSWORD")
    simulator = ZabbixSimulator(args.version, args.latency, args.host, args.port, args.hosts, http_basic,
                                slow_script_seconds=args.slow_script_seconds)
    return serve(simulator, "ZABBIX_SIM_URL", args.port_file)


if __name__ == "__main__":
    sys.exit(main())
