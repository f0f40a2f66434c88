"""Console-side state: the sign-in back-off and each staff user's language.

Kept apart from the access model (hub/auth/) because only the console needs it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store.models import Base


class LoginBackoff(Base):
    """Failed sign-ins for one e-mail address (known or not, so the back-off tells nothing
    about which accounts exist) from one source: ``""`` for browsers the account never
    signed in from, else the id of a device that did (:mod:`.accounts`)."""

    __tablename__ = "console_login_backoff"
    email: so.Mapped[str] = so.mapped_column(sa.String(254), primary_key=True)
    device: so.Mapped[str] = so.mapped_column(sa.String(32), primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    last_failure_at: so.Mapped[datetime] = so.mapped_column(index=True)
    next_attempt_at: so.Mapped[datetime | None]


class StaffPreference(Base):
    """A staff user's chosen console language."""

    __tablename__ = "console_preferences"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("staff_users.id"), primary_key=True)
    locale: so.Mapped[str] = so.mapped_column(sa.String(10))
