"""Prometheus metrics: what each process counts, and what is read from the database.

Counted in the process that does the work (``prometheus_client``):

- ``hub_http_request_duration_seconds{route,method,status}``: latency of each request,
  labelled by the URL rule (``/api/v1/<kind>/batch``), never the raw path;
- ``hub_records_written_total{status,door}``: the write path's per-record results, so
  the API, console, CLI import and sync all count;
- ``hub_read_yield_seconds_total``: time reads waited for a batch holding the write lock
  to commit (setting ``read_yield_ms``).

Read from the database at scrape time (the same whichever process or worker answers,
and covering work done by other processes such as ``hub scheduler``):

- ``hub_sync_runs_total{source,outcome}``, ``hub_sync_last_success_timestamp_seconds{source}``,
  ``hub_sync_quarantine_open{source}``, ``hub_sync_source_parked{source}``;
- ``hub_webhook_backlog{subscription}`` (published changes not yet delivered) and
  ``hub_webhook_dead_letters{subscription}``;
- ``hub_change_feed_head`` (the last sequence number of the change feed).

``prometheus_client`` is imported on first use, not with this module: it decides at
import time whether to run in multiprocess mode (``PROMETHEUS_MULTIPROC_DIR``), and
``hub serve`` sets that variable before the first metric exists (:func:`use_directory`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..store.locks import aware
from ..store.models import Change, WriteHead
from ..store.syncruns import Quarantine, SyncRun
from ..webhooks.subscriptions import Delivery, Subscription

ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the classic text format: every Prometheus version reads it (our names need no escaping)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: seconds; API batches of 1,000 records take up to a few seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

log = logging.getLogger("hub.metrics")
_lock = threading.Lock()
_metrics: dict[str, Any] = {}


def _get(name: str) -> Any:
    """The process's metric ``name``, created on first use (see the module docstring)."""
    metric = _metrics.get(name)
    if metric is None:
        with _lock:
            if not _metrics:
                from prometheus_client import Counter, Histogram

                _metrics["latency"] = Histogram(
                    "hub_http_request_duration_seconds",
                    "Time to answer a request (until the response starts), by URL rule, method and status.",
                    ("route", "method", "status"),
                    buckets=BUCKETS,
                )
                _metrics["read_yield"] = Counter(
                    "hub_read_yield_seconds",
                    "Seconds reads waited for a batch holding the write lock to commit (read_yield_ms).",
                )
                _metrics["written"] = Counter(
                    "hub_records_written",
                    "Records through the write path, by result status and door (api, cli, sync, demo).",
                    ("status", "door"),
                )
            metric = _metrics[name]
    return metric


def prepare() -> None:
    """Create the process's metrics now (imports prometheus_client, opens its files)."""
    _get("latency")


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Record one request; unknown methods are folded into OTHER (bounded cardinality)."""
    _get("latency").labels(route, method if method in METHODS else "OTHER", str(status)).observe(seconds)


def count_read_yield(seconds: float) -> None:
    """Add the time one read waited for the write lock's holder (:mod:`hub.api.admission`)."""
    _get("read_yield").inc(seconds)


def count_written(summary: Mapping[str, int], door: str) -> None:
    """Add one batch's results (``{"created": n, ...}``, other keys ignored)."""
    counter = _get("written")
    for status, n in summary.items():
        if n and status != "total":
            counter.labels(status, door).inc(n)


def use_directory(path: str | Path) -> Path:
    """Multiprocess mode for this process and the ones it forks (gunicorn workers).

    Files of processes that no longer run are removed, as the client library requires
    between server runs; files of live processes that share the folder (a ``hub
    scheduler`` started with the same ``PROMETHEUS_MULTIPROC_DIR``) are kept.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for file in folder.glob("*.db"):
        match = re.search(r"_(\d+)\.db$", file.name)
        if match is None or not _alive(int(match.group(1))):
            file.unlink(missing_ok=True)
    os.environ[ENV] = str(folder)
    if "prometheus_client.values" in sys.modules and not _metrics:  # imported early by a library
        from prometheus_client import values

        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]  # untyped in prometheus-client
    return folder


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a previous process that had our pid: its files are stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exposition(factory: so.sessionmaker[so.Session], abandoned_max: int = 3) -> tuple[bytes, str]:
    """The text format of every metric: this process's (or all workers'), then the database's."""
    from prometheus_client import REGISTRY, CollectorRegistry, generate_latest

    _get("latency")  # the families exist (with no samples) before the first request
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped in prometheus-client
        own = generate_latest(registry)
    else:
        own = generate_latest(REGISTRY)
    return own + generate_latest(DatabaseCollector(factory, abandoned_max)), CONTENT_TYPE


class DatabaseCollector:
    """Gauges and counters computed from the database at each scrape (a few grouped queries)."""

    def __init__(self, factory: so.sessionmaker[so.Session], abandoned_max: int = 3) -> None:
        self.factory, self.abandoned_max = factory, abandoned_max

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        try:
            families = list(self._families())
        except sa.exc.SQLAlchemyError as exc:
            log.warning("metrics: database not readable: %s", " ".join(str(exc).split())[:300])
            families = []
        yield GaugeMetricFamily(
            "hub_database_up",
            "1 when the metrics below could be read from the database, else 0.",
            value=1 if families else 0,
        )
        yield from families

    def _families(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        with self.factory() as session:
            runs = CounterMetricFamily(
                "hub_sync_runs",
                "Finished sync runs (not dry runs), by source and outcome (succeeded, failed, abandoned).",
                labels=("source", "outcome"),
            )
            for source, status, n in session.execute(
                sa.select(SyncRun.source, SyncRun.status, sa.func.count())
                .where(SyncRun.dry_run.is_(False), SyncRun.status != "running")
                .group_by(SyncRun.source, SyncRun.status)
            ):
                runs.add_metric((source, status), n)
            yield runs
            last = GaugeMetricFamily(
                "hub_sync_last_success_timestamp_seconds",
                "When the last successful run of each source finished (Unix time).",
                labels=("source",),
            )
            for source, at in session.execute(
                sa.select(SyncRun.source, sa.func.max(SyncRun.finished_at))
                .where(SyncRun.dry_run.is_(False), SyncRun.status == "succeeded")
                .group_by(SyncRun.source)
            ):
                if at is not None:
                    last.add_metric((source,), _unix(at))
            yield last
            quarantine = GaugeMetricFamily(
                "hub_sync_quarantine_open",
                "Records a source delivered that the hub could not accept, not yet resolved.",
                labels=("source",),
            )
            for source, n in session.execute(
                sa.select(Quarantine.source, sa.func.count())
                .where(Quarantine.resolved_at.is_(None))
                .group_by(Quarantine.source)
            ):
                quarantine.add_metric((source,), n)
            yield quarantine
            from ..store import parking

            parked = GaugeMetricFamily(
                "hub_sync_source_parked",
                "1 for a source parked after "
                "sync_abandoned_max abandoned runs in a row (not run until "
                "'hub sync release').",
                labels=("source",),
            )
            for name in parking.parked_sources(session, self.abandoned_max):
                parked.add_metric((name,), 1)
            yield parked
            yield from _webhooks(session, Subscription, Delivery)
            head = session.get(WriteHead, 1)
            yield GaugeMetricFamily(
                "hub_change_feed_head",
                "Sequence number of the last published change.",
                value=head.change_seq if head else 0,
            )


def _webhooks(session: so.Session, subscription: Any, delivery: Any) -> Iterator[Any]:
    from prometheus_client.core import GaugeMetricFamily

    backlog = GaugeMetricFamily(
        "hub_webhook_backlog",
        "Published changes a subscription has not received yet: claimed into pending deliveries, or not claimed yet.",
        labels=("subscription",),
    )
    dead = GaugeMetricFamily(
        "hub_webhook_dead_letters",
        "Deliveries given up after every attempt (kept with their body; see the delivery log).",
        labels=("subscription",),
    )
    head = session.get(WriteHead, 1)
    end = head.change_seq if head else 0
    per_status: dict[tuple[str, str], int] = {
        (sub, status): n
        for sub, status, n in session.execute(
            sa.select(
                delivery.subscription_id,
                delivery.status,
                sa.func.coalesce(sa.func.sum(sa.case((delivery.status == "pending", delivery.count), else_=1)), 0),
            ).group_by(delivery.subscription_id, delivery.status)
        )
    }
    for sub in session.scalars(sa.select(subscription).where(subscription.active.is_(True)).order_by(subscription.id)):
        waiting = 0
        if sub.cursor < end:
            q = sa.select(sa.func.count()).select_from(Change).where(Change.seq > sub.cursor, Change.seq <= end)
            if sub.kinds:
                q = q.where(Change.kind.in_(sub.kinds))
            if sub.countries:
                q = q.where(Change.country.in_(sub.countries))
            waiting = session.scalar(q) or 0
        backlog.add_metric((sub.id,), waiting + per_status.get((sub.id, "pending"), 0))
        dead.add_metric((sub.id,), per_status.get((sub.id, "dead"), 0))
    yield backlog
    yield dead


def _unix(at: Any) -> float:
    return aware(at).timestamp()
