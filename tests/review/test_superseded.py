"""Review state ``superseded``: a later revision replaces a pending one, which can then
never be approved, and a bulk approval publishes only each record's latest revision, also
when a new revision arrives while it runs (SPEC section 5)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from hub.api.reviews import ReviewItem
from hub.curation import review
from hub.records import reads
from hub.store import audit, migrate
from hub.store.models import Revision
from tests import databases
from tests.conftest import product
from tests.review.conftest import SECRETARIAT, VN_REVIEWER, published_product, submit


def _states(hub, uid: str) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return [
            tuple(r)
            for r in s.execute(
                sa.select(Revision.version, Revision.review_state).where(Revision.uid == uid).order_by(Revision.version)
            )
        ]


def _feed(hub) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return [(c["uid"], c["version"]) for c in reads.changes(s, 0, 1000).changes()]


def test_a_later_revision_supersedes_the_pending_one(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    submit(hub, product(1, name={"vi": "Mắc ca v2"}))
    submit(hub, product(1, name={"vi": "Mắc ca v3"}))
    assert _states(hub, "VN/products/p1") == [(1, "superseded"), (2, "superseded"), (3, "pending")]
    with hub.sessions() as s:
        rows, _ = review.queue(s, SECRETARIAT, review.Query(state="pending"))
        assert [(r.uid, r.version) for r, _ in rows] == [("VN/products/p1", 3)]
        rows, _ = review.queue(s, SECRETARIAT, review.Query(state="superseded"))
        assert [(r.version, ReviewItem().dump(review.Queued(r, rec))["state"]) for r, rec in rows] == [
            (1, "superseded"),
            (2, "superseded"),
        ]


def test_a_superseded_revision_cannot_be_decided(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    submit(hub, product(1, name={"vi": "Mắc ca v2"}))
    for decision, reason in (("approve", None), ("return", "wrong-area"), ("reject", None)):
        with pytest.raises(review.ReviewError) as exc:
            review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, decision, reason)
        assert (exc.value.status, exc.value.code) == (409, "superseded")
    assert _feed(hub) == []
    assert review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 2, "approve").published
    assert _feed(hub) == [("VN/products/p1", 2)]


def test_a_decided_revision_is_not_superseded(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "v2"}))
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 2, "return", "wrong-area")
    submit(hub, product(1, name={"vi": "v3"}))
    assert _states(hub, "VN/products/p1") == [(1, "approved"), (2, "returned"), (3, "pending")]


def test_a_deletion_supersedes_a_pending_revision(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "v2"}))
    hub.writes.delete(SECRETARIAT, "products", "VN", "p1", source="api")
    assert _states(hub, "VN/products/p1") == [(1, "approved"), (2, "superseded"), (3, "pending")]


def test_a_set_approval_publishes_only_the_latest_revision_of_each_record(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1), product(2))
    submit(hub, product(1, name={"vi": "v2"}))
    results = review.approve_many(
        hub.sessions, VN_REVIEWER, [("VN/products/p1", 2), ("VN/products/p1", 1), ("VN/products/p2", 1)]
    )
    assert [r.state if isinstance(r, review.Decision) else r.code for r in results] == [
        "approved",
        "superseded",
        "approved",
    ]
    assert sorted(_feed(hub)) == [("VN/products/p1", 2), ("VN/products/p2", 1)]


def test_a_revision_arriving_between_chunks_of_a_bulk_approval_is_not_published_stale(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, *[product(i) for i in range(1, 7)])
    wanted = [(f"VN/products/p{i}", 1) for i in range(1, 7)]
    seen: list[tuple[int, int]] = []

    def meanwhile(done: int, total: int) -> None:
        seen.append((done, total))
        if done == 2:  # a sync run sends p5 again while chunks 2 and 3 wait
            submit(hub, product(5, name={"vi": "Mắc ca mới"}))

    results = review.approve_in_chunks(hub.sessions, VN_REVIEWER, wanted, chunk=2, progress=meanwhile)
    assert seen == [(2, 6), (4, 6), (6, 6)]
    assert [r.code for r in results if isinstance(r, review.ReviewError)] == ["superseded"]
    feed = _feed(hub)
    assert ("VN/products/p5", 1) not in feed and len(feed) == 5
    assert _states(hub, "VN/products/p5") == [(1, "superseded"), (2, "pending")]
    with hub.sessions() as s:
        assert audit.verify(s) == []


def test_a_revision_written_concurrently_with_a_bulk_approval_never_publishes_a_stale_one(hub) -> None:  # type: ignore[no-untyped-def]
    """Two threads: a bulk approval in small chunks and a writer sending new versions of
    the same records. Whatever the interleaving, no version is published once a later
    one exists, and every record's latest revision is pending or approved."""
    n = 40
    submit(hub, *[product(i) for i in range(1, n + 1)])
    wanted = [(f"VN/products/p{i}", 1) for i in range(1, n + 1)]
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(n, 0, -4):
                submit(hub, product(i, name={"vi": f"v2 {i}"}))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    results = review.approve_in_chunks(hub.sessions, VN_REVIEWER, wanted, chunk=3)
    thread.join(60)
    assert not errors and not thread.is_alive()
    refused = {(w, r.code) for w, r in zip(wanted, results) if isinstance(r, review.ReviewError)}
    assert all(code == "superseded" for _, code in refused)
    feed = _feed(hub)
    with hub.sessions() as s:
        latest = dict(s.execute(sa.text("SELECT uid, latest_version FROM records")).all())
        for uid, version in feed:
            assert version <= latest[uid]
            state = s.scalar(sa.select(Revision.review_state).where(Revision.uid == uid, Revision.version == version))
            assert state == "approved"
        superseded = s.execute(
            sa.select(Revision.uid, Revision.version).where(Revision.review_state == "superseded")
        ).all()
        assert all(v < latest[u] for u, v in superseded)
        assert not s.execute(
            sa.select(Revision.uid)
            .where(Revision.review_state == "pending")
            .group_by(Revision.uid)
            .having(sa.func.count() > 1)
        ).all()
    assert {(u, v) for u, v in feed} | {w for w, _ in refused} == set(wanted)


def test_the_migration_marks_earlier_pending_revisions_superseded(tmp_path: Path) -> None:
    engine = sa.create_engine(databases.database_url(tmp_path, "old"))
    t = ["2026-11-01T00:00:00+00:00", "2026-11-02T00:00:00+00:00", "2026-11-03T00:00:00+00:00"]
    try:
        with engine.begin() as conn:
            command.upgrade(migrate._config(conn), "0007")
            conn.execute(
                sa.text(
                    "INSERT INTO records (uid, kind, country, local_id, latest_version, latest_hash, "
                    "review_state, deleted, updated_at) VALUES "
                    "('VN/products/a', 'products', 'VN', 'a', 3, 'h', 'pending', false, :t), "
                    "('VN/products/b', 'products', 'VN', 'b', 1, 'h', 'pending', false, :t)"
                ),
                {"t": t[2]},
            )
            for uid, version, state in (
                ("VN/products/a", 1, "pending"),
                ("VN/products/a", 2, "returned"),
                ("VN/products/a", 3, "pending"),
                ("VN/products/b", 1, "pending"),
            ):
                conn.execute(
                    sa.text(
                        "INSERT INTO revisions (uid, version, document, content_hash, deleted, review_state, "
                        "warnings, actor, source, created_at) VALUES (:u, :v, '{}', 'h', false, :s, '[]', "
                        "'a', 'api', :t)"
                    ),
                    {"u": uid, "v": version, "s": state, "t": t[version - 1]},
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT uid, version, review_state, decided_at FROM revisions ORDER BY uid, version")
            ).all()
        assert [tuple(r[:3]) for r in rows] == [
            ("VN/products/a", 1, "superseded"),
            ("VN/products/a", 2, "returned"),
            ("VN/products/a", 3, "pending"),
            ("VN/products/b", 1, "pending"),
        ]
        assert rows[0][3] is not None  # superseded when version 2 arrived
        assert migrate.is_current(engine)
    finally:
        engine.dispose()


def test_the_api_lists_superseded_revisions_and_refuses_to_decide_them(client, hub, vn_reviewer) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    submit(hub, product(1, name={"vi": "v2"}))
    r = client.get("/api/v1/reviews?state=superseded", headers=vn_reviewer)
    assert r.status_code == 200
    assert [(i["version"], i["state"], i["superseded"]) for i in r.json["items"]] == [(1, "superseded", True)]
    r = client.post("/api/v1/reviews/VN/products/p1/1", json={"decision": "approve"}, headers=vn_reviewer)
    assert r.status_code == 409 and r.json["code"] == "superseded"


def test_the_console_offers_no_decision_on_a_superseded_revision(client, hub) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import make_user, sign_in

    submit(hub, product(1))
    submit(hub, product(1, name={"vi": "v2"}))
    assert sign_in(client, make_user(hub, "sec@asean.example", "secretariat")).status_code == 302
    old = client.get("/console/reviews/VN/products/p1/1").get_data(as_text=True)
    new = client.get("/console/reviews/VN/products/p1/2").get_data(as_text=True)
    assert "/decide" not in old and "/console/reviews/VN/products/p1/2" in old
    assert "/console/reviews/VN/products/p1/1/decide" not in new and "/decide" in new
    tabs = client.get("/console/reviews?state=superseded").get_data(as_text=True)
    assert "Superseded" in tabs and "/console/reviews/VN/products/p1/1" in tabs


def test_staff_export_the_latest_revisions_in_a_review_state(client, hub) -> None:  # type: ignore[no-untyped-def]
    import json as jsonlib

    from tests.console.conftest import make_user, sign_in

    submit(hub, product(1), product(2))
    submit(hub, product(1, name={"vi": "v2"}))
    review.decide(hub.sessions, SECRETARIAT, "VN/products/p2", 1, "return", "wrong-area")
    assert sign_in(client, make_user(hub, "rev@vn.example", "reviewer", "VN")).status_code == 302

    def rows(query: str) -> list[tuple[str, int, str]]:
        r = client.get(f"/console/export?kind=products&format=ndjson&{query}")
        assert r.status_code == 200
        lines = [jsonlib.loads(line) for line in r.get_data(as_text=True).splitlines()]
        assert lines[-1]["export"]["count"] == len(lines) - 1
        return [(x["uid"], x["version"], x["review"]) for x in lines[:-1]]

    assert rows("state=pending") == [("VN/products/p1", 2, "pending")]
    assert rows("state=returned") == [("VN/products/p2", 1, "returned")]
    assert rows("") == []  # nothing published yet
    assert client.get("/console/export?kind=products&state=pending&country=TH").status_code == 403
    assert client.get("/console/export?kind=products&state=superseded").status_code == 400
