"""Webhooks (SPEC 6): the deliverer: signed deliveries, retries, dead letters, the log.

Subscriptions and their deliveries are core (:mod:`hub.webhooks.subscriptions`); this module only
delivers. Deliveries are driven by the change feed, not by hooks in the write path: each
subscription keeps a cursor (the last feed ``seq`` it has taken), and the deliverer
claims the next published changes that match its kinds and countries into a
:class:`~hub.webhooks.subscriptions.Delivery` (claim and cursor move in one transaction, so no
change is lost or claimed twice), then POSTs ``{"changes": [...]}`` with ``X-Hub-Timestamp`` (Unix seconds, new on
every attempt), ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of "<timestamp>." + body
with the secret>``, ``X-Hub-Delivery`` (the delivery id: the same on every retry, for
receivers to drop duplicates) and ``X-Hub-Subscription`` (the subscription id).

Before every attempt the URL is checked again and its host resolved
(:mod:`hub.webhooks.destinations`), and the POST goes to the address that passed: a name that
now points inside the network is refused (the attempt fails and is retried), and
redirects are not followed.

A delivery that fails (no answer, a timeout, a status other than 2xx) is retried with
exponential backoff and jitter (``Retry-After`` honoured), in order: later changes wait.
After ``webhook_attempts`` tries it is dead-lettered (kept with its body and its log) and
the subscription moves on. Delivery is at least once. Every attempt is in the delivery
log (``GET /api/v1/subscriptions/{id}/deliveries``).
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable

import certifi
import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so
import urllib3

from ..records.representation import rfc3339
from ..services import Hub
from ..store import locks
from ..store.db import transaction
from ..store.models import Change, WriteHead, utcnow
from ..webhooks.destinations import Destination, Resolver, literal
from ..webhooks.subscriptions import (
    SIGNATURE,
    TIMESTAMP,
    Delivery,
    Subscription,
    SubscriptionError,
    check_destination,
    listing,
    sign,
    unseal,
)
from .http import retry_after

log = logging.getLogger("hub.webhooks")
MAX_PER_RUN = 50  # deliveries per subscription per deliverer run (keeps a tick bounded)


#: ``post(destination, body, headers, timeout) -> (status, Retry-After)``; tests hand in their own.
Post = Callable[[Destination, bytes, dict[str, str], float], tuple[int, str | None]]


def pinned_post(
    dest: Destination, body: bytes, headers: dict[str, str], timeout: float, ca_file: str | None = None
) -> tuple[int, str | None]:
    """POST to the address that passed the check (never a fresh lookup of the name), with
    the URL's host in ``Host`` and, over https, in SNI and the certificate check (against
    ``ca_file``, default certifi's bundle). No redirects are followed, no proxy from the
    environment is used, no retries here."""
    pool: urllib3.HTTPConnectionPool
    wait = urllib3.Timeout(connect=timeout, read=timeout)
    if dest.scheme == "https":
        named = literal(dest.host) is None
        pool = urllib3.HTTPSConnectionPool(
            str(dest.address),
            dest.port,
            timeout=wait,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_file or certifi.where(),
            server_hostname=dest.host if named else None,
            assert_hostname=dest.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(str(dest.address), dest.port, timeout=wait, retries=False)
    try:
        resp = pool.urlopen(
            "POST",
            dest.target,
            body=body,
            headers={**headers, "Host": dest.host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            return resp.status, resp.headers.get("Retry-After")
        finally:
            resp.close()  # the answer's body is never read: a receiver cannot stall the deliverer
    finally:
        pool.close()


class Deliverer:
    """Delivers what is due for every active subscription (the scheduler calls :meth:`run`)."""

    def __init__(
        self,
        hub: Hub,
        *,
        post: Post | None = None,
        clock: Callable[[], datetime] = utcnow,
        resolver: Resolver | None = None,
    ) -> None:
        s = hub.settings
        self.hub, self.clock, self.resolver = hub, clock, resolver
        self.post: Post = post or functools.partial(pinned_post, ca_file=s.webhook_ca_file or None)
        self.attempts, self.timeout, self.batch = s.webhook_attempts, s.webhook_timeout, s.webhook_batch
        self.base, self.cap = s.webhook_backoff_ms / 1000, s.webhook_backoff_max_ms / 1000

    def run(self) -> Counter[str]:
        """One pass over the subscriptions: returns counts of delivered, retrying, dead."""
        done: Counter[str] = Counter()
        with self.hub.sessions() as session:
            ids = [s.id for s in listing(session, everyone=True)]
        for sub_id in ids:
            try:
                lock = locks.acquire(self.hub.sessions, f"webhook:{sub_id}", max(60, self.timeout * 6))
            except locks.Busy:
                continue  # another scheduler delivers this one now
            try:
                done.update(self._subscription(sub_id, lock))
            finally:
                locks.release(self.hub.sessions, lock)
        return done

    def close(self) -> None:
        """Nothing is kept open between attempts (each connects to its freshly checked address)."""

    def _subscription(self, sub_id: str, lock: locks.Lock) -> Counter[str]:
        done: Counter[str] = Counter()
        for _ in range(MAX_PER_RUN):
            with transaction(self.hub.sessions) as session:
                locks.check(session, lock.name, lock.holder, lock.ttl)
                sub = session.get(Subscription, sub_id)
                if sub is None or not sub.active:
                    break
                delivery = session.scalar(
                    sa.select(Delivery)
                    .where(Delivery.subscription_id == sub_id, Delivery.status == "pending")
                    .order_by(Delivery.id)
                    .limit(1)
                )
                if delivery is None:
                    delivery = _claim(session, sub, self.batch, self.clock())
                    if delivery is None:
                        break
                if delivery.next_attempt_at is not None and _aware(delivery.next_attempt_at) > self.clock():
                    break
                job = (delivery.id, delivery.body, sub.id, sub.url, sub.secret)
            outcome = self._attempt(*job)
            done[outcome] += 1
            if outcome == "retrying":
                break
        return done

    def _attempt(self, delivery_id: int, body: str, sub_id: str, url: str, sealed: str) -> str:
        data = body.encode()
        status, error, wait = None, None, None
        started = time.monotonic()
        try:
            secret = unseal(self.hub.settings.secret_key, sealed)
            dest = check_destination(self.hub.settings, url, self.resolver)  # again: names move
            stamp = int(self.clock().timestamp())
            status, after = self.post(
                dest,
                data,
                {
                    "Content-Type": "application/json",
                    TIMESTAMP: str(stamp),
                    SIGNATURE: sign(secret, data, stamp),
                    "X-Hub-Delivery": str(delivery_id),
                    "X-Hub-Subscription": sub_id,
                    "User-Agent": "ovop-exchange-hub webhooks",
                },
                self.timeout,
            )
            if not 200 <= status < 300:
                error = f"HTTP {status}"
                wait = retry_after(after)
        except SubscriptionError as exc:
            error = str(exc)
        except urllib3.exceptions.TimeoutError:
            error = f"no answer within {self.timeout} s"
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        ms = int((time.monotonic() - started) * 1000)
        now = self.clock()
        with transaction(self.hub.sessions) as session:
            d = session.get(Delivery, delivery_id)
            assert d is not None
            d.attempts += 1
            entry = {"attempt": len(d.log) + 1, "at": rfc3339(now), "status": status, "error": error, "ms": ms}
            d.log = [*d.log, entry]
            d.last_status_code, d.last_error = status, error
            if error is None:
                d.status, d.delivered_at, d.next_attempt_at = "delivered", now, None
                return "delivered"
            if d.attempts >= self.attempts:
                d.status, d.next_attempt_at = "dead", None
                log.warning("webhook delivery %s dead after %s attempts: %s", delivery_id, d.attempts, error)
                return "dead"
            pause = min(self.cap, wait) if wait is not None else self._backoff(d.attempts)
            d.next_attempt_at = now + timedelta(seconds=pause)
            return "retrying"

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


def _claim(session: so.Session, sub: Subscription, batch: int, now: datetime) -> Delivery | None:
    """Take the next matching changes into a new delivery and move the cursor past them."""
    head = session.get(WriteHead, 1)
    end = head.change_seq if head else 0
    q = sa.select(Change.seq, Change.kind, Change.uid, Change.op, Change.version, Change.record).where(
        Change.seq > sub.cursor, Change.seq <= end
    )
    if sub.kinds:
        q = q.where(Change.kind.in_(sub.kinds))
    if sub.countries:
        q = q.where(Change.country.in_(sub.countries))
    rows = session.execute(q.order_by(Change.seq).limit(batch)).all()
    if not rows:
        sub.cursor = end
        return None
    sub.cursor = rows[-1].seq if len(rows) == batch else end
    changes = [
        {
            "seq": r.seq,
            "kind": r.kind,
            "uid": r.uid,
            "op": r.op,
            "version": r.version,
            "record": orjson.Fragment(r.record),
        }
        for r in rows
    ]
    delivery = Delivery(
        subscription_id=sub.id,
        first_seq=rows[0].seq,
        last_seq=rows[-1].seq,
        count=len(rows),
        body=orjson.dumps({"changes": changes}).decode(),
        status="pending",
        attempts=0,
        next_attempt_at=None,
        last_status_code=None,
        last_error=None,
        log=[],
        created_at=now,
        delivered_at=None,
    )
    session.add(delivery)
    session.flush()
    return delivery


def _aware(at: datetime) -> datetime:
    return locks.aware(at)
