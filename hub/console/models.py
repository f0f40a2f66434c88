"""Console-side state: failed-login throttling and each staff user's language.

Kept apart from the access model (hub/auth/) because only the console needs it.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import Base


class LoginThrottle(Base):
    """Failed logins per e-mail address, known or not (so a lockout tells nothing about
    whether an account exists)."""

    __tablename__ = "console_login_throttle"
    email: so.Mapped[str] = so.mapped_column(sa.String(254), primary_key=True)
    failures: so.Mapped[int] = so.mapped_column(default=0)
    first_failure_at: so.Mapped[datetime | None]
    locked_until: so.Mapped[datetime | None]


class StaffPreference(Base):
    """A staff user's chosen console language."""

    __tablename__ = "console_preferences"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("staff_users.id"), primary_key=True)
    locale: so.Mapped[str] = so.mapped_column(sa.String(10))
