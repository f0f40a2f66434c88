"""The mapping keys, one by one, on small inline mappings; bad rows and bad mapping files."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from hub.sync import mapping
from hub.sync.mapping import MappingConfigError, MappingError
from hub.sync.readers import EXTRA, SourceError

SOURCES = Path(__file__).resolve().parents[2] / "config" / "sources"


def make(
    fields: dict[str, Any],
    *,
    id_: dict[str, Any] | None = None,
    kind: str = "products",
    country: str = "VN",
    **extra: Any,
) -> mapping.Mapping:
    data: dict[str, Any] = {
        "source": {"name": "t", "kind": kind, "country": country, "path": "t.csv"},
        "id": id_ or {"template": "t-{id}"},
        "fields": fields,
        **extra,
    }
    return mapping.from_dict(data, origin="test.toml")


def record(m: mapping.Mapping, **row: str) -> dict[str, Any]:
    out = m.map_row({"id": "1", **row}, line=7)
    assert out.record is not None, out
    return out.record


def test_from_value_and_template_build_nested_records() -> None:
    m = make(
        {
            "name.vi": {"from": "name", "transforms": ["nfc", "trim"]},
            "category.scheme": {"value": "VN-OCOP-2023"},
            "url": {"template": "https://shop.example/{id}"},
        }
    )
    assert record(m, name=" Gạo ST25 ") == {
        "id": "t-1",
        "country": "VN",
        "name": {"vi": "Gạo ST25"},
        "category": {"scheme": "VN-OCOP-2023"},
        "url": "https://shop.example/1",
    }


def test_from_a_list_takes_the_first_non_empty_column() -> None:
    m = make({"description.vi": {"from": ["short", "long"], "transforms": ["trim"]}})
    assert record(m, short="  ", long="Long text")["description"] == {"vi": "Long text"}
    assert record(m, short="Short", long="Long text")["description"] == {"vi": "Short"}
    assert "description" not in record(m, short="", long="")


def test_numeric_path_segments_make_lists() -> None:
    m = make(
        {
            "certifications.0.scheme": {"value": "VN-OCOP", "when": "certifications.0.rating"},
            "certifications.0.rating": {"from": "r", "transforms": ["int"]},
            "images.0": {"from": "a"},
            "images.1": {"from": "b"},
        }
    )
    rec = record(m, r="4.0", a="https://x/1.jpg", b="https://x/2.jpg")
    assert rec["certifications"] == [{"scheme": "VN-OCOP", "rating": 4}]
    assert rec["images"] == ["https://x/1.jpg", "https://x/2.jpg"]
    assert record(m, r="", a="", b="https://x/2.jpg")["images"] == ["https://x/2.jpg"]  # no hole


def test_when_drops_constants_whose_companion_is_empty() -> None:
    m = make(
        {
            "price.amount": {"from": "price", "transforms": ["number"]},
            "price.currency": {"value": "VND", "when": "price.amount"},
        }
    )
    assert record(m, price="220,000")["price"] == {"amount": "220000", "currency": "VND"}
    assert "price" not in record(m, price=" ")


def test_map_onto_codes_and_unmapped_values() -> None:
    fields = {"unit": {"from": "u", "transforms": ["trim"], "map": {"บาท": "currency"}}}
    assert record(make(fields), u=" บาท ")["unit"] == "currency"
    with pytest.raises(MappingError) as err:
        make(fields).map_row({"id": "1", "u": "ดอลลาร์"}, line=12)
    assert err.value.line == 12 and err.value.column == "u" and err.value.target == "unit"
    assert "line 12 column 'u' -> unit: value 'ดอลลาร์' is not in the map (known: บาท)" == str(err.value)
    keep = {"unit": {**fields["unit"], "unmapped": "keep"}}
    assert record(make(keep), u="x")["unit"] == "x"
    drop = {"unit": {**fields["unit"], "unmapped": "drop"}}
    assert "unit" not in record(make(drop), u="x")


def test_map_applies_to_each_element_of_a_list() -> None:
    m = make({"tags": {"from": "t", "transforms": ["split:;"], "map": {"a": "A", "b": "B"}}})
    assert record(m, t="a;b")["tags"] == ["A", "B"]


def test_rules_choose_a_code_first_match_wins() -> None:
    m = make(
        {
            "category.code": {
                "from": "name",
                "transforms": ["nfc"],
                "rules": [
                    {"code": "1.4.1", "keywords": ["nước mắm"]},
                    {"code": "1.5.2", "regex": r"(?<!\w)trà(?! vinh)(?!\w)"},
                    {"code": "1.2.1", "keywords": ["gạo"]},
                ],
            }
        }
    )
    code = lambda name: record(m, name=name).get("category", {}).get("code")  # noqa: E731
    assert code("Trà Vinh - Nước mắm cá cơm") == "1.4.1"
    assert code("TRÀ gừng") == "1.5.2"  # case-insensitive
    assert code("Trà Vinh - Gạo thơm") == "1.2.1"
    assert code("_gạo_st25") == "1.2.1"  # underscores separate words
    assert code("Bánh gạo") == "1.2.1"
    assert code("Gạoxyz") is None  # whole words only
    assert code(unicodedata.normalize("NFD", "Gạo tám")) == "1.2.1"  # NFD input, after nfc
    assert code("Mật ong") is None  # no rule: no value


def test_default_required_and_skip_if_empty() -> None:
    m = make(
        {
            "type": {"from": "t", "default": "product"},
            "name.vi": {"from": "name", "required": True},
            "url": {"from": "u", "skip_if_empty": True},
        }
    )
    assert record(m, t="", name="x", u="https://x")["type"] == "product"
    with pytest.raises(MappingError, match="line 7 column 'name' -> name.vi: required value is empty"):
        m.map_row({"id": "1", "t": "", "name": " ", "u": "https://x"}, line=7)
    skipped = m.map_row({"id": "1", "t": "", "name": "x", "u": ""}, line=7)
    assert skipped.record is None and skipped.skipped == "'u' is empty"


def test_id_template_with_a_mapped_value() -> None:
    m = make(
        {"place": {"from": "d"}}, id_={"from": "d", "map": {"หาดใหญ่": "hat-yai"}, "template": "rev-fy{year}-{value}"}
    )
    assert m.map_row({"d": "หาดใหญ่", "year": "2567"}).record["id"] == "rev-fy2567-hat-yai"  # type: ignore[index]
    with pytest.raises(MappingError, match="-> id: value 'จะนะ' is not in the map"):
        m.map_row({"d": "จะนะ", "year": "2567"})
    with pytest.raises(MappingError, match="-> id: required value is empty"):
        make({"place": {"from": "d"}}).map_row({"id": " ", "d": "x"})


def test_skip_tables() -> None:
    m = make(
        {"place": {"from": "d"}},
        skip=[
            {"column": "d", "regex": "^เทศบาล", "reason": "municipality"},
            {"column": "d", "equals": ["รวม", "Total"], "reason": "total line"},
        ],
    )
    assert m.map_row({"id": "1", "d": "เทศบาลนครหาดใหญ่"}).skipped == "municipality"
    assert m.map_row({"id": "1", "d": " Total "}).skipped == "total line"
    assert m.map_row({"id": "1", "d": "หาดใหญ่"}).record is not None


def test_a_transform_failure_names_line_column_and_target() -> None:
    m = make({"value": {"from": "v", "transforms": ["number"]}})
    with pytest.raises(MappingError) as err:
        m.map_row({"id": "1", "v": "12 baht"}, line=31)
    assert str(err.value) == "line 31 column 'v' -> value: '12 baht' is not a number (decimal mark '.')"


def test_a_missing_column_and_a_row_with_surplus_fields_are_row_errors() -> None:
    m = make({"value": {"from": "v"}})
    with pytest.raises(MappingError, match="column 'v' -> value: no such column in the file"):
        m.map_row({"id": "1"}, line=3)
    with pytest.raises(MappingError, match="line 4: the row has more fields than the header"):
        m.map_row({"id": "1", "v": "2", EXTRA: "x,y"}, line=4)


def test_read_reports_row_errors_and_checks_the_header(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("id,v\n1,5\n2,five\n3,\n", encoding="utf-8")
    m = make({"value": {"from": "v", "transforms": ["number"], "skip_if_empty": True}})
    out = list(m.read(tmp_path))
    assert [o.line for o in out] == [2, 3, 4]
    assert out[0].record == {"id": "t-1", "country": "VN", "value": "5"}
    assert out[1].error is not None and out[1].error.column == "v" and out[1].error.line == 3
    assert out[2].skipped == "'v' is empty"
    with pytest.raises(SourceError, match="column\\(s\\) w used by mapping 't' are not in the file's header"):
        list(make({"value": {"from": "w"}}).read(tmp_path))
    assert m.file("/data") == Path("/data/t.csv")
    absolute = make({"value": {"from": "v"}})
    object.__setattr__(absolute, "path", str(tmp_path / "t.csv"))
    assert absolute.file("/elsewhere") == tmp_path / "t.csv"


@pytest.mark.parametrize("change,message", [
    ({"source": {"name": "t", "kind": "things", "country": "VN", "path": "x"}}, "kind 'things'"),
    ({"source": {"name": "t", "kind": "products", "country": "Viet Nam", "path": "x"}}, "country 'Viet Nam'"),
    ({"source": {"name": "t", "kind": "products", "country": "VN"}}, "needs 'path'"),
    ({"source": {"name": "t", "kind": "products", "country": "VN", "path": "x", "format": "pdf"}},
     "format 'pdf'"),
    ({"source": {"name": "t", "kind": "products", "country": "VN", "path": "x", "sheet": 1}},
     "'sheet' does not apply to format 'csv'"),
    ({"extra": {}}, "unknown table\\(s\\) extra"),
    ({"source": {"name": "my source", "kind": "products", "country": "VN", "path": "x"}}, "name 'my source'"),
    ({"fields": {"name.vi": {"from": "n", "transforms": ["squash"]}}}, "unknown transform 'squash'"),
    ({"fields": {"name.vi": {"from": "n", "value": "x"}}}, "give 'value' alone"),
    ({"fields": {"name.vi": {}}}, "needs 'from', 'value' or 'template'"),
    ({"fields": {"name.vi": {"value": "x", "transforms": ["trim"]}}}, "used as written"),
    ({"fields": {"name.vi": {"from": "n", "froms": "x"}}}, "unknown key\\(s\\) froms"),
    ({"fields": {"name.vi": {"template": "plain"}}}, "no \\{column\\} placeholder"),
    ({"fields": {"name.vi": {"template": "{value}"}}}, "uses \\{value\\} but there is no 'from'"),
    ({"fields": {"c": {"from": "n", "rules": [{"code": "1", "regex": "("}]}}}, "bad regex"),
    ({"fields": {"c": {"from": "n", "rules": [{"code": "1"}]}}}, "either 'keywords' or 'regex'"),
    ({"fields": {"c": {"from": "n", "rules": [{"keywords": ["x"]}]}}}, "needs 'code'"),
    ({"fields": {"c": {"value": "x", "when": "d"}}}, "'when' names 'd'"),
    ({"fields": {"c": {"from": "n", "unmapped": "ignore"}}}, "'unmapped' is"),
    ({"fields": {"origin": {"from": "o"}, "origin.place": {"from": "o"}}}, "lies inside field 'origin'"),
    ({"fields": {"images.0": {"from": "o"}, "images.x": {"from": "o"}}}, "both as a list"),
    ({"fields": {"id": {"from": "o"}}}, "id comes from \\[id\\]"),
    ({"fields": {"bad path": {"from": "o"}}}, "dotted path"),
    ({"fields": {}}, "no \\[fields"),
    ({"skip": [{"column": "d", "reason": "r"}]}, "give 'equals' or 'regex'"),
])
def test_mistakes_in_the_mapping_file_are_reported_on_load(change: dict[str, Any], message: str) -> None:
    data: dict[str, Any] = {
        "source": {"name": "t", "kind": "products", "country": "VN", "path": "t.csv"},
        "id": {"template": "t-{id}"},
        "fields": {"name.vi": {"from": "n"}},
    }
    data.update(change)
    with pytest.raises(MappingConfigError, match=message):
        mapping.from_dict(data, origin="bad.toml")


def test_load_reports_toml_syntax_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[source\nname = 1", encoding="utf-8")
    with pytest.raises(MappingConfigError, match="bad.toml: not valid TOML"):
        mapping.load(bad)
    with pytest.raises(MappingConfigError, match="cannot read"):
        mapping.load(tmp_path / "missing.toml")


def test_the_shipped_sources_load() -> None:
    sources = mapping.load_all(SOURCES)
    assert {"vn-buudien-ocop-products", "th-songkhla-otop-revenue"} <= set(sources)
    vn, th = sources["vn-buudien-ocop-products"], sources["th-songkhla-otop-revenue"]
    assert (vn.kind, vn.country, th.kind, th.country) == ("products", "VN", "indicators", "TH")
    assert vn.columns == {
        "product_id",
        "name",
        "short_description",
        "description",
        "ocop_rating",
        "ocop_rating_from_list",
        "origin",
        "price",
        "image_url",
        "product_url",
    }


def test_every_category_rule_of_the_vn_source_names_a_vn_ocop_2023_code() -> None:
    from schemas import codelists

    vn = mapping.load(SOURCES / "vn-buudien-ocop-products.toml")
    spec = next(f for f in vn.fields if f.target == "category.code")
    codes = codelists.category_codes("VN-OCOP-2023")
    assert spec.rules and all(r.code in codes for r in spec.rules)
