# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs scriptbridge.core.superoffice_login once per run for the same options, and hides its result.

Hidden. The module returns a ticket or an access token (and, when the token
endpoint rotates it, a new refresh token) that later tasks need
(``ticket: "{{ login.ticket }}"``), so the module cannot mask it the way it
masks the secrets it was given. Instead the result is marked
``_ansible_no_log``: ansible-core (2.18 to 2.21) then shows callbacks, at any
verbosity, only that the output was hidden, while the registered variable keeps
the whole result. A failed login carries no credential, so its message shows.

Once. Ansible runs a task once per host, each in a worker process forked from
the controller. The linear and free strategies import this action plugin in the
controller before they fork the first worker of the task, so what this file
makes at import is inherited by every worker of the run:

* an anonymous shared memory map (``mmap`` of no file): the login results of
  the run, keyed by an HMAC, under a random key of the run, of everything that
  decides the login (the module's arguments after ``module_defaults``, the
  SUPEROFFICE_* environment the module sees, check mode). It is never written
  to a file;
* locks (``multiprocessing`` semaphores): the first worker of a key takes its
  lock and logs in; the others wait for it and return the result it stored.

So a play over many hosts, with or without ``run_once``, logs in once, and
every host's registered variable receives the result; a later
``superoffice_login`` with the same options reuses it too, while the ticket is
certainly valid (a ticket lives 6 hours from its last use, so it is reused for
``TICKET_REUSE`` seconds after the login; an access token until
``TOKEN_MARGIN`` seconds before it expires). A failed login is shared only
with the other hosts of the same task: a later task tries again. Whatever
cannot be shared (the memory cannot be made, a result does not fit, a worker
waited ``WAIT`` seconds for a lock) falls back to one login per host, as a
task without this plugin would do.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime
import hashlib
import hmac
import json
import mmap
import multiprocessing
import os
import secrets
import struct
import time

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

MODULE = "scriptbridge.core.superoffice_login"
CREDENTIALS = ("ticket", "access_token", "refresh_token")
# What of a refused login the other hosts of the task receive.
FAILURE_KEYS = ("failed", "changed", "msg", "error")
# A ticket is valid 6 hours after its last use; reuse it at most this long after the login.
TICKET_REUSE = 6 * 3600 - 600
# Stop handing out an access token this many seconds before it expires.
TOKEN_MARGIN = 300
# Seconds an access token lives when the token endpoint does not say (SuperOffice documents one hour).
TOKEN_LIFETIME = 3600
# Seconds a worker waits for another one's login before it logs in itself.
WAIT = 900
SIZE = 1 << 20
STRIPES = 16
_HEADER = struct.Struct("!Q")

display = Display()


class _RunMemory:
    """Login results shared by the workers of one controller run, in anonymous shared memory."""

    def __init__(self):
        context = multiprocessing.get_context("fork")
        self.key = secrets.token_bytes(32)
        self.memory = mmap.mmap(-1, SIZE)
        self.guard = context.Lock()
        self.stripes = [context.Lock() for index in range(STRIPES)]
        self._write({})

    def digest(self, material):
        text = json.dumps(material, sort_keys=True, default=str, separators=(",", ":"))
        return hmac.new(self.key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def stripe(self, digest):
        return self.stripes[int(digest[:8], 16) % STRIPES]

    def _read(self):
        (length,) = _HEADER.unpack_from(self.memory, 0)
        if not 0 < length <= SIZE - _HEADER.size:
            return {}
        try:
            return json.loads(self.memory[_HEADER.size:_HEADER.size + length].decode("utf-8"))
        except ValueError:
            return {}

    def _write(self, entries):
        try:
            data = json.dumps(entries, separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError):
            return False
        if len(data) > SIZE - _HEADER.size:
            return False
        self.memory[_HEADER.size:_HEADER.size + len(data)] = data
        _HEADER.pack_into(self.memory, 0, len(data))
        return True

    def get(self, digest, task):
        """The stored result for ``digest`` if still usable by ``task``, else None."""
        with self.guard:
            entry = self._read().get(digest)
        if not entry or time.time() >= entry["until"]:
            return None
        if entry["task"] is not None and entry["task"] != task:
            return None
        return entry["result"]

    def put(self, digest, task, result, until):
        """Store ``result`` until ``until``; ``task``: only that task may reuse it (a failure)."""
        with self.guard:
            now = time.time()
            entries = dict((name, entry) for name, entry in self._read().items() if entry["until"] > now)
            entries[digest] = {"result": result, "until": until, "task": task}
            self._write(entries)


def _run_memory():
    try:
        return _RunMemory()
    except (OSError, ImportError, ValueError):
        return None


# Made when the controller imports this plugin, before it forks the workers that inherit it.
RUN_MEMORY = _run_memory()


def _expiry(value):
    """``expires`` (``2026-03-04T06:06:07Z``) as a POSIX time, or None."""
    try:
        moment = datetime.datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def reusable_until(result, now):
    """Until when a login result may be handed to another host or task; None: not at all."""
    if result.get("failed") or result.get("unreachable") or result.get("skipped"):
        return None
    if result.get("ticket"):
        return now + TICKET_REUSE
    if result.get("access_token"):
        expires = _expiry(result.get("expires")) or now + TOKEN_LIFETIME
        return expires - TOKEN_MARGIN if expires - TOKEN_MARGIN > now else None
    return None


class ActionModule(ActionBase):
    """The module once per run and options, then no_log on a result that holds a credential."""

    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._login(task_vars))
        if any(result.get(name) for name in CREDENTIALS):
            result["_ansible_no_log"] = True
        return result

    def _material(self):
        """Everything that decides what the module does, for the key of the run's memory."""
        environment = {}
        self._compute_environment_string(environment)
        seen = dict((name, value) for name, value in os.environ.items() if name.startswith("SUPEROFFICE_"))
        seen.update((name, value) for name, value in environment.items() if str(name).startswith("SUPEROFFICE_"))
        return {"module": MODULE, "args": self._task.args, "environment": seen,
                "check_mode": bool(self._play_context.check_mode)}

    def _login(self, task_vars):
        run = RUN_MEMORY
        if run is None:
            return self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars)
        try:
            digest = run.digest(self._material())
        except Exception:  # pylint: disable=broad-exception-caught
            # Whatever cannot be keyed (an environment that does not template) is the module's to report.
            return self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars)
        task = self._task._uuid  # pylint: disable=protected-access
        stripe = run.stripe(digest)
        locked = stripe.acquire(timeout=WAIT)
        try:
            kept = run.get(digest, task)
            if kept is not None:
                display.vvv("superoffice_login: reusing this run's login with the same options; no new login",
                            host=(task_vars or {}).get("inventory_hostname"))
                return copy.deepcopy(kept)
            result = self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars)
            self._keep(run, digest, task, result)
            return result
        finally:
            if locked:
                stripe.release()

    @staticmethod
    def _keep(run, digest, task, result):
        now = time.time()
        until = reusable_until(result, now)
        if until is not None:
            run.put(digest, None, result, until)
        elif result.get("failed") and isinstance(result.get("error"), dict):
            # A refusal from the service or of the options: the other hosts of this task get the same answer.
            refusal = dict((name, result[name]) for name in FAILURE_KEYS if name in result)
            run.put(digest, task, refusal, now + TICKET_REUSE)
