"""Rate limits shared by several web machines through Redis, and failing open without it."""

from __future__ import annotations

import socket

import pytest

from hub import create_app
from tests.auth.helpers import partner_headers
from tests.services import on_db


def machine(settings, storage: str):  # type: ignore[no-untyped-def]
    """One more web machine of the same hub: same database, its own process state."""
    app = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            "rate_limit": "3/minute",
            "rate_limit_storage": storage,
        }
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def machines(settings, hub, redis_url):  # type: ignore[no-untyped-def]
    apps = [machine(settings, on_db(redis_url, 3)) for _ in range(2)]
    yield apps
    for app in apps:
        app.extensions["hub"].engine.dispose()


def test_machines_share_one_limit_through_redis(machines, hub) -> None:  # type: ignore[no-untyped-def]
    first, second = (app.test_client() for app in machines)
    headers = partner_headers(hub, first, "VN", ("exchange:read",))
    codes = [c.get("/api/v1/stats", headers=headers).status_code for c in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]  # per-process counters would allow four


def test_an_unreachable_redis_does_not_stop_the_api(settings, hub, caplog) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = machine(settings, f"redis://127.0.0.1:{port}/0")
    client = app.test_client()
    headers = partner_headers(hub, client, "VN", ("exchange:read",))
    codes = [client.get("/api/v1/stats", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # served, and still limited per process meanwhile
    app.extensions["hub"].engine.dispose()
