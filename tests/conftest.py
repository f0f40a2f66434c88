"""Shared fixtures: a fresh hub (SQLite file, or PostgreSQL: tests/databases.py), the app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from hub import config, create_app
from hub.services import Hub
from tests import databases
from tests.services import redis_url  # noqa: F401  (a fixture, for every folder)

#: Test receivers listen on 127.0.0.1 over plain http: allowed here, refused by default.
LOOPBACK_WEBHOOKS: dict[str, Any] = {"webhook_allow_http": True, "webhook_allowed_networks": ("127.0.0.1/32",)}
SHARED_DATA = Path(os.environ.get("HUB_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


@pytest.fixture(autouse=True, scope="session")
def _drop_remaining_databases():  # type: ignore[no-untyped-def]
    """PostgreSQL runs: drop what module- and session-wide fixtures created, at the end."""
    yield
    databases.drop_created()


@pytest.fixture(autouse=True, scope="module")
def _drop_module_databases():  # type: ignore[no-untyped-def]
    """PostgreSQL runs: drop the databases of a module's fixtures when the module ends."""
    since = databases.mark()
    yield
    databases.drop_created(since)


@pytest.fixture(autouse=True)
def _drop_test_databases():  # type: ignore[no-untyped-def]
    """PostgreSQL runs: drop the databases a test created once it is over."""
    since = databases.mark()
    yield
    databases.drop_created(since)


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    return config.load(
        {
            "database_url": databases.database_url(tmp_path),
            "secret_key": "test-secret",
            "instance_path": str(tmp_path),
            **LOOPBACK_WEBHOOKS,
        }
    )


@pytest.fixture
def hub(settings: config.Settings) -> Hub:
    h = Hub(settings)
    h.init()
    yield h
    h.engine.dispose()


@pytest.fixture
def app(settings: config.Settings, hub: Hub):  # type: ignore[no-untyped-def]
    application = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            **LOOPBACK_WEBHOOKS,
        }
    )
    application.config["TESTING"] = True
    yield application
    application.extensions["hub"].engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real national data not found at {SHARED_DATA} (set HUB_DATA_DIR)")
    return SHARED_DATA


def product(i: int | str = 1, **over: Any) -> dict[str, Any]:
    """A valid Vietnamese OCOP product; keyword arguments replace fields."""
    doc: dict[str, Any] = {
        "id": f"p{i}",
        "country": "VN",
        "name": {"vi": "Mắc ca Lê Anh", "en": "Le Anh macadamia"},
        "category": {"scheme": "VN-OCOP-2023", "code": "1.1"},
        "certifications": [
            {
                "scheme": "VN-OCOP",
                "rating": 4,
                "decision": "858/QĐ-UBND",
                "issued_on": "2025-03-01",
                "expires_on": "2028-03-01",
                "level": "provincial",
            }
        ],
        "origin": {"area": "VN-GSO:01"},
        "price": {"amount": "220000", "currency": "VND"},
    }
    doc.update(over)
    return doc
