"""Run ansible-rulebook with a rulebook of the collection, and send what SuperOffice sends.

``Rulebook`` starts ``ansible-rulebook`` from the rulebook virtualenv (``.venvs/rulebook``,
made by ``tests/ci/rulebook_venv.sh``) on a copy of a shipped rulebook whose sources and
rules are kept as they are; one rule is put in front that shuts the rulebook down when a
stop event arrives, so that each run ends by itself once the work before it is done (the
actions run one after another). It runs at ``-vv`` (debug), so that the tests' checks
for secrets see everything ansible-rulebook and the sources log. Output is collected as it
comes; ``wait_for`` blocks until a line matches.

``deliver`` posts a SuperOffice webhook delivery signed as SuperOffice signs it: the
``X-SuperOffice-Signature`` header is the base64 HMAC-SHA256 of the raw body, keyed with the
webhook's secret, plus the ``X-SuperOffice-Event``/``-EventId``/``-Retry`` headers.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULEBOOKS = ROOT / "extensions" / "eda" / "rulebooks"
VENV = Path(os.environ.get("RULEBOOK_VENV", ROOT / ".venvs" / "rulebook"))
COLLECTIONS = ROOT / "build" / "collections"


def signature(secret, body):
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def delivery(event, primary_key, field_values=None, event_id=None, entity=None):
    """A webhook body in the documented shape."""
    return {
        "EventId": event_id or str(uuid.uuid4()), "Timestamp": "2026-12-03T10:48:07.89Z",
        "Changes": sorted(field_values or {}), "Event": event, "PrimaryKey": primary_key,
        "Entity": entity or event.split(".", 1)[0], "ContextIdentifier": "Cust12345",
        "ChangedByAssociateId": 5, "WebhookName": "Remediation", "FieldValues": field_values or {},
    }


def deliver(url, payload, secret=None, retry=0, body=None, signature_value=None):
    """POST one delivery; returns (status, answer text)."""
    body = body if body is not None else json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "NetServer-Webhook/10.3",
               "X-SuperOffice-Event": str(payload.get("Event")), "X-SuperOffice-EventId": str(payload.get("EventId")),
               "X-SuperOffice-Retry": str(retry)}
    if signature_value is not None:
        headers["X-SuperOffice-Signature"] = signature_value
    elif secret is not None:
        headers["X-SuperOffice-Signature"] = signature(secret, body)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def with_stop_rule(name, condition):
    """The shipped rulebook with a first rule that shuts it down on ``condition``."""
    rulebook = yaml.safe_load((RULEBOOKS / name).read_text(encoding="utf-8"))
    for ruleset in rulebook:
        ruleset["rules"].insert(0, {"name": "Stop the test run", "condition": condition,
                                    "action": {"shutdown": {"delay": 0, "message": "test run done"}}})
    return rulebook


# The environment variable that marks the processes of one Rulebook run.
MARKER = "SCRIPTBRIDGE_EDA_TEST_RUN"


class Rulebook:
    """One ansible-rulebook process; its output lines as they come."""

    def __init__(self, tmp, rulebook, variables, inventory, env):
        self.tmp = Path(tmp)
        (self.tmp / "rulebook.yml").write_text(yaml.safe_dump(rulebook, sort_keys=False), encoding="utf-8")
        (self.tmp / "vars.yml").write_text(yaml.safe_dump(variables), encoding="utf-8")
        (self.tmp / "inventory.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
        self.env = dict(os.environ)
        self.env.update({"PATH": "%s:%s" % (VENV / "bin", os.environ.get("PATH", "")),
                         "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS), "ANSIBLE_NOCOLOR": "1",
                         "ANSIBLE_HOME": str(self.tmp / "ansible-home"), "PYTHONUNBUFFERED": "1"})
        self.env.update(env)
        # Every process this run starts inherits the marker, also the playbooks ansible-runner starts in a
        # session of their own (a pty): kill() and stop() find them by it.
        self.marker = "%s=%s" % (MARKER, uuid.uuid4().hex)
        self.env[MARKER] = self.marker.split("=", 1)[1]
        self.lines = []
        self.timed = []
        self.proc = None
        self.started = None
        self._reader = None

    def start(self):
        argv = [str(VENV / "bin" / "ansible-rulebook"), "--rulebook", "rulebook.yml", "-i", "inventory.yml",
                "--vars", "vars.yml", "--shutdown-delay", "5", "-vv"]
        self.started = time.monotonic()
        # A session of its own: kill() ends it with every playbook it started, as a stopped container does.
        self.proc = subprocess.Popen(argv, cwd=str(self.tmp), env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self):
        for line in self.proc.stdout:
            self.timed.append((time.time(), line.rstrip("\n")))
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self):
        return "\n".join(self.lines)

    def wait_for(self, pattern, timeout=90):
        """The first match of ``pattern`` in the output; fails when the process ends or time is up."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = regex.search(line)
                if match:
                    return match
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise AssertionError("ansible-rulebook ended (rc %s) before %r:\n%s"
                                     % (self.proc.returncode, pattern, self.output))
            time.sleep(0.1)
        raise AssertionError("no %r within %d s:\n%s" % (pattern, timeout, self.output))

    def wait_until(self, check, what, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError("%s did not happen:\n%s" % (what, self.output))

    def finish(self, timeout=120):
        """Wait for the process to end by itself; returns (rc, seconds since start)."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError("ansible-rulebook did not stop by itself:\n%s" % self.output)
        self._reader.join(timeout=10)
        return self.proc.returncode, time.monotonic() - self.started

    def kill(self):
        """SIGKILL to ansible-rulebook and everything it started, as a stopped container ends them all;
        returns when they are gone."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=60)
        kill_marked(self.marker)
        self._reader.join(timeout=30)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            # A playbook left behind by the run would go on using the machine after the test.
            kill_marked(self.marker)


def marked(marker):
    """The ids of the processes whose environment holds ``marker`` (NAME=value)."""
    needle = marker.encode("utf-8")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_marked(marker, timeout=30):
    """SIGKILL every process that carries ``marker`` until none is left (a dying parent may fork once more)."""
    deadline = time.monotonic() + timeout
    while True:
        pids = marked(marker)
        if not pids:
            return
        if time.monotonic() > deadline:
            raise AssertionError("processes of the test run outlived SIGKILL: %s" % pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def inventory():
    """localhost (the API modules run there) with the interpreter of the playbook."""
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    return {"all": {"hosts": {"localhost": dict(local)}}}


def _main():
    import argparse

    parser = argparse.ArgumentParser(description="Send one SuperOffice webhook delivery, signed as SuperOffice signs it.")
    parser.add_argument("url", help="the listener, e.g. http://127.0.0.1:5000/")
    parser.add_argument("--secret", help="the webhook's secret (default: $SUPEROFFICE_WEBHOOK_SECRET)",
                        default=os.environ.get("SUPEROFFICE_WEBHOOK_SECRET"))
    parser.add_argument("--event", default="ticket.created")
    parser.add_argument("--primary-key", type=int, default=1)
    parser.add_argument("--event-id", help="repeat one to see a redelivery dropped")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE", help="a FieldValues entry")
    parser.add_argument("--retry", type=int, default=0, help="X-SuperOffice-Retry")
    options = parser.parse_args()
    fields = dict(item.split("=", 1) for item in options.field)
    payload = delivery(options.event, options.primary_key, fields, event_id=options.event_id)
    status, text = deliver(options.url, payload, options.secret, retry=options.retry)
    print("%d %s" % (status, text))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(_main())
