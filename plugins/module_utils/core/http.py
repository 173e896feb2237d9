# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""HTTP transport shared by every module of the collection.

One ``HttpTransport`` per module run owns one ``requests.Session`` whose
connection pool is sized to the module's concurrency, so that a fan-out over
many targets reuses a handful of keep-alive connections.

The transport decides one thing that no caller may decide differently: when a
request can be sent again. Scripts are not idempotent, so a request is repeated
only when the server certainly did not act on it: the connection could not be
opened, or the server answered 429 or 503 (it refused the request before
running anything). A timeout or a reset after the request left is never
repeated; the error says that the script may have run.

A request *acts* when it can make the server do something (run a script). It
is decided from the method: every request but GET, HEAD and OPTIONS acts,
unless the caller names it read-only with ``acts=False`` (a login, a lookup
that happens to be a POST). A transport opened ``read_only`` (check mode)
refuses every request that acts before sending it, so a caller that forgets
to say anything cannot run a script in check mode.

What may show of a request in a message (secrets masked, URLs without user
info, bodies cut short) is decided in ``redact.py``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import email.utils
import json
import math
import os
import re
import time
import traceback

from urllib.parse import urlencode, urlsplit

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    ActingRequestRefused,
    OptionError,
    ProtocolError,
    RequestTimeoutError,
    UnreachableError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import (
    Redactor,
    body_excerpt,
    display_url,
    url_password,
)

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import InsecureRequestWarning, NewConnectionError, ReadTimeoutError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None


COLLECTION_VERSION = "0.1.0"
USER_AGENT = "scriptbridge.core/%s" % COLLECTION_VERSION
DEFAULT_TIMEOUT = 90
MAX_CONNECT_TIMEOUT = 15
MAX_TIMEOUT = 86400
RETRY_STATUSES = (429, 503)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


# What parse_json() returns for a text that is not JSON.
NOT_JSON = object()


def parse_json(text):
    """The JSON value of ``text``, or ``NOT_JSON`` (also for nesting too deep to parse)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError, TypeError):
        return NOT_JSON


def may_have_run_after(status, acts):
    """Whether an HTTP ``status`` answered to a request that ``acts`` leaves its outcome unknown.

    A server error after the request arrived says nothing about what ran; 503
    (and 429, retried before this) refuse a request before anything runs.
    """
    return bool(acts) and status >= 500 and status != 503


def check_base_url(url, option="url"):
    """Reject what cannot be an http(s) URL before anything is sent."""
    if not url or not url.strip():
        raise OptionError("The %s option is empty: give the server's address, for example https://server.example.com." % option)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError(
            "The %s option %r is not an http:// or https:// URL with a host name." % (option, display_url(url.strip()))
        )
    if "@" in parts.netloc:
        raise OptionError(
            "The %s option must not carry a user name or password (user:password@host): they would show in logs. "
            "Use the module's credential options instead." % option
        )
    try:
        parts.port
    except ValueError:
        raise OptionError("The %s option %r has an invalid port." % (option, display_url(url.strip())))
    return url.strip()


class HttpResponse:
    """What the transport hands back: status, headers and the raw body."""

    def __init__(self, status, reason, headers, content, url, redactor=None, method=None, acts=None):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.content = content
        self.url = url
        self.redactor = redactor or Redactor()
        self.method = method
        if acts is None:
            acts = method is not None and method.upper() not in SAFE_METHODS
        self.acts = bool(acts)

    def excerpt(self):
        """The start of the body for a message, with every known secret masked.

        The whole body is masked before it is cut, so that a cut never leaves
        the start of a secret that no longer matches.
        """
        return body_excerpt(self.redactor.scrub(self.text))

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        """The body parsed as JSON, or a ``ProtocolError`` that shows the start of it.

        An answer that cannot be read says nothing about what the server did,
        so for a request that acts the error says that the script may have run.
        """
        body = parse_json(self.text)
        if body is NOT_JSON:
            raise ProtocolError(
                "%s answered HTTP %s with a body that is not JSON: %s"
                % (display_url(self.url), self.status, self.excerpt()),
                may_have_run=self.acts, status=self.status,
            )
        return body


def retry_after_seconds(value, default, ceiling):
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date)."""
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_tz(value)
            seconds = None if parsed is None else email.utils.mktime_tz(parsed) - time.time()
        except (ValueError, OverflowError, TypeError, IndexError):
            seconds = None
    # "nan" parses as a float and would reach time.sleep().
    if seconds is None or math.isnan(seconds):
        return default
    return min(max(seconds, 0.0), ceiling)


class RetryPolicy:
    """How often and how long to wait when the server certainly did not act."""

    def __init__(self, attempts=3, backoff=0.5, max_delay=10.0, sleep=time.sleep):
        self.attempts = attempts
        self.backoff = backoff
        self.max_delay = max_delay
        self.sleep = sleep

    def delay(self, attempt, retry_after=None):
        default = min(self.backoff * (2 ** (attempt - 1)), self.max_delay)
        return retry_after_seconds(retry_after, default, self.max_delay)


def _connection_not_opened(exc):
    """True when a ConnectionError happened before any byte of the request left."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, NewConnectionError)


# urllib3's text for a host name that does not resolve: Failed to resolve 'host' ([Errno -2] Name or service not known)
_NOT_RESOLVED = re.compile(r"Failed to resolve '([^']+)' \((?:\[Errno -?\d+\] )?(.+)\)$")


def _balanced(text):
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _short_reason(exc):
    """The useful end of a requests/urllib3 exception text, as a clause with balanced brackets."""
    text = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(text if text is not None else (exc.args[0] if exc.args else exc))
    text = re.sub(r"<[^>]+ object at 0x[0-9a-f]+>:?\s*", "", text)
    text = re.sub(r"^HTTP(S)?ConnectionPool\([^)]*\): ", "", text)
    text = re.sub(r"^HTTPS?Connection\(host=[^)]*\):\s*", "", text)
    text = text.strip(" '\"")
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip(" '\"")
    not_resolved = _NOT_RESOLVED.search(text)
    if not_resolved:
        return "the host name %s does not resolve (%s)" % not_resolved.groups()
    return text or exc.__class__.__name__


class _NotOpened(Exception):
    """No connection could be opened: nothing was sent, so the request may be tried again."""

    def __init__(self, reason):
        super(_NotOpened, self).__init__(reason)
        self.reason = reason


class HttpTransport:
    """One pooled HTTP session with the collection's TLS, timeout and retry rules."""

    def __init__(self, validate_certs=True, ca_path=None, timeout=DEFAULT_TIMEOUT, pool_size=4,
                 headers=None, basic_auth=None, redactor=None, retry=None, read_only=False):
        if timeout is not None and timeout <= 0:
            raise OptionError("timeout must be a positive number of seconds, not %s." % timeout)
        if timeout is not None and timeout > MAX_TIMEOUT:
            # Beyond this the socket layer cannot even represent the wait.
            raise OptionError("timeout %s is too long: give at most %d seconds (one day)." % (timeout, MAX_TIMEOUT))
        self.redactor = redactor or Redactor()
        self.read_only = read_only
        self.timeout = timeout or DEFAULT_TIMEOUT
        self.retry = retry or RetryPolicy()
        self.session = requests.Session()
        # The session's own environment lookups (.netrc, REQUESTS_CA_BUNDLE)
        # would silently change what the options say.
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(pool_size, 1), max_retries=0, pool_block=True)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.session.headers.update(headers or {})
        if validate_certs:
            if ca_path and not os.access(ca_path, os.R_OK):
                raise OptionError(
                    "ca_path %s does not exist or cannot be read: give the PEM file (or c_rehash'ed directory) of "
                    "the CA that signed the server's certificate." % ca_path
                )
            self.session.verify = ca_path or True
        else:
            self.session.verify = False
            requests.packages.urllib3.disable_warnings(InsecureRequestWarning)
        if basic_auth:
            self.session.auth = basic_auth
            self.redactor.add_basic_auth(*basic_auth)

    def close(self):
        self.session.close()

    def _fail(self, cls, message, **kwargs):
        return cls(self.redactor.scrub(message), **kwargs)

    def request(self, method, url, payload=None, headers=None, params=None, content_type="application/json", acts=None,
                form=None):
        """Send one request and return an ``HttpResponse`` whatever its status.

        ``payload`` is serialised to JSON. Only failures that prove the server
        did nothing are retried (see the module docstring). ``acts`` says whether
        the request can make the server do something (default: any method but
        GET, HEAD, OPTIONS); a failure after sending such a request says that a
        script may have run. ``form`` (a dict) is sent form-encoded instead.
        """
        acts = method.upper() not in SAFE_METHODS if acts is None else bool(acts)
        self.redactor.add(url_password(url))
        if acts and self.read_only:
            raise self._fail(
                ActingRequestRefused,
                "Refused to send %s %s in check mode: it can run a script, and check mode only reads. Nothing was "
                "sent. This is a bug of the module: please report it." % (method.upper(), display_url(url)),
            )
        data = None
        send_headers = dict(headers or {})
        if payload is not None:
            data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
            send_headers["Content-Type"] = content_type
        elif form is not None:
            data = urlencode(form).encode("ascii")
            send_headers["Content-Type"] = "application/x-www-form-urlencoded"
        attempt = 0
        while True:
            attempt += 1
            try:
                raw, content = self._send(method, url, data, send_headers, params, acts)
            except _NotOpened as exc:
                if attempt < self.retry.attempts:
                    self.retry.sleep(self.retry.delay(attempt))
                    continue
                raise self._fail(
                    UnreachableError,
                    "Cannot connect to %s: %s; tried %d times. Check the url option and that the server is up "
                    "and reachable from this host." % (display_url(url), exc.reason, attempt),
                )
            if raw.status_code in RETRY_STATUSES and attempt < self.retry.attempts:
                self.retry.sleep(self.retry.delay(attempt, raw.headers.get("Retry-After")))
                continue
            return HttpResponse(raw.status_code, raw.reason, raw.headers, content, raw.url, self.redactor, method, acts)

    def _send(self, method, url, data, headers, params, acts):
        """One attempt: the raw answer and its body, or the collection's error (``_NotOpened`` is retried)."""
        where = display_url(url)
        try:
            raw = self.session.request(
                method, url, data=data, headers=headers, params=params,
                timeout=(min(self.timeout, MAX_CONNECT_TIMEOUT), self.timeout),
                allow_redirects=False,
            )
            return raw, raw.content
        except requests.exceptions.SSLError as exc:
            raise self._fail(
                UnreachableError,
                "TLS failed for %s: %s. If the server uses a private CA, set ca_path to its CA bundle; "
                "validate_certs: false turns verification off (not for production)." % (where, _short_reason(exc)),
            )
        except requests.exceptions.ConnectionError as exc:
            if _connection_not_opened(exc):
                raise _NotOpened(_short_reason(exc))
            if isinstance(exc.args[0] if exc.args else None, ReadTimeoutError):
                # requests reports a body that stops arriving as a ConnectionError.
                raise self._timeout(where, acts)
            raise self._fail(
                UnreachableError,
                "The connection to %s broke after the request was sent (%s)." % (where, _short_reason(exc)),
                may_have_run=acts, nothing_ran=not acts,
            )
        except requests.exceptions.Timeout:
            raise self._timeout(where, acts)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema, ValueError) as exc:
            raise self._fail(OptionError, "Cannot send a request to %s: %s" % (where, _short_reason(exc)))
        except requests.exceptions.RequestException as exc:
            raise self._fail(
                ProtocolError,
                "The answer from %s was cut off or malformed (%s)." % (where, _short_reason(exc)),
                may_have_run=acts, nothing_ran=not acts,
            )

    def _timeout(self, where, acts):
        return self._fail(
            RequestTimeoutError,
            "No answer from %s within %s seconds. Raise timeout if the server needs longer." % (where, self.timeout),
            may_have_run=acts, nothing_ran=not acts,
        )
