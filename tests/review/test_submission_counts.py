"""The pending counts of submissions (``submission_counts``, kept by triggers on
``revisions``) stay equal to the revisions themselves through every change of state:
new pending revisions, superseded ones, decisions one by one and by set, policy ``auto``,
a submission across countries, a migration that backfills them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.curation import review, submissions
from hub.curation.members import set_policy
from hub.store import migrate
from hub.store.db import transaction
from hub.store.models import Revision, SubmissionCount
from tests.conftest import product

VN = Actor("client:vn", "VN", frozenset({"exchange:read", "exchange:write"}))
SEC = Actor("user:sec@asean.example", None, frozenset({"exchange:read", "exchange:write", "review"}), "secretariat")
IMPORTER = Actor("import:operator", None)  # an internal actor of every country
VN_REVIEWER = Actor("user:rev@vn.example", "VN", frozenset({"exchange:read", "review"}), "reviewer")
TH_DOC = {
    "country": "TH",
    "category": {"scheme": "TH-OTOP", "code": "food"},
    "certifications": [],
    "origin": {"area": "TH-90"},
}


def _truth(hub: Any) -> dict[tuple[int, str], tuple[int, int]]:
    """The counts recomputed from the revisions."""
    with hub.sessions() as s:
        rows = s.execute(
            sa.select(Revision.submission_id, Revision.uid, Revision.version).where(
                Revision.review_state == "pending", Revision.submission_id.is_not(None)
            )
        ).all()
    out: dict[tuple[int, str], list[int]] = {}
    for sub, uid, version in rows:
        n = out.setdefault((sub, uid[:2]), [0, 0])
        n[0] += 1
        n[1] += version == 1
    return {k: (v[0], v[1]) for k, v in out.items()}


def _kept(hub: Any) -> dict[tuple[int, str], tuple[int, int]]:
    with hub.sessions() as s:
        rows = s.execute(sa.select(SubmissionCount).where(SubmissionCount.pending > 0)).scalars().all()
        return {(r.submission_id, r.country): (r.pending, r.pending_new) for r in rows}


def _same(hub: Any) -> dict[tuple[int, str], tuple[int, int]]:
    kept = _kept(hub)
    assert kept == _truth(hub)
    return kept


def test_the_counts_follow_every_change_of_a_revisions_state(hub) -> None:  # type: ignore[no-untyped-def]
    w = hub.writes
    first = w.write(VN, "products", [product(i) for i in range(1, 6)], source="api")
    assert _same(hub) == {(1, "VN"): (5, 5)}
    # a later revision supersedes p1 and p2 in the first submission, waits in the second
    w.write(VN, "products", [product(1, name={"vi": "v2"}), product(2, name={"vi": "v2"}), product(6)], source="api")
    assert _same(hub) == {(1, "VN"): (3, 3), (2, "VN"): (3, 1)}
    review.decide(hub.sessions, SEC, "VN/products/p3", 1, "approve")
    review.decide(hub.sessions, SEC, "VN/products/p4", 1, "return", "wrong-area")
    assert _same(hub) == {(1, "VN"): (1, 1), (2, "VN"): (3, 1)}
    # a refused decision (superseded) changes nothing
    assert isinstance(review.decide_many(hub.sessions, SEC, [("VN/products/p1", 1)], "approve")[0], review.ReviewError)
    # a set decision, and a second one on what is left
    keys = submissions.plan(submissions.select(hub.sessions(), SEC, submissions.Selection(2), documents=False))
    submissions.start(hub.sessions, SEC, 2, keys[:2], "approve")
    assert _same(hub) == {(1, "VN"): (1, 1), (2, "VN"): (1, 1)}
    submissions.start(hub.sessions, SEC, 2, keys[2:], "reject")
    assert _same(hub) == {(1, "VN"): (1, 1)}
    # a member under policy auto: approved at once, nothing waits
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "TH", "auto")
    w.write(SEC, "products", [product(9, **TH_DOC)], source="api")
    assert _same(hub) == {(1, "VN"): (1, 1)}
    assert first.results[0].status == "created"


def test_a_submission_across_countries_is_counted_per_country_and_each_reviewer_sees_their_own(hub) -> None:  # type: ignore[no-untyped-def]
    hub.writes.write(
        IMPORTER, "products", [product(1), product(2), product(9, **TH_DOC)], source="import", submission="k"
    )
    assert _same(hub) == {(1, "VN"): (2, 2), (1, "TH"): (1, 1)}
    with hub.sessions() as s:
        (mine,) = submissions.queue(s, VN_REVIEWER)
        (every,) = submissions.queue(s, SEC)
    assert (mine.pending, mine.new, [u for u, _ in mine.sample]) == (2, 2, ["VN/products/p1", "VN/products/p2"])
    assert (every.pending, every.new) == (3, 3)
    review.decide(hub.sessions, SEC, "VN/products/p1", 1, "approve")
    review.decide(hub.sessions, SEC, "VN/products/p2", 1, "approve")
    assert _same(hub) == {(1, "TH"): (1, 1)}
    with hub.sessions() as s:
        assert submissions.queue(s, VN_REVIEWER) == [] and len(submissions.queue(s, SEC)) == 1


def test_the_migration_backfills_the_counts_and_installs_the_triggers(hub) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    hub.writes.write(VN, "products", [product(i) for i in range(1, 4)], source="api")
    hub.writes.write(VN, "products", [product(1, name={"vi": "v2"}), product(4)], source="api")
    before = _same(hub)
    with hub.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0014_staff_time_zone")
        assert "submission_counts" not in sa.inspect(conn).get_table_names()
        conn.execute(sa.text("UPDATE revisions SET review_state = 'approved' WHERE uid = 'VN/products/p2'"))
    migrate.upgrade(hub.engine)
    assert _same(hub) == {(1, "VN"): (1, 1), (2, "VN"): (2, 1)} != before
    with hub.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            names = conn.execute(
                sa.text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'revisions'::regclass")
            ).scalars()
        else:
            names = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        assert {"trg_revisions_waiting_insert", "trg_revisions_waiting_update", "trg_revisions_waiting_delete"} <= set(
            names
        )
    # and they work after the upgrade, a deletion of revisions included
    hub.writes.write(VN, "products", [product(3, name={"vi": "v2"})], source="api")
    _same(hub)
    with hub.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM revisions WHERE uid = 'VN/products/p4'"))
    _same(hub)
