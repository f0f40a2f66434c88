"""Read side of the sync engine: run history, quarantine, per-source status.

Used by ``hub sync status`` and by ``GET /api/v1/sync/runs`` and ``.../quarantine``.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..representation import rfc3339
from . import locks, parking
from .models import Checkpoint, Quarantine, SyncRun
from .runner import COUNTS


def runs(session: so.Session, source: str | None = None, status: str | None = None, limit: int = 50,
         before: int | None = None) -> tuple[list[SyncRun], int | None]:
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


def run_dict(run: SyncRun) -> dict[str, Any]:
    return {"id": run.id, "source": run.source, "trigger": run.trigger, "dry_run": run.dry_run,
            "status": run.status, "started_at": rfc3339(run.started_at),
            "finished_at": rfc3339(run.finished_at), "counts": {k: getattr(run, k) for k in COUNTS},
            "retries": run.retries, "error": run.error, "report": run.report or {}}


def quarantine(session: so.Session, source: str | None = None, state: str = "open", limit: int = 50,
               before: int | None = None) -> tuple[list[Quarantine], int | None]:
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


def quarantine_dict(q: Quarantine) -> dict[str, Any]:
    return {"id": q.id, "source": q.source, "run": q.run_id, "locator": q.locator, "uid": q.uid,
            "status": q.status, "errors": q.errors, "payload": q.payload, "created_at": rfc3339(q.created_at),
            "resolved_at": rfc3339(q.resolved_at), "resolution": q.resolution}


def status(session: so.Session, name: str, abandoned_max: int = 0) -> dict[str, Any]:
    """One source's state: last run, open quarantine, checkpoint, who runs it now, and
    whether it is parked (:mod:`hub.sync.parking`; with the ``sync_abandoned_max`` setting)."""
    last = session.scalar(sa.select(SyncRun).where(SyncRun.source == name, SyncRun.dry_run.is_(False))
                          .order_by(SyncRun.id.desc()).limit(1))
    open_count = open_quarantine(session, name)
    point = session.get(Checkpoint, name)
    holder = locks.holder_of(session, f"source:{name}")
    return {"last_run": run_dict(last) if last else None, "quarantined": open_count,
            "checkpoint": point.state if point else None,
            "checkpoint_at": rfc3339(point.updated_at) if point else None,
            "running": holder.holder if holder else None, **parking.state(session, name, abandoned_max)}


def open_quarantine(session: so.Session, name: str) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Quarantine).where(
        Quarantine.source == name, Quarantine.resolved_at.is_(None))) or 0


def parked(session: so.Session, abandoned_max: int) -> list[str]:
    """Sources parked after ``abandoned_max`` abandoned runs in a row (for the console)."""
    return parking.parked_sources(session, abandoned_max)
