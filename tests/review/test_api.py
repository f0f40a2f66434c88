"""Review and flags over the API: the queue, decisions, the submitter's view, the
feed's include=own, flags raised by one member and resolved by the owner."""

from __future__ import annotations

import pytest

from hub.curation import review
from tests.auth.helpers import audit_entries
from tests.conftest import product
from tests.review.conftest import SECRETARIAT, published_product, submit


def test_the_reviewer_lists_pending_revisions_of_its_country(client, hub, vn_reviewer, th_reviewer) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}), product(2))
    r = client.get("/api/v1/reviews?state=pending&kind=products", headers=vn_reviewer)
    assert r.status_code == 200
    items = r.get_json()["items"]
    assert [(i["uid"], i["version"], i["state"]) for i in items] == [
        ("VN/products/p1", 2, "pending"),
        ("VN/products/p2", 1, "pending"),
    ]
    assert items[0]["published_version"] == 1 and items[0]["record"]["name"] == {"vi": "Mắc ca mới"}
    assert client.get("/api/v1/reviews", headers=th_reviewer).get_json()["items"] == []
    assert client.get("/api/v1/reviews?country=VN", headers=th_reviewer).status_code == 403


def test_a_reader_without_review_or_write_scope_cannot_list(client, vn_reader) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/reviews", headers=vn_reader)
    assert r.status_code == 403 and r.mimetype == "application/problem+json"


def test_the_queue_pages_with_a_cursor(client, hub, vn_reviewer) -> None:  # type: ignore[no-untyped-def]
    submit(hub, *(product(i) for i in range(5)))
    first = client.get("/api/v1/reviews?limit=3", headers=vn_reviewer).get_json()
    second = client.get(f"/api/v1/reviews?limit=3&cursor={first['next_cursor']}", headers=vn_reviewer).get_json()
    assert [i["id"] for i in first["items"] + second["items"]] == ["p0", "p1", "p2", "p3", "p4"]
    assert second["next_cursor"] is None
    assert client.get("/api/v1/reviews?cursor=nope", headers=vn_reviewer).status_code == 400
    assert client.get("/api/v1/reviews?state=maybe", headers=vn_reviewer).status_code == 422


def test_approving_over_the_api_publishes(client, hub, vn_reviewer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}))
    before = client.get("/api/v1/products/VN/p1", headers=vn_reader).get_json()
    assert (before["version"], before["name"]["vi"]) == (1, "Mắc ca Lê Anh")
    r = client.post("/api/v1/reviews/VN/products/p1/2", json={"decision": "approve"}, headers=vn_reviewer)
    assert r.status_code == 200 and r.get_json() == {
        "uid": "VN/products/p1",
        "version": 2,
        "state": "approved",
        "published": True,
    }
    after = client.get("/api/v1/products/VN/p1", headers=vn_reader).get_json()
    assert (after["version"], after["name"]["vi"]) == (2, "Mắc ca mới")
    again = client.post("/api/v1/reviews/VN/products/p1/2", json={"decision": "approve"}, headers=vn_reviewer)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_decision_errors(client, hub, vn_reviewer, th_reviewer, vn_submitter) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))
    url = "/api/v1/reviews/VN/products/p1/1"
    other = client.post(url, json={"decision": "approve"}, headers=th_reviewer)
    assert other.status_code == 403 and other.get_json()["code"] == "forbidden"
    assert client.post(url, json={"decision": "approve"}, headers=vn_submitter).status_code == 403
    assert client.post(url, json={"decision": "return"}, headers=vn_reviewer).status_code == 422
    assert client.post(url, json={"decision": "return", "reason": "bogus"}, headers=vn_reviewer).status_code == 422
    assert client.post(url, json={"decision": "maybe"}, headers=vn_reviewer).status_code == 422
    assert client.post(url, json={"decision": "approve", "extra": 1}, headers=vn_reviewer).status_code == 422
    assert (
        client.post("/api/v1/reviews/VN/products/p1/7", json={"decision": "approve"}, headers=vn_reviewer).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/reviews/VN/products/p1/{2**70}", json={"decision": "approve"}, headers=vn_reviewer
        ).status_code
        == 404
    )


def test_the_submitter_reads_the_reason_of_a_returned_revision(client, hub, vn_reviewer, vn_submitter) -> None:  # type: ignore[no-untyped-def]
    r = client.put("/api/v1/products/VN/p1", json=product(1), headers=vn_submitter)
    assert r.get_json()["review"] == "pending"
    client.post(
        "/api/v1/reviews/VN/products/p1/1",
        headers=vn_reviewer,
        json={"decision": "return", "reason": "missing-translation", "comment": "Add the English name."},
    )
    items = client.get("/api/v1/reviews?state=returned&mine=true", headers=vn_submitter).get_json()["items"]
    assert [(i["uid"], i["reason"]) for i in items] == [
        (
            "VN/products/p1",
            {"code": "missing-translation", "label": "Missing translation", "comment": "Add the English name."},
        )
    ]
    history = client.get("/api/v1/products/VN/p1/versions", headers=vn_submitter).get_json()
    assert history[0]["review_reason"] == {"code": "missing-translation", "comment": "Add the English name."}


def test_the_feed_with_include_own(client, hub, vn_reviewer, vn_submitter, th_reviewer) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    submit(hub, product(1, name={"vi": "Mắc ca mới"}), product(2))
    review.decide(hub.sessions, SECRETARIAT, "VN/products/p2", 1, "reject", "duplicate", "same as p1")
    plain = client.get("/api/v1/changes", headers=vn_submitter).get_json()
    assert "own" not in plain and [c["version"] for c in plain["changes"]] == [1]
    own = client.get("/api/v1/changes?include=own", headers=vn_submitter).get_json()
    assert own["changes"] == plain["changes"] and own["next_cursor"] == plain["next_cursor"]
    assert {(o["uid"], o["version"], o["state"]) for o in own["own"]} == {
        ("VN/products/p1", 2, "pending"),
        ("VN/products/p2", 1, "rejected"),
    }
    rejected = next(o for o in own["own"] if o["state"] == "rejected")
    assert rejected["reason"]["comment"] == "same as p1"
    assert client.get("/api/v1/changes?include=own", headers=th_reviewer).get_json()["own"] == []
    assert client.get("/api/v1/changes?include=all", headers=vn_submitter).status_code == 422


def test_flags_are_raised_listed_and_resolved_by_the_owner(client, hub, vn_reviewer, th_reviewer) -> None:  # type: ignore[no-untyped-def]
    published_product(hub)
    r = client.post(
        "/api/v1/products/VN/p1/flags",
        headers=th_reviewer,
        json={"reason": "possible-duplicate", "comment": "Also listed as p9?"},
    )
    assert r.status_code == 201
    flag = r.get_json()
    assert (flag["uid"], flag["state"], flag["raised_country"]) == ("VN/products/p1", "open", "TH")
    inbox = client.get("/api/v1/flags?state=open", headers=vn_reviewer).get_json()["items"]
    assert [f["id"] for f in inbox] == [flag["id"]]
    assert client.get("/api/v1/flags", headers=th_reviewer).get_json()["items"] == []
    assert [f["id"] for f in client.get("/api/v1/flags?box=raised", headers=th_reviewer).get_json()["items"]] == [
        flag["id"]
    ]
    url = f"/api/v1/flags/{flag['id']}/resolve"
    assert client.post(url, json={}, headers=th_reviewer).status_code == 403
    done = client.post(url, json={"comment": "Not a duplicate: another producer."}, headers=vn_reviewer)
    assert done.status_code == 200 and done.get_json()["state"] == "resolved"
    assert client.post(url, json={}, headers=vn_reviewer).status_code == 409
    assert client.get("/api/v1/flags?state=open", headers=vn_reviewer).get_json()["items"] == []
    assert len(client.get("/api/v1/flags?state=all", headers=vn_reviewer).get_json()["items"]) == 1
    assert [e.target for e in audit_entries(hub, "flag.raise")] == ["VN/products/p1"]
    assert audit_entries(hub, "flag.resolve")[0].detail == {
        "flag": flag["id"],
        "comment": "Not a duplicate: another producer.",
    }


def test_flag_errors(client, hub, th_reviewer, vn_submitter) -> None:  # type: ignore[no-untyped-def]
    submit(hub, product(1))  # pending, never published: other members cannot see it
    assert client.post("/api/v1/products/VN/p1/flags", json={"reason": "other"}, headers=th_reviewer).status_code == 404
    published_product(hub, 2)
    assert client.post("/api/v1/products/VN/p2/flags", json={"reason": "nope"}, headers=th_reviewer).status_code == 422
    assert (
        client.post("/api/v1/products/VN/p2/flags", json={"reason": "other"}, headers=vn_submitter).status_code == 403
    )  # raising a flag needs scope review
    assert client.post("/api/v1/flags/99/resolve", json={}, headers=th_reviewer).status_code == 404
    assert client.post(f"/api/v1/flags/{2**70}/resolve", json={}, headers=th_reviewer).status_code == 404


@pytest.mark.parametrize("number", [2**31, 2**53, 10**30])
def test_ids_beyond_the_database_integers_are_404(client, hub, vn_reviewer, number) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL's integer columns stop at 2**31 - 1: a larger id is no such thing, not a 500."""
    published_product(hub)
    for method, url in (
        ("post", f"/api/v1/flags/{number}/resolve"),
        ("post", f"/api/v1/reviews/VN/products/p1/{number}"),
        ("get", f"/api/v1/products/VN/p1/versions/{number}"),
    ):
        r = getattr(client, method)(url, json={"decision": "approve"}, headers=vn_reviewer)
        assert r.status_code == 404 and r.mimetype == "application/problem+json", (url, r.status_code)
