"""Schema migrations with Alembic, run from ``hub init`` (safe to repeat)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

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


def compare_type(
    ctx: MigrationContext, inspected: Any, metadata: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """Autogenerate's type comparison: SQLite enforces no string length, so a longer
    VARCHAR in the models is no change there (0006 widens revisions.source on other
    engines only). Everything else: Alembic's own comparison (``None``)."""
    if ctx.dialect.name == "sqlite" and all(
        isinstance(t, sa.String) and not isinstance(t, sa.Text) for t in (inspected_type, metadata_type)
    ):
        return False
    return None


def drift(engine: sa.Engine) -> list[Any]:
    """What autogenerate would put in a new migration: empty when the models and the
    migrations agree (tests check it on both engines)."""
    from alembic.autogenerate import compare_metadata

    from ..auth import models as _auth  # noqa: F401
    from ..console import models as _console  # noqa: F401
    from ..curation import flags  # noqa: F401  (its tables)
    from ..webhooks import subscriptions  # noqa: F401  (every table, as hub/migrations/env.py imports them)
    from . import locks as _locks  # noqa: F401
    from .models import Base

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": compare_type})
        return list(compare_metadata(ctx, Base.metadata))
