"""``producer_type_not_in_force``: a producer type that did not exist at a decision's date."""

from __future__ import annotations

import schemas
from schemas import codelists


def _producer(kind: str, *evidence: dict) -> dict:
    doc = {"id": "htx-hoa-phong", "country": "VN", "name": {"vi": "HTX Nông nghiệp Hòa Phong"}, "type": kind}
    return {**doc, "evidence": list(evidence)} if evidence else doc


def _codes(result: schemas.Result) -> list[tuple[str, str]]:
    return [(w.path, w.code) for w in result.warnings]


def test_the_ocop_subjects_carry_the_date_and_decision_they_exist_from() -> None:
    item = codelists.item("producer-types", "cooperative-group")
    assert (item["valid_from"], item["valid_from_act"]) == ("2018-05-07", "490/QĐ-TTg")
    assert "490/QĐ-TTg" in codelists.codelist("producer-types")["source"]


def test_an_official_decision_before_the_type_existed_is_warned() -> None:
    result = schemas.validate("producers", _producer(
        "cooperative-group",
        {"type": "official-decision", "number": "12/QĐ-UBND", "issued_on": "2017-03"},
        {"type": "official-decision", "number": "1887/QĐ-UBND", "issued_on": "2024-10-15"},
    ))
    assert result.ok and _codes(result) == [("evidence.0.issued_on", "producer_type_not_in_force")]
    assert "2018-05-07 (490/QĐ-TTg)" in result.warnings[0].message


def test_a_decision_in_force_a_partial_date_that_may_fall_after_and_other_evidence_pass() -> None:
    fine = schemas.validate("producers", _producer(
        "household-business",
        {"type": "official-decision", "issued_on": "2018"},  # may be after 7 May 2018: not certain
        {"type": "news-report", "issued_on": "2016-01-02"},  # not a decision on the producer
        {"type": "official-decision"},
    ))
    assert fine.ok and _codes(fine) == []
    undated_type = schemas.validate("producers", _producer(
        "production-establishment", {"type": "official-decision", "issued_on": "2010-01-01"}))
    assert _codes(undated_type) == []


def test_a_type_that_ended_is_warned_for_later_decisions(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    item = {**codelists.item("producer-types", "sme"), "valid_to": "2020-12-31"}
    real = codelists.item
    monkeypatch.setattr(codelists, "item", lambda name, code: item if (name, code) == ("producer-types", "sme")
                        else real(name, code))
    doc = {**_producer("sme", {"type": "official-decision", "issued_on": "2021-02"}), "country": "TH",
           "name": {"th": "วิสาหกิจ"}}
    result = schemas.validate("producers", doc)
    assert _codes(result) == [("evidence.0.issued_on", "producer_type_not_in_force")]
    assert "ended on 2020-12-31" in result.warnings[0].message
