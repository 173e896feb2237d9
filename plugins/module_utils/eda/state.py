# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The state files of the event sources (``state_file``): an embedded SQLite database.

SQLite (the standard library's ``sqlite3``) rather than a file rewritten and renamed:
each event or delivery adds a few rows in one transaction, so the cost of a write does
not grow with what is remembered (a webhook remembers up to 100,000 delivery keys), and a
process killed in the middle of a write leaves the last committed state (the write-ahead
log is rolled back or forward when the file is opened again). Every commit is synced to
disk (``synchronous=FULL``), so a committed event or delivery key also survives a power
failure.

A state file holds no secret: event ids, delivery keys (truncated SHA-256 digests), times, the
public URL of the Zabbix server whose cursor it keeps, and, for a webhook with ``replay``, the
events it handed on (the body as delivered, no header). It is created with mode 0600.

A file that cannot be opened, is not a SQLite database, fails SQLite's check, or belongs to
another source or server raises ``StateFileError``, whose message names the file and what
to do; the sources stop with it rather than start afresh.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import sqlite3
import time

SCHEMA_VERSION = "1"


class StateFileError(Exception):
    """A state file that cannot be used; the message names the file and what to do."""


def _advice(path, kind):
    return ("Nothing was emitted. Restore the file from a backup, or move it away to start afresh (%s), "
            "after checking what the source may have missed." % (
                "from the option start" if kind == "zabbix_events" else "without the remembered delivery keys"))


class StateFile:
    """One state file of one source kind (``zabbix_events`` or ``superoffice_webhook``)."""

    def __init__(self, path, kind, owner=None):
        self.path = os.path.abspath(os.path.expanduser(str(path)))
        self.kind = kind
        self.db = None
        try:
            self._open(owner)
        except sqlite3.Error as exc:
            self.close()
            raise StateFileError("The state_file %s cannot be used (%s). %s" % (self.path, exc, _advice(self.path, kind)))
        except OSError as exc:
            self.close()
            raise StateFileError("The state_file %s cannot be opened or created (%s). Give a path in a directory the "
                                 "source can write to (a persistent volume in a container)." % (self.path, exc.strerror or exc))

    def _open(self, owner):
        if not os.path.exists(self.path):
            # Created here with 0600, so that SQLite's journal files get the same mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        elif not os.path.isfile(self.path):
            raise OSError(0, "not a regular file")
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        # Fails with "file is not a database" on anything but SQLite.
        self.db.execute("PRAGMA journal_mode=WAL").fetchone()
        self.db.execute("PRAGMA synchronous=FULL")
        check = self.db.execute("PRAGMA quick_check").fetchone()
        if not check or check[0] != "ok":
            raise sqlite3.DatabaseError("SQLite's check of the file failed: %s" % (check[0] if check else "no answer"))
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        kind = self.get("kind")
        if kind is None:
            with self.transaction():
                self.put("kind", self.kind)
                self.put("schema", SCHEMA_VERSION)
                if owner is not None:
                    self.put("owner", owner)
        elif kind != self.kind:
            raise StateFileError("The state_file %s belongs to a %s source, not to %s. Give each source a file of its "
                                 "own." % (self.path, kind, self.kind))
        elif self.get("schema") != SCHEMA_VERSION:
            raise StateFileError("The state_file %s was written by another version of the collection (schema %s). %s"
                                 % (self.path, self.get("schema"), _advice(self.path, self.kind)))
        elif owner is not None and self.get("owner") not in (None, owner):
            raise StateFileError("The state_file %s keeps the cursor of %s, not of %s. Give each server a file of its "
                                 "own; if it is the same server under a new URL, move the file away and set start to "
                                 "the last event id handled." % (self.path, self.get("owner"), owner))

    def transaction(self):
        return _Transaction(self)

    def execute(self, sql, params=()):
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StateFileError("Writing the state_file %s failed (%s). %s" % (self.path, exc, _advice(self.path, self.kind)))

    def executemany(self, sql, rows):
        try:
            return self.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StateFileError("Writing the state_file %s failed (%s). %s" % (self.path, exc, _advice(self.path, self.kind)))

    def get(self, key):
        row = self.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key, value):
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, str(value)))

    def size(self):
        """Bytes on disk: the database and its write-ahead log."""
        total = 0
        for suffix in ("", "-wal"):
            try:
                total += os.path.getsize(self.path + suffix)
            except OSError:
                pass
        return total

    def close(self):
        db, self.db = self.db, None
        if db is not None:
            try:
                db.close()
            except sqlite3.Error:
                pass


class _Transaction:
    def __init__(self, state):
        self.state = state

    def __enter__(self):
        self.state.execute("BEGIN IMMEDIATE")
        return self.state

    def __exit__(self, kind, value, traceback):
        if kind is None:
            self.state.execute("COMMIT")
        else:
            try:
                self.state.db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        return False


class ZabbixState:
    """The cursor of ``zabbix_events``: the floor, the newest id handled, the handled ids above the floor.

    ``seen`` maps an event id to the time it was handed on (None: handled, not handed on, e.g.
    filtered out or suppressed); ``pending`` ids were written as about to be handed on and not yet
    confirmed as handed on (a stop in between: they are handed on again). ``suppressed`` holds
    problems not emitted because suppressed, until their recovery comes.
    """

    def __init__(self, path, server):
        self.file = StateFile(path, "zabbix_events", owner=server)
        self.file.execute("CREATE TABLE IF NOT EXISTS seen (eventid INTEGER PRIMARY KEY, handed REAL, "
                          "pending INTEGER NOT NULL DEFAULT 0)")
        self.file.execute("CREATE TABLE IF NOT EXISTS suppressed (eventid INTEGER PRIMARY KEY)")

    @property
    def path(self):
        return self.file.path

    def load(self):
        """(floor, newest, saved_at, seen, pending, suppressed), or None when no cursor was written yet."""
        floor = self.file.get("floor")
        if floor is None:
            return None
        try:
            seen, pending = {}, set()
            for eventid, handed, is_pending in self.file.execute("SELECT eventid, handed, pending FROM seen"):
                seen[int(eventid)] = handed
                if is_pending:
                    pending.add(int(eventid))
            suppressed = set(int(row[0]) for row in self.file.execute("SELECT eventid FROM suppressed"))
            return (int(floor), int(self.file.get("newest")), float(self.file.get("saved_at") or 0), seen, pending,
                    suppressed)
        except (TypeError, ValueError) as exc:
            raise StateFileError("The state_file %s holds a cursor that cannot be read (%s). %s"
                                 % (self.path, exc, _advice(self.path, "zabbix_events")))

    def start(self, floor, now):
        with self.file.transaction() as state:
            state.put("floor", floor)
            state.put("newest", floor)
            state.put("saved_at", now)

    # pylint: disable-next=too-many-arguments
    def record(self, marks, newest, suppressed_add=(), suppressed_drop=(), now=None):
        """Remember handled events (``marks``: (eventid, handed time or None)) in one transaction; those
        handed on are pending until ``confirm``."""
        with self.file.transaction() as state:
            state.executemany("INSERT OR REPLACE INTO seen (eventid, handed, pending) VALUES (?, ?, ?)",
                              [(eventid, handed, 0 if handed is None else 1) for eventid, handed in marks])
            if suppressed_add:
                state.executemany("INSERT OR IGNORE INTO suppressed (eventid) VALUES (?)", [(i,) for i in suppressed_add])
            if suppressed_drop:
                state.executemany("DELETE FROM suppressed WHERE eventid = ?", [(i,) for i in suppressed_drop])
            state.put("newest", newest)
            if now is not None:
                state.put("saved_at", now)

    def confirm(self, eventids):
        """These events were handed on."""
        with self.file.transaction() as state:
            state.executemany("UPDATE seen SET pending = 0 WHERE eventid = ?", [(i,) for i in eventids])

    def advance(self, floor, keep_after, now):
        """The floor moves up: ids at or below it are forgotten unless pending or handed on after ``keep_after``."""
        with self.file.transaction() as state:
            state.execute("DELETE FROM seen WHERE eventid <= ? AND pending = 0 AND (handed IS NULL OR handed < ?)",
                          (floor, keep_after))
            state.put("floor", floor)
            state.put("saved_at", now)

    def close(self):
        self.file.close()


def _digest(key):
    return hashlib.sha256(key.encode("utf-8")).digest()[:16]


class DeliveryKeys:
    """The delivery keys of ``superoffice_webhook`` seen within the window, by the time they were seen.

    A key is pending from the moment its delivery is accepted until it was handed on (``confirm``);
    a pending key left by a stopped process does not make a redelivery a duplicate.
    """

    def __init__(self, path):
        self.file = StateFile(path, "superoffice_webhook")
        # A key is kept as the first 16 bytes of its SHA-256 digest, in the table's own B-tree (no rowid).
        self.file.execute("CREATE TABLE IF NOT EXISTS deliveries (key BLOB PRIMARY KEY, seen_at REAL NOT NULL, "
                          "pending INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID")
        self.file.execute("CREATE INDEX IF NOT EXISTS deliveries_seen_at ON deliveries (seen_at)")
        self._writes = 0

    @property
    def path(self):
        return self.file.path

    def seen_since(self, keys, since):
        """{key: pending} of those of ``keys`` seen at or after ``since``."""
        found = {}
        for key in keys:
            row = self.file.execute("SELECT seen_at, pending FROM deliveries WHERE key = ?", (_digest(key),)).fetchone()
            if row is not None and row[0] >= since:
                found[key] = bool(row[1])
        return found

    def remember(self, keys, now, forget_before, limit):
        """Add ``keys`` (pending) seen at ``now``; forget those seen before ``forget_before`` and the oldest past
        ``limit``."""
        with self.file.transaction() as state:
            state.executemany("INSERT OR REPLACE INTO deliveries (key, seen_at, pending) VALUES (?, ?, 1)",
                              [(_digest(k), now) for k in keys])
            state.execute("DELETE FROM deliveries WHERE seen_at < ?", (forget_before,))
            self._writes += 1
            # Counting is a scan: the limit is enforced every 1,000 deliveries (and it only bounds the file).
            count = state.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0] if self._writes % 1000 == 1 else 0
            if count > limit:
                state.execute("DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries ORDER BY seen_at LIMIT ?)",
                              (count - limit,))

    def confirm(self, keys):
        with self.file.transaction() as state:
            state.executemany("UPDATE deliveries SET pending = 0 WHERE key = ?", [(_digest(k),) for k in keys])

    def forget(self, keys):
        with self.file.transaction() as state:
            state.executemany("DELETE FROM deliveries WHERE key = ?", [(_digest(k),) for k in keys])

    def count(self):
        return self.file.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]

    def close(self):
        self.file.close()


class HandedEvents:
    """With ``replay``: the events handed on, kept in the state file until they are ``replay`` seconds older than the
    source's last sign of life, so that a restarted source hands them on again.

    The source signs life (``alive``) every second while an event handed on is within the window; a stop is dated by
    the last sign, so what was handed on in the ``replay`` seconds before it is found again.
    """

    def __init__(self, store, replay, clock=time.time):
        # store: the DeliveryKeys of the same state file.
        self.file = store.file
        self.replay = replay
        self.clock = clock
        self.newest = None
        self.file.execute("CREATE TABLE IF NOT EXISTS handed (uuid TEXT PRIMARY KEY, handed_at REAL NOT NULL, "
                          "event TEXT NOT NULL)")

    def to_replay(self):
        """The events handed on within ``replay`` seconds before the last sign of life, oldest first."""
        alive_at = self.file.get("alive_at")
        if alive_at is None:
            return []
        rows = self.file.execute("SELECT event FROM handed WHERE handed_at >= ? ORDER BY handed_at",
                                 (float(alive_at) - self.replay,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def record(self, event):
        """``event`` was handed on (again): kept from now for ``replay`` seconds."""
        now = self.clock()
        with self.file.transaction() as state:
            state.execute("INSERT OR REPLACE INTO handed (uuid, handed_at, event) VALUES (?, ?, ?)",
                          (event["meta"]["uuid"], now, json.dumps(event, sort_keys=True)))
            state.execute("DELETE FROM handed WHERE handed_at < ?", (now - self.replay,))
            state.put("alive_at", now)
        self.newest = now

    def alive(self):
        """A sign of life, written while an event handed on is within the window; True when written."""
        now = self.clock()
        if self.newest is None or now - self.newest > self.replay:
            return False
        with self.file.transaction() as state:
            state.execute("DELETE FROM handed WHERE handed_at < ?", (now - self.replay,))
            state.put("alive_at", now)
        return True
