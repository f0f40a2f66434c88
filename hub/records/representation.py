"""How a stored record is shown to readers: the document, derived values and hub fields."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import schemas

from ..store.models import Record, Revision


def rfc3339(at: datetime | None) -> str | None:
    if at is None:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def shown(
    kind: str,
    uid: str,
    version: int,
    review: str,
    doc: dict[str, Any],
    deleted: bool,
    at: str | None,
    digest: str | None,
    warnings: list[Any] | None,
    today: date | None = None,
) -> dict[str, Any]:
    """A revision as readers see it: the document, what the hub derives, the hub fields."""
    body = {"deleted": True, **doc} if deleted else schemas.enrich(kind, doc, today)
    return {
        **body,
        "uid": uid,
        "version": version,
        "review": review,
        "hub_updated_at": at,
        "content_hash": digest,
        "warnings": warnings or [],
    }


def published(rec: Record, today: date | None = None) -> dict[str, Any]:
    """The published revision of ``rec`` as lists, single reads and exports show it."""
    assert rec.document is not None and rec.published_version is not None
    return shown(
        rec.kind,
        rec.uid,
        rec.published_version,
        "approved",
        rec.document,
        rec.deleted,
        rfc3339(rec.published_at),
        rec.published_hash,
        rec.warnings,
        today,
    )


def revision(rev: Revision, kind: str, today: date | None = None) -> dict[str, Any]:
    """Any revision (history, review queue), with its review state and decision."""
    out = shown(
        kind,
        rev.uid,
        rev.version,
        rev.review_state,
        rev.document,
        rev.deleted,
        rfc3339(rev.created_at),
        rev.content_hash,
        rev.warnings,
        today,
    )
    if rev.review_state in ("returned", "rejected"):
        out["review_reason"] = {"code": rev.reason, "comment": rev.comment}
    return out
