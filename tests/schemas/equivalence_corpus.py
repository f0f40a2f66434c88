"""The corpus that pins validation's behaviour, and the tool that records what it gives.

    .venv/bin/python -m tests.schemas.equivalence_corpus          # rewrite the expectations

The expectation file was written once from the validation before its speed-up (issue 17)
and is committed; ``test_equivalence.py`` checks that today's ``schemas.validate`` gives
exactly the recorded errors, warnings and content hashes (the hash of the canonical
normalised document, so equal hashes mean equal normalised records). Rewrite it only
for a deliberate change of the standard, and say which in the commit.

The corpus: the demo data (``hub/demo``), the two real national files mapped by the
shipped mappings (``config/sources``, read from ``HUB_DATA_DIR``), generated products
(``bench/generate.py``) and, from all of these, thousands of deterministic mutations
that make records invalid or odd in every way the standard checks (wrong types, missing
and unknown fields, personal data, bad codes, dates, areas, NFD text, control
characters, hub fields). The inputs are stored with their results, so the test does not
depend on the generators staying the same.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import random
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import schemas
from schemas.records import SCHEMAS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EXPECTED = HERE / "equivalence.json.gz"
TODAY = date(2026, 1, 15)
SEED = 17
UNHASHABLE = "unhashable"

# Values a mutation puts where a valid one was.
GARBAGE: tuple[Any, ...] = (
    None,
    "",
    "   ",
    0,
    -1,
    7,
    1.5,
    1e300,
    True,
    False,
    [],
    {},
    ["x"],
    {"en": "x"},
    "x" * 600,
    "bell\u0007text",
    "nul\x00",
    "2024-02-30",
    "2024-13-01",
    "2025-07-01T08:00:00",
    "1,234.50",
    "VN-99",
    "VN-27",
    "VN-GSO:99",
    "TH-90",
    "XX",
    "vn",
    "ＶＮ",
    "EN-gb",
    "english",
    "https://",
    "ftp://example.org/x",
    "http://example.org/ok",
    "VN/products/p1",
    "ZZ/products/p1",
    "VN/widgets/p1",
    "VN-OCOP",
    "PH-OTOP",
    "1.2.1",
    "99.9",
    "4006381333931",
    "4006381333932",
    "0901.21",
    "9801",
    "\ud800lone",
    "Ha\u0300 No\u0323i",
    "-bad id",
)
PERSONAL = ("phone", "Email", "national-id", "date_of_birth", "CCCD", "passport_number")
UNKNOWN = ("colour", "extra", "Name", "notes")


def demo() -> Iterator[tuple[str, Any]]:
    for kind in schemas.KINDS:
        for rec in json.loads((ROOT / "hub" / "demo" / f"{kind}.json").read_text(encoding="utf-8")):
            yield kind, rec


def mapped() -> Iterator[tuple[str, Any]]:
    """Records of the real national files, as the shipped mappings make them."""
    from hub.sync import mapping  # the tool may use the hub; the test reads the file only

    data = Path(os.environ.get("HUB_DATA_DIR") or ROOT.parent / "shared" / "data")
    for path in sorted((ROOT / "config" / "sources").glob("*.toml")):
        m = mapping.load(path)
        if not m.file(data).exists():
            raise SystemExit(f"{m.file(data)} is missing: set HUB_DATA_DIR")
        for row in m.read(data):
            if row.record is not None:
                yield m.kind, row.record


def generated(n: int) -> Iterator[tuple[str, Any]]:
    from bench.generate import products

    for rec in products(n, seed=SEED):
        yield "products", rec


def targeted() -> Iterator[tuple[str, Any]]:
    """Checks the mutations rarely reach: identifiers, scales, date order, units, marks."""
    base = next(generated(1))[1]
    cert = base["certifications"][0]
    over: list[dict[str, Any]] = (
        [{"gtin": g} for g in ("4006381333931", "4006381333932", "12345", "96385074", "0012345678905")]
        + [{"hs_code": h} for h in ("0901.21", "090121", "9801", "99012100", "0901211000", 901)]
        + [
            {"source_updated_at": t}
            for t in (
                "2025-07-01T08:00:00+07:00",
                "2025-07-01T08:00:00Z",
                "2025-07-01T08:00:00",
                "2025-07-01",
                "yesterday",
            )
        ]
        + [
            {"coordinates": c}
            for c in ({"lat": 10.5, "lon": 106.7}, {"lat": 91, "lon": 0}, {"lat": "x", "lon": 0}, {"lat": 1})
        ]
        + [
            {"certifications": [{**cert, "rating_max": 4}]},
            {"certifications": [{**cert, "rating": 6}]},
            {"certifications": [{**cert, "mark": "x"}]},
            {"certifications": [{**cert, "expires_on": "2020-01-01", "issued_on": "2021-01-01"}]},
            {"certifications": [{**cert, "rating": 2, "issued_on": "2025-01-01"}]},
            {"certifications": [{"scheme": "PH-OTOP", "mark": "OTOP"}, {"scheme": "PH-OTOP", "rating": 3}]},
            {"certifications": [{**cert, "band": 3, "active": True}], "category": {**base["category"], "common": "x"}},
            {"origin": {"area": "VN-27"}},
            {"origin": {"area": "TH-90"}},
            {"origin": {"place": "Tỉnh Quảng Nam"}},
            {"origin": {"place": "xã nowhere"}},
            {"origin": {}},
            {"images": ["http://example.org/a.jpg"] * 21},
            {"price": {"amount": "1e3", "currency": "VND"}},
            {"price": {"amount": -5, "currency": "VND"}},
            {"type": "service"},
            {"type": "gift"},
            {"url": "https://example.org/p"},
            {"programme": "VN/programmes/ocop"},
            {"producer": "VN/products/x"},
            {"producer": "ZZ/producers/x"},
        ]
    )
    for extra in over:
        yield "products", {**base, **extra}
    yield (
        "activities",
        {
            "id": "a1",
            "country": "VN",
            "type": "training",
            "name": {"en": "x"},
            "starts_on": "2024-06-02",
            "ends_on": "2024-06-01",
        },
    )
    yield (
        "partnerships",
        {
            "id": "p1",
            "country": "VN",
            "title": {"en": "x"},
            "type": "coordination-programme",
            "owner": "mard",
            "partners": [],
            "signed_on": "2024-06-02",
            "ends_on": "2024-06-01",
        },
    )
    for unit, currency in (("currency", None), ("count", None), ("currency", "THB"), ("currency", "XXX")):
        yield (
            "indicators",
            {
                "id": "i1",
                "country": "TH",
                "indicator": "sales-revenue",
                "area": "TH-90",
                "period": {"start": "2024-09-30", "end": "2023-10-01"},
                "value": "1",
                "unit": unit,
                **({"currency": currency} if currency else {}),
                "breakdown": {"district": "x" * 101, "": "y"},
            },
        )


def _containers(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        yield path, value
        for k, v in value.items():
            yield from _containers(v, (*path, k))
    elif isinstance(value, list):
        yield path, value
        for i, v in enumerate(value):
            yield from _containers(v, (*path, i))


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    elif path:
        yield path


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def mutate(kind: str, rec: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """One to three deterministic changes to a copy of ``rec``."""
    known = set(SCHEMAS[kind]().fields)
    out = copy.deepcopy(rec)
    for _ in range(rnd.choice((1, 1, 1, 2, 3))):
        how = rnd.randrange(10)
        leaves = list(_leaves(out))
        dicts = [c for _, c in _containers(out) if isinstance(c, dict)]
        if how <= 2 and leaves:  # a leaf gets a wrong or odd value
            _set(out, rnd.choice(leaves), copy.deepcopy(rnd.choice(GARBAGE)))
        elif how == 3 and leaves:  # a whole field gets one
            key = rnd.choice(list(out))
            out[key] = copy.deepcopy(rnd.choice(GARBAGE))
        elif how == 4:  # a field goes missing (nested or not)
            target = rnd.choice([d for d in dicts if d] or [out])
            if target:
                del target[rnd.choice(list(target))]
        elif how == 5:  # an unknown field, with a plain value
            rnd.choice(dicts)[rnd.choice(UNKNOWN)] = rnd.choice(("red", 3, None))
        elif how == 6:  # personal data inside the record (never inside an unknown field)
            inside = [c for p, c in _containers(out) if isinstance(c, dict) and (not p or p[0] in known)]
            rnd.choice(inside)[rnd.choice(PERSONAL)] = "0901234567"
        elif how == 7:  # every string in NFD, or upper case
            form = rnd.choice(("NFD", "upper"))
            for path in leaves:
                v = _get(out, path)
                if isinstance(v, str):
                    _set(out, path, unicodedata.normalize("NFD", v) if form == "NFD" else v.upper())
        elif how == 8:  # what the hub adds on read
            out.update(
                {
                    "uid": f"{out.get('country')}/x/{out.get('id')}",
                    "version": 3,
                    "content_hash": "0" * 64,
                    "warnings": [],
                    "review": "approved",
                }
            )
        else:  # a list doubled (repeats, lengths) or a text padded
            lists = [p for p, c in _containers(out) if isinstance(c, list) and p]
            if lists:
                path = rnd.choice(lists)
                _set(out, path, _get(out, path) * rnd.choice((2, 21)))
            elif leaves:
                path = rnd.choice(leaves)
                v = _get(out, path)
                if isinstance(v, str):
                    _set(out, path, f"  {v}\t")
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def corpus() -> list[tuple[str, Any]]:
    rnd = random.Random(SEED)
    base = [*demo(), *mapped(), *generated(1500), *targeted()]
    mutated = [(kind, mutate(kind, rec, rnd)) for kind, rec in (rnd.choice(base) for _ in range(3000))]
    every_kind = [(kind, mutate(kind, rec, rnd)) for kind, rec in base if kind != "products" for _ in range(3)]
    not_objects = [(kind, value) for kind in schemas.KINDS for value in (None, [], "x", 3, [{"id": "a"}])]
    return base + mutated + every_kind + not_objects


def outcome(kind: str, raw: Any) -> dict[str, Any]:
    """What validation gives for one input, in the stored form."""
    result = schemas.validate(kind, copy.deepcopy(raw), TODAY)
    digest = None
    if result.document is not None:
        try:
            digest = schemas.content_hash(result.document)
        except TypeError:  # a lone surrogate let through by a plain string field
            digest = UNHASHABLE
    return {
        "errors": [[f.path, f.code, f.message] for f in result.errors],
        "warnings": [[f.path, f.code, f.message] for f in result.warnings],
        "hash": digest,
    }


def load() -> list[dict[str, Any]]:
    with gzip.open(EXPECTED, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def main() -> None:
    rows = [{"kind": kind, "input": raw, **outcome(kind, raw)} for kind, raw in corpus()]
    text = json.dumps(rows, ensure_ascii=True, separators=(",", ":"))
    with gzip.GzipFile(EXPECTED, "wb", mtime=0) as fh:
        fh.write(text.encode())
    invalid = sum(1 for r in rows if r["errors"])
    print(f"{len(rows)} records ({invalid} invalid) -> {EXPECTED.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
