"""Places through time (standard 1.1): the area as recorded and today's area."""

from __future__ import annotations

from datetime import date

import schemas
from schemas import areas
from tests.conftest import product

TODAY = date(2026, 11, 29)
KIEN_GIANG = {"area": "VN-47", "on": "2024-10"}  # merged into An Giang (VN-GSO:91) on 1 July 2025


def test_todays_area_is_derived_from_the_area_at_source_through_the_merger_table() -> None:
    assert areas.current("VN-47") == "VN-GSO:91" and areas.current("TH-90") == "TH-90"
    doc = product(1, origin={"place": "Phú Quốc, Kiên Giang", "area_at_source": KIEN_GIANG})
    result = schemas.validate("products", doc, TODAY)
    assert result.ok and result.document["origin"] == {
        "place": "Phú Quốc, Kiên Giang",
        "area": "VN-GSO:91",
        "area_at_source": KIEN_GIANG,
    }
    assert not [w for w in result.warnings if w.code == "area_superseded"]


def test_readers_see_todays_area_for_a_v1_record_with_an_old_code_which_keeps_its_hash() -> None:
    v1 = schemas.validate("products", product(1, origin={"area": "VN-47"}), TODAY).document
    assert v1["origin"] == {"area": "VN-47"}
    shown = schemas.enrich("products", v1, TODAY)
    assert shown["origin"] == {"area": "VN-GSO:91", "area_at_source": {"area": "VN-47"}}
    again = schemas.validate("products", shown, TODAY).document
    assert schemas.content_hash(again) == schemas.content_hash(v1)


def test_an_area_contradicting_the_area_at_source_is_flagged_and_unknown_codes_refused() -> None:
    odd = schemas.validate("products", product(1, origin={"area": "VN-GSO:01", "area_at_source": KIEN_GIANG}), TODAY)
    assert [(w.path, w.code) for w in odd.warnings] == [("origin.area", "area_mismatch")]
    bad = schemas.validate("products", product(1, origin={"area_at_source": {"area": "VN-99"}}), TODAY)
    assert [(f.path, f.code) for f in bad.errors] == [("origin.area_at_source.area", "area")]


def test_a_filter_by_either_code_finds_the_place() -> None:
    provinces = {"VN-47", "VN-44", "VN-GSO:91"}
    # with the places inside today's An Giang: its communes, the old ones and their districts
    inside = {a.code for a in [*areas.units_of("VN-GSO:91", "commune"), *areas.units_of("VN-47", "district"),
                               *areas.units_of("VN-44", "district"), *areas.units_of("VN-47", "commune"),
                               *areas.units_of("VN-44", "commune")]}
    assert set(areas.same_place_codes("VN-47")) == provinces | inside
    assert set(areas.same_place_codes("VN-GSO:91")) == provinces | inside
    assert areas.same_place_codes("TH-90") == ("TH-90",)
