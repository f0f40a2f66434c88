"""Webhook subscriptions (SPEC 6): the stored subscriptions and deliveries, and the service
behind the API, the console and the CLI: create, list, remove, replay dead letters, the
delivery log, the sealed secrets and the signature.

A subscription belongs to the partner system (OAuth client) that created it: the API
shows a client its own subscriptions only; staff (console) and the operator (CLI) see
all. Creating, removing and replaying are audited. The deliveries themselves are made by
the sync engine's deliverer (:mod:`hub.sync.webhooks`); this module is core, so the
doors manage subscriptions without loading the engine.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from cryptography.fernet import Fernet, InvalidToken

import schemas

from ..config import Settings
from ..records import cursors
from ..store import audit
from ..store.models import Base, WriteHead, utcnow
from . import destinations

BigInt = sa.BigInteger().with_variant(sa.Integer, "sqlite")
SIGNATURE = "X-Hub-Signature-256"
TIMESTAMP = "X-Hub-Timestamp"
#: how far a receiver should accept X-Hub-Timestamp from its own clock (docs/partner-guide.md)
TOLERANCE = 300
STATES = ("pending", "delivered", "dead")


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
    #: the OAuth client that owns it (only it sees it in the API); None: made by the
    #: operator, seen in the console and the CLI only
    owner: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    created_at: so.Mapped[datetime]
    deleted_at: so.Mapped[datetime | None]

    __table_args__ = (sa.Index("ix_webhook_subscriptions_owner", "owner", "created_at"),)


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
    #: when its dead letter was last put back in line (``attempts`` then counts from 0)
    replayed_at: so.Mapped[datetime | None]

    __table_args__ = (
        sa.Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class SubscriptionError(ValueError):
    """A subscription that cannot be made; ``status`` for the API (400 or 422)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


# -- signatures and sealed secrets ---------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Hub-Signature-256`` value: HMAC-SHA256 of ``"<timestamp>." + body``.

    The timestamp (``X-Hub-Timestamp``, Unix seconds) is signed with the body, so a
    captured delivery replayed later fails the receiver's freshness check.
    """
    message = str(int(timestamp)).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    timestamp: str | None,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> bool:
    """For receivers: is ``header`` the signature of ``timestamp`` and ``body``, and is the
    timestamp within ``tolerance`` seconds of ``now``? (constant-time comparison)"""
    if not header or not timestamp or not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        return False
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, int(timestamp)).encode(), header.encode())


def _fernet(key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"hub-webhook-secret\0" + key.encode()).digest()))


def seal(key: str, secret: str) -> str:
    """Secrets are needed in clear to sign, so they are encrypted with the hub's secret key."""
    return _fernet(key).encrypt(secret.encode()).decode()


def unseal(key: str, sealed: str) -> str:
    try:
        return _fernet(key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise SubscriptionError(
            "the subscription's secret cannot be read: the hub's secret key "
            "changed since it was made; make the subscription again"
        ) from None


# -- subscriptions -----------------------------------------------------------------------------


def check_destination(
    settings: Settings, url: str, resolver: destinations.Resolver | None = None
) -> destinations.Destination:
    """The URL rules and the address check of :mod:`hub.webhooks.destinations`, under the settings."""
    try:
        return destinations.resolve(
            url, settings.webhook_allow_http, destinations.networks(settings.webhook_allowed_networks), resolver
        )
    except destinations.DestinationError as exc:
        raise SubscriptionError(str(exc)) from None


def create(
    session: so.Session,
    settings: Settings,
    by: str,
    url: str,
    kinds: list[str] | None = None,
    countries: list[str] | None = None,
    secret: str | None = None,
    after: str | None = None,
    owner: str | None = None,
    resolver: destinations.Resolver | None = None,
) -> tuple[Subscription, str | None]:
    """A new subscription of ``owner`` (a client id; None: the operator's), audited;
    returns it and the generated secret when none was given.

    It starts after the current end of the change feed, or after the feed cursor ``after``.
    """
    _url_syntax(settings, url)
    kinds, countries = _kinds(kinds), _countries(countries)
    generated = None
    if secret is None:
        secret = generated = secrets.token_urlsafe(32)
    _secret(secret)
    if after is not None:
        try:
            start = cursors.decode(after, int)
        except cursors.BadCursor as exc:
            raise SubscriptionError(f"after: {exc}", 400) from None
    else:
        head = session.get(WriteHead, 1)
        start = head.change_seq if head else 0
    check_destination(settings, url, resolver)  # last: it may look the host up
    sub = Subscription(
        id="sub_" + secrets.token_hex(8),
        url=url,
        kinds=kinds,
        countries=countries,
        secret=seal(settings.secret_key, secret),
        cursor=start,
        active=True,
        created_by=by,
        owner=owner,
        created_at=utcnow(),
        deleted_at=None,
    )
    session.add(sub)
    audit.record(
        session,
        by,
        "subscription.create",
        f"subscription:{sub.id}",
        {"url": _shown(url), "kinds": sub.kinds, "countries": sub.countries, "owner": owner, "cursor": start},
    )
    return sub, generated


def change(
    session: so.Session,
    settings: Settings,
    sub_id: str,
    by: str,
    owner: str | None = None,
    everyone: bool = False,
    *,
    url: str | None = None,
    kinds: list[str] | None = None,
    countries: list[str] | None = None,
    secret: str | None = None,
    resolver: destinations.Resolver | None = None,
) -> Subscription:
    """Change an active subscription's URL, filters or secret (what is None stays), audited
    with the names of the fields changed (never the secret). Its feed position stays:
    pending deliveries go to the new URL, signed with the new secret."""
    sub = get(session, sub_id, owner, everyone)
    if sub is None or not sub.active:
        raise LookupError(f"no active subscription {sub_id}")
    if url is None and kinds is None and countries is None and secret is None:
        raise SubscriptionError("nothing to change: give url, kinds, countries or secret")
    changed: dict[str, Any] = {}
    if url is not None:
        _url_syntax(settings, url)
    if kinds is not None:
        changed["kinds"] = _kinds(kinds)
    if countries is not None:
        changed["countries"] = _countries(countries)
    if secret is not None:
        _secret(secret)
    if url is not None:
        check_destination(settings, url, resolver)
        sub.url = changed["url"] = url
    for name in ("kinds", "countries"):
        if name in changed:
            setattr(sub, name, changed[name])
    if secret is not None:
        sub.secret = seal(settings.secret_key, secret)
    detail = {k: (_shown(v) if k == "url" else v) for k, v in changed.items()}
    audit.record(
        session, by, "subscription.change", f"subscription:{sub.id}", {**detail, "secret_changed": secret is not None}
    )
    return sub


def _url_syntax(settings: Settings, url: str) -> None:
    try:
        destinations.check_url(url, settings.webhook_allow_http)
    except destinations.DestinationError as exc:
        raise SubscriptionError(str(exc)) from None


def _kinds(kinds: list[str] | None) -> list[str]:
    unknown = sorted(set(kinds or []) - set(schemas.KINDS))
    if unknown:
        raise SubscriptionError(f"unknown kind(s): {', '.join(unknown)}")
    return sorted(set(kinds or []))


def _countries(countries: list[str] | None) -> list[str]:
    if not all(isinstance(c, str) and len(c) == 2 and c.isalpha() and c.isupper() for c in countries or []):
        raise SubscriptionError("countries are ISO 3166-1 alpha-2 codes such as 'VN'")
    return sorted(set(countries or []))


def _secret(secret: str) -> None:
    if not 16 <= len(secret) <= 256:
        raise SubscriptionError("secret must be 16 to 256 characters")


def _shown(url: str) -> str:
    """The URL as the audit log keeps it: without its query (which may hold a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def listing(session: so.Session, owner: str | None = None, everyone: bool = False) -> list[Subscription]:
    """Active subscriptions: of ``owner``, or all of them with ``everyone`` (staff, operator)."""
    q = sa.select(Subscription).where(Subscription.active.is_(True))
    if not everyone:
        q = q.where(Subscription.owner == owner) if owner is not None else q.where(sa.false())
    return list(session.scalars(q.order_by(Subscription.created_at, Subscription.id)))


def get(session: so.Session, sub_id: str, owner: str | None = None, everyone: bool = False) -> Subscription | None:
    """A subscription (also a removed one) if ``owner`` owns it or ``everyone``; else None,
    so a client cannot tell another's subscription from one that does not exist."""
    sub = session.get(Subscription, sub_id) if len(sub_id) <= 40 else None
    if sub is None or everyone or (owner is not None and sub.owner == owner):
        return sub
    return None


def remove(session: so.Session, sub_id: str, by: str, owner: str | None = None, everyone: bool = False) -> bool:
    """Stop a subscription (its delivery log stays readable), audited; False if unknown
    (or not the owner's)."""
    sub = get(session, sub_id, owner, everyone)
    if sub is None or not sub.active:
        return False
    sub.active, sub.deleted_at = False, utcnow()
    audit.record(
        session, by, "subscription.delete", f"subscription:{sub.id}", {"url": _shown(sub.url), "owner": sub.owner}
    )
    return True


def replay(session: so.Session, sub_id: str, by: str, owner: str | None = None, everyone: bool = False) -> list[int]:
    """Put a subscription's dead letters back in line, oldest first, audited; their ids.

    The deliverer sends a subscription's pending deliveries in id order, so the replayed
    ones go out in their original order, before any delivery claimed after them. Each
    gets a fresh round of ``webhook_attempts`` tries; its log keeps the earlier attempts.
    """
    sub = get(session, sub_id, owner, everyone)
    if sub is None:
        raise LookupError(f"no subscription {sub_id}")
    if not sub.active:
        raise SubscriptionError(f"{sub_id} was removed: there is nothing to deliver to")
    dead = list(
        session.scalars(
            sa.select(Delivery)
            .where(Delivery.subscription_id == sub_id, Delivery.status == "dead")
            .order_by(Delivery.id)
            .with_for_update()
        )
    )
    if not dead:
        return []
    now = utcnow()
    for d in dead:
        d.status, d.attempts, d.next_attempt_at, d.replayed_at = "pending", 0, None, now
    ids = [d.id for d in dead]
    audit.record(
        session,
        by,
        "subscription.replay",
        f"subscription:{sub_id}",
        {"deliveries": ids, "changes": sum(d.count for d in dead)},
    )
    return ids


def deliveries(
    session: so.Session, sub_id: str, status: str | None = None, limit: int = 50, before: int | None = None
) -> tuple[list[Delivery], int | None]:
    """The delivery log, newest first; returns the id to continue before."""
    q = sa.select(Delivery).where(Delivery.subscription_id == sub_id)
    if status:
        q = q.where(Delivery.status == status)
    if before is not None:
        q = q.where(Delivery.id < before)
    rows = list(session.scalars(q.order_by(Delivery.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def counts(session: so.Session, sub_id: str) -> dict[str, int]:
    found = dict(
        session.execute(
            sa.select(Delivery.status, sa.func.count())
            .where(Delivery.subscription_id == sub_id)
            .group_by(Delivery.status)
        ).all()
    )
    return {s: found.get(s, 0) for s in STATES}


@dataclass(frozen=True)
class Overview:
    """A subscription as the doors show it (``hub.shapes.Subscription``): with its
    deliveries counted by state, and the secret the hub generated, only in the answer to
    a creation that gave none."""

    subscription: Subscription
    deliveries: dict[str, int] | None = None
    secret: str | None = None


def overview(session: so.Session, sub: Subscription) -> Overview:
    return Overview(sub, counts(session, sub.id))
