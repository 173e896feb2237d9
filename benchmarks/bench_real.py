# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fan-out benchmark against a real Zabbix server (``benchmarks/fanout.py --real URL``).

The server gets, through its API, a host group ``scriptbridge benchmark``,
hosts ``sb-bench-NNNN`` in it whose agent interface is 127.0.0.1:10050 (the
local agent, as in tests/real_zabbix), and an agent script
``scriptbridge benchmark echo`` (``echo ok``, manual host action, limited to
that group). New hosts reach the server's configuration cache at its next
sync; ``--real-reload`` asks for one at once, then the benchmark waits until
the last host runs the script. Everything it created is deleted at the end
unless ``--real-keep`` is given.
"""

import json
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from bench_fanout import a_figures, a_playbook_vars, b_figures, b_playbook_vars, cold_start
from bench_runs import BenchmarkError, median, run_playbook

GROUP = "scriptbridge benchmark"
SCRIPT = "scriptbridge benchmark echo"
SLEEP_SCRIPT = "scriptbridge benchmark server sleep"
HOST_PREFIX = "sb-bench-"
AGENT = {"type": 1, "main": 1, "useip": 1, "ip": "127.0.0.1", "dns": "", "port": "10050"}
LATENCY_SAMPLES = 20


def endpoint(url):
    url = url.rstrip("/")
    return url if url.endswith("/api_jsonrpc.php") else url + "/api_jsonrpc.php"


class Api:
    """A minimal JSON-RPC client for setting the server up (not what is measured)."""

    def __init__(self, url):
        self.url = endpoint(url)
        self.version = None
        self.session = None
        self._id = 0
        self._lock = threading.Lock()

    @property
    def header_auth(self):
        return self.version >= (6, 4)

    def call(self, method, params, auth=True):
        with self._lock:
            self._id += 1
            body = {"jsonrpc": "2.0", "method": method, "params": params, "id": self._id}
        headers = {"Content-Type": "application/json-rpc"}
        if auth and self.session:
            if self.header_auth:
                headers["Authorization"] = "Bearer %s" % self.session
            else:
                body["auth"] = self.session
        request = urllib.request.Request(self.url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                reply = json.load(answer)
        except (urllib.error.URLError, OSError) as exc:
            raise BenchmarkError("cannot reach %s: %s (is the stack up? tests/real_zabbix/zabbix-stack.sh status)"
                                 % (self.url, exc))
        if "error" in reply:
            raise ApiError(method, reply["error"])
        return reply["result"]

    def open(self, username, password):
        text = self.call("apiinfo.version", [], auth=False)
        self.version = tuple(int(p) for p in re.findall(r"\d+", text)[:2])
        user_key = "username" if self.version >= (5, 4) else "user"
        self.session = self.call("user.login", {user_key: username, "password": password}, auth=False)
        return text

    def close(self):
        if self.session:
            try:
                self.call("user.logout", [])
            finally:
                self.session = None


class ApiError(BenchmarkError):
    def __init__(self, method, error):
        super(ApiError, self).__init__("%s: %s %s" % (method, error.get("message"), error.get("data")))
        self.error = error


def host_names(count):
    return ["%s%04d" % (HOST_PREFIX, k) for k in range(1, count + 1)]


def set_up(api, count, say):
    """The group, ``count`` hosts and the script; returns (groupid, scriptid, [(hostid, name)])."""
    groups = api.call("hostgroup.get", {"output": ["groupid"], "filter": {"name": [GROUP]}})
    groupid = groups[0]["groupid"] if groups else api.call("hostgroup.create", {"name": GROUP})["groupids"][0]
    names = host_names(count)
    found = dict((h["host"], h["hostid"]) for h in api.call(
        "host.get", {"output": ["hostid", "host"], "filter": {"host": names}}))
    missing = [n for n in names if n not in found]
    if missing:
        say("creating %d hosts on the real server" % len(missing))
        created = api.call("host.create", [{"host": n, "groups": [{"groupid": groupid}], "interfaces": [dict(AGENT)]}
                                           for n in missing])["hostids"]
        found.update(zip(missing, created))
    scripts = api.call("script.get", {"output": ["scriptid"], "filter": {"name": [SCRIPT]}})
    if scripts:
        scriptid = scripts[0]["scriptid"]
    else:
        script = {"name": SCRIPT, "type": 0, "execute_on": 0, "command": "echo ok", "groupid": groupid}
        if api.version >= (5, 4):
            script["scope"] = 2
        scriptid = api.call("script.create", script)["scriptids"][0]
    return groupid, scriptid, [(found[n], n) for n in names], bool(missing)


def server_script(api, groupid, name, command):
    """A script the Zabbix server runs itself (in the trapper that got the call)."""
    found = api.call("script.get", {"output": ["scriptid"], "filter": {"name": [name]}})
    if found:
        return found[0]["scriptid"]
    script = {"name": name, "type": 0, "execute_on": 1, "command": command, "groupid": groupid}
    if api.version >= (5, 4):
        script["scope"] = 2
    return api.call("script.create", script)["scriptids"][0]


def _timed_call(api, scriptid, hostid, started, ended):
    api.call("script.execute", {"scriptid": scriptid, "hostid": hostid})
    ended.append(time.monotonic() - started)


def trapper_queue(api, groupid, hostids, trappers, say):
    """K server scripts of 1 s each at once, for K around the number of trappers.

    Each call holds a trapper while its script runs; calls beyond the free
    trappers wait for one, so they end a second later.
    """
    sleeper = server_script(api, groupid, SLEEP_SCRIPT, "sleep 1; echo ok")
    results = {}
    try:
        for count in sorted(set((1, max(1, trappers - 1), trappers, trappers + 1, 2 * trappers))):
            say("real trapper queue: %d server scripts of 1 s at once" % count)
            ended = []
            started = time.monotonic()
            callers = [threading.Thread(target=_timed_call, args=(api, sleeper, hostids[i % len(hostids)], started, ended))
                       for i in range(count)]
            for caller in callers:
                caller.start()
            for caller in callers:
                caller.join()
            if len(ended) != count:
                raise BenchmarkError("%d of %d parallel server scripts failed" % (count - len(ended), count))
            results[count] = sorted(ended)
    finally:
        api.call("script.delete", [sleeper])
    return results


def tear_down(api, groupid, scriptid, hosts):
    api.call("script.delete", [scriptid])
    ids = [h for h, _n in hosts]
    for start in range(0, len(ids), 200):
        api.call("host.delete", ids[start:start + 200])
    api.call("hostgroup.delete", [groupid])


def wait_until_known(api, scriptid, hostid, reload_command, say, timeout=120):
    """New hosts reach the server at its next configuration sync; ask for one and wait."""
    if reload_command:
        say("asking the server to reload its configuration: %s" % reload_command)
        subprocess.run(reload_command, shell=True, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while True:
        try:
            api.call("script.execute", {"scriptid": scriptid, "hostid": hostid})
            return
        except ApiError as exc:
            if time.monotonic() > deadline:
                raise BenchmarkError("the server did not learn the new hosts within %d s: %s" % (timeout, exc))
            time.sleep(0.5)


def call_latency(api, scriptid, hostid):
    """How long one script.execute takes on its own (median)."""
    samples = []
    for _index in range(LATENCY_SAMPLES):
        started = time.monotonic()
        api.call("script.execute", {"scriptid": scriptid, "hostid": hostid})
        samples.append(time.monotonic() - started)
    return statistics.median(samples)


def raw_fanout(api, scriptid, hostids, concurrency):
    """The server's own pace: the same calls from a bare client, logged in already, no Ansible.

    ``concurrency`` threads send ``script.execute`` over plain urllib; the time
    is what the server (and the network) need for these calls at this
    concurrency, whatever the client.
    """
    failures = []

    def run(hostid):
        try:
            api.call("script.execute", {"scriptid": scriptid, "hostid": hostid})
        except BenchmarkError as exc:
            failures.append(str(exc))

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(run, hostids))
    seconds = time.monotonic() - started
    if failures:
        raise BenchmarkError("the bare client failed on %d hosts: %s" % (len(failures), failures[0]))
    return seconds


def stack_of(version):
    """The state directory and the reload argument of the tests/real_zabbix server of that version."""
    if version >= (7, 0):
        return os.environ.get("ZBX70_STATE_DIR", "/tmp/scriptbridge-zabbix70"), "7.0"
    return os.environ.get("ZBX_STATE_DIR", "/tmp/scriptbridge-zabbix"), "6.0"


def read_trappers(state_dir):
    """StartTrappers of the tests/real_zabbix server: its config file, else ZBX_TRAPPERS."""
    try:
        with open(os.path.join(state_dir, "zabbix_server.conf")) as handle:
            match = re.search(r"^StartTrappers=(\d+)", handle.read(), re.M)
        if match:
            return int(match.group(1))
    except OSError:
        pass
    return int(os.environ["ZBX_TRAPPERS"]) if os.environ.get("ZBX_TRAPPERS", "").isdigit() else None


def run_a(workdir, url, credentials, hosts, concurrency, label, fail_on_error=True):
    variables = a_playbook_vars(url, credentials, SCRIPT, [n for _h, n in hosts], concurrency, fail_on_error)
    entries, wall = run_playbook(workdir, "fanout_module.yml", variables, label)
    return a_figures(entries, wall, len(hosts), None, fail_on_error)


def real_runs(args, workdir, say):
    api = Api(args.real)
    version_text = api.open(args.real_username, args.real_password)
    credentials = {"zabbix_username": args.real_username, "zabbix_password": args.real_password}
    state_dir, stack_version = stack_of(api.version)
    reload_command = args.real_reload
    if reload_command and reload_command.endswith("zabbix-stack.sh reload"):
        # the stack script's reload asks the server of that version
        reload_command += " " + stack_version
    trappers = args.real_trappers or read_trappers(state_dir) or 5
    concurrency = args.real_concurrency or trappers
    sweep_n = max(args.real_sizes)
    say("real Zabbix %s at %s: %d trappers, concurrency %d" % (version_text, api.url, trappers, concurrency))
    groupid = scriptid = None
    hosts = []
    try:
        groupid, scriptid, hosts, created = set_up(api, sweep_n, say)
        wait_until_known(api, scriptid, hosts[-1][0], reload_command if created else None, say)
        latency = call_latency(api, scriptid, hosts[0][0])
        real = {"settings": {"url": args.real, "version": version_text, "concurrency": concurrency, "trappers": trappers,
                             "latency": latency, "latency_samples": LATENCY_SAMPLES, "repeat": args.repeat,
                             "sizes": args.real_sizes, "sweep_n": sweep_n},
                "sizes": {}, "sweep": {}}
        starts = []
        for n in sorted(args.real_sizes):
            row = {"a": []}
            for rep in range(args.repeat):
                say("real A  N=%-4d run %d/%d" % (n, rep + 1, args.repeat))
                # The floor of this run, measured right before it: one module start and the bare client's pace.
                start = cold_start(workdir, "real-a-%d-%d-start" % (n, rep))["zabbix"]
                starts.append(start)
                paced = raw_fanout(api, scriptid, [h for h, _n in hosts[:n]], concurrency)
                run = run_a(workdir, args.real, credentials, hosts[:n], concurrency, "real-a-%d-%d" % (n, rep))
                run.update(module_start=start, paced=paced)
                row["a"].append(run)
            say("real B  N=%-4d" % n)
            variables = b_playbook_vars(args.real, credentials, scriptid, [h for h, _n in hosts[:n]], api.header_auth)
            entries, wall = run_playbook(workdir, "fanout_uri.yml", variables, "real-b-%d" % n)
            row["b"] = b_figures(entries, wall, n, None)
            real["sizes"][n] = row
        real["module_start"] = median(starts)
        if args.real_queue:
            real["queue"] = trapper_queue(api, groupid, [h for h, _n in hosts], trappers, say)
        for c in args.real_sweep:
            say("real A  N=%d concurrency %d" % (sweep_n, c))
            paced = raw_fanout(api, scriptid, [h for h, _n in hosts], c)
            real["sweep"][c] = run_a(workdir, args.real, credentials, hosts, c, "real-sweep-%d" % c, fail_on_error=False)
            real["sweep"][c]["paced"] = paced
        return real
    finally:
        try:
            if hosts and not args.real_keep:
                tear_down(api, groupid, scriptid, hosts)
        finally:
            api.close()
