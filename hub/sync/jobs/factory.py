"""The Celery app of one hub, configured from its :class:`~hub.config.Settings`.

Choices, and why:

- ``worker_prefetch_multiplier = 1``: a sync run can last minutes; a worker process
  reserves one task at a time, so queued runs go to whichever worker is free.
- Late acknowledgement is chosen per task (``hub.sync.jobs.tasks``), not globally.
- ``visibility_timeout`` (setting ``celery_visibility_timeout``): with Redis, a task
  taken but not acknowledged (a worker killed, a machine lost) is handed out again
  after this time. It must exceed the longest run; if it does not, the second copy
  is refused by the source's lock.
- Times are UTC, like the cron expressions of the sources.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from celery import Celery

from ... import config
from ...services import Hub

SYNC_SOURCE = "hub.sync_source"
SYNC_DUE = "hub.sync_due"
DELIVER_WEBHOOKS = "hub.deliver_webhooks"


class HubCelery(Celery):
    """A Celery app that knows its hub settings and builds one :class:`Hub` per process
    (prefork workers fork after start-up: a database pool must not cross a fork)."""

    def __init__(self, settings: config.Settings, **kwargs: Any) -> None:
        super().__init__("hub", **kwargs)
        self.hub_settings = settings
        self._hub: tuple[int, Hub] | None = None

    @property
    def hub(self) -> Hub:
        pid = os.getpid()
        if self._hub is None or self._hub[0] != pid:
            if self._hub is not None and "engine" in vars(self._hub[1]):
                self._hub[1].engine.dispose(close=False)  # the parent's connections stay the parent's
            self._hub = (pid, Hub(self.hub_settings))
        return self._hub[1]


def make_app(settings: config.Settings) -> HubCelery:
    """A Celery app for these settings, with the hub's tasks registered."""
    if not settings.celery_broker_url:
        raise config.ConfigError(
            'celery_broker_url is not set (needed by jobs = "celery"; environment HUB_CELERY_BROKER_URL)'
        )
    app = HubCelery(
        settings,
        broker=settings.celery_broker_url,
        backend=settings.celery_result_backend or None,
        set_as_current=False,
    )
    app.conf.update(
        task_default_queue=settings.celery_queue,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": settings.celery_visibility_timeout},
        broker_connection_retry_on_startup=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1},
        timezone="UTC",
        enable_utc=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 86400,
        task_track_started=True,
        worker_send_task_events=True,
        task_send_sent_event=True,
        beat_scheduler="hub.sync.jobs.beat:SourceScheduler",
        beat_max_loop_interval=settings.scheduler_tick,
    )
    from .tasks import register

    register(app)
    return app


_default: HubCelery | None = None


def default_app() -> HubCelery:
    """The app of ``celery -A hub.sync.jobs``: from ``HUB_CONFIG`` and ``HUB_*``; a bad setting
    ends the command with one line, not a traceback."""
    global _default
    if _default is None:
        try:
            settings = config.load()
            if settings.jobs != "celery":
                raise config.ConfigError(
                    'jobs is "embedded": set jobs = "celery" (HUB_JOBS=celery) '
                    "and celery_broker_url to use Celery workers"
                )
            config.require_database(settings)
            _default = make_app(settings)
        except config.ConfigError as exc:
            sys.exit(f"Error: {exc}")
    return _default
