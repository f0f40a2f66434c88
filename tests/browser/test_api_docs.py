"""/api/v1/docs in a real browser: Swagger UI 5 renders the 3.1 document from the hub
itself, "Authorize" obtains a token with a client id and secret, "Try it out" calls the hub."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import shot


def test_the_docs_render_authorize_and_try_it_out(page: Any, live: Any) -> None:
    outside: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live.url) else None)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock-summary-path", state="attached")
    body = page.locator("body").inner_text()
    assert "Unable to render" not in body
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/products/batch" in p for p in paths) and any("/api/v1/whoami" in p for p in paths)
    shot(page, "api-docs")

    client_id, secret = live.data.vn_client
    page.click("button.authorize")
    dialog = page.locator(".dialog-ux")
    dialog.locator("input[id^=client_id]").fill(client_id)
    dialog.locator("input[id^=client_secret]").fill(secret)
    dialog.locator("button.authorize").click()
    dialog.locator("button:has-text('Logout')").wait_for()
    dialog.locator("button.btn-done").click()

    operation = page.locator(".opblock-get", has=page.locator(".opblock-summary-path", has_text="/api/v1/whoami"))
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    response = operation.locator(".live-responses-table .response .response-col_status")
    response.first.wait_for()
    assert response.first.inner_text().strip().startswith("200")
    assert client_id in operation.locator(".live-responses-table .microlight").first.inner_text()
    shot(page, "api-docs-try-it-out")
    assert outside == [] and errors == []
