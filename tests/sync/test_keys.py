"""Repeats of one key in one pass follow the source's ``repeats`` policy, and a record
another source wrote is not overwritten unless both sources are one ``group``."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from hub.store.syncruns import Quarantine
from tests.sync.conftest import add_source, run, stored
from tests.sync.test_csv_sources import csv_source


def write(shub, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    (Path(shub.settings.data_dir) / name).write_text(text, encoding="utf-8")


def entries(shub, source: str = "files") -> list[Quarantine]:  # type: ignore[no-untyped-def]
    with shub.sessions() as session:
        return list(session.scalars(sa.select(Quarantine).where(Quarantine.source == source)))


REPEATED = "ma,ten\n1,Gạo một\n2,Gạo hai\n1,Gạo một (bản khác)\n"


def test_a_differing_repeat_stays_open_in_quarantine_by_default(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", REPEATED)
    result = run(shub, add_source(shub, csv_source('path = "p.csv"')))
    assert result.counts["created"] == 2 and result.counts["invalid"] == 1
    assert stored(shub)["VN/products/f-1"][1]["name"] == {"vi": "Gạo một"}
    (entry,) = entries(shub)
    assert entry.resolved_at is None and entry.status == "duplicate"
    assert entry.payload == {"ma": "1", "ten": "Gạo một (bản khác)"} and "line 2" in entry.errors[0]["message"]


def test_repeats_first_or_last_decide_without_quarantine(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", REPEATED)
    first = run(shub, add_source(shub, csv_source('path = "p.csv"', extra='repeats = "first"')))
    assert first.counts["skipped"] == 1 and not entries(shub)
    assert stored(shub)["VN/products/f-1"][1]["name"] == {"vi": "Gạo một"}
    last = run(shub, add_source(shub, csv_source('path = "p.csv"', extra='repeats = "last"')), restart=True)
    assert last.counts["skipped"] == 1 and not entries(shub)
    assert stored(shub)["VN/products/f-1"][1]["name"] == {"vi": "Gạo một (bản khác)"}


def test_a_record_of_another_source_is_refused_unless_both_are_one_group(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "a.csv", "ma,ten\n1,Gạo từ nguồn A\n")
    write(shub, "b.csv", "ma,ten\n1,Gạo từ nguồn B\n")
    a = add_source(shub, csv_source('path = "a.csv"', name="a"), "a")
    b = add_source(shub, csv_source('path = "b.csv"', name="b"), "b")
    assert run(shub, a).counts["created"] == 1
    refused = run(shub, b)
    assert refused.counts["invalid"] == 1 and refused.report["warnings"]["id owned_by_other_source"] == 1
    assert stored(shub)["VN/products/f-1"][1]["name"] == {"vi": "Gạo từ nguồn A"}
    (entry,) = entries(shub, "b")
    assert entry.status == "conflict" and "written by source 'a'" in entry.errors[0]["message"]
    a = add_source(shub, csv_source('path = "a.csv"', name="a", extra='group = "vn-ocop"'), "a")
    b = add_source(shub, csv_source('path = "b.csv"', name="b", extra='group = "vn-ocop"'), "b")
    taken = run(shub, b, restart=True)
    assert taken.counts["updated"] == 1 and taken.report["warnings"]["id taken_over_in_group vn-ocop from a"] == 1
    assert stored(shub)["VN/products/f-1"][1]["name"] == {"vi": "Gạo từ nguồn B"}
