"""Standard 1.1 in exports: round trip, JSON-LD terms, CSV columns."""

from __future__ import annotations

from datetime import date

import schemas
from hub.records import jsonld
from hub.records.representation import shown
from hub.records.tabular import Columns
from tests.conftest import product

TODAY = date(2026, 11, 29)
FULL_1_1 = product(
    1,
    evidence=[
        {
            "type": "official-decision",
            "number": "1887/QĐ-UBND",
            "issued_on": "2024-10",
            "issuer": {"vi": "UBND tỉnh Thanh Hóa"},
        }
    ],
    notes={"vi": "Ghi chú"},
    origin={"place": "Phú Quốc", "area_at_source": {"area": "VN-47", "on": "2024"}},
    certifications=[
        {
            "scheme": "VN-OCOP",
            "rating": 3,
            "issued_on": "2024",
            "decision": {"number": "1887/QĐ-UBND", "issued_on": "2024-10"},
        }
    ],
)


def test_an_exported_1_1_record_imports_unchanged() -> None:
    doc = schemas.validate("products", FULL_1_1, TODAY).document
    exported = shown("products", "VN/products/p1", 1, "approved", doc, False, None, "h", [], TODAY)
    assert exported["verification"] == "official" and exported["certifications"][0]["active"] is None
    again = schemas.validate("products", exported, TODAY).document
    assert schemas.content_hash(again) == schemas.content_hash(doc)


def test_json_ld_maps_evidence_to_is_based_on_and_periods_to_temporal_coverage() -> None:
    doc = schemas.validate("products", FULL_1_1, TODAY).document
    node = jsonld.to_jsonld("products", {**schemas.enrich("products", doc, TODAY), "uid": "VN/products/p1"})
    assert node["isBasedOn"][0]["identifier"] == "1887/QĐ-UBND" and node["isBasedOn"][0]["datePublished"] == "2024-10"
    assert node["hasCertification"][0]["certificationIdentification"] == "1887/QĐ-UBND"
    prog = {
        "id": "asean-ovop",
        "country": "XM",
        "uid": "XM/programmes/asean-ovop",
        "name": {"en": "x"},
        "started_on": "2021",
    }
    assert jsonld.to_jsonld("programmes", prog)["temporalCoverage"] == "2021/.."


def test_csv_exports_have_the_new_fields_as_columns() -> None:
    for kind in schemas.KINDS:
        names = set(Columns(kind).names)  # the CSV for people: one column per field and language
        assert {"evidence.type", "evidence.number", "verification", "notes.en", "notes.vi"} <= names
    assert "parties" in Columns("partnerships").names
