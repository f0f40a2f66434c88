"""Real servers the tests need besides the database: Redis.

``HUB_TEST_REDIS_URL`` (``.ci/services start`` prints it), else a ``redis-server`` started
here on a free loopback port, else the tests that need it are skipped with the reason;
with ``CI`` set, a missing Redis fails them instead, so the scale-out paths cannot silently
go untested.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import Any, Callable, Iterator

import pytest


def wait_for(ready: Callable[[], Any], seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


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
    server = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: _ping(url) is None, 10, "redis-server did not start")
        yield url
    finally:
        server.terminate()
        server.wait(10)


def on_db(url: str, db: int) -> str:
    """The same Redis server, another of its numbered databases."""
    return url.rsplit("/", 1)[0] + f"/{db}"
