# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""JSON-RPC 2.0 over the collection's HTTP transport.

Every call gets a fresh id, and an answer is accepted only when it is a
JSON-RPC 2.0 envelope for that id with exactly one of ``result`` or ``error``.
The ``error`` object becomes a ``JsonRpcError`` carrying code, message and data;
what those mean for a given service is decided by a classifier the service
client passes in.

An answer that cannot be trusted (a server error, a body that is not the
envelope of this call) leaves the outcome of the call unknown. For a method
that acts (the service client says which do; by default every method), the
error then carries ``may_have_run``, so that the call is never repeated and the
user is told.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import itertools
import threading

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import (
    AuthError,
    HttpStatusError,
    ProtocolError,
    ScriptBridgeError,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.http import (
    NOT_JSON,
    may_have_run_after,
    parse_json,
)
from ansible_collections.scriptbridge.core.plugins.module_utils.core.redact import body_excerpt, display_url

CONTENT_TYPE = "application/json-rpc"

# What a JSON-RPC error code means when the service adds nothing more specific.
GENERIC_KINDS = {
    -32700: "protocol",
    -32600: "protocol",
    -32601: "unsupported",
    -32602: "invalid_params",
    -32603: "protocol",
}


class JsonRpcError(ScriptBridgeError):
    """The server answered with a JSON-RPC ``error`` object."""

    def __init__(self, method, code, message, data, kind=None):
        self.method = method
        text = "%s failed: %s" % (method, message)
        if data not in (None, "", message):
            text = "%s %s" % (text, data)
        super(JsonRpcError, self).__init__(
            text, code=code, data=data, kind=kind or GENERIC_KINDS.get(code, "protocol")
        )
        self.rpc_message = message


def _default_classifier(error):
    return error.kind


def _every_method_acts(method):
    return True


class JsonRpcClient:
    """Calls methods on one JSON-RPC endpoint through an ``HttpTransport``.

    ``acts(method)`` tells which methods can act; ``http_auth_hint`` is what a
    user can do when the web server in front of the API refuses the request.
    """

    def __init__(self, transport, url, classify=_default_classifier, acts=_every_method_acts,
                 http_auth_hint="Check the credentials of the web server in front of the API."):
        self.transport = transport
        self.url = url
        self.classify = classify
        self.acts = acts
        self.http_auth_hint = http_auth_hint
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()

    def next_id(self):
        with self._id_lock:
            return next(self._ids)

    def call(self, method, params, headers=None, auth=None):
        """Call ``method`` and return its ``result``.

        ``auth`` goes into the envelope (for APIs that take the credential
        there); ``headers`` carry anything else.
        """
        request_id = self.next_id()
        envelope = {"jsonrpc": "2.0", "method": method, "params": params, "id": request_id}
        if auth is not None:
            envelope["auth"] = auth
        acts = bool(self.acts(method))
        response = self.transport.request("POST", self.url, payload=envelope, headers=headers, content_type=CONTENT_TYPE,
                                          acts=acts)
        where = display_url(self.url)
        if response.status in (401, 403):
            raise AuthError(
                "%s answered HTTP %s %s to %s: the web server in front of the API refused the request. %s"
                % (where, response.status, response.reason, method, self.http_auth_hint),
                status=response.status,
            )
        if response.status != 200:
            raise HttpStatusError(
                "%s answered HTTP %s %s to %s: %s" % (where, response.status, response.reason, method, response.excerpt()),
                status=response.status,
                may_have_run=may_have_run_after(response.status, acts),
            )
        if not response.content.strip():
            raise ProtocolError("%s answered %s with an empty body; is %s a JSON-RPC API endpoint?" % (where, method, where),
                                may_have_run=acts)
        return self._unwrap(method, request_id, response, where, acts)

    def _unwrap(self, method, request_id, response, where, acts):
        """The ``result`` of the envelope, its ``error`` as a ``JsonRpcError``, or a ``ProtocolError``.

        A body that is not the envelope of this call leaves its outcome unknown.
        """
        body = parse_json(response.text)
        if body is NOT_JSON:
            raise ProtocolError("%s answered %s with HTTP %s and a body that is not JSON: %s"
                                % (where, method, response.status, response.excerpt()), may_have_run=acts)
        if not isinstance(body, dict):
            raise ProtocolError("%s answered %s with %s instead of a JSON-RPC object." % (where, method, type(body).__name__),
                                may_have_run=acts)
        if body.get("jsonrpc") != "2.0":
            raise ProtocolError("%s answered %s without \"jsonrpc\": \"2.0\"; is this a JSON-RPC API?" % (where, method),
                                may_have_run=acts)
        if body.get("id") != request_id:
            raise ProtocolError(
                "%s answered %s with id %s, but the request had id %r."
                % (where, method, body_excerpt(response.redactor.scrub(repr(body.get("id"))), 60), request_id),
                may_have_run=acts,
            )
        has_result, has_error = "result" in body, "error" in body
        if has_result == has_error:
            raise ProtocolError("%s answered %s with %s." % (
                where, method, "both result and error" if has_result else "neither result nor error"), may_have_run=acts)
        if has_result:
            return body["result"]
        error = body["error"]
        if not isinstance(error, dict) or not isinstance(error.get("code"), int):
            raise ProtocolError("%s answered %s with a malformed error object: %s"
                                % (where, method, body_excerpt(response.redactor.scrub(str(error)))), may_have_run=acts)
        # Servers echo requests in their errors: mask what the call sent before it goes anywhere.
        scrub = response.redactor.scrub
        exc = JsonRpcError(method, error["code"], scrub(str(error.get("message", ""))), scrub(error.get("data")))
        exc.kind = self.classify(exc)
        raise exc
