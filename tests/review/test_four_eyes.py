"""Four eyes: the reviewer of a revision is another client or a staff user than its submitter.

A member setting (``four_eyes``, on by default): a client holding both ``exchange:write``
and ``review`` must not approve what it submitted itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from click.testing import CliRunner

from hub.actors import Actor
from hub.cli import cli
from hub.curation import members, review
from hub.store import migrate
from hub.store.db import transaction
from hub.store.models import Member
from tests import databases
from tests.auth.helpers import audit_entries, partner_headers
from tests.conftest import product
from tests.console.conftest import post, sign_in
from tests.review.conftest import SECRETARIAT, submit

BOTH = ("exchange:read", "exchange:write", "review")
VN_BOTH = Actor("client:vn-both", "VN", frozenset(BOTH))


def _state(hub, uid: str, version: int) -> str:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        rev, _ = review.get(s, SECRETARIAT, uid, version)
        return rev.review_state


def test_a_client_with_write_and_review_cannot_approve_its_own_submission(client, hub, vn_reviewer) -> None:  # type: ignore[no-untyped-def]
    own = partner_headers(hub, client, "VN", BOTH)
    assert client.put("/api/v1/products/VN/p1", json=product(1), headers=own).status_code == 201
    url = "/api/v1/reviews/VN/products/p1/1"
    for decision in ({"decision": "approve"}, {"decision": "reject"}, {"decision": "return", "reason": "incomplete"}):
        r = client.post(url, json=decision, headers=own)
        assert r.status_code == 403 and r.mimetype == "application/problem+json", r.get_json()
        assert r.get_json()["code"] == "four_eyes"
    assert _state(hub, "VN/products/p1", 1) == "pending"
    # another client of the same member may, and so may the same client for others' revisions
    assert client.post(url, json={"decision": "approve"}, headers=vn_reviewer).status_code == 200
    submit(hub, product(2))  # by another client
    assert client.post("/api/v1/reviews/VN/products/p2/1", json={"decision": "approve"}, headers=own).status_code == 200


def test_a_staff_user_reviews_a_clients_submission(hub) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1), actor=VN_BOTH)
    with pytest.raises(review.ReviewError) as refused:
        review.decide(hub.sessions, VN_BOTH, "VN/products/p1", 1, "approve")
    assert refused.value.status == 403 and refused.value.code == "four_eyes"
    assert review.approve_many(hub.sessions, VN_BOTH, [("VN/products/p1", 1)])[0].status == 403  # type: ignore[union-attr]
    assert review.decide(hub.sessions, SECRETARIAT, "VN/products/p1", 1, "approve").published


def test_with_four_eyes_off_a_client_may_approve_its_own(client, hub) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        members.set_four_eyes(s, "test", "VN", False)
    assert audit_entries(hub, "member.four_eyes")[-1].detail == {"from": True, "to": False}
    own = partner_headers(hub, client, "VN", BOTH)
    assert client.put("/api/v1/products/VN/p1", json=product(1), headers=own).status_code == 201
    r = client.post("/api/v1/reviews/VN/products/p1/1", json={"decision": "approve"}, headers=own)
    assert r.status_code == 200 and r.get_json()["published"] is True
    # the rule is per member: TH keeps it
    th = Actor("client:th-both", "TH", frozenset(BOTH))
    submit(hub, product(1, country="TH", id="t1"), actor=th)
    with pytest.raises(review.ReviewError):
        review.decide(hub.sessions, th, "TH/products/t1", 1, "approve")


def test_internal_actors_publish_what_was_reviewed_elsewhere(hub) -> None:  # type: ignore[no-untyped-def]
    mirror = Actor("sync:other-hub")  # a trusting hub mirror: no scopes
    submit(hub, product(1), actor=mirror)
    assert review.decide(hub.sessions, mirror, "VN/products/p1", 1, "approve").published


def test_four_eyes_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", databases.database_url(tmp_path, "cli"))
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["init"]).exit_code == 0
    assert "VN  required  four-eyes " in runner.invoke(cli, ["members", "list"]).output
    res = runner.invoke(cli, ["members", "four-eyes", "vn", "off"])
    assert res.exit_code == 0 and res.output.strip() == "VN: four eyes off"
    assert "VN  required  own-review" in runner.invoke(cli, ["members", "list"]).output
    bad = runner.invoke(cli, ["members", "four-eyes", "FR", "off"])
    assert bad.exit_code == 1 and bad.output.strip() == "Error: FR is not a member"
    assert runner.invoke(cli, ["members", "four-eyes", "VN", "maybe"]).exit_code == 2


def test_four_eyes_in_the_console(client, hub) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import make_user

    assert sign_in(client, make_user(hub, "sec@asean.example", "secretariat")).status_code == 302
    page = client.get("/console/admin/members").get_data(as_text=True)
    assert "Four eyes" in page and "/console/admin/members/TH/four-eyes" in page
    post(client, "/console/admin/members/TH/four-eyes", {"four_eyes": "off"}, page="/console/admin/members")
    with hub.sessions() as s:
        assert s.get(Member, "TH").four_eyes is False  # type: ignore[union-attr]
    assert audit_entries(hub, "member.four_eyes")[-1].actor == "user:sec@asean.example"
    post(client, "/console/admin/members/TH/four-eyes", {"four_eyes": "maybe"}, page="/console/admin/members")
    post(client, "/console/admin/members/TH/four-eyes", {"four_eyes": "on"}, page="/console/admin/members")
    with hub.sessions() as s:
        assert s.get(Member, "TH").four_eyes is True  # type: ignore[union-attr]
    assert len(audit_entries(hub, "member.four_eyes")) == 2  # the bad value changed nothing


def test_the_migration_turns_four_eyes_on_for_existing_members(tmp_path: Path) -> None:
    engine = sa.create_engine(databases.database_url(tmp_path, "old"))
    try:
        with engine.begin() as conn:
            command.upgrade(migrate._config(conn), "0007")
            conn.execute(
                sa.text(
                    "INSERT INTO members (country, name, review_policy) VALUES "
                    "('VN', 'Viet Nam', 'required'), ('TH', 'Thailand', 'auto')"
                )
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT country, four_eyes FROM members ORDER BY country")).all()
        assert [(c, bool(v)) for c, v in rows] == [("TH", True), ("VN", True)]
        assert migrate.is_current(engine)
    finally:
        engine.dispose()
