"""Schema migrations with Alembic, run from ``hub init`` (safe to repeat)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory


def _config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "hub:migrations")
    cfg.attributes["connection"] = connection
    return cfg


# Any fixed number: the key of PostgreSQL's advisory lock that serialises ``hub init``.
_INIT_LOCK = 0x0F0C_0001


@contextmanager
def exclusive(engine: sa.Engine) -> Iterator[None]:
    """Let one ``hub init`` at a time work on a PostgreSQL database.

    Every machine of a deployment may run ``hub init`` when it starts; without the lock two
    of them would race to create the same tables and members. The lock is held on its own
    connection and released when the block ends (or the process dies). SQLite databases
    live on one machine, where deployments run init once.
    """
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_lock({_INIT_LOCK})")
        conn.commit()
        try:
            yield
        finally:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_INIT_LOCK})")
            conn.commit()


def upgrade(engine: sa.Engine) -> None:
    """Bring the database to the latest revision of every branch (subsystems may add
    their migrations on branches of their own, merged later)."""
    with engine.begin() as conn:
        command.upgrade(_config(conn), "heads")


def revision(engine: sa.Engine, message: str) -> None:
    """Autogenerate a new migration (developers only)."""
    with engine.begin() as conn:
        command.revision(_config(conn), message=message, autogenerate=True)


def heads() -> set[str]:
    """The latest revision of every branch, as this code ships them."""
    return set(ScriptDirectory.from_config(_config()).get_heads())


def is_current(engine: sa.Engine) -> bool:
    """Whether the database is at the latest migration (for readiness checks)."""
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads()
