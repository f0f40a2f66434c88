"""/healthz and /readyz: public, cheap, and 503 problem+json naming what is wrong."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hub import config, create_app
from tests import databases

PROBLEM = "application/problem+json"


def app_for(url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_app({"database_url": url, "secret_key": "t", "instance_path": str(tmp_path), "readiness_timeout": 2})


def test_healthz_answers_without_a_database(tmp_path: Path) -> None:
    app = app_for("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    r = app.test_client().get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_readyz_when_the_database_is_migrated(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/readyz")
    assert r.status_code == 200 and r.get_json()["status"] == "ready"
    assert r.headers["Cache-Control"] == "no-store"


def test_readyz_503_when_migrations_are_not_current(tmp_path: Path) -> None:
    app = app_for(databases.database_url(tmp_path, "empty"), tmp_path)  # never initialised
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.mimetype == PROBLEM
    body = r.get_json()
    assert body["code"] == "migrations_not_current" and "hub init" in body["detail"]
    assert body["request_id"] == r.headers["X-Request-Id"]


def test_readyz_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = app_for(f"postgresql+psycopg://hub@127.0.0.1:{port}/hub", tmp_path)
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.mimetype == PROBLEM
    assert r.get_json()["code"] == "database_unreachable"
    assert "127.0.0.1" not in r.get_data(as_text=True)  # the reason is logged, not published


def test_readyz_503_when_the_sqlite_file_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    r = app_for(f"sqlite:///{bad}", tmp_path).test_client().get("/readyz")
    assert r.status_code == 503 and r.get_json()["code"] == "database_unreachable"


def test_probes_in_the_same_second_share_one_check(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """/readyz is public: a flood of probes must not become a flood of database connections."""
    from hub.web import health

    calls: list[int] = []
    real = health._check
    monkeypatch.setattr(health, "_check", lambda hub: calls.append(1) or real(hub))
    assert {client.get("/readyz").status_code for _ in range(20)} == {200}
    assert len(calls) == 1
    monkeypatch.setattr(health, "READY_CACHE_SECONDS", 0.0)
    client.get("/readyz")
    assert len(calls) == 2


def test_a_readiness_timeout_below_one_second_is_refused() -> None:
    with pytest.raises(config.ConfigError, match="readiness_timeout"):
        config.load({"readiness_timeout": 0}, env={})
