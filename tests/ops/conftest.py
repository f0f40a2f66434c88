"""Fixtures of the operations tests: a hub with sources and data folders, a CSV source."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from hub.services import Hub
from tests.conftest import LOOPBACK_WEBHOOKS
from tests.sync.conftest import add_source, sync_settings

CSV_SOURCE = """
[source]
name = "ops-files"
type = "csv"
kind = "products"
country = "VN"
path = "p.csv"

[id]
template = "f-{ma}"

[fields."name.vi"]
from = "ten"
required = true

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
value = "1.2.1"
"""


@pytest.fixture
def ops_hub(settings, tmp_path: Path) -> Iterator[Hub]:  # type: ignore[no-untyped-def]
    h = Hub(sync_settings(settings, tmp_path))
    h.init()
    yield h
    h.engine.dispose()


def csv_run_source(hub: Hub, good: int, bad: int):  # type: ignore[no-untyped-def]
    """A CSV file of ``good`` products and ``bad`` rows without a name (quarantined)."""
    lines = ["ma,ten"] + [f"{i},Gạo {i}" for i in range(good)] + [f"x{i}," for i in range(bad)]
    (Path(hub.settings.data_dir) / "p.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return add_source(hub, CSV_SOURCE, "ops-files")


@pytest.fixture
def app(settings, hub):  # type: ignore[no-untyped-def]
    """The shared ``app`` fixture, with its own engine closed at the end (PostgreSQL runs
    otherwise leave its pooled connections to the garbage collector)."""
    from hub import create_app

    application = create_app(
        {
            "database_url": settings.database_url,
            "secret_key": "test-secret",
            "instance_path": settings.instance_path,
            **LOOPBACK_WEBHOOKS,
        }
    )
    application.config["TESTING"] = True
    engine = application.extensions["hub"].engine
    yield application
    engine.dispose()
