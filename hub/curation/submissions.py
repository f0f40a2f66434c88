"""Review by submission: what a batch holds, its records filtered, one decision for a set.

A submission (:class:`hub.models.Submission`) is what one door wrote at once: an API
call, an import, a sync run. The review queue lists submissions first, with how many of
their records are new, changed and unchanged, the warnings by code, the flagged records
and a sample; a reviewer opens one, narrows its pending revisions with filters and
decides for the whole filtered set (approve all, approve all but the ticked ones, return
all with one reason). Large sets are decided in the background (:func:`start`), chunk by
chunk, with progress in ``review_jobs``; each revision's decision is audited on its own.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas
from schemas.text import fold

from ..actors import Actor
from ..records.projection import project_shown
from ..store.models import Record, ReviewJob, Revision, Submission, SubmissionCount, utcnow
from . import review

#: Sets up to this size are decided at once; larger ones in the background.
INLINE = 500
CHUNK = 1000
SAMPLE = 3


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
    with factory() as session, session.begin():
        job = ReviewJob(
            actor=actor.id,
            submission_id=submission,
            decision=decision,
            total=len(keys),
            done=0,
            refused=0,
            state="running",
            created_at=utcnow(),
        )
        session.add(job)
        session.flush()
        job_id = job.id

    def run() -> None:
        _run(factory, actor, job_id, keys, decision, reason, comment)

    if background if background is not None else len(keys) > INLINE:
        threading.Thread(target=run, name=f"review-job-{job_id}", daemon=True).start()
    else:
        run()
    return job_id


def _run(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    job_id: int,
    keys: list[tuple[str, int]],
    decision: str,
    reason: str | None,
    comment: str | None,
) -> None:
    """Decide chunk by chunk (each its own transaction), recording progress after each."""
    done = refused = 0
    state, message = "done", None
    try:
        for start_at in range(0, len(keys), CHUNK):
            results = review.decide_many(factory, actor, keys[start_at : start_at + CHUNK], decision, reason, comment)
            done += len(results)
            refused += sum(1 for r in results if isinstance(r, review.ReviewError))
            _update(factory, job_id, done=done, refused=refused)
    except Exception as exc:  # noqa: BLE001 - recorded on the job and shown to the reviewer
        state, message = "failed", str(exc)[:1000]
    _update(factory, job_id, state=state, message=message, finished_at=utcnow())


def _update(factory: so.sessionmaker[so.Session], job_id: int, **values: Any) -> None:
    with factory() as session, session.begin():
        session.execute(sa.update(ReviewJob).where(ReviewJob.id == job_id).values(**values))


def job(session: so.Session, actor: Actor, job_id: int) -> ReviewJob | None:
    """A job the actor started (others' jobs are not shown)."""
    found = session.get(ReviewJob, job_id)
    return found if found is not None and found.actor == actor.id else None
