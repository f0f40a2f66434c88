"""Where each test's database lives.

By default a SQLite file in the test's ``tmp_path``. When ``HUB_TEST_DATABASE_URL`` names a
PostgreSQL server (``.ci/services`` prints one), every call creates a fresh, empty database
on that server instead, so the same tests run against both engines; the databases a test
created are dropped when it ends (``tests/conftest.py``).
"""

from __future__ import annotations

import os
import uuid
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SERVER = os.environ.get("HUB_TEST_DATABASE_URL", "")
_created: list[str] = []


def postgresql() -> bool:
    """True when this run's tests use PostgreSQL."""
    return bool(SERVER)


def database_url(tmp_path: Path, name: str = "hub") -> str:
    """A new database for one test (or one hub of a test): SQLite file or PostgreSQL database."""
    if not SERVER:
        return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    dbname = f"t_{name}_{uuid.uuid4().hex[:12]}".lower()
    with _admin() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{dbname}"')
    _created.append(dbname)
    return make_url(SERVER).set(database=dbname).render_as_string(hide_password=False)


def mark() -> int:
    """How many databases exist so far: a test drops those created after its mark."""
    return len(_created)


def drop_created(since: int = 0) -> None:
    """Drop the databases created after ``since`` (databases of wider-scoped fixtures,
    created before a test's mark, stay until their scope ends).

    Connections still open to them are closed first, so the garbage collector later finds
    nothing open (an open psycopg connection warns when collected).
    """
    if len(_created) <= since:
        return
    doomed = set(_created[since:])
    del _created[since:]
    for conn in list(_opened):
        if not conn.closed and conn.info.dbname in doomed:
            conn.close()
    with _admin() as conn:
        for name in doomed:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_engine: sa.Engine | None = None
_opened: "weakref.WeakSet[Any]" = weakref.WeakSet()


@sa.event.listens_for(sa.pool.Pool, "connect")
def _track(dbapi_conn: Any, _record: Any) -> None:
    """Remember every DBAPI connection a PostgreSQL run opens, to close it at the test's end."""
    if SERVER and hasattr(dbapi_conn, "closed"):
        _opened.add(dbapi_conn)


def _admin() -> sa.Connection:
    global _engine
    if _engine is None:
        _engine = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    return _engine.connect()
