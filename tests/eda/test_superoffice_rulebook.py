"""End to end: SuperOffice webhook deliveries through ansible-rulebook to Zabbix and back to the CRM.

The shipped rulebook ``superoffice_ticket_remediation`` runs in ansible-rulebook against the
simulators: a signed ``ticket.created`` delivery, sent twice as SuperOffice retries it, runs
the Zabbix script the TicketSave handlers name exactly once per host and reports the outcome
to the CRM exactly once (after the intent in the CRM's ledger); the test ping, a bad signature, an unsigned and a malformed request
emit nothing; no secret appears in the output.
"""

import json

import pytest

from ansible_collections.scriptbridge.core.tests.eda.eda_helpers import Rulebook, deliver, delivery, inventory, with_stop_rule
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import PASSWORD, USERNAME, SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

SECRET = "so-webhook-7c1e4b9a2d"
REPORT_SCRIPT_ID = 9
HOSTS = ["host-001", "host-002"]


@pytest.fixture
def sims():
    with ZabbixSimulator("7.0", hosts=5) as zabbix, SuperOfficeSimulator(mode="onsite") as superoffice:
        yield zabbix, superoffice


def test_a_signed_delivery_sent_twice_remediates_once_and_reports(sims, tmp_path):
    zabbix, superoffice = sims
    rulebook = Rulebook(
        tmp_path,
        with_stop_rule("superoffice_ticket_remediation.yml", 'event.superoffice.event == "e2e.stop"'),
        {"SUPEROFFICE_WEBHOOK_HOST": "127.0.0.1", "SUPEROFFICE_WEBHOOK_PORT": 0, "SUPEROFFICE_WEBHOOK_SECRET": SECRET,
         "remediation_report_script_id": REPORT_SCRIPT_ID, "remediation_allowed_scripts": ["Echo host"]},
        inventory(),
        {"ZABBIX_URL": zabbix.url, "ZABBIX_API_TOKEN": API_TOKEN,
         "SUPEROFFICE_URL": superoffice.url, "SUPEROFFICE_USERNAME": USERNAME, "SUPEROFFICE_PASSWORD": PASSWORD},
    ).start()
    try:
        port = rulebook.wait_for(r"superoffice_webhook listening on http://127\.0\.0\.1:(\d+)").group(1)
        rulebook.wait_for(r"Waiting for events")
        url = "http://127.0.0.1:%s/superoffice" % port
        ticket = delivery("ticket.created", 4711, {"zabbix.script": "Echo host", "zabbix.hosts": ", ".join(HOSTS)})

        answers = [
            deliver(url, delivery("test", 0, entity="test"), SECRET),
            deliver(url, ticket, "not-the-secret"),
            deliver(url, ticket),
            deliver(url, ticket, SECRET, body=b'{"Event": "ticket.created", '),
            deliver(url, ticket, SECRET),
            deliver(url, ticket, SECRET, retry=1),
        ]
        assert [answer[0] for answer in answers] == [200, 401, 401, 400, 200, 200], answers
        assert json.loads(answers[4][1])["status"] == "accepted"
        assert json.loads(answers[5][1])["status"] == "duplicate"

        # The stop event queues behind the remediation: the run ends once that is done.
        assert deliver(url, delivery("e2e.stop", 0, entity="e2e"), SECRET)[0] == 200
        rc, seconds = rulebook.finish()
    finally:
        rulebook.stop()
    print(rulebook.output)
    print("superoffice_ticket_remediation end to end: %.1f s" % seconds)
    assert rc == 0, rulebook.output

    executions = zabbix.stats()["executions"]
    by_host = {}
    for execution in executions:
        by_host[execution["hostid"]] = by_host.get(execution["hostid"], 0) + 1
    assert len(executions) == 2 and sorted(by_host.values()) == [1, 1], executions
    # The ledger in the CRM: the intent (status started) before the script, then the one report, both keyed by the
    # event's meta.uuid.
    reports = superoffice.stats()["reports"]
    assert [r["status"] for r in reports] == ["started", "succeeded"], reports
    assert reports[1]["hosts"] == ",".join(HOSTS) and reports[0]["key"] == reports[1]["key"], reports
    assert superoffice.ledger == {reports[0]["key"]: {"state": "reported", "status": "succeeded", "reports": 1}}
    handler_runs = [e for e in superoffice.stats()["executions"] if e["kind"] == "event_handlers"]
    assert len(handler_runs) == 1, handler_runs
    for secret in (SECRET, API_TOKEN, PASSWORD):
        assert secret not in rulebook.output
