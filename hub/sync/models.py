"""Storage of webhooks: subscriptions and deliveries.

Every table here is bookkeeping *about* records; records themselves are only ever
written by the write path (:mod:`hub.writepath`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import Base, BigInt


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
