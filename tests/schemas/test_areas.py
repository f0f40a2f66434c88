"""Areas: ISO and national codes, Viet Nam's 63 -> 34 provinces, free-text places."""

from __future__ import annotations

import unicodedata

import pytest

from schemas import areas
from schemas.codelists import codelist
from schemas.text import fold


def test_lookup_new_vn_province() -> None:
    a = areas.lookup("VN-GSO:01")
    assert a is not None and a.country == "VN" and fold(a.name).endswith("ha noi")
    assert a.scheme == areas.VN_GSO_2025 and a.valid_from == "2025-07-01" and a.valid_to is None


def test_lookup_iso() -> None:
    a = areas.lookup("TH-90")
    assert a is not None and (a.country, a.name, a.scheme) == ("TH", "Songkhla", "ISO-3166-2")
    assert a.valid_to is None and a.replaced_by == ()
    assert areas.lookup("TH").scheme == areas.ISO_3166_1


def test_lookup_old_vn_province_has_successor() -> None:
    a = areas.lookup("VN-27")
    assert a is not None and a.name == "Quảng Nam"
    assert a.valid_to == "2025-06-30" and a.replaced_by == ("VN-GSO:48",)
    assert areas.successor("VN-27") == "VN-GSO:48"


@pytest.mark.parametrize("code", ["XX-99", "XX", "VN-GSO:99", "VN-GSO:1", "", "TH-9999", "nonsense"])
def test_lookup_unknown(code: str) -> None:
    assert areas.lookup(code) is None


def test_find_accent_and_unicode_form_insensitive() -> None:
    nfc = areas.find("VN", "Quảng Nam")
    assert nfc == "VN-GSO:48"
    assert areas.find("VN", unicodedata.normalize("NFD", "Quảng Nam")) == nfc
    assert areas.find("VN", "quang nam") == nfc
    assert areas.find("VN", "Tỉnh Quảng Nam") == nfc


@pytest.mark.parametrize(
    "text, code",
    [
        ("TP. Hồ Chí Minh", "VN-GSO:79"),
        ("TP.HCM", "VN-GSO:79"),
        ("Bình Dương", "VN-GSO:79"),
        ("Bà Rịa Vũng Tàu", "VN-GSO:79"),
        ("Thành phố Hà Nội", "VN-GSO:01"),
        ("Hà Giang", "VN-GSO:08"),
        ("Thừa Thiên Huế", "VN-GSO:46"),
        ("Thanh Hoá", "VN-GSO:38"),
        ("Đắk Lăk", "VN-GSO:66"),
        ("Long An", "VN-GSO:80"),
        ("Kiên Giang", "VN-GSO:91"),
        ("VN-27", "VN-GSO:48"),
        ("VN-GSO:48", "VN-GSO:48"),
    ],
)
def test_find_vn_prefers_new_codes(text: str, code: str) -> None:
    assert areas.find("VN", text) == code


@pytest.mark.parametrize("text", ["Hoằng Kim", "Mỏ Cày", "Sa Pa", "Số 8", "", "   "])
def test_find_vn_communes_unresolved(text: str) -> None:
    assert areas.find("VN", text) is None


@pytest.mark.parametrize("text", ["สงขลา", "จังหวัดสงขลา", "จ.สงขลา", "Songkhla", "Songkhla Province", "TH-90"])
def test_find_thai(text: str) -> None:
    assert areas.find("TH", text) == "TH-90"


def test_find_other_countries() -> None:
    assert areas.find("TH", "Bangkok") == "TH-10"
    assert areas.find("TH", "หาดใหญ่") is None  # a district
    assert areas.find("LA", "Vientiane Capital") == "LA-VT"
    assert areas.find("ID", "Maluku") == "ID-MA"  # the province, not the island group
    assert areas.find("TH", "Quảng Nam") is None


def test_merger_is_complete() -> None:
    """Each of pycountry's 63 VN units maps to exactly one of the 34 new codes, all reached."""
    import pycountry
    from vietnam_provinces import Province

    old = {s.code for s in pycountry.subdivisions.get(country_code="VN")}
    new = {f"VN-GSO:{int(p.code.value):02d}" for p in Province.iter_all()}
    assert len(old) == 63 and len(new) == 34
    items = codelist("areas-VN-2025-merger")["items"]
    assert {i["code"] for i in items} == old and len(items) == 63
    assert {i["successor"] for i in items} == new
    for code in old:
        assert areas.successor(code) in new
        assert areas.lookup(code).replaced_by == (areas.successor(code),)


def test_merger_names_agree_with_pycountry() -> None:
    import pycountry

    for it in codelist("areas-VN-2025-merger")["items"]:
        pc = pycountry.subdivisions.get(code=it["code"]).name
        spellings = {fold(n).replace("-", " ") for n in (it["name"], *it.get("aliases", ()))}
        assert fold(pc).replace("-", " ") in spellings, (it["code"], pc)


def test_merger_successor_codes_are_old_codes_of_a_member() -> None:
    """Each new province kept the old statistics code of one of the provinces merged into it."""
    members: dict[str, set[str]] = {}
    for it in codelist("areas-VN-2025-merger")["items"]:
        members.setdefault(it["successor"], set()).add(it["gso_code"])
    for new, olds in members.items():
        assert new.removeprefix("VN-GSO:") in olds, new
    assert sum(1 for olds in members.values() if len(olds) == 1) == 11  # unchanged provinces


def test_new_names_resolve_to_themselves() -> None:
    from vietnam_provinces import Province

    for p in Province.iter_all():
        code = f"VN-GSO:{int(p.code.value):02d}"
        assert areas.find("VN", p.name) == code
        assert areas.successor(p.name) == code


def test_area_codelist() -> None:
    doc = areas.area_codelist("VN")
    assert doc["name"] == "areas" and doc["version"] and doc["source"]
    codes = [i["code"] for i in doc["items"]]
    assert len(codes) == len(set(codes)) == 1 + 63 + 34
    item = next(i for i in doc["items"] if i["code"] == "VN-27")
    assert set(item) >= {"code", "country", "name", "scheme", "valid_from", "valid_to", "replaced_by"}
    assert item["replaced_by"] == ["VN-GSO:48"]
    everything = areas.area_codelist()
    assert {i["country"] for i in everything["items"]} == set(areas.ASEAN)


def test_accented_input_must_match_its_accents_but_not_tone_placement() -> None:
    # "Thạnh Hoá" is a district of Long An; folding accents away would make it Thanh Hóa province.
    assert areas.find("VN", "Thạnh Hoá") is None
    assert areas.find("VN", "Thanh Hoá") == areas.find("VN", "Thanh Hóa") == areas.find("VN", "Thanh Hoa")
    assert areas.find("VN", "Thanh Hóa") is not None
