"""The one write path: every change to a record, from every door, goes through here.

validate (schemas/) -> normalise and derive -> canonical hash -> compare with the
latest revision -> append a revision (an earlier pending one becomes superseded) -> review
state -> publish to the change feed -> audit -> one commit per batch.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterator, Sequence

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas
from schemas import codelists
from schemas.fields import ID_RE, MULTILATERAL

from ..actors import Actor
from ..operations import metrics
from ..store import audit, writelock
from ..store.db import Encoded, chunks, insert_many
from ..store.models import Change, CodelistSet, Member, Record, Revision, Submission, WriteHead, utcnow
from . import coherence
from .projection import EMPTY, project_shown
from .received import CHUNK, VALIDATED_WITH, rows_by_uid
from .received import input_hash as input_hash  # the sync screen compares inputs with it too
from .representation import rfc3339, shown

STATUSES = ("created", "updated", "unchanged", "deleted", "invalid", "forbidden")
log = logging.getLogger("hub.writepath")


@dataclass(slots=True)
class Outcome:
    """The result for one input record, in the shape of SPEC 3.1."""

    index: int
    uid: str | None
    status: str
    version: int | None = None
    review: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    #: The content hash of the revision this outcome names (its ETag); not in the body.
    content_hash: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "uid": self.uid,
            "status": self.status,
            "version": self.version,
            "review": self.review,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class BatchOutcome:
    results: list[Outcome]

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(r.status for r in self.results)
        return {s: counts.get(s, 0) for s in STATUSES} | {"total": len(self.results)}

    @property
    def ok(self) -> bool:
        return not any(r.status in ("invalid", "forbidden") for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {"results": [r.as_dict() for r in self.results], "summary": self.summary}


@dataclass(frozen=True)
class Unparsed:
    """An input line that could not be read as JSON (an NDJSON line): invalid on its own,
    with the reason (``code`` ``json``, or ``too_deep`` past the parser's nesting limit)."""

    code: str
    message: str


class Conflict(Exception):
    """``If-Match`` did not match the latest revision (HTTP 412)."""


#: ``if_match`` that holds for any current revision (``If-Match: *``, RFC 9110 13.1.1)
ANY_REVISION = "*"


def _tombstone_hash(country: str, local_id: str) -> str:
    return schemas.content_hash({"id": local_id, "country": country, "deleted": True})


def _holds(if_match: str, rec: Any) -> bool:
    """Whether ``If-Match`` holds: a tag names the latest revision; ``*`` asks for any
    current one, so a record that does not exist, or whose latest revision is a
    tombstone, fails it (RFC 9110: no current representation). ``rec`` is a Record or a
    row with its ``uid`` and ``latest_hash``."""
    if rec is None:
        return False
    if if_match == ANY_REVISION:
        country, _, local_id = schemas.split_uid(rec.uid)
        return rec.latest_hash != _tombstone_hash(country, local_id)
    return rec.latest_hash == if_match


class NotFound(Exception):
    """The record does not exist (HTTP 404)."""


def _finding(path: str, code: str, message: str) -> dict[str, str]:
    return {"path": path, "code": code, "message": message}


class WritePath:
    """The service every door calls.

    Two ways in: :meth:`write` and :meth:`delete` are one transaction each; a door that
    adds rows of its own to the same commit (a stored idempotent answer, a sync page's
    checkpoint, review decisions) prepares its batch with :meth:`prepare` and opens
    :meth:`transaction` itself. :meth:`preview` answers what :meth:`write` would, without
    the lock and without writing.
    """

    def __init__(self, factory: so.sessionmaker[so.Session]) -> None:
        self.factory = factory

    def prepare(
        self,
        actor: Actor,
        kind: str,
        records: Sequence[Any],
        *,
        today: date | None = None,
        findings: Sequence[list[dict[str, str]]] | None = None,
    ) -> Prepared:
        """Screen and validate a batch (the costly part) before the write lock is taken,
        so concurrent writers in several processes validate in parallel and hold the lock
        only to compare and write. ``findings[i]`` are warnings the caller found in record
        ``i`` (a sync mapping's ``personal_data_suspected``): a new revision carries them
        beside the validator's, so the reviewer sees them."""
        if kind not in schemas.KINDS:
            raise ValueError(f"unknown kind '{kind}'")
        with self.factory() as session:
            items, latest, snapshot = _prepare(session, actor, kind, records, today)
        if findings is not None:
            for item, found in zip(items, findings, strict=True):
                item.findings = found
        return Prepared(actor, kind, items, today, latest, snapshot)

    @contextmanager
    def transaction(
        self, actor: Actor, source: str, *, today: date | None = None, submission: str | None = None
    ) -> Iterator[WriteTxn]:
        """One write transaction: see :class:`WriteTxn` for the order of its steps.

        Committed when the block ends without an exception (after :meth:`WriteTxn.finish`),
        rolled back otherwise; the written batches are counted and logged after the commit.
        What it writes is one submission (:class:`hub.models.Submission`), or adds to the
        one named ``submission`` (an import's or a sync run's key) across transactions.
        """
        with writelock.holding() as mark, self.factory() as session, session.begin():
            txn = WriteTxn(
                session, actor, source, audit.AuditBatch(audit.lock(session)), today, submission_key=submission
            )
            mark()  # reads that arrive now let this transaction commit first (hub/store/writelock.py)
            yield txn
            txn.finish()
        for kind, results in txn.committed:
            _committed(actor, kind, source, results)

    def write(
        self,
        actor: Actor,
        kind: str,
        records: Sequence[Any],
        *,
        source: str,
        if_match: str | None = None,
        today: date | None = None,
        submission: str | None = None,
    ) -> BatchOutcome:
        """Upsert a batch of records of one kind; one transaction for the whole batch."""
        prepared = self.prepare(actor, kind, records, today=today)
        if if_match is None and submission is None and (answer := self.settle(prepared, source)) is not None:
            return answer
        with self.transaction(actor, source, today=today, submission=submission) as txn:
            return txn.write(prepared, if_match)

    def settle(self, prepared: Prepared, source: str) -> BatchOutcome | None:
        """Answer a batch without the write lock when nothing in it needs writing
        (:meth:`Prepared.settled`): a re-delivery of what the hub holds costs no write
        transaction (SQLite: no commit to disk). Counted and logged as a written batch;
        None when the batch must go through :meth:`transaction`. A door that stores rows of
        its own with the answer (an idempotent answer, a submission's counts) writes."""
        answer = prepared.settled()
        if answer is not None:
            _committed(prepared.actor, prepared.kind, source, answer.results)
        return answer

    def preview(
        self,
        actor: Actor,
        kind: str,
        records: Sequence[Any],
        *,
        today: date | None = None,
        findings: Sequence[list[dict[str, str]]] | None = None,
    ) -> BatchOutcome:
        """What :meth:`write` would answer now (validation, the member and actor checks,
        the comparison with the stored revisions), without the lock and without writing."""
        prepared = self.prepare(actor, kind, records, today=today, findings=findings)
        with self.factory() as session:  # never committed: the session is rolled back on close
            head = session.get(WriteHead, 1)
            assert head is not None, "the database is not initialised"
            return WriteTxn(session, actor, "preview", audit.AuditBatch(head), today, track=False).write(prepared, None)

    def delete(
        self, actor: Actor, kind: str, country: str, local_id: str, *, source: str, if_match: str | None = None
    ) -> Outcome:
        """Write a tombstone revision; ``unchanged`` when already deleted."""
        with self.transaction(actor, source) as txn:
            return txn.delete(kind, country, local_id, if_match)


@dataclass(frozen=True)
class Prepared:
    """A batch screened and validated by :meth:`WritePath.prepare`, ready to write."""

    actor: Actor
    kind: str
    items: list[_Item]
    today: date | None
    #: the latest revision of each record as read before the lock (:data:`_EXISTING`)
    latest: dict[str, Any] = field(default_factory=dict)
    #: whether :attr:`latest` was read in one statement (one snapshot)
    snapshot: bool = False

    def settled(self) -> BatchOutcome | None:
        """The answer when no record needs the write lock: each was refused or invalid on
        its own, or is exactly what the hub received last time (``unchanged``, as one
        statement read them); None when any must be compared under the lock."""
        if not self.snapshot:
            return None
        results = []
        for it in self.items:
            if it.outcome is not None:
                results.append(it.outcome)
                continue
            rec = self.latest.get(it.uid or "")
            if it.result is not None or rec is None or rec.input_hash != it.ihash:
                return None
            results.append(
                Outcome(
                    it.index, it.uid, "unchanged", rec.latest_version, rec.review_state, content_hash=rec.latest_hash
                )
            )
        return BatchOutcome(results)


def _committed(actor: Actor, kind: str, source: str, results: list[Outcome]) -> None:
    """Count and log a committed batch: one line per batch (the uids only at DEBUG), so the
    line carries the request id or sync run of the caller (:mod:`hub.operations.logs`)."""
    counts = Counter(r.status for r in results)
    metrics.count_written(counts, source)
    if log.isEnabledFor(logging.INFO):
        log.info(
            "%s %s by %s: %s",
            source,
            kind,
            actor.id,
            ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s]) or "empty batch",
        )
    if log.isEnabledFor(logging.DEBUG):
        for status in STATUSES:
            uids = [r.uid or f"#{r.index}" for r in results if r.status == status]
            if uids:
                log.debug("%s %s %s: %s", source, kind, status, " ".join(uids))


@dataclass(slots=True)
class _Item:
    """One input record on its way through the write path."""

    index: int
    uid: str | None
    raw: Any
    ihash: str | None = None
    result: schemas.Result | None = None
    canon: Encoded | None = None  # the canonical JSON that is stored, and its hash
    digest: str | None = None
    outcome: Outcome | None = None
    findings: Sequence[dict[str, str]] = ()  # the caller's own warnings (WritePath.prepare)

    @property
    def document(self) -> dict[str, Any]:
        assert self.result is not None and self.result.document is not None
        return self.result.document

    def validate(self, kind: str, today: date | None) -> None:
        self.result = schemas.validate(kind, self.raw, today)
        if self.result.ok:
            # Kept as text, hashed at once: orjson's bytes hold its whole working buffer
            # (about 130 KB for a 13 KB record), too much to keep for a batch.
            canon = schemas.canonical(self.document)
            self.digest = hashlib.sha256(canon).hexdigest()
            self.canon = Encoded(canon.decode())
        else:
            self.outcome = Outcome(self.index, self.uid, "invalid", errors=[e.as_dict() for e in self.result.errors])


def _prepare(
    session: so.Session, actor: Actor, kind: str, records: Sequence[Any], today: date | None
) -> tuple[list[_Item], dict[str, Any], bool]:
    """Outside the write lock: screen, skip inputs identical to the last one received,
    validate the rest. Only reads; :meth:`WriteTxn.write` re-checks under the lock.
    Returns the items, the latest revisions read and whether one statement read them."""
    policies = dict(session.execute(sa.select(Member.country, Member.review_policy)).all())
    refusals: dict[str, tuple[str, dict[str, str]] | None] = {}  # by country: the same for the whole batch
    items: list[_Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(records):
        screened = _screen(i, raw, kind, today)
        if isinstance(screened, Outcome):
            items.append(_Item(i, None, raw, outcome=screened))
            continue
        uid = screened
        country = raw["country"]
        if country in refusals:
            refusal = refusals[country]
        else:
            refusal = refusals[country] = _refusal(country, actor, policies)
        if refusal is not None:
            items.append(_Item(i, uid, raw, outcome=Outcome(i, uid, refusal[0], errors=[dict(refusal[1])])))
            continue
        item = _Item(i, uid, raw)
        if uid in seen:
            item.outcome = Outcome(
                i,
                uid,
                "invalid",
                errors=[_finding("id", "duplicate_in_batch", "The same record appears twice in this batch.")],
            )
        else:
            seen.add(uid)
            item.ihash = input_hash(raw)
        items.append(item)
    latest = {row.uid: row for row in rows_by_uid(session, _EXISTING, list(seen))}
    for item in items:
        if item.outcome is None and not (
            item.ihash and (row := latest.get(item.uid or "")) and row.input_hash == item.ihash
        ):
            item.validate(kind, today)
    return items, latest, len(seen) <= CHUNK


def is_staff(actor: Actor) -> bool:
    """The hub's own people and processes: the operator's CLI, the demo and configured
    sync sources (internal actors, without scopes), or a staff member of no country
    (secretariat, admin). A partner's API client never is, whatever its country."""
    return not actor.scopes or (actor.country is None and actor.role in ("secretariat", "admin"))


def _screen(i: int, raw: Any, kind: str, today: date | None) -> Outcome | str:
    """The envelope's shape before validation: the record's uid, or why it is invalid."""
    if isinstance(raw, Unparsed):
        return Outcome(i, None, "invalid", errors=[_finding("$", raw.code, raw.message)])
    if not isinstance(raw, dict):
        return Outcome(i, None, "invalid", errors=[_finding("$", "type", "A record is a JSON object.")])
    rid, country = raw.get("id"), raw.get("country")
    if (
        not isinstance(rid, str)
        or not ID_RE.match(rid)
        or not isinstance(country, str)
        or len(country) != 2
        or not country.isupper()
    ):
        result = schemas.validate(kind, raw, today)
        errors = [e.as_dict() for e in result.errors] or [
            _finding("id", "pattern", "A record needs a valid 'id' and 'country'.")
        ]
        return Outcome(i, None, "invalid", errors=errors)
    return schemas.uid(country, kind, rid)


def _refusal(country: str, actor: Actor, policies: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """Whether ``actor`` may write records of ``country``: None, or the status and error."""
    if country == MULTILATERAL:  # multilateral records: the hub's staff only (docs/standard.md)
        if is_staff(actor):
            return None
        return "forbidden", _finding(
            "country", "forbidden", f"{MULTILATERAL} (multilateral) records are written by the hub's staff only."
        )
    if not actor.may_write(country):
        return "forbidden", _finding("country", "forbidden", f"This client writes records of {actor.country} only.")
    if country not in policies:
        return "forbidden", _finding("country", "not_member", f"{country} is not a member of the hub.")
    return None


class WriteTxn:
    """One open write transaction, from :meth:`WritePath.transaction`.

    Its steps, in order: (1) on opening, the write lock and the audit head are taken;
    (2) :meth:`write`, :meth:`delete`, :meth:`publish` and :meth:`note` collect rows and
    audit entries, and a door may add its own rows to :attr:`session`; (3) :meth:`flush`
    writes what was collected so far (a step that reads back what an earlier one wrote,
    such as approving a revision just written, calls it first); (4) :meth:`finish` flushes
    the rest and moves the head; (5) the commit. One commit for all of it.
    """

    def __init__(
        self,
        session: so.Session,
        actor: Actor,
        source: str,
        trail: audit.AuditBatch,
        today: date | None,
        *,
        submission_key: str | None = None,
        track: bool = True,
    ) -> None:
        self.session, self.actor, self.source = session, actor, source
        self.submission_key, self.track = submission_key, track
        self.submission: Submission | None = None
        self.trail, self.today, self.now = trail, today, utcnow()
        self.day = today or self.now.date()
        self.stamp = rfc3339(self.now)
        self.change_seq = trail.head.change_seq
        self.policies: dict[str, str] = dict(session.execute(sa.select(Member.country, Member.review_policy)).all())
        self.existing: dict[str, Any] = {}
        self.committed: list[tuple[str, list[Outcome]]] = []
        self._reset()

    def _reset(self) -> None:
        self.revisions: list[dict[str, Any]] = []
        self.new_records: dict[str, dict[str, Any]] = {}
        self.changes: list[dict[str, Any]] = []
        self.published: list[dict[str, Any]] = []
        self.record_updates: list[dict[str, Any]] = []
        self.input_hash_updates: list[dict[str, Any]] = []
        self.written: dict[str, list[list[Any]]] = {}
        #: records whose pending revision a new one supersedes (SPEC section 5)
        self.superseding: list[str] = []

    # -- the batch ---------------------------------------------------------------
    def write(self, batch: Prepared, if_match: str | None = None) -> BatchOutcome:
        """Under the write lock: compare each prepared record with its latest revision and
        collect a new revision of each that changed."""
        kind, prepared = batch.kind, batch.items
        self._load_existing([it.uid for it in prepared if it.uid and it.outcome is None])
        for it in prepared:
            if it.outcome is not None:
                continue
            rec = self.existing.get(it.uid or "")
            if if_match is not None and not _holds(if_match, rec):
                raise Conflict(it.uid)
            if it.result is None:  # validation skipped: the same input as last received
                if rec is not None and rec.input_hash == it.ihash:
                    it.outcome = Outcome(
                        it.index,
                        it.uid,
                        "unchanged",
                        rec.latest_version,
                        rec.review_state,
                        content_hash=rec.latest_hash,
                    )
                    continue
                it.validate(kind, self.today)  # another writer changed it meanwhile
        valid = [it for it in prepared if it.outcome is None]
        refs = [schemas.references(kind, it.document) for it in valid]
        known = self._known_references(refs, {it.uid for it in prepared if it.uid})
        across = (
            coherence.product_findings(self.session, [(it.document, r) for it, r in zip(valid, refs)])
            if kind == "products"
            else [[] for _ in valid]
        )
        for it, doc_refs, more in zip(valid, refs, across):
            warnings = [w.as_dict() for w in (it.result.warnings if it.result else ())]
            warnings.extend(it.findings)
            warnings.extend(more)
            for path, ref in doc_refs:
                if ref not in known:
                    warnings.append(_finding(path, "reference_unknown", f"{ref} is not known to the hub (yet)."))
            assert it.canon is not None and it.digest is not None and it.uid is not None
            digest = it.digest
            rec = self.existing.get(it.uid)
            if rec is not None and digest == rec.latest_hash:
                if it.ihash and it.ihash != rec.input_hash:
                    self.input_hash_updates.append({"uid": it.uid, "input_hash": it.ihash})
                it.outcome = Outcome(
                    it.index, it.uid, "unchanged", rec.latest_version, rec.review_state, content_hash=digest
                )
            else:
                it.outcome = self._new_revision(
                    kind, it.index, it.uid, it.document, digest, it.ihash, warnings, it.canon
                )
        outcome = BatchOutcome([it.outcome for it in prepared if it.outcome is not None])
        self.committed.append((kind, outcome.results))
        return outcome

    def delete(self, kind: str, country: str, local_id: str, if_match: str | None = None) -> Outcome:
        """Collect a tombstone revision; ``unchanged`` when already deleted.

        Raises :class:`NotFound` for a record the hub does not have and :class:`Conflict`
        when ``if_match`` does not hold (:func:`_holds`)."""
        uid = schemas.uid(country, kind, local_id)
        if not self.actor.may_write(country):
            out = Outcome(
                0,
                uid,
                "forbidden",
                errors=[_finding("country", "forbidden", f"{self.actor.id} may not write records of {country}.")],
            )
        else:
            rec = self.session.get(Record, uid)
            if rec is None:
                raise NotFound(uid)
            if if_match is not None and not _holds(if_match, rec):
                raise Conflict(uid)
            tomb = {"id": local_id, "country": country}
            digest = _tombstone_hash(country, local_id)
            if digest == rec.latest_hash:
                out = Outcome(0, uid, "unchanged", rec.latest_version, rec.review_state, content_hash=digest)
            else:
                self.existing[uid] = rec
                out = self._new_revision(kind, 0, uid, tomb, digest, None, [], deleted=True)
        self.committed.append((kind, [out]))
        return out

    def _load_existing(self, uids: list[str]) -> None:
        """Only the columns the comparison needs: documents are not loaded."""
        for row in rows_by_uid(self.session, _EXISTING, uids):
            self.existing[row.uid] = row

    def _known_references(self, refs: list[list[tuple[str, str]]], in_batch: set[str]) -> set[str]:
        wanted = {ref for doc_refs in refs for _, ref in doc_refs}
        known = {u for u in wanted if u in in_batch}
        exact = [u for u in wanted - known if "/*/" not in u]
        for chunk in chunks(exact, 500):
            known.update(self.session.scalars(sa.select(Record.uid).where(Record.uid.in_(chunk))))
        for ref in wanted - known:
            if "/*/" in ref:
                country, _, local = schemas.split_uid(ref)
                hit = self.session.scalar(
                    sa.select(Record.uid).where(Record.country == country, Record.local_id == local).limit(1)
                )
                if hit or any(u.startswith(f"{country}/") and u.endswith(f"/{local}") for u in in_batch):
                    known.add(ref)
        return known

    # -- writing -----------------------------------------------------------------
    def _new_revision(
        self,
        kind: str,
        i: int,
        uid: str,
        doc: dict[str, Any],
        digest: str,
        ihash: str | None,
        warnings: list[dict[str, str]],
        encoded: str | None = None,
        deleted: bool = False,
    ) -> Outcome:
        """Append version n+1; ``encoded`` is the document's canonical JSON when known."""
        rec = self.existing.get(uid)
        stored = encoded or doc
        version = (rec.latest_version if rec else 0) + 1
        auto = self.policies.get(doc["country"], "required") == "auto"
        state = "approved" if auto else "pending"
        self.revisions.append(
            {
                "uid": uid,
                "version": version,
                "document": stored,
                "content_hash": digest,
                "deleted": deleted,
                "review_state": state,
                "warnings": warnings or _NO_WARNINGS,
                "actor": self.actor.id,
                "source": self.source,
                "created_at": self.now,
                "decided_at": self.now if auto else None,
                "decided_by": "policy:auto" if auto else None,
                "reason": None,
                "comment": None,
                "submission_id": self._submission_id(),
                "validated_with": VALIDATED_WITH,
            }
        )
        latest = {
            "latest_version": version,
            "latest_hash": digest,
            "input_hash": ihash,
            "review_state": state,
            "updated_at": self.now,
        }
        if rec is not None and rec.review_state == "pending":
            self.superseding.append(uid)
        if rec is None:
            self.new_records[uid] = {
                "uid": uid,
                "kind": kind,
                "country": doc["country"],
                "local_id": doc["id"],
                **_UNPUBLISHED,
                **latest,
            }
        else:
            self.record_updates.append({"uid": uid, **latest})
        status = "deleted" if deleted else ("updated" if rec else "created")
        self.written.setdefault(kind, []).append([uid, version, digest, status, state])
        if auto:
            self.publish(uid, version, doc, digest, deleted, warnings)
        return Outcome(i, uid, status, version, state, warnings=warnings, content_hash=digest)

    def _submission_id(self) -> int | None:
        """The submission this transaction's revisions belong to, opened on first use."""
        if not self.track:
            return None
        if self.submission is None:
            found = (
                self.session.scalar(sa.select(Submission).where(Submission.key == self.submission_key))
                if self.submission_key
                else None
            )
            if found is None:
                found = Submission(
                    key=self.submission_key,
                    source=self.source,
                    sender=self.actor.id,
                    created_at=self.now,
                    updated_at=self.now,
                    counts={},
                    warnings={},
                    flagged=0,
                )
                self.session.add(found)
                self.session.flush()
            self.submission = found
        return self.submission.id

    def _count_submission(self) -> None:
        """Add this transaction's outcomes to its submission (at the end, once)."""
        sub = self.submission
        if sub is None and self.track and self.submission_key and self.committed:
            sub = self.session.scalar(sa.select(Submission).where(Submission.key == self.submission_key))
        if sub is None:  # nothing written yet under this key: nothing to review
            return
        counts, warnings, flagged = Counter(sub.counts), Counter(sub.warnings), 0
        for _kind, results in self.committed:
            for r in results:
                counts[r.status] += 1
                if r.status in ("created", "updated", "deleted") and r.warnings:
                    flagged += 1
                    warnings.update({w["code"] for w in r.warnings})
        sub.counts, sub.warnings = dict(counts), dict(warnings)
        sub.flagged += flagged
        sub.updated_at = self.now

    def publish(
        self, uid: str, version: int, doc: dict[str, Any], digest: str, deleted: bool, warnings: list[dict[str, str]]
    ) -> None:
        """Make a revision the published one and append it to the change feed."""
        self.change_seq += 1
        kind, country = schemas.split_uid(uid)[1], doc["country"]
        snapshot = shown(kind, uid, version, "approved", doc, deleted, self.stamp, digest, warnings, self.day)
        self.changes.append(
            {
                "seq": self.change_seq,
                "uid": uid,
                "kind": kind,
                "country": country,
                "op": "delete" if deleted else "upsert",
                "version": version,
                "created_at": self.now,
                "record": orjson.dumps(snapshot).decode(),
            }
        )
        row = {
            "uid": uid,
            "published_version": version,
            "published_at": self.now,
            "published_hash": digest,
            "deleted": deleted,
            "warnings": warnings or _NO_WARNINGS,
            **(EMPTY if deleted else project_shown(snapshot)),
        }
        if uid in self.new_records:  # created and published at once: one INSERT
            self.new_records[uid].update(row)
        else:
            self.published.append(row)

    def note(self, action: str, target: str | None, detail: dict[str, Any]) -> None:
        """An audit entry of this transaction (a review decision, say), in order."""
        self.trail.add(self.actor.id, action, target, detail, self.now)

    def flush(self) -> None:
        """Write everything collected so far, in foreign-key order."""
        s = self.session
        insert_many(s, Record.__table__, list(self.new_records.values()))
        for chunk in chunks(self.superseding, 500):  # before the new revisions are inserted
            s.execute(
                sa.update(Revision)
                .where(Revision.uid.in_(chunk), Revision.review_state == "pending")
                .values(review_state="superseded", decided_at=self.now, decided_by=None)
                .execution_options(synchronize_session=False)
            )
        if self.revisions:
            _record_codelist_set(s, self.now)
        insert_many(s, Revision.__table__, self.revisions)
        for rows in (self.record_updates, self.published, self.input_hash_updates):
            if rows:
                s.execute(sa.update(Record), rows)
        insert_many(s, Change.__table__, self.changes)
        for kind, written in self.written.items():
            # One entry per write naming every revision with its content hash: the chain
            # covers each revision without an entry (and a hash) per record.
            self.note("records.write", kind, {"source": self.source, "revisions": written})
        self._reset()

    def finish(self) -> None:
        """The last step before the commit: flush, and move the head."""
        self.flush()
        self._count_submission()
        self.trail.head.change_seq = self.change_seq
        self.trail.flush(self.session)  # the head's new sequence numbers are flushed with the commit


_EXISTING = "SELECT uid, latest_version, latest_hash, input_hash, review_state FROM records WHERE uid"
_RECORDED: set[str] = set()  # databases (by URL) this process knows hold the key


def _record_codelist_set(session: so.Session, now: datetime) -> None:
    """Make sure ``codelist_sets`` names the versions behind :data:`VALIDATED_WITH` (under
    the write lock, so two processes never insert it twice)."""
    bind = session.get_bind()
    database = str(bind.engine.url)  # an Engine or a Connection: both name their engine
    if database in _RECORDED:
        return
    if session.get(CodelistSet, VALIDATED_WITH) is None:
        session.add(
            CodelistSet(
                key=VALIDATED_WITH, standard=schemas.STANDARD_VERSION, versions=codelists.versions(), first_used_at=now
            )
        )
        session.flush()
    _RECORDED.add(database)


_NO_WARNINGS = Encoded("[]")  # most records have none: no serialising per row
_UNPUBLISHED = {
    "published_version": None,
    "published_at": None,
    "published_hash": None,
    "deleted": False,
    "warnings": None,
    **EMPTY,
}
