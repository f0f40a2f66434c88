"""Deterministic synthetic products for benchmarks: realistic shape, Vietnamese text, stars."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any, Iterator

from vietnam_provinces import Province

WORDS = [
    "Mắc ca",
    "Chè Shan tuyết",
    "Nước mắm",
    "Gạo thơm",
    "Mật ong bạc hà",
    "Cà phê Robusta",
    "Rượu cần",
    "Miến dong",
    "Bánh tráng",
    "Nón lá",
    "Thổ cẩm",
    "Hạt điều",
    "Tỏi Lý Sơn",
    "Bưởi Diễn",
    "Tinh dầu sả",
    "Nấm linh chi",
    "Cao dược liệu",
    "Mây tre đan",
]
PLACES = [
    "Lê Anh",
    "Đồng Tâm",
    "Hương Sơn",
    "Tân Cương",
    "Phú Quốc",
    "Bảo Lộc",
    "Hà Giang",
    "Mộc Châu",
    "Đắk Lắk",
    "Bến Tre",
]
CODES = [
    "1.1.1",
    "1.2.1",
    "1.2.2",
    "1.3.2",
    "1.4.1",
    "1.5.1",
    "1.6",
    "2.1.1",
    "2.2.2",
    "3.1",
    "3.3",
    "4.1",
    "4.2",
    "5.2",
    "6.1",
]
AREAS = [f"VN-GSO:{p.code.value:02d}" for p in Province.iter_all()]


def products(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``n`` valid VN products with ids ``bench-0`` ... (same seed, same products)."""
    rnd = random.Random(seed)
    for i in range(n):
        word, place = rnd.choice(WORDS), rnd.choice(PLACES)
        rating = rnd.choice((3, 3, 3, 4, 4, 5))
        year = rnd.randint(2022, 2025)
        yield {
            "id": f"bench-{i}",
            "country": "VN",
            "name": {"vi": f"{word} {place} {i}", "en": f"{place} product {i}"},
            "description": {"vi": f"Sản phẩm OCOP {rating} sao, {word.lower()} đặc sản {place}."},
            "category": {"scheme": "VN-OCOP-2023", "code": rnd.choice(CODES)},
            "certifications": [
                {
                    "scheme": "VN-OCOP",
                    "rating": rating,
                    "decision": f"{rnd.randint(100, 3000)}/QĐ-UBND",
                    "issued_on": f"{year}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
                    "level": "central" if rating == 5 else "provincial",
                }
            ],
            "origin": {"area": rnd.choice(AREAS), "place": f"xã {place}"},
            "price": {"amount": str(rnd.randint(20, 900) * 1000), "currency": "VND"},
            "package": f"{rnd.choice((250, 500, 1000))} g",
        }


ORG_TYPES = ["university", "government-agency", "association", "enterprise", "consultancy", "design-centre"]
SERVICES = ["consulting", "training", "product-design", "packaging-design", "trade-promotion", "e-commerce"]
PRODUCER_TYPES = ["cooperative", "enterprise", "household-business", "cooperative-group", "sme"]
ACTIVITY_TYPES = ["startup-competition", "trade-fair", "training", "workshop", "forum", "exhibition"]
INDICATORS = [
    ("products-recognised", "products"),
    ("producers", "producers"),
    ("sales-revenue", "currency"),
    ("jobs-created", "person"),
]


def _name(rnd: random.Random, i: int, what: str) -> dict[str, str]:
    place = rnd.choice(PLACES)
    return {"vi": f"{what} {place} {i}", "en": f"{place} {what.lower()} {i}"}


def record(kind: str, i: int, rnd: random.Random) -> dict[str, Any]:
    """One valid VN record of ``kind`` with id ``bench-{i}`` (products as :func:`products`)."""
    area = {"area": rnd.choice(AREAS), "place": f"xã {rnd.choice(PLACES)}"}
    base: dict[str, Any] = {"id": f"bench-{i}", "country": "VN"}
    if kind == "products":
        return next(products(1, seed=rnd.randrange(1 << 30))) | base
    if kind == "programmes":
        return base | {
            "name": _name(rnd, i, "Chương trình"),
            "short_name": f"P{i}",
            "managing_agency": {"vi": "Bộ Nông nghiệp và Môi trường", "en": "Ministry of Agriculture"},
            "legal_basis": [{"ref": f"{rnd.randint(100, 999)}/QĐ-TTg", "date": "2022-08-01"}],
            "phases": [{"starts_on": "2021-01-01", "ends_on": "2025-12-31"}],
            "rating_schemes": ["VN-OCOP"],
            "category_schemes": ["VN-OCOP-2023"],
            "started_on": "2018-05-07",
        }
    if kind == "organisations":
        return base | {
            "name": _name(rnd, i, "Trung tâm"),
            "type": rnd.choice(ORG_TYPES),
            "services": rnd.sample(SERVICES, 2),
            "location": area,
            "programmes": ["ocop"],
            "website": f"https://org{i}.example.vn/",
        }
    if kind == "partnerships":
        return base | {
            "title": _name(rnd, i, "Chương trình phối hợp"),
            "type": "coordination-programme",
            "programme": "ocop",
            "owner": "VN/organisations/mae",
            "partners": [f"org-{i}", f"org-{i + 1}"],
            "signed_on": "2019-05-10",
            "ends_on": "2025-12-31",
            "document": f"{i}/CTPH",
        }
    if kind == "producers":
        return base | {
            "name": _name(rnd, i, "Hợp tác xã"),
            "type": rnd.choice(PRODUCER_TYPES),
            "location": area,
            "programmes": ["ocop"],
            "established_year": rnd.randint(1990, 2024),
            "members": rnd.randint(5, 200),
            "women_led": rnd.random() < 0.3,
            "description": {"vi": f"Chủ thể OCOP ở {rnd.choice(PLACES)}."},
        }
    if kind == "indicators":
        indicator, unit = rnd.choice(INDICATORS)
        year = rnd.randint(2019, 2025)
        return base | {
            "indicator": indicator,
            "programme": "ocop",
            "area": rnd.choice(AREAS),
            "period": {"start": f"{year}-01-01", "end": f"{year}-12-31", "label": str(year)},
            "value": str(rnd.randint(1, 10_000_000)),
            "unit": unit,
            **({"currency": "VND"} if unit == "currency" else {}),
            "source": {"vi": "Báo cáo của tỉnh", "en": "Provincial report"},
        }
    if kind == "activities":
        day = rnd.randint(10, 28)
        return base | {
            "type": rnd.choice(ACTIVITY_TYPES),
            "name": _name(rnd, i, "Hội chợ OCOP"),
            "programme": "ocop",
            "organisers": [f"org-{i}"],
            "starts_on": f"2024-06-{day}",
            "ends_on": f"2024-07-{day}",
            "location": area,
            "participants": rnd.randint(10, 5000),
        }
    raise KeyError(kind)


def mixed(n: int, seed: int = 11) -> Iterator[tuple[str, dict[str, Any]]]:
    """``n`` valid ``(kind, record)`` pairs, the seven kinds in turn."""
    from schemas import KINDS

    rnd = random.Random(seed)
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        yield kind, record(kind, i, rnd)


def arguments(doc: str | None) -> argparse.Namespace:
    """The options both benchmarks take: --records, --batch, --json."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("--records", type=int, default=50_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--json", help="also write the figures to this file")
    return ap.parse_args()


def report(figures: dict[str, Any], json_path: str | None) -> int:
    """Print the figures (and write them to ``json_path``); exit status 1 if a target is missed."""
    text = json.dumps(figures, indent=2)
    print(text)
    if json_path:
        Path(json_path).write_text(text + "\n")
    return 0 if figures["targets_met"] else 1
