"""Run the demo: start both bundled simulators, run the demo plays one by one, say what happened.

Usage (from the repository root): ``make demo``, which links the working tree as
``build/collections/ansible_collections/scriptbridge/core`` and runs this file with
``build/collections`` on ``PYTHONPATH``.

Each play of ``demo/remediation.yml`` runs on its own (``--tags``), with both
simulators reset before, so that what the servers received is told step by
step. The full Ansible output goes to ``build/demo/ansible.log``.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    # The simulators live with the tests; their credentials are module constants.
    from ansible_collections.scriptbridge.core.tests.simulators import superoffice_sim as SUPEROFFICE_SIM
    from ansible_collections.scriptbridge.core.tests.simulators import zabbix_sim as ZABBIX_SIM
    from ansible_collections.scriptbridge.core.tests.simulators.launcher import SimulatorError, SimulatorProcess
except ImportError as error:
    raise SystemExit("The collection is not importable (%s): run 'make demo' from the repository root." % error)

ROOT = Path(__file__).resolve().parents[1]
COLLECTIONS = ROOT / "build" / "collections"
CALLBACKS = ROOT / "tests" / "playbook" / "callback_plugins"
LOG = ROOT / "build" / "demo" / "ansible.log"
BIN = Path(sys.executable).parent

REPORT_SCRIPT = "Remediation report (CRMScript 9)"
STEPS = (
    ("blocked", "A sale of 50 is saved; the SalesBeforeSaveSale handler checks the amount."),
    ("nothing_to_do", "Ticket 4711 is saved without asking for anything."),
    ("remediation", "Ticket 4712 is saved, asking to run 'Echo host' on host-001, host-002 and host-003."),
    ("failure", "Ticket 4713 is saved, asking to run 'Server failure' on host-004 and host-005."),
    ("problem_ticket", "Zabbix has two problems on host-001 (events 1003 and 1004); each should reach the CRM\n"
                       "   (the bundled CRM has no ticket script: 'Echo parameters' stands in for one)."),
)


def host_name(hostid):
    """The fixture host behind a Zabbix host id (see tests/simulators/zabbix_sim.py)."""
    special = {"10084": "Zabbix server", "10500": "no-agent"}
    return special.get(str(hostid)) or "host-%03d" % (int(hostid) - 20000)


def run_step(tag, env):
    """Run one play; return its exit code and the outcome variable it showed."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        step_env = dict(env, SCRIPTBRIDGE_RESULT_LOG=str(results))
        with LOG.open("a") as log:
            log.write("\n===== ansible-playbook demo/remediation.yml --tags %s\n" % tag)
            log.flush()
            play = subprocess.run(
                [str(BIN / "ansible-playbook"), "-i", str(ROOT / "demo" / "inventory.yml"),
                 str(ROOT / "demo" / "remediation.yml"), "--tags", tag],
                env=step_env, stdout=log, stderr=subprocess.STDOUT, check=False,
            )
        outcome = {}
        if results.exists():
            for line in results.read_text().splitlines():
                entry = json.loads(line)
                if entry["task"] == "Show the outcome":
                    result = entry["result"]
                    outcome = result.get("event_remediation_result") or result.get("problem_ticket_result") or {}
    return play.returncode, outcome


def say(text, indent=3):
    print(" " * indent + text)


def tell_handlers(so_seen):
    for run in (e for e in so_seen["executions"] if e["kind"] == "event_handlers"):
        say("CRM: the %s event handlers ran with %s." % (run["event_type"], ", ".join(
            "%s=%s" % item for item in sorted(run["input_values"].items()))))


def tell_zabbix(zbx_seen, outcome):
    runs = zbx_seen["executions"]
    if not runs:
        say("Zabbix: no script ran%s." % (" (the server received no API call at all)" if not zbx_seen["requests"] else
                                          " (API calls: %s)" % ", ".join(sorted(zbx_seen["methods"]))))
        return
    # Targets run side by side, so the server sees them in any order: tell them sorted.
    targets = sorted("event %s" % r["eventid"] if r.get("eventid") else host_name(r["hostid"]) for r in runs)
    names = sorted(set(r["scriptid"] for r in runs))
    counted = sorted(set(targets))
    if len(counted) == len(targets):
        where = "once on each of %s" % ", ".join(counted)
    else:
        where = "on %s" % ", ".join("%s (%d times)" % (t, targets.count(t)) for t in counted)
    say("Zabbix: script %s (%s) ran %d times, %s." % (", ".join(names), outcome.get("script") or "?", len(runs), where))


def tell_reports(so_seen):
    reports = so_seen["reports"]
    if not reports:
        say("CRM: no report was written.")
    for report in reports:
        say("CRM: %s recorded status=%s, message=%r, script=%r, hosts=%r, and per host:" % (
            REPORT_SCRIPT, report.get("status"), report.get("message"), report.get("script"), report.get("hosts")))
        entries = json.loads(report.get("results") or "[]")
        for entry in entries:
            say("%-9s %-6s %s" % (entry["host"], "FAILED" if entry["failed"] else "ok",
                                  (entry.get("value") or "").splitlines()[0] if entry.get("value") else ""), indent=8)
        if not entries:
            say("(no host results)", indent=8)


def tell_tickets(so_seen, outcome):
    for run in (e for e in so_seen["executions"] if e["kind"] == "script"):
        params = run["parameters"]
        say("CRM: CRMScript '%s' received event %s on %s (category %s, failed=%s): %r" % (
            run["name"], params.get("event_id"), params.get("host"), params.get("category"),
            params.get("failed"), params.get("output")))
    say("Role outcome: %s. %s" % (outcome.get("status", "?"), outcome.get("msg", "")))


def main():
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")
    try:
        with SimulatorProcess("zabbix", "--version", "7.0", "--hosts", "20") as zabbix, \
                SimulatorProcess("superoffice", "--mode", "onsite") as superoffice:
            return demonstrate(zabbix, superoffice)
    except SimulatorError as error:
        raise SystemExit("A simulator did not start: %s" % error) from None


def demonstrate(zabbix, superoffice):
    """Run the steps against the running simulators; returns the exit code."""
    zabbix_url, superoffice_url = zabbix.url, superoffice.url
    print("Started a simulated Zabbix 7.0 API at %s" % zabbix_url)
    print("Started a simulated SuperOffice CRM at %s\n" % superoffice_url, flush=True)
    env = dict(
        os.environ,
        ZABBIX_URL=zabbix_url, ZABBIX_API_TOKEN=ZABBIX_SIM.API_TOKEN,
        SUPEROFFICE_URL=superoffice_url, SUPEROFFICE_USERNAME=SUPEROFFICE_SIM.USERNAME,
        SUPEROFFICE_PASSWORD=SUPEROFFICE_SIM.PASSWORD,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS), ANSIBLE_CALLBACKS_ENABLED="result_log",
        ANSIBLE_CALLBACK_RESULT_FORMAT="yaml",
    )
    failures = 0
    for number, (tag, story) in enumerate(STEPS, 1):
        zabbix.reset()
        superoffice.reset()
        print("%d. %s" % (number, story))
        returncode, outcome = run_step(tag, env)
        zbx_seen = zabbix.stats()
        so_seen = superoffice.stats()
        if tag == "problem_ticket":
            tell_zabbix(zbx_seen, outcome)
            tell_tickets(so_seen, outcome)
        else:
            tell_handlers(so_seen)
            if outcome.get("blocked"):
                say("CRM: a handler BLOCKED the event: %r." % outcome.get("message"))
            elif outcome.get("script"):
                say("CRM: the handlers answered %r and asked for %s on %s." % (
                    outcome.get("message"), outcome["script"], ", ".join(outcome["hosts"])))
            else:
                say("CRM: the handlers asked for no Zabbix script.")
            tell_zabbix(zbx_seen, outcome)
            tell_reports(so_seen)
            say("Role outcome: %s. %s" % (outcome.get("status", "?"), outcome.get("msg", "")))
        if returncode != 0:
            failures += 1
            say("The play FAILED (exit code %d); see %s" % (returncode, LOG.relative_to(ROOT)))
        print(flush=True)
    print("Ansible's own output: %s" % LOG.relative_to(ROOT))
    print("Demo %s." % ("finished" if not failures else "FAILED (%d of %d plays failed)" % (failures, len(STEPS))))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
