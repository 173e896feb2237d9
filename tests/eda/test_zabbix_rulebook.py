"""End to end: a new Zabbix problem through ansible-rulebook to exactly one CRM ticket.

The shipped rulebook ``zabbix_problem_ticket`` runs in ansible-rulebook against the
simulators. The source polls the Zabbix simulator through a fault-injecting proxy, so that
its connection can be lost while the playbooks reach Zabbix directly. A problem raised
before the start opens nothing; a new problem of severity 4 opens exactly one ticket and
runs the diagnostics script exactly once on its event, also after the source lost its
connection and its session and asked again; a problem below the severity and the
recovery open nothing; no credential appears in the output.
"""

import pytest

from ansible_collections.scriptbridge.core.tests.eda.eda_helpers import Rulebook, inventory, with_stop_rule
from ansible_collections.scriptbridge.core.tests.simulators.faults import FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import PASSWORD, USERNAME, SuperOfficeSimulator
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import ZabbixSimulator

ZABBIX_USER, ZABBIX_PASSWORD = "operator", "operator-pass"
EVENT_SCRIPT = "16"  # "Event echo", scope: manual event action


@pytest.fixture
def sims():
    with ZabbixSimulator("7.0", hosts=5) as zabbix, SuperOfficeSimulator(mode="onsite") as superoffice, \
            FaultProxy(zabbix.url) as proxy:
        superoffice.add_ticket_script()
        yield zabbix, superoffice, proxy


def hosts_inventory():
    """localhost, where the API calls run, and the Zabbix hosts the events name."""
    hosts = inventory()
    for number in range(1, 6):
        hosts["all"]["hosts"]["host-%03d" % number] = {"ansible_connection": "local"}
    return hosts


def test_a_new_problem_opens_exactly_one_ticket(sims, tmp_path):
    zabbix, superoffice, proxy = sims
    before = zabbix.raise_problem("host-001", "host-001: Raised before the start", 5)
    rulebook = Rulebook(
        tmp_path,
        with_stop_rule("zabbix_problem_ticket.yml", 'event.zabbix.name == "e2e: stop"'),
        {"ZABBIX_URL": proxy.url, "ZABBIX_USERNAME": ZABBIX_USER, "ZABBIX_PASSWORD": ZABBIX_PASSWORD,
         "ZABBIX_EVENTS_INTERVAL": 1, "ZABBIX_EVENTS_SEVERITY": 3,
         "problem_ticket_zabbix_script": "Event echo", "problem_ticket_crmscript_include_id": "problem_ticket"},
        hosts_inventory(),
        {"ZABBIX_URL": zabbix.url, "ZABBIX_USERNAME": ZABBIX_USER, "ZABBIX_PASSWORD": ZABBIX_PASSWORD,
         "SUPEROFFICE_URL": superoffice.url, "SUPEROFFICE_USERNAME": USERNAME, "SUPEROFFICE_PASSWORD": PASSWORD},
    ).start()
    try:
        assert rulebook.wait_for(r"zabbix_events starts after event (\d+)").group(1) == before
        rulebook.wait_for(r"Waiting for events")
        problem = zabbix.raise_problem("host-002", "host-002: Disk space is low", 4,
                                       [{"tag": "service", "value": "web"}])
        zabbix.raise_problem("host-003", "host-003: Below the severity", 2)
        zabbix.recover(problem)
        rulebook.wait_until(lambda: superoffice.tickets, "a ticket", timeout=120)

        # The source loses its connection, then its session, and asks again for the same events.
        proxy.down()
        rulebook.wait_for(r"Polling Zabbix failed \(server_unreachable\)")
        proxy.up()
        rulebook.wait_for(r"zabbix_events connected to Zabbix again")
        logins = zabbix.stats()["logins"]
        zabbix.expire_sessions()
        rulebook.wait_until(lambda: zabbix.stats()["logins"] > logins, "a new login of the source")

        zabbix.raise_problem("host-004", "e2e: stop", 5)
        rc, seconds = rulebook.finish()
    finally:
        rulebook.stop()
    print(rulebook.output)
    print("zabbix_problem_ticket end to end: %.1f s" % seconds)
    assert rc == 0, rulebook.output

    tickets = superoffice.tickets
    assert [(t["event_id"], len(t["messages"])) for t in tickets] == [(problem, 1)], tickets
    assert tickets[0]["messages"][0]["host"] == "host-002"
    runs = [e for e in zabbix.stats()["executions"] if e["scriptid"] == EVENT_SCRIPT]
    assert [run["eventid"] for run in runs] == [problem], runs
    assert rulebook.output.count("Emitted Zabbix problem event %s" % problem) == 1
    assert "Emitted Zabbix problem event %s" % before not in rulebook.output
    for secret in (ZABBIX_PASSWORD, PASSWORD):
        assert secret not in rulebook.output
