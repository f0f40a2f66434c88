"""Dates of partial precision (standard 1.1): kept as given, compared by their interval."""

from __future__ import annotations

from datetime import date

import pytest

import schemas
from schemas import dates
from tests.conftest import product

TODAY = date(2026, 11, 29)


def cert(**over: object) -> dict[str, object]:
    return {"scheme": "VN-OCOP", "rating": 4, **over}


@pytest.mark.parametrize("given", ["2024", "2024-10", "2024-10-15"])
def test_a_year_a_month_or_a_day_is_a_date_kept_as_given(given: str) -> None:
    result = schemas.validate(
        "activities",
        {"id": "a", "country": "VN", "type": "trade-fair", "name": {"vi": "Hội chợ"}, "starts_on": given},
        TODAY,
    )
    assert result.ok and result.document["starts_on"] == given


@pytest.mark.parametrize("bad", ["2024-13", "2024-1", "24", "0000", "2024-10-32", "2024/10", " 2024"])
def test_malformed_partial_dates_are_refused(bad: str) -> None:
    result = schemas.validate("products", product(1, certifications=[cert(issued_on=bad)]), TODAY)
    assert [(f.path, f.code) for f in result.errors] == [("certifications.0.issued_on", "date")]


def test_dates_are_ordered_by_interval() -> None:
    assert dates.interval("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert sorted(["2024", "2023-12-31", "2024-06", "2024-01-01"], key=dates.sort_key) == [
        "2023-12-31",
        "2024-01-01",
        "2024",
        "2024-06",
    ]
    assert not dates.certainly_before("2024", "2024-06-01")
    assert dates.certainly_before("2023", "2024-01")


def test_an_order_error_needs_dates_certainly_in_the_wrong_order() -> None:
    same_year = product(1, certifications=[cert(issued_on="2024-06-01", expires_on="2024")])
    assert schemas.validate("products", same_year, TODAY).ok
    wrong = product(1, certifications=[cert(issued_on="2024-06", expires_on="2023")])
    assert [f.code for f in schemas.validate("products", wrong, TODAY).errors] == ["date_order"]
    act = {
        "id": "a",
        "country": "VN",
        "type": "trade-fair",
        "name": {"vi": "x"},
        "starts_on": "2024-10",
        "ends_on": "2024",
    }
    assert schemas.validate("activities", act, TODAY).ok
    assert not schemas.validate("activities", {**act, "ends_on": "2024-09"}, TODAY).ok


def test_validity_that_cannot_be_computed_is_null_with_a_warning_never_true() -> None:
    doc = product(1, certifications=[cert(issued_on="2024")])
    result = schemas.validate("products", doc, TODAY)
    assert [(f.path, f.code) for f in result.warnings] == [("certifications.0", "validity_unknown")]
    shown = schemas.enrich("products", result.document, TODAY)
    assert shown["certifications"][0]["active"] is None and shown["certifications"][0]["band"] == 4
    assert schemas.best_band(result.document, TODAY) is None
    undated = schemas.validate("products", product(1, certifications=[cert()]), TODAY)
    assert schemas.enrich("products", undated.document, TODAY)["certifications"][0]["active"] is None


def test_a_partial_expiry_is_active_until_its_interval_and_expired_after() -> None:
    doc = product(1, certifications=[cert(issued_on="2023-05-02", expires_on="2026")])
    assert schemas.enrich("products", doc, date(2025, 12, 31))["certifications"][0]["active"] is True
    assert schemas.enrich("products", doc, TODAY)["certifications"][0]["active"] is None
    later = date(2027, 1, 1)
    assert schemas.enrich("products", doc, later)["certifications"][0]["active"] is False
    assert "certificate_expired" in [f.code for f in schemas.validate("products", doc, later).warnings]
    assert "certificate_expired" not in [f.code for f in schemas.validate("products", doc, TODAY).warnings]


def test_a_scheme_without_a_validity_period_is_active_from_a_partial_issue_date() -> None:
    doc = product(
        1,
        certifications=[{"scheme": "TH-OTOP", "rating": 4, "issued_on": "2024"}],
        category={"scheme": "TH-OTOP", "code": "food"},
        country="TH",
        origin={"area": "TH-90"},
        price={"amount": "1", "currency": "THB"},
    )
    result = schemas.validate("products", doc, TODAY)
    assert not [f for f in result.warnings if f.code == "validity_unknown"], result
    assert schemas.enrich("products", doc, TODAY)["certifications"][0]["active"] is True
    assert schemas.enrich("products", doc, date(2024, 6, 1))["certifications"][0]["active"] is None
