"""The hash-chained audit log: append under the write lock, verify end to end."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from .db import insert_many
from .models import AuditEntry, Revision, WriteHead, utcnow

GENESIS = "0" * 64


def _stamp(at: datetime) -> str:
    """UTC, microseconds, no offset: identical whether read back from SQLite or PostgreSQL."""
    if at.tzinfo is not None:
        at = at.astimezone(timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def entry_hash(prev: str, seq: int, at: datetime, actor: str, action: str,
               target: str | None, detail: dict[str, Any]) -> str:
    body = orjson.dumps([seq, _stamp(at), actor, action, target, detail], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev.encode() + body).hexdigest()


def lock(session: so.Session) -> WriteHead:
    """Take the single write lock (first statement of every write transaction)."""
    session.execute(sa.update(WriteHead).where(WriteHead.id == 1)
                    .values(change_seq=WriteHead.change_seq))
    head = session.get(WriteHead, 1, populate_existing=True)
    if head is None:
        raise RuntimeError("database not initialised: run 'hub init'")
    return head


@dataclass
class AuditBatch:
    """Audit entries of one transaction, chained onto the head and inserted at once."""

    head: WriteHead
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, actor: str, action: str, target: str | None, detail: dict[str, Any],
            at: datetime | None = None) -> None:
        at = at or utcnow()
        seq = self.head.audit_seq + 1
        digest = entry_hash(self.head.audit_hash, seq, at, actor, action, target, detail)
        self.rows.append({"seq": seq, "at": at, "actor": actor, "action": action, "target": target,
                          "detail": detail, "prev_hash": self.head.audit_hash, "hash": digest})
        self.head.audit_seq, self.head.audit_hash = seq, digest

    def flush(self, session: so.Session) -> None:
        insert_many(session, AuditEntry.__table__, self.rows)
        self.rows = []


def record(session: so.Session, actor: str, action: str, target: str | None,
           detail: dict[str, Any]) -> None:
    """Append one entry in its own locked step (for actions outside the write path)."""
    batch = AuditBatch(lock(session))
    batch.add(actor, action, target, detail)
    batch.flush(session)


def verify(session: so.Session) -> list[str]:
    """Check the whole chain; returns the problems found (empty when intact).

    Detects edited rows (hash mismatch), deleted or reordered rows (sequence or link
    breaks), and a truncated tail (last hash differs from the head's).
    """
    problems: list[str] = []
    prev, expected_seq, listed = GENESIS, 1, 0
    rows = session.execute(sa.select(AuditEntry).order_by(AuditEntry.seq)
                           .execution_options(yield_per=2000)).scalars()
    for row in rows:
        if row.seq != expected_seq:
            problems.append(f"entry {row.seq}: expected entry {expected_seq} (missing or reordered entries)")
        if row.prev_hash != prev:
            problems.append(f"entry {row.seq}: does not link to the entry before it")
        if entry_hash(row.prev_hash, row.seq, row.at, row.actor, row.action, row.target, row.detail) != row.hash:
            problems.append(f"entry {row.seq}: content does not match its hash (edited)")
        if row.action == "records.write":
            listed += len(row.detail.get("revisions", ()))
        prev, expected_seq = row.hash, row.seq + 1
        session.expunge(row)
    head = session.get(WriteHead, 1)
    if head is not None and (head.audit_hash != prev or head.audit_seq != expected_seq - 1):
        problems.append(f"the log ends at entry {expected_seq - 1} but {head.audit_seq} were written "
                        "(entries removed from the end)")
    return problems + _verify_revisions(session, listed)


def _verify_revisions(session: so.Session, listed: int) -> list[str]:
    """Every revision's document still hashes to its recorded hash, and the audit log
    names exactly as many revisions as the table holds (none added or removed by hand)."""
    problems: list[str] = []
    count = 0
    rows = session.execute(sa.select(Revision.uid, Revision.version, Revision.document,
                                     Revision.deleted, Revision.content_hash)
                           .execution_options(yield_per=2000))
    for uid, version, document, deleted, digest in rows:
        count += 1
        body = {**document, "deleted": True} if deleted else document
        if hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest() != digest:
            problems.append(f"revision {uid} v{version}: document does not match its hash (edited)")
    if count != listed:
        problems.append(f"the audit log names {listed} revisions but {count} are stored")
    return problems
