# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""Tenant-status answers kept until their ``ValidUntil``, for every task and host that runs on this machine.

The tenant-status service says where a tenant lives and until when that
answer holds (``ValidUntil``: "when to check next time"). Asking it before
each task of each host costs one call per task and host; this cache keeps the
answer of a *running* tenant in a file and serves it to later tasks until
``ValidUntil`` (and never longer than ``MAX_VALIDITY``). The answer holds no
secret: the tenant id, its state and its addresses.

Where: one directory per user, ``<temp>/scriptbridge-<uid>`` (``<temp>`` is
Python's ``tempfile.gettempdir()``: ``$TMPDIR``, else ``/tmp``), mode 0700; one
file per environment host and tenant, ``tenant-status-<hash>.json``, mode
0600. The directory is per user rather than per run because an answer is
good until its ``ValidUntil`` for whoever asks, and because a module cannot
tell which run started it. A directory or file that is not the user's own,
or that others can read or write, is ignored; so is any file that cannot be
read or parsed. Writers (parallel forks) write a temporary file beside it and
rename it over the old one, so a reader sees a whole answer or none.

A 421 from the tenant's API (the tenant moved) asks the service afresh and
replaces the entry; a tenant that is not running is never kept.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import hashlib
import json
import os
import re
import stat
import tempfile
import time

# Never trust a kept answer longer than this many seconds after it was received, whatever ValidUntil says.
MAX_VALIDITY = 86400
MAX_FILE = 65536
_VALID_UNTIL = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?\s*(Z|z|[+-]\d\d:?\d\d)?$")


def valid_until(value):
    """``ValidUntil`` (ISO 8601, up to 7 fractional digits, UTC when no zone is given) as a POSIX time, or None."""
    match = _VALID_UNTIL.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    zone = match.group(8) or "Z"
    offset = 0
    if zone not in ("Z", "z"):
        digits = zone[1:].replace(":", "")
        offset = (int(digits[:2]) * 60 + int(digits[2:])) * 60 * (-1 if zone[0] == "-" else 1)
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    return moment.timestamp() + fraction - offset


def default_directory():
    """``<temp>/scriptbridge-<uid>``: this user's directory for what the collection keeps between tasks."""
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return os.path.join(tempfile.gettempdir(), "scriptbridge-%d" % uid)


def _private(status, kind):
    """Whether an ``os.stat_result`` is of the given kind, this user's, and closed to everyone else."""
    owner = os.getuid() if hasattr(os, "getuid") else status.st_uid
    return kind(status.st_mode) and status.st_uid == owner and not status.st_mode & 0o077


class StatusCache:
    """Tenant-status answers by environment host and tenant, in files under ``directory``."""

    def __init__(self, directory=None, clock=time.time):
        self.directory = directory or default_directory()
        self.clock = clock

    def _path(self, environment_url, tenant):
        key = "%s\n%s" % (environment_url.rstrip("/").lower(), tenant.lower())
        return os.path.join(self.directory, "tenant-status-%s.json" % hashlib.sha256(key.encode("utf-8")).hexdigest()[:32])

    def _usable_directory(self, create):
        try:
            if create and not os.path.lexists(self.directory):
                os.mkdir(self.directory, 0o700)
            return _private(os.lstat(self.directory), stat.S_ISDIR)
        except OSError:
            return False

    def get(self, environment_url, tenant):
        """The kept answer for ``tenant`` at ``environment_url`` while it is valid, else None."""
        if not self._usable_directory(create=False):
            return None
        try:
            handle = os.open(self._path(environment_url, tenant), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            if not _private(os.fstat(handle), stat.S_ISREG):
                return None
            record = json.loads(os.read(handle, MAX_FILE).decode("utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        finally:
            os.close(handle)
        return self._answer(record, environment_url, tenant)

    def _answer(self, record, environment_url, tenant):
        if not isinstance(record, dict) or not isinstance(record.get("answer"), dict):
            return None
        if record.get("environment") != environment_url.rstrip("/").lower():
            return None
        if not isinstance(record.get("tenant"), str) or record["tenant"].lower() != tenant.lower():
            return None
        until = valid_until(record["answer"].get("ValidUntil"))
        received = record.get("received")
        if until is None or not isinstance(received, (int, float)):
            return None
        now = self.clock()
        if not received - 60 <= now < min(until, received + MAX_VALIDITY):
            return None
        return record["answer"]

    def put(self, environment_url, tenant, answer):
        """Keep ``answer`` (a running tenant's status) if its ValidUntil lies ahead; failures are ignored."""
        now = self.clock()
        until = valid_until(answer.get("ValidUntil"))
        if until is None or until <= now or not self._usable_directory(create=True):
            return
        record = {"environment": environment_url.rstrip("/").lower(), "tenant": tenant, "received": now,
                  "answer": answer}
        path = self._path(environment_url, tenant)
        temporary = None
        try:
            handle, temporary = tempfile.mkstemp(prefix=".tenant-status-", suffix=".tmp", dir=self.directory)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                os.fchmod(stream.fileno(), 0o600)
                json.dump(record, stream)
            os.replace(temporary, path)
            temporary = None
        except (OSError, TypeError, ValueError):
            pass
        finally:
            if temporary:
                try:
                    os.unlink(temporary)
                except OSError:
                    pass
