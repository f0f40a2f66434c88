"""``hub scheduler``: each source on its cron schedule, and webhook deliveries.

A source is due when its schedule (cron, UTC; nightly ``0 2 * * *`` by default) fired
since its last run started, so a run missed while the scheduler was down is made up
once, not once per missed night, and a source that never ran runs at the first tick.
Before a due source runs, the scheduler takes the source's lock and checks again that it
is still due: two schedulers (or a scheduler and an operator's ``hub sync run``) never
run one source twice, nor at the same time. Webhook deliveries run on their own thread,
so a long nightly run does not hold them up; each subscription is locked the same way.

The source files are read again at every tick: an edited schedule applies without a
restart, and a broken file is reported (once per change) without stopping the others.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import partial
from typing import Callable

import sqlalchemy as sa
from croniter import croniter

from ..services import Hub
from ..store import locks
from ..store.models import utcnow
from ..store.syncruns import SyncRun
from .runner import Runner, RunResult
from .sources import Source, scan
from .webhooks import Deliverer

log = logging.getLogger("hub.scheduler")


def last_fire(schedule: str, now: datetime) -> datetime:
    """The latest time before ``now`` when the schedule fired."""
    return croniter(schedule, now).get_prev(datetime)


def next_fire(schedule: str, now: datetime) -> datetime:
    return croniter(schedule, now).get_next(datetime)


def is_due(hub: Hub, source: Source, now: datetime) -> bool:
    with hub.sessions() as session:
        started = session.scalar(
            sa.select(sa.func.max(SyncRun.started_at)).where(SyncRun.source == source.name, SyncRun.dry_run.is_(False))
        )
    return started is None or locks.aware(started) < last_fire(source.schedule, now)


class Scheduler:
    def __init__(
        self,
        hub: Hub,
        *,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
        deliverer: Deliverer | None = None,
    ) -> None:
        self.hub, self.clock = hub, clock
        self.stop = stop or threading.Event()
        self.deliverer = deliverer or Deliverer(hub)
        self.reported: set[str] = set()

    def sources(self) -> dict[str, Source]:
        found, errors = scan(self.hub.settings.sources_dir)
        for message in errors:
            if message not in self.reported:
                log.error("%s", message)
        self.reported = set(errors)
        return found

    def run_due(self) -> list[RunResult]:
        """Run every due source once (one after the other); returns what ran."""
        results = []
        for source in self.sources().values():
            if self.stop.is_set():
                break
            now = self.clock()
            if not is_due(self.hub, source, now):
                continue
            runner = Runner(
                self.hub, source, trigger="scheduler", stop=self.stop, precheck=partial(is_due, self.hub, source, now)
            )
            try:
                result = runner.run()
            except locks.Busy as exc:
                log.info("%s: skipped, %s", source.name, exc)
                continue
            if result is not None:
                (log.info if result.ok else log.error)("%s", result.summary())
                results.append(result)
        return results

    def deliver(self) -> dict[str, int]:
        return dict(self.deliverer.run())

    def once(self) -> tuple[list[RunResult], dict[str, int]]:
        """One tick of each job (``hub scheduler --once``)."""
        return self.run_due(), self.deliver()

    def serve(self, tick: float) -> None:
        """Run until :attr:`stop` is set: sources and webhooks on a thread each."""

        def loop(job: Callable[[], object], name: str) -> None:
            while not self.stop.is_set():
                try:
                    job()
                except Exception:  # noqa: BLE001 - one failing tick must not end the scheduler
                    log.exception("scheduler: %s tick failed", name)
                self.stop.wait(tick)

        threads = [
            threading.Thread(target=loop, args=(self.run_due, "sources"), name="sync", daemon=True),
            threading.Thread(target=loop, args=(self.deliver, "webhooks"), name="webhooks", daemon=True),
        ]
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.5)
        self.deliverer.close()
