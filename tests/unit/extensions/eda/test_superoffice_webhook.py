# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The superoffice_webhook event source: a real listener on port 0, real HTTP requests, an asyncio queue."""

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import ssl
import stat
import subprocess
import time

import aiohttp
import pytest

from ansible_collections.scriptbridge.core.extensions.eda.plugins.event_source import superoffice_webhook as source

SECRET = "whsec-3f1a9c0e7b2d4e6f"
TICKET_EVENT = {
    "EventId": "6f1c2a9e-8d4b-4b1e-9a2f-0c7d5e3b1a90", "Timestamp": "2026-12-03T10:48:07.89Z",
    "Changes": ["ticket_id", "status"], "Event": "ticket.created", "PrimaryKey": 4711, "Entity": "ticket",
    "ContextIdentifier": "Cust12345", "ChangedByAssociateId": 5, "WebhookName": "Remediation",
    "FieldValues": {"title": "Server down"},
}
TEST_EVENT = {"EventId": "00000000-0000-0000-0000-000000000000", "Event": "test", "Entity": "test",
              "PrimaryKey": 0, "Changes": []}


def sign(body, secret=SECRET):
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Listener:
    """The source running as a task on port 0; ``post`` sends requests to it."""

    def __init__(self, args, caplog):
        self.args = dict({"host": "127.0.0.1", "port": 0}, **args)
        self.caplog = caplog
        self.queue = asyncio.Queue()
        self.task = None
        self.url = None

    async def __aenter__(self):
        self.task = asyncio.create_task(source.main(self.queue, self.args))
        for _attempt in range(500):
            await asyncio.sleep(0.01)
            if self.task.done():
                self.task.result()
            for record in self.caplog.records:
                if "listening on" in record.getMessage():
                    self.url = record.getMessage().split(" listening on ")[1].split(" ")[0] + "/webhook"
                    return self
        raise AssertionError("the listener did not start")

    async def __aexit__(self, *exc):
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task

    async def post(self, body, headers=None, ssl_context=None):
        async with aiohttp.ClientSession() as session:
            async with session.post(self.url, data=body, headers=headers or {}, ssl=ssl_context) as response:
                return response.status, await response.text()

    def events(self):
        found = []
        while not self.queue.empty():
            found.append(self.queue.get_nowait())
        return found


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture(autouse=True)
def info_logs(caplog):
    caplog.set_level(logging.INFO, logger="scriptbridge.core.superoffice_webhook")
    return caplog


def signed(payload, secret=SECRET):
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json", "X-SuperOffice-Signature": sign(body, secret)}


def test_signed_delivery_is_emitted_once_with_its_shape(caplog):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            status, text = await listener.post(*signed(TICKET_EVENT))
            return status, json.loads(text), listener.events()

    status, answer, events = run(scenario())
    assert status == 200 and answer["status"] == "accepted"
    assert len(events) == 1
    event = events[0]["superoffice"]
    assert event == {
        "event": "ticket.created", "entity": "ticket", "action": "created", "event_id": TICKET_EVENT["EventId"],
        "primary_key": 4711, "tenant": "Cust12345", "webhook_name": "Remediation",
        "changes": ["ticket_id", "status"], "field_values": {"title": "Server down"}, "payload": TICKET_EVENT,
    }
    assert events[0]["meta"]["uuid"] == source.shape_event(TICKET_EVENT, {})["meta"]["uuid"]


def test_redelivery_is_answered_and_not_emitted_again(caplog):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            body, headers = signed(TICKET_EVENT)
            first = await listener.post(body, headers)
            retry = await listener.post(body, dict(headers, **{"X-SuperOffice-Retry": "1"}))
            # Another change of the same ticket (its own EventId and Timestamp) is another delivery.
            other = await listener.post(*signed(dict(TICKET_EVENT, EventId="another-event-id",
                                                     Timestamp="2026-12-03T10:49:12.03Z")))
            return first, retry, other, listener.events()

    first, retry, other, events = run(scenario())
    assert [first[0], retry[0], other[0]] == [200, 200, 200]
    assert json.loads(retry[1])["status"] == "duplicate"
    assert [e["superoffice"]["event_id"] for e in events] == [TICKET_EVENT["EventId"], "another-event-id"]


def test_an_event_id_comes_back_after_the_window():
    now = [1000.0]
    recent = source.RecentIds(60, clock=lambda: now[0])
    assert recent.add("a") and not recent.add("a")
    now[0] += 59
    assert not recent.add("a")
    now[0] += 61
    assert recent.add("a")


def test_remembered_ids_are_bounded():
    recent = source.RecentIds(3600, clock=lambda: 0.0, limit=3)
    for name in "abcd":
        assert recent.add(name)
    assert recent.add("a"), "the oldest id is forgotten past the limit"
    assert not recent.add("d")


@pytest.mark.parametrize("headers, reason", [
    ({"X-SuperOffice-Signature": sign(json.dumps(TICKET_EVENT).encode(), "wrong-secret")}, "does not match"),
    ({}, "no X-SuperOffice-Signature"),
    ({"X-SuperOffice-Signature": "not base64 at all!"}, "not base64"),
    ({"X-SuperOffice-Signature": ""}, "no X-SuperOffice-Signature"),
])
def test_bad_or_missing_signature_is_401_and_emits_nothing(caplog, headers, reason):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            status, text = await listener.post(json.dumps(TICKET_EVENT).encode(), headers)
            return status, json.loads(text), listener.events()

    status, answer, events = run(scenario())
    assert status == 401 and reason in answer["reason"]
    assert events == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Refused a request" in logged and SECRET not in logged


def test_a_body_changed_after_signing_is_refused(caplog):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            body, headers = signed(TICKET_EVENT)
            status, _text = await listener.post(body.replace(b"4711", b"4712"), headers)
            return status, listener.events()

    assert run(scenario()) == (401, [])


def test_test_event_is_answered_and_not_emitted(caplog):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            status, text = await listener.post(*signed(TEST_EVENT))
            return status, json.loads(text), listener.events()

    status, answer, events = run(scenario())
    assert status == 200 and answer == {"status": "test"} and events == []


def test_unsigned_test_event_is_refused_when_a_secret_is_set(caplog):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            return await listener.post(json.dumps(TEST_EVENT).encode())

    assert run(scenario())[0] == 401


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "not JSON"),
    (b"\xff\xfe\x00", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({"EventId": "x"}).encode(), "no Event"),
    (json.dumps({"Event": "ticket.created", "Entity": "ticket"}).encode(), "no EventId"),
])
def test_malformed_body_is_400_and_emits_nothing(caplog, body, reason):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            status, text = await listener.post(body, {"X-SuperOffice-Signature": sign(body)})
            return status, json.loads(text), listener.events()

    status, answer, events = run(scenario())
    assert status == 400 and reason in answer["reason"] and events == []


def test_oversized_body_is_413_and_emits_nothing(caplog):
    async def scenario():
        async with Listener({"secret": SECRET, "max_body_size": "2048"}, caplog) as listener:
            payload = dict(TICKET_EVENT, FieldValues={"text": "x" * 4096})
            big = await listener.post(*signed(payload))

            async def chunks():
                body = json.dumps(payload).encode()
                for start in range(0, len(body), 512):
                    yield body[start:start + 512]

            # Chunked, without Content-Length: the limit holds while reading.
            body, headers = signed(payload)
            streamed = await listener.post(chunks(), headers)
            small = await listener.post(*signed(TICKET_EVENT))
            return big[0], streamed[0], small[0], listener.events()

    big, streamed, small, events = run(scenario())
    assert (big, streamed, small) == (413, 413, 200)
    assert [e["superoffice"]["event_id"] for e in events] == [TICKET_EVENT["EventId"]]


def test_without_secret_unsigned_deliveries_are_taken(caplog):
    async def scenario():
        async with Listener({}, caplog) as listener:
            status, _text = await listener.post(json.dumps(TICKET_EVENT).encode())
            return status, listener.events()

    status, events = run(scenario())
    assert status == 200 and len(events) == 1
    assert any("no secret" in r.getMessage() for r in caplog.records)


def test_event_id_from_the_header_when_the_body_has_none(caplog):
    payload = {key: value for key, value in TICKET_EVENT.items() if key != "EventId"}

    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            body, headers = signed(payload)
            headers["X-SuperOffice-EventId"] = "from-header"
            first = await listener.post(body, headers)
            again = await listener.post(body, headers)
            return first[0], again[0], listener.events()

    first, again, events = run(scenario())
    assert (first, again) == (200, 200)
    assert [e["superoffice"]["event_id"] for e in events] == ["from-header"]


def test_other_verbs_are_405(caplog):
    async def scenario():
        async with Listener({}, caplog) as listener:
            async with aiohttp.ClientSession() as session:
                async with session.get(listener.url) as response:
                    return response.status, listener.events()

    assert run(scenario()) == (405, [])


def test_https_with_certfile_and_keyfile(caplog, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    client = ssl.create_default_context(cafile=str(cert))

    async def scenario():
        async with Listener({"secret": SECRET, "certfile": str(cert), "keyfile": str(key)}, caplog) as listener:
            assert listener.url.startswith("https://")
            status, _text = await listener.post(*signed(TICKET_EVENT), ssl_context=client)
            return status, listener.events()

    status, events = run(scenario())
    assert status == 200 and len(events) == 1


@pytest.mark.parametrize("args, message", [
    ({"certfile": "/x.pem"}, "certfile and keyfile go together"),
    ({"port": "eighty"}, "port must be a whole number"),
    ({"port": None}, "port is required"),
])
def test_bad_arguments_stop_the_source_with_a_message(args, message):
    queue = asyncio.Queue()
    with pytest.raises(ValueError, match=message):
        run(source.main(queue, dict({"host": "127.0.0.1", "port": 0}, **args)))


# -- issue 18: delivery keys that cover retry cycles, the state file -----------------------------

def new_cycle(payload, retry_cycle):
    """The copy SuperOffice sends when it starts a new retry cycle: a new EventId, the same change."""
    return dict(payload, EventId="%s-cycle-%d" % (payload["EventId"][:8], retry_cycle))


def test_a_new_retry_cycle_with_a_new_event_id_is_dropped_and_has_the_same_uuid(caplog):
    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            answers = [await listener.post(*signed(TICKET_EVENT)),
                       await listener.post(*signed(new_cycle(TICKET_EVENT, 2))),
                       await listener.post(*signed(new_cycle(TICKET_EVENT, 3)))]
            return answers, listener.events()

    answers, events = run(scenario())
    assert [(status, json.loads(text)["status"]) for status, text in answers] == [
        (200, "accepted"), (200, "duplicate"), (200, "duplicate")]
    assert len(events) == 1
    uuids = {source.shape_event(payload, {})["meta"]["uuid"]
             for payload in (TICKET_EVENT, new_cycle(TICKET_EVENT, 2), new_cycle(TICKET_EVENT, 3))}
    assert uuids == {events[0]["meta"]["uuid"]}


def test_without_a_timestamp_only_the_event_id_is_a_key(caplog):
    payload = {key: value for key, value in TICKET_EVENT.items() if key != "Timestamp"}

    async def scenario():
        async with Listener({"secret": SECRET}, caplog) as listener:
            await listener.post(*signed(payload))
            await listener.post(*signed(dict(payload, EventId="another-change")))
            return listener.events()

    assert [e["superoffice"]["event_id"] for e in run(scenario())] == [TICKET_EVENT["EventId"], "another-change"]


def test_a_restarted_source_with_a_state_file_still_drops_redeliveries(caplog, tmp_path):
    state = str(tmp_path / "webhook.db")

    async def scenario():
        async with Listener({"secret": SECRET, "state_file": state}, caplog) as listener:
            first = await listener.post(*signed(TICKET_EVENT))
            before = listener.events()
        caplog.clear()  # the next listener's port is in its own log line
        async with Listener({"secret": SECRET, "state_file": state}, caplog) as listener:
            retry = await listener.post(*signed(TICKET_EVENT))
            cycle = await listener.post(*signed(new_cycle(TICKET_EVENT, 2)))
            other = await listener.post(*signed(dict(TICKET_EVENT, EventId="x", Timestamp="2026-12-03T11:00:00Z")))
            after = listener.events()
        return first, retry, cycle, other, before, after

    first, retry, cycle, other, before, after = run(scenario())
    assert [json.loads(answer[1])["status"] for answer in (first, retry, cycle, other)] == [
        "accepted", "duplicate", "duplicate", "accepted"]
    assert len(before) == 1 and [e["superoffice"]["event_id"] for e in after] == ["x"]


def test_the_state_file_is_written_before_the_event_is_handed_on(caplog, tmp_path):
    state = tmp_path / "webhook.db"
    counts = []

    async def scenario():
        listener = Listener({"secret": SECRET, "state_file": str(state)}, caplog)

        class Checking(asyncio.Queue):
            async def put(self, item):
                with sqlite3.connect(str(state)) as db:
                    counts.append(db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0])
                await super().put(item)

        listener.queue = Checking()
        async with listener:
            status, _text = await listener.post(*signed(TICKET_EVENT))
            return status, listener.events()

    status, events = run(scenario())
    assert status == 200 and len(events) == 1 and counts == [2]


def test_refused_requests_write_nothing_and_the_file_holds_no_secret(caplog, tmp_path):
    state = tmp_path / "webhook.db"

    async def scenario():
        async with Listener({"secret": SECRET, "state_file": str(state), "max_body_size": "2048"}, caplog) as listener:
            body, headers = signed(TICKET_EVENT)
            statuses = [
                (await listener.post(body, {"X-SuperOffice-Signature": sign(body, "wrong-secret")}))[0],
                (await listener.post(b"{not json", {"X-SuperOffice-Signature": sign(b"{not json")}))[0],
                (await listener.post(*signed(dict(TICKET_EVENT, FieldValues={"text": "x" * 4096}))))[0],
                (await listener.post(*signed(TEST_EVENT)))[0],
            ]
            return statuses, listener.events()

    statuses, events = run(scenario())
    assert statuses == [401, 400, 413, 200] and events == []
    with sqlite3.connect(str(state)) as db:
        assert db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] == 0
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    run(_one_delivery(caplog, str(state)))
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert SECRET.encode() not in data and b"Server down" not in data and TICKET_EVENT["EventId"].encode() not in data


async def _one_delivery(caplog, state):
    caplog.clear()
    async with Listener({"secret": SECRET, "state_file": state}, caplog) as listener:
        await listener.post(*signed(TICKET_EVENT))


def test_a_damaged_state_file_stops_the_source_naming_the_file(tmp_path):
    state = tmp_path / "webhook.db"
    state.write_bytes(b"garbage, not SQLite " * 200)
    with pytest.raises(RuntimeError) as failure:
        run(source.main(asyncio.Queue(), {"host": "127.0.0.1", "port": 0, "state_file": str(state)}))
    assert str(state) in str(failure.value) and "file is not a database" in str(failure.value)


def test_stored_keys_expire_after_the_window(tmp_path):
    store = source.DeliveryKeys(str(tmp_path / "webhook.db"))
    now = [1000.0]
    keys = source.StoredKeys(store, 60, clock=lambda: now[0])
    assert keys.add_all(["a", "b"]) and not keys.add_all(["b", "c"])
    now[0] += 61
    assert keys.add_all(["c"]) and store.count() == 1
    store.close()


def test_a_delivery_written_but_not_handed_on_before_a_stop_is_taken_again(caplog, tmp_path):
    state = str(tmp_path / "webhook.db")
    # What a process killed between the write and the hand-on leaves behind: pending keys.
    store = source.DeliveryKeys(state)
    store.remember(source.delivery_keys(TICKET_EVENT, TICKET_EVENT["EventId"]), time.time(), 0, 1000)
    store.close()

    async def scenario():
        async with Listener({"secret": SECRET, "state_file": state}, caplog) as listener:
            first = await listener.post(*signed(TICKET_EVENT))
            again = await listener.post(*signed(new_cycle(TICKET_EVENT, 2)))
            return first, again, listener.events()

    first, again, events = run(scenario())
    assert [json.loads(first[1])["status"], json.loads(again[1])["status"]] == ["accepted", "duplicate"]
    assert len(events) == 1


def test_with_replay_a_restarted_source_hands_on_again_what_it_handed_on_before_the_stop(caplog, tmp_path):
    state = str(tmp_path / "webhook.db")
    other = dict(TICKET_EVENT, EventId="e-2", Timestamp="2026-12-03T11:00:00Z", PrimaryKey=4712)

    async def scenario():
        async with Listener({"secret": SECRET, "state_file": state, "replay": "300"}, caplog) as listener:
            answers = [await listener.post(*signed(TICKET_EVENT)), await listener.post(*signed(other))]
            before = listener.events()
        caplog.clear()
        async with Listener({"secret": SECRET, "state_file": state, "replay": 300}, caplog) as listener:
            for _attempt in range(200):
                if listener.queue.qsize() >= 2:
                    break
                await asyncio.sleep(0.01)
            replayed = listener.events()
            # SuperOffice's retry of an answered delivery is still a duplicate.
            retry = await listener.post(*signed(TICKET_EVENT))
            return answers, before, replayed, retry, listener.events()

    answers, before, replayed, retry, after = run(scenario())
    assert [a[0] for a in answers] == [200, 200] and len(before) == 2
    assert replayed == before
    assert json.loads(retry[1])["status"] == "duplicate" and after == []
    logs = info_logs_text(caplog)
    assert "superoffice_webhook replays 2 event(s) handed on in the 300 s before it stopped" in logs
    assert "Replayed ticket.created for EventId e-2 (uuid %s)" % before[1]["meta"]["uuid"] in logs
    data = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert SECRET.encode() not in data and b"X-SuperOffice-Signature" not in data


def info_logs_text(caplog):
    return "\n".join(record.getMessage() for record in caplog.records)


def test_without_replay_a_restarted_source_hands_on_nothing_again_and_keeps_no_payload(caplog, tmp_path):
    state = str(tmp_path / "webhook.db")

    async def scenario():
        async with Listener({"secret": SECRET, "state_file": state}, caplog) as listener:
            await listener.post(*signed(TICKET_EVENT))
        caplog.clear()
        async with Listener({"secret": SECRET, "state_file": state}, caplog) as listener:
            await asyncio.sleep(0.2)
            return listener.events()

    assert run(scenario()) == []
    with sqlite3.connect(state) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert "handed" not in tables
    data = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert b"Server down" not in data and TICKET_EVENT["EventId"].encode() not in data


def test_the_replay_window_is_counted_back_from_the_last_sign_of_life(tmp_path):
    store = source.DeliveryKeys(str(tmp_path / "webhook.db"))
    now = [1000.0]
    handed = source.HandedEvents(store, 60, clock=lambda: now[0])
    old = source.shape_event(dict(TICKET_EVENT, Timestamp="2026-12-03T09:00:00Z"), {})
    new = source.shape_event(TICKET_EVENT, {})
    handed.record(old)
    now[0] = 1030.0
    handed.record(new)
    # Signs of life while an event is within the window; none after it.
    now[0] = 1080.0
    assert handed.alive() is True
    now[0] = 1091.0
    assert handed.alive() is False
    # The stop is dated 1080: what was handed on from 1020 is replayed, the older event was deleted.
    assert [event["meta"]["uuid"] for event in handed.to_replay()] == [new["meta"]["uuid"]]
    with sqlite3.connect(store.path) as db:
        assert db.execute("SELECT COUNT(*) FROM handed").fetchone()[0] == 1
    store.close()


def test_an_event_is_kept_for_replay_before_its_delivery_is_confirmed(caplog, tmp_path, monkeypatch):
    state = tmp_path / "webhook.db"
    seen = []
    original = source.StoredKeys.confirm_all

    def confirm_all(keys_self, keys):
        with sqlite3.connect(str(state)) as db:
            seen.append(db.execute("SELECT COUNT(*) FROM handed").fetchone()[0])
        original(keys_self, keys)

    monkeypatch.setattr(source.StoredKeys, "confirm_all", confirm_all)

    async def scenario():
        async with Listener({"secret": SECRET, "state_file": str(state), "replay": 60}, caplog) as listener:
            status, _text = await listener.post(*signed(TICKET_EVENT))
        return status

    assert run(scenario()) == 200 and seen == [1]


@pytest.mark.parametrize("value", ["-1", "soon"])
def test_a_bad_replay_stops_the_source(value):
    with pytest.raises(ValueError, match="replay"):
        run(source.main(asyncio.Queue(), {"host": "127.0.0.1", "port": 0, "replay": value}))
