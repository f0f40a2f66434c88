"""Review by submission: what a batch holds, its records filtered, one decision for a set.

A submission (:class:`hub.models.Submission`) is what one door wrote at once: an API
call, an import, a sync run. The review queue lists submissions first, with how many of
their records are new, changed and unchanged, the warnings by code, the flagged records
and a sample; a reviewer opens one, narrows its pending revisions with filters and
decides for the whole filtered set (approve all, approve all but the ticked ones, return
all with one reason). Large sets are decided in the background (:func:`start`), chunk by
chunk, with progress in ``review_jobs``; each revision's decision is audited on its own.
A job whose runner stopped reporting is ``interrupted`` (:func:`job`) and can be resumed
(:func:`resume`) or abandoned (:func:`abandon`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas
from schemas.text import fold

from .. import processes
from ..actors import Actor
from ..records.projection import project_shown
from ..store import audit
from ..store.db import rowcount, transaction
from ..store.locks import aware
from ..store.models import Record, ReviewJob, Revision, Submission, SubmissionCount, utcnow
from . import review

#: Sets up to this size are decided at once; larger ones in the background.
INLINE = 500
CHUNK = 1000
SAMPLE = 3
#: Seconds without a heartbeat after which a running job is interrupted (the setting
#: ``review_job_stale_after`` is passed by the doors; this is its default).
STALE_AFTER = 120


@dataclass(frozen=True)
class Summary:
    """One submission in the queue."""

    submission: Submission
    pending: int
    new: int
    changed: int
    sample: list[tuple[str, str]]  # (uid, name) of a few pending revisions

    @property
    def unchanged(self) -> int:
        return int(self.submission.counts.get("unchanged", 0))


def _visible(query: Any, actor: Actor) -> Any:
    country = review.visible_country(actor, None)
    return query.where(*review.uid_prefix(Revision.uid, f"{country}/")) if country else query


def queue(session: so.Session, actor: Actor, limit: int = 20) -> list[Summary]:
    """Submissions with pending revisions the actor may see, newest first.

    *New* is a record's first version (the hub did not have it), *changed* a later one.
    The counts are rows of ``submission_counts`` (kept by triggers, see
    :class:`hub.store.models.SubmissionCount`), so the page costs the same with ten or a
    million revisions waiting; the sample reads the ``ix_revisions_submission`` index."""
    country = review.visible_country(actor, None)
    q = sa.select(
        SubmissionCount.submission_id, sa.func.sum(SubmissionCount.pending), sa.func.sum(SubmissionCount.pending_new)
    ).where(SubmissionCount.pending > 0)
    if country:
        q = q.where(SubmissionCount.country == country)
    rows = session.execute(
        q.group_by(SubmissionCount.submission_id).order_by(SubmissionCount.submission_id.desc()).limit(limit)
    ).all()
    subs = {s.id: s for s in session.scalars(sa.select(Submission).where(Submission.id.in_([r[0] for r in rows])))}
    out = []
    for sub_id, pending, fresh in rows:
        sample_q = _visible(
            sa.select(Revision.uid, Revision.document).where(
                Revision.submission_id == sub_id, Revision.review_state == "pending"
            ),
            actor,
        )
        # in the index's order (any few will do): no sort of the submission's pending revisions
        sample = [(uid, _name(doc, uid)) for uid, doc in session.execute(sample_q.order_by(Revision.uid).limit(SAMPLE))]
        out.append(Summary(subs[sub_id], int(pending), int(fresh or 0), int(pending) - int(fresh or 0), sample))
    return out


def get(session: so.Session, submission_id: int) -> Submission | None:
    return session.get(Submission, submission_id)


def _name(doc: dict[str, Any], uid: str) -> str:
    for key in ("name", "title"):
        value = doc.get(key)
        if isinstance(value, dict) and value:
            return str(value.get("en") or next(iter(value.values())))
        if isinstance(value, str):
            return value
    return uid


@dataclass(frozen=True)
class Selection:
    """Filters on a submission's pending revisions (all optional)."""

    submission: int
    kind: str | None = None
    country: str | None = None
    category: str | None = None  # common category, or native SCHEME:CODE (and beneath)
    rating_min: int | None = None
    area: str | None = None
    warning: str | None = None  # a warning code
    change: str | None = None  # "new" (a record's first version) or "changed" (a later one)
    q: str | None = None


@dataclass
class Item:
    """A pending revision of the set; its name and filter columns are read from the
    document when first asked for (a set decided without such filters never reads it)."""

    rev: Revision
    rec: Record

    @property
    def key(self) -> tuple[str, int]:
        return (self.rev.uid, self.rev.version)

    @cached_property
    def name(self) -> str:
        return _name(self.rev.document, self.rev.uid)

    @cached_property
    def columns(self) -> dict[str, Any]:
        return _columns(self.rev, self.rec.kind)


def _columns(rev: Revision, kind: str) -> dict[str, Any]:
    """The filter columns of a revision's document as published it would have."""
    if rev.deleted:
        return {}
    return project_shown(schemas.enrich(kind, rev.document))


def _keep(item: Item, sel: Selection, words: list[str]) -> bool:
    """The filters that read the document (kind, country and new/changed are SQL)."""
    if sel.warning and sel.warning not in {w.get("code") for w in item.rev.warnings or []}:
        return False
    if sel.category:
        native = item.columns.get("native_category") or ""
        if ":" in sel.category:
            if native != sel.category and not native.startswith(f"{sel.category}."):
                return False
        elif item.columns.get("common_category") != sel.category:
            return False
    if sel.rating_min is not None and (item.columns.get("rating_band") or 0) < sel.rating_min:
        return False
    if sel.area and item.columns.get("area") != sel.area:
        return False
    if words:
        text = fold(" ".join([item.rec.uid, item.columns.get("name_folded") or "", item.name]))
        if not all(w in text for w in words):
            return False
    return True


#: What the set's pages and decisions read of a record (not its published document).
_RECORD = so.load_only(Record.uid, Record.kind, Record.country, Record.latest_version, Record.published_version)


def select(session: so.Session, actor: Actor, sel: Selection, *, documents: bool = True) -> list[Item]:
    """Every pending revision of the submission that the filters keep, oldest first.

    Kind, country and new/changed are filtered in SQL; the others read the revision's
    document (a pending revision has no projection columns: those are the published
    one's). ``documents=False`` (a decision needs only the keys) leaves the documents
    unread unless a filter needs them: the decision reads them once, under the write lock."""
    needs = documents or bool(sel.category or sel.rating_min is not None or sel.area or sel.q)
    q = _visible(
        sa.select(Revision, Record)
        .join(Record, Record.uid == Revision.uid)
        .options(_RECORD, *(() if needs else (so.defer(Revision.document),)))
        .where(Revision.submission_id == sel.submission, Revision.review_state == "pending"),
        actor,
    )
    if sel.change == "new":
        q = q.where(Revision.version == 1)
    elif sel.change == "changed":
        q = q.where(Revision.version > 1)
    if sel.kind:
        q = q.where(Record.kind == sel.kind)
    if sel.country:
        q = q.where(Record.country == sel.country)
    words = fold(sel.q).split() if sel.q else []
    out = []
    for rev, rec in session.execute(q.order_by(Revision.id)):
        item = Item(rev, rec)
        if _keep(item, sel, words):
            out.append(item)
    return out


def warning_codes(items: Iterable[Item]) -> dict[str, int]:
    """Warnings of the selected revisions by code (a revision counts once per code)."""
    out: dict[str, int] = {}
    for item in items:
        for code in {w.get("code") for w in item.rev.warnings or []}:
            out[code] = out.get(code, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def plan(items: list[Item], except_keys: Iterable[tuple[str, int]] = ()) -> list[tuple[str, int]]:
    """The (uid, version) pairs a set decision touches: the selection minus the ticked ones."""
    skip = set(except_keys)
    return [item.key for item in items if item.key not in skip]


# -- decisions on a set ---------------------------------------------------------------


class JobError(Exception):
    """A job that cannot be resumed or abandoned (not interrupted, or someone was first)."""


class JobLost(Exception):
    """The runner's job was declared interrupted or taken over: its chunk is rolled back."""


#: Runners of this process that are still at work: a job whose runner names this process
#: but is not here lost its thread (and is interrupted without waiting for the bound).
_LIVE: set[str] = set()
_LIVE_LOCK = threading.Lock()


def _runner() -> str:
    """A new runner, registered as live before any row names it (else a reader of this
    process could find the job it just took running without a live runner)."""
    runner = processes.new_holder()
    with _LIVE_LOCK:
        _LIVE.add(runner)
    return runner


def _gone(runner: str) -> None:
    with _LIVE_LOCK:
        _LIVE.discard(runner)


def start(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    submission: int | None,
    keys: list[tuple[str, int]],
    decision: str,
    reason: str | None = None,
    comment: str | None = None,
    *,
    background: bool | None = None,
) -> int:
    """Decide for ``keys``: a review job records the progress; small sets are decided
    before this returns, large ones (more than :data:`INLINE`) in a thread. Returns the
    job's id. A bad decision or reason raises :class:`hub.review.ReviewError` at once."""
    review._check(decision, reason, (comment or "").strip() or None)
    runner = _runner()
    try:
        job_id = _create(factory, actor, submission, keys, decision, reason, comment, runner)
    except BaseException:
        _gone(runner)
        raise
    _launch(factory, actor, job_id, runner, keys, 0, background if background is not None else len(keys) > INLINE)
    return job_id


def _create(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    submission: int | None,
    keys: list[tuple[str, int]],
    decision: str,
    reason: str | None,
    comment: str | None,
    runner: str,
) -> int:
    with factory() as session, session.begin():
        now = utcnow()
        job = ReviewJob(
            actor=actor.id,
            submission_id=submission,
            decision=decision,
            total=len(keys),
            done=0,
            refused=0,
            state="running",
            created_at=now,
            keys=[[uid, version] for uid, version in keys],
            reason=reason,
            comment=comment,
            runner=runner,
            heartbeat_at=now,
        )
        session.add(job)
        session.flush()
        return job.id


def _launch(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    job_id: int,
    runner: str,
    keys: list[tuple[str, int]],
    done: int,
    background: bool,
) -> None:
    """Run ``keys[done:]`` as ``runner`` (from :func:`_runner`), here or in a thread."""

    def run() -> None:
        try:
            _run(factory, actor, job_id, runner, keys, done)
        finally:
            _gone(runner)

    if background:
        threading.Thread(target=run, name=f"review-job-{job_id}", daemon=True).start()
    else:
        run()


def _run(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    job_id: int,
    runner: str,
    keys: list[tuple[str, int]],
    done: int,
) -> None:
    """Decide ``keys[done:]`` chunk by chunk, each its own transaction, which also records
    the progress and the heartbeat, on condition that this runner still holds the job."""
    with factory() as session:
        row = session.get(ReviewJob, job_id)
        assert row is not None
        decision, reason, comment = row.decision, row.reason, row.comment

    def progress(session: so.Session, results: list[review.Decision | review.ReviewError]) -> None:
        refused = sum(1 for r in results if isinstance(r, review.ReviewError))
        _held(
            session,
            job_id,
            runner,
            done=ReviewJob.done + len(results),
            refused=ReviewJob.refused + refused,
            heartbeat_at=utcnow(),
        )

    state, message = "done", None
    try:
        for start_at in range(done, len(keys), CHUNK):
            chunk = keys[start_at : start_at + CHUNK]
            review.decide_many(factory, actor, chunk, decision, reason, comment, within=progress)
    except JobLost:
        return  # interrupted meanwhile (or resumed by another runner): its chunk was rolled back
    except Exception as exc:  # noqa: BLE001 - recorded on the job and shown to the reviewer
        state, message = "failed", str(exc)[:1000]
    with transaction(factory) as session:
        try:
            _held(session, job_id, runner, state=state, message=message, finished_at=utcnow(), heartbeat_at=utcnow())
        except JobLost:
            pass


def _held(session: so.Session, job_id: int, runner: str, **values: Any) -> None:
    """Update the job if this runner still holds it running, else :class:`JobLost`."""
    where = (ReviewJob.id == job_id, ReviewJob.runner == runner, ReviewJob.state == "running")
    if rowcount(session, sa.update(ReviewJob).where(*where).values(**values)) != 1:
        raise JobLost(f"review job {job_id} is no longer held by {runner}")


def _stopped(found: ReviewJob, stale_after: int) -> bool:
    """Whether a running job's runner has stopped: no heartbeat within ``stale_after``
    seconds, or a runner known to be gone (a process of this machine that ended, or a
    thread of this process that ended without finishing)."""
    beat = aware(found.heartbeat_at or found.created_at)
    if beat < utcnow() - timedelta(seconds=stale_after):
        return True
    runner = found.runner or ""
    if runner.startswith(f"{processes.HOST}:{os.getpid()}:"):
        with _LIVE_LOCK:
            return runner not in _LIVE
    return processes.gone(runner) if runner else False


def job(session: so.Session, actor: Actor, job_id: int, stale_after: int = STALE_AFTER) -> ReviewJob | None:
    """A job the actor started (others' jobs are not shown), ``interrupted`` if its runner
    stopped. That state is written (and the session committed) when found, by a
    compare-and-set on the runner and progress read: a slow runner that comes back then
    finds its job interrupted and stops, so a job shown interrupted never runs on unseen."""
    found = session.get(ReviewJob, job_id)
    if found is None or found.actor != actor.id:
        return None
    if found.state == "running" and _stopped(found, stale_after):
        seen = (ReviewJob.runner == found.runner) if found.runner else ReviewJob.runner.is_(None)
        session.execute(
            sa.update(ReviewJob)
            .where(ReviewJob.id == job_id, ReviewJob.state == "running", seen, ReviewJob.done == found.done)
            .values(state="interrupted")
        )
        session.commit()
        session.refresh(found)
    return found


def resume(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    job_id: int,
    *,
    background: bool | None = None,
    stale_after: int = STALE_AFTER,
) -> None:
    """Go on with an interrupted job from where it got: the keys it has not tried, by
    ``actor`` (its starter). Revisions decided meanwhile (by anyone) and superseded ones
    are refused by the decision itself, under the write lock, so nothing is decided
    twice and nothing stale is published. Taking the job over is a compare-and-set on
    its state, so of two resumes at once one wins; the other gets :class:`JobError`.
    Audited as ``review.job.resume``."""
    with factory() as session:
        found = job(session, actor, job_id, stale_after)
        if found is None:
            raise JobError(f"no review job {job_id} of yours")
        if found.state != "interrupted":
            raise JobError(f"review job {job_id} is {found.state}, not interrupted")
        if found.keys is None:
            raise JobError(f"review job {job_id} predates resumable jobs: abandon it")
    runner = _runner()
    try:
        keys, done = _take_over(factory, actor, job_id, runner)
    except BaseException:
        _gone(runner)
        raise
    remaining = len(keys) - done
    _launch(factory, actor, job_id, runner, keys, done, background if background is not None else remaining > INLINE)


def _take_over(
    factory: so.sessionmaker[so.Session], actor: Actor, job_id: int, runner: str
) -> tuple[list[tuple[str, int]], int]:
    """Compare-and-set the interrupted job to running under ``runner``; audited. Returns
    its keys and how many of them it has done."""
    with transaction(factory) as session:
        audit.lock(session)  # first, as the runner's chunks take it before the job's row
        taken = rowcount(
            session,
            sa.update(ReviewJob)
            .where(ReviewJob.id == job_id, ReviewJob.actor == actor.id, ReviewJob.state == "interrupted")
            .values(state="running", runner=runner, heartbeat_at=utcnow(), finished_at=None),
        )
        if taken != 1:
            raise JobError(f"review job {job_id} was resumed or abandoned just now")
        row = session.get(ReviewJob, job_id, populate_existing=True)
        assert row is not None and row.keys is not None
        keys = [(str(uid), int(version)) for uid, version in row.keys]
        done = row.done
        audit.record(session, actor.id, "review.job.resume", f"review-job:{job_id}", _detail(row))
    return keys, done


def abandon(factory: so.sessionmaker[so.Session], actor: Actor, job_id: int, stale_after: int = STALE_AFTER) -> None:
    """Give up an interrupted job: what it decided stays decided, the rest stays pending
    in its submission. Audited as ``review.job.abandon``."""
    with factory() as session:
        if job(session, actor, job_id, stale_after) is None:
            raise JobError(f"no review job {job_id} of yours")
    with transaction(factory) as session:
        audit.lock(session)
        taken = rowcount(
            session,
            sa.update(ReviewJob)
            .where(ReviewJob.id == job_id, ReviewJob.actor == actor.id, ReviewJob.state == "interrupted")
            .values(state="abandoned", finished_at=utcnow()),
        )
        if taken != 1:
            raise JobError(f"review job {job_id} is not interrupted (resumed, abandoned or running)")
        row = session.get(ReviewJob, job_id, populate_existing=True)
        assert row is not None
        audit.record(session, actor.id, "review.job.abandon", f"review-job:{job_id}", _detail(row))


def _detail(row: ReviewJob) -> dict[str, Any]:
    return {
        "decision": row.decision,
        "submission": row.submission_id,
        "total": row.total,
        "done": row.done,
        "refused": row.refused,
    }
