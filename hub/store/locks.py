"""One holder per job (a sync source, a webhook subscription): a row in ``sync_locks``
with an expiry time. The sync runner and the webhook deliverer both lease through it.

``acquire`` takes the row when it is free, expired, or held by a process of this machine
that no longer exists (a runner killed with SIGKILL frees its source at once instead of
after the expiry). Taking over is a compare-and-set on the previous holder, so two
contenders never both win. The holder renews the expiry with every page it commits
(inside the page's own transaction: :func:`check`), and a holder that lost the lock finds
out there, before its page is committed.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.exc
import sqlalchemy.orm as so

from .db import rowcount, transaction
from .models import Base, utcnow

HOST = socket.gethostname()


class SourceLock(Base):
    """One runner per source (and per webhook subscription): a row with an expiry time."""

    __tablename__ = "sync_locks"
    name: so.Mapped[str] = so.mapped_column(sa.String(120), primary_key=True)
    holder: so.Mapped[str] = so.mapped_column(sa.String(200))
    acquired_at: so.Mapped[datetime]
    expires_at: so.Mapped[datetime]


def new_holder() -> str:
    """``host:pid:nonce``: who holds a lock, and whether it is still alive."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Busy(Exception):
    """Someone else holds the lock."""


class LockLost(Exception):
    """The lock expired and another runner took it: this one must stop."""


@dataclass(frozen=True)
class Lock:
    name: str
    holder: str
    ttl: int

    def renew(self, session: so.Session) -> None:
        check(session, self.name, self.holder, self.ttl)


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def _gone(holder: str) -> bool:
    """Whether the holder is a process of this machine that has ended."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError):
        return False
    return False


def acquire(factory: so.sessionmaker[so.Session], name: str, ttl: int, holder: str | None = None) -> Lock:
    """Take the lock or raise :class:`Busy` naming its holder and when it expires."""
    holder = holder or new_holder()
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    try:
        with transaction(factory) as session:
            row = session.get(SourceLock, name)
            if row is None:
                session.add(SourceLock(name=name, holder=holder, acquired_at=now, expires_at=expires))
                return Lock(name, holder, ttl)
            previous, until = row.holder, aware(row.expires_at)
            if until > now and not _gone(previous) and previous != holder:
                raise Busy(f"{name} is held by {previous} until {until:%Y-%m-%d %H:%M:%S} UTC")
            taken = rowcount(
                session,
                sa.update(SourceLock)
                .where(SourceLock.name == name, SourceLock.holder == previous)
                .values(holder=holder, acquired_at=now, expires_at=expires),
            )
            if taken != 1:
                raise Busy(f"{name} was taken by another runner just now")
    except sqlalchemy.exc.IntegrityError:
        raise Busy(f"{name} was taken by another runner just now") from None
    return Lock(name, holder, ttl)


def check(session: so.Session, name: str, holder: str, ttl: int) -> None:
    """Inside a transaction: still ours? Then renew; else :class:`LockLost` (rolls it back)."""
    renewed = rowcount(
        session,
        sa.update(SourceLock)
        .where(SourceLock.name == name, SourceLock.holder == holder)
        .values(expires_at=utcnow() + timedelta(seconds=ttl)),
    )
    if renewed != 1:
        raise LockLost(f"{name}: the lock expired and another runner took it over")


def renew(factory: so.sessionmaker[so.Session], lock: Lock) -> None:
    with transaction(factory) as session:
        check(session, lock.name, lock.holder, lock.ttl)


def release(factory: so.sessionmaker[so.Session], lock: Lock) -> None:
    with transaction(factory) as session:
        session.execute(sa.delete(SourceLock).where(SourceLock.name == lock.name, SourceLock.holder == lock.holder))


def holder_of(session: so.Session, name: str) -> SourceLock | None:
    row = session.get(SourceLock, name)
    if row is None or aware(row.expires_at) <= utcnow() or _gone(row.holder):
        return None
    return row
