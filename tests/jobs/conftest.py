"""A real Redis and a real Celery worker for the job tests (loopback only).

Redis: the ``redis_url`` fixture of tests/services.py. Redis may be shared: every module
sends to its own queue name and forgets its results; nothing is flushed.

One worker per module (``hub worker``, prefork, 2 processes) serves one hub database
(``tests.databases``: SQLite, or PostgreSQL with ``HUB_TEST_DATABASE_URL``); the
databases are dropped when the module ends (tests/conftest.py), not after each test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

from hub import config
from hub.services import Hub
from tests import databases
from tests.conftest import LOOPBACK_WEBHOOKS
from tests.services import wait_for
from tests.sync.conftest import FAST

HUB = str(Path(sys.executable).parent / "hub")


def job_env(settings: config.Settings) -> dict[str, str]:
    """The environment that gives a ``hub`` subprocess these settings."""
    keys = (
        "database_url",
        "secret_key",
        "instance_path",
        "sources_dir",
        "data_dir",
        "jobs",
        "celery_broker_url",
        "celery_result_backend",
        "celery_queue",
        "scheduler_tick",
        "sync_lock_ttl",
        *FAST,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_") or k.startswith("HUB_TEST_")}
    env.update({f"HUB_{k.upper()}": str(getattr(settings, k)) for k in keys})
    env.update(
        HUB_WEBHOOK_ALLOW_HTTP=str(settings.webhook_allow_http),
        HUB_WEBHOOK_ALLOWED_NETWORKS=",".join(settings.webhook_allowed_networks),
    )
    return env


@dataclass
class Jobs:
    """One hub, its Celery app (to send tasks) and its worker process."""

    hub: Hub
    app: Any
    root: Path
    worker: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    sent: list[Any] = field(default_factory=list)

    @property
    def settings(self) -> config.Settings:
        return self.hub.settings

    def send(self, task: str, **kwargs: Any) -> Any:
        result = self.app.send_task(task, kwargs=kwargs)
        self.sent.append(result)
        return result

    def start_worker(self) -> None:
        self.log = self.root / f"worker-{len(self.sent)}.log"
        with self.log.open("wb") as out:
            self.worker = subprocess.Popen(
                [
                    HUB,
                    "worker",
                    "--concurrency",
                    "2",
                    "--without-mingle",
                    "--without-gossip",
                    "--hostname",
                    f"test-{uuid.uuid4().hex[:8]}@%h",
                ],
                env=job_env(self.settings),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )
        wait_for(
            lambda: b" ready." in self.log.read_bytes() or self.worker.poll() is not None,  # type: ignore[union-attr]
            60,
            "the worker did not start",
        )
        assert self.worker.poll() is None, self.log.read_text()

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            self.worker.send_signal(signal.SIGTERM)  # warm shutdown: unacknowledged tasks go back
            try:
                self.worker.wait(20)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait()


@pytest.fixture(scope="module")
def jobs(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jobs]:
    from hub.sync.jobs.factory import make_app

    root = tmp_path_factory.mktemp("jobs")
    (root / "sources").mkdir()
    (root / "data").mkdir()
    settings = config.load(
        {
            "database_url": databases.database_url(root, "jobs"),
            "secret_key": "test-secret",
            "instance_path": str(root),
            "sources_dir": str(root / "sources"),
            "data_dir": str(root / "data"),
            "jobs": "celery",
            "celery_broker_url": redis_url,
            "celery_result_backend": redis_url,
            "celery_queue": f"hub-test-{uuid.uuid4().hex[:12]}",
            "scheduler_tick": 1,
            **FAST,
            **LOOPBACK_WEBHOOKS,
        }
    )
    hub = Hub(settings)
    hub.init()
    state = Jobs(hub, make_app(settings), root)
    state.start_worker()
    try:
        yield state
    finally:
        state.stop_worker()
        for result in state.sent:
            result.forget()
        _forget_queue(redis_url, settings.celery_queue)
        state.app.close()
        hub.engine.dispose()


def _forget_queue(url: str, queue: str) -> None:
    """Remove what the broker keeps for this module's queue (Redis may be shared: only ours)."""
    import redis

    client = redis.Redis.from_url(url)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    client.zrem("_kombu.binding_deadlines", queue)
    client.close()


@pytest.fixture
def clean_sources(jobs: Jobs) -> Iterator[Path]:
    """The sources folder, emptied after the test (beat and sync_due see every file in it)."""
    folder = Path(jobs.settings.sources_dir)
    yield folder
    for path in folder.glob("*.toml"):
        path.unlink()
