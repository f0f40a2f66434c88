"""Patterns match the whole value (issue 11, item 9): "$" also matched before a final newline."""

from __future__ import annotations

from datetime import date

import schemas
from schemas import areas
from schemas.fields import ID_RE, REF_RE
from tests.conftest import product

TODAY = date(2026, 11, 29)


def codes(kind: str, record: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(f.path, f.code) for f in schemas.validate(kind, record, TODAY).errors]


def test_an_id_with_a_trailing_newline_is_refused() -> None:
    assert codes("products", product("nl-test\n")) == [("id", "pattern")]
    assert codes("products", product("nl-test")) == []
    assert ID_RE.match("nl-test\n") is None


def test_a_reference_pattern_does_not_end_before_a_newline() -> None:
    assert REF_RE.match("VN/products/p1\n") is None
    assert REF_RE.match("VN/products/p1") is not None


def test_an_area_code_must_be_written_exactly() -> None:
    for code in ("VN-GSO:01\n", " VN-GSO:01", "vn-gso:01", "TH-90\n"):
        assert codes("products", product(1, origin={"area": code})) == [("origin.area", "area")], code
    indicator = {
        "id": "i1",
        "country": "TH",
        "indicator": "sales-revenue",
        "area": "TH-90\n",
        "period": {"start": "2023-10-01", "end": "2024-09-30"},
        "value": "1",
        "unit": "currency",
        "currency": "THB",
    }
    assert codes("indicators", indicator) == [("area", "area")]
    assert codes("indicators", {**indicator, "area": "TH-90"}) == []


def test_area_lookup_patterns_take_ascii_digits_only() -> None:
    assert areas.lookup("VN-GSO:0١") is None  # an Arabic-Indic digit: \\d would have taken it
    assert areas.lookup("VN-GSO:01").code == "VN-GSO:01"
