"""Staff sign-in for the console: the password check behind a growing delay, and the
chosen language.

A service (no Flask here). Before this runs, Flask-Limiter has already refused floods
per client address and across the hub (:mod:`.throttle`), so no password hash is
computed for them. What is left is the per-account back-off: after
:data:`FREE_FAILURES` wrong passwords for an e-mail address, each further attempt must
wait twice as long as the one before (2 s, 4 s, ... up to :data:`MAX_DELAY`), and an
attempt that comes too early is refused without checking the password.

Failures are counted per e-mail address *and device*: a browser that has signed in to
that account before carries a signed device cookie and has its own count, so a
stranger's failures slow the stranger and every unknown browser, never the owner at
their usual desk (docs/review.md says why this rather than a lock). Known and unknown
addresses are counted and answered alike, so nothing tells which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from ..auth import users
from ..auth.models import StaffUser, aware
from ..store import audit
from ..store.models import utcnow
from .models import LoginBackoff, StaffPreference

FREE_FAILURES = 3
FIRST_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
#: A count is forgotten this long after its last failure.
FORGET_AFTER = timedelta(days=1)
#: The back-off table never holds more rows than this (the oldest go first).
MAX_ROWS = 10_000


@dataclass(frozen=True)
class SignIn:
    """The outcome of an attempt: a user, or why not (``wait_until`` when backing off)."""

    user: StaffUser | None
    wait_until: datetime | None = None


def delay_after(failures: int) -> timedelta:
    """How long the next attempt waits after this many consecutive failures."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 20), MAX_DELAY)


def sign_in(
    session: so.Session, email: str, password: str, *, device: str = "", address: str = "", now: datetime | None = None
) -> SignIn:
    """Check the password unless this address and device must still wait; count failures,
    forget them on success. Failures on existing accounts are audited (each one, which the
    back-off keeps rare); unknown addresses are not, so a flood of invented names writes
    nothing to the audit log."""
    now = now or utcnow()
    key = email.strip().lower()[:254]
    row = session.get(LoginBackoff, (key, device))
    if row is not None and aware(row.last_failure_at) < now - FORGET_AFTER:  # type: ignore[operator]
        session.delete(row)
        session.flush()
        row = None
    wait = aware(row.next_attempt_at) if row is not None else None
    if wait is not None and wait > now:
        return SignIn(None, wait)
    user = users.authenticate(session, key, password)
    if user is not None:
        if row is not None:
            session.delete(row)
        audit.record(
            session,
            f"user:{user.email}",
            "console.sign_in",
            f"user:{user.email}",
            {"address": address, "known_device": bool(device)},
        )
        return SignIn(user)
    failures = _count_failure(session, key, device, now)
    delay = delay_after(failures)
    wait_until = now + delay if delay else None
    if wait_until is not None:
        session.execute(
            sa.update(LoginBackoff)
            .where(LoginBackoff.email == key, LoginBackoff.device == device)
            .values(next_attempt_at=wait_until)
        )
    if session.scalar(sa.select(StaffUser.id).where(StaffUser.email == key)) is not None:
        detail = {"address": address, "known_device": bool(device), "failures": failures}
        if delay:
            audit.record(
                session,
                "anonymous",
                "console.sign_in_backoff",
                f"user:{key}",
                {**detail, "wait_seconds": int(delay.total_seconds())},
            )
        else:
            audit.record(session, "anonymous", "console.sign_in_failed", f"user:{key}", detail)
    return SignIn(None, wait_until)


def _count_failure(session: so.Session, email: str, device: str, now: datetime) -> int:
    """Add one failure and return the count, atomically: concurrent failures for the same
    address and device neither collide on the insert nor lose an increment."""
    table = cast(sa.Table, LoginBackoff.__table__)  # a mapped class's table, typed as a FromClause
    if session.get(LoginBackoff, (email, device)) is None:
        _make_room(session, now)
        dialect = session.get_bind().dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
        session.execute(
            insert.values(email=email, device=device, failures=0, last_failure_at=now).on_conflict_do_nothing()
        )
    counted = session.execute(
        sa.update(table)
        .where(table.c.email == email, table.c.device == device)
        .values(failures=table.c.failures + 1, last_failure_at=now)
        .returning(table.c.failures)
    )
    return int(counted.scalar_one())


def _make_room(session: so.Session, now: datetime) -> None:
    """Keep the table bounded: forget stale counts, then the oldest beyond :data:`MAX_ROWS`."""
    session.execute(sa.delete(LoginBackoff).where(LoginBackoff.last_failure_at < now - FORGET_AFTER))
    count = session.scalar(sa.select(sa.func.count()).select_from(LoginBackoff)) or 0
    if count >= MAX_ROWS:
        cutoff = session.scalar(
            sa.select(LoginBackoff.last_failure_at)
            .order_by(LoginBackoff.last_failure_at)
            .offset(count - MAX_ROWS)
            .limit(1)
        )
        session.execute(sa.delete(LoginBackoff).where(LoginBackoff.last_failure_at <= cutoff))


def locale_of(session: so.Session, user_id: int) -> str | None:
    pref = session.get(StaffPreference, user_id)
    return pref.locale if pref else None


def set_locale(session: so.Session, user_id: int, locale: str) -> None:
    pref = session.get(StaffPreference, user_id)
    if pref is None:
        session.add(StaffPreference(user_id=user_id, locale=locale))
    else:
        pref.locale = locale
