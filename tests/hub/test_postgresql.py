"""What several machines on one PostgreSQL database need (skipped on SQLite runs)."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from hub import config
from hub.services import Hub
from hub.store import migrate
from hub.store.db import insert_many, transaction
from hub.store.models import Member
from tests import databases

pytestmark = pytest.mark.skipif(
    not databases.postgresql(), reason="PostgreSQL only (HUB_TEST_DATABASE_URL): one database, several machines"
)


def test_machines_starting_together_initialise_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Every web machine runs `hub init` at start: concurrent inits must all succeed."""
    url = databases.database_url(tmp_path, "init")
    hubs = [
        Hub(config.load({"database_url": url, "secret_key": "k", "instance_path": str(tmp_path)})) for _ in range(4)
    ]
    barrier = threading.Barrier(len(hubs))
    errors: list[BaseException] = []

    def start(h: Hub) -> None:
        barrier.wait()
        try:
            h.init()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(h,)) for h in hubs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with hubs[0].sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Member)) == len(hubs[0].settings.members)
    assert migrate.is_current(hubs[0].engine)
    for h in hubs:
        h.engine.dispose()


def test_the_pool_is_bounded_by_the_settings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    h = Hub(
        config.load(
            {
                "database_url": databases.database_url(tmp_path),
                "secret_key": "k",
                "instance_path": str(tmp_path),
                "database_pool_size": 2,
                "database_max_overflow": 1,
            }
        )
    )
    assert (h.engine.pool.size(), h.engine.pool._max_overflow) == (2, 1)  # type: ignore[attr-defined]
    h.engine.dispose()


def test_copy_errors_are_wrapped_like_every_other_statement(hub) -> None:  # type: ignore[no-untyped-def]
    """insert_many streams through COPY: a refused value must still be SQLAlchemy's DataError
    (400 at the API), not the driver's own exception (a 500)."""
    row = {c.key: None for c in Member.__table__.columns}
    row.update(country="XX", name="a\x00b", review_policy="auto")
    with pytest.raises(sa.exc.DataError):
        with transaction(hub.sessions) as session:
            insert_many(session, Member.__table__, [row])
