"""Provenance (standard 1.1): evidence, verification, notes, a certification's decision."""

from __future__ import annotations

from datetime import date

import pytest

import schemas
from tests.conftest import product

TODAY = date(2026, 11, 29)
DECREE = {
    "type": "official-decision",
    "number": "1887/QĐ-UBND",
    "issued_on": "2024-10",
    "issuer": {"vi": "UBND tỉnh Thanh Hóa"},
    "title": {"vi": "Quyết định công nhận sản phẩm OCOP"},
}
NEWS = {"type": "news-report", "url": "https://example.org/news/ocop", "retrieved_on": "2026-11-01"}

ORG = {"id": "vca", "country": "VN", "name": {"en": "VCA"}, "type": "association"}
KIND_EXAMPLES = {"organisations": ORG, "products": product(1)}


@pytest.mark.parametrize("kind", list(KIND_EXAMPLES))
def test_every_kind_takes_evidence_and_notes(kind: str) -> None:
    doc = {**KIND_EXAMPLES[kind], "evidence": [DECREE, NEWS], "notes": {"vi": "Địa chỉ trước sáp nhập"}}
    result = schemas.validate(kind, doc, TODAY)
    assert result.ok, result.errors
    assert result.document["evidence"][0]["issuer"] == {"vi": "UBND tỉnh Thanh Hóa"}
    assert result.document["notes"] == {"vi": "Địa chỉ trước sáp nhập"}


def test_evidence_is_checked_per_item() -> None:
    bad = product(1, evidence=[{"type": "rumour"}, {"type": "other", "issuer": 3, "url": "ftp://x"}])
    assert sorted((f.path, f.code) for f in schemas.validate("products", bad, TODAY).errors) == [
        ("evidence.0.type", "code"),
        ("evidence.1.issuer", "type"),
        ("evidence.1.url", "type"),
    ]
    assert [f.code for f in schemas.validate("products", product(1, evidence=[]), TODAY).errors] == ["length"]


@pytest.mark.parametrize(
    ("evidence", "derived"),
    [
        ([], "unverified"),
        ([NEWS], "reported"),
        ([NEWS, DECREE], "official"),
        ([{"type": "producer-declaration"}], "self_declared"),
        ([{"type": "other"}], "unverified"),
    ],
)
def test_verification_is_derived_from_the_evidence_when_not_given(evidence: list, derived: str) -> None:
    doc = product(1, **({"evidence": evidence} if evidence else {}))
    result = schemas.validate("products", doc, TODAY)
    assert "verification" not in result.document
    assert schemas.enrich("products", result.document, TODAY)["verification"] == derived


def test_a_stated_verification_is_kept_and_the_derived_one_round_trips_unchanged() -> None:
    stated = schemas.validate("products", product(1, evidence=[NEWS], verification="official"), TODAY)
    assert schemas.enrich("products", stated.document, TODAY)["verification"] == "official"
    plain = schemas.validate("products", product(1, evidence=[NEWS]), TODAY).document
    shown = schemas.enrich("products", plain, TODAY)
    again = schemas.validate("products", shown, TODAY).document
    assert schemas.content_hash(again) == schemas.content_hash(plain)


def test_a_decision_is_a_number_or_an_object() -> None:
    obj = {
        "number": "1887/QĐ-UBND",
        "issued_on": "2024-10-15",
        "issuer": "VN/organisations/ubnd-th",
        "url": "https://example.org/qd-1887",
    }
    ok = schemas.validate(
        "products",
        product(1, certifications=[{"scheme": "VN-OCOP", "rating": 3, "decision": obj, "issued_on": "2024-10-15"}]),
        TODAY,
    )
    assert ok.ok and ok.document["certifications"][0]["decision"] == obj
    bad = schemas.validate(
        "products",
        product(1, certifications=[{"scheme": "VN-OCOP", "rating": 3, "decision": {"number": "", "extra": 1}}]),
        TODAY,
    )
    assert sorted((f.path, f.code) for f in bad.errors) == [
        ("certifications.0.decision.extra", "unknown_field"),
        ("certifications.0.decision.number", "empty"),
    ]


@pytest.mark.parametrize(
    ("when", "ok"),
    [("2024-10-15", True), ("2025-06", True), ("2025", False), ("2025-07-01", False), ("2026-01-10", False)],
)
def test_the_district_level_is_valid_only_for_decisions_before_july_2025(when: str, ok: bool) -> None:
    cert = {
        "scheme": "VN-OCOP",
        "rating": 3,
        "level": "district",
        "decision": {"number": "12/QĐ-UBND", "issued_on": when},
    }
    result = schemas.validate("products", product(1, certifications=[cert]), TODAY)
    assert result.ok is ok
    if not ok:
        assert [(f.path, f.code) for f in result.errors] == [("certifications.0.level", "level_not_in_force")]
    by_issue = schemas.validate(
        "products",
        product(1, certifications=[{"scheme": "VN-OCOP", "rating": 3, "level": "district", "issued_on": when}]),
        TODAY,
    )
    assert by_issue.ok is ok
