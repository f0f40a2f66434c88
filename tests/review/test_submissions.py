"""Review by submission: every batch is a submission with its counts; the queue lists
submissions; a reviewer filters a submission's records and decides for the filtered set."""

from __future__ import annotations

import time
from pathlib import Path

import sqlalchemy as sa

from hub.curation import review, submissions
from hub.records import reads
from hub.records.importer import import_file
from hub.store import audit
from hub.store.models import AuditEntry, ReviewJob, Revision, Submission
from tests.conftest import product
from tests.review.conftest import SECRETARIAT, TH_REVIEWER, VN_REVIEWER, VN_WRITER, published_product, submit


def _subs(hub) -> list[Submission]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return list(s.scalars(sa.select(Submission).order_by(Submission.id)))


def test_every_batch_is_a_submission_with_its_counts(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub, 1)
    before = len(_subs(hub))
    submit(hub, product(1, name={"vi": "v2"}), product(2), product(3, origin={"area": "VN-27"}))
    sub = _subs(hub)[-1]
    assert len(_subs(hub)) == before + 1
    assert (sub.source, sub.sender) == ("api", VN_WRITER.id)
    assert (sub.counts["created"], sub.counts["updated"]) == (2, 1)
    assert sub.flagged == 1 and sub.warnings == {"area_superseded": 1}
    with hub.sessions() as s:
        ids = set(
            s.scalars(sa.select(Revision.submission_id).where(Revision.uid.in_(["VN/products/p2", "VN/products/p3"])))
        )
    assert ids == {sub.id}
    submit(hub, product(2))  # nothing new: no submission to review
    assert _subs(hub)[-1].id == sub.id


def test_an_import_is_one_submission_across_its_batches(hub, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import json

    from hub.records import importer

    monkeypatch.setattr(importer, "BATCH", 2)
    f = tmp_path / "p.ndjson"
    f.write_text("\n".join(json.dumps(product(i)) for i in range(1, 6)), encoding="utf-8")
    import_file(hub.writes, VN_WRITER, "products", f)
    sub = _subs(hub)[-1]
    assert sub.counts["created"] == 5 and sub.key.startswith("import:")


def test_the_queue_lists_submissions_with_new_changed_and_a_sample(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub, 1)
    submit(hub, product(1, name={"vi": "v2"}), product(2), product(3))
    with hub.sessions() as s:
        (first, *_rest) = submissions.queue(s, VN_REVIEWER)
        assert (first.pending, first.new, first.changed) == (3, 2, 1)
        assert [uid for uid, _ in first.sample] == ["VN/products/p1", "VN/products/p2", "VN/products/p3"]
        assert submissions.queue(s, TH_REVIEWER) == []


def test_a_filtered_set_is_decided_at_once_except_the_ticked_ones(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub, 1)
    submit(
        hub,
        product(1, name={"vi": "v2"}),
        product(2),
        product(3, certifications=[]),
        product(4, origin={"area": "VN-GSO:48"}),
    )
    with hub.sessions() as s:
        sub_id = submissions.queue(s, VN_REVIEWER)[0].submission.id
        everything = submissions.select(s, VN_REVIEWER, submissions.Selection(sub_id))
        rated = submissions.select(s, VN_REVIEWER, submissions.Selection(sub_id, rating_min=4))
        new = submissions.select(s, VN_REVIEWER, submissions.Selection(sub_id, change="new"))
        area = submissions.select(s, VN_REVIEWER, submissions.Selection(sub_id, area="VN-GSO:48"))
    assert len(everything) == 4
    assert [i.rev.uid for i in rated] == ["VN/products/p1", "VN/products/p2", "VN/products/p4"]
    assert [i.rev.uid for i in new] == ["VN/products/p2", "VN/products/p3", "VN/products/p4"]
    assert [i.rev.uid for i in area] == ["VN/products/p4"]
    keys = submissions.plan(rated, except_keys=[("VN/products/p2", 1)])
    job_id = submissions.start(hub.sessions, VN_REVIEWER, sub_id, keys, "approve")
    with hub.sessions() as s:
        job = submissions.job(s, VN_REVIEWER, job_id)
        assert job is not None and (job.state, job.done, job.total, job.refused) == ("done", 2, 2, 0)
        assert submissions.job(s, SECRETARIAT, job_id) is None
        feed = [(c["uid"], c["version"]) for c in reads.changes(s, 0, 100).changes()]
        assert feed[-2:] == [("VN/products/p4", 1), ("VN/products/p1", 2)]  # in version order
        decided = s.execute(
            sa.select(AuditEntry.action, AuditEntry.target)
            .where(AuditEntry.action.like("review.%"))
            .order_by(AuditEntry.seq)
        ).all()
        assert [tuple(d) for d in decided][-2:] == [
            ("review.approve", "VN/products/p4"),
            ("review.approve", "VN/products/p1"),
        ]
    left = [i.key for i in everything if i.key not in keys]
    submissions.start(hub.sessions, VN_REVIEWER, sub_id, left, "return", "wrong-area", "check")
    with hub.sessions() as s:
        states = dict(
            s.execute(sa.select(Revision.uid, Revision.review_state).where(Revision.submission_id == sub_id)).all()
        )
        assert audit.verify(s) == []
    assert states == {
        "VN/products/p1": "approved",
        "VN/products/p2": "returned",
        "VN/products/p3": "returned",
        "VN/products/p4": "approved",
    }


def test_a_large_set_is_decided_in_the_background_with_progress(hub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(submissions, "CHUNK", 3)
    submit(hub, *[product(i) for i in range(1, 11)])
    with hub.sessions() as s:
        sub_id = submissions.queue(s, VN_REVIEWER)[0].submission.id
        keys = submissions.plan(submissions.select(s, VN_REVIEWER, submissions.Selection(sub_id)))
    job_id = submissions.start(hub.sessions, VN_REVIEWER, sub_id, keys, "approve", background=True)
    for _ in range(600):
        with hub.sessions() as s:
            job = s.get(ReviewJob, job_id)
            if job.state != "running":
                break
        time.sleep(0.05)
    assert (job.state, job.done, job.total) == ("done", 10, 10)
    with hub.sessions() as s:
        assert len(reads.changes(s, 0, 100).changes()) == 10


def test_a_bad_set_decision_fails_before_anything_is_decided(hub) -> None:  # type: ignore[no-untyped-def]
    import pytest

    submit(hub, product(1))
    with pytest.raises(review.ReviewError):
        submissions.start(hub.sessions, VN_REVIEWER, None, [("VN/products/p1", 1)], "return")  # no reason
    with hub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count(ReviewJob.id))) == 0


def test_the_console_reviews_a_submission_in_a_few_steps(client, hub) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import csrf_token, make_user, sign_in

    published_product(hub, 1)
    submit(hub, product(1, name={"vi": "v2"}), *[product(i) for i in range(2, 8)], product(8, origin={"area": "VN-27"}))
    assert sign_in(client, make_user(hub, "rev@vn.example", "reviewer", "VN")).status_code == 302
    queue = client.get("/console/reviews").get_data(as_text=True)
    with hub.sessions() as s:
        sub_id = submissions.queue(s, VN_REVIEWER)[0].submission.id
    assert f"/console/submissions/{sub_id}" in queue and "Submissions waiting" in queue
    page = client.get(f"/console/submissions/{sub_id}?change=new").get_data(as_text=True)
    assert "7 pending records match" in page and "area_superseded (1)" in page
    token = csrf_token(client, f"/console/submissions/{sub_id}")
    form = {"csrf_token": token, "change": "new", "action": "approve_except", "item": "VN/products/p8@1"}
    confirm = client.post(f"/console/submissions/{sub_id}/confirm", data=form).get_data(as_text=True)
    assert "This approves and publishes 6 records (6 versions)." in confirm
    submit(hub, product(2, name={"vi": "changed meanwhile"}))  # the set changes before the confirmation
    stale = client.post(f"/console/submissions/{sub_id}/decide", data={**form, "expected": "6"})
    assert stale.status_code == 302 and "/decide" not in stale.headers["Location"]
    with hub.sessions() as s:
        assert reads.changes(s, 0, 100).changes()[-1]["uid"] == "VN/products/p1"  # nothing decided
    done = client.post(f"/console/submissions/{sub_id}/decide", data={**form, "expected": "5"})
    assert done.status_code == 302 and "/console/review-jobs/" in done.headers["Location"]
    job_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "5 of 5 revisions decided" in job_page
    returned = client.post(
        f"/console/submissions/{sub_id}/confirm",
        data={"csrf_token": token, "action": "return_all", "reason": "wrong-area", "comment": "check"},
    ).get_data(as_text=True)
    assert "This returns 2 records (2 versions) to the sender." in returned
    with hub.sessions() as s:
        states = dict(
            s.execute(sa.select(Revision.uid, Revision.review_state).where(Revision.submission_id == sub_id)).all()
        )
    assert states["VN/products/p8"] == "pending" and states["VN/products/p3"] == "approved"
    assert states["VN/products/p2"] == "superseded"
