"""Delete detection for snapshot sources, at the end of a complete pass.

Every record a snapshot source delivers is marked with the pass (``generation``) that
last delivered it (:func:`hub.store.syncruns.mark_seen`). Records the source delivered in
earlier passes but not in this one are gone at the source: reported (``deletes =
"report"``), deleted through the write path (``"apply"``, refused beyond ``max_deletes``
of the source's records: a truncated file must not empty the hub), or ignored (``"never"``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas

from ..records.writepath import NotFound
from ..services import Hub
from ..store import locks, syncruns
from ..store.syncruns import SourceItem
from .base import WRITE_SOURCE, Source

SHOWN = 100  # uids listed in a report


class RefusedDeletes(Exception):
    """Delete detection found more deletions than ``max_deletes`` allows."""


def known(session: so.Session, source: str) -> Iterable[str]:
    """Every record the source has delivered in any pass."""
    return session.scalars(sa.select(SourceItem.uid).where(SourceItem.source == source))


def report(policy: str, gone: list[str], total: int | None = None) -> dict[str, Any]:
    """The ``deletes`` entry of a run's report."""
    out: dict[str, Any] = {"policy": policy, "candidates": len(gone)}
    if total is not None:
        out["of"] = total
    return out | {"uids": gone[:SHOWN], "applied": 0}


def detect(
    hub: Hub,
    source: Source,
    lock: locks.Lock,
    run_id: int,
    generation: int,
    counts: Counter[str],
    run_report: dict[str, Any],
) -> None:
    """After a complete pass ``generation``: report, or apply, the deletions by policy.

    Each deletion is one write transaction with its bookkeeping (the lock checked, the
    source item dropped, the run counted), so a run stopped half-way resumes cleanly.
    ``counts`` and ``run_report["deletes"]`` follow as they are applied.
    """
    policy, name = source.deletes, source.name
    if policy == "never":
        return
    with hub.sessions() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(SourceItem).where(SourceItem.source == name)) or 0
        gone = list(
            session.scalars(
                sa.select(SourceItem.uid)
                .where(SourceItem.source == name, SourceItem.generation < generation)
                .order_by(SourceItem.uid)
            )
        )
    run_report["deletes"] = report(policy, gone, total)
    if not gone or policy == "report":
        return
    if len(gone) > source.max_deletes * total:
        raise RefusedDeletes(
            f"refusing to delete {len(gone)} of the source's {total} records (max_deletes = "
            f"{source.max_deletes:.0%}); check the source (a truncated file?), or raise max_deletes"
        )
    for uid in gone:
        country, kind, local = schemas.split_uid(uid)
        delta: Counter[str] = Counter()
        with hub.writes.transaction(source.actor, WRITE_SOURCE) as txn:
            try:
                out = txn.delete(kind, country, local)
                delta["deleted" if out.status == "deleted" else "unchanged"] += 1
            except NotFound:
                pass
            locks.check(txn.session, lock.name, lock.holder, lock.ttl)
            txn.session.execute(sa.delete(SourceItem).where(SourceItem.source == name, SourceItem.uid == uid))
            syncruns.add_counts(txn.session, run_id, delta)
        counts.update(delta)
        run_report["deletes"]["applied"] += delta["deleted"]
