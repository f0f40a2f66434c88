"""Celery beat's schedule, derived from the source files ``hub scheduler`` reads.

One entry per source, ``sync:NAME``, on the source's ``schedule`` (cron, UTC), sending
``hub.sync_source`` with ``scheduled=True`` (the worker checks under the lock that the
source is still due, so a duplicate send runs nothing); and ``webhooks``, a delivery pass
every ``scheduler_tick`` seconds. Nobody waits for the results of what beat sends (the
run history is in the database), so none is stored: a webhook pass every 15 s would
otherwise fill the result backend.

Cron expressions are evaluated by croniter, as in embedded mode, not by Celery's
``crontab``, which differs (with both day-of-month and day-of-week restricted, cron
fires on either, Celery's crontab only on days matching both).

:class:`SourceScheduler` reads the source files again every ``scheduler_tick`` seconds,
so an added, removed or re-scheduled source applies without restarting beat, and at
start it sends one ``hub.sync_due``: sources that never ran, or whose schedule fired
while nothing was running, run once, as with the embedded scheduler.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from celery.beat import PersistentScheduler
from celery.schedules import BaseSchedule, schedstate
from croniter import croniter

from ...config import Settings
from ..sources import scan
from .factory import DELIVER_WEBHOOKS, SYNC_DUE, SYNC_SOURCE

log = logging.getLogger("hub.beat")


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


class CronSchedule(BaseSchedule):
    """A cron expression in UTC, evaluated by croniter."""

    def __init__(self, expression: str, nowfun: Callable[[], datetime] | None = None, app: Any = None) -> None:
        super().__init__(nowfun=nowfun, app=app)
        self.expression = expression

    def now(self) -> datetime:
        return _utc(self.nowfun()) if self.nowfun else datetime.now(timezone.utc)

    def next_after(self, at: datetime) -> datetime:
        return croniter(self.expression, _utc(at)).get_next(datetime)

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        return self.next_after(last_run_at) - self.now()

    def is_due(self, last_run_at: datetime) -> schedstate:
        """Due when the expression fired since ``last_run_at``; several missed fires run once."""
        now = self.now()
        if self.next_after(last_run_at) <= now:
            return schedstate(True, (self.next_after(now) - now).total_seconds())
        return schedstate(False, (self.next_after(last_run_at) - now).total_seconds())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CronSchedule) and other.expression == self.expression

    def __hash__(self) -> int:
        return hash(self.expression)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return self.__class__, (self.expression,)

    def __repr__(self) -> str:
        return f"<cron {self.expression} UTC>"


def beat_schedule(settings: Settings) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Beat entries for the sources in ``sources_dir`` and the webhook passes; and one
    message per source file that cannot be used (that source is left out)."""
    found, errors = scan(settings.sources_dir)
    entries: dict[str, dict[str, Any]] = {
        f"sync:{name}": {
            "task": SYNC_SOURCE,
            "schedule": CronSchedule(source.schedule),
            "kwargs": {"name": name, "scheduled": True},
            "options": {"ignore_result": True},
        }
        for name, source in found.items()
    }
    entries["webhooks"] = {
        "task": DELIVER_WEBHOOKS,
        "schedule": timedelta(seconds=settings.scheduler_tick),
        "options": {"expires": settings.scheduler_tick, "ignore_result": True},
    }
    return entries, errors


def _shape(entries: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: repr(e["schedule"]) for name, e in entries.items()}


SWEEP_TICKS = 20  # a catch-up sweep every 20 ticks: 5 minutes at the default 15 s


class SourceScheduler(PersistentScheduler):
    """Beat's scheduler for the hub: the entries of :func:`beat_schedule`, kept current."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._shape: dict[str, str] = {}
        self._reported: set[str] = set()
        self._next_scan = 0.0
        self._next_sweep = 0.0  # monotonic time of the next catch-up sweep (0: at once)
        super().__init__(*args, **kwargs)

    @property
    def settings(self) -> Settings:
        return self.app.hub_settings

    def setup_schedule(self) -> None:
        self.app.conf.beat_schedule = self._scan()
        super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if time.monotonic() >= self._next_sweep:
            self._sweep()
        if time.monotonic() >= self._next_scan:
            before = dict(self._shape)
            entries = self._scan()
            if self._shape != before:
                log.info(
                    "beat: sources changed, schedule now: %s",
                    ", ".join(f"{k} {v}" for k, v in sorted(self._shape.items())),
                )
                self.merge_inplace(entries)
                self.install_default_entries(self.schedule)
                self._heap = None
        return float(super().tick(*args, **kwargs))

    def apply_entry(self, entry: Any, producer: Any = None) -> None:
        """Send one due entry; when the broker refuses, sweep at the next tick.

        Celery has already moved the entry's last run forward, so without the sweep a
        nightly source whose send met a Redis outage would wait for the next night.
        """
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:  # noqa: BLE001 - Celery's own apply_entry only logs too
            log.error("beat: could not send %s: %s (a catch-up sweep follows)", entry.name, exc)
            self._next_sweep = 0.0

    def _sweep(self) -> None:
        """Send ``hub.sync_due``: every source due by its run history runs once.

        At start (runs missed while beat was down), after a failed send, and every
        ``SWEEP_TICKS`` ticks (runs whose task expired or was lost with Redis' data). The
        task is idempotent, and expires before the next sweep so none pile up.
        """
        every = self.settings.scheduler_tick * SWEEP_TICKS
        try:
            self.send_task(SYNC_DUE, expires=every, ignore_result=True)
            self._next_sweep = time.monotonic() + every
            log.info("beat: sent %s (sources due by their run history run once now)", SYNC_DUE)
        except Exception as exc:  # noqa: BLE001 - the broker may be back at the next tick
            self._next_sweep = time.monotonic() + self.settings.scheduler_tick
            log.error("beat: could not send %s: %s", SYNC_DUE, exc)

    def _scan(self) -> dict[str, dict[str, Any]]:
        entries, errors = beat_schedule(self.settings)
        for message in set(errors) - self._reported:
            log.error("beat: %s", message)
        self._reported = set(errors)
        self._shape = _shape(entries)
        self._next_scan = time.monotonic() + self.settings.scheduler_tick
        return entries
