# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""What may show in a message: secrets masked, URLs without user info, bodies cut short.

A ``Redactor`` knows every secret of a run (and the forms it travels in:
URL-quoted, JSON-escaped, inside a Basic header) and replaces each by a mask
in anything the collection returns or raises. The transport and the service
clients add to it what they send; the base module masks the whole result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import re

from urllib.parse import quote, urlsplit, urlunsplit

REDACTED = "********"


# What body_excerpt() appends to a cut text, and the shortest start of a secret masked before it.
CUT = "..."
MIN_CUT = 4


class Redactor:
    """Replaces every known secret, and the forms it travels in, by a mask."""

    def __init__(self, secrets=()):
        self._secrets = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret, *more_forms):
        """Remember a secret (and extra encoded forms of it)."""
        for value in (secret,) + more_forms:
            # Short values would mask ordinary words of every message.
            if value and len(str(value)) >= 4:
                value = str(value)
                self._secrets.update((value, quote(value, safe=""), json.dumps(value)[1:-1]))

    def add_basic_auth(self, username, password):
        """Remember a password and the Basic header value built from it."""
        if password:
            pair = "%s:%s" % (username or "", password)
            self.add(password, base64.b64encode(pair.encode("utf-8")).decode("ascii"))

    def scrub(self, value):
        """Return ``value`` (str, or nested lists and dicts) with every secret masked.

        The start of a secret right before ``...`` (where an excerpt was cut
        short) is masked too: a message built from a body cut before masking
        must not show the first characters of a token.
        """
        if isinstance(value, str):
            for secret in sorted(self._secrets, key=len, reverse=True):
                if secret in value:
                    value = value.replace(secret, REDACTED)
            if CUT in value:
                value = self._scrub_cut(value)
            return value
        if isinstance(value, dict):
            return dict((self.scrub(k), self.scrub(v)) for k, v in value.items())
        if isinstance(value, (list, tuple)):
            return [self.scrub(v) for v in value]
        return value

    def _scrub_cut(self, value):
        pieces = value.split(CUT)
        for index, piece in enumerate(pieces[:-1]):
            for secret in self._secrets:
                # The longest start of the secret (MIN_CUT characters or more) that ends this piece.
                for size in range(min(len(secret) - 1, len(piece)), MIN_CUT - 1, -1):
                    if piece.endswith(secret[:size]):
                        piece = piece[:-size] + REDACTED
                        break
            pieces[index] = piece
        return CUT.join(pieces)


def display_url(url):
    """The URL as it may appear in a message: no user info, no query."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def url_password(url):
    """The password in a URL's user info, so that it can be masked even in a refused URL."""
    try:
        return urlsplit(url or "").password
    except ValueError:
        return None


def body_excerpt(text, limit=200):
    """The start of a body on one line, for messages."""
    text = re.sub(r"<[^>]*>", " ", text or "")
    text = " ".join(text.split())
    if not text:
        return "(empty)"
    return text if len(text) <= limit else text[:limit] + CUT
