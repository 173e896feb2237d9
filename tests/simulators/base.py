# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The HTTP plumbing every simulator shares; a simulator adds only its API.

A simulator subclasses ``HttpSimulator`` and provides:

- ``answer(request)``: the ``Reply`` to one API request (any path outside ``/_sim/``);
- ``reset()``, ``stats()``, ``configure(**changes)`` (returns the settings; raises
  ``ValueError`` on bad ones), ``config`` (the settings) and ``requests`` (recorded
  API requests);
- optionally ``exchange(request)``, a context manager around the latency and the answer
  (where a simulator records a request and counts it in flight), ``control_actions()``
  (more ``POST /_sim/<action>`` endpoints), ``recorded()`` (what ``GET /_sim/requests``
  answers), ``connection_opened()`` and the class attributes ``server_version``,
  ``methods`` (other HTTP methods are answered 501) and ``thread_name``;
- the attributes ``host``, ``base`` (a path prefix, ``""`` for none) and a
  ``config["latency"]`` (seconds slept before each API answer).

What this module does for every simulator:

- a ``ThreadingHTTPServer`` on ``host``/``port`` (0: a free port chosen by the OS, IPv4 or
  IPv6), one daemon thread per connection, HTTP/1.1 keep-alive, ``TCP_NODELAY``, no access
  log, ``Content-Length`` and chunked request bodies; ``stop()`` cuts open keep-alive
  connections so that no handler thread outlives the server;
- the control endpoints, at the root and below ``base`` alike, never slowed down and
  never recorded as API requests, all answering JSON of one shape:

  ===================  ===========================================================
  GET  /_sim/stats     ``stats()``
  GET  /_sim/requests  ``{"requests": [...]}`` (``recorded()``)
  GET  /_sim/config    ``config``
  POST /_sim/reset     ``{"ok": true}``
  POST /_sim/config    ``{"ok": true, "config": {...}}`` (body: a JSON object of changes)
  POST /_sim/<action>  ``{"ok": true, ...}`` (``control_actions()``)
  (errors)             ``{"ok": false, "error": "..."}`` with 400 (bad body or value)
                       or 404 (no such endpoint)
  ===================  ===========================================================

- the command line (``serve()``): ``--host``, ``--port``, ``--latency``, ``--port-file``;
  it prints ``<NAME>_SIM_URL=<url>``, writes ``<url>`` and a newline to the port file
  (aside and renamed, so that a reader never sees half of it), and serves until SIGTERM
  or SIGINT.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, NamedTuple
from urllib.parse import unquote, urlsplit

CONTROL_PREFIX = "/_sim"
JSON = "application/json"


class Reply(NamedTuple):
    """An HTTP answer: status, content type (None: no Content-Type), body, extra headers, reason."""

    status: int
    content_type: str | None
    body: bytes
    headers: tuple = ()
    reason: str | None = None


class Headers(dict):
    """Request headers; ``get`` looks a name up case-insensitively, as ``email.message.Message`` does."""

    def get(self, name, default=None):
        lowered = name.lower()
        for key, value in self.items():
            if key.lower() == lowered:
                return value
        return default


class Request(NamedTuple):
    """One API request as the simulator sees it."""

    method: str
    target: str
    path: str
    headers: Headers
    body: bytes
    new_connection: bool


def json_reply(status: int, document: Any) -> Reply:
    """A JSON answer."""
    return Reply(status, JSON, json.dumps(document).encode("utf-8"))


def _loads_object(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8") or "{}")
    except ValueError as error:
        raise ValueError("the body must be a JSON object") from error
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


class HttpSimulator:
    """Serving, lifecycle and control endpoints of a simulator; subclasses add the API."""

    server_version = "Simulator"
    methods: tuple = ("GET", "POST")
    thread_name = "simulator"
    host = "127.0.0.1"
    base = ""
    _requested_port = 0
    _server: SimulatorServer | None = None
    _thread: threading.Thread | None = None

    # -- what a simulator provides -----------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        """The answer to one API request."""
        raise NotImplementedError

    def exchange(self, request: Request):  # pylint: disable=unused-argument
        """A context around the latency and the answer of one API request."""
        return contextlib.nullcontext()

    def control_actions(self) -> dict:
        """More ``POST /_sim/<action>`` endpoints: action -> function(data) -> dict."""
        return {}

    def recorded(self) -> dict:
        """What ``GET /_sim/requests`` answers."""
        return {"requests": self.requests}

    def connection_opened(self) -> None:
        """A TCP connection was accepted."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self):
        """Bind the port and serve in a daemon thread; returns self."""
        if self._server is None:
            self._server = SimulatorServer((self.host, self._requested_port), self)
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=self.thread_name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut open connections."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port being served."""
        if self._server is None:
            raise RuntimeError("the simulator is not running")
        return self._server.server_address[1]

    @property
    def open_connections(self) -> int:
        """TCP connections whose handler has not ended yet (error reports included)."""
        return 0 if self._server is None else self._server.in_service

    @property
    def root_url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL: ``root_url`` and ``base``."""
        return self.root_url + self.base

    # -- what the server calls ---------------------------------------------------------------

    def pause(self) -> None:
        """Sleep the configured latency."""
        latency = self.config["latency"]
        if latency > 0:
            time.sleep(latency)

    def serve_api(self, request: Request) -> Reply:
        """Latency, then the simulator's answer."""
        with self.exchange(request):
            self.pause()
            return self.answer(request)

    def control_path(self, path: str) -> str | None:
        """``/_sim/<action>`` when ``path`` is a control path (at the root or below ``base``)."""
        path = unquote(path)
        if self.base and path.lower().startswith(self.base.lower() + CONTROL_PREFIX):
            path = path[len(self.base):]
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return path
        return None

    def serve_control(self, verb: str, path: str, body: bytes) -> Reply:
        """The answer to a control request."""
        action = path[len(CONTROL_PREFIX):].strip("/")
        reads: dict[str, Callable[[], Any]] = {"stats": self.stats, "requests": self.recorded,
                                               "config": lambda: self.config}
        writes: dict[str, Callable[[dict], dict]] = {
            "reset": lambda _data: self.reset() or {},
            "config": lambda data: {"config": self.configure(**data)},
        }
        writes.update(self.control_actions())
        try:
            if verb == "GET" and action in reads:
                return json_reply(200, reads[action]())
            if verb == "POST" and action in writes:
                return json_reply(200, dict({"ok": True}, **writes[action](_loads_object(body))))
        except (ValueError, KeyError, TypeError) as error:
            return json_reply(400, {"ok": False, "error": str(error)})
        return json_reply(404, {"ok": False, "error": f"no control endpoint {verb} {path}"})


class SimulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that can cut its open connections when it stops."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address: tuple, simulator: HttpSimulator) -> None:
        self.simulator = simulator
        self._open: set = set()
        self._open_lock = threading.Lock()
        self.in_service = 0
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, SimulatorHandler)

    def process_request(self, request, client_address) -> None:
        """Count a connection in service until its thread has ended."""
        with self._open_lock:
            self.in_service += 1
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self.in_service -= 1

    def connection_opened(self, sock: socket.socket) -> None:
        """A handler started on ``sock``."""
        self.simulator.connection_opened()
        with self._open_lock:
            self._open.add(sock)

    def connection_closed(self, sock: socket.socket) -> None:
        """A handler ended on ``sock``."""
        with self._open_lock:
            self._open.discard(sock)

    def close_connections(self) -> None:
        """Cut every open keep-alive connection."""
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address) -> None:
        """Ignore connections that the client or ``stop()`` cut; report anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class SimulatorHandler(BaseHTTPRequestHandler):
    """One TCP connection; HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    # Headers and body leave in two sends; without TCP_NODELAY the body would wait for the
    # client's delayed ACK (about 40 ms), as real web servers avoid by setting it.
    disable_nagle_algorithm = True
    sys_version = ""
    # An idle kept-alive connection must not hold its thread for ever.
    timeout = 120
    carried_api = False

    def setup(self) -> None:
        super().setup()
        self.carried_api = False
        self.server.connection_opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.connection_closed(self.connection)

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        """Stay quiet: test output is no place for an access log."""

    def version_string(self) -> str:
        """The Server header, without Python's version."""
        return self.server.simulator.server_version

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        """Serve a GET."""
        self._dispatch()

    def do_POST(self) -> None:  # pylint: disable=invalid-name
        """Serve a POST."""
        self._dispatch()

    def do_PUT(self) -> None:  # pylint: disable=invalid-name
        """Serve a PUT."""
        self._dispatch()

    def do_DELETE(self) -> None:  # pylint: disable=invalid-name
        """Serve a DELETE."""
        self._dispatch()

    def do_PATCH(self) -> None:  # pylint: disable=invalid-name
        """Serve a PATCH."""
        self._dispatch()

    def do_HEAD(self) -> None:  # pylint: disable=invalid-name
        """Serve a HEAD."""
        self._dispatch()

    def _read_body(self) -> bytes:
        """The request body; ValueError when its framing is broken."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _dispatch(self) -> None:
        simulator = self.server.simulator
        try:
            body = self._read_body()
        except ValueError:
            # The framing is lost, so the connection cannot be reused.
            self.close_connection = True
            self._send(Reply(400, "text/plain; charset=utf-8", b"Malformed request framing.\n"))
            return
        path = urlsplit(self.path).path
        control = simulator.control_path(path)
        if control is not None:
            self._send(simulator.serve_control(self.command, control, body))
            return
        if self.command not in simulator.methods:
            self._send(Reply(501, "text/plain; charset=utf-8", b"Unsupported method.\n"))
            return
        request = Request(self.command, self.path, path, Headers(self.headers.items()), body, not self.carried_api)
        self.carried_api = True
        self._send(simulator.serve_api(request))

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status, reply.reason)
            for name, value in reply.headers:
                self.send_header(name, value)
            if reply.content_type is not None:
                self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and reply.body:
                self.wfile.write(reply.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up waiting (a timeout under test); the exchange is recorded.
            self.close_connection = True


# ---------------------------------------------------------------------------------------------
# Command line


def write_port_file(path: str, url: str) -> None:
    """Write ``url`` and a newline to ``path``, aside and renamed so that a reader never sees half of it."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")
    os.replace(temporary, path)


def argument_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every simulator takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before each API answer")
    parser.add_argument("--port-file", help="file to write the base URL to, once it serves")
    return parser


def serve(simulator: HttpSimulator, marker: str, port_file: str | None) -> int:
    """Serve ``simulator`` until SIGTERM or SIGINT; print ``marker=<url>`` and write the port file first."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    simulator.start()
    try:
        if port_file:
            write_port_file(port_file, simulator.url)
        print(f"{marker}={simulator.url}", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        simulator.stop()
    return 0
