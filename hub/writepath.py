"""The one write path: every change to a record, from every door, goes through here.

validate (schemas/) -> normalise and derive -> canonical hash -> compare with the
latest revision -> append a revision -> review state -> publish to the change feed ->
audit -> one commit per batch.
"""
from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Sequence

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas
from schemas.base import HUB_FIELDS
from schemas.fields import ID_RE

from . import audit, metrics
from .actors import Actor
from .db import Encoded, insert_many
from .models import Change, Member, Record, Revision, utcnow
from .projection import EMPTY, project_shown
from .representation import rfc3339, shown

STATUSES = ("created", "updated", "unchanged", "deleted", "invalid", "forbidden")
log = logging.getLogger("hub.writepath")


@dataclass
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
        return {"index": self.index, "uid": self.uid, "status": self.status,
                "version": self.version, "review": self.review,
                "errors": self.errors, "warnings": self.warnings}


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


class NotFound(Exception):
    """The record does not exist (HTTP 404)."""


def input_hash(raw: dict[str, Any]) -> str | None:
    """Hash of the raw input (hub fields dropped): the cheap unchanged check."""
    try:
        clean = raw if HUB_FIELDS.isdisjoint(raw) else {k: v for k, v in raw.items() if k not in HUB_FIELDS}
        body = orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    return hashlib.sha256(body).hexdigest()


def uid_of(kind: str, country: str, local_id: str) -> str:
    return f"{country}/{kind}/{local_id}"


def _finding(path: str, code: str, message: str) -> dict[str, str]:
    return {"path": path, "code": code, "message": message}


class WritePath:
    """The service every door calls. Each public method is one transaction."""

    def __init__(self, factory: so.sessionmaker[so.Session]) -> None:
        self.factory = factory

    def write(self, actor: Actor, kind: str, records: Sequence[Any], *, source: str,
              if_match: str | None = None, today: date | None = None,
              after: Callable[[so.Session, BatchOutcome], None] | None = None) -> BatchOutcome:
        """Upsert a batch of records of one kind; one transaction for the whole batch.

        Validation (the costly part) runs before the write lock is taken, so concurrent
        writers in several processes validate in parallel and hold the lock only to
        compare and write. ``after`` runs inside the transaction once the outcome is
        known (a door's own bookkeeping, e.g. the stored answer of an idempotent request).
        """
        if kind not in schemas.KINDS:
            raise ValueError(f"unknown kind '{kind}'")
        with self.factory() as session:
            prepared = _prepare(session, actor, kind, records, today)
        with self.factory() as session, session.begin():
            head = audit.lock(session)
            job = _Batch(session, actor, kind, source, audit.AuditBatch(head), today)
            outcome = job.apply(prepared, if_match)
            job.finish()
            if after is not None:
                after(session, outcome)
        _committed(actor, kind, source, outcome.results)
        return outcome

    def delete(self, actor: Actor, kind: str, country: str, local_id: str, *, source: str,
               if_match: str | None = None) -> Outcome:
        """Write a tombstone revision; ``unchanged`` when already deleted."""
        out = self._delete(actor, kind, country, local_id, source, if_match)
        _committed(actor, kind, source, [out])
        return out

    def _delete(self, actor: Actor, kind: str, country: str, local_id: str, source: str,
                if_match: str | None) -> Outcome:
        uid = uid_of(kind, country, local_id)
        if not actor.may_write(country):
            return Outcome(0, uid, "forbidden", errors=[_finding("country", "forbidden",
                           f"{actor.id} may not write records of {country}.")])
        with self.factory() as session, session.begin():
            head = audit.lock(session)
            job = _Batch(session, actor, kind, source, audit.AuditBatch(head), None)
            rec = session.get(Record, uid)
            if rec is None:
                raise NotFound(uid)
            if if_match is not None and if_match != rec.latest_hash:
                raise Conflict(uid)
            tomb = {"id": local_id, "country": country}
            digest = schemas.content_hash({**tomb, "deleted": True})
            if digest == rec.latest_hash:
                return Outcome(0, uid, "unchanged", rec.latest_version, rec.review_state,
                               content_hash=digest)
            job.existing = {uid: rec}
            out = job.new_revision(0, uid, tomb, digest, None, [], deleted=True)
            job.finish()
            return out


def _committed(actor: Actor, kind: str, source: str, results: list[Outcome]) -> None:
    """Count and log a committed batch: one line per batch (the uids only at DEBUG), so the
    line carries the request id or sync run of the caller (:mod:`hub.logs`)."""
    counts = Counter(r.status for r in results)
    metrics.count_written(counts, source)
    if log.isEnabledFor(logging.INFO):
        log.info("%s %s by %s: %s", source, kind, actor.id,
                 ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s]) or "empty batch")
    if log.isEnabledFor(logging.DEBUG):
        for status in STATUSES:
            uids = [r.uid or f"#{r.index}" for r in results if r.status == status]
            if uids:
                log.debug("%s %s %s: %s", source, kind, status, " ".join(uids))


@dataclass
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
            self.outcome = Outcome(self.index, self.uid, "invalid",
                                   errors=[e.as_dict() for e in self.result.errors])


def _prepare(session: so.Session, actor: Actor, kind: str, records: Sequence[Any],
             today: date | None) -> list[_Item]:
    """Outside the write lock: screen, skip inputs identical to the last one received,
    validate the rest. Only reads; :meth:`_Batch.apply` re-checks under the lock."""
    policies = dict(session.execute(sa.select(Member.country, Member.review_policy)).all())
    items: list[_Item] = []
    seen: set[str] = set()
    for i, raw in enumerate(records):
        early = _screen(i, raw, kind, actor, policies, today)
        item = _Item(i, early.uid if early else uid_of(kind, raw["country"], raw["id"]), raw, outcome=early)
        if early is None:
            if item.uid in seen:
                item.outcome = Outcome(i, item.uid, "invalid", errors=[_finding(
                    "id", "duplicate_in_batch", "The same record appears twice in this batch.")])
            else:
                seen.add(item.uid)  # type: ignore[arg-type]
                item.ihash = input_hash(raw)
        items.append(item)
    last_input: dict[str, str | None] = {}
    for chunk in _chunks(sorted(seen), 500):
        last_input.update(session.execute(sa.select(Record.uid, Record.input_hash)
                                          .where(Record.uid.in_(chunk))).all())
    for item in items:
        if item.outcome is None and not (item.ihash and last_input.get(item.uid) == item.ihash):  # type: ignore[arg-type]
            item.validate(kind, today)
    return items


def _screen(i: int, raw: Any, kind: str, actor: Actor, policies: dict[str, str],
            today: date | None) -> Outcome | None:
    """Checks before validation: shape of the envelope and the actor's country."""
    if isinstance(raw, Unparsed):
        return Outcome(i, None, "invalid", errors=[_finding("$", raw.code, raw.message)])
    if not isinstance(raw, dict):
        return Outcome(i, None, "invalid", errors=[_finding("$", "type", "A record is a JSON object.")])
    rid, country = raw.get("id"), raw.get("country")
    if not isinstance(rid, str) or not ID_RE.match(rid) or not isinstance(country, str) \
            or len(country) != 2 or not country.isupper():
        result = schemas.validate(kind, raw, today)
        errors = [e.as_dict() for e in result.errors] or [
            _finding("id", "pattern", "A record needs a valid 'id' and 'country'.")]
        return Outcome(i, None, "invalid", errors=errors)
    uid = uid_of(kind, country, rid)
    if not actor.may_write(country):
        return Outcome(i, uid, "forbidden", errors=[_finding(
            "country", "forbidden", f"This client writes records of {actor.country} only.")])
    if country not in policies:
        return Outcome(i, uid, "forbidden", errors=[_finding(
            "country", "not_member", f"{country} is not a member of the hub.")])
    return None


class _Batch:
    """The work of one write transaction (kept off the public surface)."""

    def __init__(self, session: so.Session, actor: Actor, kind: str, source: str,
                 trail: audit.AuditBatch, today: date | None) -> None:
        self.session, self.actor, self.kind, self.source = session, actor, kind, source
        self.trail, self.today, self.now = trail, today, utcnow()
        self.day = today or self.now.date()
        self.stamp = rfc3339(self.now)
        self.change_seq = trail.head.change_seq
        self.policies: dict[str, str] = dict(session.execute(
            sa.select(Member.country, Member.review_policy)).all())
        self.existing: dict[str, Record] = {}
        self.revisions: list[dict[str, Any]] = []
        self.new_records: dict[str, dict[str, Any]] = {}
        self.changes: list[dict[str, Any]] = []
        self.published: list[dict[str, Any]] = []
        self.record_updates: list[dict[str, Any]] = []
        self.input_hash_updates: list[dict[str, Any]] = []
        self.written: list[list[Any]] = []

    # -- the batch ---------------------------------------------------------------
    def apply(self, prepared: list[_Item], if_match: str | None) -> BatchOutcome:
        """Under the write lock: compare each prepared record with its latest revision."""
        self._load_existing([it.uid for it in prepared if it.uid and it.outcome is None])
        for it in prepared:
            if it.outcome is not None:
                continue
            rec = self.existing.get(it.uid)  # type: ignore[arg-type]
            if if_match is not None and (rec.latest_hash if rec else None) != if_match:
                raise Conflict(it.uid)
            if it.result is None:  # validation skipped: the same input as last received
                if rec is not None and rec.input_hash == it.ihash:
                    it.outcome = Outcome(it.index, it.uid, "unchanged", rec.latest_version, rec.review_state,
                                         content_hash=rec.latest_hash)
                    continue
                it.validate(self.kind, self.today)  # another writer changed it meanwhile
        valid = [it for it in prepared if it.outcome is None]
        refs = [schemas.references(self.kind, it.document) for it in valid]
        known = self._known_references(refs, {it.uid for it in prepared if it.uid})
        for it, doc_refs in zip(valid, refs):
            warnings = [w.as_dict() for w in it.result.warnings]  # type: ignore[union-attr]
            for path, ref in doc_refs:
                if ref not in known:
                    warnings.append(_finding(path, "reference_unknown",
                                             f"{ref} is not known to the hub (yet)."))
            assert it.canon is not None and it.digest is not None and it.uid is not None
            digest = it.digest
            rec = self.existing.get(it.uid)
            if rec is not None and digest == rec.latest_hash:
                if it.ihash and it.ihash != rec.input_hash:
                    self.input_hash_updates.append({"uid": it.uid, "input_hash": it.ihash})
                it.outcome = Outcome(it.index, it.uid, "unchanged", rec.latest_version, rec.review_state,
                                     content_hash=digest)
            else:
                it.outcome = self.new_revision(it.index, it.uid, it.document, digest, it.ihash,
                                               warnings, it.canon)
        return BatchOutcome([it.outcome for it in prepared if it.outcome is not None])

    def _load_existing(self, uids: list[str]) -> None:
        """Only the columns the comparison needs: documents are not loaded."""
        cols = (Record.uid, Record.latest_version, Record.latest_hash, Record.input_hash,
                Record.review_state)
        for chunk in _chunks(uids, 500):
            for row in self.session.execute(sa.select(*cols).where(Record.uid.in_(chunk))):
                self.existing[row.uid] = row

    def _known_references(self, refs: list[list[tuple[str, str]]], in_batch: set[str]) -> set[str]:
        wanted = {ref for doc_refs in refs for _, ref in doc_refs}
        known = {u for u in wanted if u in in_batch}
        exact = [u for u in wanted - known if "/*/" not in u]
        for chunk in _chunks(exact, 500):
            known.update(self.session.scalars(sa.select(Record.uid).where(Record.uid.in_(chunk))))
        for ref in wanted - known:
            if "/*/" in ref:
                country, _, local = ref.split("/", 2)
                hit = self.session.scalar(sa.select(Record.uid).where(
                    Record.country == country, Record.local_id == local).limit(1))
                if hit or any(u.startswith(f"{country}/") and u.endswith(f"/{local}") for u in in_batch):
                    known.add(ref)
        return known

    # -- writing -----------------------------------------------------------------
    def new_revision(self, i: int, uid: str, doc: dict[str, Any], digest: str, ihash: str | None,
                     warnings: list[dict[str, str]], encoded: str | None = None,
                     deleted: bool = False) -> Outcome:
        """Append version n+1; ``encoded`` is the document's canonical JSON when known."""
        rec = self.existing.get(uid)
        stored = encoded or doc
        version = (rec.latest_version if rec else 0) + 1
        auto = self.policies.get(doc["country"], "required") == "auto"
        state = "approved" if auto else "pending"
        self.revisions.append({
            "uid": uid, "version": version, "document": stored, "content_hash": digest,
            "deleted": deleted, "review_state": state, "warnings": warnings or _NO_WARNINGS,
            "actor": self.actor.id, "source": self.source, "created_at": self.now,
            "decided_at": self.now if auto else None, "decided_by": "policy:auto" if auto else None,
            "reason": None, "comment": None})
        latest = {"latest_version": version, "latest_hash": digest, "input_hash": ihash,
                  "review_state": state, "updated_at": self.now}
        if rec is None:
            self.new_records[uid] = {"uid": uid, "kind": self.kind, "country": doc["country"],
                                     "local_id": doc["id"], **_UNPUBLISHED, **latest}
        else:
            self.record_updates.append({"uid": uid, **latest})
        status = "deleted" if deleted else ("updated" if rec else "created")
        self.written.append([uid, version, digest, status, state])
        if auto:
            self.publish(uid, version, doc, digest, deleted, warnings)
        return Outcome(i, uid, status, version, state, warnings=warnings, content_hash=digest)

    def publish(self, uid: str, version: int, doc: dict[str, Any], digest: str, deleted: bool,
                warnings: list[dict[str, str]]) -> None:
        """Make a revision the published one and append it to the change feed."""
        self.change_seq += 1
        kind, country = uid.split("/")[1], doc["country"]
        snapshot = shown(kind, uid, version, "approved", doc, deleted, self.stamp, digest, warnings, self.day)
        self.changes.append({"seq": self.change_seq, "uid": uid, "kind": kind, "country": country,
                             "op": "delete" if deleted else "upsert", "version": version,
                             "created_at": self.now, "record": orjson.dumps(snapshot).decode()})
        row = {"uid": uid, "published_version": version, "published_at": self.now,
               "published_hash": digest, "deleted": deleted, "warnings": warnings or _NO_WARNINGS,
               **(EMPTY if deleted else project_shown(snapshot))}
        if uid in self.new_records:  # created and published at once: one INSERT
            self.new_records[uid].update(row)
        else:
            self.published.append(row)

    def finish(self) -> None:
        """Write everything collected, in foreign-key order, and move the head."""
        s = self.session
        insert_many(s, Record.__table__, list(self.new_records.values()))
        insert_many(s, Revision.__table__, self.revisions)
        for rows in (self.record_updates, self.published, self.input_hash_updates):
            if rows:
                s.execute(sa.update(Record), rows)
        insert_many(s, Change.__table__, self.changes)
        if self.written:
            # One entry per write transaction naming every revision with its content hash:
            # the chain covers each revision without an entry (and a hash) per record.
            self.trail.add(self.actor.id, "records.write", self.kind,
                           {"source": self.source, "revisions": self.written}, self.now)
        self.trail.head.change_seq = self.change_seq
        self.trail.flush(s)  # the head's new sequence numbers are flushed with the commit


_NO_WARNINGS = Encoded("[]")  # most records have none: no serialising per row
_UNPUBLISHED = {"published_version": None, "published_at": None, "published_hash": None,
                "deleted": False, "warnings": None, **EMPTY}


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
