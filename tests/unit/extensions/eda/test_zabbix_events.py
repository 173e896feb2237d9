# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The zabbix_events polling loop with an asyncio queue, against a scripted Zabbix event store
and, with the collection's Zabbix client, against the Zabbix simulator behind a fault proxy.

``FakeZabbix`` answers ``event.get`` and ``hostgroup.get`` with the parameter semantics of the
Zabbix API that the source relies on (eventid_from/till, time_from, value, objectids, groupids,
sort order, limit), counts calls, and fails on demand; the sleeps of the loop are recorded and
drive the test instead of a clock.
"""

import asyncio
import logging
import os
import random
import sqlite3
import stat
import time

import pytest

from ansible_collections.scriptbridge.core.extensions.eda.plugins.event_source import zabbix_events as source
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    ActingRequestRefused,
    AuthError,
    UnreachableError,
)
from ansible_collections.scriptbridge.core.tests.simulators.faults import FaultProxy
from ansible_collections.scriptbridge.core.tests.simulators.zabbix_sim import API_TOKEN, ZabbixSimulator

URL = "https://zabbix.example.com"
PASSWORD = "s3cret-Pa55word"
GROUPS = {"2": "Linux servers", "50": "Canary hosts"}
HOST_GROUPS = {"web-01": ("2",), "web-02": ("2", "50"), "db-01": ("2",)}


def throw(error):
    raise error


class FakeZabbix:
    def __init__(self):
        self.events = []
        self.calls = []
        self.failures = []
        self.clock = 1_800_000_000
        self.opened = 0
        self.closed = 0

    def problem(self, eventid, host, name, severity=3, tags=(), objectid=None, clock=None):
        self.events.append({"eventid": str(eventid), "objectid": str(objectid or 10000 + eventid),
                            "clock": str(self.clock if clock is None else clock), "value": "1", "name": name,
                            "severity": str(severity), "r_eventid": "0", "host": host,
                            "tags": [{"tag": t, "value": v} for t, v in tags]})

    def recover(self, eventid, problem_id, clock=None):
        problem = next(e for e in self.events if e["eventid"] == str(problem_id))
        problem["r_eventid"] = str(eventid)
        self.events.append({"eventid": str(eventid), "objectid": problem["objectid"],
                            "clock": str(clock or self.clock), "value": "0", "name": problem["name"],
                            "severity": "0", "r_eventid": "0", "host": problem["host"], "tags": []})

    # -- the client ---------------------------------------------------------

    def call(self, method, params):
        self.calls.append((method, params))
        if self.failures:
            raise self.failures.pop(0)
        if method == "hostgroup.get":
            return [{"groupid": gid, "name": name} for gid, name in GROUPS.items()
                    if name in params["filter"]["name"]]
        assert method == "event.get"
        return self.event_get(params)

    def event_get(self, params):
        values = params.get("value", [0, 1])
        values = set(map(str, values if isinstance(values, list) else [values]))
        rows = [e for e in self.events if e["value"] in values
                and int(e["eventid"]) >= int(params.get("eventid_from", 0))
                and int(e["eventid"]) <= int(params.get("eventid_till", 10 ** 12))
                and int(e["clock"]) >= int(params.get("time_from", 0))
                and ("objectids" not in params or e["objectid"] in params["objectids"])
                and ("eventids" not in params or e["eventid"] in params["eventids"])
                and ("groupids" not in params or set(HOST_GROUPS[e["host"]]) & set(params["groupids"]))]
        rows.sort(key=lambda e: int(e["eventid"]), reverse=params.get("sortorder") == "DESC")
        rows = rows[:params.get("limit", len(rows))]
        answer = []
        for event in rows:
            row = {key: value for key, value in event.items() if key not in ("host", "tags")}
            if "selectHosts" in params:
                row["hosts"] = [{"hostid": "1", "host": event["host"]}]
            if "selectTags" in params:
                row["tags"] = list(event["tags"])
            answer.append(row)
        return answer

    def close(self):
        self.closed += 1


class FakeConnector(source.Connector):
    def __init__(self, zabbix, open_failures=()):
        super().__init__({"url": URL, "password": PASSWORD, "api_token": None, "http_password": None})
        self.zabbix = zabbix
        self.open_failures = list(open_failures)

    def open(self):
        if self.open_failures:
            raise self.open_failures.pop(0)
        self.zabbix.opened += 1
        return self.zabbix


class Run:
    """The poller with a queue; each sleep of the loop hands control to the test's steps."""

    def __init__(self, zabbix, steps, open_failures=(), **options):
        self.zabbix = zabbix
        self.steps = list(steps)
        self.sleeps = []
        self.queue = asyncio.Queue()
        opts = source.poll_options(dict({"interval": 30}, **options))
        self.poller = source.Poller(self.queue, FakeConnector(zabbix, open_failures), opts, sleep=self.sleep)

    async def sleep(self, seconds):
        self.sleeps.append(seconds)
        if not self.steps:
            raise asyncio.CancelledError()
        step = self.steps.pop(0)
        if step is not None:
            step(self.zabbix)

    def events(self):
        try:
            asyncio.run(self.poller.run())
        except asyncio.CancelledError:
            pass
        found = []
        while not self.queue.empty():
            found.append(self.queue.get_nowait())
        return found


def ids(events):
    return [(e["zabbix"]["kind"], e["zabbix"]["eventid"]) for e in events]


def seeded():
    zabbix = FakeZabbix()
    zabbix.problem(100, "web-01", "Old problem")
    return zabbix


def test_start_now_emits_only_new_events_in_order_with_their_shape():
    def later(zabbix):
        zabbix.problem(102, "web-02", "Disk full", severity=4, tags=[("service", "web")], objectid=555)
        zabbix.problem(101, "web-01", "Load high", severity=2)

    events = Run(seeded(), [later, None]).events()
    assert ids(events) == [("problem", "101"), ("problem", "102")]
    assert events[1]["zabbix"] == {"eventid": "102", "kind": "problem", "name": "Disk full", "severity": 4,
                                   "hosts": ["web-02"], "tags": [{"tag": "service", "value": "web"}],
                                   "clock": 1_800_000_000}
    assert events[1]["meta"]["hosts"] == ["web-02"]
    assert events[1]["meta"]["uuid"] == source.shape_event(
        dict(events[1]["zabbix"], value="1", hosts=[{"host": "web-02"}]), None, URL)["meta"]["uuid"]


def test_start_after_an_event_id_emits_what_followed_it():
    zabbix = seeded()
    zabbix.problem(101, "web-01", "After")
    zabbix.problem(99, "web-01", "Before")
    assert ids(Run(zabbix, [None], start="100").events()) == [("problem", "101")]


def test_no_event_is_emitted_twice_across_polls_and_late_visible_ids_are_caught():
    def first(zabbix):
        zabbix.problem(103, "web-01", "Seen first")

    def late(zabbix):
        # 102 was handed out before 103 but becomes visible only now.
        zabbix.problem(102, "web-02", "Visible late")

    zabbix = seeded()
    events = Run(zabbix, [first, None, late, None, None]).events()
    assert ids(events) == [("problem", "103"), ("problem", "102")]
    polls = [params for method, params in zabbix.calls if method == "event.get" and params.get("sortorder") == "ASC"]
    # The look-back is by id (issue 18): no poll asks by clock.
    assert all("time_from" not in p for p in polls)
    assert all(p["eventid_from"] == "101" for p in polls)


def test_recovery_carries_its_problem_id_severity_and_tags():
    def problem(zabbix):
        zabbix.problem(101, "web-01", "Disk full", severity=4, tags=[("service", "web")])

    def recovered(zabbix):
        zabbix.problem(102, "db-01", "Other problem of another trigger", severity=5)
        zabbix.recover(103, 101)

    events = Run(seeded(), [problem, recovered, None]).events()
    assert ids(events) == [("problem", "101"), ("problem", "102"), ("recovery", "103")]
    recovery = events[2]["zabbix"]
    assert recovery["problem_eventid"] == "101"
    assert recovery["severity"] == 4 and recovery["tags"] == [{"tag": "service", "value": "web"}]
    assert "problem_eventid" not in events[0]["zabbix"]


def test_recoveries_false_asks_for_problems_only():
    def both(zabbix):
        zabbix.problem(101, "web-01", "P")
        zabbix.recover(102, 101)

    zabbix = seeded()
    assert ids(Run(zabbix, [both, None], recoveries="false").events()) == [("problem", "101")]
    assert all(params.get("value") in ([1], 1) for method, params in zabbix.calls if method == "event.get"
               and "eventid_from" in params)


def test_severity_and_tag_filters():
    def mixed(zabbix):
        zabbix.problem(101, "web-01", "Low", severity=2, tags=[("service", "web")])
        zabbix.problem(102, "web-01", "High, other tag", severity=4, tags=[("service", "db")])
        zabbix.problem(103, "web-01", "High, tag", severity=4, tags=[("service", "web"), ("team", "ops")])
        zabbix.problem(104, "web-01", "Any value of the tag", severity=5, tags=[("team", "dev")])
        zabbix.recover(105, 101)
        zabbix.recover(106, 103)

    events = Run(seeded(), [mixed, None], severity="3",
                 tags=[{"tag": "service", "value": "web"}, {"tag": "team"}]).events()
    assert ids(events) == [("problem", "103"), ("problem", "104"), ("recovery", "106")]


def test_host_groups_are_resolved_once_and_sent_as_groupids():
    def mixed(zabbix):
        zabbix.problem(101, "web-01", "Not canary")
        zabbix.problem(102, "web-02", "Canary")

    zabbix = seeded()
    events = Run(zabbix, [mixed, None], host_groups=["Canary hosts"]).events()
    assert ids(events) == [("problem", "102")]
    assert [call[0] for call in zabbix.calls].count("hostgroup.get") == 1


def test_unknown_host_group_stops_the_source_with_a_message():
    with pytest.raises(source.SourceOptionError, match="No host group named 'Nope'"):
        Run(seeded(), [None], host_groups="Nope").events()


def test_paging_reads_every_event_of_a_burst(monkeypatch):
    monkeypatch.setattr(source, "PAGE", 3)

    def burst(zabbix):
        for eventid in range(101, 109):
            zabbix.problem(eventid, "web-01", "Burst %d" % eventid)

    events = Run(seeded(), [burst, None]).events()
    assert [e["zabbix"]["eventid"] for e in events] == [str(i) for i in range(101, 109)]


def test_lost_connection_backs_off_reconnects_and_emits_nothing_twice(caplog):
    caplog.set_level(logging.INFO, logger="scriptbridge.core.zabbix_events")

    def problem_then_outage(zabbix):
        zabbix.problem(101, "web-01", "Before the outage")

    def outage(zabbix):
        zabbix.failures.extend([UnreachableError("Cannot connect to %s: refused (password %s)" % (URL, PASSWORD))])
        zabbix.problem(102, "web-01", "During the outage")

    zabbix = seeded()
    run = Run(zabbix, [problem_then_outage, None, outage, None, None, None])
    connector = run.poller.connector
    # The first reconnection fails twice more: the delays grow.
    original_open = connector.open
    attempts = {"n": 0}

    def flaky_open():
        attempts["n"] += 1
        if 2 <= attempts["n"] <= 3:
            raise UnreachableError("Cannot connect: refused")
        return original_open()

    connector.open = flaky_open
    events = run.events()
    assert ids(events) == [("problem", "101"), ("problem", "102")]
    assert run.sleeps == [30, 30, 30, 1.0, 2.0, 4.0, 30]
    assert zabbix.closed >= 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Polling Zabbix failed (server_unreachable)" in logged
    assert PASSWORD not in logged


def test_backoff_is_capped():
    zabbix = seeded()
    run = Run(zabbix, [None] * 9)
    run.poller.connector.open = lambda: throw(UnreachableError("down"))
    run.events()
    assert run.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0]


def test_refused_credentials_at_start_stop_the_source():
    zabbix = seeded()
    run = Run(zabbix, [None])
    run.poller.connector.open = lambda: throw(
        AuthError("Login name or password is incorrect (%s)." % PASSWORD))
    with pytest.raises(source.SourceOptionError) as failure:
        run.events()
    assert "auth" in str(failure.value) and PASSWORD not in str(failure.value)


def test_refused_credentials_after_start_are_retried():
    def revoke(zabbix):
        zabbix.failures.append(AuthError("Session terminated, re-login, please."))

    zabbix = seeded()
    run = Run(zabbix, [revoke, None, None])
    run.events()
    assert run.sleeps == [30, 1.0, 30, 30]


def test_malformed_answer_is_a_protocol_error_and_retried():
    def bad(zabbix):
        zabbix.problem(101, "web-01", "Tags that are not objects")
        zabbix.events[-1]["tags"] = [None]

    zabbix = seeded()
    run = Run(zabbix, [bad, None])
    assert run.events() == []
    assert run.sleeps[:2] == [30, 1.0]


@pytest.mark.parametrize("args, message", [
    ({"interval": "soon"}, "interval must be a whole number"),
    ({"severity": 6}, "severity must be between 0 and 5"),
    ({"recoveries": "maybe"}, "recoveries must be true or false"),
    ({"start": "yesterday"}, "start must be 'now' or an event id"),
    ({"tags": [{"tag": "a", "operator": "like"}]}, "each of tags is"),
])
def test_bad_poll_options(args, message):
    with pytest.raises(source.SourceOptionError, match=message):
        source.poll_options(args)


def test_every_credential_is_masked():
    connector = source.Connector(dict(source.connection_options(
        {"url": URL, "username": "Admin", "password": PASSWORD, "http_username": "proxy", "http_password": "b4sic-Pass"})))
    text = "token %s basic b4sic-Pass header cHJveHk6YjRzaWMtUGFzcw==" % PASSWORD
    assert connector.scrub(text) == "token ******** basic ******** header ********"


def test_connection_options_take_the_environment(monkeypatch):
    monkeypatch.setenv("ZABBIX_URL", URL)
    monkeypatch.setenv("ZABBIX_USERNAME", "Admin")
    monkeypatch.setenv("ZABBIX_PASSWORD", PASSWORD)
    options = source.connection_options({"validate_certs": "false"})
    assert (options["url"], options["username"], options["password"], options["validate_certs"]) == (
        URL, "Admin", PASSWORD, False)
    monkeypatch.setenv("ZABBIX_API_TOKEN", "a" * 64)
    with pytest.raises(source.SourceOptionError, match="either api_token or username"):
        source.connection_options({})
    for name in ("ZABBIX_URL", "ZABBIX_USERNAME", "ZABBIX_PASSWORD", "ZABBIX_API_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(source.SourceOptionError, match="url is required"):
        source.connection_options({})
    with pytest.raises(source.SourceOptionError, match="No Zabbix credentials"):
        source.connection_options({"url": URL})


# -- against the Zabbix simulator, with the collection's client -------------------------------

SIM_USER, SIM_PASSWORD = "operator", "operator-pass"


@pytest.mark.parametrize("version", ["5.0", "6.0", "7.2"])
def test_with_the_client_sessions_expire_and_connections_drop(version, caplog):
    caplog.set_level(logging.INFO, logger="scriptbridge.core.zabbix_events")
    with ZabbixSimulator(version, hosts=5) as sim, FaultProxy(sim.url) as proxy:
        raised = {}

        def first(_zabbix):
            raised["p1"] = sim.raise_problem("host-001", "host-001: Load", 4, [{"tag": "service", "value": "web"}])

        def expire(_zabbix):
            sim.expire_sessions()
            raised["p2"] = sim.raise_problem("host-002", "host-002: Disk", 3)
            sim.recover(raised["p1"])

        def outage(_zabbix):
            proxy.down()
            raised["p3"] = sim.raise_problem("host-003", "host-003: Swap", 5)

        def back(_zabbix):
            proxy.up()

        connector = source.Connector(source.connection_options(
            {"url": proxy.url, "username": SIM_USER, "password": SIM_PASSWORD}))
        run = Run(None, [first, expire, outage, back, None, None])
        run.poller = source.Poller(run.queue, connector, source.poll_options({"interval": 30}), sleep=run.sleep)
        events = run.events()
        stats = sim.stats()
    assert ids(events) == [("problem", raised["p1"]), ("problem", raised["p2"]), ("recovery", str(int(raised["p2"]) + 1)),
                           ("problem", raised["p3"])]
    recovery = events[2]["zabbix"]
    assert recovery["problem_eventid"] == raised["p1"] and recovery["severity"] == 4
    assert recovery["hosts"] == ["host-001"] and recovery["tags"] == [{"tag": "service", "value": "web"}]
    assert events[0]["meta"]["hosts"] == ["host-001"]
    # One login at the start, one after the expiry, one after the outage. The session of the
    # outage could not be logged out (it ends on the server by itself); the last one is.
    assert (stats["logins"], stats["logouts"], stats["active_sessions"]) == (3, 1, 1), stats
    assert run.sleeps[:4] == [30, 30, 30, 1.0]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Polling Zabbix failed (server_unreachable)" in logged
    assert SIM_PASSWORD not in logged and SIM_PASSWORD not in repr(events)


def test_with_the_client_wrong_password_stops_at_the_start(caplog):
    with ZabbixSimulator("7.0", hosts=1) as sim:
        connector = source.Connector(source.connection_options(
            {"url": sim.url, "username": SIM_USER, "password": "not-the-password"}))
        run = Run(None, [None])
        run.poller = source.Poller(run.queue, connector, source.poll_options({}), sleep=run.sleep)
        with pytest.raises(source.SourceOptionError, match="Zabbix refused the source") as failure:
            run.events()
    assert "not-the-password" not in str(failure.value)
    assert "not-the-password" not in "\n".join(record.getMessage() for record in caplog.records)


def test_with_the_client_a_token_and_host_groups(caplog):
    with ZabbixSimulator("7.0", hosts=6) as sim:
        def raised(_zabbix):
            sim.raise_problem("host-006", "host-006: Not canary", 4)
            sim.raise_problem("host-005", "host-005: Canary", 4)

        connector = source.Connector(source.connection_options({"url": sim.url, "api_token": API_TOKEN}))
        run = Run(None, [raised, None])
        run.poller = source.Poller(run.queue, connector, source.poll_options({"host_groups": ["Canary hosts"]}),
                                   sleep=run.sleep)
        events = run.events()
        assert sim.stats()["logins"] == 0
    assert [e["zabbix"]["name"] for e in events] == ["host-005: Canary"]


# -- issue 18: the event-id cursor, suppressed problems, the state file ------------------------

def test_old_and_future_clocks_are_emitted_once_and_no_poll_asks_by_clock():
    def skewed(zabbix):
        zabbix.problem(101, "web-01", "From a skewed proxy", clock=zabbix.clock + 86400 * 365)

    def backlog(zabbix):
        # A proxy's backlog: clocks from hours ago, after the future one.
        zabbix.problem(102, "web-02", "Backlog 1", clock=zabbix.clock - 7200)
        zabbix.problem(103, "db-01", "Backlog 2", clock=zabbix.clock - 86400)

    zabbix = seeded()
    events = Run(zabbix, [skewed, None, backlog, None, None]).events()
    assert ids(events) == [("problem", "101"), ("problem", "102"), ("problem", "103")]
    assert events[2]["zabbix"]["clock"] == zabbix.clock - 86400
    assert not any("time_from" in params or "time_till" in params for _method, params in zabbix.calls)


def test_late_visible_events_are_caught_by_id_within_lookback_ids():
    def newer(zabbix):
        zabbix.problem(110, "web-01", "Newest")

    def late(zabbix):
        # Ids handed out before 110, visible only now, with an old clock: 105 is within the look-back,
        # 101 is not (the floor follows the newest id, lookback_ids below it).
        zabbix.problem(105, "web-02", "Visible late", clock=zabbix.clock - 3600)
        zabbix.problem(101, "web-02", "Too late")

    zabbix = seeded()
    events = Run(zabbix, [newer, late, None, None], lookback_ids="6").events()
    assert ids(events) == [("problem", "110"), ("problem", "105")]
    polls = [params["eventid_from"] for method, params in zabbix.calls
             if method == "event.get" and params.get("sortorder") == "ASC"]
    assert polls == ["101", "101", "105", "105", "105"]


def suppressed_events(zabbix):
    zabbix.problem(101, "web-01", "In maintenance", severity=4)
    zabbix.events[-1]["suppressed"] = "1"
    zabbix.problem(102, "web-02", "Not in maintenance", severity=4)
    zabbix.recover(103, 101)
    zabbix.recover(104, 102)


def test_suppressed_problems_and_their_recoveries_are_not_emitted_by_default():
    zabbix = seeded()
    events = Run(zabbix, [suppressed_events, None]).events()
    assert ids(events) == [("problem", "102"), ("recovery", "104")]
    polls = [params for method, params in zabbix.calls if method == "event.get" and "eventid_from" in params]
    assert all("suppressed" in params["output"] for params in polls)


def test_a_recovery_after_the_maintenance_of_a_suppressed_problem_is_not_emitted():
    def problem(zabbix):
        zabbix.problem(101, "web-01", "In maintenance", severity=4)
        zabbix.events[-1]["suppressed"] = "1"

    def maintenance_over_then_recovered(zabbix):
        zabbix.events[-1]["suppressed"] = "0"
        zabbix.recover(102, 101)

    assert Run(seeded(), [problem, maintenance_over_then_recovered, None]).events() == []


def test_suppressed_true_emits_them_all():
    events = Run(seeded(), [suppressed_events, None], suppressed="true").events()
    assert ids(events) == [("problem", "101"), ("problem", "102"), ("recovery", "103"), ("recovery", "104")]


def test_state_file_resumes_after_the_cursor_and_emits_what_was_raised_while_down(tmp_path):
    state = str(tmp_path / "zabbix.db")
    zabbix = seeded()

    def first(zab):
        zab.problem(101, "web-01", "Before the stop")

    assert ids(Run(zabbix, [first, None], state_file=state).events()) == [("problem", "101")]
    # While the source is down.
    zabbix.problem(102, "web-02", "Raised while down", clock=zabbix.clock - 86400)
    zabbix.problem(104, "web-02", "Also while down")
    restarted = Run(zabbix, [lambda zab: zab.problem(103, "db-01", "Committed late"), None], state_file=state)
    assert ids(restarted.events()) == [("problem", "102"), ("problem", "104"), ("problem", "103")]
    # start is used only while the file holds no cursor.
    again = Run(zabbix, [None], state_file=state, start="100")
    assert again.events() == []


def test_state_file_is_written_before_an_event_is_handed_on(tmp_path):
    state = tmp_path / "zabbix.db"
    run = Run(seeded(), [lambda zab: zab.problem(101, "web-01", "P"), None], state_file=str(state))
    seen_at_put = []

    class Checking(asyncio.Queue):
        async def put(self, item):
            with sqlite3.connect(str(state)) as db:
                seen_at_put.append([row[0] for row in db.execute("SELECT eventid FROM seen")])
            await super().put(item)

    run.queue = run.poller.queue = Checking()
    assert ids(run.events()) == [("problem", "101")]
    assert seen_at_put == [[101]]


def test_replay_hands_on_again_what_was_handed_on_just_before_the_stop(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="scriptbridge.core.zabbix_events")
    state = str(tmp_path / "zabbix.db")
    zabbix = seeded()
    first = Run(zabbix, [lambda zab: zab.problem(101, "web-01", "P"), None], state_file=state, replay="300")
    events = first.events()
    zabbix.problem(102, "web-02", "While down")
    replayed = Run(zabbix, [None], state_file=state, replay="300").events()
    assert ids(replayed) == [("problem", "101"), ("problem", "102")]
    assert replayed[0]["meta"]["uuid"] == events[0]["meta"]["uuid"]
    assert "Replayed Zabbix problem event 101" in caplog.text
    # Without replay the restart hands on nothing twice.
    assert Run(zabbix, [None], state_file=state).events() == []


def test_state_file_mode_and_no_secret(tmp_path):
    state = tmp_path / "zabbix.db"
    Run(seeded(), [lambda zab: zab.problem(101, "web-01", "P"), None], state_file=str(state)).events()
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    for path in tmp_path.iterdir():
        assert PASSWORD.encode() not in path.read_bytes()


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(b"this is not a database, it is a text file" * 100), "file is not a database"),
    (lambda path: path.mkdir(), "not a regular file"),
])
def test_a_damaged_state_file_stops_the_source_naming_the_file(tmp_path, damage, message):
    state = tmp_path / "zabbix.db"
    damage(state)
    with pytest.raises(source.SourceStateError) as failure:
        Run(seeded(), [None], state_file=str(state)).events()
    assert str(state) in str(failure.value) and message in str(failure.value)
    assert "start afresh" in str(failure.value) or "Give a path" in str(failure.value)


def test_a_state_file_of_another_server_stops_the_source(tmp_path):
    state = str(tmp_path / "zabbix.db")
    Run(seeded(), [None], state_file=state).events()
    run = Run(seeded(), [None], state_file=state)
    with pytest.raises(source.SourceStateError, match="keeps the cursor of https://zabbix.example.com"):
        source.Poller(run.queue, type("C", (), {"options": {"url": "https://other.example.com"}})(),
                      run.poller.options)


def test_the_client_of_the_source_is_read_only():
    with ZabbixSimulator("7.0", hosts=2) as sim:
        connector = source.Connector(source.connection_options({"url": sim.url, "api_token": API_TOKEN}))
        client = connector.open()
        try:
            with pytest.raises(ActingRequestRefused, match="Nothing was sent"):
                client.call("script.execute", {"scriptid": "1", "hostid": "10084"})
        finally:
            client.close()
        stats = sim.stats()
    assert "script.execute" not in stats["methods"] and stats["executions"] == []


@pytest.mark.parametrize("version", ["6.0", "7.0"])
def test_with_the_client_clocks_late_commits_and_maintenance(version):
    with ZabbixSimulator(version, hosts=5) as sim:
        now = int(time.time())
        raised = {}

        def stream(_zabbix):
            raised["future"] = sim.raise_problem("host-001", "host-001: Future", 4, clock=now + 86400)
            raised["late"] = sim.raise_problem("host-002", "host-002: Late", 4, clock=now - 7200, visible=False)
            raised["old"] = sim.raise_problem("host-003", "host-003: Old", 4, clock=now - 86400)
            raised["maintenance"] = sim.raise_problem("host-004", "host-004: In maintenance", 4, suppressed=True)

        def later(_zabbix):
            sim.publish(raised["late"])
            sim.recover(raised["maintenance"])

        connector = source.Connector(source.connection_options({"url": sim.url, "api_token": API_TOKEN}))
        run = Run(None, [stream, later, None])
        run.poller = source.Poller(run.queue, connector, source.poll_options({"interval": 30}), sleep=run.sleep)
        events = run.events()
    assert ids(events) == [("problem", raised["future"]), ("problem", raised["old"]), ("problem", raised["late"])]


# -- faults with a seed: restarts, lost connections, late commits, clocks ------------------------

def test_random_restarts_outages_and_late_commits_lose_nothing_and_repeat_nothing(tmp_path):
    seed = int(os.environ.get("ZABBIX_EVENTS_SEED") or random.SystemRandom().randrange(10 ** 9))
    print("zabbix_events fault test seed: %d (ZABBIX_EVENTS_SEED=%d replays it)" % (seed, seed))
    rng = random.Random(seed)
    state = str(tmp_path / "zabbix.db")
    zabbix = seeded()
    next_id = [101]
    hidden = []
    raised = []

    def step(zab):
        for _problem in range(rng.randrange(0, 6)):
            eventid = next_id[0]
            next_id[0] += 1
            clock = zab.clock + rng.choice([0, -7200, -86400 * 30, 86400 * 365])
            if rng.random() < 0.2:
                hidden.append((eventid, clock))  # handed out now, visible later
            else:
                zab.problem(eventid, "web-01", "P%d" % eventid, clock=clock)
                raised.append(eventid)
        if hidden and rng.random() < 0.5:
            eventid, clock = hidden.pop(0)
            zab.problem(eventid, "web-02", "Late %d" % eventid, clock=clock)
            raised.append(eventid)
        if rng.random() < 0.2:
            zab.failures.append(UnreachableError("connection reset"))

    emitted = []
    for _restart in range(8):
        run = Run(zabbix, [step] * rng.randrange(1, 6) + [None], state_file=state)
        emitted.extend(int(e["zabbix"]["eventid"]) for e in run.events())
    for eventid, clock in hidden:
        zabbix.problem(eventid, "web-02", "Late %d" % eventid, clock=clock)
        raised.append(eventid)
    emitted.extend(int(e["zabbix"]["eventid"]) for e in Run(zabbix, [None, None], state_file=state).events())
    assert sorted(emitted) == sorted(raised), "seed %d" % seed


def test_an_event_written_but_not_handed_on_before_a_stop_is_handed_on_after_the_restart(tmp_path):
    state = str(tmp_path / "zabbix.db")
    zabbix = seeded()

    class Stopping(asyncio.Queue):
        async def put(self, item):
            raise asyncio.CancelledError()  # the process stops right after the write

    run = Run(zabbix, [lambda zab: zab.problem(101, "web-01", "P"), None], state_file=state)
    run.queue = run.poller.queue = Stopping()
    assert run.events() == []
    assert ids(Run(zabbix, [None], state_file=state).events()) == [("problem", "101")]
    assert Run(zabbix, [None], state_file=state).events() == []
