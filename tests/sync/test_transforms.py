"""Every transform a mapping can name, on good and bad values."""

from __future__ import annotations

import unicodedata

import pytest

from hub.sync.transforms import REGISTRY, TransformError, build, is_empty

NFD_QUANG_NAM = unicodedata.normalize("NFD", "Quảng Nam")


def run(spec: str, value: object) -> object:
    return build(spec)(value)


@pytest.mark.parametrize("spec", sorted(REGISTRY))
def test_empty_values_pass_through_every_transform(spec: str) -> None:
    arg = {"split": "split:;", "truncate": "truncate:10", "empty_if": "empty_if:-", "date": "date:%d/%m/%Y",
           "date_be": "date_be:%d/%m/%Y", "area": "area:VN", "area_code": "area_code:VN", "month": "month:th",
           "month_start": "month_start:vi",
           "month_end": "month_end:id", "scale": "scale:1000"}.get(spec, spec)
    for empty in ("", None, []):
        assert run(arg, empty) == empty


def test_text_transforms() -> None:
    assert NFD_QUANG_NAM != "Quảng Nam"
    assert run("nfc", NFD_QUANG_NAM) == "Quảng Nam"
    assert run("trim", "  a b  ") == "a b"
    assert run("collapse", " Thanh  Khê\tTây \n") == "Thanh Khê Tây"
    assert run("lower", "GẠO") == "gạo"
    assert run("upper", "vnd") == "VND"
    assert run("unescape", "&quot;Mỹ Sơn&quot; &amp; co") == '"Mỹ Sơn" & co'
    assert run("empty_if:-", " - ") == ""
    assert run("empty_if:-", "x") == "x"


def test_split_then_text_transforms_apply_per_element() -> None:
    assert run("split", "a, b,,c ") == ["a", "b", "c"]
    assert run("split:;", "x;y") == ["x", "y"]
    parts = build("split:|")(f"{NFD_QUANG_NAM}| Huế ")
    assert build("nfc")(parts) == ["Quảng Nam", "Huế"]
    assert run("upper", ["a", "b"]) == ["A", "B"]


def test_truncate_cuts_at_a_word_boundary() -> None:
    assert run("truncate:20", "short") == "short"
    out = run("truncate:20", "một hai ba bốn năm sáu bảy tám")
    assert len(out) <= 20 and out.endswith("…") and out == "một hai ba bốn năm…"
    hard = run("truncate:10", "x" * 50)
    assert hard == "x" * 9 + "…"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("745,209,437.00", "745209437"),
        ("0", "0"),
        ("220000", "220000"),
        ("1,234.50", "1234.5"),
        ("-12.5", "-12.5"),
        ("1 234 567", "1234567"),
        ("  42 ", "42"),
    ],
)
def test_number_with_thousands_separators(text: str, expected: str) -> None:
    assert run("number", text) == expected


def test_number_with_a_decimal_comma() -> None:
    assert run("number:,", "1.234.567,5") == "1234567.5"
    assert run("number:,", "12,75") == "12.75"


@pytest.mark.parametrize("text", ["12,34,5", "1,2345", "abc", "1.2.3", "12 bath", "1,234,56"])
def test_number_refuses_what_is_not_a_number(text: str) -> None:
    with pytest.raises(TransformError, match="not a number"):
        run("number", text)


def test_int() -> None:
    assert run("int", "3.0") == 3
    assert run("int", "4") == 4
    assert run("int", 5) == 5
    for bad in ("3.5", "three", "nan"):
        with pytest.raises(TransformError, match="whole number"):
            run("int", bad)


def test_buddhist_era_year() -> None:
    assert run("be_year", "2567") == 2024
    assert run("be_year", " 2563 ") == 2020
    with pytest.raises(TransformError, match="Buddhist-era"):
        run("be_year", "2024")
    with pytest.raises(TransformError, match="not a"):
        run("be_year", "year")


def test_thai_fiscal_years() -> None:
    # FY 2567 (BE) = FY 2024 = 1 October 2023 to 30 September 2024.
    assert run("th_fiscal_year_start", "2567") == "2023-10-01"
    assert run("th_fiscal_year_end", "2567") == "2024-09-30"
    assert run("th_fiscal_year_start", "2024") == "2023-10-01"
    assert run("th_fiscal_year_end", 2563) == "2020-09-30"
    with pytest.raises(TransformError, match="fiscal year"):
        run("th_fiscal_year_start", "567")


def test_dates() -> None:
    assert run("date:%d/%m/%Y", "05/03/2024") == "2024-03-05"
    assert run("date:%Y%m%d", "20240305") == "2024-03-05"
    assert run("date_be:%d/%m/%Y", "29/02/2567") == "2024-02-29"  # a leap day in 2024, not in 2567
    with pytest.raises(TransformError, match="date format"):
        run("date:%d/%m/%Y", "2024-03-05")


def test_area_resolves_free_text_and_keeps_it() -> None:
    assert run("area:VN", NFD_QUANG_NAM) == {"place": "Quảng Nam", "area": "VN-GSO:48"}
    assert run("area:VN", "Tỉnh  Quảng Nam") == {"place": "Tỉnh Quảng Nam", "area": "VN-GSO:48"}
    assert run("area:VN", "Mỏ Cày") == {"place": "Mỏ Cày"}
    assert run("area:TH", "สงขลา") == {"place": "สงขลา", "area": "TH-90"}


@pytest.mark.parametrize(
    "spec,message",
    [
        ("nope", "unknown transform 'nope'"),
        ("trim:x", "takes no argument"),
        ("truncate", "needs an argument"),
        ("truncate:abc", "number of characters"),
        ("number:;", "decimal mark"),
        ("area:Vietnam", "two-letter"),
        ("", "a transform is a name"),
    ],
)
def test_mistakes_in_a_transform_name_are_config_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(spec)


def test_is_empty() -> None:
    assert is_empty("  ") and is_empty(None) and is_empty([]) and is_empty({})
    assert not is_empty("0") and not is_empty(0)


def test_area_code_gives_the_code_alone_and_refuses_what_does_not_resolve() -> None:
    assert run("area_code:VN", "tỉnh Đắk Lắk") == "VN-GSO:66"
    assert run("area_code:TH", "จังหวัดสงขลา") == "TH-90"
    with pytest.raises(TransformError, match="'Mỏ Cày' is not an area of VN"):
        run("area_code:VN", "Mỏ Cày")


def test_slug_transliterates_any_script_into_a_stable_ascii_id() -> None:
    assert run("slug", "Cà phê rang xay Hòa Phong") == "ca-phe-rang-xay-hoa-phong"
    assert run("slug", unicodedata.normalize("NFD", "Đắk Lắk")) == "dak-lak"
    assert run("slug", "ข้าวหอมมะลิ") == "khawhommali"
    assert run("slug", "ໄຂ່ມົດແດງ") and run("slug", "ໄຂ່ມົດແດງ").isascii()
    assert run("slug", "x" * 300) == "x" * 128


def test_hash_is_stable_across_spacing_case_and_unicode_form() -> None:
    one = run("hash", "HTX  Hòa Phong | Cà phê")
    assert one == run("hash", unicodedata.normalize("NFD", "htx hòa phong | cà phê")) and len(one) == 12
    assert run("hash:8", "a") != run("hash:8", "b") and len(run("hash:8", "a")) == 8
    with pytest.raises(ValueError, match="from 6 to 64"):
        build("hash:3")


@pytest.mark.parametrize("spec,text,expected", [
    ("month:th", "ต.ค. 66", "2023-10"), ("month:th", "ตุลาคม 2566", "2023-10"), ("month:th", "มี.ค. ๖๗", "2024-03"),
    ("month:th", "เดือนพฤศจิกายน พ.ศ. 2566", "2023-11"), ("month:vi", "Tháng 10/2024", "2024-10"),
    ("month:vi", "tháng 2 năm 2024", "2024-02"), ("month:vi", "T12/2023", "2023-12"),
    ("month:id", "Okt 2024", "2024-10"),
    ("month:id", "Maret 2024", "2024-03"), ("month:id", "Agustus 2024", "2024-08"), ("month:lo", "ຕຸລາ 2024", "2024-10"),
    ("month:km", "តុលា ២០២៤", "2024-10"), ("month:fil", "Oktubre 2024", "2024-10"), ("month:en", "Sept 2024", "2024-09"),
    ("month:en", "10/2024", "2024-10"), ("month_start:th", "ตุลาคม 2566", "2023-10-01"),
    ("month_end:vi", "Tháng 2/2024", "2024-02-29"), ("th_fiscal_month_start", "ต.ค. 2567", "2023-10-01"),
    ("th_fiscal_month_end", "ก.ย. 2567", "2024-09-30"), ("th_fiscal_month_start", "ม.ค. 2567", "2024-01-01"),
    ("year", "พ.ศ. 2567", "2024"), ("year", "2024", "2024"),
])
def test_month_names_and_calendars_of_the_members(spec: str, text: str, expected: str) -> None:
    assert run(spec, text) == expected


@pytest.mark.parametrize("spec,text", [("month:th", "รวม"), ("month:th", "ต.ค."), ("month:vi", "Tháng 13/2024"),
                                       ("month:id", "Okt 2023 - Nov 2024"), ("year", "67")])
def test_what_is_not_a_month_and_year_is_an_error(spec: str, text: str) -> None:
    with pytest.raises(TransformError):
        run(spec, text)


@pytest.mark.parametrize("spec,text,expected", [
    ("amount:,", "12,5 triệu đồng", "12500000"), ("amount:,", "1.234.567,5 đ", "1234567.5"),
    ("amount", "1.5 ล้านบาท", "1500000"), ("amount", "฿ 2,500", "2500"), ("amount:,", "Rp 2 juta", "2000000"),
    ("amount", "3 tỷ", "3000000000"), ("amount", "1,234,567.5", "1234567.5"), ("amount", "๑๒ ล้าน", "12000000"),
])
def test_amounts_in_national_formats_with_multipliers(spec: str, text: str, expected: str) -> None:
    assert run(spec, text) == expected


def test_an_amount_with_a_word_it_does_not_know_is_an_error_and_scale_multiplies() -> None:
    with pytest.raises(TransformError, match="'kg' is not a multiplier"):
        run("amount", "12 kg")
    assert build("scale:1000000")("2.5") == "2500000"
    with pytest.raises(ValueError, match="expected a number"):
        build("scale:x")


def test_a_scaled_cell_beyond_the_standard_s_numbers_is_an_error_not_a_billion_digits() -> None:
    with pytest.raises(TransformError, match="beyond the numbers the standard holds"):
        build("scale:1000")("1e999999999")  # beyond the decimal context: Overflow
    with pytest.raises(TransformError, match="beyond the numbers the standard holds"):
        build("scale:1000")("1e500000")  # within it, but half a million digits
    assert build("scale:1000")("1e300") == "1" + "0" * 303


def test_an_address_is_read_from_its_end_and_old_provinces_give_todays() -> None:
    # the old commune Hòa Phong (district Krông Bông) is today's Xã Cư Pui: tests/sync/test_vn_addresses.py
    assert run("area:VN", "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk") == {
        "place": "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk", "area": "VN-GSO:24478"}
    assert run("area:VN", "Thôn 4, tỉnh Đắk Lắk") == {"place": "Thôn 4, tỉnh Đắk Lắk", "area": "VN-GSO:66"}
    # Bình Phước joined Đồng Nai on 1 July 2025: the old text stays, the code is today's
    assert run("area:VN", "ấp 2, huyện Đồng Phú, tỉnh Bình Phước")["area"] == "VN-GSO:75"
    assert run("area_code:TH", "ต.ในเมือง อ.เมือง จ.หนองบัวลำภู, หนองบัวลำภู") == "TH-39"
