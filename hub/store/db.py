"""Engine and sessions: SQLite with WAL and foreign keys, or PostgreSQL."""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.engine import make_url

T = TypeVar("T")


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 10) -> sa.Engine:
    """Create an engine; for SQLite, set the pragmas every connection needs.

    Server databases get a bounded pool (``pool_size`` + ``max_overflow`` per process) and
    a ping before reuse, so a restarted database server costs no failed request.
    """
    parsed = make_url(url)
    json_kw = {"json_serializer": _dumps, "json_deserializer": orjson.loads}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow, **json_kw)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30}, **json_kw)

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
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


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value: Any, depth: int = 0) -> Any:
    """Raw input kept for people to read (quarantined rows), made storable on every engine.

    PostgreSQL's JSON holds no NUL and JSON text no lone surrogate; both become U+FFFD.
    Records never need this: the standard refuses such text (``control_character``).
    What nests deeper than :data:`STORABLE_DEPTH` levels (a record may nest 32; the JSON
    encoder stops near 255) is replaced by a note.
    """
    if isinstance(value, str):
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, (dict, list, tuple)) and depth >= STORABLE_DEPTH:
        return f"(nested deeper than {STORABLE_DEPTH} levels: not kept)"
    if isinstance(value, dict):
        return {storable(k): storable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [storable(v, depth + 1) for v in value]
    return value


STORABLE_DEPTH = 64


def session_factory(engine: sa.Engine) -> so.sessionmaker[so.Session]:
    return so.sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: so.sessionmaker[so.Session]) -> Iterator[so.Session]:
    """One unit of work: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """Slices of at most ``size``: an ``IN (...)`` list stays within every engine's limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rowcount(session: so.Session, statement: sa.Update | sa.Delete) -> int:
    """How many rows an UPDATE or DELETE changed."""
    result: sa.CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]  # a CursorResult, typed as Result
    return result.rowcount


def insert_many(session: so.Session, table: sa.FromClause, rows: list[dict[str, Any]]) -> None:
    """Bulk INSERT through the driver's executemany, with SQLAlchemy's own bind processors.

    The same values reach the database as through ``session.execute(table.insert(), rows)``,
    without its per-row parameter machinery: on the write path's hot loop that machinery
    costs more than the insert itself. Rows must name every column (``None`` for NULL),
    except an autoincrementing primary key.
    """
    if not rows:
        return
    assert isinstance(table, sa.Table)  # a mapped class's __table__, typed as a FromClause
    conn = session.connection()
    plan = _insert_plan(conn.dialect, table)
    try:
        values = [list(plan.getter(row)) for row in rows]
    except KeyError as exc:
        raise ValueError(f"insert into {table.name}: row without column {exc}") from None
    for i, proc in plan.processors:
        last_in: Any = _UNSET
        last_out: Any = None
        for v in values:
            value = v[i]
            if value is not last_in:  # the batch's one timestamp is formatted once
                last_in, last_out = value, proc(value)
            v[i] = last_out
    if plan.copy is not None:
        _copy(conn, plan, values)
        return
    params: list[Any] = [tuple(v) for v in values] if plan.positional else [dict(zip(plan.keys, v)) for v in values]
    conn.exec_driver_sql(plan.sql, params)


def _copy(conn: sa.Connection, plan: _Plan, values: list[list[Any]]) -> None:
    """PostgreSQL (psycopg): ``COPY ... FROM STDIN`` in the session's transaction.

    An ``executemany`` of INSERTs makes the server plan and run one statement per row;
    COPY streams the rows into one statement, which on the write path's batches of a
    thousand rows per table is most of PostgreSQL's insert cost (bench/scale.py).
    """
    driver_conn = conn.connection.driver_connection
    assert driver_conn is not None
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        with driver_conn.cursor() as cur, cur.copy(plan.copy) as copy:
            for row in values:
                copy.write_row(row)
    except dbapi_error as exc:
        # Wrapped as SQLAlchemy wraps every other statement's errors, so a lost connection
        # is an OperationalError (503 and retries) and a refused value a DataError (400).
        raise sa.exc.DBAPIError.instance(
            plan.copy, None, exc, dbapi_error, connection_invalidated=driver_conn.closed
        ) from exc


_UNSET = object()


@dataclass(frozen=True)
class _Plan:
    sql: str
    keys: tuple[str, ...]
    getter: Callable[[dict[str, Any]], tuple[Any, ...]]
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    positional: bool
    copy: str | None = None  # the COPY statement where the driver has one (psycopg)


_PLANS: dict[tuple[int, str], _Plan] = {}


def _insert_plan(dialect: sa.Dialect, table: sa.Table) -> _Plan:
    cache_key = (id(dialect), table.name)
    plan = _PLANS.get(cache_key)
    if plan is None:
        cols = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        compiled = table.insert().compile(dialect=dialect, column_keys=[c.key for c in cols])
        keys = tuple((compiled.positiontup or []) if compiled.positional else [c.key for c in cols])
        types = {c.key: c.type for c in cols}
        procs = tuple(
            (i, proc)
            for i, key in enumerate(keys)
            if (proc := types[key].dialect_impl(dialect).bind_processor(dialect)) is not None
        )
        getter = itemgetter(*keys) if len(keys) > 1 else (lambda row, k=keys[0]: (row[k],))
        copy = None
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            quote = dialect.identifier_preparer.quote
            names = {c.key: c.name for c in cols}
            copy = (
                f"COPY {dialect.identifier_preparer.format_table(table)} "
                f"({', '.join(quote(names[k]) for k in keys)}) FROM STDIN"
            )
        plan = _Plan(compiled.string, keys, getter, procs, bool(compiled.positional), copy)
        _PLANS[cache_key] = plan
    return plan
