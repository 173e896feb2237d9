# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Event source: Zabbix problem and recovery events, polled through the collection's Zabbix client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
short_description: Poll Zabbix for new problem and recovery events
description:
  - Asks the Zabbix API (C(event.get), trigger events, by ascending event id from its cursor) every O(interval)
    seconds for problem events and, with O(recoveries), recovery events that are new since the source started (or
    since O(start), or since the cursor kept in O(state_file)).
  - Uses the collection's Zabbix client, as the modules do - the API version is detected, credentials are
    sent the way that version expects, TLS is verified, and secrets are masked in every message. The client is
    read-only - the source cannot run a script.
  - The cursor is the event id, never the clock. An event whose clock is old when it becomes visible (a proxy's
    backlog) or in the future (a skewed proxy) is emitted once, like any other. An event whose id was handed out
    earlier but that becomes visible later (a transaction that commits late) is emitted too, as long as its id is
    within O(lookback_ids) of the newest id handled - that many ids below the newest are asked again on every
    poll, and the ids already handled are dropped.
  - Each event is emitted once while the source runs, also when the connection is lost and Zabbix is asked
    again. With O(state_file) the cursor and the recently handled ids are written to the file before an event is
    handed on, and a restarted source resumes after its cursor - events raised while it was down are emitted.
  - With O(state_file) and O(replay), the events handed on in the last O(replay) seconds before the source stopped
    are emitted again when it starts - an event handed on but whose playbook did not finish when the process was
    killed then still reaches the rules. A replayed event has the same C(meta.uuid); the rules or playbooks must
    recognise what they already did (the role problem_ticket records each ticketed problem in Zabbix and skips it).
    The guarantee is at least once to the rules, exactly once per remediation through such a ledger.
  - A problem suppressed by a maintenance is not emitted, nor its recovery, unless O(suppressed) is true.
  - A lost connection, an unreachable server or an expired session is retried with growing delays
    (1 s doubling up to 60 s) and never stops the rulebook. Only wrong options, credentials refused at the
    first connection, or a state file that cannot be used stop the source.
  - Each event has C(zabbix) with C(eventid), C(kind) (C(problem) or C(recovery)), C(name), C(severity)
    (0-5; a recovery carries the severity of its problem), C(hosts) (technical host names), C(tags) (a list
    of C(tag), C(value)), C(clock) (Unix time), for a recovery C(problem_eventid); C(meta.hosts) holds the
    hosts, so that a playbook action runs on them; C(meta.uuid) is derived from the server and event id.
  - A recovery is matched against O(severity) and O(tags) with its problem's severity and tags.
options:
  url:
    description:
      - The Zabbix frontend (C(https://zabbix.example.com) or C(https://host/zabbix)) or the API endpoint.
      - When not given, the environment variable E(ZABBIX_URL).
    type: str
    required: true
  api_token:
    description: An API token (Zabbix 5.4+). When not given, E(ZABBIX_API_TOKEN).
    type: str
  username:
    description: The user to log in as, with O(password). When not given, E(ZABBIX_USERNAME).
    type: str
  password:
    description: The password of O(username). When not given, E(ZABBIX_PASSWORD).
    type: str
  http_username:
    description: A user for HTTP Basic authentication in front of the API.
    type: str
  http_password:
    description: The password of O(http_username).
    type: str
  validate_certs:
    description: Verify the server's TLS certificate.
    type: bool
    default: true
  ca_path:
    description: A PEM file of CA certificates to verify the server with.
    type: str
  timeout:
    description: Seconds to wait for each answer, as for the modules.
    type: int
    default: 90
  interval:
    description: Seconds between two polls.
    type: int
    default: 30
  severity:
    description: The lowest severity emitted, 0 (not classified) to 5 (disaster).
    type: int
    default: 0
  recoveries:
    description: Also emit recovery events (a problem resolved).
    type: bool
    default: true
  start:
    description:
      - V(now) emits only events newer than the newest event when the source starts.
      - An event id emits every event after that id, for example the last one handled before a restart.
      - Used only when O(state_file) holds no cursor yet.
    type: str
    default: now
  state_file:
    description:
      - A path - the source keeps its cursor (the newest event id handled) and the ids it handled recently there
        (an SQLite database, created with mode 0600; no secret is written to it), written before each event is
        handed on. A restarted source resumes after the cursor, so events raised while it was down are emitted.
      - A file that cannot be read, is damaged, or keeps the cursor of another server stops the source with a
        message naming the file; it never starts afresh by itself.
      - In a container, put it on a persistent volume.
      - Unset, nothing is kept - a restarted source starts from O(start).
    type: str
  replay:
    description:
      - With O(state_file), seconds - the events handed on in this many seconds before the source stopped are
        emitted again when it starts (see the description). V(0) replays nothing.
    type: int
    default: 0
  lookback_ids:
    description:
      - How many event ids below the newest one handled are asked again on every poll, for events that become
        visible late.
    type: int
    default: 500
  suppressed:
    description:
      - Also emit problems suppressed by a maintenance (and their recoveries).
      - When false, a problem that is suppressed when the source first sees it is not emitted, nor its recovery.
    type: bool
    default: false
  host_groups:
    description: Emit only events of hosts in one of these host groups (by name).
    type: list
    elements: str
  tags:
    description:
      - Emit only events that have one of these tags (a problem's own tags; a recovery's problem's).
      - Each is C(tag), and optionally C(value) (an exact match); without C(value) any value matches.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Open a CRM ticket for each new Zabbix problem
  hosts: all
  sources:
    - name: Zabbix problems
      scriptbridge.core.zabbix_events:
        url: https://zabbix.example.com
        api_token: "{{ ZABBIX_API_TOKEN }}"
        interval: 30
        severity: 3
        recoveries: false
        state_file: /var/lib/eda/zabbix_events.db
        host_groups: [Linux servers]
        tags:
          - tag: service
            value: web
  rules:
    - name: A problem
      condition: event.zabbix.kind == "problem"
      action:
        run_playbook:
          name: problem_ticket.yml
"""

import asyncio
import logging
import time
import uuid

try:
    from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ProtocolError, ScriptBridgeError
except ImportError:
    # ansible-rulebook runs a source from its file (runpy.run_path), found through `ansible-galaxy collection
    # list`: the collection is not importable yet. Ansible's own collection loader, on the same collection
    # paths (ANSIBLE_COLLECTIONS_PATH, ansible.cfg), makes it so. Only its import finder is kept: its path
    # hook claims every path, which would make ansible-rulebook's next runpy.run_path (of a filter or
    # another source) look for a __main__ module in a file.
    import sys

    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    init_plugin_loader()
    sys.path_hooks[:] = [hook for hook in sys.path_hooks
                         if getattr(hook, "__self__", None) is not AnsibleCollectionConfig.collection_finder]
    sys.path_importer_cache.clear()
    from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ProtocolError, ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.connection import fallback_variables
from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils.eda.state import StateFileError, ZabbixState
from ansible_collections.scriptbridge.core.plugins.module_utils.zabbix.connection import ZABBIX

LOGGER = logging.getLogger("scriptbridge.core.zabbix_events")
UUID_NAMESPACE = uuid.UUID("0f4a5d1e-3c2b-4e8f-9a7d-6b1c2e3f4a5b")
PAGE = 1000
# Ids this far below the newest one handled are asked again on every poll, so that an event whose id was
# handed out earlier but that became visible later is still emitted. Below a page, so that a quiet poll is
# one event.get.
LOOKBACK_IDS = 500
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
# Failures that cannot mend by themselves when the source starts: wrong options or credentials.
FATAL_AT_START = ("auth", "invalid_params", "unsupported", "not_found_or_forbidden")
EVENT_OUTPUT = ["eventid", "objectid", "clock", "value", "name", "severity", "suppressed"]


class SourceOptionError(ValueError):
    """An option the source cannot work with."""


class SourceStateError(RuntimeError):
    """A state file the source cannot work with."""


def _as_bool(value, name):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise SourceOptionError("%s must be true or false, got %r" % (name, value))


def _as_int(value, name, low=None, high=None):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise SourceOptionError("%s must be a whole number, got %r" % (name, value))
    if (low is not None and number < low) or (high is not None and number > high):
        raise SourceOptionError("%s must be between %s and %s, got %d" % (name, low, high, number))
    return number


def _tag_filters(value):
    if not value:
        return []
    if not isinstance(value, list):
        raise SourceOptionError("tags must be a list of {tag, value}")
    filters = []
    for item in value:
        if isinstance(item, str):
            item = {"tag": item}
        if not isinstance(item, dict) or not item.get("tag") or set(item) - {"tag", "value"}:
            raise SourceOptionError("each of tags is {tag: name} or {tag: name, value: text}, got %r" % (item,))
        filters.append((str(item["tag"]), None if item.get("value") is None else str(item["value"])))
    return filters


def connection_options(args):
    """The options of the modules' Zabbix connection group (transport included), with its environment fallbacks."""
    options = {}
    for group in ZABBIX.compose():
        options.update(group.options_from(args))
    if not options["url"]:
        raise SourceOptionError("url is required (or %s)"
                                % " or ".join(fallback_variables(ZABBIX.argument_spec()["url"])))
    try:
        ZABBIX.validate(options)
    except OptionError as exc:
        raise SourceOptionError(str(exc))
    options["validate_certs"] = _as_bool(options["validate_certs"], "validate_certs")
    options["timeout"] = _as_int(options["timeout"], "timeout", 1, 86400)
    return options


def poll_options(args):
    start = str(args.get("start", "now") or "now").strip()
    if start != "now" and not start.isdigit():
        raise SourceOptionError("start must be 'now' or an event id, got %r" % start)
    groups = args.get("host_groups") or []
    if isinstance(groups, str):
        groups = [groups]
    return {
        "interval": _as_int(args.get("interval", 30), "interval", 1, 86400),
        "severity": _as_int(args.get("severity", 0), "severity", 0, 5),
        "recoveries": _as_bool(args.get("recoveries", True), "recoveries"),
        "start": None if start == "now" else int(start),
        "host_groups": [str(group) for group in groups],
        "tags": _tag_filters(args.get("tags")),
        "suppressed": _as_bool(args.get("suppressed", False), "suppressed"),
        "state_file": str(args.get("state_file") or "").strip() or None,
        "replay": _as_int(args.get("replay", 0), "replay", 0, 30 * 86400),
        "lookback_ids": _as_int(args.get("lookback_ids", LOOKBACK_IDS), "lookback_ids", 0, 10 ** 9),
    }


class Connector:
    """Opens logged-in clients of the Zabbix connection group (in a worker thread) and closes them."""

    def __init__(self, options):
        self.options = options
        self.redactor = Redactor()
        for secret in (options.get("api_token"), options.get("password")):
            self.redactor.add(secret)
        self.redactor.add_basic_auth(options.get("http_username"), options.get("http_password"))

    def open(self):
        client = ZABBIX.client(self.options, pool_size=1, redactor=self.redactor, read_only=True)
        try:
            client.detect_version()
            client.login()
        except BaseException:
            client.close()
            raise
        return client

    def scrub(self, text):
        return self.redactor.scrub(text)


class Cursor:
    """Which events were handled, by id: ids at or below ``floor`` never count; above it, ``seen`` holds the
    ids handled (with the time each was handed on, None when it was not) and ``newest`` the highest one.

    With a state file every change is written to it before the events it concerns are handed on.
    """

    def __init__(self, after=None, lookback=LOOKBACK_IDS, replay=0, state=None, clock=time.time):
        self.floor = after
        self.newest = after
        self.lookback = lookback
        self.replay = replay
        self.state = state
        self.clock = clock
        self.seen = {}
        self.pending = set()
        self.suppressed = set()
        self.saved_at = None

    @property
    def after(self):
        return self.floor

    def load(self):
        """The cursor of the state file; False when it holds none yet."""
        if self.state is None:
            return False
        loaded = self.state.load()
        if loaded is None:
            return False
        self.floor, self.newest, self.saved_at, self.seen, self.pending, self.suppressed = loaded
        return True

    def begin(self, after):
        self.floor = self.newest = after
        if self.state is not None:
            self.state.start(after, self.clock())

    def query_from(self):
        return self.floor + 1

    def is_new(self, eventid):
        eventid = int(eventid)
        return eventid > self.floor and eventid not in self.seen

    def to_replay(self):
        """Ids written as about to be handed on but not confirmed (a stop came in between), and those handed on
        in the last ``replay`` seconds before the state was last written; ascending."""
        again = set(self.pending)
        if self.replay and self.saved_at is not None:
            since = self.saved_at - self.replay
            again.update(eventid for eventid, handed in self.seen.items() if handed is not None and handed >= since)
        return sorted(again)

    def confirm(self, eventids):
        if self.state is not None and eventids:
            self.state.confirm(eventids)
        self.pending.difference_update(eventids)

    def mark(self, marks, suppressed_add=(), suppressed_drop=()):
        """Remember ``marks`` ((eventid, handed on?) pairs); written before any of them is handed on."""
        now = self.clock()
        stamped = [(int(eventid), now if handed else None) for eventid, handed in marks]
        newest = max([self.newest] + [eventid for eventid, _handed in stamped])
        if self.state is not None:
            self.state.record(stamped, newest, suppressed_add, suppressed_drop, now)
        self.seen.update(stamped)
        self.pending.update(eventid for eventid, handed in stamped if handed is not None)
        self.suppressed.update(suppressed_add)
        self.suppressed.difference_update(suppressed_drop)
        self.newest = newest
        self.saved_at = now

    def advance(self):
        """After a poll: the floor follows the newest id, ``lookback`` below it."""
        now = self.clock()
        floor = max(self.floor, self.newest - self.lookback)
        keep_after = now - self.replay if self.replay else now + 1
        if self.state is not None:
            self.state.advance(floor, keep_after, now)
        self.floor = floor
        self.seen = dict((eventid, handed) for eventid, handed in self.seen.items()
                         if eventid > floor or eventid in self.pending or (handed is not None and handed >= keep_after))
        self.saved_at = now


def _tags(row):
    return [{"tag": str(tag.get("tag", "")), "value": str(tag.get("value", ""))} for tag in row.get("tags") or []]


def _hosts(row):
    return [str(host["host"]) for host in row.get("hosts") or [] if host.get("host")]


def _matches(zabbix, options):
    if zabbix["severity"] < options["severity"]:
        return False
    if not options["tags"]:
        return True
    return any(tag["tag"] == name and (value is None or tag["value"] == value)
               for name, value in options["tags"] for tag in zabbix["tags"])


def shape_event(row, problem, url):
    """The event of one ``event.get`` row; ``problem`` is the problem row of a recovery (or None)."""
    recovery = str(row["value"]) != "1"
    origin = problem if recovery and problem is not None else row
    zabbix = {
        "eventid": str(row["eventid"]),
        "kind": "recovery" if recovery else "problem",
        "name": row.get("name") or origin.get("name") or "",
        "severity": int(origin.get("severity") or 0),
        "hosts": _hosts(row),
        "tags": _tags(origin) if recovery else _tags(row),
        "clock": int(row["clock"]),
    }
    if recovery:
        zabbix["problem_eventid"] = None if problem is None else str(problem["eventid"])
    meta = {"uuid": str(uuid.uuid5(UUID_NAMESPACE, "%s#%s" % (url, zabbix["eventid"])))}
    if zabbix["hosts"]:
        meta["hosts"] = list(zabbix["hosts"])
    return {"zabbix": zabbix, "meta": meta}


def _public_url(url):
    """The URL as logged: no user info, no query."""
    scheme, _sep, rest = str(url).partition("://")
    return "%s://%s" % (scheme, rest.rsplit("@", 1)[-1].split("?", 1)[0]) if rest else str(url)


class Poller:
    """The polling loop: connect, ask for new events, emit, wait; back off on failures."""

    def __init__(self, queue, connector, options, sleep=asyncio.sleep):
        self.queue = queue
        self.connector = connector
        self.options = options
        self.sleep = sleep
        self.url = connector.options["url"]
        state = None
        if options.get("state_file"):
            try:
                state = ZabbixState(options["state_file"], _public_url(self.url))
            except StateFileError as exc:
                raise SourceStateError(str(exc))
        self.cursor = Cursor(options["start"], lookback=options.get("lookback_ids", LOOKBACK_IDS),
                             replay=options.get("replay", 0) if state is not None else 0, state=state)
        self.client = None
        self.groupids = None
        self.started = False
        self.replayed = False

    async def run(self):
        LOGGER.info("zabbix_events polling %s every %d s", _public_url(self.url), self.options["interval"])
        failures = 0
        try:
            if self.cursor.load():
                LOGGER.info("zabbix_events resumes after event %d (state file %s)", self.cursor.newest,
                            self.cursor.state.path)
            while True:
                try:
                    await self.poll_once()
                except StateFileError as exc:
                    raise SourceStateError(str(exc))
                except (ScriptBridgeError, OSError) as exc:
                    kind = getattr(exc, "kind", "server_unreachable")
                    message = self.connector.scrub(str(exc))
                    if not self.started and kind in FATAL_AT_START:
                        raise SourceOptionError("Zabbix refused the source (%s): %s" % (kind, message))
                    failures += 1
                    delay = min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX)
                    LOGGER.warning("Polling Zabbix failed (%s), trying again in %g s: %s", kind, delay, message)
                    await self.drop_client()
                    await self.sleep(delay)
                    continue
                failures = 0
                await self.sleep(self.options["interval"])
        finally:
            await self.drop_client()
            if self.cursor.state is not None:
                self.cursor.state.close()

    async def call(self, method, params):
        return await asyncio.to_thread(self.client.call, method, params)

    async def drop_client(self):
        client, self.client = self.client, None
        if client is not None:
            try:
                await asyncio.wait_for(asyncio.to_thread(client.close), 10)
            except (ScriptBridgeError, OSError, asyncio.TimeoutError):
                pass

    async def connect(self):
        self.client = await asyncio.to_thread(self.connector.open)
        if self.groupids is None:
            self.groupids = await self.resolve_groups()
        if self.cursor.floor is None:
            after = self.options["start"]
            if after is None:
                newest = await self.call("event.get", {"output": ["eventid"], "source": 0, "object": 0,
                                                       "sortfield": ["eventid"], "sortorder": "DESC", "limit": 1})
                after = int(newest[0]["eventid"]) if newest else 0
            self.cursor.begin(after)
            LOGGER.info("zabbix_events starts after event %d", after)
        if self.started:
            LOGGER.info("zabbix_events connected to Zabbix again")
        self.started = True

    async def resolve_groups(self):
        names = self.options["host_groups"]
        if not names:
            return []
        found = await self.call("hostgroup.get", {"output": ["groupid", "name"], "filter": {"name": names}})
        by_name = dict((group["name"], str(group["groupid"])) for group in found)
        missing = [name for name in names if name not in by_name]
        if missing:
            raise SourceOptionError("No host group named %s is visible to this user." % ", ".join(map(repr, missing)))
        return [by_name[name] for name in names]

    def query(self, eventid_from):
        params = {"output": EVENT_OUTPUT, "source": 0, "object": 0,
                  "value": [1, 0] if self.options["recoveries"] else [1],
                  "eventid_from": str(eventid_from), "sortfield": ["eventid"], "sortorder": "ASC",
                  "selectHosts": ["host"], "selectTags": "extend", "limit": PAGE}
        if self.groupids:
            params["groupids"] = self.groupids
        return params

    async def poll_once(self):
        if self.client is None:
            await self.connect()
        if not self.replayed:
            await self.replay()
        page_from = self.cursor.query_from()
        while True:
            rows = await self.call("event.get", self.query(page_from))
            await self.emit_new(rows)
            if len(rows) < PAGE:
                break
            page_from = int(rows[-1]["eventid"]) + 1
        self.cursor.advance()

    async def replay(self):
        """Once after a start from a state file: hand on again what was handed on just before the stop."""
        eventids = self.cursor.to_replay()
        self.replayed = True
        if not eventids:
            return
        rows = []
        for start in range(0, len(eventids), PAGE):
            params = dict(self.query(0), eventids=[str(i) for i in eventids[start:start + PAGE]])
            del params["eventid_from"]
            rows.extend(await self.call("event.get", params))
        LOGGER.info("zabbix_events replays %d event(s) handed on (or about to be) in the %d s before it stopped",
                    len(rows), self.cursor.replay)
        await self.emit(rows, replay=True)
        # Ids that are no longer visible (deleted) are not asked for again.
        self.cursor.confirm(eventids)

    async def problems_of(self, recoveries):
        """The problem row of each recovery, by the recovery's event id."""
        if not recoveries:
            return {}
        rows = await self.call("event.get", {
            "output": ["eventid", "r_eventid", "name", "severity", "suppressed"], "source": 0, "object": 0, "value": 1,
            "objectids": sorted(set(str(row["objectid"]) for row in recoveries)),
            "eventid_till": str(max(int(row["eventid"]) for row in recoveries)),
            "selectTags": "extend", "sortfield": ["eventid"], "sortorder": "DESC", "limit": PAGE})
        return dict((str(row["r_eventid"]), row) for row in rows if str(row.get("r_eventid") or "0") != "0")

    def _suppressed(self, row, problem):
        """The row is a suppressed problem, or the recovery of one (as Zabbix says, or as first seen)."""
        if self.options.get("suppressed", True):
            return False
        if str(row["value"]) == "1":
            return str(row.get("suppressed") or "0") == "1"
        if problem is None:
            return False
        return str(problem.get("suppressed") or "0") == "1" or int(problem["eventid"]) in self.cursor.suppressed

    async def emit_new(self, rows):
        await self.emit([row for row in rows if self.cursor.is_new(row["eventid"])])

    async def emit(self, rows, replay=False):
        try:
            rows = sorted(rows, key=lambda r: int(r["eventid"]))
            problems = await self.problems_of([row for row in rows if str(row["value"]) != "1"])
            shaped = []
            for row in rows:
                problem = problems.get(str(row["eventid"]))
                event = shape_event(row, problem, self.url)
                suppressed = self._suppressed(row, problem)
                shaped.append((row, event, problem, not suppressed and _matches(event["zabbix"], self.options),
                               suppressed))
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ProtocolError("event.get returned events of an unexpected shape (%s: %s)."
                                % (type(exc).__name__, exc))
        if not shaped:
            return
        # Written before anything is handed on: a restart never hands on an event of this poll for the first time
        # twice, and with replay it hands on again what may not have been acted on.
        self.cursor.mark(
            [(row["eventid"], wanted) for row, _event, _problem, wanted, _suppressed in shaped],
            suppressed_add=[int(row["eventid"]) for row, _e, _p, _w, suppressed in shaped
                            if suppressed and str(row["value"]) == "1"],
            suppressed_drop=[int(problem["eventid"]) for row, _e, problem, _w, _s in shaped
                             if problem is not None and str(row["value"]) != "1"])
        handed = []
        for row, event, _problem, wanted, suppressed in shaped:
            if suppressed:
                LOGGER.info("Skipped Zabbix %s event %s: suppressed by a maintenance", event["zabbix"]["kind"],
                            event["zabbix"]["eventid"])
            if not wanted:
                continue
            await self.queue.put(event)
            await asyncio.sleep(0)
            handed.append(int(row["eventid"]))
            LOGGER.info("%s Zabbix %s event %s", "Replayed" if replay else "Emitted", event["zabbix"]["kind"],
                        event["zabbix"]["eventid"])
        # Handed on: a restart does not hand them on again (unless they are within replay).
        self.cursor.confirm(handed)


async def main(queue, args):
    """Poll until cancelled."""
    connector = Connector(connection_options(args))
    await Poller(queue, connector, poll_options(args)).run()


if __name__ == "__main__":

    class MockQueue(asyncio.Queue):
        async def put(self, item):
            print(item)

    asyncio.run(main(MockQueue(), {"interval": 5}))
