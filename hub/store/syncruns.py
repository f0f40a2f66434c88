"""Sync runs as stored state: runs and their counters, checkpoints, quarantine, the records
each snapshot source delivered, and their reads.

The sync engine writes these rows; ``hub sync status``, ``GET /api/v1/sync/runs`` and
``.../quarantine``, the console's dashboard and ``/metrics`` read them, without importing
the engine. Every table here is bookkeeping *about* records; records themselves are only
ever written by the write path (:mod:`hub.records.writepath`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from . import locks
from .db import chunks
from .models import Base, BigInt, JSONDoc

#: a run's counters, in the order they are shown
COUNTS = ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "skipped", "stale")
#: a run's states: running, then succeeded or failed, or abandoned (its runner died; a later run resumed)
RUN_STATES = ("running", "succeeded", "failed", "abandoned")


class SyncRun(Base):
    """One run of a source: what it fetched and did, and why it failed if it did."""

    __tablename__ = "sync_runs"
    id: so.Mapped[int] = so.mapped_column(BigInt, primary_key=True, autoincrement=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(100))
    trigger: so.Mapped[str] = so.mapped_column(sa.String(20))
    dry_run: so.Mapped[bool] = so.mapped_column(default=False)
    #: running, succeeded, failed, abandoned (its runner died; a later run resumed)
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    holder: so.Mapped[str] = so.mapped_column(sa.String(200))
    started_at: so.Mapped[datetime]
    finished_at: so.Mapped[datetime | None]
    fetched: so.Mapped[int] = so.mapped_column(default=0)
    created: so.Mapped[int] = so.mapped_column(default=0)
    updated: so.Mapped[int] = so.mapped_column(default=0)
    unchanged: so.Mapped[int] = so.mapped_column(default=0)
    invalid: so.Mapped[int] = so.mapped_column(default=0)
    deleted: so.Mapped[int] = so.mapped_column(default=0)
    skipped: so.Mapped[int] = so.mapped_column(default=0)
    stale: so.Mapped[int] = so.mapped_column(default=0)
    retries: so.Mapped[int] = so.mapped_column(default=0)
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    #: notes (resumed, not modified), the delete report, warnings by code
    report: so.Mapped[dict[str, Any]]

    __table_args__ = (sa.Index("ix_sync_runs_source", "source", "id"),)


class Checkpoint(Base):
    """Where a source's next run continues: committed with every page it wrote."""

    __tablename__ = "sync_checkpoints"
    source: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)
    state: so.Mapped[dict[str, Any]]
    run_id: so.Mapped[int | None] = so.mapped_column(BigInt)
    updated_at: so.Mapped[datetime]


class Quarantine(Base):
    """A record a run could not accept, with its raw payload and the reasons."""

    __tablename__ = "sync_quarantine"
    id: so.Mapped[int] = so.mapped_column(BigInt, primary_key=True, autoincrement=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(100))
    run_id: so.Mapped[int] = so.mapped_column(BigInt, sa.ForeignKey("sync_runs.id"))
    #: where in the source: "line 31", "page 3 item 4", "change 1207"
    locator: so.Mapped[str] = so.mapped_column(sa.String(200))
    uid: so.Mapped[str | None] = so.mapped_column(sa.String(160))
    status: so.Mapped[str] = so.mapped_column(sa.String(12))  # mapping, invalid, forbidden
    payload: so.Mapped[Any] = so.mapped_column(JSONDoc)
    errors: so.Mapped[list[Any]]
    created_at: so.Mapped[datetime]
    #: set when a later run wrote the record, or a later full pass no longer had the row
    resolved_at: so.Mapped[datetime | None]
    resolution: so.Mapped[str | None] = so.mapped_column(sa.String(20))

    __table_args__ = (
        sa.Index("ix_sync_quarantine_source", "source", "resolved_at", "id"),
        sa.Index("ix_sync_quarantine_uid", "source", "uid"),
    )


class SourceItem(Base):
    """A record a full-snapshot source delivered, and in which pass it last did.

    Delete detection compares passes: a record of the source that the latest complete
    pass did not deliver is gone at the source.
    """

    __tablename__ = "sync_items"
    source: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)
    uid: so.Mapped[str] = so.mapped_column(sa.String(160), primary_key=True)
    generation: so.Mapped[int]


# -- writes by the sync engine ----------------------------------------------------------------


def add_counts(session: so.Session, run_id: int, delta: Mapping[str, int]) -> None:
    """Add to a run's counters, inside the transaction that did the counted work."""
    values = {k: getattr(SyncRun, k) + v for k, v in delta.items() if k in COUNTS and v}
    if values:
        session.execute(sa.update(SyncRun).where(SyncRun.id == run_id).values(**values))


def mark_seen(session: so.Session, source: str, uids: list[str], generation: int) -> None:
    """Upsert ``(source, uid) -> generation`` (portable: update, then insert the rest)."""
    for chunk in chunks(uids):
        session.execute(
            sa.update(SourceItem)
            .where(SourceItem.source == source, SourceItem.uid.in_(chunk))
            .values(generation=generation)
        )
        present = set(
            session.scalars(sa.select(SourceItem.uid).where(SourceItem.source == source, SourceItem.uid.in_(chunk)))
        )
        new = [{"source": source, "uid": u, "generation": generation} for u in chunk if u not in present]
        if new:
            session.execute(sa.insert(SourceItem), new)


# -- reads ----------------------------------------------------------------------------------


def runs(
    session: so.Session,
    source: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: int | None = None,
) -> tuple[list[SyncRun], int | None]:
    """Runs, newest first; returns the id to continue before."""
    q = sa.select(SyncRun)
    if source:
        q = q.where(SyncRun.source == source)
    if status:
        q = q.where(SyncRun.status == status)
    if before is not None:
        q = q.where(SyncRun.id < before)
    rows = list(session.scalars(q.order_by(SyncRun.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def quarantine(
    session: so.Session, source: str | None = None, state: str = "open", limit: int = 50, before: int | None = None
) -> tuple[list[Quarantine], int | None]:
    """Quarantined records (``open``, ``resolved`` or ``all``), newest first."""
    q = sa.select(Quarantine)
    if source:
        q = q.where(Quarantine.source == source)
    if state == "open":
        q = q.where(Quarantine.resolved_at.is_(None))
    elif state == "resolved":
        q = q.where(Quarantine.resolved_at.is_not(None))
    if before is not None:
        q = q.where(Quarantine.id < before)
    rows = list(session.scalars(q.order_by(Quarantine.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def status(session: so.Session, name: str) -> dict[str, Any]:
    """One source's state: last run (a :class:`SyncRun`, shown by :class:`hub.shapes.Run`),
    open quarantine, checkpoint (and when it was written), who runs it now."""
    last = session.scalar(
        sa.select(SyncRun)
        .where(SyncRun.source == name, SyncRun.dry_run.is_(False))
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    open_count = open_quarantine(session, name)
    point = session.get(Checkpoint, name)
    holder = locks.holder_of(session, f"source:{name}")
    return {
        "last_run": last,
        "quarantined": open_count,
        "checkpoint": point.state if point else None,
        "checkpoint_at": point.updated_at if point else None,
        "running": holder.holder if holder else None,
    }


def open_quarantine(session: so.Session, name: str) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Quarantine)
            .where(Quarantine.source == name, Quarantine.resolved_at.is_(None))
        )
        or 0
    )
