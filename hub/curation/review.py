"""Review: decisions, the review queue, and what a submitter sees of its own revisions.

SPEC section 5: a revision is ``pending``, then ``approved``, ``rejected`` or
``returned`` (with a reason code of codelist ``return-reasons`` and a hint), or
``superseded`` when a later revision of the record arrives before a decision (the write
path marks it; it can no longer be decided, so a stale version is never published). Only an
approval publishes (through :meth:`hub.records.writepath.WriteTxn.publish`, inside the write
path's one transaction, its one way to publish and feed). A pending revision of a published record leaves the
published version visible until it is approved. Every decision is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, cast

import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas import codelists, split_uid
from schemas.text import fold

from ..actors import Actor
from ..records.projection import names
from ..records.writepath import WritePath, WriteTxn
from ..store.models import Member, Record, Revision

DECISIONS = {"approve": "approved", "reject": "rejected", "return": "returned"}
STATES = ("pending", "approved", "returned", "rejected", "superseded")
REASONS = "return-reasons"
MAX_COMMENT = 2000
SOURCE = "review"  # the write transactions of decisions
MAX_VERSION = 2**31  # larger numbers name no version (and overflow SQLite's INTEGER)


class ReviewError(Exception):
    """A decision that cannot be taken; ``status`` is the HTTP status a door should use."""

    def __init__(self, message: str, status: int = 409, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Decision:
    """What a decision did (the API shows it as ``hub.api.reviews.DecisionResult``)."""

    uid: str
    version: int
    state: str
    published: bool


class Queued(NamedTuple):
    """A revision with its record, as the queue and ``include=own`` list them (the API
    shows one as ``hub.api.reviews.ReviewItem``)."""

    revision: Revision
    record: Record

    @property
    def kind(self) -> str:
        return split_uid(self.revision.uid)[1]

    @property
    def superseded(self) -> bool:
        """A later version of the record exists."""
        return self.revision.version < self.record.latest_version

    @property
    def warnings(self) -> list[dict[str, str]]:
        return self.revision.warnings or []

    @property
    def reason(self) -> Reason | None:
        """Why it was returned or rejected (or the note of another decision), else None."""
        rev = self.revision
        if rev.review_state in ("returned", "rejected") or rev.reason or rev.comment:
            return Reason(rev.reason, reason_label(rev.reason), rev.comment)
        return None


@dataclass(frozen=True)
class Reason:
    code: str | None
    label: str | None
    comment: str | None


def may_review(actor: Actor, country: str) -> bool:
    """Scope ``review`` (or an internal actor without scopes) and the country's own reviewer
    or the secretariat."""
    return (not actor.scopes or "review" in actor.scopes) and actor.may_write(country)


def _check(decision: str, reason: str | None, comment: str | None) -> str:
    state = DECISIONS.get(decision)
    if state is None:
        raise ReviewError(f"decision must be one of: {', '.join(DECISIONS)}", 422)
    if decision == "return" and reason not in codelists.codes(REASONS):
        raise ReviewError(f"a returned revision needs a reason code from codelist '{REASONS}'", 422)
    if decision == "reject" and reason is not None and reason not in codelists.codes(REASONS):
        raise ReviewError("unknown reason code", 422)
    if decision == "approve" and reason is not None and reason not in codelists.codes(REASONS):
        raise ReviewError("unknown reason code", 422)
    if comment is not None and len(comment) > MAX_COMMENT:
        raise ReviewError(f"a comment has at most {MAX_COMMENT} characters", 422)
    return state


def _split(uid: str) -> tuple[str, str]:
    try:
        country, kind, _ = split_uid(uid)
    except ValueError as exc:
        raise ReviewError(str(exc), 404) from None
    return country, kind


def _four_eyes(session: so.Session, actor: Actor, country: str, rev: _Pending) -> None:
    """A member with ``four_eyes`` (the default) wants a reviewer other than the submitter:
    another client or a staff user. A client holding both ``exchange:write`` and
    ``review`` may decide on other clients' revisions, never on its own. Internal actors
    (no scopes: a trusting hub mirror, the demo) publish what was reviewed elsewhere."""
    if not actor.scopes or rev.actor != actor.id:
        return
    member = session.get(Member, country)
    if member is not None and member.four_eyes:
        raise ReviewError(
            f"{actor.id} submitted {rev.uid} version {rev.version}: "
            f"{country} requires another client or a staff user to review it (four eyes)",
            403,
            "four_eyes",
        )


@dataclass
class _Pending:
    """What a decision reads of a revision (loaded under the write lock, plain columns:
    no ORM object per revision), and its state as decisions of the same set change it."""

    id: int
    uid: str
    version: int
    review_state: str
    actor: str
    document: dict[str, Any]
    content_hash: str
    deleted: bool
    warnings: list[Any]


_COLUMNS = (
    Revision.id,
    Revision.uid,
    Revision.version,
    Revision.review_state,
    Revision.actor,
    Revision.document,
    Revision.content_hash,
    Revision.deleted,
    Revision.warnings,
)


# mapped classes' tables, typed as FromClause
_revisions, _records = cast(sa.Table, Revision.__table__), cast(sa.Table, Record.__table__)
_DECIDED = (
    sa.update(_revisions)
    .where(_revisions.c.id == sa.bindparam("b_id"))
    .values(
        review_state=sa.bindparam("b_state"),
        decided_at=sa.bindparam("b_at"),
        decided_by=sa.bindparam("b_by"),
        reason=sa.bindparam("b_reason"),
        comment=sa.bindparam("b_comment"),
    )
)
_LATEST_STATE = (
    sa.update(_records).where(_records.c.uid == sa.bindparam("b_uid")).values(review_state=sa.bindparam("b_state"))
)


@dataclass
class _Set:
    """The revisions and records' latest versions of a set, and the state changes its
    decisions make, written in a few statements (:meth:`write`)."""

    revisions: dict[tuple[str, int], _Pending]
    latest: dict[str, int]
    decided: list[dict[str, Any]]
    records: dict[str, str]

    def write(self, session: so.Session) -> None:
        # Core executemany by primary key: the ORM's bulk update costs more than the decisions
        if self.decided:
            session.execute(_DECIDED, self.decided)
        if self.records:
            session.execute(_LATEST_STATE, [{"b_uid": uid, "b_state": state} for uid, state in self.records.items()])
        self.decided, self.records = [], {}


def _load(session: so.Session, wanted: list[tuple[str, int]]) -> _Set:
    """The revisions of a set and their records' latest versions, in a few queries under
    the write lock (one query per item would cost more than the decisions)."""
    revs: dict[tuple[str, int], _Pending] = {}
    latest: dict[str, int] = {}
    valid = sorted({(u, v) for u, v in wanted if 0 < v < MAX_VERSION})
    for start in range(0, len(valid), 500):
        chunk = valid[start : start + 500]
        for row in session.execute(sa.select(*_COLUMNS).where(sa.tuple_(Revision.uid, Revision.version).in_(chunk))):
            revs[(row.uid, row.version)] = _Pending(*row)
        uids = sorted({u for u, _ in chunk})
        latest.update(session.execute(sa.select(Record.uid, Record.latest_version).where(Record.uid.in_(uids))).all())
    return _Set(revs, latest, [], {})


def _apply(
    txn: WriteTxn,
    loaded: _Set,
    uid: str,
    version: int,
    decision: str,
    state: str,
    reason: str | None,
    comment: str | None,
) -> Decision:
    """One decision inside an open write transaction; raises before changing anything.
    The state changes are collected in ``loaded`` (written by :meth:`_Set.write`); the
    publication goes to the transaction at once."""
    country, _ = _split(uid)
    if not may_review(txn.actor, country):
        raise ReviewError(f"{txn.actor.id} may not review records of {country}", 403)
    rev = loaded.revisions.get((uid, version))
    if rev is None:
        raise ReviewError(f"{uid} has no version {version}", 404)
    latest = loaded.latest[uid]
    if rev.review_state == "superseded" or (rev.review_state == "pending" and latest > version):
        raise ReviewError(
            f"{uid} version {version} is superseded by version {latest}; only the latest revision can be decided",
            409,
            "superseded",
        )
    if rev.review_state != "pending":
        raise ReviewError(f"{uid} version {version} is already {rev.review_state}")
    _four_eyes(txn.session, txn.actor, country, rev)
    rev.review_state = state
    loaded.decided.append(
        {
            "b_id": rev.id,
            "b_state": state,
            "b_at": txn.now,
            "b_by": txn.actor.id,
            "b_reason": reason,
            "b_comment": comment,
        }
    )
    if latest == version:
        loaded.records[uid] = state
    if state == "approved":
        txn.publish(uid, version, rev.document, rev.content_hash, rev.deleted, rev.warnings)
    txn.note(f"review.{decision}", uid, {"version": version, "reason": reason, "comment": comment})
    return Decision(uid, version, state, state == "approved")


def _decide_within(
    txn: WriteTxn,
    wanted: list[tuple[str, int]],
    decision: str,
    state: str,
    reason: str | None,
    comment: str | None,
) -> list[Decision | ReviewError]:
    """Decide each of ``wanted`` in ``txn``, in the order of their versions; results in
    the order given."""
    loaded = _load(txn.session, wanted)
    results: list[Decision | ReviewError | None] = [None] * len(wanted)
    for i in sorted(range(len(wanted)), key=lambda i: (wanted[i][1], i)):
        uid, version = wanted[i]
        try:
            results[i] = _apply(txn, loaded, uid, version, decision, state, reason, comment)
        except ReviewError as exc:
            results[i] = exc
    loaded.write(txn.session)
    return [r for r in results if r is not None]


def approve_within(txn: WriteTxn, pending: list[tuple[str, int]], comment: str | None = None) -> list[Decision]:
    """Approve revisions inside a write transaction the caller holds (by its actor).

    For doors that must publish atomically with their own write (a hub mirror that
    trusts what the remote hub published). The revisions written so far in ``txn`` are
    flushed first, so that the decisions can read them.
    """
    txn.flush()
    results = _decide_within(txn, list(pending), "approve", "approved", None, comment)
    for r in results:
        if isinstance(r, ReviewError):
            raise r
    return [r for r in results if isinstance(r, Decision)]


def decide(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    uid: str,
    version: int,
    decision: str,
    reason: str | None = None,
    comment: str | None = None,
) -> Decision:
    """Approve, reject or return one pending revision, in one audited transaction."""
    comment = (comment or "").strip() or None
    state = _check(decision, reason, comment)
    country, _ = _split(uid)
    if not may_review(actor, country):
        raise ReviewError(f"{actor.id} may not review records of {country}", 403)
    with WritePath(factory).transaction(actor, SOURCE) as txn:
        (result,) = _decide_within(txn, [(uid, version)], decision, state, reason, comment)
        if isinstance(result, ReviewError):
            raise result  # inside the transaction: nothing of it is kept
        return result


def approve_many(
    factory: so.sessionmaker[so.Session], actor: Actor, items: Iterable[tuple[str, int]]
) -> list[Decision | ReviewError]:
    """Bulk approve in one transaction: see :func:`decide_many`."""
    return decide_many(factory, actor, items, "approve")


def decide_many(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    items: Iterable[tuple[str, int]],
    decision: str,
    reason: str | None = None,
    comment: str | None = None,
) -> list[Decision | ReviewError]:
    """One decision for a set, in one transaction: each item is judged on its own, and each
    decision is audited on its own (``review.approve|return|reject``).

    Returns a Decision or the ReviewError of each item, in the order given; approved ones
    are published together (one commit, consecutive change-feed entries) in the order of
    their versions. Only the latest revision of a record can be decided: one that a later
    revision superseded is refused (``superseded``), also when the later revision arrived
    after the set was chosen, since the state is read under the write lock.
    """
    comment = (comment or "").strip() or None
    state = _check(decision, reason, comment)
    wanted = list(items)
    if not wanted:
        return []
    with WritePath(factory).transaction(actor, SOURCE) as txn:
        return _decide_within(txn, wanted, decision, state, reason, comment)


def approve_in_chunks(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    items: Iterable[tuple[str, int]],
    *,
    chunk: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> list[Decision | ReviewError]:
    """Approve a large set: :func:`decide_in_chunks` with ``approve``."""
    return decide_in_chunks(factory, actor, items, "approve", chunk=chunk, progress=progress)


def decide_in_chunks(
    factory: so.sessionmaker[so.Session],
    actor: Actor,
    items: Iterable[tuple[str, int]],
    decision: str,
    reason: str | None = None,
    comment: str | None = None,
    *,
    chunk: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> list[Decision | ReviewError]:
    """Decide a large set as consecutive transactions of ``chunk`` items each.

    The write lock is held for one chunk at a time, so writers (a sync run, the API) are
    not stopped for the whole set; a revision that a writer superseded between two chunks
    is refused as superseded when its chunk comes. ``progress(done, total)`` is called
    after each committed chunk.
    """
    _check(decision, reason, comment)  # a bad decision fails before the first chunk
    wanted = list(items)
    results: list[Decision | ReviewError] = []
    for start in range(0, len(wanted), chunk):
        results.extend(decide_many(factory, actor, wanted[start : start + chunk], decision, reason, comment))
        if progress is not None:
            progress(len(results), len(wanted))
    return results


# -- the queue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """Filters of the review queue (``GET /api/v1/reviews``, the console's queue)."""

    state: str = "pending"
    kind: str | None = None
    country: str | None = None
    q: str | None = None
    mine: bool = False
    warnings: bool = False


def visible_country(actor: Actor, wanted: str | None) -> str | None:
    """The country whose revisions the actor may list (``None``: all).

    Scope ``review`` lists its own country's revisions to decide on them; scope
    ``exchange:write`` lets a submitter see its own country's revisions and the
    reasons of returned and rejected ones. The secretariat (no country) sees all.
    """
    if actor.scopes and not actor.scopes & {"review", "exchange:write"}:
        raise ReviewError("listing revisions needs scope review or exchange:write", 403)
    if actor.country is None:
        return wanted
    if wanted and wanted != actor.country:
        raise ReviewError(f"{actor.id} sees revisions of {actor.country} only", 403)
    return actor.country


def _select(actor: Actor, query: Query) -> sa.Select[Revision, Record]:
    country = visible_country(actor, query.country)
    s = sa.select(Revision, Record).join(Record, Record.uid == Revision.uid)
    if query.state:
        # inline, not a bound parameter: SQLite uses a partial index (pending) only then
        s = s.where(Revision.review_state == sa.literal(query.state, literal_execute=True))
    if country:
        s = s.where(Record.country == country)
    if query.kind:
        s = s.where(Record.kind == query.kind)
    if query.mine:
        s = s.where(Revision.actor == actor.id)
    return s


def _matches(rev: Revision, query: Query, words: list[str]) -> bool:
    if query.warnings and not rev.warnings:
        return False
    if not words:
        return True
    text = fold(" ".join([rev.uid, *names(rev.document)]))
    return all(w in text for w in words)


def queue(
    session: so.Session, actor: Actor, query: Query, *, limit: int = 100, after: int = 0
) -> tuple[list[Queued], int | None]:
    """One page of revisions the actor may see, oldest first; keyset on the revision id.

    Returns the rows and the id to continue after (``None`` on the last page). Text and
    warning filters are applied in Python (names are language objects, folded for an
    accent-insensitive match), scanning in chunks until the page is full.
    """
    base = _select(actor, query)
    words = fold(query.q).split() if query.q else []
    rows: list[Queued] = []
    cursor = after
    while len(rows) <= limit:
        chunk = session.execute(
            base.where(Revision.id > cursor).order_by(Revision.id).limit(500 if words or query.warnings else limit + 1)
        ).all()
        for rev, rec in chunk:
            if _matches(rev, query, words):
                rows.append(Queued(rev, rec))
                if len(rows) > limit:
                    break
        if len(chunk) < (500 if words or query.warnings else limit + 1):
            break
        cursor = chunk[-1][0].id
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0].id if more and rows else None)


def count(session: so.Session, actor: Actor, query: Query) -> int:
    """How many revisions match (without the text filter): the queue's badge.

    A country (and kind) is a uid prefix, so the count is a range of the (review_state,
    uid) index, without reading records; a kind alone needs the join."""
    country = visible_country(actor, query.country)
    if query.kind and not country:
        s = _select(actor, query).with_only_columns(sa.func.count(Revision.id))
        return session.scalar(s) or 0
    s = sa.select(sa.func.count()).select_from(Revision)
    if query.state:
        s = s.where(Revision.review_state == query.state)
    if country:
        s = s.where(*uid_prefix(Revision.uid, f"{country}/{query.kind}/" if query.kind else f"{country}/"))
    if query.mine:
        s = s.where(Revision.actor == actor.id)
    return session.scalar(s) or 0


def uid_prefix(column: Any, prefix: str) -> list[sa.ColumnElement[bool]]:
    """``column`` starts with ``prefix``, as a range an index can serve ("/" + 1 is "0")."""
    return [column >= prefix, column < prefix[:-1] + chr(ord(prefix[-1]) + 1)]


def reason_label(code: str | None, lang: str = "en") -> str | None:
    if not code:
        return None
    entry = codelists.item(REASONS, code)
    labels = entry["label"] if entry else {}
    return labels.get(lang) or labels.get("en") or code


def get(session: so.Session, actor: Actor, uid: str, version: int) -> tuple[Revision, Record]:
    """One revision the actor may see (review or own country), else ReviewError 404/403."""
    country, _ = _split(uid)
    visible_country(actor, country)
    rev = None
    if 0 < version < MAX_VERSION:
        rev = session.scalar(sa.select(Revision).where(Revision.uid == uid, Revision.version == version))
    rec = session.get(Record, uid) if rev is not None else None
    if rev is None or rec is None:
        raise ReviewError(f"{uid} has no version {version}", 404)
    return rev, rec


def published_revision(session: so.Session, rec: Record) -> Revision | None:
    """The revision that is published now (what a pending one would replace)."""
    if rec.published_version is None:
        return None
    return session.scalar(sa.select(Revision).where(Revision.uid == rec.uid, Revision.version == rec.published_version))


def next_pending(session: so.Session, actor: Actor, after_id: int) -> tuple[str, int] | None:
    """The next pending revision after this one (the console moves on after a decision)."""
    rows, _ = queue(session, actor, Query(state="pending"), limit=1, after=after_id)
    if not rows:
        rows, _ = queue(session, actor, Query(state="pending"), limit=1)
    return (rows[0][0].uid, rows[0][0].version) if rows else None


def own_outstanding(session: so.Session, actor: Actor, limit: int = 100) -> list[Queued]:
    """The change feed's ``include=own``: the latest revision of each of the actor's
    country's records that is pending, returned or rejected, newest first.

    A snapshot rather than a stream: it lists what is waiting or came back, and an item
    leaves it once a new version is approved.
    """
    s = (
        sa.select(Revision, Record)
        .join(Record, sa.and_(Record.uid == Revision.uid, Record.latest_version == Revision.version))
        .where(Record.review_state.in_(("pending", "returned", "rejected")))
    )
    if actor.country:
        s = s.where(Record.country == actor.country)
    rows = session.execute(s.order_by(Record.updated_at.desc(), Revision.id.desc()).limit(limit)).all()
    return [Queued(rev, rec) for rev, rec in rows]
