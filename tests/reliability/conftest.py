"""A prepared database (VN publishes without review, a VN writer) and a real server on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from hub import config
from hub.curation import members
from hub.services import Hub
from hub.store.db import transaction
from tests import databases
from tests.auth.helpers import make_client

from .server import HubServer, hub_env


@dataclass
class Prepared:
    hub: Hub
    env: dict[str, str]
    client_id: str
    secret: str


@pytest.fixture
def prepared(tmp_path: Path) -> Iterator[Prepared]:
    url = databases.database_url(tmp_path, "rel")
    hub = Hub(config.load({"database_url": url, "secret_key": "test-secret", "instance_path": str(tmp_path)}))
    hub.init()
    with transaction(hub.sessions) as session:
        members.set_policy(session, "test", "VN", "auto")  # published at once: in the change feed
    cid, secret = make_client(hub, "VN", ("exchange:read", "exchange:write"))
    assert secret is not None
    yield Prepared(hub, hub_env(url, tmp_path), cid, secret)
    hub.engine.dispose()


@pytest.fixture
def server(prepared: Prepared, tmp_path: Path) -> Iterator[HubServer]:
    """Not started: the test starts, kills and restarts it; stopped whatever happens."""
    srv = HubServer(prepared.env, tmp_path / "server.log")
    try:
        yield srv
    finally:
        srv.stop()
