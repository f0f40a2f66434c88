"""The write path's public doors: one transaction a door can add to, and a preview."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.actors import Actor
from hub.curation import members, review
from hub.store import audit
from hub.store.models import AuditEntry, Change, Record, Revision
from tests.conftest import product

VN = Actor("client:vn", "VN")
TH = Actor("client:th", "TH")
MIRROR = Actor("sync:mirror", "VN")  # internal: publishes what was reviewed elsewhere


def counts(hub):  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return tuple(
            s.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Record, Revision, Change, AuditEntry)
        )


def test_a_preview_answers_what_the_write_then_does_and_writes_nothing(hub):
    hub.writes.write(VN, "products", [product(1), product(2)], source="test")
    batch = [
        product(1),
        product(2, name={"vi": "Mắc ca mới"}),
        product(3),
        {"id": "x"},
        product(4, country="TH"),
        product(5, country="US"),
    ]
    before = counts(hub)
    preview = hub.writes.preview(VN, "products", batch)
    assert counts(hub) == before
    written = hub.writes.write(VN, "products", batch, source="test")
    assert preview.as_dict() == written.as_dict()
    assert [r.status for r in preview.results] == [
        "unchanged",
        "updated",
        "created",
        "invalid",
        "forbidden",
        "forbidden",
    ]


def test_a_preview_takes_no_write_lock(hub):
    with hub.writes.transaction(VN, "test") as txn:  # holds the write lock
        txn.write(hub.writes.prepare(VN, "products", [product(1)]))
        # SQLite allows one writer; a preview only reads, so it does not wait for the lock
        assert hub.writes.preview(TH, "products", [product(2, country="TH")]).results[0].status == "created"


def test_a_door_s_rows_and_approvals_commit_with_the_write_or_not_at_all(hub):
    with hub.sessions() as s:  # the door approves its own write: four eyes off for VN
        members.set_four_eyes(s, "user:admin", "VN", False)
        s.commit()
    with pytest.raises(RuntimeError):
        with hub.writes.transaction(MIRROR, "test") as txn:
            out = txn.write(hub.writes.prepare(MIRROR, "products", [product(1)]))
            review.approve_within(txn, [(r.uid, r.version) for r in out.results])
            raise RuntimeError("the door's own step failed")
    assert counts(hub)[:3] == (0, 0, 0)
    with hub.writes.transaction(MIRROR, "test") as txn:
        out = txn.write(hub.writes.prepare(MIRROR, "products", [product(1)]))
        decisions = review.approve_within(txn, [(r.uid, r.version) for r in out.results])
    assert [d.published for d in decisions] == [True]
    with hub.sessions() as s:
        assert [c.uid for c in s.scalars(sa.select(Change))] == ["VN/products/p1"]
        actions = [e.action for e in s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq))]
        assert actions[-2:] == ["records.write", "review.approve"]
        assert audit.verify(s) == []
