"""How a stored record is shown to readers: the document, derived values and hub fields."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import schemas

from .models import Record, Revision


def rfc3339(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def published(rec: Record, today: date | None = None) -> dict[str, Any]:
    """The published revision of ``rec`` as readers and exports see it."""
    assert rec.document is not None and rec.published_version is not None
    body = {"deleted": True, **rec.document} if rec.deleted else schemas.enrich(rec.kind, rec.document, today)
    return {**body, "uid": rec.uid, "version": rec.published_version, "review": "approved",
            "hub_updated_at": rfc3339(rec.published_at), "content_hash": rec.published_hash,
            "warnings": rec.warnings or []}


def revision(rev: Revision, kind: str, today: date | None = None) -> dict[str, Any]:
    """Any revision (history, review queue), with its review state and decision."""
    body = {"deleted": True, **rev.document} if rev.deleted else schemas.enrich(kind, rev.document, today)
    out = {**body, "uid": rev.uid, "version": rev.version, "review": rev.review_state,
           "hub_updated_at": rfc3339(rev.created_at), "content_hash": rev.content_hash,
           "warnings": rev.warnings or []}
    if rev.review_state in ("returned", "rejected"):
        out["review_reason"] = {"code": rev.reason, "comment": rev.comment}
    return out
