"""Storage of the sync engine: runs, checkpoints, quarantine, locks.

Every table here is bookkeeping *about* records; records themselves are only ever
written by the write path (:mod:`hub.writepath`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import Base, JSONDoc

BigInt = sa.BigInteger().with_variant(sa.Integer, "sqlite")


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

    __table_args__ = (sa.Index("ix_sync_quarantine_source", "source", "resolved_at", "id"),
                      sa.Index("ix_sync_quarantine_uid", "source", "uid"))


class SourceLock(Base):
    """One runner per source (and per webhook subscription): a row with an expiry time."""

    __tablename__ = "sync_locks"
    name: so.Mapped[str] = so.mapped_column(sa.String(120), primary_key=True)
    holder: so.Mapped[str] = so.mapped_column(sa.String(200))
    acquired_at: so.Mapped[datetime]
    expires_at: so.Mapped[datetime]


class SourceItem(Base):
    """A record a full-snapshot source delivered, and in which pass it last did.

    Delete detection compares passes: a record of the source that the latest complete
    pass did not deliver is gone at the source.
    """

    __tablename__ = "sync_items"
    source: so.Mapped[str] = so.mapped_column(sa.String(100), primary_key=True)
    uid: so.Mapped[str] = so.mapped_column(sa.String(160), primary_key=True)
    generation: so.Mapped[int]
