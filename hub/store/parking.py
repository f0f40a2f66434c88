"""Parked sources: a source whose runs keep dying is not re-run for ever.

A run whose process dies (a Celery worker killed by the kernel's OOM killer, a crash in
a C extension) stays ``running`` until the next run of the source marks it
``abandoned`` and resumes at its checkpoint. Celery re-queues the killed task
(``reject_on_worker_lost``), so a source that kills every worker that runs it would be
re-queued for ever. After ``sync_abandoned_max`` abandoned runs in a row the source
is *parked*: each further attempt is refused (recorded as a ``parked`` run, so the
refusal shows in the run history, ``hub sync status``, ``/metrics`` and the console's
dashboard) until an operator runs ``hub sync release SOURCE`` (recorded as a
``released`` run and in the audit log).

The state lives in the run history itself: no table to keep in step with it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from . import audit, locks
from .models import utcnow
from .syncruns import SyncRun

ABANDONED, PARKED, RELEASED = "abandoned", "parked", "released"


class Parked(locks.Busy):
    """The source is parked: not run until released (callers treat it as not run)."""


def abandoned_in_a_row(session: so.Session, source: str) -> int:
    """Abandoned runs since the source last finished a run (or was released); the
    refusals of a parked source do not break the row."""
    mine = sa.and_(SyncRun.source == source, SyncRun.dry_run.is_(False))
    since = (
        session.scalar(
            sa.select(sa.func.max(SyncRun.id)).where(mine, SyncRun.status.not_in((ABANDONED, PARKED, "running")))
        )
        or 0
    )
    return (
        session.scalar(
            sa.select(sa.func.count()).select_from(SyncRun).where(mine, SyncRun.status == ABANDONED, SyncRun.id > since)
        )
        or 0
    )


def is_parked(session: so.Session, source: str, limit: int) -> bool:
    return limit > 0 and abandoned_in_a_row(session, source) >= limit


def state(session: so.Session, source: str, limit: int) -> dict[str, Any]:
    n = abandoned_in_a_row(session, source)
    return {"parked": limit > 0 and n >= limit, "abandoned_in_a_row": n}


def refuse(session: so.Session, source: str, trigger: str, limit: int) -> str:
    """Record a refused attempt (in the caller's transaction); returns the reason."""
    reason = (
        f"parked after {limit} abandoned runs in a row (each killed its runner); "
        f"not run until released: hub sync release {source}"
    )
    now = utcnow()
    session.add(
        SyncRun(
            source=source,
            trigger=trigger,
            dry_run=False,
            status=PARKED,
            holder="",
            started_at=now,
            finished_at=now,
            report={},
            retries=0,
            error=reason,
        )
    )
    return reason


def release(session: so.Session, source: str, by: str, limit: int) -> bool:
    """Release a parked source (False when it is not parked); audited."""
    if not is_parked(session, source, limit):
        return False
    now = utcnow()
    session.add(
        SyncRun(
            source=source,
            trigger="release",
            dry_run=False,
            status=RELEASED,
            holder="",
            started_at=now,
            finished_at=now,
            report={},
            retries=0,
            error=f"released by {by}; the next run resumes at the last checkpoint",
        )
    )
    audit.record(session, by, "sync.release", f"source:{source}", {"source": source})
    return True


def parked_sources(session: so.Session, limit: int) -> list[str]:
    """Every parked source (for /metrics and the console)."""
    if limit <= 0:
        return []
    names = session.scalars(sa.select(SyncRun.source).where(SyncRun.status == ABANDONED).distinct())
    return sorted(n for n in names if is_parked(session, n, limit))
