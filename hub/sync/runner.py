"""The sync runner: one run of one source, page by page through the one write path.

For every page the fetcher yields, the runner writes its records with
``hub.writes.write`` (actor ``sync:NAME``) and, *inside that same transaction* (the
write path's ``after`` hook), commits the page's checkpoint, the quarantine rows of the
records the page could not deliver, the pass bookkeeping of snapshot sources and the
run's counts, after checking that it still holds the source's lock. A run killed at any
point therefore resumes at the last committed page: nothing written twice, nothing
skipped (and a record written twice would be ``unchanged`` anyway: the write path is
idempotent on content).

Snapshot sources (csv, json without ``since_param``) end a complete pass with delete
detection (:mod:`.deletes`). Dry runs (:mod:`.dryrun`) write nothing and report what a
run would do, deletions included. Which records not to write is :mod:`.screen`'s call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas

from ..curation import review
from ..operations import logs
from ..records.writepath import NotFound
from ..services import Hub
from ..store import locks, parking, syncruns
from ..store.db import chunks, storable, transaction
from ..store.models import utcnow
from ..store.syncruns import COUNTS, Checkpoint, Quarantine, SyncRun
from .base import WRITE_SOURCE, FetchContext, Fetcher, Source, SourceConfigError
from .deletes import RefusedDeletes, detect
from .dryrun import dry_run
from .http import FetchError, RetryPolicy
from .mapping import ROW_IDS, MappingConfigError
from .pages import Item, Page, scrub
from .progress import Progress
from .readers import SourceError
from .screen import REPEAT, STALE, screen
from .sources import open_fetcher

log = logging.getLogger("hub.sync")
UID_MAX = 160  # a longer "uid" (from an invalid id) is not one: it is kept in the payload only
KNOWN_FAILURES = (FetchError, SourceError, SourceConfigError, MappingConfigError, locks.LockLost)


class Stopped(Exception):
    """The run was asked to stop (scheduler shutdown); it resumes at its checkpoint."""


@dataclass
class RunResult:
    run_id: int
    source: str
    status: str
    counts: dict[str, int]
    seconds: float
    error: str | None = None
    dry_run: bool = False
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def summary(self) -> str:
        rate = self.counts.get("fetched", 0) / self.seconds if self.seconds > 0 else 0.0
        what = "dry run " if self.dry_run else ""
        text = f"{self.source}: {what}{self.status} in {self.seconds:.1f} s ({rate:,.0f} records/s): " + ", ".join(
            f"{k} {self.counts.get(k, 0)}" for k in COUNTS
        )
        return text + (f"\n  error: {self.error}" if self.error else "")


class Runner:
    """Runs one source once. ``run()`` returns a :class:`RunResult`; it raises
    :class:`hub.store.locks.Busy` when another runner holds the source."""

    def __init__(
        self,
        hub: Hub,
        source: Source,
        *,
        trigger: str = "cli",
        dry_run: bool = False,
        restart: bool = False,
        progress: Progress | None = None,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] = time.sleep,
        precheck: Callable[[], bool] | None = None,
    ) -> None:
        self.hub, self.source, self.trigger = hub, source, trigger
        self.dry_run, self.restart = dry_run, restart
        self.progress = progress or Progress(source.name, enabled=False)
        self.stop, self.sleep, self.precheck = stop, sleep, precheck
        settings = hub.settings
        self.policy = RetryPolicy.from_settings(
            settings, timeout=source.timeout, retries=source.retries, budget=source.retry_budget
        )
        self.batch = source.batch_size or settings.sync_batch_size
        self.actor = source.actor
        self.counts: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.report: dict[str, Any] = {"notes": []}
        self.lock: locks.Lock | None = None
        self.run_id = 0
        self.generation: int | None = None  # the pass of a snapshot source
        self.fetcher: Fetcher | None = None
        self._groups: dict[str, str | None] | None = None
        mapping = getattr(source.keys, "mapping", None)
        #: columns never kept: scrubbed from the raw row of what is quarantined (with personal keys)
        self.drop: frozenset[str] = mapping.drop if mapping is not None else frozenset()

    def group_of(self, name: str) -> str | None:
        """A source's ``group`` (KeyError: no such source), from the sources folder, read once."""
        if name == self.source.name:
            return self.source.group
        if self._groups is None:
            from .sources import scan  # the folder is read only when another source's record is met

            found, _ = scan(self.hub.settings.sources_dir)
            self._groups = {n: s.group for n, s in found.items()}
        return self._groups[name]

    # -- the run --------------------------------------------------------------------
    def run(self) -> RunResult | None:
        """One run; ``None`` when ``precheck`` (taken under the lock) says not to run."""
        factory = self.hub.sessions
        self.lock = locks.acquire(factory, f"source:{self.source.name}", self.hub.settings.sync_lock_ttl)
        started = time.monotonic()
        fetcher: Fetcher | None = None
        context = None
        try:
            if self.precheck is not None and not self.precheck():
                return None
            self.run_id = self._start()
            context = logs.bind(sync_run=self.run_id, sync_source=self.source.name)  # on every line of the run
            log.info("sync run started (%s%s)", self.trigger, ", dry run" if self.dry_run else "")
            status, error = "succeeded", None
            try:
                fetcher = open_fetcher(
                    self.source,
                    FetchContext(self.hub.settings.data_dir, self.policy, self.batch, self._heartbeat, self.sleep),
                )
                self._run(fetcher)
            except KNOWN_FAILURES + (Stopped, RefusedDeletes) as exc:
                status, error = "failed", _one_line(exc)
            except KeyboardInterrupt:
                self._finish("failed", "interrupted; the next run resumes at the last checkpoint", fetcher)
                raise
            except Exception as exc:  # noqa: BLE001 - a run must end with a record of why
                log.error("sync run of %s failed: %r", self.source.name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
                status, error = "failed", f"{type(exc).__name__}: {_one_line(exc)}"
            self._finish(status, error, fetcher)
            log.log(
                logging.INFO if status == "succeeded" else logging.WARNING,
                "sync run %s: %s%s",
                status,
                ", ".join(f"{k} {v}" for k, v in self._counts().items() if v) or "nothing fetched",
                f"; error: {error}" if error else "",
            )
            return RunResult(
                self.run_id,
                self.source.name,
                status,
                self._counts(),
                time.monotonic() - started,
                error,
                self.dry_run,
                self.report,
            )
        finally:
            self.progress.close()
            if fetcher is not None:
                fetcher.close()
            try:
                locks.release(factory, self.lock)
            except Exception:  # noqa: BLE001 - the lock expires anyway
                log.warning("could not release %s", self.lock.name)
            if context is not None:
                logs.unbind(context)

    def _run(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        state = self._checkpoint()
        fetcher.begin(state, self.run_id, self.restart or (self.dry_run and fetcher.snapshot))
        if fetcher.note:
            self.report["notes"].append(fetcher.note)
        mapping = getattr(self.source.keys, "mapping", None)
        if mapping is not None and mapping.row_ids:
            self.report["notes"].append(ROW_IDS)
        if fetcher.not_modified:
            return
        if self.dry_run:
            dry_run(
                self.hub,
                self.source,
                fetcher,
                self.counts,
                self.warnings,
                self.report,
                lambda page: self.progress.update(self._counts(), page.progress, page.label),
                self.group_of,
            )
            return
        self.generation = fetcher.state.get("generation") if fetcher.snapshot else None
        for page in fetcher.pages():
            self._page(page)
            log.info("page %s: %s items", page.label, len(page.items))
            self.progress.update(self._counts(), page.progress, page.label)
            if self.stop is not None and self.stop.is_set():
                raise Stopped("stopped on request; the next run resumes at the last checkpoint")
        if self.generation is not None:
            assert self.lock is not None
            detect(self.hub, self.source, self.lock, self.run_id, self.generation, self.counts, self.report)
        with transaction(self.hub.sessions) as session:
            self._bookkeeping(session, fetcher.end_state(), Counter(), [], [], [])
            if fetcher.snapshot and fetcher.state.get("pass_run"):
                session.execute(
                    sa.update(Quarantine)
                    .where(
                        Quarantine.source == self.source.name,
                        Quarantine.resolved_at.is_(None),
                        Quarantine.run_id < fetcher.state["pass_run"],
                    )
                    .values(resolved_at=utcnow(), resolution="superseded")
                )

    # -- one page ---------------------------------------------------------------------
    def _page(self, page: Page) -> None:
        assert self.fetcher is not None
        segments = list(_segments(page.items, split_duplicates=self.fetcher.ordered))
        if not segments:
            self._write([], page.state)
        done = int(page.start.get("done", 0))
        for n, (end, items) in enumerate(segments):
            state = page.state if n == len(segments) - 1 else {**page.start, "done": done + end}
            if items[0].op == "delete":
                self._delete(items[0], state)
            else:
                self._write(items, state)

    def _write(self, items: list[Item], state: dict[str, Any]) -> None:
        assert self.fetcher is not None
        delta: Counter[str] = Counter(fetched=len(items))
        quarantined: list[dict[str, Any]] = []
        seen: list[str] = []
        queued: list[Item] = []
        verdicts = (
            {}
            if self.fetcher.ordered
            else screen(
                self.hub.sessions,
                self.source.name,
                items,
                self.generation,
                self.source.repeats,
                self.group_of,
                self.warnings,
            )
        )
        for item in items:
            verdict = verdicts.get(id(item))
            if item.skipped is not None or verdict == REPEAT:
                delta["skipped"] += 1
                item.skip(self.report)
                if verdict == REPEAT:
                    seen.extend([item.uid] if item.uid else [])
            elif item.errors:
                delta["invalid"] += 1
                quarantined.append(self._quarantine(item, "mapping", item.errors))
                seen.extend([item.uid] if item.uid else [])
            elif verdict == STALE:
                delta["stale"] += 1
                seen.extend([item.uid] if item.uid else [])
            elif isinstance(verdict, dict):
                delta["invalid"] += 1
                quarantined.append(
                    self._quarantine(
                        item, "conflict" if verdict["code"] == "owned_by_other_source" else "duplicate", [verdict]
                    )
                )
                if verdict["code"] == "owned_by_other_source":
                    self.warnings["id owned_by_other_source"] += 1
            else:
                queued.append(item)
        kind = next((i.kind for i in queued if i.kind), None) or self.source.kind or "products"
        warnings: Counter[str] = Counter()
        writes = self.hub.writes
        prepared = writes.prepare(
            self.actor,
            kind,
            [i.record for i in queued],
            findings=[i.flags for i in queued] if any(i.warnings for i in queued) else None,
        )
        with writes.transaction(self.actor, WRITE_SOURCE, submission=f"sync-run:{self.run_id}") as txn:
            outcome = txn.write(prepared)
            written, pending = [], []
            for result in outcome.results:
                item = queued[result.index]
                delta[result.status if result.status != "forbidden" else "invalid"] += 1
                if result.status in ("invalid", "forbidden"):
                    quarantined.append(self._quarantine(item, result.status, result.errors))
                    seen.extend([result.uid] if result.uid else [])
                elif result.uid is not None:
                    written.append(result.uid)
                    seen.append(result.uid)
                    if result.warnings or item.warnings:
                        warnings.update(item.reported(result.status, result.warnings))
                    if result.status in ("created", "updated") and result.review == "pending":
                        pending.append((result.uid, result.version or 0))
            if pending and self.fetcher.trusts_review:  # publish what upstream published, atomically
                review.approve_within(txn, pending, comment=self._published_at())
            self._bookkeeping(txn.session, state, delta, quarantined, written, seen)
        self.counts.update(delta)
        self.warnings.update(warnings)

    def _delete(self, item: Item, state: dict[str, Any]) -> None:
        """A deletion the source announced (hub feeds): a tombstone, when the policy applies it,
        with its approval (trusted upstream) and the bookkeeping in one transaction."""
        assert item.uid is not None and self.fetcher is not None
        delta: Counter[str] = Counter(fetched=1)
        quarantined: list[dict[str, Any]] = []
        country, kind, local = schemas.split_uid(item.uid)
        with self.hub.writes.transaction(self.actor, WRITE_SOURCE) as txn:
            if self.source.deletes != "apply":
                delta["skipped"] += 1
                ignored = self.report.setdefault("deletes_not_applied", {"count": 0, "uids": []})
                ignored["count"] += 1
                if len(ignored["uids"]) < 100:
                    ignored["uids"].append(item.uid)
            else:
                try:
                    out = txn.delete(kind, country, local)
                except NotFound:
                    delta["unchanged"] += 1
                else:
                    if out.status == "forbidden":
                        delta["invalid"] += 1
                        quarantined.append(self._quarantine(item, "forbidden", out.errors))
                    else:
                        delta["deleted" if out.status == "deleted" else "unchanged"] += 1
                        if out.review == "pending" and self.fetcher.trusts_review:
                            try:
                                review.approve_within(txn, [(item.uid, out.version or 0)], self._published_at())
                            except review.ReviewError as exc:  # raised before it changed anything
                                log.info("%s: %s", item.uid, exc)
            self._bookkeeping(txn.session, state, delta, quarantined, [], [])
        self.counts.update(delta)

    def _published_at(self) -> str:
        return f"published at {self.source.where(self.hub.settings.data_dir)}"

    # -- bookkeeping, inside the page's transaction --------------------------------------
    def _bookkeeping(
        self,
        session: so.Session,
        state: dict[str, Any],
        delta: Counter[str],
        quarantined: list[dict[str, Any]],
        written: list[str],
        seen: list[str],
    ) -> None:
        assert self.lock is not None
        locks.check(session, self.lock.name, self.lock.holder, self.lock.ttl)
        now = utcnow()
        name = self.source.name
        for chunk in chunks(sorted(set(written))):  # before this page's own entries go in: a repeat
            session.execute(
                sa.update(Quarantine)
                .where(  # quarantined beside its first delivery stays open
                    Quarantine.source == name, Quarantine.uid.in_(chunk), Quarantine.resolved_at.is_(None)
                )
                .values(resolved_at=now, resolution="written")
            )
        if quarantined:
            session.execute(sa.insert(Quarantine), [{**q, "created_at": now} for q in quarantined])
        if self.generation is not None and seen:
            syncruns.mark_seen(session, name, sorted({u for u in seen if len(u) <= UID_MAX}), self.generation)
        row = session.get(Checkpoint, name)
        if row is None:
            session.add(Checkpoint(source=name, state=state, run_id=self.run_id, updated_at=now))
        else:
            row.state, row.run_id, row.updated_at = state, self.run_id, now
        syncruns.add_counts(session, self.run_id, delta)

    def _quarantine(self, item: Item, status: str, errors: Iterable[dict[str, str]]) -> dict[str, Any]:
        errors = list(errors)
        uid = item.uid if item.uid and len(item.uid) <= UID_MAX else None
        first = errors[0] if errors else {}
        log.info(
            "quarantined %s (%s): %s %s: %s",
            item.locator[:200],
            uid or "no uid",
            status,
            first.get("path", "$"),
            first.get("code", "?"),
        )
        return {
            "source": self.source.name,
            "run_id": self.run_id,
            "locator": item.locator[:200],
            "uid": uid,
            "status": status,
            "payload": storable(scrub(item.raw, self.drop)) if item.raw is not None else {},
            "errors": errors,
            "resolved_at": None,
            "resolution": None,
        }

    def _heartbeat(self, _pause: float) -> None:
        """While waiting to retry, keep the lock (a long Retry-After must not lose it)."""
        if self.lock is not None:
            locks.renew(self.hub.sessions, self.lock)

    # -- run records --------------------------------------------------------------------------
    def _start(self) -> int:
        with transaction(self.hub.sessions) as session:
            session.execute(
                sa.update(SyncRun)
                .where(SyncRun.source == self.source.name, SyncRun.status == "running")
                .values(
                    status="abandoned",
                    finished_at=utcnow(),
                    error="the runner stopped without finishing (killed or crashed); a later run resumed "
                    "at its last checkpoint",
                )
            )
            limit = self.hub.settings.sync_abandoned_max
            if not self.dry_run and parking.is_parked(session, self.source.name, limit):
                refused = parking.refuse(session, self.source.name, self.trigger, limit)
            else:
                refused = None
                run = SyncRun(
                    source=self.source.name,
                    trigger=self.trigger,
                    dry_run=self.dry_run,
                    status="running",
                    holder=self.lock.holder if self.lock else "",
                    started_at=utcnow(),
                    report={},
                    **{k: 0 for k in COUNTS},
                    retries=0,
                )
                session.add(run)
                session.flush()
                run_id = run.id
        if refused is not None:  # committed with the abandonment that parked it
            raise parking.Parked(refused)
        return run_id

    def _checkpoint(self) -> dict[str, Any]:
        with self.hub.sessions() as session:
            row = session.get(Checkpoint, self.source.name)
            return dict(row.state) if row is not None else {}

    def _finish(self, status: str, error: str | None, fetcher: Fetcher | None) -> None:
        if self.warnings:
            self.report["warnings"] = dict(self.warnings.most_common())
        retries = fetcher.retries if fetcher is not None else 0
        with transaction(self.hub.sessions) as session:
            run = session.get(SyncRun, self.run_id)
            assert run is not None
            run.status, run.error, run.finished_at = status, error, utcnow()
            run.report, run.retries = self.report, retries
            if self.dry_run:
                for k in COUNTS:
                    setattr(run, k, self.counts.get(k, 0))

    def _counts(self) -> dict[str, int]:
        return {k: self.counts.get(k, 0) for k in COUNTS}


# -- helpers ------------------------------------------------------------------------------------


def _segments(items: list[Item], *, split_duplicates: bool) -> Iterable[tuple[int, list[Item]]]:
    """Runs of items written in one transaction: upserts of one kind (for feeds, without
    the same record twice: successive versions are written in order); each deletion
    alone. Yields ``(index after the run's last item, items)``."""
    current: list[Item] = []
    uids: set[str] = set()
    kind = None
    for index, item in enumerate(items):
        if item.op == "delete":
            if current:
                yield index, current
            yield index + 1, [item]
            current, uids, kind = [], set(), None
            continue
        breaks = current and (
            (item.record is not None and kind is not None and item.kind != kind)
            or (split_duplicates and item.uid is not None and item.uid in uids)
        )
        if breaks:
            yield index, current
            current, uids, kind = [], set(), None
        current.append(item)
        if item.uid:
            uids.add(item.uid)
        if item.record is not None:
            kind = item.kind
    if current:
        yield len(items), current


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
