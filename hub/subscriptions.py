"""Webhook subscriptions (SPEC 6): the stored subscriptions and deliveries, and the service
behind the API, the console and the CLI: create, list, remove, the delivery log, the
sealed secrets and the signature.

The deliveries themselves are made by the sync engine's deliverer
(:mod:`hub.sync.webhooks`); this module is core, so the doors (API, console, CLI) manage
subscriptions without loading the engine.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from cryptography.fernet import Fernet, InvalidToken

import schemas

from . import cursors
from .models import Base, WriteHead, utcnow
from .representation import rfc3339

BigInt = sa.BigInteger().with_variant(sa.Integer, "sqlite")
SIGNATURE = "X-Hub-Signature-256"


class Subscription(Base):
    """A webhook subscription (SPEC 6), with its position in the change feed."""

    __tablename__ = "webhook_subscriptions"
    id: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(2000))
    kinds: so.Mapped[list[Any]]
    countries: so.Mapped[list[Any]]
    #: the shared secret, sealed with the hub's secret key (HMAC needs it in clear)
    secret: so.Mapped[str] = so.mapped_column(sa.Text)
    #: last change-feed seq handed to a delivery (or skipped by the filters)
    cursor: so.Mapped[int] = so.mapped_column(BigInt)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_by: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[datetime]
    deleted_at: so.Mapped[datetime | None]


class Delivery(Base):
    """One POST of changes to a subscriber, with every attempt in its log."""

    __tablename__ = "webhook_deliveries"
    id: so.Mapped[int] = so.mapped_column(BigInt, primary_key=True, autoincrement=True)
    subscription_id: so.Mapped[str] = so.mapped_column(sa.String(40), sa.ForeignKey("webhook_subscriptions.id"))
    first_seq: so.Mapped[int] = so.mapped_column(BigInt)
    last_seq: so.Mapped[int] = so.mapped_column(BigInt)
    count: so.Mapped[int]
    #: the exact body, so every attempt sends (and signs) the same bytes
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(12))  # pending, delivered, dead
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime | None]
    last_status_code: so.Mapped[int | None]
    last_error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    log: so.Mapped[list[Any]]
    created_at: so.Mapped[datetime]
    delivered_at: so.Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
                      sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"))


class SubscriptionError(ValueError):
    """A subscription that cannot be made; ``status`` for the API (400 or 422)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


# -- signatures and sealed secrets ---------------------------------------------------------

def sign(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value of a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers: is ``header`` the signature of ``body``? (constant time)"""
    return bool(header) and hmac.compare_digest(sign(secret, body), header or "")


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"hub-webhook-secret\0" + key.encode()).digest()))


def seal(key: str, secret: str) -> str:
    """Secrets are needed in clear to sign, so they are encrypted with the hub's secret key."""
    return _fernet(key).encrypt(secret.encode()).decode()


def unseal(key: str, sealed: str) -> str:
    try:
        return _fernet(key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SubscriptionError("the subscription's secret cannot be read: the hub's secret key "
                                "changed since it was made; make the subscription again") from None


# -- subscriptions -----------------------------------------------------------------------------

def create(session: so.Session, key: str, by: str, url: str, kinds: list[str] | None = None,
           countries: list[str] | None = None, secret: str | None = None,
           after: str | None = None) -> tuple[Subscription, str | None]:
    """A new subscription; returns it and the generated secret when none was given.

    It starts after the current end of the change feed, or after the feed cursor ``after``.
    """
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise SubscriptionError("url must be an http or https URL of at most 2,000 characters")
    kinds, countries = list(kinds or []), list(countries or [])
    unknown = sorted(set(kinds) - set(schemas.KINDS))
    if unknown:
        raise SubscriptionError(f"unknown kind(s): {', '.join(unknown)}")
    if not all(isinstance(c, str) and len(c) == 2 and c.isalpha() and c.isupper() for c in countries):
        raise SubscriptionError("countries are ISO 3166-1 alpha-2 codes such as 'VN'")
    generated = None
    if secret is None:
        secret = generated = secrets.token_urlsafe(32)
    elif not 16 <= len(secret) <= 256:
        raise SubscriptionError("secret must be 16 to 256 characters")
    if after is not None:
        try:
            start = cursors.decode(after, int)
        except cursors.BadCursor as exc:
            raise SubscriptionError(f"after: {exc}", 400) from None
    else:
        head = session.get(WriteHead, 1)
        start = head.change_seq if head else 0
    sub = Subscription(id="sub_" + secrets.token_hex(8), url=url, kinds=sorted(set(kinds)),
                       countries=sorted(set(countries)), secret=seal(key, secret), cursor=start,
                       active=True, created_by=by, created_at=utcnow(), deleted_at=None)
    session.add(sub)
    return sub, generated


def listing(session: so.Session) -> list[Subscription]:
    return list(session.scalars(sa.select(Subscription).where(Subscription.active.is_(True))
                                .order_by(Subscription.created_at, Subscription.id)))


def get(session: so.Session, sub_id: str) -> Subscription | None:
    return session.get(Subscription, sub_id) if len(sub_id) <= 40 else None


def remove(session: so.Session, sub_id: str) -> bool:
    """Stop a subscription (its delivery log stays readable); False if unknown."""
    sub = get(session, sub_id)
    if sub is None or not sub.active:
        return False
    sub.active, sub.deleted_at = False, utcnow()
    return True


def deliveries(session: so.Session, sub_id: str, status: str | None = None, limit: int = 50,
               before: int | None = None) -> tuple[list[Delivery], int | None]:
    """The delivery log, newest first; returns the id to continue before."""
    q = sa.select(Delivery).where(Delivery.subscription_id == sub_id)
    if status:
        q = q.where(Delivery.status == status)
    if before is not None:
        q = q.where(Delivery.id < before)
    rows = list(session.scalars(q.order_by(Delivery.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def counts(session: so.Session, sub_id: str) -> dict[str, int]:
    found = dict(session.execute(sa.select(Delivery.status, sa.func.count()).where(
        Delivery.subscription_id == sub_id).group_by(Delivery.status)).all())
    return {s: found.get(s, 0) for s in ("pending", "delivered", "dead")}


def as_dict(sub: Subscription, delivery_counts: dict[str, int] | None = None) -> dict[str, Any]:
    out = {"id": sub.id, "url": sub.url, "kinds": sub.kinds, "countries": sub.countries,
           "active": sub.active, "created_at": rfc3339(sub.created_at), "created_by": sub.created_by,
           "cursor": cursors.encode(sub.cursor)}
    if delivery_counts is not None:
        out["deliveries"] = delivery_counts
    return out


def delivery_dict(d: Delivery) -> dict[str, Any]:
    return {"id": d.id, "subscription": d.subscription_id, "status": d.status, "first_seq": d.first_seq,
            "last_seq": d.last_seq, "count": d.count, "attempts": d.attempts,
            "created_at": rfc3339(d.created_at), "delivered_at": rfc3339(d.delivered_at),
            "next_attempt_at": rfc3339(d.next_attempt_at), "last_status_code": d.last_status_code,
            "last_error": d.last_error, "log": d.log}
