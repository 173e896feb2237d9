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
  - Each delivery is emitted once. A redelivery of an C(EventId) already received (SuperOffice retries a
    delivery that was not answered 200) within O(redelivery_window) seconds is answered 200 and dropped.
  - A body that is not a JSON object, or lacks C(Event) or C(EventId), is answered 400; a body over
    O(max_body_size) bytes 413; neither emits anything.
  - Each event has C(superoffice) with C(event) (for example C(ticket.created)), C(entity), C(action),
    C(event_id), C(primary_key), C(tenant) (the C(ContextIdentifier)), C(webhook_name), C(changes),
    C(field_values), C(payload) (the body as sent), and C(meta.uuid) derived from the C(EventId).
  - SuperOffice posts only to HTTPS targets with a valid certificate; serve HTTPS with O(certfile) and
    O(keyfile), or put the listener behind a TLS-terminating proxy.
  - No secret is logged; refused requests are logged with their status and reason.
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
    description: Seconds during which an C(EventId) already received is dropped as a redelivery.
    type: int
    default: 86400
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

LOGGER = logging.getLogger("scriptbridge.core.superoffice_webhook")
SIGNATURE_HEADER = "X-SuperOffice-Signature"
EVENT_ID_HEADER = "X-SuperOffice-EventId"
# meta.uuid of an event is a UUID5 of its EventId in this namespace, so that it is stable across redeliveries.
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
        "meta": {"uuid": str(uuid.uuid5(UUID_NAMESPACE, event_id))},
    }


class Receiver:
    """Turns requests into events: verification, refusal, de-duplication."""

    def __init__(self, queue, secret=None, window=DEFAULT_WINDOW, max_body=DEFAULT_MAX_BODY):
        self.queue = queue
        self.secret = secret or None
        self.max_body = max_body
        self.recent = RecentIds(window)

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
        if not self.recent.add(event_id):
            LOGGER.info("Dropped a redelivery of EventId %s (%s)", event_id, payload["Event"])
            return web.json_response({"status": "duplicate", "event_id": event_id})
        try:
            await self.queue.put(event)
        except BaseException:
            # Not emitted: a redelivery must be able to bring it.
            self.recent.forget(event_id)
            raise
        await asyncio.sleep(0)
        LOGGER.info("Emitted %s for EventId %s", payload["Event"], event_id)
        return web.json_response({"status": "accepted", "event_id": event_id})


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
    receiver = Receiver(queue, secret=args.get("secret"), window=_int_arg(args, "redelivery_window", DEFAULT_WINDOW),
                        max_body=max_body)
    context = tls_context(args)
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
        await asyncio.Future()
    finally:
        await runner.cleanup()


if __name__ == "__main__":

    class MockQueue(asyncio.Queue):
        async def put(self, item):
            print(json.dumps(item, indent=2))

    asyncio.run(main(MockQueue(), {"host": "127.0.0.1", "port": 5000}))
