"""The API of the sync engine (scope admin): runs, quarantine, subscriptions."""

from __future__ import annotations

import pytest

from tests.auth.helpers import bearer, get_token, make_client
from tests.sync.conftest import add_source, run
from tests.sync.fakes import api_item, json_source

PROBLEM = "application/problem+json"


@pytest.fixture
def admin(shub, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cid, secret = make_client(shub, "VN", ("admin",), name="secretariat")
    return bearer(get_token(client, cid, secret))  # type: ignore[arg-type]


@pytest.fixture
def reader(shub, client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cid, secret = make_client(shub, "VN", ("exchange:read", "exchange:write"))
    return bearer(get_token(client, cid, secret))  # type: ignore[arg-type]


def test_runs_and_quarantine_are_visible_to_admins_only(shub, fake, client, admin, reader) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(0), api_item(1, name="")]
    src = add_source(shub, json_source("api", fake.url + "/products"), "api")
    run(shub, src)
    fake.fault("500", times=100)
    run(shub, src)

    runs = client.get("/api/v1/sync/runs", headers=admin)
    assert runs.status_code == 200
    failed, ok = runs.get_json()["items"]
    assert (ok["status"], ok["counts"]["created"], ok["counts"]["invalid"], ok["trigger"]) == ("succeeded", 1, 1, "cli")
    assert failed["status"] == "failed" and "gave up after 5 retries" in failed["error"]
    assert client.get("/api/v1/sync/runs?status=failed&source=api", headers=admin).get_json()["items"] == [failed]

    page = client.get("/api/v1/sync/runs?limit=1", headers=admin).get_json()
    assert page["items"] == [failed] and page["next_cursor"]
    rest = client.get(f"/api/v1/sync/runs?limit=1&cursor={page['next_cursor']}", headers=admin).get_json()
    assert rest["items"] == [ok] and rest["next_cursor"] is None

    quarantined = client.get("/api/v1/sync/quarantine?source=api", headers=admin).get_json()["items"]
    assert len(quarantined) == 1
    q = quarantined[0]
    assert (q["locator"], q["uid"], q["status"], q["payload"]["code"]) == (
        "page 1 item 2",
        "VN/products/api-P0001",
        "mapping",
        "P0001",
    )
    assert q["errors"][0]["code"] == "mapping" and q["resolved_at"] is None

    denied = client.get("/api/v1/sync/runs", headers=reader)
    assert denied.status_code == 403 and 'scope="admin"' in denied.headers["WWW-Authenticate"]
    assert client.get("/api/v1/sync/quarantine?cursor=nope", headers=admin).status_code == 400
    assert client.get("/api/v1/sync/quarantine?state=maybe", headers=admin).status_code == 422


def test_subscriptions_are_made_listed_read_and_removed(shub, client, admin) -> None:  # type: ignore[no-untyped-def]
    made = client.post(
        "/api/v1/subscriptions",
        headers=admin,
        json={"url": "http://127.0.0.1:9/hook", "kinds": ["products"], "countries": ["VN"]},
    )
    assert made.status_code == 201
    sub = made.get_json()
    assert len(sub["secret"]) >= 32  # generated and shown once
    assert made.headers["Location"] == f"/api/v1/subscriptions/{sub['id']}"
    shown = client.get(f"/api/v1/subscriptions/{sub['id']}", headers=admin).get_json()
    assert "secret" not in shown and shown["kinds"] == ["products"] and shown["active"] is True
    assert [s["id"] for s in client.get("/api/v1/subscriptions", headers=admin).get_json()["items"]] == [sub["id"]]
    assert client.get(f"/api/v1/subscriptions/{sub['id']}/deliveries", headers=admin).get_json() == {
        "items": [],
        "next_cursor": None,
    }

    assert client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/subscriptions", headers=admin).get_json()["items"] == []
    assert client.get(f"/api/v1/subscriptions/{sub['id']}", headers=admin).get_json()["active"] is False
    assert client.delete(f"/api/v1/subscriptions/{sub['id']}", headers=admin).status_code == 404
    missing = client.get("/api/v1/subscriptions/sub_nope/deliveries", headers=admin)
    assert missing.status_code == 404 and missing.mimetype == PROBLEM


@pytest.mark.parametrize(
    "body, status",
    [
        ({"url": "ftp://example.org/x"}, 422),
        ({"url": "http://example.org/x", "kinds": ["cars"]}, 422),
        ({"url": "http://example.org/x", "countries": ["vn"]}, 422),
        ({"url": "http://example.org/x", "secret": "short"}, 422),
        ({"url": "http://example.org/x", "after": "not-a-cursor"}, 400),
        ({"url": "http://example.org/x", "colour": "red"}, 422),
        ({}, 422),
    ],
)
def test_a_bad_subscription_is_refused_as_a_problem(client, admin, body, status) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/subscriptions", headers=admin, json=body)
    assert r.status_code == status and r.mimetype == PROBLEM


def test_managing_subscriptions_needs_the_admin_scope(client, reader) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/subscriptions", headers=reader, json={"url": "http://example.org/x"})
    assert r.status_code == 403 and 'error="insufficient_scope"' in r.headers["WWW-Authenticate"]
    assert client.get("/api/v1/subscriptions").status_code == 401
