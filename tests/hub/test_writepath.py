"""The one write path: statuses, versions, idempotency, review, feed, audit, atomicity."""

from __future__ import annotations

import unicodedata

import pytest
import sqlalchemy as sa

from hub.actors import Actor
from hub.curation import review
from hub.curation.members import set_policy
from hub.records.exports import published_records
from hub.records.writepath import Conflict, NotFound
from hub.store import audit
from hub.store.db import transaction
from hub.store.models import AuditEntry, Change, Record, Revision
from tests.conftest import product

VN = Actor("client:vn", "VN")


def auto(hub, country="VN"):  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", country, "auto")


def feed(hub):  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return [(c.seq, c.uid, c.op, c.version) for c in s.scalars(sa.select(Change).order_by(Change.seq))]


def test_created_pending_under_required_policy_is_not_published(hub):
    out = hub.writes.write(VN, "products", [product(1)], source="test")
    assert out.as_dict()["results"][0] | {"warnings": []} == {
        "index": 0,
        "uid": "VN/products/p1",
        "status": "created",
        "version": 1,
        "review": "pending",
        "errors": [],
        "warnings": [],
    }
    assert feed(hub) == []
    with hub.sessions() as s:
        assert list(published_records(s, "products")) == []


def test_auto_policy_publishes_and_feeds(hub):
    auto(hub)
    out = hub.writes.write(VN, "products", [product(1), product(2)], source="test")
    assert [r.review for r in out.results] == ["approved", "approved"]
    assert feed(hub) == [(1, "VN/products/p1", "upsert", 1), (2, "VN/products/p2", "upsert", 1)]


def test_unchanged_redelivery_writes_nothing(hub):
    auto(hub)
    hub.writes.write(VN, "products", [product(1)], source="test")
    again = hub.writes.write(VN, "products", [product(1)], source="test")
    assert again.results[0].status == "unchanged" and again.results[0].version == 1
    assert len(feed(hub)) == 1
    with hub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Revision)) == 1


def test_nfd_spelling_of_the_same_content_is_unchanged(hub):
    hub.writes.write(VN, "products", [product(1)], source="test")
    nfd = product(1, name={"vi": unicodedata.normalize("NFD", "Mắc ca Lê Anh"), "en": " Le Anh macadamia "})
    out = hub.writes.write(VN, "products", [nfd], source="test")
    assert out.results[0].status == "unchanged"


def test_update_makes_version_two(hub):
    hub.writes.write(VN, "products", [product(1)], source="test")
    out = hub.writes.write(VN, "products", [product(1, package="500 g")], source="test")
    assert (out.results[0].status, out.results[0].version) == ("updated", 2)


def test_each_record_is_judged_on_its_own(hub):
    bad = product(2, gtin="8934567890121")
    out = hub.writes.write(VN, "products", [product(1), bad, "nope", product(3, country="TH")], source="test")
    assert [r.status for r in out.results] == ["created", "invalid", "invalid", "forbidden"]
    assert out.results[1].errors == [
        {"path": "gtin", "code": "gtin_check_digit", "message": "The GTIN check digit is wrong."}
    ]
    assert out.summary["created"] == 1 and out.summary["invalid"] == 2 and not out.ok


def test_same_record_twice_in_a_batch(hub):
    out = hub.writes.write(VN, "products", [product(1), product(1)], source="test")
    assert [r.status for r in out.results] == ["created", "invalid"]
    assert out.results[1].errors[0]["code"] == "duplicate_in_batch"


def test_non_member_country_is_forbidden(hub):
    out = hub.writes.write(Actor("system"), "products", [product(1, country="FR")], source="test")
    assert out.results[0].status == "forbidden"
    assert out.results[0].errors[0]["code"] == "not_member"


def test_round_trip_of_a_published_record_is_unchanged(hub):
    auto(hub)
    hub.writes.write(VN, "products", [product(1, origin={"place": "Quảng Nam"})], source="test")
    with hub.sessions() as s:
        [exported] = list(published_records(s, "products"))
    assert exported["category"]["common"] and exported["certifications"][0]["band"] == 4
    out = hub.writes.write(VN, "products", [exported], source="test")
    assert out.results[0].status == "unchanged"


def test_unknown_reference_is_a_warning_and_batch_order_does_not_matter(hub):
    out = hub.writes.write(VN, "products", [product(1, producer="htx-1")], source="test")
    assert out.results[0].status == "created"
    assert [w["code"] for w in out.results[0].warnings] == ["reference_unknown"]
    producer = {"id": "htx-2", "country": "VN", "name": {"vi": "HTX Đồng Tâm"}, "type": "cooperative"}
    hub.writes.write(VN, "producers", [producer], source="test")
    out = hub.writes.write(VN, "products", [product(2, producer="htx-2")], source="test")
    assert out.results[0].warnings == []


def test_delete_writes_a_tombstone_once(hub):
    auto(hub)
    hub.writes.write(VN, "products", [product(1)], source="test")
    out = hub.writes.delete(VN, "products", "VN", "p1", source="test")
    assert (out.status, out.version) == ("deleted", 2)
    assert hub.writes.delete(VN, "products", "VN", "p1", source="test").status == "unchanged"
    assert feed(hub)[-1] == (2, "VN/products/p1", "delete", 2)
    with hub.sessions() as s:
        assert list(published_records(s, "products")) == []
    with pytest.raises(NotFound):
        hub.writes.delete(VN, "products", "VN", "nothing", source="test")
    assert hub.writes.delete(Actor("client:th", "TH"), "products", "VN", "p1", source="t").status == "forbidden"


def test_if_match_guards_concurrent_updates(hub):
    hub.writes.write(VN, "products", [product(1)], source="test")
    with hub.sessions() as s:
        etag = s.get(Record, "VN/products/p1").latest_hash
    with pytest.raises(Conflict):
        hub.writes.write(VN, "products", [product(1, package="1 kg")], source="t", if_match="0" * 64)
    out = hub.writes.write(VN, "products", [product(1, package="1 kg")], source="t", if_match=etag)
    assert out.results[0].status == "updated"


def test_approval_publishes_and_pending_update_keeps_published_visible(hub):
    hub.writes.write(VN, "products", [product(1)], source="test")
    reviewer = Actor("user:reviewer@vn", "VN", role="reviewer")
    assert review.decide(hub.sessions, reviewer, "VN/products/p1", 1, "approve").published
    hub.writes.write(VN, "products", [product(1, package="2 kg")], source="test")
    with hub.sessions() as s:
        [shown] = list(published_records(s, "products"))
    assert shown["version"] == 1 and "package" not in shown
    with pytest.raises(review.ReviewError) as exc:
        review.decide(hub.sessions, Actor("user:th", "TH"), "VN/products/p1", 2, "approve")
    assert exc.value.status == 403
    with pytest.raises(review.ReviewError):
        review.decide(hub.sessions, reviewer, "VN/products/p1", 2, "return")  # no reason
    review.decide(hub.sessions, reviewer, "VN/products/p1", 2, "return", "missing-translation", "add en")
    with hub.sessions() as s:
        rev = s.scalar(sa.select(Revision).where(Revision.version == 2))
        assert (rev.review_state, rev.reason) == ("returned", "missing-translation")
    assert feed(hub) == [(1, "VN/products/p1", "upsert", 1)]


def test_audit_chain_detects_edit_delete_and_reorder(hub):
    auto(hub)
    for i in range(5):
        hub.writes.write(VN, "products", [product(i)], source="test")
    with hub.sessions() as s:
        assert audit.verify(s) == []
    with transaction(hub.sessions) as s:
        s.execute(sa.update(AuditEntry).where(AuditEntry.seq == 3).values(actor="mallory"))
    with hub.sessions() as s:
        assert any("edited" in p for p in audit.verify(s))
    with transaction(hub.sessions) as s:
        s.execute(sa.delete(AuditEntry).where(AuditEntry.seq == 3))
    with hub.sessions() as s:
        assert any("missing or reordered" in p for p in audit.verify(s))


def test_audit_truncated_tail_is_detected(hub):
    for i in range(3):
        hub.writes.write(VN, "products", [product(i)], source="test")
    with transaction(hub.sessions) as s:
        last = s.scalar(sa.select(sa.func.max(AuditEntry.seq)))
        s.execute(sa.delete(AuditEntry).where(AuditEntry.seq == last))
    with hub.sessions() as s:
        assert any("removed from the end" in p for p in audit.verify(s))


def test_a_failing_batch_leaves_nothing_behind(hub, monkeypatch):
    auto(hub)

    def boom(self, session):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit.AuditBatch, "flush", boom)
    with pytest.raises(RuntimeError):
        hub.writes.write(VN, "products", [product(1), product(2)], source="test")
    monkeypatch.undo()
    with hub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Record)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Change)) == 0
        assert audit.verify(s) == []


def test_audit_names_every_revision_and_detects_edited_revisions(hub):
    hub.writes.write(VN, "products", [product(1), product(2)], source="test")
    with hub.sessions() as s:
        entry = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "records.write"))
        assert [r[0] for r in entry.detail["revisions"]] == ["VN/products/p1", "VN/products/p2"]
    with transaction(hub.sessions) as s:
        rev = s.scalar(sa.select(Revision).where(Revision.uid == "VN/products/p2"))
        rev.document = {**rev.document, "package": "forged"}
    with hub.sessions() as s:
        assert audit.verify(s) == ["revision VN/products/p2 v1: document does not match its hash (edited)"]
    with transaction(hub.sessions) as s:
        s.execute(sa.delete(Revision).where(Revision.uid == "VN/products/p2"))
    with hub.sessions() as s:
        assert audit.verify(s) == [
            "the audit log names 2 revisions but 1 are stored",
            "revision VN/products/p2 v1: named by audit entry 1 but not stored (deleted)",
        ]


def test_the_migrations_build_exactly_the_models(hub) -> None:  # type: ignore[no-untyped-def]
    """On both engines: autogenerate would find nothing to add (no drift either way)."""
    from hub.store import migrate

    assert migrate.drift(hub.engine) == []
