"""A dry run goes through the write path's preview: its counts are those of the real run."""

from __future__ import annotations

from hub.sync.__main__ import main
from tests.sync.conftest import add_source, revision_count, run
from tests.sync.test_csv_sources import csv_source, rows, write

SHOWN = ("fetched", "created", "updated", "unchanged", "invalid", "deleted", "skipped")


def test_a_dry_run_counts_what_the_real_run_then_does(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", rows(6))
    source = add_source(shub, csv_source('path = "p.csv"', extra='deletes = "apply"'))
    run(shub, source)
    write(shub, "p.csv", rows(2) + "".join(rows(3, 2, " mới").splitlines(True)[1:]) + "9,\n")
    before = revision_count(shub)
    dry = run(shub, source, dry_run=True)
    assert revision_count(shub) == before
    real = run(shub, source)
    assert (
        {k: dry.counts[k] for k in SHOWN}
        == {k: real.counts[k] for k in SHOWN}
        == {"fetched": 6, "created": 0, "updated": 3, "unchanged": 2, "invalid": 1, "deleted": 1, "skipped": 0}
    )


def test_a_dry_run_of_a_country_that_is_not_a_member_finds_what_the_run_refuses(shub) -> None:  # type: ignore[no-untyped-def]
    write(shub, "p.csv", rows(3))
    source = add_source(shub, csv_source('path = "p.csv"').replace('country = "VN"', 'country = "US"'))
    dry = run(shub, source, dry_run=True)
    assert dry.counts["invalid"] == 3 and dry.counts["created"] == 0
    assert "not a member" in dry.report["problems"][0]
    real = run(shub, source)
    assert real.counts["invalid"] == 3 and real.counts["created"] == 0


def test_the_mapping_check_refuses_a_country_that_is_not_a_member(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "p.csv").write_text(rows(2), encoding="utf-8")
    (tmp_path / "us.toml").write_text(
        csv_source('path = "p.csv"').replace('country = "VN"', 'country = "US"'), encoding="utf-8"
    )
    assert main([str(tmp_path / "us.toml"), "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 items -> 2 invalid" in out and "forbidden country: not_member: US is not a member" in out
