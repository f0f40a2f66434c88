"""The hub's Celery tasks: thin wrappers around :mod:`hub.sync.jobs.work`.

Acknowledgement, per task:

- ``hub.sync_source`` is acknowledged *late* and rejected (re-queued) when its worker
  process dies: a run killed mid-way is handed to another worker, which takes the dead
  holder's lock (at once on the same machine, after ``sync_lock_ttl`` elsewhere) and
  resumes at the last committed page. Running it twice is harmless (the lock, the
  checkpoint and the write path's content hash make it idempotent), losing it is not.
- ``hub.deliver_webhooks`` and ``hub.sync_due`` are acknowledged early and expire:
  beat sends another pass within seconds, and delivery state lives in the database,
  so re-running a stale pass would only add load.

A lost database connection (a restart, a fail-over) retries the task with backoff;
a failed run is recorded in the run history and reported as a failure, not retried:
the next scheduled run resumes at its checkpoint.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy.exc
from celery import Task

from . import work
from .factory import DELIVER_WEBHOOKS, SYNC_DUE, SYNC_SOURCE, HubCelery

RETRY = {
    "autoretry_for": (sqlalchemy.exc.OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "max_retries": 5,
}


def register(app: HubCelery) -> None:
    """Define the tasks on ``app`` (one app per settings: tests make several)."""

    @app.task(
        name=SYNC_SOURCE, bind=True, acks_late=True, reject_on_worker_lost=True, throws=(work.JobFailed,), **RETRY
    )
    def sync_source(self: Task, name: str, scheduled: bool = False, restart: bool = False) -> dict[str, Any]:
        return work.run_source(app.hub, name, scheduled=scheduled, restart=restart)

    @app.task(name=SYNC_DUE, bind=True, **RETRY)
    def sync_due(self: Task) -> list[str]:
        """Queue a scheduled run of every source due by its history (beat sends this at start)."""
        names = work.due_sources(app.hub)
        for name in names:
            sync_source.apply_async(kwargs={"name": name, "scheduled": True}, ignore_result=True)
        return names

    @app.task(name=DELIVER_WEBHOOKS, bind=True, **RETRY)
    def deliver_webhooks(self: Task) -> dict[str, int]:
        return work.deliver_webhooks(app.hub)
