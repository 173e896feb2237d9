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
  - Asks the Zabbix API (C(event.get), trigger events, by ascending event id) every O(interval) seconds for
    problem events and, with O(recoveries), recovery events that are new since the source started (or since
    O(start)).
  - Uses the collection's Zabbix client, as the modules do - the API version is detected, credentials are
    sent the way that version expects, TLS is verified, and secrets are masked in every message.
  - Each event is emitted once while the source runs, also when the connection is lost and Zabbix is asked
    again, and when an event becomes visible late (events from the last ten minutes are asked again and
    compared).
  - A lost connection, an unreachable server or an expired session is retried with growing delays
    (1 s doubling up to 60 s) and never stops the rulebook. Only wrong options or credentials refused at the
    first connection stop the source.
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
    type: str
    default: now
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
import os
import sys
import uuid

try:
    from ansible_collections.scriptbridge.core.plugins.module_utils._errors import ProtocolError, ScriptBridgeError
except ImportError:
    # ansible-rulebook runs a source from its file: make the collection's root importable.
    _ROOT = os.path.abspath(__file__)
    for _level in range(8):
        _ROOT = os.path.dirname(_ROOT)
    sys.path.insert(0, _ROOT)
    from ansible_collections.scriptbridge.core.plugins.module_utils._errors import ProtocolError, ScriptBridgeError
from ansible_collections.scriptbridge.core.plugins.module_utils._errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils._http import DEFAULT_TIMEOUT, Redactor
from ansible_collections.scriptbridge.core.plugins.module_utils._zabbix import ZabbixClient, check_credentials

LOGGER = logging.getLogger("scriptbridge.core.zabbix_events")
UUID_NAMESPACE = uuid.UUID("0f4a5d1e-3c2b-4e8f-9a7d-6b1c2e3f4a5b")
PAGE = 500
# Events of the last LOOKBACK seconds (by the server's clock) are asked again on every poll, so that one
# whose id was handed out earlier but that became visible later is still emitted.
LOOKBACK = 600
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
# Failures that cannot mend by themselves when the source starts: wrong options or credentials.
FATAL_AT_START = ("auth", "invalid_params", "unsupported", "not_found_or_forbidden")
EVENT_OUTPUT = ["eventid", "objectid", "clock", "value", "name", "severity"]
CONNECTION_ENV = {"url": "ZABBIX_URL", "api_token": "ZABBIX_API_TOKEN", "username": "ZABBIX_USERNAME",
                  "password": "ZABBIX_PASSWORD"}


class SourceOptionError(ValueError):
    """An option the source cannot work with."""


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
    """The keyword arguments of ZabbixClient, with the environment fallbacks of the modules."""
    options = {}
    for name in ("url", "api_token", "username", "password", "http_username", "http_password", "ca_path"):
        value = args.get(name)
        if value in (None, "") and name in CONNECTION_ENV:
            value = os.environ.get(CONNECTION_ENV[name])
        options[name] = value if value not in ("",) else None
    if not options["url"]:
        raise SourceOptionError("url is required (or ZABBIX_URL)")
    try:
        check_credentials(options["api_token"], options["username"], options["password"])
    except OptionError as exc:
        raise SourceOptionError(str(exc))
    options["validate_certs"] = _as_bool(args.get("validate_certs", True), "validate_certs")
    options["timeout"] = _as_int(args.get("timeout", DEFAULT_TIMEOUT), "timeout", 1, 86400)
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
    }


class Connector:
    """Opens logged-in clients (in a worker thread) and closes them."""

    def __init__(self, options):
        self.options = options
        self.redactor = Redactor()
        for secret in (options.get("api_token"), options.get("password")):
            self.redactor.add(secret)
        self.redactor.add_basic_auth(options.get("http_username"), options.get("http_password"))

    def open(self):
        client = ZabbixClient(self.options["url"], api_token=self.options["api_token"],
                              username=self.options["username"], password=self.options["password"],
                              http_username=self.options["http_username"], http_password=self.options["http_password"],
                              validate_certs=self.options["validate_certs"], ca_path=self.options["ca_path"],
                              timeout=self.options["timeout"], pool_size=1, redactor=self.redactor, read_only=True)
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
    """Which events were emitted: the start after which events count, and the recent ones seen."""

    def __init__(self, after=None):
        self.after = after
        self.seen = {}
        self.newest_clock = None

    def time_from(self):
        return None if self.newest_clock is None else self.newest_clock - LOOKBACK

    def is_new(self, eventid):
        return int(eventid) not in self.seen

    def mark(self, eventid, clock):
        self.seen[int(eventid)] = int(clock)
        self.newest_clock = max(self.newest_clock or 0, int(clock))

    def prune(self):
        horizon = self.time_from()
        if horizon is not None:
            self.seen = dict((eventid, clock) for eventid, clock in self.seen.items() if clock >= horizon)


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
        self.cursor = Cursor(options["start"])
        self.url = connector.options["url"]
        self.client = None
        self.groupids = None
        self.started = False

    async def run(self):
        LOGGER.info("zabbix_events polling %s every %d s", _public_url(self.url), self.options["interval"])
        failures = 0
        try:
            while True:
                try:
                    await self.poll_once()
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
        if self.cursor.after is None:
            newest = await self.call("event.get", {"output": ["eventid"], "source": 0, "object": 0,
                                                   "sortfield": ["eventid"], "sortorder": "DESC", "limit": 1})
            self.cursor.after = int(newest[0]["eventid"]) if newest else 0
            LOGGER.info("zabbix_events starts after event %d", self.cursor.after)
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
        if self.cursor.time_from() is not None:
            params["time_from"] = str(self.cursor.time_from())
        return params

    async def poll_once(self):
        if self.client is None:
            await self.connect()
        page_from = self.cursor.after + 1
        while True:
            rows = await self.call("event.get", self.query(page_from))
            await self.emit_new(rows)
            if len(rows) < PAGE:
                break
            page_from = int(rows[-1]["eventid"]) + 1
        self.cursor.prune()

    async def problems_of(self, recoveries):
        """The problem row of each recovery, by the recovery's event id."""
        if not recoveries:
            return {}
        rows = await self.call("event.get", {
            "output": ["eventid", "r_eventid", "name", "severity"], "source": 0, "object": 0, "value": 1,
            "objectids": sorted(set(str(row["objectid"]) for row in recoveries)),
            "eventid_till": str(max(int(row["eventid"]) for row in recoveries)),
            "selectTags": "extend", "sortfield": ["eventid"], "sortorder": "DESC", "limit": PAGE})
        return dict((str(row["r_eventid"]), row) for row in rows if str(row.get("r_eventid") or "0") != "0")

    async def emit_new(self, rows):
        try:
            rows = sorted((row for row in rows if self.cursor.is_new(row["eventid"])), key=lambda r: int(r["eventid"]))
            problems = await self.problems_of([row for row in rows if str(row["value"]) != "1"])
            events = [shape_event(row, problems.get(str(row["eventid"])), self.url) for row in rows]
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ProtocolError("event.get returned events of an unexpected shape (%s: %s)."
                                % (type(exc).__name__, exc))
        for row, event in zip(rows, events):
            self.cursor.mark(row["eventid"], row["clock"])
            if _matches(event["zabbix"], self.options):
                await self.queue.put(event)
                await asyncio.sleep(0)
                LOGGER.info("Emitted Zabbix %s event %s", event["zabbix"]["kind"], event["zabbix"]["eventid"])


async def main(queue, args):
    """Poll until cancelled."""
    connector = Connector(connection_options(args))
    await Poller(queue, connector, poll_options(args)).run()
