# pylint: disable=too-many-lines
"""A fault-injecting HTTP/1.1 proxy for the scriptbridge.core reliability tests.

Pure standard library. It sits in front of either simulator (or any HTTP
server), forwards what it is not told to break, and breaks the requests that
its rules pick, in the ways a real network, proxy or API server breaks them.
Every request it sees is logged (time of arrival, what was done to it, whether
it reached the server), so a test can assert what the server saw and when.

Use it in process::

    with ZabbixSimulator(version="7.0") as sim, FaultProxy(sim.url, [
            Fault("reset_after_forward", rpc="script.execute", nth=1)]) as proxy:
        ...  # point the module at proxy.url
        assert proxy.count(rpc="script.execute") == 1

or as a process::

    python tests/simulators/faults.py --upstream http://127.0.0.1:8080 --port 0 \\
        --fault 'reset_after_forward rpc=script.execute nth=1'

which prints ``FAULT_PROXY_URL=http://127.0.0.1:PORT`` and serves until
SIGTERM/SIGINT. ``--tls-cert``/``--tls-key`` make it terminate TLS (HTTPS to the
client, plain HTTP to the upstream).

Rules (``Fault``)
    A rule picks requests by ``method`` (HTTP verb), ``path`` (a regular
    expression searched in the request target) and ``rpc`` (the JSON-RPC
    ``method`` of the body), all optional. Each rule counts the requests it
    matches (1, 2, ...): match number ``nth`` and the ``times - 1`` after it get
    the fault (``times=None``: every match from ``nth`` on), or, with ``every=k``,
    every k-th match. The first rule that fires decides; a request no rule
    fires on is forwarded unchanged. With the option ``first_attempts_only=True``
    a rule ignores a request whose method, path and body it has seen before
    (a client's retry), so that a retry is never broken again by the same rule.

Actions (options in brackets)
    ==========================  =======================================================  ==========
    action                      what the client sees                                     server ran
    ==========================  =======================================================  ==========
    ``forward``                 the server's answer                                      yes
    ``reset_before_forward``    the connection is reset after the request is read        no
    ``reset_after_forward``     the server answers, then the connection is reset         yes
    ``status``                  HTTP ``status`` [500] with ``retry_after``, ``body``,     no
                                ``content_type``; answered by the proxy
    ``status_after_forward``    as ``status``, but after the server answered              yes
    ``html_page``               an HTML page with ``status`` [502] (``forward``: after    [no]
                                the server answered)
    ``delay_reply``             the server's answer ``seconds`` [5] late                   yes
    ``invalid_json``            HTTP 200 with a body that is not JSON                     yes
    ``wrong_id``                the JSON-RPC answer with another ``id``                    yes
    ``truncate``                ``Content-Length`` larger than the body sent, then close   yes
    ``expire_session``          ``POST /_sim/expire_sessions`` on the upstream first,      yes
                                then the server's answer
    ``echo``                    HTTP ``status`` [500] whose body repeats the request       no
                                (credential headers first, then the body, then the other
                                headers) as ``format`` ``html`` [default], ``jsonrpc``
                                (a JSON-RPC error with the echo as ``data``) or
                                ``superoffice`` (an ``ErrorMessage`` body)
    ``go_down``                 the server's answer with ``Connection: close``; the       yes
                                proxy stops listening before it answers, closes its
                                other kept-alive connections (busy ones after their
                                answer) and listens again ``seconds`` [1.0] later
                                (connections are refused meanwhile)
    ==========================  =======================================================  ==========

    ``FaultProxy.down()`` / ``up()`` stop and resume listening (connections are
    refused; the port stays reserved).

Log (``proxy.log``, ``proxy.count(...)``, ``proxy.times(...)``)
    One entry per request: ``number``, ``time`` (``time.monotonic()`` when the
    request had arrived), ``method``, ``path``, ``rpc``, ``action``,
    ``forwarded`` (whether the upstream got it), ``connection`` (which client
    connection carried it), ``headers``, ``body``. Requests to ``/_sim/`` are
    forwarded without being logged or matched.

Control endpoints (for the CLI; never forwarded, never logged)
    ``GET /_faults/log``, ``GET /_faults/rules``, ``POST /_faults/rules`` (a JSON
    list of rule objects: ``{"action": ..., "rpc": ..., "nth": ...}``; replaces
    the rules and their counters), ``POST /_faults/reset`` (clears the log and the
    counters).
"""

import argparse
import http.client
import json
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

ACTIONS = (
    "forward", "reset_before_forward", "reset_after_forward", "status", "status_after_forward", "html_page",
    "delay_reply", "invalid_json", "wrong_id", "truncate", "expire_session", "echo", "go_down",
)
# Headers that belong to one connection, not to the message.
_HOP_BY_HOP = frozenset((
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
    "content-length",
))
_CREDENTIAL_HEADERS = ("authorization", "x-xsrf-token", "so-apptoken", "cookie")
_REASONS = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}
_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>{status} {reason}</title></head>\n<body>\n"
    "<h1>{reason}</h1>\n<p>The proxy server received an invalid response from an upstream server.</p>\n"
    "<hr><address>nginx</address>\n</body></html>\n"
)


class Fault:  # pylint: disable=too-many-instance-attributes
    """One rule: which requests (``method``, ``path``, ``rpc``, ``nth``, ``times``, ``every``) get which ``action``."""

    def __init__(self, action, *, method=None, path=None, rpc=None, nth=1, times=1, every=None, **options):
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
        if nth < 1 or (times is not None and times < 1) or (every is not None and every < 1):
            raise ValueError("nth, times and every count from 1")
        self.action = action
        self.method = method.upper() if method else None
        self.path = re.compile(path) if path else None
        self.rpc = rpc
        self.nth = nth
        self.times = times
        self.every = every
        self.options = options
        self.matched = 0

    @classmethod
    def from_dict(cls, data):
        """A rule from its JSON form (as ``to_dict`` gives it)."""
        data = dict(data)
        return cls(data.pop("action"), **data)

    @classmethod
    def parse(cls, text):
        """A rule from the CLI form ``action key=value ...`` or a JSON object."""
        text = text.strip()
        if text.startswith("{"):
            return cls.from_dict(json.loads(text))
        action, *pairs = text.split()
        options = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"{pair!r} is not key=value")
            options[key] = _cli_value(value)
        return cls(action, **options)

    def to_dict(self):
        data = {"action": self.action, "method": self.method, "path": self.path.pattern if self.path else None,
                "rpc": self.rpc, "nth": self.nth, "times": self.times, "every": self.every, "matched": self.matched}
        data.update(self.options)
        return data

    def matches(self, method, path, rpc):
        return ((self.method is None or self.method == method)
                and (self.path is None or self.path.search(path) is not None)
                and (self.rpc is None or self.rpc == rpc))

    def fires(self):
        """Count one more match; True when this one gets the fault."""
        self.matched += 1
        if self.every is not None:
            return self.matched % self.every == 0
        if self.matched < self.nth:
            return False
        return self.times is None or self.matched < self.nth + self.times

    def option(self, name, default):
        return self.options.get(name, default)


def _cli_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def _rpc_method(body):
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if isinstance(document, list) and document:
        document = document[0]
    if isinstance(document, dict) and isinstance(document.get("method"), str):
        return document["method"]
    return None


class _Reply:
    """An answer to send: status, reason, headers (list of pairs) and body."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        self.body = body

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class _Handler(BaseHTTPRequestHandler):
    """One client connection, HTTP/1.1 keep-alive."""

    protocol_version = "HTTP/1.1"
    server_version = "FaultProxy/1.0"
    # Headers and body leave in two sends; without TCP_NODELAY the body would wait for the
    # client's delayed ACK (about 40 ms), as real web servers avoid by setting it.
    disable_nagle_algorithm = True
    sys_version = ""
    timeout = 120

    def __init__(self, request, client_address, proxy, number):  # pylint: disable=super-init-not-called
        self.proxy = proxy
        self.connection_number = number
        self.gone = False
        self.busy = False
        proxy.handler_started(self)
        try:
            BaseHTTPRequestHandler.__init__(self, request, client_address, proxy)
        except (OSError, ValueError):
            pass
        finally:
            proxy.handler_ended(self)

    def parse_request(self):
        # From here until the answer is written, going down must not cut this connection.
        self.busy = True
        return BaseHTTPRequestHandler.parse_request(self)

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Stay quiet: the log is ``proxy.log``."""

    def finish(self):
        try:
            BaseHTTPRequestHandler.finish(self)
        except (OSError, ValueError):
            pass

    def do_GET(self):  # pylint: disable=invalid-name
        """GET."""
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET  # noqa: N815

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self.send_reply(_Reply(400, "Bad Request", [("Content-Type", "text/plain")], b"bad framing\n"))
            return
        path = self.path
        if path.startswith("/_faults/"):
            self.send_reply(self.proxy.control(self.command, path, body))
            return
        if path.startswith("/_sim/"):
            self.send_reply(self.proxy.forward(self.command, path, dict(self.headers.items()), body))
            return
        self.proxy.handle(self, body)
        self.busy = False

    # -- what the actions use ------------------------------------------------------------------

    def send_reply(self, reply, declared_length=None, sent_body=None, close=False):
        """Write ``reply``; ``declared_length``/``sent_body`` lie about and cut the body."""
        self.send_response(reply.status, reply.reason)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(declared_length if declared_length is not None else len(reply.body)))
        if close or self.proxy.going_down:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body if sent_body is None else sent_body)
        self.wfile.flush()

    def reset(self):
        """Drop the connection with a TCP reset (SO_LINGER 0)."""
        self.close_connection = True
        self.gone = True
        try:
            self.wfile.flush()
        except (OSError, ValueError):
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def close(self):
        """Close the connection normally (FIN) after what was written."""
        self.close_connection = True
        self.gone = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except (OSError, ValueError):
            pass
        try:
            self.connection.close()
        except OSError:
            pass


class FaultProxy:  # pylint: disable=too-many-instance-attributes
    """The proxy. ``upstream`` is the server's root URL (``http://host:port``)."""

    def __init__(self, upstream, faults=(), host="127.0.0.1", port=0, tls=None, upstream_timeout=300):
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("upstream must be an http:// URL")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.upstream_timeout = upstream_timeout
        self.host = host
        self._requested_port = port
        self._context = None
        if tls is not None:
            certfile, keyfile = tls
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(certfile, keyfile)
        self._lock = threading.Lock()
        self._faults = list(faults)
        self._log = []
        self._seen = set()
        self._connections = 0
        self._listener = None
        self._bound_only = None
        self._port = None
        self._down_until = None
        self._want_down = threading.Event()
        self._is_down = threading.Event()
        self._stopping = threading.Event()
        self._thread = None
        self._clients = set()
        self._handlers = set()

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        """Bind, listen and serve in a daemon thread; returns self."""
        if self._thread is not None:
            return self
        self._listener = self._bind(self._requested_port)
        self._listener.listen(128)
        self._port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop listening, cut every client connection, end the serving thread."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        for sock in (self._listener, self._bound_only):
            if sock is not None:
                sock.close()
        self._listener = self._bound_only = None
        with self._lock:
            clients = list(self._clients)
        for sock in clients:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _bind(self, port):
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, port))
        return sock

    def _serve(self):
        while not self._stopping.is_set():
            if self._want_down.is_set() and self._listener is not None:
                # Keep the port: a bound socket that does not listen refuses connections.
                self._listener.close()
                self._listener = None
                self._bound_only = self._bind(self._port)
                self._is_down.set()
            if self._listener is None:
                until = self._down_until
                if until is not None and time.monotonic() >= until:
                    self._come_up()
                else:
                    self._stopping.wait(0.01)
                continue
            try:
                ready, _unused, _unused = select.select([self._listener], [], [], 0.02)
            except (OSError, ValueError):
                continue
            if not ready:
                continue
            try:
                conn, address = self._listener.accept()
            except OSError:
                continue
            with self._lock:
                self._connections += 1
                number = self._connections
                self._clients.add(conn)
            threading.Thread(target=self._client, args=(conn, address, number), daemon=True).start()

    def _come_up(self):
        self._bound_only.listen(128)
        self._listener, self._bound_only = self._bound_only, None
        self._down_until = None
        self._want_down.clear()
        self._is_down.clear()

    def _client(self, conn, address, number):
        raw = conn
        try:
            if self._context is not None:
                conn = self._context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
                conn.settimeout(30)
                try:
                    conn.do_handshake()
                except (ssl.SSLError, OSError):
                    return
                conn.settimeout(None)
            _Handler(conn, address, self, number)
        finally:
            with self._lock:
                self._clients.discard(raw)
            try:
                conn.close()
            except OSError:
                pass

    def handler_started(self, handler):
        with self._lock:
            self._handlers.add(handler)

    def handler_ended(self, handler):
        with self._lock:
            self._handlers.discard(handler)

    @property
    def going_down(self):
        """True while down: every answer then closes its connection."""
        return self._want_down.is_set()

    def down(self, seconds=None, keep=None):
        """Stop listening (connections are refused) for ``seconds``, or until ``up()``.

        As a server that goes away, it also closes the kept-alive connections:
        idle ones at once, busy ones (except ``keep``) after their answer.
        """
        self._down_until = None if seconds is None else time.monotonic() + seconds
        self._want_down.set()
        if not self._is_down.wait(5):
            raise RuntimeError("the proxy did not stop listening")
        with self._lock:
            idle = [h for h in self._handlers if h is not keep and not h.busy]
        for handler in idle:
            handler.close()

    def up(self):
        """Listen again after ``down()``."""
        self._down_until = time.monotonic()
        deadline = time.monotonic() + 5
        while self._is_down.is_set():
            if time.monotonic() > deadline:
                raise RuntimeError("the proxy did not listen again")
            time.sleep(0.005)

    @property
    def connections(self):
        """How many client connections were accepted (TLS handshakes that failed included)."""
        with self._lock:
            return self._connections

    @property
    def port(self):
        if self._port is None:
            raise RuntimeError("the proxy is not running")
        return self._port

    @property
    def url(self):
        """``http(s)://host:port``: the upstream's root, as seen through the proxy."""
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % ("https" if self._context else "http", host, self.port)

    # -- rules and log ------------------------------------------------------------------------------

    def set_faults(self, faults):
        """Replace the rules (and so their counters)."""
        with self._lock:
            self._faults = list(faults)

    @property
    def faults(self):
        with self._lock:
            return list(self._faults)

    def reset(self):
        """Clear the log and the rules' counters."""
        with self._lock:
            self._log.clear()
            self._seen.clear()
            for fault in self._faults:
                fault.matched = 0

    @property
    def log(self):
        with self._lock:
            return [dict(entry) for entry in self._log]

    def entries(self, rpc=None, path=None, method=None):
        """Log entries of the requests matching every criterion given."""
        pattern = re.compile(path) if path else None
        return [e for e in self.log
                if (rpc is None or e["rpc"] == rpc) and (method is None or e["method"] == method.upper())
                and (pattern is None or pattern.search(e["path"]))]

    def count(self, rpc=None, path=None, method=None):
        """How many requests matching every criterion given reached the proxy."""
        return len(self.entries(rpc=rpc, path=path, method=method))

    def times(self, rpc=None, path=None, method=None):
        """Arrival times of those requests (``time.monotonic()``)."""
        return [e["time"] for e in self.entries(rpc=rpc, path=path, method=method)]

    def _decide(self, method, path, rpc, body):
        with self._lock:
            again = (method, path, body) in self._seen
            self._seen.add((method, path, body))
            chosen = None
            for fault in self._faults:
                if fault.option("first_attempts_only", False) and again:
                    continue
                if fault.matches(method, path, rpc) and fault.fires() and chosen is None:
                    chosen = fault
            return chosen

    def _record(self, entry):
        with self._lock:
            entry["number"] = len(self._log) + 1
            self._log.append(entry)
        return entry

    # -- forwarding -------------------------------------------------------------------------------

    def forward(self, method, path, headers, body):
        """Send one request upstream on a fresh connection and return its answer."""
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self.upstream_timeout)
        try:
            send = dict((k, v) for k, v in headers.items() if k.lower() not in _HOP_BY_HOP and k.lower() != "host")
            send["Host"] = "%s:%d" % (self.upstream_host, self.upstream_port)
            send["Content-Length"] = str(len(body))
            connection.request(method, path, body=body, headers=send)
            answer = connection.getresponse()
            content = answer.read()
            return _Reply(answer.status, answer.reason, answer.getheaders(), content)
        except (OSError, http.client.HTTPException) as exc:
            text = ("upstream failed: %s\n" % exc).encode("utf-8")
            return _Reply(599, "Upstream Failed", [("Content-Type", "text/plain")], text)
        finally:
            connection.close()

    def _expire_sessions(self):
        self.forward("POST", "/_sim/expire_sessions", {"Content-Type": "application/json"}, b"{}")

    def handle(self, handler, body):
        """Log one API request, apply the rule that fires on it, answer (or not)."""
        method, path = handler.command, handler.path
        headers = dict(handler.headers.items())
        rpc = _rpc_method(body)
        entry = {"time": time.monotonic(), "method": method, "path": path, "rpc": rpc, "action": "forward",
                 "forwarded": False, "connection": handler.connection_number, "headers": headers,
                 "body": body.decode("utf-8", "replace")}
        fault = self._decide(method, path, rpc, body)
        action = fault.action if fault else "forward"
        entry["action"] = action
        self._record(entry)
        run = getattr(self, "_do_" + action)
        run(handler, fault, method, path, headers, body, entry)

    def _upstream(self, entry, method, path, headers, body):
        entry["forwarded"] = True
        return self.forward(method, path, headers, body)

    # -- the actions (one method each) -----------------------------------------------------------

    def _do_forward(self, handler, _fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        handler.send_reply(self._upstream(entry, method, path, headers, body))

    def _do_reset_before_forward(self, handler, *_args):
        handler.reset()

    def _do_reset_after_forward(self, handler, _fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        self._upstream(entry, method, path, headers, body)
        handler.reset()

    @staticmethod
    def _status_reply(fault, default_status):
        status = int(fault.option("status", default_status))
        reply_headers = [("Content-Type", fault.option("content_type", "text/plain; charset=utf-8"))]
        if fault.option("retry_after", None) is not None:
            reply_headers.append(("Retry-After", str(fault.option("retry_after", None))))
        text = fault.option("body", "%d %s\n" % (status, _REASONS.get(status, "Error")))
        return _Reply(status, _REASONS.get(status, "Error"), reply_headers, text.encode("utf-8"))

    def _do_status(self, handler, fault, *_args):
        handler.send_reply(self._status_reply(fault, 500))

    def _do_status_after_forward(self, handler, fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        self._upstream(entry, method, path, headers, body)
        handler.send_reply(self._status_reply(fault, 502))

    def _do_html_page(self, handler, fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        if fault.option("forward", False):
            self._upstream(entry, method, path, headers, body)
        status = int(fault.option("status", 502))
        page = _HTML_PAGE.format(status=status, reason=_REASONS.get(status, "Error"))
        handler.send_reply(_Reply(status, _REASONS.get(status, "Error"), [("Content-Type", "text/html")],
                                  page.encode("utf-8")))

    def _do_delay_reply(self, handler, fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        reply = self._upstream(entry, method, path, headers, body)
        if self._stopping.wait(float(fault.option("seconds", 5))):
            handler.reset()
            return
        handler.send_reply(reply)

    def _do_invalid_json(self, handler, _fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        self._upstream(entry, method, path, headers, body)
        handler.send_reply(_Reply(200, "OK", [("Content-Type", "application/json")], b'{"jsonrpc": "2.0", "result": [1, 2,'))

    def _do_wrong_id(self, handler, _fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        reply = self._upstream(entry, method, path, headers, body)
        try:
            document = json.loads(reply.body.decode("utf-8"))
            document["id"] = (document.get("id") or 0) + 1000
            reply.body = json.dumps(document).encode("utf-8")
        except (ValueError, TypeError, AttributeError):
            pass
        handler.send_reply(reply)

    def _do_truncate(self, handler, _fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        reply = self._upstream(entry, method, path, headers, body)
        handler.send_reply(reply, declared_length=len(reply.body) + 100, sent_body=reply.body[:len(reply.body) // 2])
        handler.close()

    def _do_expire_session(self, handler, _fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        self._expire_sessions()
        handler.send_reply(self._upstream(entry, method, path, headers, body))

    def _do_echo(self, handler, fault, method, path, headers, body, _entry):  # pylint: disable=too-many-arguments
        credentials = ["%s: %s" % (k, v) for k, v in headers.items() if k.lower() in _CREDENTIAL_HEADERS]
        others = ["%s: %s" % (k, v) for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS]
        text = "\n".join(credentials + [body.decode("utf-8", "replace"), "%s %s" % (method, path)] + others)
        status = int(fault.option("status", 500))
        form = fault.option("format", "html")
        if form == "jsonrpc":
            request_id = None
            try:
                request_id = json.loads(body.decode("utf-8")).get("id")
            except (ValueError, AttributeError):
                pass
            document = {"jsonrpc": "2.0", "error": {"code": -32500, "message": "Application error.", "data": text},
                        "id": request_id}
            reply = _Reply(200, "OK", [("Content-Type", "application/json")], json.dumps(document).encode("utf-8"))
        elif form == "superoffice":
            document = {"Error": True, "ErrorType": "SoEchoException", "ErrorMessage": text, "ErrorSource": "proxy"}
            reply = _Reply(status, _REASONS.get(status, "Error"), [("Content-Type", "application/json")],
                           json.dumps(document).encode("utf-8"))
        else:
            page = "<html><body><h1>Error</h1><pre>%s</pre></body></html>" % text
            reply = _Reply(status, _REASONS.get(status, "Error"), [("Content-Type", "text/html")], page.encode("utf-8"))
        handler.send_reply(reply)

    def _do_go_down(self, handler, fault, method, path, headers, body, entry):  # pylint: disable=too-many-arguments
        reply = self._upstream(entry, method, path, headers, body)
        # Down before the answer leaves, so that the client's next connection is refused.
        self.down(float(fault.option("seconds", 1.0)), keep=handler)
        handler.send_reply(reply, close=True)
        handler.close()

    # -- control ------------------------------------------------------------------------------------

    def control(self, method, path, body):
        """Answer a ``/_faults/`` request."""
        action = path.split("?", 1)[0][len("/_faults/"):].strip("/")
        try:
            if method == "GET" and action == "log":
                document = {"log": self.log}
            elif method == "GET" and action == "rules":
                document = {"rules": [f.to_dict() for f in self.faults]}
            elif method == "POST" and action == "rules":
                rules = json.loads(body.decode("utf-8") or "[]")
                if not isinstance(rules, list):
                    raise ValueError("the body must be a JSON list of rules")
                self.set_faults([Fault.from_dict(rule) for rule in rules])
                document = {"rules": [f.to_dict() for f in self.faults]}
            elif method == "POST" and action == "reset":
                self.reset()
                document = {"ok": True}
            else:
                return _Reply(404, "Not Found", [("Content-Type", "application/json")],
                              json.dumps({"error": "no %s %s" % (method, path)}).encode("utf-8"))
        except (ValueError, TypeError, KeyError) as exc:
            return _Reply(400, "Bad Request", [("Content-Type", "application/json")],
                          json.dumps({"error": str(exc)}).encode("utf-8"))
        return _Reply(200, "OK", [("Content-Type", "application/json")], json.dumps(document).encode("utf-8"))


def main(argv=None):
    """Serve a proxy until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description="Fault-injecting HTTP proxy for the scriptbridge.core tests")
    parser.add_argument("--upstream", required=True, help="the server's root URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--fault", action="append", default=[], metavar="RULE",
                        help="'action key=value ...' or a JSON object; may be repeated")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="the certificate's private key (PEM)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    try:
        faults = [Fault.parse(text) for text in args.fault]
    except (ValueError, TypeError) as exc:
        parser.error(str(exc))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    with FaultProxy(args.upstream, faults, host=args.host, port=args.port, tls=tls) as proxy:
        print("FAULT_PROXY_URL=%s" % proxy.url, flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
