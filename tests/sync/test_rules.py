"""Keyword rules in scripts written without spaces find words, not substrings; rules over
several columns fall back from one column to the next."""
from __future__ import annotations

from typing import Any

import pytest

from hub.sync.mapping import from_dict

RULES = [
    {"code": "beverages", "keywords": ["ชา", "กาแฟ"]},
    {"code": "textiles-apparel", "keywords": ["มัดหมี่", "ผ้าไหม"]},  # before noodles: มัดหมี่ holds หมี่
    {"code": "food", "keywords": ["หมู", "หมี่", "น้ำพริก", "ข้าว"]},
    {"code": "lao-coffee", "keywords": ["ກາເຟ"]},
    {"code": "khmer-pepper", "keywords": ["ម្រេច"]},
]


def mapping(columns: Any = "name") -> Any:
    return from_dict({"source": {"name": "t", "kind": "products", "country": "TH", "path": "t.csv"},
                      "id": {"template": "t-{id}"},
                      "fields": {"name.th": {"from": "name"},
                                 "category.code": {"from": columns, "rules": RULES}}})


@pytest.mark.parametrize("name, code", [
    ("ชาสมุนไพรใบหม่อน", "beverages"),
    ("น้ำพริกเผาชาววัง", "food"),          # ชา inside ชาววัง (royal court) is not tea
    ("หมู่บ้านกาแฟดอยช้าง", "beverages"),   # หมู inside หมู่บ้าน (village) is not pork
    ("ผ้ามัดหมี่ลายโบราณ", "textiles-apparel"),
    ("หมี่กรอบโบราณ", "food"),
    ("หมูแดดเดียว", "food"),
    ("ກາເຟຫຼວງພະບາງ", "lao-coffee"),
    ("ម្រេចកំពត", "khmer-pepper"),
    ("ชาววังเครื่องแกง", None),            # no rule's word at all
])
def test_keywords_in_thai_lao_and_khmer_match_words_not_substrings(name: str, code: str | None) -> None:
    mapped = mapping().map_row({"id": "1", "name": name}, 2)
    assert mapped.record is not None and mapped.record.get("category", {}).get("code") == code


def test_rules_over_several_columns_fall_back_to_the_next_when_none_matches() -> None:
    m = mapping(["name", "description"])
    row = {"id": "1", "name": "ของฝากบ้านเรา", "description": "ชาใบหม่อนอบแห้ง"}
    assert m.map_row(row, 2).record["category"]["code"] == "beverages"  # type: ignore[index]
    row = {"id": "1", "name": "ข้าวหอมมะลิ", "description": "ชาใบหม่อนอบแห้ง"}
    assert m.map_row(row, 2).record["category"]["code"] == "food"  # type: ignore[index]
