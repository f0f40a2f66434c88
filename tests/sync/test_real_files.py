"""The two real national files through their shipped mappings and the one write path.

Pins the outcome so that a change to a mapping, a codelist, the area resolver or the
write path that alters what the hub makes of real data shows up here first:

- Viet Nam Post OCOP products (1,851 rows): every row maps and validates; 59 origins name
  a commune alone that only one commune of the country bears (today's commune code); 137
  are other communes, districts or house numbers, kept as text with an
  ``area_unresolved`` warning; the province spelled in NFC and in NFD becomes one text
  and one area code.
- Songkhla OTOP revenue (90 rows): 80 district-year indicators; the two city
  municipalities (10 rows) are skipped by the mapping, as documented in docs/sync.md.
- Loading the same file again gives only ``unchanged``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from hub.actors import Actor
from hub.services import Hub
from hub.sync import mapping
from hub.sync.readers import read_csv
from schemas import areas

SOURCES = Path(__file__).resolve().parents[2] / "config" / "sources"
VN = Actor("sync:vn-buudien", "VN")
TH = Actor("sync:th-cdd", "TH")
BATCH = 500


@cache
def mapped(name: str, data_dir: Path) -> tuple[mapping.Mapped, ...]:
    return tuple(mapping.load(SOURCES / f"{name}.toml").read(data_dir))


def load(hub: Hub, actor: Actor, kind: str, records: list[dict[str, Any]], source: str) -> list[Any]:
    results: list[Any] = []
    for start in range(0, len(records), BATCH):
        results += hub.writes.write(actor, kind, records[start : start + BATCH], source=source).results
    return results


def findings(results: list[Any], attr: str) -> Counter[tuple[str, str]]:
    return Counter((f["path"], f["code"]) for r in results for f in getattr(r, attr))


# ------------------------------------------------------------------ Viet Nam


def test_vn_buudien_products_through_the_write_path(hub: Hub, shared_data: Path) -> None:
    rows = mapped("vn-buudien-ocop-products", shared_data)
    records = [r.record for r in rows if r.record is not None]
    assert len(rows) == 1851
    assert (len(records), sum(1 for r in rows if r.skipped), sum(1 for r in rows if r.error)) == (1851, 0, 0)

    results = load(hub, VN, "products", records, "sync:vn-buudien-ocop-products")
    assert Counter(r.status for r in results) == {"created": 1851}
    assert findings(results, "errors") == {}  # every product name matched a category rule
    # 195 recognitions carry no date: their validity cannot be computed (standard 1.1)
    assert findings(results, "warnings") == {("origin.place", "area_unresolved"): 137,
                                             ("certifications.0", "validity_unknown"): 195}
    assert Counter(r.review for r in results) == {"pending": 1851}  # Viet Nam's policy: "required"

    again = load(hub, VN, "products", records, "sync:vn-buudien-ocop-products")
    assert Counter(r.status for r in again) == {"unchanged": 1851}


def test_vn_buudien_products_what_the_mapping_makes(shared_data: Path) -> None:
    records = [r.record for r in mapped("vn-buudien-ocop-products", shared_data) if r.record]
    origins = [r.get("origin") for r in records]
    assert sum(1 for o in origins if o is None) == 100  # empty origin column
    placed = [o["area"] for o in origins if o and "area" in o]
    assert sum(1 for a in placed if len(a) == len("VN-GSO:NN")) == 1555  # resolved to a province
    # a commune named alone, borne by no other commune of the country, old or new
    assert sum(1 for a in placed if len(a) == len("VN-GSO:NNNNN")) == 59
    assert (
        sum(1 for o in origins if o and "area" not in o) == 137
    )  # other communes ("Hòa Phong" is borne by several), districts ("Thạnh Hoá"), "Số 8"
    assert len({a if len(a) == 9 else areas.lookup(a).parent for a in placed}) == 33  # provinces
    ratings = Counter(r["certifications"][0]["rating"] for r in records if "certifications" in r)
    assert ratings == {3: 128, 4: 64, 5: 3}  # the 195 rated rows
    assert all(r["certifications"][0]["scheme"] == "VN-OCOP" for r in records if "certifications" in r)
    assert all(r["price"]["currency"] == "VND" for r in records)
    assert sum(1 for r in records if "description" in r) == 1683  # 168 rows have neither text
    assert Counter(r["category"]["code"] for r in records) == {
        "1.1.1": 122,
        "1.1.2": 11,
        "1.2.1": 77,
        "1.2.2": 72,
        "1.3.2": 212,
        "1.3.3": 257,
        "1.3.4": 291,
        "1.4.1": 163,
        "1.4.2": 54,
        "1.5.1": 88,
        "1.5.2": 132,
        "1.6": 63,
        "2.2.1": 7,
        "2.2.2": 9,
        "3.1": 138,
        "3.2": 19,
        "3.3": 44,
        "4.1": 86,
        "4.2": 4,
        "5.2": 2,
    }
    first = next(r for r in records if r["id"] == "bd-26220")
    assert first == {
        "id": "bd-26220",
        "country": "VN",
        "name": {"vi": "Ngũ cốc dinh dưỡng cao cấp HuongFarm 500 gram"},
        "description": {"vi": "Ngũ cốc dinh dưỡng cao cấp 500 gr"},
        "category": {"scheme": "VN-OCOP-2023", "code": "1.3.2"},
        "origin": {"place": "Quảng Nam", "area": "VN-GSO:48"},
        "price": {"amount": "220000", "currency": "VND"},
        "images": [first["images"][0]],
        "url": "https://buudien.vn/home/Goods/index.html?goods_id=26220",
    }


def test_nfc_makes_the_two_spellings_of_a_province_one(hub: Hub, shared_data: Path) -> None:
    raw = {row["product_id"]: row["origin"] for _, row in read_csv(shared_data / "vn-buudien-ocop-products.csv")}
    nfc, nfd = raw["26220"], raw["15885"]  # "Quảng Nam", byte-wise two ways
    assert nfc != nfd and unicodedata.normalize("NFC", nfd) == nfc
    assert unicodedata.is_normalized("NFC", nfc) and not unicodedata.is_normalized("NFC", nfd)
    assert nfc.encode() == b"Qu\xe1\xba\xa3ng Nam" and nfd.encode() == b"Qua\xcc\x89ng Nam"  # ả vs a + hook
    # The feed as a whole: 135 rows spell their origin in NFD; 173 distinct spellings are 146 places.
    assert sum(1 for o in raw.values() if not unicodedata.is_normalized("NFC", o)) == 135
    assert (len(set(raw.values())), len({unicodedata.normalize("NFC", o) for o in raw.values()})) == (173, 146)

    by_id = {r.record["id"]: r.record for r in mapped("vn-buudien-ocop-products", shared_data) if r.record}
    assert by_id["bd-26220"]["origin"] == by_id["bd-15885"]["origin"] == {"place": "Quảng Nam", "area": "VN-GSO:48"}

    results = load(hub, VN, "products", [by_id["bd-26220"], by_id["bd-15885"]], "test")
    assert [r.status for r in results] == ["created", "created"] and not any(r.warnings for r in results)


# ------------------------------------------------------------------ Thailand


def test_th_songkhla_revenue_through_the_write_path(hub: Hub, shared_data: Path) -> None:
    rows = mapped("th-songkhla-otop-revenue", shared_data)
    records = [r.record for r in rows if r.record is not None]
    assert len(rows) == 90
    assert len(records) == 80 and not any(r.error for r in rows)
    skipped = [r for r in rows if r.skipped]
    assert len(skipped) == 10 and {r.skipped for r in skipped} == {
        "city municipality, not a district (lies inside Mueang Songkhla or Hat Yai; reported as 0)"
    }
    assert len({r["place"] for r in records}) == 16  # districts
    assert Counter(r["period"]["start"] for r in records) == {
        f"{y}-10-01": 16 for y in range(2019, 2024)
    }  # FY 2563-2567
    assert len({r["id"] for r in records}) == 80
    hat_yai = next(r for r in records if r["id"] == "songkhla-otop-revenue-fy2563-hat-yai")
    assert hat_yai == {
        "id": "songkhla-otop-revenue-fy2563-hat-yai",
        "country": "TH",
        "indicator": "sales-revenue",
        "area": "TH-90",
        "place": "หาดใหญ่",
        "period": {"start": "2019-10-01", "end": "2020-09-30", "label": "ปีงบประมาณ 2563"},
        "value": "747138610",
        "unit": "currency",
        "currency": "THB",
        "source": {"th": "กรมพัฒนาชุมชน"},
    }

    results = load(hub, TH, "indicators", records, "sync:th-songkhla-otop-revenue")
    assert Counter(r.status for r in results) == {"created": 80}
    assert findings(results, "errors") == {} and findings(results, "warnings") == {}
    again = load(hub, TH, "indicators", records, "sync:th-songkhla-otop-revenue")
    assert Counter(r.status for r in again) == {"unchanged": 80}
