"""The services of one hub instance, assembled once and shared by every door."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa
import sqlalchemy.orm as so

from .config import Settings
from .curation.members import ensure as ensure_members
from .records.writepath import WritePath
from .store import migrate
from .store.db import make_engine, session_factory, transaction


@dataclass
class Hub:
    """Settings, engine, session factory and the write path of one hub."""

    settings: Settings

    @cached_property
    def engine(self) -> sa.Engine:
        return make_engine(
            self.settings.database_url,
            pool_size=self.settings.database_pool_size,
            max_overflow=self.settings.database_max_overflow,
        )

    @cached_property
    def sessions(self) -> so.sessionmaker[so.Session]:
        return session_factory(self.engine)

    @cached_property
    def writes(self) -> WritePath:
        return WritePath(self.sessions)

    def init(self) -> int:
        """Migrate to the latest schema and add configured members; safe to repeat."""
        with migrate.exclusive(self.engine):
            migrate.upgrade(self.engine)
            with transaction(self.sessions) as session:
                return ensure_members(session, self.settings.members, self.settings.default_review_policy)
