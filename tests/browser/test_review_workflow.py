"""A ministry reviewer's whole job in a real browser, checked through the API.

Log in, open a pending product, see the diff, approve it, then find it through the API;
return another with a reason and read that reason through the API as the submitter;
approve two at once; switch the language.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.browser.conftest import log_in, shot


def _token(live: Any, creds: tuple[str, str]) -> dict[str, str]:
    r = requests.post(f"{live.url}/oauth/token", data={"grant_type": "client_credentials"}, auth=creds, timeout=10)
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_approve_a_pending_product_and_find_it_through_the_api(page, live) -> None:  # type: ignore[no-untyped-def]
    reader = _token(live, live.data.th_client)
    url = f"{live.url}/api/v1/products/VN/macca-rang-muoi-ea-sol"
    assert requests.get(url, headers=reader, timeout=10).json()["version"] == 1  # published v1 still shown
    log_in(page, "reviewer@vn.example")
    page.click("nav.mainnav >> text=Reviews")
    page.click("text=Ea Sol salt-roasted macadamia nuts")
    page.wait_for_selector("table.diff")
    changed = page.locator("table.diff tr.row-changed", has_text="description.en")
    assert "Himalayan pink" in changed.locator("ins").first.inner_text()
    assert page.locator(".warn-card").inner_text().count("area_unresolved") == 1
    assert page.locator("tr.row-warn").first.inner_text().startswith("origin.place")
    shot(page, "workflow-1-diff")
    page.click("button:has-text('Approve and publish')")
    page.wait_for_selector(".flash-success")
    assert "Approved and published: VN/products/macca-rang-muoi-ea-sol version 2" in page.inner_text(".flash-success")
    shot(page, "workflow-2-approved")
    body = requests.get(url, headers=reader, timeout=10).json()
    assert (body["version"], body["price"]["amount"]) == (2, "390000")
    feed = requests.get(
        f"{live.url}/api/v1/changes?kind=products&country=VN&limit=1000", headers=reader, timeout=10
    ).json()
    assert feed["changes"][-1]["uid"] == "VN/products/macca-rang-muoi-ea-sol" and feed["changes"][-1]["version"] == 2


def test_return_with_a_reason_that_the_submitter_reads_through_the_api(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "reviewer@vn.example")
    page.goto("/console/reviews")
    page.click("text=Nước mắm cá cơm Phú Quốc 40 độ đạm")
    page.select_option("#return-reason", "missing-translation")
    page.fill("#return-comment", "Add the English name, please.")
    shot(page, "workflow-3-return")
    page.click("button:has-text('Return')")
    page.wait_for_selector(".flash-success")
    assert "Returned to the sender" in page.inner_text(".flash-success")
    submitter = _token(live, live.data.vn_client)
    items = requests.get(f"{live.url}/api/v1/reviews?state=returned", headers=submitter, timeout=10).json()["items"]
    mine = next(i for i in items if i["uid"] == "VN/products/nuoc-mam-ca-com-phu-quoc")
    assert mine["reason"] == {
        "code": "missing-translation",
        "label": "Missing translation",
        "comment": "Add the English name, please.",
    }
    own = requests.get(f"{live.url}/api/v1/changes?include=own", headers=submitter, timeout=10).json()["own"]
    assert any(o["uid"] == mine["uid"] and o["state"] == "returned" for o in own)


def test_bulk_approve_the_selected_items(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "reviewer@vn.example")
    page.goto("/console/reviews?q=banh+pia")  # typed without accents
    for uid in live.data.bulk:
        page.check(f"input[name=item][value='{uid}@1']")
    page.click("button:has-text('Approve selected')")
    page.wait_for_selector(".flash-success")
    assert "2 revisions approved and published." in page.inner_text(".flash-success")
    reader = _token(live, live.data.th_client)
    found = requests.get(f"{live.url}/api/v1/products?country=VN&q=banh pia", headers=reader, timeout=10).json()
    assert sorted(i["uid"] for i in found["items"]) == sorted(live.data.bulk)


def test_switch_the_language(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "reviewer@vn.example")
    page.goto("/console/reviews")
    page.click(".langswitch button[value=vi]")
    page.wait_for_selector("h1:has-text('Danh sách chờ duyệt')")
    assert page.get_attribute("html", "lang") == "vi"
    assert page.locator("nav.mainnav").inner_text().split()[:2] == ["Tổng", "quan"]
    shot(page, "workflow-4-vietnamese")
    page.click(".langswitch button[value=th]")
    page.wait_for_selector("h1:has-text('รายการรอตรวจสอบ')")
    page.goto("/console/")
    shot(page, "workflow-5-thai-dashboard")
    page.click(".langswitch button[value=en]")
    page.wait_for_selector("h1:has-text('Dashboard')")
