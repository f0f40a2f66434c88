"""The console's pages and actions, through the test client: the review queue and
decisions, bulk approval, the record browser, flags, administration, the dashboard,
and who may do what."""

from __future__ import annotations

import re

import sqlalchemy as sa

from hub.api.reviews import ReviewItem
from hub.auth.models import OAuthClient, StaffUser
from hub.curation import flags, review
from hub.records import reads
from hub.store.models import Member
from tests.auth.helpers import audit_entries
from tests.conftest import product
from tests.console.conftest import post, sign_in
from tests.review.conftest import SECRETARIAT, TH_REVIEWER, published_product, submit

REV = "/console/reviews/VN/products/p1/2"


def _update_pending(hub) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(
        hub,
        product(
            1,
            name={"vi": "Mắc ca Lê Anh loại đặc biệt", "en": "Le Anh macadamia"},
            origin={"place": "Thôn 5, xã Ea Sol"},
        ),
    )


def _state(hub, uid: str, version: int) -> str:  # type: ignore[no-untyped-def]
    with hub.sessions() as s:
        return review.get(s, SECRETARIAT, uid, version)[0].review_state


def test_the_queue_lists_own_country_with_filters(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    submit(hub, product(2, name={"vi": "Trà Shan tuyết", "en": "Shan tuyet tea"}))
    th = product(
        9,
        country="TH",
        name={"th": "ผ้าไหม", "en": "Thai silk"},
        category={"scheme": "TH-OTOP", "code": "food"},
        certifications=[],
        origin={"area": "TH-90"},
        price={"amount": "100", "currency": "THB"},
    )
    submit(hub, th, actor=TH_REVIEWER)
    page = as_vn.get("/console/reviews").get_data(as_text=True)
    assert "VN/products/p1" in page and "VN/products/p2" in page and "TH/products/p9" not in page
    assert "v1 → v2" in page and "New" in page
    searched = as_vn.get("/console/reviews?q=tra+shan").get_data(as_text=True)  # no accents typed
    assert "VN/products/p2" in searched and "VN/products/p1" not in searched
    warned = as_vn.get("/console/reviews?warnings=1").get_data(as_text=True)
    assert "VN/products/p1" in warned and "VN/products/p2" not in warned
    assert "Nothing waits" in as_vn.get("/console/reviews?kind=producers").get_data(as_text=True)


def test_the_revision_page_shows_the_diff_and_the_warnings(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    page = as_vn.get(REV).get_data(as_text=True)
    assert "Changes against the published version" in page
    row = re.search(r'<tr class="row-changed">.*?</tr>', page, re.S)
    assert row and "name.vi" in row.group(0) and "Mắc ca Lê Anh loại đặc biệt" in row.group(0)
    assert 'class="row-added row-warn"' in page and "area_unresolved" in page
    assert "Approve and publish" in page and 'name="reason" required' in page


def test_approve_in_the_console_publishes(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    submit(hub, product(2))
    r = post(as_vn, f"{REV}/decide", {"decision": "approve"}, page=REV)
    assert r.status_code == 302 and r.headers["Location"] == "/console/reviews/VN/products/p2/1"  # the next one
    with hub.sessions() as s:
        rec = reads.get_record(s, "products", "VN", "p1")
        assert rec is not None and rec.published_version == 2
    assert "Approved and published" in as_vn.get("/console/reviews").get_data(as_text=True)


def test_return_needs_a_reason_and_reaches_the_submitter(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    r = post(as_vn, f"{REV}/decide", {"decision": "return", "comment": "?"}, page=REV)
    assert r.headers["Location"] == REV and _state(hub, "VN/products/p1", 2) == "pending"
    assert "needs a reason code" in as_vn.get(REV).get_data(as_text=True)
    post(
        as_vn,
        f"{REV}/decide",
        {"decision": "return", "reason": "missing-translation", "comment": "Add the English name."},
        page=REV,
    )
    with hub.sessions() as s:
        own = ReviewItem(many=True).dump(review.own_outstanding(s, SECRETARIAT))
    assert own[0]["reason"] == {
        "code": "missing-translation",
        "label": "Missing translation",
        "comment": "Add the English name.",
    }
    page = as_vn.get(REV).get_data(as_text=True)
    assert "Missing translation" in page and "Add the English name." in page and "Approve and publish" not in page


def test_reject(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    post(as_vn, f"{REV}/decide", {"decision": "reject", "reason": "duplicate"}, page=REV)
    assert _state(hub, "VN/products/p1", 2) == "rejected"


def test_bulk_approve_of_the_selected_revisions(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1), product(2), product(3))
    r = post(
        as_vn,
        "/console/reviews/approve",
        {"item": ["VN/products/p1@1", "VN/products/p3@1", "TH/products/x@1"], "back": "/console/reviews"},
        page="/console/reviews",
    )
    assert r.headers["Location"] == "/console/reviews"
    assert [_state(hub, f"VN/products/p{i}", 1) for i in (1, 2, 3)] == ["approved", "pending", "approved"]
    page = as_vn.get("/console/reviews").get_data(as_text=True)
    assert "2 revisions approved and published." in page and "TH/products/x version 1 was not approved" in page
    assert "Tick the revisions" in (
        post(as_vn, "/console/reviews/approve", {}, page="/console/reviews")
        and as_vn.get("/console/reviews").get_data(as_text=True)
    )


def test_a_reviewer_cannot_decide_on_another_country(hub, client, staff) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    sign_in(client, staff["th"])
    assert client.get(REV).status_code == 403
    assert post(client, f"{REV}/decide", {"decision": "approve"}).status_code == 403
    post(client, "/console/reviews/approve", {"item": ["VN/products/p1@2"]})
    assert _state(hub, "VN/products/p1", 2) == "pending"


def test_the_admin_role_does_not_review(hub, client, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["admin"])
    for path in ("/console/reviews", REV, "/console/flags"):
        r = client.get(path)
        assert r.status_code == 403 and "Not allowed" in r.get_data(as_text=True), path
    assert 'href="/console/reviews"' not in client.get("/console/").get_data(as_text=True)


def test_the_record_browser_searches_without_accents(hub, as_vn, client) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)  # "Mắc ca Lê Anh"
    submit(hub, product(2, name={"vi": "Trà Shan tuyết"}))  # never published
    page = as_vn.get("/console/records?q=mac+ca+le").get_data(as_text=True)
    assert "VN/products/p1" in page and "VN/products/p2" not in page
    assert "VN/products/p2" in as_vn.get("/console/records?q=TRA SHAN").get_data(as_text=True)
    assert "VN/products/p2" in as_vn.get("/console/records?state=pending").get_data(as_text=True)
    assert "No record matches" in as_vn.get("/console/records?q=durian").get_data(as_text=True)


def test_other_members_see_published_records_only(hub, client, staff) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Bí mật"}), product(2))
    sign_in(client, staff["th"])
    listing = client.get("/console/records?kind=products").get_data(as_text=True)
    assert "VN/products/p1" in listing and "VN/products/p2" not in listing
    page = client.get("/console/records/VN/products/p1").get_data(as_text=True)
    assert "Bí mật" not in page and ">v2<" not in page
    assert client.get("/console/records/VN/products/p2").status_code == 404


def test_the_record_page_has_history_audit_trail_and_flags(hub, as_vn) -> None:  # type: ignore[no-untyped-def]
    _update_pending(hub)
    page = as_vn.get("/console/records/VN/products/p1").get_data(as_text=True)
    assert "History" in page and "Audit trail" in page
    assert page.count("records.write") == 2 and "review.approve" in page
    r = post(
        as_vn,
        "/console/records/VN/products/p1/flags",
        {"reason": "wrong-category", "comment": "Check"},
        page="/console/records/VN/products/p1",
    )
    assert r.status_code == 302
    page = as_vn.get("/console/records/VN/products/p1").get_data(as_text=True)
    assert "Wrong category" in page and "flag.raise" in page
    assert as_vn.get("/console/records/VN/products/nope").status_code == 404


def test_the_flags_inbox_and_resolving(hub, as_vn, client, staff) -> None:  # type: ignore[no-untyped-def]
    from hub.store.db import transaction

    published_product(hub)
    with transaction(hub.sessions) as s:
        flag_id = flags.raise_flag(s, TH_REVIEWER, "VN/products/p1", "possible-duplicate", "Same as p7?").id
    page = as_vn.get("/console/flags").get_data(as_text=True)
    assert "Possible duplicate" in page and "Same as p7?" in page and "Resolve" in page
    r = post(as_vn, f"/console/flags/{flag_id}/resolve", {"comment": "Different producer."}, page="/console/flags")
    assert r.status_code == 302
    assert "No flags here" in as_vn.get("/console/flags").get_data(as_text=True)
    assert "Different producer." in as_vn.get("/console/flags?state=resolved").get_data(as_text=True)
    assert audit_entries(hub, "flag.resolve")[0].actor == "user:reviewer@vn.example"
    other = client.application.test_client()
    sign_in(other, staff["th"])
    assert "Same as p7?" in other.get("/console/flags?box=raised&state=all").get_data(as_text=True)
    assert post(other, f"/console/flags/{flag_id}/resolve").status_code == 403


def test_secretariat_registers_rotates_and_revokes_partner_systems(hub, as_sec) -> None:  # type: ignore[no-untyped-def]
    r = post(
        as_sec,
        "/console/admin/clients",
        {"name": "VN OCOP portal", "country": "VN", "scopes": ["exchange:read", "exchange:write"]},
    )
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    page = r.get_data(as_text=True)
    client_id = re.search(r'id="client-id">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    secret = re.search(r'id="client-secret">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    listing = as_sec.get("/console/admin/clients").get_data(as_text=True)
    assert client_id in listing and secret not in listing  # shown once
    token = as_sec.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert token.status_code == 200
    rotated = post(as_sec, f"/console/admin/clients/{client_id}/rotate").get_data(as_text=True)
    new_secret = re.search(r'id="client-secret">([^<]+)<', rotated).group(1)  # type: ignore[union-attr]
    assert new_secret != secret
    post(as_sec, f"/console/admin/clients/{client_id}/revoke")
    with hub.sessions() as s:
        assert s.get(OAuthClient, client_id).revoked_at is not None  # type: ignore[union-attr]
    assert [e.action for e in audit_entries(hub, "client.revoke")] == ["client.revoke"]
    bad = post(as_sec, "/console/admin/clients", {"name": "", "country": "VN"})
    assert bad.status_code == 302 and "was not registered" in as_sec.get("/console/admin/clients").get_data(
        as_text=True
    )


def test_secretariat_creates_staff_accounts(hub, as_sec) -> None:  # type: ignore[no-untyped-def]
    form = {
        "email": "new@th.example",
        "role": "reviewer",
        "country": "TH",
        "password": "a long enough password",
        "password2": "another password!!",
    }
    post(as_sec, "/console/admin/users", form)
    assert "The two passwords differ." in as_sec.get("/console/admin/users").get_data(as_text=True)
    post(as_sec, "/console/admin/users", {**form, "password2": form["password"]})
    page = as_sec.get("/console/admin/users").get_data(as_text=True)
    assert "Account new@th.example created." in page
    fresh = as_sec.application.test_client()
    assert sign_in(fresh, "new@th.example", "a long enough password").status_code == 302


def test_the_secretariat_cannot_create_an_admin_account_but_an_admin_can(hub, client, staff) -> None:  # type: ignore[no-untyped-def]
    form = {
        "email": "boss@asean.example",
        "role": "admin",
        "password": "a long enough password",
        "password2": "a long enough password",
    }
    sign_in(client, staff["sec"])
    post(client, "/console/admin/users", form)
    assert "Only an admin can create an admin account." in client.get("/console/admin/users").get_data(as_text=True)
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffUser).where(StaffUser.email == "boss@asean.example")) is None
    admin = client.application.test_client()
    sign_in(admin, staff["admin"])
    post(admin, "/console/admin/users", form)
    assert "Account boss@asean.example created." in admin.get("/console/admin/users").get_data(as_text=True)


def test_review_policy_per_country_in_the_console(hub, as_sec) -> None:  # type: ignore[no-untyped-def]
    post(as_sec, "/console/admin/members/TH", {"policy": "auto"}, page="/console/admin/members")
    with hub.sessions() as s:
        assert s.get(Member, "TH").review_policy == "auto"  # type: ignore[union-attr]
    assert audit_entries(hub, "member.policy")[-1].actor == "user:sec@asean.example"


def test_administration_is_for_the_secretariat_and_admins(client, staff) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, staff["vn"])
    for path in ("/console/admin/clients", "/console/admin/users", "/console/admin/members"):
        assert client.get(path).status_code == 403
    assert post(client, "/console/admin/clients", {"name": "x", "country": "VN"}).status_code == 403
    assert post(client, "/console/admin/members/VN", {"policy": "auto"}).status_code == 403
    admin = client.application.test_client()
    sign_in(admin, staff["admin"])
    assert admin.get("/console/admin/clients").status_code == 200


def test_the_dashboard(hub, as_vn, client, staff, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hub.console import dashboard

    _update_pending(hub)
    page = as_vn.get("/console/").get_data(as_text=True)
    assert "waiting for review" in page and '<svg class="chart"' in page and "Products by rating band" in page
    assert ("Recent sync runs" in page) == (dashboard._sync_history() is not None)
    monkeypatch.setattr(dashboard, "_sync_history", lambda: None)  # a hub without the sync engine
    assert "Recent sync runs" not in as_vn.get("/console/").get_data(as_text=True)
    assert re.search(r'<span class="stat-value">1</span><span class="stat-label">waiting for review', page)
    empty = client.application.test_client()
    sign_in(empty, staff["th"])
    assert "No records yet" in empty.get("/console/").get_data(as_text=True)


def test_the_dashboard_lists_recent_sync_runs(hub, as_sec) -> None:  # type: ignore[no-untyped-def]
    import pytest

    models = pytest.importorskip("hub.store.syncruns", reason="the sync engine is not part of this hub yet")
    from hub.store.db import transaction
    from hub.store.models import utcnow

    with transaction(hub.sessions) as s:
        s.add(
            models.SyncRun(
                source="vn-buudien-ocop-products",
                trigger="schedule",
                status="succeeded",
                holder="test",
                started_at=utcnow(),
                fetched=1851,
                created=1840,
                invalid=11,
                report={},
            )
        )
    page = as_sec.get("/console/").get_data(as_text=True)
    assert "Recent sync runs" in page and "vn-buudien-ocop-products" in page and "fetched 1851" in page
