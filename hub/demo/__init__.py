"""The demo data set: a small, published picture of the network for newcomers.

One JSON file per kind beside this module (``programmes.json`` ... ``activities.json``),
each a list of standard records. Programmes and their legal basis, the Vietnamese partner
network and the activities are drawn from public sources; producers and products are
fictional, written for the demo.

:func:`load_demo` sends every kind through the one write path, in dependency order, as
the actor ``demo`` (any country), then approves the pending revisions through the review
service as the secretariat, so the demo is published, fed and audited like real data.
Running it again changes nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

import schemas

from ..actors import Actor
from ..curation import review
from ..store.models import Member

if TYPE_CHECKING:  # pragma: no cover
    from ..services import Hub

# Dependency order: what a record refers to is written before it. Programmes come first
# and therefore do not name their managing organisation by reference (only as text).
ORDER = ("programmes", "organisations", "partnerships", "producers", "products", "indicators", "activities")
SOURCE = "demo"
WRITER = Actor("demo", None)
REVIEWER = Actor("demo:secretariat", None, role="secretariat")


class DemoDataError(RuntimeError):
    """The packaged demo data does not fit the standard or the hub (nothing is approved)."""


def records(kind: str) -> list[dict[str, Any]]:
    """The demo records of one kind, read from the package (works when installed)."""
    if kind not in ORDER:
        raise KeyError(kind)
    text = resources.files(__name__).joinpath(f"{kind}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list):
        raise DemoDataError(f"hub/demo/{kind}.json must hold a JSON list of records")
    return data


def all_records() -> dict[str, list[dict[str, Any]]]:
    """Every demo record by kind, in dependency order."""
    return {kind: records(kind) for kind in ORDER}


def check(data: dict[str, list[dict[str, Any]]] | None = None) -> list[str]:
    """Problems that would make a demo record ``invalid`` (empty when all validate)."""
    data = all_records() if data is None else data
    problems: list[str] = []
    for kind, recs in data.items():
        for i, raw in enumerate(recs):
            result = schemas.validate(kind, raw)
            label = f"{kind}[{i}] {raw.get('country')}/{raw.get('id')}" if isinstance(raw, dict) else f"{kind}[{i}]"
            problems.extend(f"{label}: {e.path}: {e.code}: {e.message}" for e in result.errors)
    return problems


def load_demo(hub: Hub) -> dict[str, int]:
    """Write and publish the demo data; returns counts by outcome and ``approved``.

    Raises :class:`DemoDataError` before writing anything when a record is invalid or
    belongs to a country that is not a member of this hub.
    """
    data = all_records()
    problems = check(data)
    if problems:
        raise DemoDataError("invalid demo records:\n  " + "\n  ".join(problems))
    countries = {r["country"] for recs in data.values() for r in recs}
    with hub.sessions() as session:
        members = set(session.scalars(sa.select(Member.country)))
    missing = sorted(countries - members)
    if missing:
        raise DemoDataError(
            f"the demo data needs these member countries: {', '.join(missing)} "
            "(add them to the 'members' setting and run 'hub init')"
        )

    counts: Counter[str] = Counter()
    to_approve: list[tuple[str, int]] = []
    for kind in ORDER:
        outcome = hub.writes.write(WRITER, kind, data[kind], source=SOURCE)
        refused = [r for r in outcome.results if r.status in ("invalid", "forbidden")]
        if refused:
            detail = "; ".join(f"{r.uid or r.index}: {r.status} {r.errors}" for r in refused)
            raise DemoDataError(f"the hub refused demo {kind}: {detail}")
        for r in outcome.results:
            counts[r.status] += 1
            # New revisions, and any demo revision a previous, interrupted run left pending.
            if r.review == "pending" and r.uid is not None and r.version is not None:
                to_approve.append((r.uid, r.version))
    for uid, version in to_approve:
        review.decide(hub.sessions, REVIEWER, uid, version, "approve")
        counts["approved"] += 1
    return {key: counts.get(key, 0) for key in ("created", "updated", "unchanged", "approved")}


__all__ = ["load_demo", "records", "all_records", "check", "DemoDataError", "ORDER"]
