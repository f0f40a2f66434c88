"""ETag and If-Match while a revision is pending: the sender (the owner country, with
``include=own``) sees and matches its latest revision; everyone else sees the published
one; a 412 names the revision If-Match was compared with."""

from __future__ import annotations

from hub.curation import review
from tests.auth.helpers import partner_headers
from tests.conftest import product
from tests.review.conftest import VN_REVIEWER

PROBLEM = "application/problem+json"
URL = "/api/v1/products/VN/p1"


def test_a_created_record_is_pending_and_readable_by_its_sender_only(client, hub, vn_submitter) -> None:  # type: ignore[no-untyped-def]
    th = partner_headers(hub, client, "TH", ("exchange:read",))
    put = client.put(URL, json=product(1), headers=vn_submitter)
    assert put.status_code == 201 and put.get_json()["review"] == "pending"
    assert client.get(URL, headers=vn_submitter).status_code == 404
    own = client.get(URL + "?include=own", headers=vn_submitter)
    assert own.status_code == 200 and own.get_json()["review"] == "pending"
    assert own.headers["ETag"] == put.headers["ETag"]
    assert client.get(URL + "?include=own", headers=th).status_code == 404


def test_while_an_update_is_pending_each_side_sees_its_etag_and_412_says_why(client, hub, vn_submitter) -> None:  # type: ignore[no-untyped-def]
    th = partner_headers(hub, client, "TH", ("exchange:read",))
    first = client.put(URL, json=product(1), headers=vn_submitter)
    review.decide(hub.sessions, VN_REVIEWER, "VN/products/p1", 1, "approve")
    published_tag = client.get(URL, headers=vn_submitter).headers["ETag"]
    assert published_tag == first.headers["ETag"]
    update = client.put(URL, json=product(1, package="Hũ 500 g"), headers={**vn_submitter, "If-Match": published_tag})
    assert update.status_code == 200 and update.get_json()["review"] == "pending"
    pending_tag = update.headers["ETag"]
    assert pending_tag != published_tag

    # everyone else, and the sender without include=own: the published revision
    for headers in (th, vn_submitter):
        plain = client.get(URL, headers=headers)
        assert plain.headers["ETag"] == published_tag and plain.get_json()["version"] == 1
    th_own = client.get(URL + "?include=own", headers=th)
    assert th_own.headers["ETag"] == published_tag and "package" not in th_own.get_json()
    # the sender, with include=own: the pending revision and the ETag If-Match is compared with
    own = client.get(URL + "?include=own", headers=vn_submitter)
    assert own.headers["ETag"] == pending_tag
    assert own.get_json()["version"] == 2 and own.get_json()["review"] == "pending"
    assert client.get(URL + "?include=own", headers={**vn_submitter, "If-None-Match": pending_tag}).status_code == 304

    stale = client.put(URL, json=product(1, package="Hũ 1 kg"), headers={**vn_submitter, "If-Match": published_tag})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    body = stale.get_json()
    assert body["compared_with"] == {"version": 2, "review": "pending", "etag": pending_tag}
    assert body["published"] == {"version": 1, "etag": published_tag}
    assert "include=own" in body["detail"]
    gone = client.delete(URL, headers={**vn_submitter, "If-Match": published_tag})
    assert gone.status_code == 412 and gone.get_json()["compared_with"]["etag"] == pending_tag
    ok = client.put(URL, json=product(1, package="Hũ 1 kg"), headers={**vn_submitter, "If-Match": pending_tag})
    assert ok.status_code == 200 and ok.get_json()["version"] == 3


def test_include_takes_only_own(client, vn_submitter) -> None:  # type: ignore[no-untyped-def]
    r = client.get(URL + "?include=everything", headers=vn_submitter)
    assert r.status_code == 422 and r.mimetype == PROBLEM
