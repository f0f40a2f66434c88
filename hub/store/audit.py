"""The hash-chained audit log: append under the write lock, verify end to end; frequent
security events are counted and appended as one entry per aggregate (:class:`Tally`)."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from .db import insert_many, transaction
from .models import AuditEntry, Revision, WriteHead, utcnow

GENESIS = "0" * 64


def _stamp(at: datetime) -> str:
    """UTC, microseconds, no offset: identical whether read back from SQLite or PostgreSQL."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(
    prev: str, seq: int, at: datetime, actor: str, action: str, target: str | None, detail: dict[str, Any]
) -> str:
    body = orjson.dumps([seq, _stamp(at), actor, action, target, detail], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev.encode() + body).hexdigest()


def lock(session: so.Session) -> WriteHead:
    """Take the single write lock (first statement of every write transaction)."""
    session.execute(sa.update(WriteHead).where(WriteHead.id == 1).values(change_seq=WriteHead.change_seq))
    head = session.get(WriteHead, 1, populate_existing=True)
    if head is None:
        raise RuntimeError("database not initialised: run 'hub init'")
    return head


@dataclass
class AuditBatch:
    """Audit entries of one transaction, chained onto the head and inserted at once."""

    head: WriteHead
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, actor: str, action: str, target: str | None, detail: dict[str, Any], at: datetime | None = None
    ) -> None:
        at = at or utcnow()
        seq = self.head.audit_seq + 1
        digest = entry_hash(self.head.audit_hash, seq, at, actor, action, target, detail)
        self.rows.append(
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "action": action,
                "target": target,
                "detail": detail,
                "prev_hash": self.head.audit_hash,
                "hash": digest,
            }
        )
        self.head.audit_seq, self.head.audit_hash = seq, digest

    def flush(self, session: so.Session) -> None:
        insert_many(session, AuditEntry.__table__, self.rows)
        self.rows = []


def record(session: so.Session, actor: str, action: str, target: str | None, detail: dict[str, Any]) -> None:
    """Append one entry in its own locked step (for actions outside the write path)."""
    batch = AuditBatch(lock(session))
    batch.add(actor, action, target, detail)
    batch.flush(session)


def verify(session: so.Session) -> list[str]:
    """Check the whole chain; returns the problems found (empty when intact).

    Detects edited rows (hash mismatch), deleted or reordered rows (sequence or link
    breaks), a truncated tail (last hash differs from the head's), and revisions that
    differ from those the log names (one line per damaged entry or revision).
    """
    problems: list[str] = []
    prev, expected_seq = GENESIS, 1
    named = _Revisions()
    for row in _entries(session):
        found = []
        if row.seq != expected_seq:
            found.append(f"expected entry {expected_seq} here (missing or reordered entries)")
        if row.prev_hash != prev:
            found.append("does not link to the entry before it")
        if entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.action, row.target, row.detail) != row.hash:
            found.append("content does not match its hash (edited)")
        if found:  # one line per damaged entry
            problems.append(f"entry {row.seq}: " + "; ".join(found))
        for uid, version, digest, *_ in _named_revisions(row):
            named.add(uid, version, digest)
        prev, expected_seq = row.hash, row.seq + 1
        session.expunge(row)
    head = session.get(WriteHead, 1)
    if head is not None and (head.audit_hash != prev or head.audit_seq != expected_seq - 1):
        problems.append(
            f"the log ends at entry {expected_seq - 1} but {head.audit_seq} were written (entries removed from the end)"
        )
    return problems + _verify_revisions(session, named)


def _entries(session: so.Session) -> Any:
    return session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)).scalars()


def _named_revisions(entry: AuditEntry) -> list[list[Any]]:
    """``[uid, version, content_hash, status, review]`` of each revision a write entry names."""
    return entry.detail.get("revisions", []) if entry.action == "records.write" else []


class _Revisions:
    """A multiset of (uid, version, content hash) in constant memory: a count and the sum
    of their SHA-256 digests modulo 2**256 (order-independent, so the log's write order
    and the table's order compare without sorting or holding either in memory)."""

    def __init__(self) -> None:
        self.count, self.total = 0, 0

    def add(self, uid: str, version: int, digest: str) -> None:
        key = hashlib.sha256(f"{uid}\0{version}\0{digest}".encode()).digest()
        self.count += 1
        self.total = (self.total + int.from_bytes(key, "big")) % (1 << 256)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Revisions) and (self.count, self.total) == (other.count, other.total)


def _verify_revisions(session: so.Session, named: _Revisions) -> list[str]:
    """Every revision's document still hashes to its content hash, and the stored
    revisions are exactly those the audit log names, with the hashes it recorded (none
    added, removed or rewritten together with its hash by hand)."""
    problems: list[str] = []
    stored = _Revisions()
    rows = session.execute(
        sa.select(
            Revision.uid, Revision.version, Revision.document, Revision.deleted, Revision.content_hash
        ).execution_options(yield_per=2000)
    )
    for uid, version, document, deleted, digest in rows:
        stored.add(uid, version, digest)
        body = {**document, "deleted": True} if deleted else document
        if hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest() != digest:
            problems.append(f"revision {uid} v{version}: document does not match its hash (edited)")
    if stored.count != named.count:
        problems.append(f"the audit log names {named.count} revisions but {stored.count} are stored")
    if stored != named:
        problems += _revision_differences(session)
    return problems


def _revision_differences(session: so.Session) -> list[str]:
    """Only when the multisets differ: which revisions (memory in proportion to the log)."""
    recorded: dict[tuple[str, int], tuple[str, int]] = {}
    for entry in _entries(session):
        for uid, version, digest, *_ in _named_revisions(entry):
            recorded[(uid, version)] = (digest, entry.seq)
        session.expunge(entry)
    problems: list[str] = []
    for uid, version, digest in session.execute(
        sa.select(Revision.uid, Revision.version, Revision.content_hash).order_by(Revision.id)
    ):
        logged = recorded.pop((uid, version), None)
        if logged is None:
            problems.append(
                f"revision {uid} v{version}: not named by any audit entry (added by hand, or its entry removed)"
            )
        elif logged[0] != digest:
            problems.append(
                f"revision {uid} v{version}: its hash is not the one audit entry {logged[1]} recorded (edited)"
            )
    problems += [
        f"revision {uid} v{version}: named by audit entry {seq} but not stored (deleted)"
        for (uid, version), (_, seq) in recorded.items()
    ]
    return problems


#: Distinct values kept per facet of an aggregate (addresses, error codes...); the rest
#: are counted under ``"(other)"`` so a flood from many addresses stays one small entry.
FACET_VALUES = 20
TALLY_KEY = "audit_tally"


@dataclass
class _Aggregate:
    count: int
    first_at: datetime
    last_at: datetime
    facets: dict[str, dict[str, int]]

    def merge(self, other: "_Aggregate") -> None:
        self.count += other.count
        self.first_at, self.last_at = min(self.first_at, other.first_at), max(self.last_at, other.last_at)
        for name, values in other.facets.items():
            for value, n in values.items():
                _bump(self.facets.setdefault(name, {}), value, n)


def _bump(values: dict[str, int], value: str, n: int = 1) -> None:
    if value not in values and len(values) >= FACET_VALUES:
        value = "(other)"
    values[value] = values.get(value, 0) + n


class Tally:
    """Frequent security events (refused and rate-limited token requests, token
    issuance) counted in the process and written to the chain as one entry per
    aggregate (actor, action, target, time window) once its window has closed.

    A flood of refused requests therefore costs a dictionary update each, not a turn
    at the global write lock; the chain still says who was refused, how often, from
    which addresses and why. :meth:`flush` runs at most once per window from
    :func:`flush_due` (after a request) and at exit; a worker killed outright loses its
    counts of the open window (at most ``window`` seconds).
    """

    def __init__(self, sessions: Any) -> None:
        self.sessions = sessions
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str, str | None, int, int], _Aggregate] = {}
        self._due = float("inf")

    def count(
        self,
        actor: str,
        action: str,
        target: str | None,
        *,
        window: int = 60,
        at: datetime | None = None,
        **facets: str | None,
    ) -> None:
        at = at or utcnow()
        stamp = int(at.timestamp())
        start = stamp - stamp % window
        key = (actor, action, target, start, window)
        with self._lock:
            agg = self._open.get(key)
            if agg is None:
                agg = self._open[key] = _Aggregate(0, at, at, {})
                self._due = min(self._due, start + window)
            agg.merge(_Aggregate(1, at, at, {k: {str(v)[:200]: 1} for k, v in facets.items() if v is not None}))

    def due(self) -> bool:
        return time.time() >= self._due

    def pending(self) -> int:
        with self._lock:
            return sum(agg.count for agg in self._open.values())

    def flush(self, everything: bool = False) -> int:
        """Write the closed aggregates (all of them with ``everything``) in one locked
        step; returns how many entries were written. On a database error they are kept
        for the next flush."""
        now = time.time()
        with self._lock:
            ready = {k: v for k, v in self._open.items() if everything or k[3] + k[4] <= now}
            for key in ready:
                del self._open[key]
            self._due = min((k[3] + k[4] for k in self._open), default=float("inf"))
        if not ready:
            return 0
        try:
            with transaction(self.sessions) as session:
                batch = AuditBatch(lock(session))
                for (actor, action, target, start, window), agg in sorted(ready.items(), key=lambda i: i[0][3]):
                    batch.add(
                        actor,
                        action,
                        target,
                        {
                            "aggregate": True,
                            "count": agg.count,
                            "window_start": datetime.fromtimestamp(start, timezone.utc).isoformat(),
                            "window_seconds": window,
                            "first_at": _stamp(agg.first_at),
                            "last_at": _stamp(agg.last_at),
                            **agg.facets,
                        },
                    )
                batch.flush(session)
        except Exception:
            with self._lock:
                for key, agg in ready.items():
                    if key in self._open:
                        self._open[key].merge(agg)
                    else:
                        self._open[key] = agg
                self._due = min(self._due, time.time() + 60)
            raise
        return len(ready)


def tally_of(app: Any) -> Tally:
    """The app's :class:`Tally` (made by ``hub.auth.init_app``)."""
    return app.extensions[TALLY_KEY]
