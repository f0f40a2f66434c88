"""Fixtures of the sync engine tests: a hub with fast retries, source files, a fake national system."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Iterator

import pytest
import sqlalchemy as sa

from hub import config
from hub.curation.members import set_policy
from hub.services import Hub
from hub.store.db import transaction
from hub.store.models import Record, Revision
from hub.sync import sources
from hub.sync.runner import Runner, RunResult
from tests.sync.fakes import FakeNational

FAST = {
    "sync_backoff_ms": 1,
    "sync_backoff_max_ms": 5,
    "sync_retries": 5,
    "sync_retry_budget": 50,
    "sync_lock_ttl": 60,
    "webhook_backoff_ms": 1,
    "webhook_backoff_max_ms": 5,
    "webhook_attempts": 4,
}


def sync_settings(base: config.Settings, root: Path, **over: Any) -> config.Settings:
    (root / "sources").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(parents=True, exist_ok=True)
    return dataclasses.replace(base, sources_dir=str(root / "sources"), data_dir=str(root / "data"), **{**FAST, **over})


@pytest.fixture
def shub(settings: config.Settings, tmp_path: Path) -> Iterator[Hub]:
    """A hub whose sync retries wait milliseconds, with empty sources and data folders."""
    h = Hub(sync_settings(settings, tmp_path))
    h.init()
    yield h
    h.engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeNational]:
    server = FakeNational().start()
    yield server
    server.stop()


def add_source(hub: Hub, text: str, name: str = "src") -> sources.Source:
    path = Path(hub.settings.sources_dir) / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return sources.load(path)


def run(hub: Hub, source: sources.Source, **kw: Any) -> RunResult:
    result = Runner(hub, source, **kw).run()
    assert result is not None
    return result


def stored(hub: Hub, kind: str = "products") -> dict[str, tuple[int, dict[str, Any], bool]]:
    """uid -> (latest version, latest revision's document, deleted) of every record of a kind."""
    with hub.sessions() as s:
        rows = s.execute(
            sa.select(Record.uid, Record.latest_version, Revision.document, Revision.deleted)
            .join(Revision, sa.and_(Revision.uid == Record.uid, Revision.version == Record.latest_version))
            .where(Record.kind == kind)
        ).all()
    return {uid: (v, doc, deleted) for uid, v, doc, deleted in rows}


def revision_count(hub: Hub) -> int:
    with hub.sessions() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Revision)) or 0


def publish_on_write(hub: Hub, *countries: str) -> None:
    with transaction(hub.sessions) as s:
        for cc in countries:
            set_policy(s, "test", cc, "auto")
