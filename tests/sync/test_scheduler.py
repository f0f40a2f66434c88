"""The scheduler: cron schedules (nightly by default), made-up missed runs, never two
copies of one job, webhook deliveries; and the locks that guarantee it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.cli import cli
from hub.store import locks
from hub.store.syncruns import SyncRun
from hub.sync.runner import Runner
from hub.sync.schedule import Scheduler, is_due, last_fire, next_fire
from hub.sync.sources import NIGHTLY
from tests.sync.conftest import add_source, run, stored
from tests.sync.test_csv_sources import csv_source, rows

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def files_source(shub, name: str = "files", schedule: str | None = None):  # type: ignore[no-untyped-def]
    (Path(shub.settings.data_dir) / f"{name}.csv").write_text(rows(5))
    extra = f'schedule = "{schedule}"' if schedule else ""
    return add_source(shub, csv_source(f'path = "{name}.csv"', name=name, extra=extra), name)


def test_cron_arithmetic_and_the_nightly_default() -> None:
    assert NIGHTLY == "0 2 * * *"
    assert last_fire(NIGHTLY, at("2026-03-10T01:00:00")) == at("2026-03-09T02:00:00")
    assert last_fire(NIGHTLY, at("2026-03-10T02:30:00")) == at("2026-03-10T02:00:00")
    assert next_fire("*/15 * * * *", at("2026-03-10T02:31:00")) == at("2026-03-10T02:45:00")


def test_a_source_is_due_when_its_schedule_fired_since_its_last_run(shub) -> None:  # type: ignore[no-untyped-def]
    src = files_source(shub)
    assert src.schedule == NIGHTLY
    now = datetime.now(UTC)
    assert is_due(shub, src, now)  # never run: due at once
    assert run(shub, src, trigger="scheduler").ok
    assert not is_due(shub, src, now + timedelta(minutes=1))
    assert is_due(shub, src, now + timedelta(days=1, minutes=1))  # the next night
    assert is_due(shub, src, now + timedelta(days=5))  # several missed nights: one run makes them up


def test_hub_scheduler_once_runs_what_is_due_and_only_that(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files_source(shub, "nightly")
    files_source(shub, "quarterly", "0 0 1 */3 *")
    s = shub.settings
    for key, value in {
        "DATABASE_URL": s.database_url,
        "INSTANCE_PATH": s.instance_path,
        "SECRET_KEY": s.secret_key,
        "SOURCES_DIR": s.sources_dir,
        "DATA_DIR": s.data_dir,
    }.items():
        monkeypatch.setenv(f"HUB_{key}", value)
    first = CliRunner().invoke(cli, ["scheduler", "--once"])
    assert first.exit_code == 0, first.output
    assert "nightly: succeeded" in first.output and "quarterly: succeeded" in first.output
    assert "sources run: 2; webhooks: nothing due" in first.output
    second = CliRunner().invoke(cli, ["scheduler", "--once"])
    assert second.exit_code == 0 and "sources run: 0" in second.output
    with shub.sessions() as session:
        assert session.scalars(sa.select(SyncRun.trigger)).all() == ["scheduler", "scheduler"]


def test_never_two_copies_of_one_job(shub) -> None:  # type: ignore[no-untyped-def]
    src = files_source(shub)
    held = locks.acquire(shub.sessions, "source:files", 60, holder="elsewhere:1:x")
    assert Scheduler(shub).run_due() == []  # held by another machine: skipped
    with pytest.raises(locks.Busy, match="source:files is held by elsewhere:1:x until"):
        Runner(shub, src).run()
    locks.release(shub.sessions, held)

    # Two schedulers saw the source due at the same moment: the second one to get the
    # lock finds it no longer due (the first has run it) and does not run it again.
    now = datetime.now(UTC)
    first, second = Scheduler(shub, clock=lambda: now), Scheduler(shub, clock=lambda: now)
    assert len(first.run_due()) == 1
    assert Runner(shub, src, precheck=lambda: is_due(shub, src, now)).run() is None
    assert second.run_due() == []
    with shub.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SyncRun)) == 1


def test_concurrent_runs_of_one_source_one_wins(shub) -> None:  # type: ignore[no-untyped-def]
    src = files_source(shub)
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            result = Runner(shub, src).run()
            outcomes.append(result.status if result else "none")
        except locks.Busy:
            outcomes.append("busy")

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("succeeded") >= 1 and set(outcomes) <= {"succeeded", "busy"}
    assert len(stored(shub)) == 5 and {v for v, _, _ in stored(shub).values()} == {1}


def test_a_lock_expires_and_a_dead_holder_frees_it_at_once(shub) -> None:  # type: ignore[no-untyped-def]
    locks.acquire(shub.sessions, "job", 60, holder="elsewhere:1:x")
    with pytest.raises(locks.Busy):
        locks.acquire(shub.sessions, "job", 60)
    locks.acquire(shub.sessions, "job2", -1, holder="elsewhere:1:x")  # already expired
    assert locks.acquire(shub.sessions, "job2", 60).holder.startswith(locks.HOST)
    import subprocess
    import sys

    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    locks.acquire(shub.sessions, "job3", 3600, holder=f"{locks.HOST}:{gone}:dead")
    assert locks.acquire(shub.sessions, "job3", 60)  # that process has ended


def test_a_runner_that_lost_its_lock_stops_before_writing(shub, fake) -> None:  # type: ignore[no-untyped-def]
    from tests.sync.fakes import api_item, json_source

    fake.items = [api_item(i) for i in range(30)]
    src = add_source(shub, json_source("api", fake.url + "/products"), "api")
    original = Runner._page
    calls = {"n": 0}

    def steal_after_first(self, page):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:  # the lock expired meanwhile and another runner took it
            with shub.sessions.begin() as session:
                session.execute(sa.update(locks.SourceLock).values(holder="elsewhere:2:y"))
        original(self, page)

    Runner._page = steal_after_first  # type: ignore[method-assign]
    try:
        result = run(shub, src)
    finally:
        Runner._page = original  # type: ignore[method-assign]
    assert result.status == "failed"
    assert result.error == "source:api: the lock expired and another runner took it over"
    assert len(stored(shub)) == 10  # the second page was rolled back with its checkpoint
