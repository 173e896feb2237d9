"""The simulator's event.acknowledge and the acknowledgements event.get selects, per version family."""

import pytest

from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import ZabbixSimulator
from ansible_collections.scriptbridge.core.tests.unit.simulators.test_zabbix_sim import Client, error_of

OLD, NEW = ["5.0", "5.4", "6.0", "6.4"], ["7.0", "7.2", "7.4"]


@pytest.fixture(scope="module", name="sims")
def fixture_sims():
    started = dict((version, ZabbixSimulator(version, hosts=2).start()) for version in OLD + NEW)
    yield started
    for sim in started.values():
        sim.stop()


@pytest.fixture(name="zbx")
def fixture_zbx(sims, version):
    sim = sims[version]
    sim.reset()
    client = Client(sim)
    client.session = client.login()
    return client


def ack(zbx, **params):
    return zbx.authed("event.acknowledge", params, zbx.session)


def acknowledges(zbx, eventid, select="extend", key="select_acknowledges"):
    found = zbx.result("event.get", {"output": ["eventid", "acknowledged", "severity"], "eventids": [eventid],
                                     key: select}, zbx.session)
    return found[0]


@pytest.mark.parametrize("version", OLD + NEW)
def test_an_acknowledgement_with_a_message_is_written_once_and_read_back(zbx, version):
    assert ack(zbx, eventids=["1003", "1003"], action=6, message="ticket 7")["result"] == {"eventids": [1003]}
    assert ack(zbx, eventids="1003", action=6, message="ticket 8")["result"] == {"eventids": [1003]}
    event = acknowledges(zbx, "1003")
    assert event["acknowledged"] == "1"
    # the acknowledge bit of the second call changed nothing and is left out of its row
    rows = sorted(event["acknowledges"], key=lambda a: int(a["acknowledgeid"]))
    assert [(a["action"], a["message"]) for a in rows] == [("6", "ticket 7"), ("4", "ticket 8")]
    assert rows[0]["username"] == "Admin"
    # newest second first
    assert [int(a["clock"]) for a in event["acknowledges"]] == sorted((int(a["clock"]) for a in rows), reverse=True)
    assert ("eventid" in event["acknowledges"][0]) is (version in OLD)
    assert acknowledges(zbx, "1003", "count")["acknowledges"] == "2"
    assert [a["message"] for a in zbx.sim.acknowledgements("1003")] == ["ticket 7", "ticket 8"]


@pytest.mark.parametrize("version", OLD + NEW)
def test_refusals_shared_by_every_version(zbx, version):
    assert error_of(ack(zbx, eventids=["424242"], action=2)) == (
        -32500, "No permissions to referred object or it does not exist!")
    assert error_of(ack(zbx, eventids=["1003"], action=1)) == (
        -32500, "Cannot close problem: trigger does not allow manual closing.")
    assert error_of(ack(zbx, eventids=["1003"], action=18)) == (
        -32602, 'Incorrect value for field "action": value must be one of 2, 16.')
    assert error_of(ack(zbx, eventids=["1003"], action=4, message="")) == (
        -32602, 'Incorrect value for field "message": cannot be empty.')
    assert ack(zbx, eventids=["1003"], action=0)["result"] == {"eventids": [1003]}
    assert zbx.sim.acknowledgements("1003") == []


@pytest.mark.parametrize("version", OLD)
def test_the_60_family_checks_loosely(zbx, version):
    assert error_of(ack(zbx, action=2)) == (-32602, "Incorrect arguments passed to function.")
    assert error_of(ack(zbx, eventids=["1003"], action=32)) == (
        -32602, 'Incorrect value for field "action": unexpected value "32".')
    assert error_of(ack(zbx, eventids=["1003"], action=8)) == (
        -32602, 'Incorrect value for field "severity": unexpected value "".')
    code, data = error_of(ack(zbx, eventids=["1003"], action=4, message="m" * 2049))
    assert code == -32500 and data.endswith('- 2049 characters. Allowed length is 2048 characters.')
    assert "acknowledges" not in acknowledges(zbx, "1003", key="selectAcknowledges")


@pytest.mark.parametrize("version", NEW)
def test_the_70_family_validates_an_object(zbx, version):
    assert error_of(ack(zbx, action=2)) == (-32602, 'Invalid parameter "/": the parameter "eventids" is missing.')
    assert error_of(ack(zbx, eventids=["1003"], action=2, x=1)) == (
        -32602, 'Invalid parameter "/": unexpected parameter "x".')
    assert error_of(ack(zbx, eventids=["abc"], action=2)) == (
        -32602, 'Invalid parameter "/eventids/1": a number is expected.')
    assert error_of(ack(zbx, eventids=["1003"], action=4, message="m" * 2049)) == (
        -32602, 'Invalid parameter "/message": value is too long.')
    assert error_of(ack(zbx, eventids=["1003"], action=256)) == (
        -32602, 'Invalid parameter "/": the parameter "cause_eventid" is missing.')
    # the severity bit without a severity sets "not classified"
    assert ack(zbx, eventids=["1003"], action=8)["result"] == {"eventids": [1003]}
    assert acknowledges(zbx, "1003", ["action"], key="selectAcknowledges")["severity"] == "0"


@pytest.mark.parametrize("version", ["6.0", "7.0"])
def test_closing_where_the_trigger_allows_it_resolves_the_problem(zbx, version):
    assert ack(zbx, eventids=["1005"], action=1)["result"] == {"eventids": [1005]}
    problem = zbx.result("event.get", {"eventids": ["1005"], "selectRelatedObject": ["manual_close"]}, zbx.session)[0]
    assert problem["r_eventid"] != "0"
    assert problem["relatedObject"] == {"triggerid": problem["objectid"], "manual_close": "1"}
    assert error_of(ack(zbx, eventids=[problem["r_eventid"]], action=2))[0] == -32500
    # closing again changes nothing and writes no row
    ack(zbx, eventids=["1005"], action=1)
    assert [a["action"] for a in zbx.sim.acknowledgements("1005")] == ["1"]
