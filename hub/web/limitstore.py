"""A rate-limit counter store shared by the workers of one machine: a small SQLite file
in the instance folder (``machine://``), for Flask-Limiter's fixed-window limits.

Without it (``memory://``) every gunicorn worker counts on its own, so a client whose
requests reach several workers gets the configured limit once per worker, and one whose
keep-alive connection stays on one worker gets it once. Redis shares counters across
machines; this file shares them across the processes of one machine, which is what
``hub serve`` runs. It is a separate file from the hub's database (a counter write
never waits behind a batch), kept without fsync: counters are worth nothing after a
crash.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from limits.storage import Storage

SCHEME = "machine"
SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"
#: One increment in this many also deletes expired counters (the file stays small).
PURGE_EVERY = 1000


class MachineStorage(Storage):
    """Fixed-window counters in a SQLite file (each increment one short transaction)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: float | str | bool) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.split("://", 1)[1]
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._count = 0
        with self._db() as db:
            db.execute(SCHEMA)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared between threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=1.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            self._local.db = db
        return db

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            value = db.execute(
                "INSERT INTO counters (key, value, expires_at) VALUES (?1, ?2, ?3) ON CONFLICT (key) DO UPDATE SET "
                "value = CASE WHEN expires_at <= ?4 THEN ?2 ELSE value + ?2 END, "
                "expires_at = CASE WHEN expires_at <= ?4 THEN ?3 ELSE expires_at END RETURNING value",
                (key, amount, now + expiry, now),
            ).fetchone()[0]
            self._count += 1
            if self._count % PURGE_EVERY == 0:
                db.execute("DELETE FROM counters WHERE expires_at <= ?", (now,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return int(value)

    def get(self, key: str) -> int:
        row = (
            self._db()
            .execute("SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time()))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = (
            self._db()
            .execute("SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", (key, now))
            .fetchone()
        )
        return float(row[0]) if row else now

    def check(self) -> bool:
        self._db().execute("SELECT 1").fetchone()
        return True

    def reset(self) -> int | None:
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
