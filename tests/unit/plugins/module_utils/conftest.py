# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A local HTTP/1.1 server whose answers each test scripts.

``http_server`` serves on 127.0.0.1 with keep-alive, records every request
(and which TCP connection carried it), counts connections and requests in
flight, and answers with the replies queued by ``http_server.add(...)``:

- ``status``, ``headers``, ``body`` (bytes, str, or anything JSON-serialisable);
- ``delay``: seconds to wait before answering (interrupted at teardown);
- ``close``: read the request and close the connection without answering;
- ``reset``: read the request and reset the connection (TCP RST);
- ``declared_length``: a Content-Length larger than the body, then close;
- ``stall``: seconds to wait after the headers and half the body.

A reply may also be a callable taking the recorded request and returning the
keyword arguments of a reply. When the queue is empty, the reply given to
``http_server.answer_by_default(...)`` answers (200 with ``{}`` unless told).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class RecordedRequest:
    """One request as the server saw it."""

    def __init__(self, method, path, headers, body, connection):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.connection = connection

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class ScriptedReply:
    def __init__(self, status=200, body=None, headers=None, delay=0.0, close=False, reset=False,
                 declared_length=None, stall=0.0):
        if body is None:
            body = {}
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = {"Content-Type": "application/json"}
        self.headers.update(headers or {})
        self.delay = delay
        self.close = close
        self.reset = reset
        self.declared_length = declared_length
        self.stall = stall


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        BaseHTTPRequestHandler.setup(self)
        self.connection_number = self.server.scripted.connection_opened()

    def log_message(self, *args):
        """Keep the test output clean."""

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def _answer(self):
        scripted = self.server.scripted
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest(self.command, self.path, self.headers, body, self.connection_number)
        reply = scripted.next_reply(request)
        scripted.enter()
        try:
            self._send(scripted, reply)
        finally:
            scripted.leave()

    def _send(self, scripted, reply):
        if reply.delay and scripted.stopping.wait(reply.delay):
            self.close_connection = True
            return
        if reply.close or reply.reset:
            self.close_connection = True
            if reply.reset:
                # SO_LINGER with a zero timeout turns close() into a TCP reset.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        body = reply.body
        self.send_header("Content-Length", str(reply.declared_length or len(body)))
        self.end_headers()
        if reply.stall:
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            scripted.stopping.wait(reply.stall)
            body = body[half:]
        self.wfile.write(body)
        self.wfile.flush()
        if reply.declared_length:
            self.close_connection = True

    def finish(self):
        try:
            BaseHTTPRequestHandler.finish(self)
        except OSError:
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients that give up early (timeouts) are part of the tests."""


class ScriptedServer:
    """The server behind the ``http_server`` fixture."""

    def __init__(self, listen=True):
        self.default = ScriptedReply()
        self.requests = []
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.stopping = threading.Event()
        self._replies = collections.deque()
        self._lock = threading.Lock()
        self._thread = None
        self.httpd = _Server(("127.0.0.1", 0), _Handler, bind_and_activate=False)
        self.httpd.scripted = self
        self.httpd.server_bind()
        if listen:
            self.listen()

    @property
    def port(self):
        return self.httpd.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def listen(self):
        """Accept connections (until then, connecting is refused)."""
        self.httpd.server_activate()
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02})
        self._thread.daemon = True
        self._thread.start()

    def add(self, reply=None, **kwargs):
        """Queue one reply: keyword arguments of ``ScriptedReply``, or a callable."""
        self._replies.append(reply if reply is not None else ScriptedReply(**kwargs))
        return self

    def answer_by_default(self, **kwargs):
        """Answer with this reply whenever the queue is empty."""
        self.default = ScriptedReply(**kwargs)
        return self

    def next_reply(self, request):
        with self._lock:
            self.requests.append(request)
            reply = self._replies.popleft() if self._replies else self.default
        if callable(reply):
            reply = ScriptedReply(**reply(request))
        return reply

    def connection_opened(self):
        with self._lock:
            self.connections += 1
            return self.connections

    def enter(self):
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self):
        with self._lock:
            self.in_flight -= 1

    @property
    def hits(self):
        return len(self.requests)

    def stop(self):
        self.stopping.set()
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()


@pytest.fixture
def http_server():
    server = ScriptedServer()
    yield server
    server.stop()


@pytest.fixture
def idle_http_server():
    """A server whose port is bound but not listening yet: connections are refused until ``listen()``."""
    server = ScriptedServer(listen=False)
    yield server
    server.stop()


@pytest.fixture
def refused_url():
    """A URL where nothing listens."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # Bound but never listening: every connection attempt is refused.
    yield "http://127.0.0.1:%d" % port
    sock.close()


@pytest.fixture(scope="module")
def online_tenant():
    """A simulated SuperOffice Online tenant (Cust12345), one per test module."""
    # Imported here: the simulators need libraries that the HTTP tests above do not.
    from ansible_collections.scriptbridge.core.tests.simulators.superoffice_sim import SuperOfficeSimulator

    with SuperOfficeSimulator(mode="online") as sim:
        yield sim


@pytest.fixture()
def environment_host(online_tenant):  # pylint: disable=redefined-outer-name
    """A simulated Online environment host that knows ``online_tenant`` as Cust12345; the tenant's records reset."""
    from ansible_collections.scriptbridge.core.tests.simulators import superoffice_online_sim

    with superoffice_online_sim.EnvironmentHost() as sim:
        sim.add_tenant("Cust12345", online_tenant.url + "/api")
        online_tenant.reset()
        yield sim
