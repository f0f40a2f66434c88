"""Schema migrations with Alembic, run from ``hub init`` (safe to repeat)."""
from __future__ import annotations

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
