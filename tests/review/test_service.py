"""The review service: states, publication on approval only, policies, bulk approval,
who may decide, the audit log, and what a submitter sees of its own revisions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.api.reviews import DecisionResult, ReviewItem
from hub.curation import review
from hub.curation.members import set_policy
from hub.records import reads
from hub.store import audit
from hub.store.db import transaction
from hub.store.models import AuditEntry, Record
from tests.conftest import product
from tests.review.conftest import ADMIN, SECRETARIAT, TH_REVIEWER, VN_REVIEWER, VN_WRITER, published_product, submit


def _record(hub, uid: str) -> Record:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        rec = s.get(Record, uid)
        assert rec is not None
        return rec


def test_a_new_revision_is_pending_and_not_published(hub) -> None:  # type: ignore[no-untyped-def]
    out = submit(hub, product(1))
    assert (out[0].status, out[0].review) == ("created", "pending")
    rec = _record(hub, "VN/products/p1")
    assert rec.published_version is None
    with hub.sessions() as s:
        assert reads.list_records(s, "products", reads.Filters(), 10, None)[0] == []
        assert reads.changes(s, 0, 10).rows == []


def test_a_pending_revision_never_hides_the_published_one(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}))
    rec = _record(hub, "VN/products/p1")
    assert (rec.published_version, rec.latest_version, rec.review_state) == (1, 2, "pending")
    with hub.sessions() as s:
        items, _ = reads.list_records(s, "products", reads.Filters(), 10, None)
    assert [(i["version"], i["name"]["vi"]) for i in items] == [(1, "Mắc ca Lê Anh")]


def test_approval_publishes_and_feeds_the_revision(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}))
    decision = review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 2, "approve")
    assert DecisionResult().dump(decision) == {
        "uid": "VN/products/p1",
        "version": 2,
        "state": "approved",
        "published": True,
    }
    with hub.sessions() as s:
        feed = reads.changes(s, 0, 10).changes()
    assert [(c["uid"], c["version"]) for c in feed] == [("VN/products/p1", 1), ("VN/products/p1", 2)]
    assert feed[-1]["record"]["name"] == {"vi": "Mắc ca mới"}


@pytest.mark.parametrize(
    "decision,reason", [("return", "missing-translation"), ("reject", None), ("reject", "duplicate")]
)
def test_return_and_reject_keep_the_published_version(hub, decision, reason) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}))
    result = review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 2, decision, reason, " add English ")
    assert not result.published and result.state == review.DECISIONS[decision]
    rec = _record(hub, "VN/products/p1")
    assert (rec.published_version, rec.review_state) == (1, result.state)
    with hub.sessions() as s:
        rev, _ = review.get(s, VN_WRITER, "VN/products/p1", 2)
        assert (rev.reason, rev.comment, rev.decided_by) == (reason, "add English", VN_REVIEWER.id)


def test_return_needs_a_reason_code_from_the_codelist(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    for reason in (None, "not-a-reason"):
        with pytest.raises(review.ReviewError) as exc:
            review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, "return", reason)
        assert exc.value.status == 422
    with pytest.raises(review.ReviewError) as exc:
        review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, "publish")
    assert exc.value.status == 422


def test_a_decided_revision_cannot_be_decided_again(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, "reject")
    with pytest.raises(review.ReviewError) as exc:
        review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, "approve")
    assert exc.value.status == 409
    with pytest.raises(review.ReviewError) as exc:
        review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 9, "approve")
    assert exc.value.status == 404


def test_a_reviewer_of_one_country_cannot_decide_on_another(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    for who in (TH_REVIEWER, ADMIN, VN_WRITER):  # other country; no review scope (admin, submitter)
        with pytest.raises(review.ReviewError) as exc:
            review.decide(hub.sessions, who, "VN/products/p1", 1, "approve")
        assert exc.value.status == 403
    assert review.decide(hub.sessions, SECRETARIAT, "VN/products/p1", 1, "approve").published


def test_review_policy_is_per_country(hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "TH", "auto")
    th = product(
        1,
        country="TH",
        category={"scheme": "TH-OTOP", "code": "food"},
        certifications=[],
        origin={"area": "TH-90"},
        price={"amount": "100", "currency": "THB"},
    )
    th_out = submit(hub, th, actor=TH_REVIEWER)
    vn_out = submit(hub, product(1))
    assert th_out[0].review == "approved" and vn_out[0].review == "pending"


def test_bulk_approve_judges_each_item(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1), product(2), product(3))
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p3", 1, "reject")
    results = review.approve_many(
        hub.sessions,
        VN_REVIEWER,
        [("VN/products/p1", 1), ("VN/products/p2", 1), ("VN/products/p3", 1), ("TH/products/x", 1)],
    )
    assert [r.state if isinstance(r, review.Decision) else r.status for r in results] == [
        "approved",
        "approved",
        409,
        403,
    ]
    with hub.sessions() as s:
        assert [c["uid"] for c in reads.changes(s, 0, 10).changes()] == ["VN/products/p1", "VN/products/p2"]
        assert audit.verify(s) == []


def test_every_decision_is_in_the_audit_log(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1), product(2))
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, "return", "wrong-area", "check the province")
    review.approve_many(hub.sessions, VN_REVIEWER, [("VN/products/p2", 1)])
    with hub.sessions() as s:
        rows = s.execute(
            sa.select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
            .where(AuditEntry.action.like("review.%"))
            .order_by(AuditEntry.seq)
        ).all()
        assert audit.verify(s) == []
    assert [tuple(r) for r in rows] == [
        (
            VN_REVIEWER.id,
            "review.return",
            "VN/products/p1",
            {"version": 1, "reason": "wrong-area", "comment": "check the province"},
        ),
        (VN_REVIEWER.id, "review.approve", "VN/products/p2", {"version": 1, "reason": None, "comment": None}),
    ]


def test_the_queue_shows_own_country_and_filters(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1), product(2, name={"vi": "Trà Shan tuyết", "en": "Shan tuyet tea"}))
    th = product(
        1,
        country="TH",
        category={"scheme": "TH-OTOP", "code": "food"},
        certifications=[],
        origin={"area": "TH-90"},
        price={"amount": "100", "currency": "THB"},
    )
    submit(hub, th, actor=TH_REVIEWER)
    with hub.sessions() as s:

        def uids(actor, **q):  # type: ignore[no-untyped-def]
            rows, _ = review.queue(s, actor, review.Query(**q))
            return [rev.uid for rev, _ in rows]

        assert uids(VN_REVIEWER) == ["VN/products/p1", "VN/products/p2"]
        assert uids(SECRETARIAT) == ["VN/products/p1", "VN/products/p2", "TH/products/p1"]
        assert uids(SECRETARIAT, country="TH") == ["TH/products/p1"]
        assert uids(VN_REVIEWER, q="tra shan") == ["VN/products/p2"]  # accent-insensitive
        assert uids(VN_REVIEWER, kind="producers") == []
        assert uids(VN_REVIEWER, state="returned") == []
        with pytest.raises(review.ReviewError):
            uids(VN_REVIEWER, country="TH")
        page, nxt = review.queue(s, SECRETARIAT, review.Query(), limit=2)
        rest, end = review.queue(s, SECRETARIAT, review.Query(), limit=2, after=nxt)  # type: ignore[arg-type]
        assert [r.uid for r, _ in page + rest] == ["VN/products/p1", "VN/products/p2", "TH/products/p1"]
        assert end is None


def test_the_submitter_sees_its_outstanding_revisions_with_reasons(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}), product(2), product(3))
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 2, "return", "missing-translation", "add en")
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p3", 1, "approve")
    with hub.sessions() as s:
        own = ReviewItem(many=True).dump(review.own_outstanding(s, VN_WRITER))
        assert review.own_outstanding(s, TH_REVIEWER) == []
    by_uid = {o["uid"]: o for o in own}
    assert set(by_uid) == {"VN/products/p1", "VN/products/p2"}
    assert by_uid["VN/products/p1"]["reason"] == {
        "code": "missing-translation",
        "label": "Missing translation",
        "comment": "add en",
    }
    assert by_uid["VN/products/p1"]["record"]["review_reason"]["code"] == "missing-translation"
    assert by_uid["VN/products/p2"]["state"] == "pending"
