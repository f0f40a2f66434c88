"""Viet Nam's districts and communes through the July 2025 reorganisation (standard 1.1)."""

from __future__ import annotations

from datetime import date

import pytest
from vietnam_provinces import Province

import schemas
from schemas import areas, codelists
from tests.conftest import product

TODAY = date(2026, 11, 29)
# Xã Hòa Phong of the old district Krông Bông (Đắk Lắk) went whole into today's Xã Cư Pui.
HOA_PHONG_OLD, HOA_PHONG_TODAY, KRONG_BONG = "VN-GSO-2004:24463", "VN-GSO:24478", "VN-GSO-2004:653"


def _table() -> list[dict]:
    return codelists.codelist(areas.COMMUNES_CODELIST)["items"]


def test_the_table_holds_the_old_districts_and_communes_and_todays_3321_communes() -> None:
    counts: dict[tuple[str, bool], int] = {}
    for it in _table():
        key = (it["level"], it["code"].startswith(areas.VN_GSO_2004_PREFIX))
        counts[key] = counts.get(key, 0) + 1
    assert counts == {("district", True): 696, ("commune", True): 10051, ("commune", False): 3321}
    doc = codelists.codelist(areas.COMMUNES_CODELIST)
    assert doc["generated_from"] == {
        "package": "vietnam-provinces", "version": "2026.9.0", "data_version": "2026-09-20"}
    # today's communes lie in today's provinces, which the installed package lists too
    assert doc["provinces"] == sorted(f"VN-GSO:{int(p.code.value):02d}" for p in Province.iter_all())
    assert {it["parent"] for it in _table() if not it["code"].startswith("VN-GSO-2004")} == set(doc["provinces"])


def test_every_successor_and_parent_in_the_table_is_a_known_area() -> None:
    for it in _table():
        assert areas.lookup(it["parent"]) is not None, it
        for new in it.get("replaced_by", ()):
            assert areas.lookup(new).valid_from == "2025-07-01", it


def test_commune_and_district_codes_resolve_with_their_validity() -> None:
    old = areas.lookup(HOA_PHONG_OLD)
    assert (old.name, old.level, old.parent, old.valid_to, old.replaced_by) == (
        "Xã Hòa Phong", "commune", KRONG_BONG, "2025-06-30", (HOA_PHONG_TODAY,))
    assert areas.lookup(KRONG_BONG).parent == "VN-33"  # the old province Đắk Lắk
    new = areas.lookup(HOA_PHONG_TODAY)
    assert (new.name, new.parent, new.valid_from, new.valid_to) == ("Xã Cư Pui", "VN-GSO:66", "2025-07-01", None)


@pytest.mark.parametrize("code", ["VN-GSO:0001", "VN-GSO:000004", "VN-GSO-2004:0001", "VN-GSO-2004:24463\n",
                                  "vn-gso-2004:24463", "VN-GSO-2004:99999", "VN-GSO:99999", "VN-GSO-2025:00004"])
def test_malformed_or_unknown_unit_codes_do_not_resolve(code: str) -> None:
    assert areas.lookup(code) is None or areas.lookup(code).code != code


def test_todays_area_is_the_commune_that_took_the_old_one_whole_else_the_province() -> None:
    assert areas.current(HOA_PHONG_OLD) == HOA_PHONG_TODAY
    assert areas.current(KRONG_BONG) == "VN-GSO:66"  # districts were abolished
    split = next(it for it in _table() if it.get("split") and len(it["replaced_by"]) > 1)
    province = areas.lookup(split["replaced_by"][0]).parent
    assert areas.current(split["code"]) == province
    partly = next(it for it in _table() if it.get("split") and len(it["replaced_by"]) == 1)
    assert areas.current(partly["code"]) == areas.lookup(partly["replaced_by"][0]).parent
    gone = next(it for it in _table() if it["code"].startswith("VN-GSO-2004:") and it["level"] == "commune"
                and not it["replaced_by"])
    assert areas.current(gone["code"]).startswith("VN-GSO:") and len(areas.current(gone["code"])) == 9


def test_the_area_filter_of_a_province_takes_its_communes_old_and_new() -> None:
    inside = set(areas.same_place_codes("VN-GSO:66"))  # Đắk Lắk and Phú Yên (VN-32) merged
    assert {"VN-GSO:66", "VN-33", "VN-32", HOA_PHONG_TODAY, HOA_PHONG_OLD, KRONG_BONG} <= inside
    assert "VN-GSO:00004" not in inside  # Hà Nội's
    assert set(areas.same_place_codes(HOA_PHONG_OLD)) == {HOA_PHONG_OLD, HOA_PHONG_TODAY} | {
        it["code"] for it in _table() if it.get("replaced_by") == [HOA_PHONG_TODAY] and not it.get("split")}


def test_a_commune_at_source_gives_todays_commune_and_a_v1_old_code_keeps_its_hash() -> None:
    at_source = {"area": HOA_PHONG_OLD, "on": "2024-10"}
    doc = product(1, origin={"place": "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk",
                             "area_at_source": at_source})
    result = schemas.validate("products", doc, TODAY)
    assert result.ok and result.document["origin"]["area"] == HOA_PHONG_TODAY
    assert not result.warnings
    v1 = schemas.validate("products", product(1, origin={"area": HOA_PHONG_OLD}), TODAY)
    assert [w.code for w in v1.warnings] == ["area_superseded"]
    shown = schemas.enrich("products", v1.document, TODAY)
    assert shown["origin"] == {"area": HOA_PHONG_TODAY, "area_at_source": {"area": HOA_PHONG_OLD}}
    again = schemas.validate("products", shown, TODAY).document
    assert schemas.content_hash(again) == schemas.content_hash(v1.document)


def test_district_and_commune_names_resolve_within_the_unit_above() -> None:
    assert areas.find_unit("VN-33", "huyện Krông Bông", "district") == KRONG_BONG
    assert areas.find_unit(KRONG_BONG, "xã Hòa Phong", "commune") == HOA_PHONG_OLD
    assert areas.find_unit(KRONG_BONG, "X. Hoa Phong", "commune") == HOA_PHONG_OLD
    assert areas.find_unit("VN-GSO:66", "Xã Cư Pui", "commune") == HOA_PHONG_TODAY
    assert areas.find_unit("VN-SG", "Q.1", "district") == "VN-GSO-2004:760"
    assert areas.find_unit("VN-GSO-2004:760", "phường Bến Nghé", "commune") == "VN-GSO-2004:26740"
    # "Phường 12" exists in several old districts of Hồ Chí Minh City: not guessed
    assert areas.find_unit("VN-SG", "Phường 12", "commune") is None
    assert areas.find_unit("VN-GSO:66", "xã Hòa Phong", "commune") is None  # not a commune of today
