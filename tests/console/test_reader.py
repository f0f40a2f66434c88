"""What a reviewer reads on a revision page: codes with their labels in the reviewer's
language (from the codelists), dates and numbers as the locale writes them, times in
the staff member's time zone (a profile setting)."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from hub import config
from hub.auth.models import StaffUser
from hub.curation import review
from hub.store.models import Revision
from tests.conftest import product
from tests.console.conftest import post
from tests.review.conftest import SECRETARIAT, VN_WRITER, published_product, submit

REV = "/console/reviews/VN/products/p1/2"
SUBMITTED = datetime(2026, 11, 30, 20, 5, tzinfo=timezone.utc)  # 1 Dec 03:05 in Ho Chi Minh City


def _producer(hub) -> None:  # type: ignore[no-untyped-def]
    doc = {
        "id": "htx-macca-ea-sol",
        "country": "VN",
        "type": "cooperative",
        "name": {"vi": "Hợp tác xã Mắc ca Ea Sol", "en": "Ea Sol Macadamia Cooperative"},
        "location": {"area": "VN-GSO:66"},
    }
    out = hub.writes.write(VN_WRITER, "producers", [doc], source="api").results
    review.decide(hub.sessions, SECRETARIAT, out[0].uid, out[0].version, "approve")


@pytest.fixture
def pending(hub):  # type: ignore[no-untyped-def]
    """p1 published as v1; v2 pending with another category, area, rating and an image."""
    _producer(hub)
    published_product(hub, producer="htx-macca-ea-sol")
    cert = dict(product()["certifications"][0], rating=3, issued_on="2026-11-30", expires_on="2029-11")
    submit(
        hub,
        product(
            1,
            producer="htx-macca-ea-sol",
            category={"scheme": "VN-OCOP-2023", "code": "1.3.3"},
            origin={"area": "VN-GSO:48"},
            certifications=[cert],
            price={"amount": "1234567", "currency": "VND"},
            images=["https://ocop.example.vn/img/macca.jpg"],
        ),
    )
    with hub.sessions.begin() as s:
        s.execute(sa.update(Revision).where(Revision.version == 2).values(created_at=SUBMITTED))


def _lang(client, lang: str) -> None:  # type: ignore[no-untyped-def]
    assert post(client, "/console/language", {"lang": lang, "next": REV}).status_code == 302


def _page(client) -> str:  # type: ignore[no-untyped-def]
    r = client.get(REV)
    assert r.status_code == 200
    return html.unescape(r.get_data(as_text=True)).replace("\u202f", " ")  # CLDR's narrow space before am/pm


def _reader(page: str) -> str:
    block = page.split('id="reader-view"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))


def test_codes_show_their_labels_in_english(pending, as_vn) -> None:  # type: ignore[no-untyped-def]
    page = _page(as_vn)
    seen = _reader(page)
    assert "Food › Processed food › Processed from vegetables, tubers, fruits and nuts" in seen
    assert "Viet Nam OCOP product classification, 2023 (Decision 148/QĐ-TTg) · 1.3.3" in seen
    assert "Common category Food" in seen
    assert "Ea Sol Macadamia Cooperative" in seen  # the producer's name, not its id
    assert "Thành phố Đà Nẵng" in seen and "VN-GSO:48" in seen
    assert "★★★☆☆" in seen.replace(" ", "") and 'aria-label="3 of 5 stars"' in page
    assert "OCOP star rating (Viet Nam)" in seen
    assert '<a href="https://ocop.example.vn/img/macca.jpg" rel="noopener noreferrer nofollow"' in page
    assert "<img" not in page.split('id="reader-view"', 1)[1].split("</section>", 1)[0]  # links, within the CSP
    # the diff's coded values carry their labels too, old and new
    row = page.split("<code>category.code</code>", 1)[1].split("</tr>", 1)[0]
    assert "Food › Fresh food" in row and "Food › Processed food › Processed from vegetables" in row
    area = page.split("<code>origin.area</code>", 1)[1].split("</tr>", 1)[0]
    assert "Thành phố Hà Nội" in area and "Thành phố Đà Nẵng" in area


def test_codes_show_their_labels_in_vietnamese_and_thai(pending, as_vn) -> None:  # type: ignore[no-untyped-def]
    _lang(as_vn, "vi")
    seen = _reader(_page(as_vn))
    assert "Thực phẩm › Thực phẩm chế biến › Chế biến từ rau, củ, quả, hạt" in seen
    assert "Hợp tác xã Mắc ca Ea Sol" in seen and "Phân hạng sao sản phẩm OCOP" in seen
    _lang(as_vn, "th")
    seen = _reader(_page(as_vn))
    assert "อาหาร" in seen  # the common category's Thai label
    assert "การจัดระดับดาว OCOP (เวียดนาม)" in seen


@pytest.mark.parametrize(
    ("lang", "issued", "until", "price"),
    [
        ("en", "30 Nov 2026", "Nov 2029", "₫1,234,567"),
        ("vi", "30 thg 11, 2026", "thg 11 2029", "1.234.567 ₫"),
        ("th", "30 พ.ย. 2026", "พ.ย. 2029", "₫1,234,567"),
    ],
)
def test_dates_and_numbers_are_written_as_the_locale_writes_them(  # type: ignore[no-untyped-def]
    pending, as_vn, lang, issued, until, price
) -> None:
    _lang(as_vn, lang)
    page = _page(as_vn)
    seen = _reader(page)
    assert f"{issued} – {until}" in seen  # a partial date (YYYY-MM) stays a month
    assert price in seen
    assert "11/30/26" not in page and "2026-11-30" not in seen


def test_times_are_shown_in_the_staff_members_time_zone(hub, pending, as_vn) -> None:  # type: ignore[no-untyped-def]
    assert "30 Nov 2026, 8:05:00 pm" in _page(as_vn)  # the hub's default zone: UTC
    r = post(as_vn, "/console/account/time-zone", {"time_zone": "Asia/Ho_Chi_Minh"}, "/console/account")
    assert r.status_code == 302
    account = html.unescape(as_vn.get("/console/account").get_data(as_text=True))
    assert '<option value="Asia/Ho_Chi_Minh" selected>' in account
    assert "Times are now shown in Asia/Ho_Chi_Minh" in account
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffUser.time_zone).where(StaffUser.email == "reviewer@vn.example")) == (
            "Asia/Ho_Chi_Minh"
        )
    page = _page(as_vn)
    assert "1 Dec 2026, 3:05:00 am" in page and "8:05:00 pm" not in page
    _lang(as_vn, "vi")
    assert "03:05:00 1 thg 12, 2026" in _page(as_vn)
    post(as_vn, "/console/account/time-zone", {"time_zone": ""}, "/console/account")  # back to the hub's
    assert "20:05:00 30 thg 11, 2026" in _page(as_vn)
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffUser.time_zone).where(StaffUser.email == "reviewer@vn.example")) is None


@pytest.mark.parametrize("zone", ["Mars/Olympus", "../../etc/passwd", "asia/ho_chi_minh", "x" * 300])
def test_a_time_zone_that_is_not_an_iana_name_is_refused(hub, as_vn, zone: str) -> None:  # type: ignore[no-untyped-def]
    r = post(as_vn, "/console/account/time-zone", {"time_zone": zone}, "/console/account")
    assert r.status_code == 302
    page = html.unescape(as_vn.get("/console/account").get_data(as_text=True))
    assert "The time zone was not changed" in page and "is not a time zone" in page
    with hub.sessions() as s:
        assert s.scalar(sa.select(StaffUser.time_zone).where(StaffUser.email == "reviewer@vn.example")) is None


def test_the_hubs_default_time_zone_is_a_setting_checked_at_start() -> None:
    assert config.load({"secret_key": "k"}).console_time_zone == "UTC"
    assert config.load({"secret_key": "k", "console_time_zone": "Asia/Bangkok"}).console_time_zone == "Asia/Bangkok"
    with pytest.raises(config.ConfigError, match="console_time_zone must be an IANA time zone"):
        config.load({"secret_key": "k", "console_time_zone": "GMT+7 Hanoi"})


def test_the_migration_adds_time_zone_and_keeps_existing_accounts_on_the_default(hub, staff) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from hub.store import migrate

    with hub.engine.begin() as conn:
        command.downgrade(migrate._config(conn), "0013_validated_with")
        columns = {c["name"] for c in sa.inspect(conn).get_columns("staff_users")}
        assert "time_zone" not in columns
    migrate.upgrade(hub.engine)
    with hub.engine.connect() as conn:
        zones = conn.execute(sa.text("SELECT time_zone FROM staff_users")).scalars().all()
    assert len(zones) == 4 and set(zones) == {None}
    assert migrate.is_current(hub.engine)


def test_lists_write_times_with_the_month_spelled_out_not_us_style(pending, as_vn) -> None:  # type: ignore[no-untyped-def]
    queue = html.unescape(as_vn.get("/console/reviews").get_data(as_text=True)).replace("\u202f", " ")
    assert "30 Nov 2026, 8:05 pm" in queue and "11/30/26" not in queue
    _lang(as_vn, "vi")
    queue = html.unescape(as_vn.get("/console/reviews").get_data(as_text=True))
    assert "20:05 30 thg 11, 2026" in queue


def test_which_field_holds_which_codelist_is_read_from_the_schema() -> None:
    from hub.console import reader

    assert reader.field_types("producers")["type"] == ("code", "producer-types")
    assert reader.field_types("products")["producer"] == ("ref", ("producers",))
    assert reader.field_types("products")["certifications.*.issued_on"] == ("day", None)
    assert reader.field_types("products")["evidence.*.type"] == ("code", "evidence-types")
    assert reader.field_types("activities")["organisers.*"] == ("ref", ("organisations",))
    assert reader.pattern("certifications.10.rating") == "certifications.*.rating"


def test_an_organisation_type_and_areas_are_labelled_in_the_reviewers_language(client) -> None:  # type: ignore[no-untyped-def]
    from hub.console import reader
    from schemas import codelists

    university = codelists.item("organisation-types", "university")["label"]
    with client.application.test_request_context(headers={"Accept-Language": "th"}):
        assert reader.area_name("TH-90") == "สงขลา" and reader.area_name("TH") == "ไทย"
        assert reader.describe("organisations", "type", "university", None, {}) == university["th"]
    with client.application.test_request_context(headers={"Accept-Language": "vi"}):
        assert reader.area_name("TH") == "Thái Lan" and reader.area_name("VN-GSO:48") == "Thành phố Đà Nẵng"
        assert reader.describe("organisations", "type", "university", None, {}) == university["vi"]
    with client.application.test_request_context(headers={"Accept-Language": "en"}):
        assert reader.area_name("TH-90") == "Songkhla" and reader.area_name("VN") == "Vietnam"
        assert reader.area_name("XX-99") == "XX-99"  # unknown: the code as written
