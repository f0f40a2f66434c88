"""The standard's rules, one per test: codes and JSON paths are part of the contract."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

import schemas
from tests.conftest import product

TODAY = date(2026, 11, 29)


def codes(result: schemas.Result) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in result.errors]


def warned(result: schemas.Result) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in result.warnings]


VALID = {
    "programmes": {
        "id": "ocop",
        "country": "VN",
        "name": {"vi": "Chương trình Mỗi xã một sản phẩm"},
        "managing_agency": {"en": "Ministry of Agriculture and Environment"},
        "legal_basis": [{"ref": "919/QĐ-TTg", "date": "2022-08-01"}],
        "rating_schemes": ["VN-OCOP"],
        "category_schemes": ["VN-OCOP-2023"],
    },
    "organisations": {
        "id": "vca",
        "country": "VN",
        "name": {"en": "Viet Nam Cooperative Alliance"},
        "type": "association",
        "services": ["consulting", "training"],
    },
    "partnerships": {
        "id": "p-youth",
        "country": "VN",
        "title": {"en": "Coordination with the Youth Union"},
        "type": "coordination-programme",
        "owner": "mard",
        "partners": ["youth-union"],
        "signed_on": "2019-05-10",
    },
    "producers": {
        "id": "htx-1",
        "country": "VN",
        "name": {"vi": "Hợp tác xã Đồng Tâm"},
        "type": "cooperative",
        "location": {"area": "VN-GSO:01"},
    },
    "products": product(1),
    "indicators": {
        "id": "rev-2567-90",
        "country": "TH",
        "indicator": "sales-revenue",
        "area": "TH-90",
        "period": {"start": "2023-10-01", "end": "2024-09-30", "label": "FY2567"},
        "value": "745209437.00",
        "unit": "currency",
        "currency": "THB",
    },
    "activities": {
        "id": "youth-2024",
        "country": "VN",
        "type": "startup-competition",
        "name": {"vi": "Cuộc thi khởi nghiệp"},
        "starts_on": "2024-06-01",
        "ends_on": "2024-11-30",
    },
}


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_every_kind_has_a_valid_example(kind: str) -> None:
    result = schemas.validate(kind, VALID[kind], TODAY)
    assert result.ok, result.errors


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_envelope_rules_apply_to_every_kind(kind: str) -> None:
    bad = {**VALID[kind], "id": "-bad id", "country": "XX", "source_updated_at": "2025-01-01"}
    assert set(codes(schemas.validate(kind, bad, TODAY))) >= {
        ("id", "pattern"),
        ("country", "country"),
        ("source_updated_at", "datetime_offset"),
    }


def test_language_text_is_trimmed_nfc_and_tags_are_checked() -> None:
    nfd = unicodedata.normalize("NFD", "  Mắc ca Lê Anh ")
    result = schemas.validate("products", product(1, name={"vi": nfd, "EN-gb": "x"}), TODAY)
    assert result.document["name"] == {"vi": "Mắc ca Lê Anh", "en-GB": "x"}
    assert codes(schemas.validate("products", product(1, name={"not a tag!": "x"}), TODAY)) == [
        ("name.not a tag!", "language_tag")
    ]
    assert codes(schemas.validate("products", product(1, name={}), TODAY)) == [("name", "empty")]
    assert codes(schemas.validate("products", product(1, name={"vi": "x" * 301}), TODAY)) == [("name.vi", "length")]


@pytest.mark.parametrize("bad", ["a\x00b", "a\x07b", "a\x7fb", "a\ud800b"])
def test_control_characters_are_refused_in_every_text(bad: str) -> None:
    """NUL cannot be stored by PostgreSQL, and no national record means a bell or a lone surrogate."""
    result = schemas.validate("products", product(1, name={"vi": bad}, description={"en": bad}), TODAY)
    assert sorted(codes(result)) == [("description.en", "control_character"), ("name.vi", "control_character")]
    ok = schemas.validate("products", product(1, description={"en": "line one\nline two\ttabbed\r\n"}), TODAY)
    assert not ok.errors


def test_unknown_and_personal_fields_are_rejected() -> None:
    assert codes(schemas.validate("products", product(1, colour="red"), TODAY)) == [("colour", "unknown_field")]
    result = schemas.validate(
        "producers",
        {**VALID["producers"], "phone": "0912345678", "location": {"area": "VN-GSO:01", "email": "a@b.vn"}},
        TODAY,
    )
    assert sorted(codes(result)) == [("location.email", "personal_data"), ("phone", "personal_data")]


def test_identifiers_with_check_digits_and_codes() -> None:
    assert schemas.validate("products", product(1, gtin="8934567890120", hs_code="0802.62"), TODAY).ok
    assert codes(schemas.validate("products", product(1, gtin="8934567890121"), TODAY)) == [
        ("gtin", "gtin_check_digit")
    ]
    assert codes(schemas.validate("products", product(1, gtin="12345"), TODAY)) == [("gtin", "gtin")]
    assert codes(schemas.validate("products", product(1, hs_code="12345"), TODAY)) == [("hs_code", "hs_code")]
    assert codes(schemas.validate("products", product(1, price={"amount": "1", "currency": "VNX"}), TODAY)) == [
        ("price.currency", "currency")
    ]
    assert codes(schemas.validate("products", product(1, coordinates={"lat": 91, "lon": 0}), TODAY)) == [
        ("coordinates.lat", "range")
    ]


def test_category_native_code_is_kept_and_common_derived_on_read() -> None:
    result = schemas.validate("products", product(1), TODAY)
    assert result.document["category"] == {"scheme": "VN-OCOP-2023", "code": "1.1"}
    shown = schemas.enrich("products", result.document, TODAY)
    assert shown["category"]["common"] in schemas.codelists.category_codes("common")
    assert codes(schemas.validate("products", product(1, category={"scheme": "VN-OCOP-1999", "code": "1"}), TODAY)) == [
        ("category.scheme", "category_scheme")
    ]
    assert codes(
        schemas.validate("products", product(1, category={"scheme": "VN-OCOP-2023", "code": "99"}), TODAY)
    ) == [("category.code", "category_code")]


def test_star_rating_keeps_native_scale_and_derives_band_and_active() -> None:
    result = schemas.validate("products", product(1), TODAY)
    cert = schemas.enrich("products", result.document, TODAY)["certifications"][0]
    assert (cert["rating"], cert["rating_max"], cert["band"], cert["active"]) == (4, 5, 4, True)
    expired = product(1, certifications=[{"scheme": "VN-OCOP", "rating": 3, "issued_on": "2021-01-10"}])
    result = schemas.validate("products", expired, TODAY)
    assert warned(result) == [("certifications.0.expires_on", "certificate_expired")]
    assert schemas.enrich("products", result.document, TODAY)["certifications"][0]["active"] is False


def test_rating_errors_have_json_paths() -> None:
    bad = product(
        1,
        certifications=[
            {"scheme": "VN-OCOP", "rating": 6},
            {"scheme": "VN-OCOP", "rating": 4, "issued_on": "2025-01-01", "expires_on": "2024-01-01"},
            {"scheme": "VN-OCOP", "rating": 4, "rating_max": 10},
        ],
    )
    assert codes(schemas.validate("products", bad, TODAY)) == [
        ("certifications.0.rating", "range"),
        ("certifications.1.expires_on", "date_order"),
        ("certifications.2.rating_max", "rating_scale"),
    ]


def test_trustmark_has_a_mark_and_no_band() -> None:
    ph = product(
        1,
        country="PH",
        category={"scheme": "PH-OTOP", "code": "processed-foods"},
        certifications=[{"scheme": "PH-OTOP", "mark": "otop-ph"}],
        origin={"area": "PH-BOH"},
    )
    result = schemas.validate("products", ph, TODAY)
    assert result.ok, result.errors
    assert schemas.enrich("products", result.document, TODAY)["certifications"][0]["band"] is None
    starred = {**ph, "certifications": [{"scheme": "PH-OTOP", "rating": 4}]}
    assert ("certifications.0.rating", "not_allowed") in codes(schemas.validate("products", starred, TODAY))


def test_hub_fields_are_ignored_on_input() -> None:
    result = schemas.validate(
        "products", product(1, uid="VN/products/p1", version=7, review="approved", content_hash="x", warnings=[]), TODAY
    )
    assert result.ok and "version" not in result.document


def test_areas_codes_superseded_and_free_text() -> None:
    assert codes(schemas.validate("products", product(1, origin={"area": "VN-99"}), TODAY)) == [("origin.area", "area")]
    old = schemas.validate("products", product(1, origin={"area": "VN-27"}), TODAY)
    assert warned(old) == [("origin.area", "area_superseded")]
    placed = schemas.validate("products", product(1, origin={"place": "Quảng Nam"}), TODAY)
    assert placed.document["origin"]["area"].startswith("VN-GSO:")
    unknown = schemas.validate("products", product(1, origin={"place": "Hoằng Kim"}), TODAY)
    assert warned(unknown) == [("origin.place", "area_unresolved")]
    assert unknown.document["origin"] == {"place": "Hoằng Kim"}


def test_indicator_unit_and_currency_rules() -> None:
    base = VALID["indicators"]
    assert codes(schemas.validate("indicators", {**base, "currency": None}, TODAY)) == [("currency", "null")]
    no_currency = {k: v for k, v in base.items() if k != "currency"}
    assert codes(schemas.validate("indicators", no_currency, TODAY)) == [("currency", "required")]
    assert codes(schemas.validate("indicators", {**base, "unit": "count"}, TODAY)) == [("unit", "unit")]


def test_references_are_made_full() -> None:
    doc = schemas.validate("products", product(1, producer="htx-1", programme="TH/programmes/otop"), TODAY).document
    assert sorted(schemas.references("products", doc)) == [
        ("producer", "VN/producers/htx-1"),
        ("programme", "TH/programmes/otop"),
    ]


def test_canonical_hash_ignores_key_order() -> None:
    a = {"b": 1, "a": {"y": 2, "x": 1}}
    b = {"a": {"x": 1, "y": 2}, "b": 1}
    assert schemas.content_hash(a) == schemas.content_hash(b)


def test_personal_data_does_not_hide_the_records_other_errors() -> None:
    result = schemas.validate(
        "products", product(1, phone="0909 000 000", gtin="12", origin={"area": "VN-GSO:01", "email": "a@b.example"})
    )
    assert {(f.path, f.code) for f in result.errors} == {
        ("phone", "personal_data"),
        ("origin.email", "personal_data"),
        ("gtin", "gtin"),
    }
