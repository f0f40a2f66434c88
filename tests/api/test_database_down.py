"""A database that cannot be reached is a 503 to retry, never a 500."""

from __future__ import annotations

import socket

from hub import create_app
from hub.web.errors import PROBLEM


def test_an_unreachable_database_is_503_with_retry_after(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(
        {
            "database_url": f"postgresql+psycopg://hub@127.0.0.1:{port}/hub",
            "secret_key": "k",
            "instance_path": str(tmp_path),
        }
    )
    r = app.test_client().get("/api/v1/products", headers={"Authorization": "Bearer some-token"})
    assert r.status_code == 503 and r.mimetype == PROBLEM
    assert r.headers["Retry-After"] == "5" and "database" in r.get_json()["detail"]
    assert "database unavailable" in caplog.text
    app.extensions["hub"].engine.dispose()
