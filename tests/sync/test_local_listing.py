"""The keyless Thai listing at scale (3,000 product rows by local government, district and
province, tests/sync/shapes.py) through one source file
(hub/sync/examples/th-otop-local-listing.toml): every row is written, quarantined
with its reason, or skipped with its reason, none silently lost; ids come from a hash of
named columns, so a reordered (and renumbered) file keeps them; product types come from
word-segmented keyword rules, right where plain substrings misfire."""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from pathlib import Path

from hub.store import syncruns
from hub.sync import sources
from hub.sync.pages import REPEATED
from tests.sync import shapes
from tests.sync.conftest import add_source, run, stored

EXAMPLE = sources.shipped_examples() / "th-otop-local-listing.toml"
NAME = "th-otop-local-listing"


def load(shub, listed: list[shapes.Listed]):  # type: ignore[no-untyped-def]
    path = shapes.th_local_listing_csv(Path(shub.settings.data_dir) / f"{NAME}.csv", listed)
    return path, add_source(shub, EXAMPLE.read_text(encoding="utf-8"), NAME)


def place(row: dict[str, str]) -> tuple[str, str]:
    return row["ชื่อผลิตภัณฑ์"], f"{row['อปท.']} {row['อำเภอ']} {row['จังหวัด']}"


def by_place(shub) -> dict[tuple[str, str], tuple[str, dict]]:  # type: ignore[no-untyped-def]
    return {(doc["name"]["th"], doc["origin"]["place"]): (uid, doc) for uid, (_, doc, _) in stored(shub).items()}


def naive(rules: list[dict], text: str) -> str | None:
    """What the rules would pick if a keyword were a plain substring."""
    return next((r["code"] for r in rules if any(k in text for k in r["keywords"])), None)


def test_every_row_of_the_keyless_listing_is_written_quarantined_or_skipped_with_its_reason(shub) -> None:  # type: ignore[no-untyped-def]
    listed = shapes.th_local_listing()
    path, source = load(shub, listed)
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines()[1:] if line.strip()]
    assert len(lines) == len(listed) and len(listed) >= 3000
    result = run(shub, source)
    assert result.ok, result.error
    counts, want = result.counts, Counter(item.outcome for item in listed)
    # rows in = records written + quarantined + skipped with a reason
    assert counts["fetched"] == len(listed)
    assert counts["created"] + counts["unchanged"] + counts["invalid"] + counts["skipped"] == len(listed)
    repeats = sum(1 for item in listed if item.why == REPEATED)
    # an identical row again is skipped in its page (or unchanged when a page ends between the two)
    assert counts["created"] == want["written"] and counts["unchanged"] + counts["skipped"] == want["skipped"]
    reasons = result.report["skipped"]
    assert sum(reasons.values()) == counts["skipped"]
    assert reasons["subtotal row"] == sum(1 for item in listed if item.why == "subtotal row")
    assert reasons.get(REPEATED, 0) + counts["unchanged"] == repeats > 0

    # every quarantined row is the one expected, with its reason, and without the phone column
    with shub.sessions() as s:
        entries, more = syncruns.quarantine(s, NAME, limit=len(listed))
    assert more is None and len(entries) == counts["invalid"] == want["quarantined"]
    for entry in entries:
        assert entry.locator.startswith("line ")
        expected = listed[int(entry.locator.split()[1]) - 2]
        assert expected.outcome == "quarantined", entry.locator
        assert expected.why in str(entry.errors), (entry.locator, entry.errors)
        assert "โทรศัพท์" not in entry.payload and entry.payload["ชื่อผลิตภัณฑ์"] == expected.row["ชื่อผลิตภัณฑ์"]
    assert {why for item in listed if item.outcome == "quarantined" for why in [item.why]} == {
        "required value is empty",  # no rule's word in the name or the description
        "not an area of TH",  # a misspelt province
        "duplicate_in_source",  # the same product and place again, with another description
    }

    # every written record has the type its name (or description) says, and its area
    records = by_place(shub)
    written = [item for item in listed if item.outcome == "written"]
    assert len(records) == len(written)
    for item in written:
        _, doc = records[place(item.row)]
        assert doc["category"] == {"scheme": "TH-OTOP", "code": item.category}, item.row["ชื่อผลิตภัณฑ์"]
        assert doc["origin"]["area"].startswith("TH-") and "phone" not in str(doc)
    flagged = sum(1 for item in written if item.flagged)
    assert result.report["warnings"] == {"description.th personal_data_suspected": flagged}


def test_names_where_plain_substrings_misfire_get_the_type_of_their_words(shub) -> None:  # type: ignore[no-untyped-def]
    rules = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["fields"]["category.code"]["rules"]
    misfiring = {name: code for name, _, code in shapes.TH_PRODUCTS if code and naive(rules, name) != code}
    for tricky in ("น้ำพริกเผาชาววัง", "ชามเบญจรงค์", "เสื่อกกหมู่บ้านทุ่งกุลา", "หมอนยางพารา", "กล้วยไม้ประดิษฐ์"):
        assert tricky in misfiring
    assert len(misfiring) >= 10
    listed = shapes.th_local_listing()
    _, source = load(shub, listed)
    assert run(shub, source).ok
    found: dict[str, set[str]] = {}
    for (name, _), (_, doc) in by_place(shub).items():
        base = name.rsplit(" ", 1)[0]
        if base in misfiring:
            found.setdefault(base, set()).add(doc["category"]["code"])
    assert found == {name: {code} for name, code in misfiring.items()}
    # มัดหมี่ (ikat) holds หมี่ (noodles) as a word too: the textiles rule comes first
    assert {d["category"]["code"] for (n, _), (_, d) in by_place(shub).items() if "มัดหมี่" in n} == {
        "textiles-apparel"
    }


def test_a_reordered_and_renumbered_listing_keeps_every_id(shub) -> None:  # type: ignore[no-untyped-def]
    listed = shapes.th_local_listing()
    _, source = load(shub, listed)
    assert run(shub, source).ok
    before = {key: uid for key, (uid, _) in by_place(shub).items()}
    shuffled = listed[:]
    random.Random(7).shuffle(shuffled)
    renumbered = [
        shapes.Listed({**item.row, "ลำดับ": str(n) if item.row["ลำดับ"] else ""}, item.outcome, item.category, item.why)
        for n, item in enumerate(shuffled, 1)
    ]
    numbers = {place(item.row): item.row["ลำดับ"] for item in listed if item.row["ลำดับ"]}
    moved = sum(1 for item in renumbered if item.row["ลำดับ"] and numbers[place(item.row)] != item.row["ลำดับ"])
    assert moved > 0.9 * len(numbers)  # ลำดับ is no key: nearly every product has another number now
    _, source = load(shub, renumbered)
    again = run(shub, source)
    assert again.ok and again.counts["created"] == 0
    # a product delivered twice with two descriptions may now come first in its other version
    differing = sum(1 for item in listed if item.why == "duplicate_in_source")
    assert again.counts["updated"] <= differing
    after = {key: uid for key, (uid, _) in by_place(shub).items()}
    assert after == before
