"""Staff sign-in for the console: password check with a lockout, and the chosen language.

A service (no Flask here). The lockout counts failures per e-mail address whether an
account exists or not, and answers the same way in both cases, so neither the
messages nor the lockout tell an attacker which addresses have accounts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy.orm as so

from ..auth import users
from ..auth.models import StaffUser
from ..models import utcnow
from .models import LoginThrottle, StaffPreference

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: a user, or why not (``locked_until`` when locked)."""

    user: StaffUser | None
    locked_until: datetime | None = None


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=timezone.utc) if at is not None and at.tzinfo is None else at


def sign_in(session: so.Session, email: str, password: str, now: datetime | None = None) -> SignIn:
    """Check the password unless the address is locked; count failures; reset on success."""
    now = now or utcnow()
    key = email.strip().lower()[:254]
    throttle = session.get(LoginThrottle, key)
    locked = _aware(throttle.locked_until) if throttle else None
    if locked is not None and locked > now:
        return SignIn(None, locked)
    user = users.authenticate(session, key, password)
    if user is not None:
        if throttle is not None:
            session.delete(throttle)
        return SignIn(user)
    if throttle is None:
        throttle = LoginThrottle(email=key, failures=0)
        session.add(throttle)
    first = _aware(throttle.first_failure_at)
    if first is None or now - first > WINDOW or locked is not None:
        throttle.failures, throttle.first_failure_at, throttle.locked_until = 0, now, None
    throttle.failures += 1
    if throttle.failures >= MAX_FAILURES:
        throttle.locked_until = now + LOCKOUT
        return SignIn(None, throttle.locked_until)
    return SignIn(None)


def active_user(session: so.Session, user_id: int) -> StaffUser | None:
    """The signed-in user, unless the account was disabled or removed meanwhile."""
    user = session.get(StaffUser, user_id)
    return user if user is not None and user.disabled_at is None else None


def locale_of(session: so.Session, user_id: int) -> str | None:
    pref = session.get(StaffPreference, user_id)
    return pref.locale if pref else None


def set_locale(session: so.Session, user_id: int, locale: str) -> None:
    pref = session.get(StaffPreference, user_id)
    if pref is None:
        session.add(StaffPreference(user_id=user_id, locale=locale))
    else:
        pref.locale = locale
