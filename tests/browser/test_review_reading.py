"""What a reviewer reads, in a real browser: the diff against the published version
(changed fields highlighted, unchanged ones folded), codes with their labels, dates and
numbers in English, Vietnamese and Thai, and times in the reviewer's own time zone."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from hub.store.models import Revision
from tests.browser.conftest import log_in, shot

UID = "VN/products/macca-rang-muoi-ea-sol"
REV = "/console/reviews/VN/products/macca-rang-muoi-ea-sol/2"
SUBMITTED = datetime(2026, 11, 30, 20, 5, tzinfo=timezone.utc)  # 1 Dec, 03:05 in Viet Nam and Thailand


@pytest.fixture(scope="module", autouse=True)
def _submitted_at_a_known_time(live: Any) -> None:
    with live.hub.sessions.begin() as s:
        s.execute(sa.update(Revision).where(Revision.uid == UID, Revision.version == 2).values(created_at=SUBMITTED))


def _text(page: Any, selector: str) -> str:
    return " ".join(page.inner_text(selector).replace("\u202f", " ").split())


def test_the_diff_highlights_changed_fields_and_folds_unchanged_ones(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "reviewer@vn.example")
    page.goto(REV)
    changed = page.locator("table.diff tr.row-changed", has_text="price.amount")
    assert changed.locator("td.old").inner_text().strip() == "350000"
    assert changed.locator("td.new").inner_text().strip() == "390000"
    plain = page.evaluate("getComputedStyle(document.querySelector('#reader-view')).backgroundColor")
    for cell in ("td.old", "td.new"):
        colour = changed.locator(cell).evaluate("e => getComputedStyle(e).backgroundColor")
        assert colour not in (plain, "rgba(0, 0, 0, 0)"), cell  # highlighted
    words = page.locator("table.diff tr.row-changed", has_text="description.en")
    assert "Himalayan pink" in words.locator("ins").first.inner_text()
    assert page.locator("table.diff tr.row-removed", has_text="origin.area").is_visible()
    # unchanged fields are folded until asked for
    folded = page.locator("details.unchanged")
    assert folded.get_attribute("open") is None
    same = folded.locator("tr.row-same", has_text="category.code")
    assert not same.is_visible()
    summary = _text(page, "details.unchanged > summary")
    assert summary.startswith("Show ") and summary.endswith(" unchanged fields")
    shot(page, "reading-1-diff-folded")
    folded.locator("summary").click()
    assert same.is_visible()
    assert "Food › Processed food › Processed from vegetables, tubers, fruits and nuts" in _text(
        page, "details.unchanged tr.row-same:has-text('category.code')"
    )
    assert page.locator("table.diff tr.row-changed", has_text="category.code").count() == 0
    shot(page, "reading-2-diff-unfolded")


@pytest.mark.parametrize(
    ("lang", "heading", "dates", "price", "submitted"),
    [
        ("en", "As a reader sees it", "20 Nov 2024 – 20 Nov 2027", "₫390,000", "1 Dec 2026, 3:05:00 am"),
        ("vi", "Như người đọc thấy", "20 thg 11, 2024 – 20 thg 11, 2027", "390.000 ₫", "03:05:00 1 thg 12, 2026"),
        ("th", "มุมมองของผู้อ่าน", "20 พ.ย. 2024 – 20 พ.ย. 2027", "₫390,000", "1 ธ.ค. 2026 03:05:00"),
    ],
)
def test_dates_numbers_and_times_in_three_languages_and_the_reviewers_zone(  # type: ignore[no-untyped-def]
    page, live, lang, heading, dates, price, submitted
) -> None:
    log_in(page, "reviewer@vn.example")
    page.goto("/console/account")
    page.select_option("#a-zone", "Asia/Ho_Chi_Minh")
    page.click("button:has-text('Save time zone')")
    page.wait_for_selector(".flash-success")
    assert "Asia/Ho_Chi_Minh" in page.inner_text("#zone-link")
    page.goto(REV)
    if lang != "en":
        page.click(f".langswitch button[value={lang}]")
        page.wait_for_selector(f"html[lang={lang}]")
    page.wait_for_selector(f"#reader-view h2:has-text('{heading}')")
    reader = _text(page, "#reader-view")
    assert dates in reader and price in reader
    assert "★★★★☆" in reader.replace(" ", "")
    meta = _text(page, "section.meta")
    assert submitted in meta
    assert "11/30/26" not in meta and "20:05" not in meta  # neither US-style nor UTC
    shot(page, f"reading-3-{lang}")
    page.click(".langswitch button[value=en]")  # the choice is saved per user: leave English
    page.wait_for_selector("html[lang=en]")


def test_the_time_zone_of_another_staff_member_is_their_own(page, live) -> None:  # type: ignore[no-untyped-def]
    log_in(page, "secretariat@asean.example")  # never chose a zone: the hub's default, UTC
    page.goto(REV)
    assert "30 Nov 2026, 8:05:00 pm" in _text(page, "section.meta")
    assert "UTC" in page.inner_text("#zone-link")
