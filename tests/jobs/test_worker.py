"""Sync runs and webhook deliveries as Celery tasks: a real Redis, a real worker process
(``hub worker``), the same runner, lock, checkpoint and run history as embedded mode."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hub.actors import Actor
from hub.store import locks
from hub.store.db import transaction
from hub.store.syncruns import SyncRun
from hub.sync.jobs.factory import DELIVER_WEBHOOKS, SYNC_SOURCE
from hub.webhooks import subscriptions
from tests.conftest import product
from tests.jobs.conftest import HUB, Jobs, job_env, wait_for
from tests.sync.conftest import publish_on_write, stored
from tests.sync.fakes import FakeNational
from tests.sync.test_csv_sources import csv_source, rows
from tests.sync.test_webhooks import SECRET, Receiver

TIMEOUT = 30


def add_csv_source(jobs: Jobs, name: str, n: int = 5) -> None:
    (Path(jobs.settings.data_dir) / f"{name}.csv").write_text(rows(n))
    (Path(jobs.settings.sources_dir) / f"{name}.toml").write_text(csv_source(f'path = "{name}.csv"', name=name))


def add_slow_source(jobs: Jobs, fake: FakeNational, name: str, seconds: float) -> None:
    """A CSV at a URL whose server answers after ``seconds``: a run that lasts that long."""
    fake.files[f"{name}.csv"] = rows(3).encode()
    fake.delay = seconds
    (Path(jobs.settings.sources_dir) / f"{name}.toml").write_text(
        csv_source(f'url = "{fake.url}/files/{name}.csv"', name=name, extra="timeout = 20")
    )


def runs(jobs: Jobs, name: str) -> list[tuple[str, str, str]]:
    with jobs.hub.sessions() as s:
        return [
            tuple(r)
            for r in s.execute(
                sa.select(SyncRun.status, SyncRun.trigger, SyncRun.holder)
                .where(SyncRun.source == name)
                .order_by(SyncRun.id)
            )
        ]


@pytest.fixture
def fake() -> Any:
    server = FakeNational().start()
    yield server
    server.stop()


def test_a_source_run_as_a_task_writes_its_records_and_its_history(jobs: Jobs, clean_sources: Path) -> None:
    add_csv_source(jobs, "task-csv")
    out = jobs.send(SYNC_SOURCE, name="task-csv").get(timeout=TIMEOUT)
    assert out["status"] == "succeeded" and out["counts"]["created"] == 5
    assert sorted(stored(jobs.hub))[:2] == ["VN/products/f-0", "VN/products/f-1"]
    assert [r[:2] for r in runs(jobs, "task-csv")] == [("succeeded", "celery")]
    with jobs.hub.sessions() as session:
        run_id = session.scalar(sa.select(SyncRun.id).where(SyncRun.source == "task-csv"))
    wait_for(
        lambda: f"sync_run={run_id} sync_source=task-csv" in jobs.log.read_text(),
        TIMEOUT,  # type: ignore[union-attr]
        "the worker's log lines lack the run's context (hub logging in Celery)",
    )

    again = jobs.send(SYNC_SOURCE, name="task-csv", restart=True).get(timeout=TIMEOUT)
    assert again["counts"]["unchanged"] == 5 and again["counts"]["created"] == 0  # safe to repeat


def test_a_webhook_delivery_task_posts_signed_changes(jobs: Jobs) -> None:
    receiver = Receiver()  # answers 401 to a body whose X-Hub-Signature-256 does not verify
    try:
        publish_on_write(jobs.hub, "VN")
        with transaction(jobs.hub.sessions) as s:
            sub, _ = subscriptions.create(s, jobs.settings, "test", receiver.url, ["products"], ["VN"], SECRET)
            sub_id = sub.id
        jobs.hub.writes.write(Actor("client:vn", "VN"), "products", [product("w1")], source="api")
        assert jobs.send(DELIVER_WEBHOOKS).get(timeout=TIMEOUT) == {"delivered": 1}
        assert [status for _, status in receiver.attempts] == [204]
        assert [c["uid"] for c in receiver.bodies[0]["changes"]] == ["VN/products/pw1"]
        assert jobs.send(DELIVER_WEBHOOKS).get(timeout=TIMEOUT) == {}  # nothing new: nothing sent twice
    finally:
        receiver.stop()
        with transaction(jobs.hub.sessions) as s:
            subscriptions.remove(s, sub_id, "test", everyone=True)


def test_a_source_held_elsewhere_is_not_run(jobs: Jobs, clean_sources: Path) -> None:
    add_csv_source(jobs, "held")
    lock = locks.acquire(jobs.hub.sessions, "source:held", 60, holder="elsewhere:1:x")
    try:
        out = jobs.send(SYNC_SOURCE, name="held").get(timeout=TIMEOUT)
    finally:
        locks.release(jobs.hub.sessions, lock)
    assert out["status"] == "busy" and "held by elsewhere:1:x" in out["detail"]
    assert runs(jobs, "held") == []


def test_two_copies_of_one_task_at_once_run_the_source_once(
    jobs: Jobs, clean_sources: Path, fake: FakeNational
) -> None:
    add_slow_source(jobs, fake, "twice", 1.5)
    first, second = jobs.send(SYNC_SOURCE, name="twice"), jobs.send(SYNC_SOURCE, name="twice")
    outcomes = sorted(r.get(timeout=TIMEOUT)["status"] for r in (first, second))
    assert outcomes == ["busy", "succeeded"]
    assert [r[0] for r in runs(jobs, "twice")] == ["succeeded"]
    assert len(fake.requests("/files/twice.csv")) == 1


def test_a_run_whose_worker_process_dies_is_run_again(jobs: Jobs, clean_sources: Path, fake: FakeNational) -> None:
    add_slow_source(jobs, fake, "killed", 2.0)
    result = jobs.send(SYNC_SOURCE, name="killed")
    holder = wait_for(lambda: [r[2] for r in runs(jobs, "killed") if r[0] == "running"], TIMEOUT, "no run started")[0]
    os.kill(int(holder.split(":")[1]), signal.SIGKILL)  # the pool process running the task, mid-request
    fake.delay = 0
    wait_for(
        lambda: [r[0] for r in runs(jobs, "killed")] == ["abandoned", "succeeded"],
        TIMEOUT,
        f"the run was not taken up again: {runs(jobs, 'killed')}",
    )
    out = result.get(timeout=TIMEOUT)  # the same task, taken up again by another process
    assert out["status"] == "succeeded" and out["counts"]["fetched"] == 3


def test_beat_at_start_queues_the_sources_that_are_due(jobs: Jobs, clean_sources: Path) -> None:
    add_csv_source(jobs, "never-ran")
    beat = subprocess.Popen(
        [HUB, "beat"], env=job_env(jobs.settings), cwd=jobs.root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: runs(jobs, "never-ran"), TIMEOUT, "beat did not queue the due source")
        wait_for(lambda: runs(jobs, "never-ran")[0][0] == "succeeded", TIMEOUT, "the run did not finish")
    finally:
        beat.terminate()
        beat.wait(10)
    assert [r[:2] for r in runs(jobs, "never-ran")] == [("succeeded", "celery-beat")]
