"""Every string of the standard refuses control characters and lone surrogates, per record.

Before, plain string fields (``short_name``, ``category_schemes``, ``breakdown``, a
certification's ``level`` in a scheme without levels, the path of a URL) let them
through, and hashing the document then failed: a 500 on the write path, and NUL cannot
be stored by PostgreSQL at all.
"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

import schemas
from tests.conftest import product

FULL: dict[str, dict[str, Any]] = {
    "programmes": {
        "id": "ocop",
        "country": "VN",
        "name": {"vi": "OCOP"},
        "short_name": "OCOP",
        "description": {"en": "d"},
        "managing_agency": {"en": "MAE"},
        "managing_organisation": "mae",
        "legal_basis": [
            {"ref": "919/QĐ-TTg", "title": {"vi": "t"}, "date": "2022-08-01", "url": "https://example.org/919"}
        ],
        "phases": [{"starts_on": "2021-01-01", "ends_on": "2025-12-31", "legal_basis": "919/QĐ-TTg"}],
        "rating_schemes": ["VN-OCOP"],
        "category_schemes": ["VN-OCOP-2023"],
        "started_on": "2018-05-07",
        "website": "https://ocop.gov.vn/a",
    },
    "organisations": {
        "id": "vca",
        "country": "VN",
        "name": {"en": "VCA"},
        "short_name": "VCA",
        "type": "association",
        "services": ["consulting"],
        "location": {"place": "Hà Nội"},
        "parent": "x",
        "programmes": ["ocop"],
        "website": "https://vca.org.vn/a",
    },
    "products": product(
        1,
        certifications=[
            {"scheme": "TH-OTOP", "rating": 4, "level": "x", "url": "https://example.org/c", "decision": "1/QĐ"}
        ],
        type="product",
        package="box",
        gtin="4006381333931",
    ),
    "indicators": {
        "id": "rev",
        "country": "TH",
        "indicator": "sales-revenue",
        "area": "TH-90",
        "period": {"start": "2023-10-01", "end": "2024-09-30", "label": "FY2567"},
        "value": "1",
        "unit": "currency",
        "currency": "THB",
        "breakdown": {"sex": "women"},
    },
}


def strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """``(path, is_key)`` of every string in ``value``, dictionary keys included."""
    if isinstance(value, dict):
        for k, v in value.items():
            if path and path[0] == "breakdown":
                yield path + (k,), True
            yield from strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings(v, path + (i,))
    elif isinstance(value, str):
        yield path, False


def spoilt(doc: Any, path: tuple[Any, ...], key: bool, bad: str) -> Any:
    if not path:
        return doc + bad
    head, rest = path[0], path[1:]
    if isinstance(doc, list):
        return [spoilt(v, rest, key, bad) if i == head else v for i, v in enumerate(doc)]
    if key and not rest:
        return {(k + bad if k == head else k): v for k, v in doc.items()}
    return {k: spoilt(v, rest, key, bad) if k == head else v for k, v in doc.items()}


CASES = [
    (kind, path, key) for kind, doc in FULL.items() for path, key in strings(doc) if path not in (("id",), ("country",))
]


@pytest.mark.parametrize("bad", ["\x00", "\ud800"])
@pytest.mark.parametrize(
    ("kind", "path", "key"), CASES, ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else str(v)
)
def test_a_control_character_in_any_string_is_an_error_of_that_record_never_a_crash(
    kind: str, path: tuple[Any, ...], key: bool, bad: str
) -> None:
    assert schemas.validate(kind, FULL[kind]).ok
    result = schemas.validate(kind, spoilt(FULL[kind], path, key, "a" + bad + "b"))
    assert not result.ok, path
    assert result.errors


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        ("programmes", "short_name"),
        ("programmes", "category_schemes.0"),
        ("organisations", "short_name"),
        ("indicators", "breakdown.sex.value"),
        ("products", "certifications.0.level"),
        ("products", "certifications.0.url"),
        ("programmes", "legal_basis.0.url"),
    ],
)
def test_plain_string_fields_say_control_character(kind: str, path: str) -> None:
    parts = tuple(int(p) if p.isdigit() else p for p in path.split(".") if p != "value")
    result = schemas.validate(kind, spoilt(FULL[kind], parts, False, "\x00"))
    assert [f.code for f in result.errors] == ["control_character"], result.errors
