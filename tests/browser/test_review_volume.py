"""Review at volume in a real browser: a 2,000-record sync submission reviewed to the end
in a few actions, a superseded revision that offers no decision, and a filtered export
that opens as UTF-8 CSV and as a workbook."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook

from bench.generate import products
from hub.actors import Actor
from hub.store.models import Record, Revision
from tests.browser.conftest import log_in, shot

SYNC = Actor("sync:vn-post", "VN")


def test_a_2000_record_sync_submission_is_reviewed_in_under_ten_actions(page, live) -> None:  # type: ignore[no-untyped-def]
    records = list(products(2000))
    for start in range(0, 2000, 500):
        live.hub.writes.write(
            SYNC, "products", records[start : start + 500], source="sync", submission="sync-run:browser"
        )
    log_in(page, "reviewer@vn.example")
    actions = 0
    page.click("nav.mainnav >> text=Reviews")
    actions += 1
    page.click("section.submissions a:has-text('sync')")
    actions += 1
    assert "2,000 pending records match" in page.inner_text(".bulkbar")
    shot(page, "volume-1-submission")
    page.click("button:has-text('Approve all')")
    actions += 1
    assert "This approves and publishes 2,000 records (2,000 versions)." in page.inner_text(".confirm-count")
    page.click("button:has-text('Confirm')")
    actions += 1
    page.wait_for_selector("h1:has-text('Decision taken')", timeout=120_000)  # the page refreshes itself
    assert "2,000 of 2,000 revisions decided" in page.inner_text(".job-progress")
    shot(page, "volume-2-done")
    assert actions < 10
    with live.hub.sessions() as s:
        published = s.scalar(
            sa.select(sa.func.count())
            .select_from(Record)
            .where(Record.local_id.like("bench-%"), Record.published_version == 1)
        )
    assert published == 2000


def test_a_superseded_revision_offers_no_decision(page, live) -> None:  # type: ignore[no-untyped-def]
    doc = next(iter(products(1, seed=3)))
    doc["id"] = "superseded-demo"
    live.hub.writes.write(SYNC, "products", [doc], source="sync")
    live.hub.writes.write(SYNC, "products", [{**doc, "name": {"vi": "Phiên bản hai"}}], source="sync")
    log_in(page, "reviewer@vn.example")
    page.goto("/console/reviews/VN/products/superseded-demo/1")
    assert "superseded and cannot be decided" in page.inner_text(".notice")
    assert page.locator("button:has-text('Approve and publish')").count() == 0
    page.click("text=Open the latest version")
    assert page.locator("button:has-text('Approve and publish')").count() == 1
    page.goto("/console/reviews?state=superseded")
    assert "superseded-demo" in page.inner_text("table.queue")
    with live.hub.sessions() as s:
        assert (
            s.scalar(
                sa.select(Revision.review_state).where(
                    Revision.uid == "VN/products/superseded-demo", Revision.version == 1
                )
            )
            == "superseded"
        )


def _download(page: Any, fmt: str) -> bytes:
    page.goto("/console/records?kind=products&country=VN")
    page.select_option("form.export select[name=format]", fmt)
    with page.expect_download() as info:
        page.click("button:has-text('Export these records')")
    path = info.value.path()
    with open(path, "rb") as f:
        return f.read()


def test_the_filtered_export_opens_as_utf8_csv_and_as_a_workbook(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "reviewer@vn.example")
    body = _download(page, "csv")
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")  # valid UTF-8 or this raises
    rows = list(
        csv.DictReader(line for line in io.StringIO(text.lstrip("\ufeff"), newline="") if not line.startswith("# "))
    )
    assert rows and all(r["country"] == "VN" for r in rows)
    assert any(r["name.vi"] and not r["name.vi"].isascii() for r in rows)  # Vietnamese intact
    book = load_workbook(io.BytesIO(_download(page, "xlsx")))
    sheet = book["products"]
    assert sheet.freeze_panes == "B2" and sheet["A1"].value == "uid"
    assert sheet.max_row - 1 == len(rows)


def test_thai_renders_with_the_bundled_noto_font(browser, live) -> None:  # type: ignore[no-untyped-def]
    """The machine has no Thai font (Debian's Chromium without fonts-noto-core): the text
    is drawn with the font the console bundles, fetched from the hub itself."""
    context = browser.new_context(base_url=live.url, locale="th-TH", extra_http_headers={"Accept-Language": "th"})
    page = context.new_page()
    fetched: list[str] = []
    page.on("response", lambda r: fetched.append(r.url) if r.url.endswith(".ttf") else None)
    try:
        page.goto("/console/login")
        assert page.evaluate("document.documentElement.lang") == "th"
        page.evaluate("document.fonts.ready")
        loaded = page.evaluate("""async () => {
            await document.fonts.load('16px "Hub Noto Sans Thai"', 'เข้าสู่ระบบ');
            return [...document.fonts].filter(
                f => f.family.includes('Hub Noto Sans Thai') && f.status === 'loaded').length;
        }""")
        assert loaded >= 1
        assert any(u.startswith(live.url) and "NotoSansThai" in u for u in fetched)
    finally:
        context.close()
