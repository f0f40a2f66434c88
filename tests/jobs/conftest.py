"""A real Redis and a real Celery worker for the job tests (loopback only).

Redis: ``HUB_TEST_REDIS_URL`` (``.ci/services start`` prints it), else a ``redis-server``
started here on a free port, else the tests are skipped with the reason; with ``CI`` set,
a missing Redis fails them. Redis may be shared: every module sends to its own queue
name and forgets its results; nothing is flushed.

One worker per module (``hub worker``, prefork, 2 processes) serves one hub database
(``tests.databases``: SQLite, or PostgreSQL with ``HUB_TEST_DATABASE_URL``); the
databases are dropped when the module ends, not after each test.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from hub import config
from hub.services import Hub
from tests import databases
from tests.sync.conftest import FAST

HUB = str(Path(sys.executable).parent / "hub")


def _ping(url: str) -> str | None:
    """None when Redis answers at ``url``, else why not."""
    import redis
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
        return None
    except redis.RedisError as exc:
        return str(exc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("HUB_TEST_REDIS_URL", "")
    if url:
        problem = _ping(url)
        if problem:
            pytest.fail(f"HUB_TEST_REDIS_URL={url}: {problem}")
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        reason = "no Redis: set HUB_TEST_REDIS_URL (.ci/services start) or install redis-server"
        if os.environ.get("CI"):
            pytest.fail(f"CI: {reason}")
        pytest.skip(reason)
    folder, port = tmp_path_factory.mktemp("redis"), _free_port()
    server = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                               "--appendonly", "no", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: _ping(url) is None, 10, "redis-server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(10)


def wait_for(ready: Callable[[], Any], seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


@pytest.fixture(autouse=True, scope="module")
def _drop_test_databases() -> Iterator[None]:
    """Overrides the suite's per-test drop: the worker keeps one database for the module."""
    yield
    databases.drop_created()


def job_env(settings: config.Settings) -> dict[str, str]:
    """The environment that gives a ``hub`` subprocess these settings."""
    keys = ("database_url", "secret_key", "instance_path", "sources_dir", "data_dir", "jobs",
            "celery_broker_url", "celery_result_backend", "celery_queue", "scheduler_tick",
            "sync_lock_ttl", *FAST)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_") or k.startswith("HUB_TEST_")}
    env.update({f"HUB_{k.upper()}": str(getattr(settings, k)) for k in keys})
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
                [HUB, "worker", "--concurrency", "2", "--without-mingle", "--without-gossip",
                 "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h"],
                env=job_env(self.settings), stdout=out, stderr=subprocess.STDOUT, cwd=self.root)
        wait_for(lambda: b" ready." in self.log.read_bytes() or self.worker.poll() is not None,  # type: ignore[union-attr]
                 60, "the worker did not start")
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
    from hub.jobs.factory import make_app
    root = tmp_path_factory.mktemp("jobs")
    (root / "sources").mkdir()
    (root / "data").mkdir()
    settings = config.load({
        "database_url": databases.database_url(root, "jobs"), "secret_key": "test-secret",
        "instance_path": str(root), "sources_dir": str(root / "sources"), "data_dir": str(root / "data"),
        "jobs": "celery", "celery_broker_url": redis_url, "celery_result_backend": redis_url,
        "celery_queue": f"hub-test-{uuid.uuid4().hex[:12]}", "scheduler_tick": 1, **FAST})
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
