# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Event source: SuperOffice webhook deliveries, verified, de-duplicated and shaped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
short_description: Receive SuperOffice webhook deliveries
description:
  - An HTTP or HTTPS listener for SuperOffice CRM webhooks (C(POST) to any path).
  - When O(secret) is set, every request must carry C(X-SuperOffice-Signature), the base64 HMAC-SHA256
    of the raw body keyed with the secret; it is compared in constant time. An unsigned or badly signed
    request is answered 401 and emits nothing.
  - The C(test) event that SuperOffice sends when a webhook is saved or tested is answered 200 and not emitted.
  - Each delivery is emitted once. A delivery has two keys - its C(EventId), and its content (C(ContextIdentifier),
    C(Event), C(Entity), C(PrimaryKey), C(Timestamp)). A delivery with a key already received within
    O(redelivery_window) seconds is answered 200 and dropped - a retry of the same attempt cycle (same C(EventId))
    and also the copy of a new retry cycle, to which SuperOffice gives a new C(EventId). A body without
    C(Timestamp) has only the C(EventId) key.
  - With O(state_file) the keys are written to the file before the event is handed on and the delivery is answered
    200, so a restarted source still drops a redelivery. A delivery is answered 200 only once it is written and
    handed on - a source killed before that leaves SuperOffice to deliver again.
  - SuperOffice does not deliver again what was answered 200. With O(state_file) and O(replay), each event handed
    on is also written to the file (before the answer 200), and the events handed on in the last O(replay) seconds
    before the source stopped are handed on again when it starts - an event whose playbook a kill cut still reaches
    the rules. A replayed event has the same C(meta.uuid); the playbooks must recognise what they already did (the
    role event_remediation, given the C(meta.uuid) as C(event_remediation_key), keeps a ledger in the CRM and runs
    no Zabbix script twice). The guarantee is at least once to the rules, exactly once per remediation through
    such a ledger.
  - A body that is not a JSON object, or lacks C(Event) or C(EventId), is answered 400; a body over
    O(max_body_size) bytes 413; neither emits anything.
  - Each event has C(superoffice) with C(event) (for example C(ticket.created)), C(entity), C(action),
    C(event_id), C(primary_key), C(tenant) (the C(ContextIdentifier)), C(webhook_name), C(changes),
    C(field_values), C(payload) (the body as sent), and C(meta.uuid) derived from the content key (from the
    C(EventId) when the body has no C(Timestamp)), the same for every copy of a change.
  - SuperOffice posts only to HTTPS targets with a valid certificate; serve HTTPS with O(certfile) and
    O(keyfile), or put the listener behind a TLS-terminating proxy.
  - No secret is logged; refused requests are logged with their status and reason. A refused request writes
    nothing to O(state_file). No secret and no header is written to O(state_file).
options:
  host:
    description: The address to listen on.
    type: str
    default: 0.0.0.0
  port:
    description: The port to listen on. V(0) lets the system choose; the log says which.
    type: int
    required: true
  secret:
    description:
      - The webhook's C(Secret), as registered in SuperOffice.
      - When set, C(X-SuperOffice-Signature) is required and checked. Without it, requests are not authenticated.
    type: str
  certfile:
    description: A PEM certificate (chain) to serve HTTPS with; needs O(keyfile).
    type: str
  keyfile:
    description: The PEM private key of O(certfile).
    type: str
  redelivery_window:
    description: Seconds during which a delivery key (C(EventId) or content) already received is dropped as a redelivery.
    type: int
    default: 86400
  state_file:
    description:
      - A path - the delivery keys seen within O(redelivery_window) are kept there (an SQLite database of truncated SHA-256
        digests, created with mode 0600; no secret is written to it), written before the delivery is answered 200. A
        restarted source still drops a redelivery.
      - With O(replay), also the events handed on in the last O(replay) seconds (each as it was emitted, the body as
        delivered included, no header); older ones are deleted. Without O(replay), no payload is written.
      - A file that cannot be read or is damaged stops the source with a message naming the file.
      - In a container, put it on a persistent volume. Unset, the keys are kept in memory only.
    type: str
  replay:
    description:
      - With O(state_file), seconds - the events handed on in this many seconds before the source stopped are handed
        on again when it starts (see the description). V(0) replays nothing and keeps no event in the file.
      - It must cover the time from the answer 200 to the end of the playbook, including the time the event waits
        behind other actions.
    type: int
    default: 0
  max_body_size:
    description: The largest request body accepted, in bytes.
    type: int
    default: 1048576
"""

EXAMPLES = r"""
- name: Remediate what the CRM's ticket handlers ask for
  hosts: localhost
  sources:
    - name: SuperOffice webhooks
      scriptbridge.core.superoffice_webhook:
        host: 0.0.0.0
        port: 5443
        secret: "{{ SUPEROFFICE_WEBHOOK_SECRET }}"
        certfile: /etc/eda/tls/webhook.crt
        keyfile: /etc/eda/tls/webhook.key
        state_file: /var/lib/eda/superoffice_webhook.db
        replay: 300
  rules:
    - name: A ticket was created or changed
      condition: event.superoffice.entity == "ticket"
      action:
        run_playbook:
          name: remediate.yml
"""

import asyncio
import base64
import binascii
import collections
import hashlib
import hmac
import json
import logging
import ssl
import time
import uuid

from aiohttp import web

try:
    from ansible_collections.scriptbridge.core.plugins.module_utils.eda.state import DeliveryKeys, HandedEvents, StateFileError
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
    from ansible_collections.scriptbridge.core.plugins.module_utils.eda.state import DeliveryKeys, HandedEvents, StateFileError

LOGGER = logging.getLogger("scriptbridge.core.superoffice_webhook")
SIGNATURE_HEADER = "X-SuperOffice-Signature"
EVENT_ID_HEADER = "X-SuperOffice-EventId"
# meta.uuid of an event is a UUID5 of its content key (or EventId) in this namespace, the same for every copy.
CONTENT_FIELDS = ("ContextIdentifier", "Event", "Entity", "PrimaryKey", "Timestamp")
UUID_NAMESPACE = uuid.UUID("5b0e8a4e-6f1d-4c7a-9a53-2f7d0c1e9b34")
DEFAULT_WINDOW = 86400
DEFAULT_MAX_BODY = 1024 * 1024
MAX_REMEMBERED = 100000


class Refusal(Exception):
    """A request that is answered with an error status and emits nothing."""

    def __init__(self, status, reason):
        super(Refusal, self).__init__(reason)
        self.status = status
        self.reason = reason


class RecentIds:
    """EventIds seen within a window, oldest first."""

    def __init__(self, window, clock=time.monotonic, limit=MAX_REMEMBERED):
        self.window = window
        self.clock = clock
        self.limit = limit
        self._seen = collections.OrderedDict()

    def add(self, event_id):
        """Remember ``event_id``; False when it was already seen within the window."""
        now = self.clock()
        while self._seen:
            oldest, seen_at = next(iter(self._seen.items()))
            if now - seen_at < self.window and len(self._seen) < self.limit:
                break
            del self._seen[oldest]
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True

    def forget(self, event_id):
        self._seen.pop(event_id, None)

    def add_all(self, keys):
        """Remember every one of ``keys``; False when any was already seen within the window."""
        fresh = [self.add(key) for key in keys]
        return all(fresh)


class StoredKeys:
    """Delivery keys seen within a window, in a state file, by wall-clock time (it outlives the process)."""

    def __init__(self, store, window, clock=time.time, limit=MAX_REMEMBERED):
        self.store = store
        self.window = window
        self.clock = clock
        self.limit = limit

        # Keys of deliveries being handed on by this process; a pending key in the file that is not here was
        # left by a process stopped before it handed the delivery on.
        self.in_flight = set()

    def add_all(self, keys):
        now = self.clock()
        seen = self.store.seen_since(keys, now - self.window)
        if any(not pending or key in self.in_flight for key, pending in seen.items()):
            if set(keys) - set(seen):
                self.store.remember(sorted(set(keys) - set(seen)), now, now - self.window, self.limit)
                self.store.confirm(sorted(set(keys) - set(seen)))
            return False
        self.store.remember(keys, now, now - self.window, self.limit)
        self.in_flight.update(keys)
        return True

    def confirm_all(self, keys):
        """The delivery was handed on: from now on a redelivery is a duplicate, also after a restart."""
        self.store.confirm(keys)
        self.in_flight.difference_update(keys)

    def forget_all(self, keys):
        self.in_flight.difference_update(keys)
        self.store.forget(keys)


def content_key(payload):
    """What every copy of one change has in common, or None when the body lacks a Timestamp."""
    if payload.get("Timestamp") in (None, ""):
        return None
    return json.dumps([payload.get(name) for name in CONTENT_FIELDS], sort_keys=True, default=str)


def delivery_keys(payload, event_id):
    """The keys of a delivery as remembered: digests of its EventId and of its content."""
    keys = ["id:" + hashlib.sha256(event_id.encode("utf-8")).hexdigest()]
    content = content_key(payload)
    if content is not None:
        keys.append("content:" + hashlib.sha256(content.encode("utf-8")).hexdigest())
    return keys


def check_signature(secret, body, header):
    """Refuses a delivery whose header is not base64 of HMAC-SHA256 of the body, keyed with the UTF-8 secret."""
    if header is None or not header.strip():
        raise Refusal(401, "no %s header (the webhook has a secret)" % SIGNATURE_HEADER)
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Refusal(401, "%s is not base64" % SIGNATURE_HEADER)
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected):
        raise Refusal(401, "%s does not match the body" % SIGNATURE_HEADER)


def parse_delivery(body, headers):
    """The JSON object of a delivery; refuses what is not one."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refusal(400, "the body is not JSON")
    if not isinstance(payload, dict):
        raise Refusal(400, "the body is not a JSON object")
    name = payload.get("Event")
    if not isinstance(name, str) or not name:
        raise Refusal(400, "the body has no Event")
    if name != "test" and not (payload.get("EventId") or headers.get(EVENT_ID_HEADER)):
        raise Refusal(400, "the body has no EventId")
    return payload


def shape_event(payload, headers):
    """The event put on the queue for one delivery."""
    name = payload["Event"]
    event_id = str(payload.get("EventId") or headers.get(EVENT_ID_HEADER))
    entity = payload.get("Entity") or name.split(".", 1)[0]
    content = content_key(payload)
    return {
        "superoffice": {
            "event": name,
            "entity": entity,
            "action": name.rsplit(".", 1)[-1] if "." in name else name,
            "event_id": event_id,
            "primary_key": payload.get("PrimaryKey"),
            "tenant": payload.get("ContextIdentifier"),
            "webhook_name": payload.get("WebhookName"),
            "changes": payload.get("Changes") or [],
            "field_values": payload.get("FieldValues") or {},
            "payload": payload,
        },
        "meta": {"uuid": str(uuid.uuid5(UUID_NAMESPACE, event_id if content is None else "content:" + content))},
    }


class Receiver:
    """Turns requests into events: verification, refusal, de-duplication."""

    # pylint: disable-next=too-many-arguments
    def __init__(self, queue, secret=None, window=DEFAULT_WINDOW, max_body=DEFAULT_MAX_BODY, store=None, replay=0):
        self.queue = queue
        self.secret = secret or None
        self.max_body = max_body
        self.recent = RecentIds(window) if store is None else StoredKeys(store, window)
        self.handed = HandedEvents(store, replay) if store is not None and replay else None

    async def replay(self):
        """Once at the start: hand on again what was handed on in the ``replay`` seconds before the stop."""
        if self.handed is None:
            return
        events = self.handed.to_replay()
        if events:
            LOGGER.info("superoffice_webhook replays %d event(s) handed on in the %d s before it stopped", len(events),
                        self.handed.replay)
        for event in events:
            await self.queue.put(event)
            self.handed.record(event)
            await asyncio.sleep(0)
            LOGGER.info("Replayed %s for EventId %s (uuid %s)", event["superoffice"]["event"],
                        event["superoffice"]["event_id"], event["meta"]["uuid"])

    async def keep_alive(self, interval=1.0):
        """Signs of life for the replay window, until cancelled."""
        while self.handed is not None:
            await asyncio.sleep(interval)
            try:
                self.handed.alive()
            except StateFileError as exc:
                LOGGER.warning("superoffice_webhook could not write its sign of life: %s", exc)

    async def handle(self, request):
        try:
            return await self._handle(request)
        except Refusal as refusal:
            LOGGER.warning("Refused a request from %s with %d: %s", request.remote, refusal.status, refusal.reason)
            return web.json_response({"status": "refused", "reason": refusal.reason}, status=refusal.status)

    async def _read(self, request):
        if request.content_length is not None and request.content_length > self.max_body:
            raise Refusal(413, "the body is larger than %d bytes" % self.max_body)
        body = bytearray()
        async for chunk in request.content.iter_chunked(65536):
            body.extend(chunk)
            if len(body) > self.max_body:
                raise Refusal(413, "the body is larger than %d bytes" % self.max_body)
        return bytes(body)

    async def _handle(self, request):
        body = await self._read(request)
        if self.secret is not None:
            check_signature(self.secret, body, request.headers.get(SIGNATURE_HEADER))
        payload = parse_delivery(body, request.headers)
        if payload["Event"] == "test":
            LOGGER.info("Answered a test event from %s", request.remote)
            return web.json_response({"status": "test"})
        event = shape_event(payload, request.headers)
        event_id = event["superoffice"]["event_id"]
        keys = delivery_keys(payload, event_id)
        # With a state file, written (committed) here as pending: before the event is handed on; confirmed once it
        # is, before the answer 200. A restart between the two lets the redelivery through.
        if not self.recent.add_all(keys):
            LOGGER.info("Dropped a redelivery of EventId %s (%s, uuid %s)", event_id, payload["Event"],
                        event["meta"]["uuid"])
            return web.json_response({"status": "duplicate", "event_id": event_id})
        try:
            await self.queue.put(event)
        except BaseException:
            # Not emitted: a redelivery must be able to bring it.
            self.forget(keys)
            raise
        if self.handed is not None:
            # Before the keys are confirmed: a stop in between lets the redelivery through (and replays it).
            self.handed.record(event)
        if isinstance(self.recent, StoredKeys):
            self.recent.confirm_all(keys)
        await asyncio.sleep(0)
        LOGGER.info("Emitted %s for EventId %s (uuid %s)", payload["Event"], event_id, event["meta"]["uuid"])
        return web.json_response({"status": "accepted", "event_id": event_id})

    def forget(self, keys):
        if isinstance(self.recent, StoredKeys):
            self.recent.forget_all(keys)
        else:
            for key in keys:
                self.recent.forget(key)


def _int_arg(args, name, default):
    value = args.get(name, default)
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValueError("%s must be a whole number, got %r" % (name, value))
    if value < 0:
        raise ValueError("%s must not be negative" % name)
    return value


def tls_context(args):
    certfile, keyfile = args.get("certfile") or None, args.get("keyfile") or None
    if certfile is None and keyfile is None:
        return None
    if certfile is None or keyfile is None:
        raise ValueError("certfile and keyfile go together: give both to serve HTTPS")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certfile, keyfile)
    return context


async def main(queue, args):
    """Serve until cancelled."""
    if args.get("port") is None:
        raise ValueError("port is required")
    port = _int_arg(args, "port", None)
    host = args.get("host") or "0.0.0.0"
    max_body = _int_arg(args, "max_body_size", DEFAULT_MAX_BODY)
    window = _int_arg(args, "redelivery_window", DEFAULT_WINDOW)
    context = tls_context(args)
    store = None
    state_file = str(args.get("state_file") or "").strip()
    if state_file:
        try:
            store = DeliveryKeys(state_file)
        except StateFileError as exc:
            raise RuntimeError(str(exc))
    replay = _int_arg(args, "replay", 0)
    receiver = Receiver(queue, secret=args.get("secret"), window=window, max_body=max_body, store=store, replay=replay)
    app = web.Application(client_max_size=max_body)
    app.router.add_post("/{path:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=context)
        await site.start()
        bound = runner.addresses[0][1]
        LOGGER.info("superoffice_webhook listening on %s://%s:%d%s", "https" if context else "http", host, bound,
                    "" if receiver.secret else " (no secret: requests are not authenticated)")
        if store is not None:
            LOGGER.info("superoffice_webhook remembers delivery keys in %s%s", store.path,
                        " and replays %d s" % replay if receiver.handed is not None else "")
        keep_alive = asyncio.ensure_future(receiver.keep_alive())
        try:
            await receiver.replay()
            await asyncio.Future()
        finally:
            keep_alive.cancel()
    finally:
        await runner.cleanup()
        if store is not None:
            store.close()


if __name__ == "__main__":

    class MockQueue(asyncio.Queue):
        async def put(self, item):
            print(json.dumps(item, indent=2))

    asyncio.run(main(MockQueue(), {"host": "127.0.0.1", "port": 5000}))
