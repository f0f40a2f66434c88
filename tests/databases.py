"""Where each test's database lives.

By default a SQLite file in the test's ``tmp_path``. When ``HUB_TEST_DATABASE_URL`` names a
PostgreSQL server (``.ci/services`` prints one), every call creates a fresh, empty database
on that server instead, so the same tests run against both engines; the databases a test
created are dropped when it ends (``tests/conftest.py``).
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

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


def drop_created() -> None:
    """Drop every database created since the last call (connections still open are closed)."""
    if not _created:
        return
    with _admin() as conn:
        while _created:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')


_engine: sa.Engine | None = None


def _admin() -> sa.Connection:
    global _engine
    if _engine is None:
        _engine = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    return _engine.connect()
