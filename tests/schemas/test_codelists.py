"""Codelists and crosswalks: well-formed, and every national category reaches the common ones."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from schemas import codelists as cl

NATIONAL = ["VN-OCOP-2023", "VN-OCOP-2019", "TH-OTOP", "PH-OTOP", "ID-OVOP", "LA-ODOP"]
REQUIRED = [
    "categories-common",
    *(f"categories-{s}" for s in NATIONAL),
    "producer-types",
    "organisation-types",
    "organisation-services",
    "activity-types",
    "partnership-types",
    "units",
    "indicators",
    "rating-schemes",
    "flag-reasons",
    "return-reasons",
    "areas-VN-2025-merger",
    "areas-VN-2025-communes",
]
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _files(folder: str) -> list:
    return sorted(e for e in resources.files("schemas").joinpath(folder).iterdir() if e.name.endswith(".json"))


def test_required_codelists_present() -> None:
    assert set(REQUIRED) <= set(cl.codelists())
    assert sorted(cl.category_schemes()) == sorted(NATIONAL)


@pytest.mark.parametrize("entry", _files("codelists") + _files("crosswalks"), ids=lambda e: e.name)
def test_files_are_named_pretty_and_unique(entry) -> None:
    text = entry.read_text(encoding="utf-8")
    doc = json.loads(text)
    assert entry.name == f"{doc['name']}.json"
    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    assert doc["version"]
    if "items" in doc:
        codes = [i["code"] for i in doc["items"]]
        assert len(codes) == len(set(codes)), "duplicate codes"
        assert doc["source"]


@pytest.mark.parametrize("name", [n for n in REQUIRED if not n.startswith("areas-")])
def test_items_have_labels(name: str) -> None:
    doc = cl.codelist(name)
    assert doc["title"]["en"] and doc["title"]["vi"]
    for it in doc["items"]:
        assert it["label"]["en"] and it["label"]["vi"], it["code"]


@pytest.mark.parametrize(
    "name",
    [
        "categories-common",
        "producer-types",
        "organisation-types",
        "organisation-services",
        "activity-types",
        "partnership-types",
        "units",
        "indicators",
        "flag-reasons",
        "return-reasons",
        "categories-TH-OTOP",
        "categories-PH-OTOP",
        "categories-ID-OVOP",
        "categories-LA-ODOP",
    ],
)
def test_hub_codes_are_slugs(name: str) -> None:
    for code in cl.codes(name):
        assert SLUG.match(code), code


@pytest.mark.parametrize("scheme", NATIONAL)
def test_every_national_category_maps_to_one_common_category(scheme: str) -> None:
    common = cl.category_codes(cl.COMMON)
    for code in cl.category_codes(scheme):
        assert cl.common_category(scheme, code) in common, f"{scheme} {code}"


def test_every_common_category_is_used() -> None:
    used = {cl.common_category(s, c) for s in NATIONAL for c in cl.category_codes(s)}
    assert used == set(cl.category_codes(cl.COMMON))


def test_vn_split_sectors() -> None:
    assert cl.common_category("VN-OCOP-2023", "1.1.1") == "agri-products"
    assert cl.common_category("VN-OCOP-2023", "1.3.2") == "food"
    assert cl.common_category("VN-OCOP-2023", "4.2") == "textiles"
    assert cl.common_category("VN-OCOP-2023", "4.1") == "handicrafts"
    assert cl.common_category("VN-OCOP-2019", "4.1") == "textiles"
    assert cl.common_category("TH-OTOP", "herbal-non-food") == "herbal-products"


@pytest.mark.parametrize("scheme", ["VN-OCOP-2023", "VN-OCOP-2019"])
def test_vn_trees(scheme: str) -> None:
    doc = cl.codelist(f"categories-{scheme}")
    codes = cl.category_codes(scheme)
    sectors = [i for i in doc["items"] if "parent" not in i]
    assert [s["code"] for s in sectors] == ["1", "2", "3", "4", "5", "6"]
    for it in doc["items"]:
        if "parent" in it:
            assert it["parent"] in codes and it["code"].rsplit(".", 1)[0] == it["parent"]
        has_child = any(o.get("parent") == it["code"] for o in doc["items"])
        assert it.get("product_set", False) is (not has_child), it["code"]
    assert sum(1 for i in doc["items"] if i.get("product_set")) == 26
    groups = [i for i in doc["items"] if i["level"] == "group"]
    assert len(groups) == (17 if scheme == "VN-OCOP-2023" else 16)


@pytest.mark.parametrize("cw", sorted(cl.crosswalks()), ids=str)
def test_crosswalk_codes_exist(cw: str) -> None:
    doc = cl.crosswalks()[cw]
    assert doc["name"] == f"{doc['from']}--{doc['to']}"
    source, target = cl.category_codes(doc["from"]), cl.category_codes(doc["to"])
    assert source and target
    for a, b in doc["map"].items():
        assert a in source, f"{cw}: unknown source {a}"
        assert b in target, f"{cw}: unknown target {b}"


def test_2019_to_2023_covers_every_2019_code() -> None:
    doc = cl.crosswalks()["VN-OCOP-2019--VN-OCOP-2023"]
    leaves = [i["code"] for i in cl.codelist("categories-VN-OCOP-2019")["items"] if i.get("product_set")]
    assert len(leaves) == 26
    for code in cl.category_codes("VN-OCOP-2019"):
        assert code in doc["map"], code


def test_2019_to_2023_agrees_with_common_categories() -> None:
    """Going 2019 -> 2023 -> common lands where 2019 -> common does."""
    for code in cl.category_codes("VN-OCOP-2019"):
        new = cl.crosswalk("VN-OCOP-2019", "VN-OCOP-2023", code)
        assert cl.common_category("VN-OCOP-2023", new) == cl.common_category("VN-OCOP-2019", code), code


def test_rating_schemes_well_formed() -> None:
    items = cl.codelist("rating-schemes")["items"]
    assert {i["code"] for i in items} == {"VN-OCOP", "TH-OTOP", "TH-OTOP-MARK", "PH-OTOP", "ID-OVOP", "LA-ODOP"}
    for s in items:
        assert s["type"] in ("stars", "trustmark")
        assert s["country"] == s["code"][:2] and s["programme"] and s["label"]["en"]
        if s["type"] == "stars":
            assert s["min"] == 1 and s["max"] == 5 and "marks" not in s
            assert s.get("recognised_min", s["min"]) in range(s["min"], s["max"] + 1)
        else:
            assert s["marks"] and all(SLUG.match(m) for m in s["marks"])
            assert "min" not in s and "max" not in s
    vn = cl.rating_scheme("VN-OCOP")
    assert (vn["recognised_min"], vn["validity_months"], vn["levels"]) == (3, 36, ["district", "provincial", "central"])
    bands = sorted(vn["score_bands"], key=lambda b: b["min"])
    assert bands[0]["min"] == 0 and bands[-1]["max"] == vn["score_max"] == 100
    for lo, hi in zip(bands, bands[1:]):
        assert hi["min"] == lo["max"] + 1 and hi["rating"] == lo["rating"] + 1
    assert set(vn["level_by_rating"].values()) <= set(vn["levels"])
    assert cl.rating_scheme("TH-OTOP-MARK")["marks"] == ["premium", "classic", "standard"]
    assert cl.rating_scheme("PH-OTOP")["marks"] == ["otop-ph"]


def test_indicator_units_exist() -> None:
    units = cl.codes("units")
    for it in cl.codelist("indicators")["items"]:
        assert it["unit"] in units, it["code"]
    assert cl.item("indicators", "sales-revenue")["unit"] == "currency"


def test_producer_type_countries() -> None:
    for it in cl.codelist("producer-types")["items"]:
        assert it["countries"] and all(re.fullmatch(r"[A-Z]{2}", c) for c in it["countries"])
    assert "VN" in cl.item("producer-types", "cooperative")["countries"]
    assert "TH" in cl.item("producer-types", "sme")["countries"]


def test_every_codelist_and_crosswalk_has_a_version_and_an_effective_date() -> None:
    from datetime import date

    from schemas import codelists

    for doc in [*codelists.codelists().values(), *codelists.crosswalks().values()]:
        assert doc.get("version"), doc["name"]
        assert date.fromisoformat(doc["effective_from"]), doc["name"]


def test_producer_forms_carry_english_and_national_labels() -> None:
    from schemas import codelists

    language = {"VN": "vi", "TH": "th", "PH": "fil"}
    for it in codelists.codelist("producer-types")["items"]:
        for country in set(it["countries"]) & set(language):
            if len(it["countries"]) == 1:
                assert it["label"]["en"] and it["label"][language[country]], it["code"]
    assert {"production-establishment", "individual-producer", "cooperative-group"} <= codelists.codes("producer-types")


def test_docs_standard_md_names_every_field_of_every_kind() -> None:
    import re
    from pathlib import Path

    from schemas.records import SCHEMAS

    text = Path(__file__).parents[2].joinpath("docs", "standard.md").read_text(encoding="utf-8")
    for kind, schema in SCHEMAS.items():
        section = text.split(f"**{kind}**", 1)[1].split("\n**", 1)[0]
        for name in schema().fields:
            if name in ("id", "country", "source_updated_at", "evidence", "verification", "notes"):
                assert f"`{name}`" in text, name
            else:
                assert re.search(rf"`{name}`", section), (kind, name)
