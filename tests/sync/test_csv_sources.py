"""CSV sources: a file or a URL; BOM and legacy encodings; conditional downloads;
truncated downloads; delete detection by policy, with its dry-run report; quarantine."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import sqlalchemy as sa

from hub.store.models import Record
from hub.store.syncruns import Quarantine, SourceItem
from tests.sync.conftest import add_source, revision_count, run, stored


def csv_source(where: str, name: str = "files", encoding: str = "utf-8-sig", extra: str = "") -> str:
    return f"""
[source]
name = "{name}"
type = "csv"
kind = "products"
country = "VN"
{where}
encoding = "{encoding}"
{extra}

[id]
template = "f-{{ma}}"

[fields."name.vi"]
from = "ten"
transforms = ["nfc", "collapse"]
required = true

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
value = "1.2.1"
"""


def rows(n: int, start: int = 0, suffix: str = "") -> str:
    return "ma,ten\n" + "".join(f"{i},Gạo nếp cái hoa vàng {i}{suffix}\n" for i in range(start, start + n))


def write(shub, name: str, text: str, encoding: str = "utf-8") -> Path:  # type: ignore[no-untyped-def]
    path = Path(shub.settings.data_dir) / name
    path.write_bytes(text.encode(encoding))
    return path


def test_a_file_in_the_data_folder_with_a_byte_order_mark(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", "\ufeff" + rows(3), "utf-8")
    result = run(shub, add_source(shub, csv_source('path = "p.csv"')))
    assert result.ok and result.counts["created"] == 3
    assert stored(shub)["VN/products/f-0"][1]["name"] == {"vi": "Gạo nếp cái hoa vàng 0"}


def windows_1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: vowel shapes precomposed (â, ơ, ư), tones as
    combining marks (the form legacy Vietnamese files have)."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text):
        if out and ch in "\u0302\u0306\u031b":
            out[-1] = unicodedata.normalize("NFC", out[-1] + ch)
        else:
            out.append(ch)
    return "".join(out).encode("cp1258")


def test_legacy_encodings_over_http_end_as_nfc_text(shub, fake) -> None:  # type: ignore[no-untyped-def]
    vn = rows(2)
    fake.files["vn.csv"] = windows_1258(vn)
    assert unicodedata.normalize("NFC", fake.files["vn.csv"].decode("cp1258")) == vn
    assert fake.files["vn.csv"].decode("cp1258") != vn
    result = run(shub, add_source(shub, csv_source(f'url = "{fake.url}/files/vn.csv"', encoding="cp1258")))
    assert result.ok and result.counts["created"] == 2
    name = stored(shub)["VN/products/f-1"][1]["name"]["vi"]
    assert name == "Gạo nếp cái hoa vàng 1" and unicodedata.is_normalized("NFC", name)

    fake.files["th.csv"] = "ma,ten\n7,ข้าวหอมมะลิ\n".encode("cp874")
    th = add_source(shub, csv_source(f'url = "{fake.url}/files/th.csv"', "th-file", "cp874"), "th-file")
    assert run(shub, th).ok
    assert stored(shub)["VN/products/f-7"][1]["name"]["vi"] == "ข้าวหอมมะลิ"


def test_a_wrong_encoding_fails_the_run_with_the_line(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", rows(3), "utf-8")
    result = run(shub, add_source(shub, csv_source('path = "p.csv"', encoding="ascii")))
    assert result.status == "failed"
    assert "line 2 (byte 0xe1) is not valid ascii text" in result.error
    assert stored(shub) == {}


def test_an_unchanged_file_is_not_read_again(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.files["p.csv"] = rows(3).encode()
    src = add_source(shub, csv_source(f'url = "{fake.url}/files/p.csv"'))
    assert run(shub, src).counts["created"] == 3
    again = run(shub, src)
    assert again.ok and again.counts["fetched"] == 0
    assert again.report["notes"] == ["not modified at the source (HTTP 304)"]
    assert [status for _, _, _, status in fake.requests("/files/p.csv")] == [200, 304]
    fake.files["p.csv"] = rows(4).encode()
    changed = run(shub, src)
    assert (changed.counts["created"], changed.counts["unchanged"]) == (1, 3)
    local = add_source(shub, csv_source('path = "q.csv"', name="local"), "local")
    write(shub, "q.csv", rows(2, 10))
    assert run(shub, local).counts["created"] == 2
    assert run(shub, local).report["notes"] == ["the file is the one the last complete pass read"]


def test_a_download_cut_short_is_fetched_again(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.files["p.csv"] = rows(200).encode()
    fake.fault("truncate")
    fake.fault("500")
    result = run(shub, add_source(shub, csv_source(f'url = "{fake.url}/files/p.csv"')))
    assert result.ok and result.counts["created"] == 200
    assert [status for _, _, _, status in fake.requests()] == [200, 500, 200]
    assert revision_count(shub) == 200


def test_a_missing_file_fails_in_one_line(shub) -> None:  # type: ignore[no-untyped-def]
    result = run(shub, add_source(shub, csv_source('path = "nowhere.csv"')))
    assert result.status == "failed" and result.error.endswith(
        f"nowhere.csv: file not found (data_dir is {shub.settings.data_dir})"
    )


def test_deletions_are_reported_then_applied_only_when_the_policy_allows(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", rows(10))
    report = add_source(shub, csv_source('path = "p.csv"', extra='deletes = "report"'))
    assert run(shub, report).counts["created"] == 10
    write(shub, "p.csv", rows(8))  # rows 8 and 9 are gone at the source

    dry = run(shub, report, dry_run=True)
    assert dry.dry_run and dry.counts["deleted"] == 2 and dry.counts["unchanged"] == 8
    assert dry.report["deletes"]["uids"] == ["VN/products/f-8", "VN/products/f-9"]

    reported = run(shub, report)
    assert reported.ok and reported.counts["deleted"] == 0
    assert reported.report["deletes"] == {
        "policy": "report",
        "candidates": 2,
        "of": 10,
        "uids": ["VN/products/f-8", "VN/products/f-9"],
        "applied": 0,
    }
    assert not any(deleted for _, _, deleted in stored(shub).values())

    apply = add_source(shub, csv_source('path = "p.csv"', extra='deletes = "apply"'))
    applied = run(shub, apply, restart=True)
    assert applied.ok and applied.counts["deleted"] == 2 and applied.report["deletes"]["applied"] == 2
    records = stored(shub)
    assert records["VN/products/f-9"][0] == 2 and records["VN/products/f-9"][2] is True  # a tombstone
    assert sum(1 for _, _, deleted in records.values() if deleted) == 2
    with shub.sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(SourceItem)) == 8
    assert run(shub, apply, restart=True).counts["deleted"] == 0  # nothing more to delete

    write(shub, "p.csv", rows(1))  # a file cut short must not wipe the source out
    refused = run(shub, apply)
    assert refused.status == "failed"
    assert refused.error.startswith("refusing to delete 7 of the source's 8 records (max_deletes = 50%)")
    assert sum(1 for _, _, deleted in stored(shub).values() if deleted) == 2

    never = add_source(shub, csv_source('path = "p.csv"', extra='deletes = "never"'))
    quiet = run(shub, never)
    assert quiet.ok and "deletes" not in quiet.report


def test_bad_rows_are_quarantined_and_settle_when_the_file_is_fixed(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", "ma,ten\n1,Gạo tám\n2,\n3,Gạo ba\n3,Gạo ba (bản khác)\nx y,Gạo lỗi\n")
    src = add_source(shub, csv_source('path = "p.csv"'))
    result = run(shub, src)
    assert result.ok and (result.counts["created"], result.counts["invalid"]) == (2, 3)
    with shub.sessions() as s:
        found = {(q.locator, q.status, q.errors[0]["code"]) for q in s.scalars(sa.select(Quarantine))}
    assert found == {("line 3", "mapping", "mapping"), ("line 5", "duplicate", "duplicate_in_source"),
                     ("line 6", "invalid", "pattern")}
    assert run(shub, src, restart=True).counts["invalid"] == 3  # stable: still the first "3" kept
    assert stored(shub)["VN/products/f-3"][0] == 1

    write(shub, "p.csv", "ma,ten\n1,Gạo tám\n2,Gạo hai\n3,Gạo ba\n")
    fixed = run(shub, src)
    assert fixed.ok and fixed.counts["created"] == 1
    with shub.sessions() as s:
        states = {(q.locator, q.resolution) for q in s.scalars(sa.select(Quarantine))}
        assert s.scalar(sa.select(sa.func.count()).select_from(Quarantine).where(Quarantine.resolved_at.is_(None))) == 0
    assert ("line 3", "written") in states and ("line 6", "superseded") in states


def test_the_same_id_on_two_pages_keeps_the_first(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", "ma,ten\n1,Gạo một\n2,Gạo hai\n1,Gạo một (bản sau)\n")
    src = add_source(shub, csv_source('path = "p.csv"', extra="batch_size = 2"))
    for _ in range(2):
        result = run(shub, src, restart=True)
        assert result.counts["invalid"] == 1
        assert stored(shub)["VN/products/f-1"][0] == 1  # no flip-flop between the two rows
    with shub.sessions() as s:
        codes = [q.errors[0]["code"] for q in s.scalars(sa.select(Quarantine))]
        assert codes == ["duplicate_in_source", "duplicate_in_source"]
        assert s.scalar(sa.select(sa.func.count()).select_from(Record)) == 2


def test_a_nul_byte_in_a_row_is_quarantined_on_every_engine(shub) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL stores no NUL, not even in the quarantined raw row: the run goes on."""
    write(shub, "p.csv", "ma,ten\n1,Gạo\x00 nếp\n2,Gạo tám\n")
    result = run(shub, add_source(shub, csv_source('path = "p.csv"')))
    assert result.counts["created"] == 1
    with shub.sessions() as s:
        [row] = s.scalars(sa.select(Quarantine)).all()
    assert row.uid == "VN/products/f-1" and "control_character" in str(row.errors)
    assert row.payload["ten"] == "Gạo\ufffd nếp"  # kept readable; PostgreSQL holds no NUL
