"""Deterministic synthetic products for benchmarks: realistic shape, Vietnamese text, stars."""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any, Iterator

from vietnam_provinces import Province

WORDS = ["Mắc ca", "Chè Shan tuyết", "Nước mắm", "Gạo thơm", "Mật ong bạc hà", "Cà phê Robusta",
         "Rượu cần", "Miến dong", "Bánh tráng", "Nón lá", "Thổ cẩm", "Hạt điều", "Tỏi Lý Sơn",
         "Bưởi Diễn", "Tinh dầu sả", "Nấm linh chi", "Cao dược liệu", "Mây tre đan"]
PLACES = ["Lê Anh", "Đồng Tâm", "Hương Sơn", "Tân Cương", "Phú Quốc", "Bảo Lộc", "Hà Giang",
          "Mộc Châu", "Đắk Lắk", "Bến Tre"]
CODES = ["1.1.1", "1.2.1", "1.2.2", "1.3.2", "1.4.1", "1.5.1", "1.6", "2.1.1", "2.2.2", "3.1", "3.3",
         "4.1", "4.2", "5.2", "6.1"]
AREAS = [f"VN-GSO:{p.code.value:02d}" for p in Province.iter_all()]


def products(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """``n`` valid VN products with ids ``bench-0`` ... (same seed, same products)."""
    rnd = random.Random(seed)
    for i in range(n):
        word, place = rnd.choice(WORDS), rnd.choice(PLACES)
        rating = rnd.choice((3, 3, 3, 4, 4, 5))
        year = rnd.randint(2022, 2025)
        yield {
            "id": f"bench-{i}", "country": "VN",
            "name": {"vi": f"{word} {place} {i}", "en": f"{place} product {i}"},
            "description": {"vi": f"Sản phẩm OCOP {rating} sao, {word.lower()} đặc sản {place}."},
            "category": {"scheme": "VN-OCOP-2023", "code": rnd.choice(CODES)},
            "certifications": [{"scheme": "VN-OCOP", "rating": rating,
                                "decision": f"{rnd.randint(100, 3000)}/QĐ-UBND",
                                "issued_on": f"{year}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}",
                                "level": "central" if rating == 5 else "provincial"}],
            "origin": {"area": rnd.choice(AREAS), "place": f"xã {place}"},
            "price": {"amount": str(rnd.randint(20, 900) * 1000), "currency": "VND"},
            "package": f"{rnd.choice((250, 500, 1000))} g",
        }


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
