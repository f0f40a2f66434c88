"""Every console page renders in a real browser, for a reviewer and for the secretariat,
without a console error and without loading anything from outside the hub."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import log_in, shot

REVIEWER_PAGES = {
    "dashboard-reviewer": "/console/",
    "queue": "/console/reviews",
    "review-update": "/console/reviews/VN/products/macca-rang-muoi-ea-sol/2",
    "review-new": "/console/reviews/VN/products/tra-shan-tuyet-hoang-su-phi/1",
    "queue-returned": "/console/reviews?state=returned",
    "records": "/console/records",
    "records-search": "/console/records?q=mac+ca",
    "record": "/console/records/VN/products/macca-rang-muoi-ea-sol",
    "flags": "/console/flags",
    "flags-raised": "/console/flags?box=raised",
}
SECRETARIAT_PAGES = {
    "dashboard-secretariat": "/console/",
    "queue-all": "/console/reviews",
    "admin-clients": "/console/admin/clients",
    "admin-users": "/console/admin/users",
    "admin-members": "/console/admin/members",
    "admin-webhooks": "/console/admin/subscriptions",
}


def _visit(page: Any, live: Any, pages: dict[str, str]) -> None:
    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live.url) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        assert page.locator("h1").count() >= 1
        shot(page, name)
    assert outside == [] and errors == []


def test_reviewer_pages(page, live) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/login")
    shot(page, "login")
    log_in(page, "reviewer@vn.example")
    _visit(page, live, REVIEWER_PAGES)


def test_secretariat_pages(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "secretariat@asean.example")
    _visit(page, live, SECRETARIAT_PAGES)
