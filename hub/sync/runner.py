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
detection: records the source delivered in earlier passes but not in this one are
reported (``deletes = "report"``), or deleted (``"apply"``, refused beyond
``max_deletes``), or ignored (``"never"``). Dry runs write nothing and report what a run
would do, deletions included.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas

from .. import logs, review
from ..db import storable, transaction
from ..models import Record, Revision, utcnow
from ..services import Hub
from ..writepath import NotFound, input_hash
from . import locks
from .files import CsvFetcher
from .federation import HubFetcher
from .http import FetchError, Http, RetryPolicy
from .mapping import MappingConfigError
from .models import Checkpoint, Quarantine, SourceItem, SyncRun
from .pages import Item, Page
from .progress import Progress
from .readers import SourceError
from .rest import JsonFetcher
from .sources import Source, SourceConfigError

log = logging.getLogger("hub.sync")
COUNTS = ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "skipped", "stale")
WRITE_SOURCE = "sync"  # Revision.source; the actor (sync:NAME) names the source
UID_MAX = 160  # a longer "uid" (from an invalid id) is not one: it is kept in the payload only
KNOWN_FAILURES = (FetchError, SourceError, SourceConfigError, MappingConfigError, locks.LockLost)


class Stopped(Exception):
    """The run was asked to stop (scheduler shutdown); it resumes at its checkpoint."""


class RefusedDeletes(Exception):
    """Delete detection found more deletions than ``max_deletes`` allows."""


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
        text = (f"{self.source}: {what}{self.status} in {self.seconds:.1f} s ({rate:,.0f} records/s): "
                + ", ".join(f"{k} {self.counts.get(k, 0)}" for k in COUNTS))
        return text + (f"\n  error: {self.error}" if self.error else "")


def fetcher_for(source: Source, hub: Hub, policy: RetryPolicy, batch: int, *,
                on_wait: Callable[[float], None] | None = None, sleep: Callable[[float], None] = time.sleep) -> Any:
    if source.type == "hub":
        return HubFetcher(source, policy, batch, on_wait=on_wait, sleep=sleep)
    http = Http(policy, on_wait=on_wait, sleep=sleep)
    if source.type == "json":
        return JsonFetcher(source, http)
    return CsvFetcher(source, hub.settings.data_dir, http, batch)


class Runner:
    """Runs one source once. ``run()`` returns a :class:`RunResult`; it raises
    :class:`hub.sync.locks.Busy` when another runner holds the source."""

    def __init__(self, hub: Hub, source: Source, *, trigger: str = "cli", dry_run: bool = False,
                 restart: bool = False, progress: Progress | None = None,
                 stop: threading.Event | None = None, sleep: Callable[[float], None] = time.sleep,
                 precheck: Callable[[], bool] | None = None) -> None:
        self.hub, self.source, self.trigger = hub, source, trigger
        self.dry_run, self.restart = dry_run, restart
        self.progress = progress or Progress(source.name, enabled=False)
        self.stop, self.sleep, self.precheck = stop, sleep, precheck
        settings = hub.settings
        self.policy = RetryPolicy.from_settings(settings, timeout=source.timeout, retries=source.retries,
                                                budget=source.retry_budget)
        self.batch = source.batch_size or settings.sync_batch_size
        self.actor = source.actor
        self.counts: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.report: dict[str, Any] = {"notes": []}
        self.lock: locks.Lock | None = None
        self.run_id = 0
        self.generation: int | None = None

    # -- the run --------------------------------------------------------------------
    def run(self) -> RunResult | None:
        """One run; ``None`` when ``precheck`` (taken under the lock) says not to run."""
        factory = self.hub.sessions
        self.lock = locks.acquire(factory, f"source:{self.source.name}", self.hub.settings.sync_lock_ttl)
        started = time.monotonic()
        fetcher = None
        context = None
        try:
            if self.precheck is not None and not self.precheck():
                return None
            self.run_id = self._start()
            context = logs.bind(sync_run=self.run_id, sync_source=self.source.name)  # on every line of the run
            log.info("sync run started (%s%s)", self.trigger, ", dry run" if self.dry_run else "")
            status, error = "succeeded", None
            try:
                fetcher = fetcher_for(self.source, self.hub, self.policy, self.batch,
                                      on_wait=self._heartbeat, sleep=self.sleep)
                self._run(fetcher)
            except KNOWN_FAILURES + (Stopped, RefusedDeletes) as exc:
                status, error = "failed", _one_line(exc)
            except KeyboardInterrupt:
                self._finish("failed", "interrupted; the next run resumes at the last checkpoint", fetcher)
                raise
            except Exception as exc:  # noqa: BLE001 - a run must end with a record of why
                log.error("sync run of %s failed: %r", self.source.name, exc,
                          exc_info=log.isEnabledFor(logging.DEBUG))
                status, error = "failed", f"{type(exc).__name__}: {_one_line(exc)}"
            self._finish(status, error, fetcher)
            log.log(logging.INFO if status == "succeeded" else logging.WARNING, "sync run %s: %s%s", status,
                    ", ".join(f"{k} {v}" for k, v in self._counts().items() if v) or "nothing fetched",
                    f"; error: {error}" if error else "")
            return RunResult(self.run_id, self.source.name, status, self._counts(),
                             time.monotonic() - started, error, self.dry_run, self.report)
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

    def _run(self, fetcher: Any) -> None:
        state = self._checkpoint()
        fetcher.begin(state, self.run_id, self.restart or (self.dry_run and fetcher.snapshot))
        if fetcher.note:
            self.report["notes"].append(fetcher.note)
        if fetcher.not_modified:
            return
        if self.dry_run:
            self._dry_run(fetcher)
            return
        self.generation = fetcher.state.get("generation")
        for page in fetcher.pages():
            self._page(page)
            log.info("page %s: %s items", page.label, len(page.items))
            self.progress.update(self._counts(), page.progress, page.label)
            if self.stop is not None and self.stop.is_set():
                raise Stopped("stopped on request; the next run resumes at the last checkpoint")
        if fetcher.snapshot:
            self._detect_deletes()
        with transaction(self.hub.sessions) as session:
            self._bookkeeping(session, fetcher.end_state(), Counter(), [], [], [])
            if fetcher.snapshot and fetcher.state.get("pass_run"):
                session.execute(sa.update(Quarantine).where(
                    Quarantine.source == self.source.name, Quarantine.resolved_at.is_(None),
                    Quarantine.run_id < fetcher.state["pass_run"]).values(
                    resolved_at=utcnow(), resolution="superseded"))

    # -- one page ---------------------------------------------------------------------
    def _page(self, page: Page) -> None:
        segments = list(_segments(page.items, split_duplicates=self.source.type == "hub"))
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
        delta: Counter[str] = Counter(fetched=len(items))
        quarantined: list[dict[str, Any]] = []
        seen: list[str] = []
        queued: list[Item] = []
        verdicts = self._screen(items)
        for item in items:
            verdict = verdicts.get(id(item))
            if item.skipped is not None:
                delta["skipped"] += 1
            elif item.errors:
                delta["invalid"] += 1
                quarantined.append(self._quarantine(item, "mapping", item.errors))
                seen.extend([item.uid] if item.uid else [])
            elif verdict == "stale":
                delta["stale"] += 1
                seen.append(item.uid)  # type: ignore[arg-type]
            elif verdict is not None:
                delta["invalid"] += 1
                quarantined.append(self._quarantine(item, "duplicate", [verdict]))
            else:
                queued.append(item)
        kind = next((i.kind for i in queued if i.kind), None) or self.source.kind or "products"
        warnings: Counter[str] = Counter()

        writes = self.hub.writes
        prepared = writes.prepare(self.actor, kind, [i.record for i in queued])
        with writes.transaction(self.actor, WRITE_SOURCE, submission=f"sync-run:{self.run_id}") as txn:
            outcome = txn.write(prepared)
            written, pending = [], []
            for result in outcome.results:
                item = queued[result.index]
                delta[result.status if result.status != "forbidden" else "invalid"] += 1
                if result.status in ("invalid", "forbidden"):
                    quarantined.append(self._quarantine(item, result.status, result.errors))
                    seen.extend([result.uid] if result.uid else [])
                else:
                    written.append(result.uid)
                    seen.append(result.uid)
                    warnings.update(f"{w['path']} {w['code']}" for w in result.warnings)
                    if result.status in ("created", "updated") and result.review == "pending":
                        pending.append((result.uid, result.version))
            if pending and self._trusting():  # publish what the remote hub published, atomically
                review.approve_within(txn, pending, comment=f"published at {self.source.url}")
            self._bookkeeping(txn.session, state, delta, quarantined, written, seen)
        self.counts.update(delta)
        self.warnings.update(warnings)

    def _screen(self, items: list[Item]) -> dict[int, str]:
        """Records not to write: older than what the hub has (``stale``, by
        ``source_updated_at``), or delivered a second time in one snapshot pass with other
        content (a finding: the first delivery is kept). Hub feeds are taken in feed order."""
        if self.source.type == "hub":
            return {}
        candidates = [i for i in items if i.record is not None and i.uid and not i.errors and i.skipped is None]
        if not candidates:
            return {}
        uids = [i.uid for i in candidates]
        with self.hub.sessions() as session:
            stored = {row.uid: row for row in session.execute(
                sa.select(Record.uid, Record.input_hash, Record.latest_version).where(Record.uid.in_(uids)))}
            stamps = {}
            if any(i.record.get("source_updated_at") for i in candidates):  # type: ignore[union-attr]
                stamps = dict(session.execute(sa.select(Revision.uid, Revision.document).join(
                    Record, sa.and_(Record.uid == Revision.uid, Record.latest_version == Revision.version))
                    .where(Revision.uid.in_(uids))).all())
            this_pass: set[str] = set()
            if self.source.snapshot and self.generation is not None:
                this_pass = set(session.scalars(sa.select(SourceItem.uid).where(
                    SourceItem.source == self.source.name, SourceItem.generation == self.generation,
                    SourceItem.uid.in_(uids))))
        verdicts: dict[int, str] = {}
        for item in candidates:
            record = item.record or {}
            mine, theirs = _instant(record.get("source_updated_at")), None
            doc = stamps.get(item.uid)
            if isinstance(doc, dict):
                theirs = _instant(doc.get("source_updated_at"))
            if mine and theirs and mine < theirs:
                verdicts[id(item)] = "stale"
                continue
            if item.uid in this_pass:
                row = stored.get(item.uid)
                same = row is not None and row.input_hash == input_hash(record)
                newer = mine is not None and theirs is not None and mine > theirs
                if not (same or newer):
                    verdicts[id(item)] = {"path": "id", "code": "duplicate_in_source",  # type: ignore[assignment]
                                          "message": f"{item.uid} was already delivered in this pass with other "
                                                     "content; the first delivery is kept"}
        return verdicts

    def _delete(self, item: Item, state: dict[str, Any]) -> None:
        """A deletion the source announced (hub feeds): a tombstone, when the policy applies it."""
        delta: Counter[str] = Counter(fetched=1)
        quarantined: list[dict[str, Any]] = []
        assert item.uid is not None
        country, kind, local = item.uid.split("/", 2)
        if self.source.deletes != "apply":
            delta["skipped"] += 1
            ignored = self.report.setdefault("deletes_not_applied", {"count": 0, "uids": []})
            ignored["count"] += 1
            if len(ignored["uids"]) < 100:
                ignored["uids"].append(item.uid)
        else:
            try:
                out = self.hub.writes.delete(self.actor, kind, country, local, source=WRITE_SOURCE)
            except NotFound:
                delta["unchanged"] += 1
            else:
                if out.status == "forbidden":
                    delta["invalid"] += 1
                    quarantined.append(self._quarantine(item, "forbidden", out.errors))
                else:
                    delta["deleted" if out.status == "deleted" else "unchanged"] += 1
                    if out.review == "pending" and self._trusting():
                        try:
                            review.decide(self.hub.sessions, self.actor, item.uid, out.version or 0,
                                          "approve", comment=f"published at {self.source.url}")
                        except review.ReviewError as exc:
                            log.info("%s: %s", item.uid, exc)
        with transaction(self.hub.sessions) as session:
            self._bookkeeping(session, state, delta, quarantined, [], [])
        self.counts.update(delta)

    def _trusting(self) -> bool:
        return self.source.type == "hub" and self.source.review == "trust"

    # -- bookkeeping, inside the page's transaction --------------------------------------
    def _bookkeeping(self, session: so.Session, state: dict[str, Any], delta: Counter[str],
                     quarantined: list[dict[str, Any]], written: list[str], seen: list[str]) -> None:
        assert self.lock is not None
        locks.check(session, self.lock.name, self.lock.holder, self.lock.ttl)
        now = utcnow()
        name = self.source.name
        if quarantined:
            session.execute(sa.insert(Quarantine), [{**q, "created_at": now} for q in quarantined])
        for chunk in _chunks(sorted(set(written)), 500):
            session.execute(sa.update(Quarantine).where(
                Quarantine.source == name, Quarantine.uid.in_(chunk), Quarantine.resolved_at.is_(None))
                .values(resolved_at=now, resolution="written"))
        if self.source.snapshot and self.generation is not None and seen:
            _mark_seen(session, name, sorted({u for u in seen if len(u) <= UID_MAX}), self.generation)
        row = session.get(Checkpoint, name)
        if row is None:
            session.add(Checkpoint(source=name, state=state, run_id=self.run_id, updated_at=now))
        else:
            row.state, row.run_id, row.updated_at = state, self.run_id, now
        if delta:
            session.execute(sa.update(SyncRun).where(SyncRun.id == self.run_id).values(
                **{k: getattr(SyncRun, k) + v for k, v in delta.items() if k in COUNTS}))

    def _quarantine(self, item: Item, status: str, errors: Iterable[dict[str, str]]) -> dict[str, Any]:
        errors = list(errors)
        uid = item.uid if item.uid and len(item.uid) <= UID_MAX else None
        first = errors[0] if errors else {}
        log.info("quarantined %s (%s): %s %s: %s", item.locator[:200], uid or "no uid", status,
                 first.get("path", "$"), first.get("code", "?"))
        return {"source": self.source.name, "run_id": self.run_id, "locator": item.locator[:200],
                "uid": uid, "status": status, "payload": storable(item.raw) if item.raw is not None else {},
                "errors": errors, "resolved_at": None, "resolution": None}

    def _heartbeat(self, _pause: float) -> None:
        """While waiting to retry, keep the lock (a long Retry-After must not lose it)."""
        if self.lock is not None:
            locks.renew(self.hub.sessions, self.lock)

    # -- delete detection -------------------------------------------------------------------
    def _detect_deletes(self) -> None:
        policy, name = self.source.deletes, self.source.name
        if policy == "never" or self.generation is None:
            return
        with self.hub.sessions() as session:
            total = session.scalar(sa.select(sa.func.count()).select_from(SourceItem)
                                   .where(SourceItem.source == name)) or 0
            gone = list(session.scalars(sa.select(SourceItem.uid).where(
                SourceItem.source == name, SourceItem.generation < self.generation).order_by(SourceItem.uid)))
        self.report["deletes"] = {"policy": policy, "candidates": len(gone), "of": total,
                                  "uids": gone[:100], "applied": 0}
        if not gone or policy == "report":
            return
        if len(gone) > self.source.max_deletes * total:
            raise RefusedDeletes(
                f"refusing to delete {len(gone)} of the source's {total} records (max_deletes = "
                f"{self.source.max_deletes:.0%}); check the source (a truncated file?), or raise max_deletes")
        for uid in gone:
            country, kind, local = uid.split("/", 2)
            delta: Counter[str] = Counter()
            try:
                out = self.hub.writes.delete(self.actor, kind, country, local, source=WRITE_SOURCE)
                delta["deleted" if out.status == "deleted" else "unchanged"] += 1
            except NotFound:
                pass
            with transaction(self.hub.sessions) as session:
                locks.check(session, self.lock.name, self.lock.holder, self.lock.ttl)  # type: ignore[union-attr]
                session.execute(sa.delete(SourceItem).where(SourceItem.source == name, SourceItem.uid == uid))
                if delta:
                    session.execute(sa.update(SyncRun).where(SyncRun.id == self.run_id).values(
                        **{k: getattr(SyncRun, k) + v for k, v in delta.items()}))
            self.counts.update(delta)
            self.report["deletes"]["applied"] += delta["deleted"]

    # -- dry run ------------------------------------------------------------------------------
    def _dry_run(self, fetcher: Any) -> None:
        """What a run would do, writing nothing: counts, problems and the deletions."""
        seen: set[str] = set()
        problems: list[str] = []
        deletions: list[str] = []
        for page in fetcher.pages():
            wanted = [i for i in page.items if i.record is not None and i.uid and i.op == "upsert"]
            with self.hub.sessions() as session:
                latest = dict(session.execute(sa.select(Record.uid, Record.latest_hash).where(
                    Record.uid.in_([i.uid for i in wanted]))).all()) if wanted else {}
            for item in page.items:
                self.counts["fetched"] += 1
                if item.uid:
                    seen.add(item.uid)
                if item.skipped is not None:
                    self.counts["skipped"] += 1
                elif item.errors:
                    self.counts["invalid"] += 1
                    problems.append(f"{item.locator}: {item.errors[0]['message']}")
                elif item.op == "delete":
                    deletions.append(item.uid)  # type: ignore[arg-type]
                else:
                    result = schemas.validate(item.kind or self.source.kind, item.record)
                    if not result.ok:
                        self.counts["invalid"] += 1
                        first = result.errors[0]
                        problems.append(f"{item.locator} ({item.uid}): invalid {first.path}: {first.code}: "
                                        f"{first.message}")
                        continue
                    self.warnings.update(f"{w.path} {w.code}" for w in result.warnings)
                    digest = hashlib.sha256(schemas.canonical(result.document)).hexdigest()
                    old = latest.get(item.uid)
                    self.counts["created" if old is None else "unchanged" if old == digest else "updated"] += 1
            self.progress.update(self._counts(), page.progress, page.label)
        if fetcher.snapshot and self.source.deletes != "never":
            with self.hub.sessions() as session:
                known = session.scalars(sa.select(SourceItem.uid).where(SourceItem.source == self.source.name))
                deletions = sorted(u for u in known if u not in seen)
        self.counts["deleted"] = len(deletions)
        self.report["deletes"] = {"policy": self.source.deletes, "candidates": len(deletions),
                                  "uids": deletions[:100], "applied": 0}
        self.report["problems"] = problems[:100]

    # -- run records --------------------------------------------------------------------------
    def _start(self) -> int:
        with transaction(self.hub.sessions) as session:
            session.execute(sa.update(SyncRun).where(
                SyncRun.source == self.source.name, SyncRun.status == "running").values(
                status="abandoned", finished_at=utcnow(),
                error="the runner stopped without finishing (killed or crashed); a later run resumed "
                      "at its last checkpoint"))
            run = SyncRun(source=self.source.name, trigger=self.trigger, dry_run=self.dry_run,
                          status="running", holder=self.lock.holder if self.lock else "",
                          started_at=utcnow(), report={}, **{k: 0 for k in COUNTS}, retries=0)
            session.add(run)
            session.flush()
            return run.id

    def _checkpoint(self) -> dict[str, Any]:
        with self.hub.sessions() as session:
            row = session.get(Checkpoint, self.source.name)
            return dict(row.state) if row is not None else {}

    def _finish(self, status: str, error: str | None, fetcher: Any) -> None:
        if self.warnings:
            self.report["warnings"] = dict(self.warnings.most_common())
        retries = getattr(getattr(fetcher, "http", None), "spent", 0)
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
        breaks = current and ((item.record is not None and kind is not None and item.kind != kind)
                              or (split_duplicates and item.uid is not None and item.uid in uids))
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


def _mark_seen(session: so.Session, source: str, uids: list[str], generation: int) -> None:
    """Upsert ``(source, uid) -> generation`` (portable: update, then insert the rest)."""
    for chunk in _chunks(uids, 500):
        session.execute(sa.update(SourceItem).where(SourceItem.source == source, SourceItem.uid.in_(chunk))
                        .values(generation=generation))
        present = set(session.scalars(sa.select(SourceItem.uid).where(
            SourceItem.source == source, SourceItem.uid.in_(chunk))))
        new = [{"source": source, "uid": u, "generation": generation} for u in chunk if u not in present]
        if new:
            session.execute(sa.insert(SourceItem), new)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return at if at.tzinfo is not None else None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
