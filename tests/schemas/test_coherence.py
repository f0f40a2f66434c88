"""Coherence warnings (standard 1.1): facts that validate but cannot all be true."""

from __future__ import annotations

from datetime import date

import pytest

import schemas
from tests.conftest import product

TODAY = date(2026, 11, 29)


def warned(doc: dict) -> list[tuple[str, str]]:
    result = schemas.validate("products", doc, TODAY)
    assert result.ok, result.errors
    return [(w.path, w.code) for w in result.warnings]


@pytest.mark.parametrize(
    ("lat", "lon", "implausible"),
    [
        (21.0285, 105.8542, False),  # Ha Noi
        (105.8542, 21.0285, False),  # swapped: latitude 105 is out of range, an error before any warning
        (13.7563, 100.5018, True),  # Bangkok, on a Vietnamese record
        (21.0, 105.0, True),  # whole degrees: truncated
    ],
)
def test_coordinates_outside_the_country_or_truncated_are_implausible(
    lat: float, lon: float, implausible: bool
) -> None:
    doc = product(1, coordinates={"lat": lat, "lon": lon})
    if lat > 90:
        assert not schemas.validate("products", doc, TODAY).ok
        return
    assert (("coordinates", "coordinates_implausible") in warned(doc)) is implausible


def test_a_category_of_the_2019_scheme_on_a_certificate_decided_after_2023_is_superseded() -> None:
    old_cat = {"scheme": "VN-OCOP-2019", "code": "1.1"}
    late = product(1, category=old_cat, certifications=[{"scheme": "VN-OCOP", "rating": 4, "issued_on": "2024-05-02"}])
    assert ("category.scheme", "scheme_superseded") in warned(late)
    message = [w.message for w in schemas.validate("products", late, TODAY).warnings if w.code == "scheme_superseded"]
    assert "VN-OCOP-2023" in message[0]
    early = product(
        1,
        category=old_cat,
        certifications=[{"scheme": "VN-OCOP", "rating": 4, "issued_on": "2021-05-02", "expires_on": "2024-05-02"}],
    )
    assert ("category.scheme", "scheme_superseded") not in warned(early)
    unsure = product(1, category=old_cat, certifications=[{"scheme": "VN-OCOP", "rating": 4, "issued_on": "2023"}])
    assert ("category.scheme", "scheme_superseded") not in warned(unsure)
