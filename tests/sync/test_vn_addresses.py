"""The Vietnamese address parser (``area:VN``): commune, district and province read from
the end of an address, in the units of its time, with today's derived."""

from __future__ import annotations

import pytest

from hub.sync import addresses
from hub.sync.transforms import build
from schemas import areas

OLD_ADDRESS = "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk"
HOA_PHONG_OLD, CU_PUI = "VN-GSO-2004:24463", "VN-GSO:24478"


def test_an_address_of_before_july_2025_gives_its_old_units_and_todays_commune() -> None:
    found = addresses.read_vn(OLD_ADDRESS)
    assert found == addresses.VNAddress("VN-GSO:66", "VN-33", "VN-GSO-2004:653", HOA_PHONG_OLD)
    assert (found.at_source, found.today) == (HOA_PHONG_OLD, CU_PUI)
    assert build("area:VN@2024-10")(OLD_ADDRESS) == {
        "place": OLD_ADDRESS, "area": CU_PUI, "area_at_source": {"area": HOA_PHONG_OLD, "on": "2024-10"}}


def test_without_a_district_the_old_commune_is_found_when_today_s_province_has_no_such_commune() -> None:
    assert build("area:VN")("xã Hòa Phong, tỉnh Đắk Lắk") == {"place": "xã Hòa Phong, tỉnh Đắk Lắk", "area": CU_PUI}


def test_an_address_in_today_s_units_gives_today_s_commune_and_no_history() -> None:
    text = "Thôn 3, xã Cư Pui, tỉnh Đắk Lắk"
    assert addresses.read_vn(text) == addresses.VNAddress("VN-GSO:66", commune=CU_PUI)
    assert build("area:VN@2025-09-02")(text) == {"place": text, "area": CU_PUI}


def test_a_province_that_no_longer_exists_is_read_in_the_old_units_with_abbreviations() -> None:
    text = "12 Lê Lợi, P. Bến Nghé, Q.1, TP.HCM"
    found = addresses.read_vn(text)
    assert (found.old_province, found.district, found.old_commune) == ("VN-SG", "VN-GSO-2004:760", "VN-GSO-2004:26740")
    assert found.today == "VN-GSO:26740"  # Phường Sài Gòn
    kien_giang = build("area:VN@2023-05-02")("Ấp 3, xã Dương Tơ, huyện Phú Quốc, tỉnh Kiên Giang")
    assert kien_giang["area_at_source"] == {"area": "VN-GSO-2004:31096", "on": "2023-05-02"}
    assert areas.lookup(kien_giang["area"]).parent == "VN-GSO:91"  # An Giang today


def test_the_source_date_decides_between_a_new_and_an_old_commune_of_the_same_name() -> None:
    # Xã Hòa Xuân of old Đắk Lắk (Buôn Ma Thuột) went into VN-GSO:24175; today's Xã Hòa Xuân
    # (VN-GSO:22291) is the old Phú Yên one, Đắk Lắk too since the provinces merged
    text = "thôn 1, xã Hòa Xuân, tỉnh Đắk Lắk"
    assert build("area:VN@2024")(text) == {
        "place": text, "area": "VN-GSO:24175", "area_at_source": {"area": "VN-GSO-2004:24178", "on": "2024"}}
    assert build("area:VN@2025-08")(text) == {"place": text, "area": "VN-GSO:22291"}
    assert build("area:VN")(text) == {"place": text, "area": "VN-GSO:22291"}  # undated: today's units first
    assert addresses.era("2025") is None and addresses.era("2025-06") == "old" and addresses.era("2025-07") == "new"


def test_a_split_commune_keeps_its_old_code_and_today_s_area_is_the_province() -> None:
    table = areas.codelist(areas.COMMUNES_CODELIST)["items"]
    split = next(it for it in table if it.get("split") and len(it["replaced_by"]) > 1)
    district = areas.lookup(split["parent"])
    province = areas.lookup(district.parent)
    text = f"{split['name']}, {district.name}, {province.name}"
    out = build("area:VN@2024-12-31")(text)
    assert out["area_at_source"]["area"] == split["code"]
    assert out["area"] == areas.current(province.code) and len(out["area"]) == len("VN-GSO:NN")


def test_unknown_units_fall_back_to_the_province_and_unknown_places_stay_text() -> None:
    assert build("area:VN")("Thôn 9, xã Không Có, huyện Krông Bông, tỉnh Đắk Lắk")["area"] == "VN-GSO:66"
    assert build("area:VN")("Mỏ Cày") == {"place": "Mỏ Cày"}
    assert build("area_code:VN@2024")(OLD_ADDRESS) == CU_PUI


def test_a_commune_named_alone_resolves_only_when_no_other_commune_bears_the_name() -> None:
    # Xã Thuỵ Lâm (Đông Anh, Hà Nội; the feed places the tone mark elsewhere) is today's Xã Thư Lâm
    assert build("area:VN")("Thụy Lâm") == {"place": "Thụy Lâm", "area": "VN-GSO:00475"}
    assert addresses.read_vn("Thụy Lâm") == addresses.VNAddress(
        "VN-GSO:01", "VN-HN", "VN-GSO-2004:017", "VN-GSO-2004:00460")
    assert build("area:VN")("Hòa Phong") == {"place": "Hòa Phong"}  # several communes
    assert build("area:VN")("Số 8") == {"place": "Số 8"}


@pytest.mark.parametrize("spec", ["area:VN@", "area:VN@2024-13", "area:VN@yesterday", "area:VN@2024-1-5"])
def test_a_malformed_date_is_a_mistake_in_the_mapping(spec: str) -> None:
    with pytest.raises(ValueError, match="expected a date"):
        build(spec)
