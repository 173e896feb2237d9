# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The collection's error types.

Every failure the collection can report is a ``ScriptBridgeError`` with a
``kind`` that tells the user what went wrong without reading a traceback:

==========================  ===============================================
kind                        meaning
==========================  ===============================================
``auth``                    credentials missing, wrong, expired or refused
``not_found_or_forbidden``  the object does not exist or is not visible
``invalid_params``          the server refused the parameters
``unsupported``             the server version or the object cannot do it
``script_failed``           the script ran (or was attempted) and failed
``server_unreachable``      no connection (DNS, refused, TLS)
``timeout``                 no answer in time
``http``                    an unexpected HTTP status
``protocol``                an answer that is not what the protocol says
==========================  ===============================================

``may_have_run`` is true when a request that *acts* (can run a script) reached
the server but its outcome is unknown (a timeout, a reset or a server error
after sending): a script may have run, so the request must not be repeated and
the user must be told. The error type owns that sentence (``MAY_HAVE_RUN``): a
layer that raises such an error says what happened and sets ``may_have_run``,
and the sentence is added once, the same everywhere. Its opposite,
``nothing_ran``, says that certainly nothing ran (a read failed, a login was
refused, a rule refused the task before sending); it adds ``NOTHING_RAN``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


KINDS = (
    "auth",
    "not_found_or_forbidden",
    "invalid_params",
    "unsupported",
    "script_failed",
    "server_unreachable",
    "timeout",
    "http",
    "protocol",
)

MAY_HAVE_RUN = (
    "The request reached the server and its outcome is unknown, so the script may have run: "
    "check on the server before running it again."
)

NOTHING_RAN = "Nothing was run."


def _with_sentence(message, sentence):
    message = message.rstrip()
    if message.endswith(sentence):
        return message
    return "%s%s %s" % (message, "" if message.endswith((".", "?", "!")) else ".", sentence)


class ScriptBridgeError(Exception):
    """Base of every error the collection raises on purpose."""

    kind = "protocol"

    def __init__(self, message, code=None, data=None, kind=None, may_have_run=False, status=None, nothing_ran=False):
        if may_have_run and nothing_ran:
            raise ValueError("An error cannot say both that a script may have run and that nothing ran.")
        if may_have_run:
            message = _with_sentence(message, MAY_HAVE_RUN)
        elif nothing_ran:
            message = _with_sentence(message, NOTHING_RAN)
        super(ScriptBridgeError, self).__init__(message)
        self.message = message
        self.code = code
        self.data = data
        self.status = status
        self.may_have_run = may_have_run
        if kind is not None:
            self.kind = kind

    def __str__(self):
        return self.message

    def to_dict(self):
        """The ``error`` dict of a result: code, message, data, kind."""
        return {"code": self.code, "message": self.message, "data": self.data, "kind": self.kind}


class AuthError(ScriptBridgeError):
    kind = "auth"


class NotFoundError(ScriptBridgeError):
    kind = "not_found_or_forbidden"


class InvalidParamsError(ScriptBridgeError):
    kind = "invalid_params"


class UnsupportedError(ScriptBridgeError):
    kind = "unsupported"


class ScriptFailedError(ScriptBridgeError):
    kind = "script_failed"


class UnreachableError(ScriptBridgeError):
    kind = "server_unreachable"


class RequestTimeoutError(ScriptBridgeError):
    kind = "timeout"


class HttpStatusError(ScriptBridgeError):
    kind = "http"


class ProtocolError(ScriptBridgeError):
    kind = "protocol"


class ActingRequestRefused(ScriptBridgeError):
    """A request that acts, refused before sending by a transport opened read-only (check mode)."""

    kind = "unsupported"


class OptionError(ScriptBridgeError):
    """Options that cannot work together, found before any request."""

    kind = "invalid_params"
