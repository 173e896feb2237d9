"""zabbix_event_acknowledge through real ansible-playbook runs, against the simulator in every version mode.

Each version runs two plays. The first wraps every scenario in a reset of the
simulator before and a read of its statistics after; the second runs without
resets, so that a task finds what the tasks before it wrote (the ``once``
marker, a closed problem).
"""

import pytest

from ansible_collections.scriptbridge.core.tests.playbook.ansible_runner_helpers import run_play
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

MODULE = "scriptbridge.core.zabbix_event_acknowledge"
VERSIONS = ["5.0", "5.4", "6.0", "6.4", "7.0", "7.2", "7.4"]
USER = {"username": "operator", "password": "operator-pass"}
MARKER = "scriptbridge:1003"


def scenarios(version):
    """(name, module args, check mode) of the first play."""
    auth = {"api_token": API_TOKEN} if version >= "5.4" else USER
    return [
        ("acknowledge with a message", dict(auth, eventids=["1004", "1003"], message="SuperOffice ticket 7"), False),
        ("once, first time", dict(auth, eventids=["1003"], message="SuperOffice ticket 7", once=MARKER), False),
        ("check mode", dict(auth, eventids=["1003", "1001"], message="SuperOffice ticket 7", once=MARKER), True),
        ("comment only", dict(USER, eventids=["1001"], message="Watching.", acknowledge=False), False),
        ("severity", dict(auth, eventids=["1001"], severity=5, acknowledge=False), False),
        ("close allowed", dict(auth, eventids=["1005"], close=True, message="Closed by automation"), False),
        ("close not allowed", dict(auth, eventids=["1005", "1003"], close=True), False),
        ("check mode, close not allowed", dict(auth, eventids=["1003"], close=True), True),
        ("unknown event", dict(auth, eventids=["1003", "424242"], message="x"), False),
        ("duplicate event", dict(auth, eventids=["1003", "1003"]), False),
        ("nothing to write", dict(auth, eventids=["1003"], acknowledge=False), False),
        ("message too long", dict(auth, eventids=["1003"], message="m" * 2040, once="scriptbridge:12345"), False),
        ("severity out of range", dict(auth, eventids=["1003"], severity=7), False),
    ]


# The second play, in order, without resets: (name, module args, check mode).
SEQUENCE = [
    ("write", dict(eventids=["1003", "1004"], message="SuperOffice ticket 7", once=MARKER), False),
    ("again", dict(eventids=["1003"], message="SuperOffice ticket 8", once=MARKER), False),
    ("again in check mode", dict(eventids=["1003", "1004"], message="SuperOffice ticket 8", once=MARKER), True),
    ("acknowledge again", dict(eventids=["1004"]), False),
    ("close", dict(eventids=["1005"], close=True, acknowledge=False), False),
    ("close again", dict(eventids=["1005"], close=True, acknowledge=False), False),
    ("recovery event", dict(eventids=["1006"], message="x"), False),
]


class VersionRun:
    """Both plays of one version, and the simulator's view."""

    def __init__(self, sim, version):
        self.sim = sim
        self.version = version
        self.run = run_play([{"name": name, MODULE: dict(args, url=sim.url), "check_mode": check}
                             for name, args, check in scenarios(version)], control=[sim.url])
        sim.reset()
        auth = {"api_token": API_TOKEN} if version >= "5.4" else USER
        self.sequence = run_play([{"name": name, MODULE: dict(args, url=sim.url, **auth), "check_mode": check}
                                  for name, args, check in SEQUENCE])
        self.written = dict((eventid, sim.acknowledgements(eventid)) for eventid in ("1003", "1004", "1005"))
        self.events = dict((e["eventid"], e) for e in sim.events())

    def result(self, name):
        return self.run[name]

    def stats(self, name):
        return self.run.sims(name)[0]


@pytest.fixture(scope="module", params=VERSIONS)
def zbx(request):
    with ZabbixSimulator(version=request.param, hosts=5) as sim:
        yield VersionRun(sim, request.param)


def acknowledged(stats):
    return stats["methods"].get("event.acknowledge", 0)


def test_one_read_and_one_write_for_all_events_in_the_order_given(zbx):
    result, stats = zbx.result("acknowledge with a message"), zbx.stats("acknowledge with a message")
    assert result["changed"] is True and not result.get("failed"), result
    assert result["events"] == [{"eventid": "1004", "changed": True, "skipped": None},
                                {"eventid": "1003", "changed": True, "skipped": None}]
    assert result["zabbix_version"].startswith(zbx.version)
    assert stats["methods"]["event.get"] == 1 and acknowledged(stats) == 1


def test_once_writes_the_marker_in_front_of_the_message(zbx):
    result = zbx.result("once, first time")
    assert result["changed"] is True and result["events"][0]["skipped"] is None
    rows = zbx.written["1003"]
    assert [(r["action"], r["message"]) for r in rows] == [("6", "scriptbridge:1003 SuperOffice ticket 7")]


def test_once_leaves_a_marked_problem_alone_and_is_idempotent(zbx):
    again = zbx.sequence["again"]
    assert again["changed"] is False and not again.get("failed"), again
    assert again["events"] == [{"eventid": "1003", "changed": False, "skipped": "already carries the marker %s" % MARKER}]
    # the second run wrote nothing: one row from the first run only
    assert [r["message"] for r in zbx.written["1003"]] == ["scriptbridge:1003 SuperOffice ticket 7"]
    check = zbx.sequence["again in check mode"]
    assert check["changed"] is False
    assert [e["changed"] for e in check["events"]] == [False, False]


def test_check_mode_reads_and_writes_nothing(zbx):
    result, stats = zbx.result("check mode"), zbx.stats("check mode")
    assert result["changed"] is True and not result.get("failed"), result
    assert [e["changed"] for e in result["events"]] == [True, True]
    assert acknowledged(stats) == 0 and stats["methods"]["event.get"] == 1
    refused = zbx.result("check mode, close not allowed")
    assert refused["failed"] is True and "does not allow manual close" in refused["msg"]


def test_an_acknowledged_problem_is_not_changed_by_acknowledging_again(zbx):
    result = zbx.sequence["acknowledge again"]
    assert result["changed"] is False
    assert result["events"] == [{"eventid": "1004", "changed": False, "skipped": "already acknowledged"}]


def test_a_comment_and_a_severity(zbx):
    comment = zbx.result("comment only")
    assert comment["changed"] is True and not comment.get("failed"), comment
    severity = zbx.result("severity")
    assert severity["changed"] is True
    assert zbx.stats("severity")["methods"]["event.acknowledge"] == 1


def test_close_where_the_trigger_allows_it_and_not_twice(zbx):
    result = zbx.result("close allowed")
    assert result["changed"] is True and not result.get("failed"), result
    assert zbx.events["1005"]["r_eventid"] != "0"
    assert zbx.sequence["close"]["changed"] is True
    again = zbx.sequence["close again"]
    assert again["changed"] is False and again["events"][0]["skipped"] == "already resolved"


@pytest.mark.parametrize("name, words, kind", [
    ("close not allowed", "Event 1003 ('host-001: Load average is too high') cannot be closed", "invalid_params"),
    ("unknown event", "No problem event with id 424242", "not_found_or_forbidden"),
])
def test_what_cannot_be_written_fails_before_anything_is_written(zbx, name, words, kind):
    result, stats = zbx.result(name), zbx.stats(name)
    assert result["failed"] is True and result["changed"] is False
    assert words in result["msg"] and result["error"]["kind"] == kind
    assert acknowledged(stats) == 0


def test_a_recovery_event_is_refused(zbx):
    result = zbx.sequence["recovery event"]
    assert result["failed"] is True and "1006" in result["msg"] and "recovery" in result["msg"]


@pytest.mark.parametrize("name, words", [
    ("duplicate event", "more than once"), ("nothing to write", "Nothing to write"),
    ("message too long", "2048 characters"), ("severity out of range", "severity must be 0 to 5"),
])
def test_bad_options_fail_before_any_request(zbx, name, words):
    result, stats = zbx.result(name), zbx.stats(name)
    assert result["failed"] is True and words in result["msg"], result
    assert result["error"]["kind"] == "invalid_params" and stats["requests"] == 0
