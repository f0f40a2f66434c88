"""Staff accounts: reviewers (one country), secretariat (all countries), admins.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory
profile); a hash made with older parameters is upgraded at the next good login.
A staff user acts through the same :class:`~hub.actors.Actor` as a machine client.
"""

from __future__ import annotations

import functools
import re

import sqlalchemy as sa
import sqlalchemy.orm as so
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..actors import Actor
from ..store import audit
from ..store.models import Member, utcnow
from ..timezones import is_time_zone
from . import sessions
from .models import StaffUser

ROLES = ("reviewer", "secretariat", "admin")
#: What each role may do, in the scopes of SPEC section 1. A reviewer writes and
#: reviews its own country only (the actor's country); the others act for every country.
ROLE_SCOPES = {
    "reviewer": frozenset({"exchange:read", "exchange:write", "review"}),
    "secretariat": frozenset({"exchange:read", "review"}),
    "admin": frozenset({"exchange:read", "admin"}),
}
MIN_PASSWORD = 12
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # with fullmatch: no trailing newline
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so both cases take the same time."""
    return _hasher.hash("not the password of anyone")


class UserError(ValueError):
    """A staff account the hub refuses to create."""


def create(session: so.Session, by: str, *, email: str, role: str, country: str | None, password: str) -> StaffUser:
    """Create a staff account (audited; the password is never logged)."""
    email = email.strip().lower()
    if not EMAIL.fullmatch(email) or len(email) > 254:
        raise UserError(f"'{email}' is not an e-mail address")
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")
    if role == "reviewer":
        if not country:
            raise UserError("a reviewer needs --country (the member whose revisions they review)")
        country = country.upper()
        if session.get(Member, country) is None:
            raise UserError(f"{country} is not a member")
    elif country:
        raise UserError(f"a {role} acts for every country: leave out --country")
    else:
        country = None
    _check_password(password)
    if session.scalar(sa.select(StaffUser.id).where(StaffUser.email == email)) is not None:
        raise UserError(f"a user {email} exists already")
    user = StaffUser(email=email, role=role, country=country, password_hash=_hasher.hash(password), created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, by, "user.create", f"user:{email}", {"role": role, "country": country})
    return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise UserError("the password must have at most 1024 characters")


def get(session: so.Session, email: str) -> StaffUser:
    """The account with this e-mail address (any state), else :class:`UserError`."""
    user = session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise UserError(f"there is no staff account {email.strip().lower()}")
    return user


def set_disabled(session: so.Session, by: str, email: str, disabled: bool) -> int:
    """Disable (every session ends) or enable an account, audited; returns the sessions ended."""
    user = get(session, email)
    if disabled and by == f"user:{user.email}":
        raise UserError("you cannot disable your own account")
    if (user.disabled_at is not None) == disabled:
        raise UserError(f"{user.email} is {'disabled' if disabled else 'active'} already")
    user.disabled_at = utcnow() if disabled else None
    ended = sessions.end_all(session, user.id) if disabled else 0
    audit.record(
        session,
        by,
        "user.disable" if disabled else "user.enable",
        f"user:{user.email}",
        {"sessions_ended": ended} if disabled else {},
    )
    return ended


def change_password(session: so.Session, user_id: int, current: str, new: str) -> int:
    """A user's own new password, given the current one; every session of theirs ends
    (audited). Returns the sessions ended."""
    user = session.get(StaffUser, user_id)
    if user is None:
        raise UserError("there is no such staff account")
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise UserError("the current password is not right") from None
    if new == current:
        raise UserError("the new password must differ from the current one")
    return _set_password(session, f"user:{user.email}", user, new, "user.password_change")


def set_time_zone(session: so.Session, user_id: int, zone: str | None) -> None:
    """A user's own time zone for the console (an IANA name; None: the hub's default).
    Not audited: it changes how times are shown to that user, nothing else."""
    if zone is not None and not is_time_zone(zone):
        raise UserError(f"'{zone}' is not a time zone (an IANA name such as Asia/Ho_Chi_Minh)")
    user = session.get(StaffUser, user_id)
    if user is None:
        raise UserError("there is no such staff account")
    user.time_zone = zone


def reset_password(session: so.Session, by: str, email: str, new: str) -> int:
    """An admin (or the operator) sets another account's password; its sessions end."""
    return _set_password(session, by, get(session, email), new, "user.password_reset")


def _set_password(session: so.Session, by: str, user: StaffUser, new: str, action: str) -> int:
    _check_password(new)
    user.password_hash = _hasher.hash(new)
    ended = sessions.end_all(session, user.id)
    audit.record(session, by, action, f"user:{user.email}", {"sessions_ended": ended})
    return ended


def authenticate(session: so.Session, email: str, password: str) -> StaffUser | None:
    """The active user with this e-mail and password, else ``None`` (for the console login)."""
    user = session.scalar(sa.select(StaffUser).where(StaffUser.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def listing(session: so.Session) -> list[StaffUser]:
    return list(session.scalars(sa.select(StaffUser).order_by(StaffUser.email)))


def actor_for_user(user: StaffUser) -> Actor:
    """The actor a staff session hands to the services, like a token does for a client."""
    return Actor(
        id=f"user:{user.email}",
        country=user.country if user.role == "reviewer" else None,
        scopes=ROLE_SCOPES[user.role],
        role=user.role,
    )
