"""Write ``schemas/codelists/areas-VN-2025-communes.json`` from the vietnam-provinces package.

Viet Nam abolished its districts and merged its ~10,000 communes into 3,321 on 1 July 2025
(one National Assembly Standing Committee resolution per province, and Decision
19/2025/QĐ-TTg for the new code list). The National Statistics Office published the
conversion table old commune -> new commune(s) ("Bảng chuyển đổi ĐVHC mới - cũ"); the
vietnam-provinces package (Nguyễn Hồng Quân) ships it with the pre-2025 units (63
provinces, districts, communes) and today's, all with their national statistics codes.

That release needs Python 3.12 while the hub runs on 3.11, so the hub does not depend on
it: this script unpacks the pinned wheel (pure Python, no install) and writes the table
as data. Re-run after a new release (change ``VERSION``) and review the diff::

    .venv/bin/python tools/vn_2025_communes.py            # downloads the wheel with pip
    .venv/bin/python tools/vn_2025_communes.py --wheel vietnam_provinces-2026.9.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

PACKAGE = "vietnam-provinces"
VERSION = "2026.9.0"
ROOT = Path(__file__).resolve().parent.parent
CODELISTS = ROOT / "schemas" / "codelists"
OUT = CODELISTS / "areas-VN-2025-communes.json"
OLD_PREFIX = "VN-GSO-2004:"  # codes of Decision 124/2004/QĐ-TTg, in force until 30 June 2025
NEW_PREFIX = "VN-GSO:"  # codes of Decision 19/2025/QĐ-TTg, from 1 July 2025
ENDED = "2025-06-30"
BEGAN = "2025-07-01"


def _wheel(given: str | None, into: Path) -> Path:
    if given:
        return Path(given)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.12",
         "-d", str(into), f"{PACKAGE}=={VERSION}"],
        check=True,
    )  # fmt: skip
    return next(into.glob("vietnam_provinces-*.whl"))


def build(wheel: Path, into: Path) -> dict[str, Any]:
    """The codelist document, from an unpacked wheel of the pinned release."""
    zipfile.ZipFile(wheel).extractall(into)
    sys.path.insert(0, str(into))
    import vietnam_provinces as vp
    from vietnam_provinces import Province, Ward
    from vietnam_provinces import _ward_conversion_2025 as conversion
    from vietnam_provinces.legacy import District as OldDistrict
    from vietnam_provinces.legacy import Ward as OldWard

    if vp.__version__ != VERSION:
        raise SystemExit(f"{wheel} is {PACKAGE} {vp.__version__}, not {VERSION}")
    merger = json.loads((CODELISTS / "areas-VN-2025-merger.json").read_text(encoding="utf-8"))
    iso_of = {it["gso_code"]: it["code"] for it in merger["items"]}  # old GSO province code -> ISO 3166-2

    items: list[dict[str, Any]] = []
    for d in sorted(OldDistrict.iter_all(), key=lambda d: int(d.code)):
        items.append(
            {
                "code": f"{OLD_PREFIX}{int(d.code):03d}",
                "name": d.name,
                "level": "district",
                "parent": iso_of[f"{int(d.province_code):02d}"],
                "valid_to": ENDED,
            }
        )
    for w in sorted(OldWard.iter_all(), key=lambda w: int(w.code)):
        entry = conversion.OLD_TO_NEW.get(int(w.code))
        item: dict[str, Any] = {
            "code": f"{OLD_PREFIX}{int(w.code):05d}",
            "name": w.name,
            "level": "commune",
            "parent": f"{OLD_PREFIX}{int(w.district_code):03d}",
            "valid_to": ENDED,
            "replaced_by": [f"{NEW_PREFIX}{n.code:05d}" for n in entry.new_wards] if entry else [],
        }
        if entry and entry.old_ward.is_partly_merged:
            item["split"] = True  # only part of it went to each successor
        items.append(item)
    for w in sorted(Ward.iter_all(), key=lambda w: int(w.code)):
        items.append(
            {
                "code": f"{NEW_PREFIX}{int(w.code):05d}",
                "name": w.name,
                "level": "commune",
                "parent": f"{NEW_PREFIX}{int(w.province_code):02d}",
                "valid_from": BEGAN,
            }
        )
    provinces = sorted(f"{NEW_PREFIX}{int(p.code):02d}" for p in Province.iter_all())
    return {
        "name": "areas-VN-2025-communes",
        "version": f"{vp.__data_version__}",
        "effective_from": BEGAN,
        "title": {
            "en": "Viet Nam districts and communes before 1 July 2025, today's communes, and the conversion table",
            "vi": "Đơn vị hành chính cấp huyện, cấp xã trước ngày 01/7/2025, cấp xã hiện nay và bảng chuyển đổi",
        },
        "source": (
            "National Statistics Office of Viet Nam: the code lists of administrative units (Decision "
            "124/2004/QĐ-TTg as amended, until 30 June 2025; Decision 19/2025/QĐ-TTg from 1 July 2025) and its "
            f"conversion table of new and old units ('{conversion.SOURCE}'), implementing the National Assembly "
            "Standing Committee's 2025 resolutions on the arrangement of commune-level units (one per province) "
            f"and Resolution 202/2025/QH15. Taken from the Python package {PACKAGE} {VERSION} (data retrieved "
            f"{vp.__data_version__}) by tools/vn_2025_communes.py. Old districts (3 digits) and communes (5 digits) "
            f"are '{OLD_PREFIX}' codes, today's communes 'VN-GSO:NNNNN' (several old codes were reused for other "
            "units, so the two code lists are kept apart); old districts' parent is the old province's ISO "
            "3166-2 code. 'replaced_by' lists the communes an old commune went to; 'split' marks one of which "
            "only a part went to each (its today's area is then the province)."
        ),
        "generated_from": {"package": PACKAGE, "version": VERSION, "data_version": vp.__data_version__},
        "provinces": provinces,
        "items": items,
    }


def write(doc: dict[str, Any], path: Path) -> None:
    """Laid out like every codelist (tests/schemas/test_codelists.py)."""
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help=f"a downloaded {PACKAGE} {VERSION} wheel (else pip downloads it)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        doc = build(_wheel(args.wheel, Path(tmp) / "wheel"), Path(tmp) / "unpacked")
    write(doc, Path(args.out))
    counts: dict[str, int] = {}
    for it in doc["items"]:
        key = f"{it['level']} {'old' if it['code'].startswith(OLD_PREFIX) else 'new'}"
        counts[key] = counts.get(key, 0) + 1
    print(f"{args.out}: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
