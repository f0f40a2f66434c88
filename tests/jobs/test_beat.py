"""Beat's schedule comes from the source files the embedded scheduler reads: one entry per
source on its cron expression (UTC, evaluated by croniter as ``hub scheduler`` does),
webhook passes on an interval, and edits picked up without a restart. No broker needed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hub import config
from hub.sync.jobs.beat import CronSchedule, SourceScheduler, beat_schedule
from hub.sync.jobs.factory import DELIVER_WEBHOOKS, SYNC_DUE, SYNC_SOURCE, make_app
from hub.sync.schedule import last_fire, next_fire
from hub.sync.sources import NIGHTLY, scan
from tests.sync.test_csv_sources import csv_source

UTC = timezone.utc
SCHEDULES = {
    "nightly": None,
    "quarter-hour": "*/15 * * * *",
    "quarterly": "0 0 1 */3 *",
    # day of month *or* Friday, as in cron (Celery's own crontab would need both)
    "either-day": "30 4 1,15 * 5",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def jobs_settings(tmp_path: Path) -> config.Settings:
    (tmp_path / "sources").mkdir()
    for name, schedule in SCHEDULES.items():
        extra = f'schedule = "{schedule}"' if schedule else ""
        (tmp_path / "sources" / f"{name}.toml").write_text(csv_source('path = "x.csv"', name=name, extra=extra))
    return config.load(
        {
            "database_url": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
            "secret_key": "s",
            "instance_path": str(tmp_path),
            "sources_dir": str(tmp_path / "sources"),
            "jobs": "celery",
            "celery_broker_url": "redis://127.0.0.1:9/0",
            "scheduler_tick": 20,
        }
    )


def test_one_entry_per_source_on_its_cron_and_webhooks_on_an_interval(jobs_settings: config.Settings) -> None:
    entries, errors = beat_schedule(jobs_settings)
    sources, _ = scan(jobs_settings.sources_dir)
    assert errors == [] and set(entries) == {f"sync:{n}" for n in SCHEDULES} | {"webhooks"}
    for name, source in sources.items():
        entry = entries[f"sync:{name}"]
        assert (entry["task"], entry["kwargs"]) == (SYNC_SOURCE, {"name": name, "scheduled": True})
        assert entry["schedule"] == CronSchedule(source.schedule)
    assert entries["sync:nightly"]["schedule"].expression == NIGHTLY
    assert entries["webhooks"]["task"] == DELIVER_WEBHOOKS
    assert entries["webhooks"]["schedule"] == timedelta(seconds=20)
    # a pass nobody took in time is dropped; nobody waits for what beat sends: no results kept
    assert entries["webhooks"]["options"] == {"expires": 20, "ignore_result": True}
    assert entries["sync:nightly"]["options"] == {"ignore_result": True}


@pytest.mark.parametrize("expression", [NIGHTLY, *filter(None, SCHEDULES.values())])
def test_beat_fires_when_the_embedded_scheduler_would(expression: str) -> None:
    moment = at("2026-03-10T02:31:00")
    for _ in range(12):
        fire = next_fire(expression, moment)
        before = CronSchedule(expression, nowfun=lambda t=fire: t - timedelta(seconds=1))
        due, wait = before.is_due(moment)
        assert not due and wait == pytest.approx(1)
        on_time = CronSchedule(expression, nowfun=lambda t=fire: t)
        due, wait = on_time.is_due(moment)
        assert due and wait == (next_fire(expression, fire) - fire).total_seconds()
        assert last_fire(expression, fire + timedelta(seconds=1)) == fire
        moment = fire


def test_fires_missed_while_beat_was_down_are_made_up_once() -> None:
    week_later = CronSchedule(NIGHTLY, nowfun=lambda: at("2026-03-17T12:00:00"))
    due, wait = week_later.is_due(at("2026-03-10T02:00:00"))
    assert due and wait == 14 * 3600  # then the next night, not six more runs now


def test_either_day_means_what_cron_means() -> None:
    friday_the_6th = CronSchedule("30 4 1,15 * 5").next_after(at("2026-03-02T00:00:00"))
    assert friday_the_6th == at("2026-03-06T04:30:00")


def test_beat_picks_up_edited_added_and_removed_sources(jobs_settings: config.Settings, tmp_path: Path) -> None:
    app = make_app(jobs_settings)
    beat = SourceScheduler(app=app, schedule_filename=str(tmp_path / "beat-schedule"), lazy=False)
    try:
        beat._next_sweep = float("inf")  # no broker here: do not send the catch-up sweep
        assert beat.schedule["sync:quarterly"].schedule == CronSchedule("0 0 1 */3 *")
        folder = Path(jobs_settings.sources_dir)
        (folder / "quarterly.toml").unlink()
        (folder / "nightly.toml").write_text(
            csv_source('path = "x.csv"', name="nightly", extra='schedule = "5 3 * * *"')
        )
        (folder / "broken.toml").write_text("[source]\nname = 'broken'\nschedule = 'nope'\n")
        beat._next_scan = 0
        beat.tick()
        assert "sync:quarterly" not in beat.schedule
        assert beat.schedule["sync:nightly"].schedule == CronSchedule("5 3 * * *")
        assert "sync:either-day" in beat.schedule and "webhooks" in beat.schedule
    finally:
        beat.close()
        app.close()


def test_a_send_the_broker_refuses_is_caught_up_at_the_next_tick(
    jobs_settings: config.Settings, tmp_path: Path
) -> None:
    """Celery moves an entry's last run forward before sending: a refused send must not
    leave a nightly source waiting for the next night."""
    app = make_app(jobs_settings)
    beat = SourceScheduler(app=app, schedule_filename=str(tmp_path / "beat-schedule"), lazy=False)
    sent: list[str] = []
    try:
        beat._next_sweep = float("inf")

        def refused(*args, **kwargs):  # type: ignore[no-untyped-def]
            raise ConnectionError("Redis is down")

        beat.apply_async = refused  # type: ignore[method-assign]
        beat.apply_entry(beat.schedule["sync:nightly"])
        beat.send_task = lambda name, **kw: sent.append(name)  # type: ignore[method-assign,assignment,return-value]
        beat._next_scan = float("inf")
        beat.tick()
        assert sent[0] == SYNC_DUE
        assert beat._next_sweep > 0  # and the next sweep is planned, not repeated every tick
    finally:
        beat.close()
        app.close()
