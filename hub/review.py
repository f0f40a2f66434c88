"""Review decisions: only approved revisions are published (SPEC section 5)."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from schemas import codelists

from . import audit
from .actors import Actor
from .models import Record, Revision
from .writepath import _Batch

DECISIONS = {"approve": "approved", "reject": "rejected", "return": "returned"}


class ReviewError(Exception):
    """A decision that cannot be taken; ``status`` is the HTTP status a door should use."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Decision:
    uid: str
    version: int
    state: str
    published: bool


def decide(factory: so.sessionmaker[so.Session], actor: Actor, uid: str, version: int,
           decision: str, reason: str | None = None, comment: str | None = None) -> Decision:
    """Approve, reject or return one pending revision, in one audited transaction."""
    state = DECISIONS.get(decision)
    if state is None:
        raise ReviewError(f"decision must be one of: {', '.join(DECISIONS)}", 422)
    if decision == "return" and reason not in codelists.codes("return-reasons"):
        raise ReviewError("a returned revision needs a reason code from codelist 'return-reasons'", 422)
    if decision == "reject" and reason is not None and reason not in codelists.codes("return-reasons"):
        raise ReviewError("unknown reason code", 422)
    country, kind = uid.split("/")[0], uid.split("/")[1]
    if not actor.may_write(country):
        raise ReviewError(f"{actor.id} may not review records of {country}", 403)
    with factory() as session, session.begin():
        head = audit.lock(session)
        rev = session.scalar(sa.select(Revision).where(Revision.uid == uid, Revision.version == version))
        if rev is None:
            raise ReviewError(f"{uid} has no version {version}", 404)
        if rev.review_state != "pending":
            raise ReviewError(f"{uid} version {version} is already {rev.review_state}")
        rec = session.get(Record, uid)
        assert rec is not None
        if state == "approved" and (rec.published_version or 0) > version:
            raise ReviewError(f"version {rec.published_version} is already published; "
                              f"version {version} is superseded")
        job = _Batch(session, actor, kind, "review", audit.AuditBatch(head), None)
        now = job.now
        rev.review_state, rev.decided_at, rev.decided_by = state, now, actor.id
        rev.reason, rev.comment = reason, comment
        if rec.latest_version == version:
            rec.review_state = state
        if state == "approved":
            job.publish(uid, version, rev.document, rev.content_hash, rev.deleted, rev.warnings)
        job.trail.add(actor.id, f"review.{decision}", uid,
                      {"version": version, "reason": reason, "comment": comment}, now)
        job.finish()
    return Decision(uid, version, state, state == "approved")


def pending(session: so.Session, *, country: str | None = None, kind: str | None = None,
            limit: int = 100) -> list[Revision]:
    """Pending revisions, oldest first (own country for a reviewer; all for the secretariat)."""
    q = sa.select(Revision).where(Revision.review_state == "pending")
    if country:
        q = q.where(Revision.uid.like(f"{country}/%"))
    if kind:
        q = q.where(Revision.uid.like(f"%/{kind}/%"))
    return list(session.scalars(q.order_by(Revision.created_at, Revision.id).limit(limit)))
