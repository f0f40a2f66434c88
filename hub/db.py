"""Engine and sessions: SQLite with WAL and foreign keys, or PostgreSQL."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import make_url


def make_engine(url: str) -> sa.Engine:
    """Create an engine; for SQLite, set the pragmas every connection needs."""
    parsed = make_url(url)
    json_kw = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **json_kw)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30}, **json_kw)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


class Encoded(str):
    """JSON text already encoded (e.g. the canonical form that was just hashed).

    Written as it is, so a document hashed once is not serialised again per column.
    """


def _dumps(value: object) -> str:
    """JSON columns through orjson: several times faster than the standard library."""
    if type(value) is Encoded:
        return value
    return orjson.dumps(value).decode()


def session_factory(engine: sa.Engine) -> so.sessionmaker[so.Session]:
    return so.sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: so.sessionmaker[so.Session]) -> Iterator[so.Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session
