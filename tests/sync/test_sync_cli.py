"""``hub sync run|status|quarantine``: reports, one-line
errors, exit codes, the progress bar; and both real national files synced end to end."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub.cli import cli
from hub.store import locks
from hub.sync import sources
from tests.sync.test_csv_sources import csv_source, rows

CONFIG = Path(__file__).resolve().parents[2] / "config" / "sources"


def invoke(hub, monkeypatch, *args: str, **env: str) -> Any:  # type: ignore[no-untyped-def]
    s = hub.settings
    for key, value in {
        "DATABASE_URL": s.database_url,
        "INSTANCE_PATH": s.instance_path,
        "SECRET_KEY": s.secret_key,
        "SOURCES_DIR": s.sources_dir,
        "DATA_DIR": s.data_dir,
        **env,
    }.items():
        monkeypatch.setenv(f"HUB_{key}", value)
    return CliRunner().invoke(cli, list(args))


def files(shub, name: str = "files", text: str | None = None, extra: str = "") -> None:  # type: ignore[no-untyped-def]
    (Path(shub.settings.data_dir) / f"{name}.csv").write_text(text or rows(5), encoding="utf-8")
    (Path(shub.settings.sources_dir) / f"{name}.toml").write_text(
        csv_source(f'path = "{name}.csv"', name=name, extra=extra), encoding="utf-8")


def test_both_real_files_sync_with_a_clear_report(shub, shared_data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    env = {"SOURCES_DIR": str(CONFIG), "DATA_DIR": str(shared_data)}
    first = invoke(shub, monkeypatch, "sync", "run", **env)
    assert first.exit_code == 0, first.output
    lines = first.output.splitlines()
    assert re.match(
        r"th-songkhla-otop-revenue: succeeded in [\d.]+ s \([\d,]+ records/s\): fetched 90, created 80, "
        r"updated 0, unchanged 0, invalid 0, deleted 0, skipped 10, stale 0$",
        lines[0],
    ), lines[0]
    # every skipped row with its reason (the [[skip]] rule's)
    assert lines[1] == (
        "  skipped 10: city municipality, not a district (lies inside Mueang Songkhla or Hat Yai; reported as 0)"
    )
    assert re.match(
        r"vn-buudien-ocop-products: succeeded in [\d.]+ s \([\d,]+ records/s\): fetched 1851, "
        r"created 1851, updated 0, unchanged 0, invalid 0, deleted 0, skipped 0, stale 0$",
        lines[2],
    ), lines[2]
    assert lines[3:5] == ["  warning certifications.0 validity_unknown: 195",
                          "  warning origin.place area_unresolved: 137"]

    again = invoke(shub, monkeypatch, "sync", "run", **env)
    assert again.exit_code == 0
    assert again.output.count("note: the file is the one the last complete pass read") == 2
    reread = invoke(shub, monkeypatch, "sync", "run", "vn-buudien-ocop-products", "--restart", **env)
    assert "fetched 1851, created 0, updated 0, unchanged 1851" in reread.output
    dry = invoke(shub, monkeypatch, "sync", "run", "th-songkhla-otop-revenue", "--dry-run", **env)
    assert "dry run succeeded" in dry.output and "unchanged 80" in dry.output

    status = invoke(shub, monkeypatch, "sync", "status", **env)
    assert status.exit_code == 0
    assert "vn-buudien-ocop-products (csv, products VN): " in status.output
    assert "schedule 0 2 * * * (next " in status.output and "deletes report" in status.output
    assert "fetched 1851, created 0, updated 0, unchanged 1851" in status.output  # the last (non-dry) run


def test_unknown_sources_and_broken_files_are_one_line_errors(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub)
    unknown = invoke(shub, monkeypatch, "sync", "run", "nope")
    assert unknown.exit_code == 1
    assert unknown.output == "Error: unknown source 'nope' (known: files)\n"
    (Path(shub.settings.sources_dir) / "broken.toml").write_text("[source\n")
    mixed = invoke(shub, monkeypatch, "sync", "run")
    assert mixed.exit_code == 1  # the good source ran; the broken file is reported
    assert "files: succeeded" in mixed.output and "broken.toml: not valid TOML" in mixed.stderr
    assert "Traceback" not in mixed.output


def test_a_failed_run_exits_1_and_says_why(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub)
    (Path(shub.settings.data_dir) / "files.csv").unlink()
    result = invoke(shub, monkeypatch, "sync", "run", "files")
    assert result.exit_code == 1
    assert "files: failed" in result.output and "files.csv: file not found" in result.output
    status = invoke(shub, monkeypatch, "sync", "status", "files")
    assert "  error: " in status.output and "file not found" in status.output


def test_a_source_held_by_another_runner_is_not_run(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub)
    locks.acquire(shub.sessions, "source:files", 60, holder="elsewhere:1:x")
    result = invoke(shub, monkeypatch, "sync", "run", "files")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: files not run: source:files is held by elsewhere:1:x until ")
    assert "running now: elsewhere:1:x" in invoke(shub, monkeypatch, "sync", "status").output


def test_the_progress_bar_and_the_quarantine_listing(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub, text="ma,ten\n1,Gạo tám\n2,\n")
    result = invoke(shub, monkeypatch, "sync", "run", "--progress")
    assert result.exit_code == 0
    assert "[########################] 100%" in result.stderr and "2 fetched" in result.stderr
    assert "quarantined: 1 open (hub sync quarantine files)" in result.output
    listing = invoke(shub, monkeypatch, "sync", "quarantine", "files")
    assert listing.output.splitlines()[:4] == [
        "1 open entries, showing 1 from #1",
        "#1 files line 3 VN/products/f-2 mapping",
        "    name.vi: mapping: line 3 column 'ten' -> name.vi: required value is empty",
        '    payload: {"ma": "2", "ten": ""}',
    ]
    plain = invoke(shub, monkeypatch, "sync", "run", "--restart")
    assert "[" not in plain.stderr  # no bar when stderr is not a terminal


def test_the_quarantine_listing_pages_through_every_entry_and_says_how_many(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub, text="ma,ten\n" + "".join(f"{i},\n" for i in range(1, 6)))
    assert invoke(shub, monkeypatch, "sync", "run").exit_code == 0
    seen: list[str] = []
    args = ["sync", "quarantine", "files", "--limit", "2"]
    for _ in range(5):
        out = invoke(shub, monkeypatch, *args).output.splitlines()
        assert out[0].startswith("5 open entries, showing ")
        seen += [line.split()[0] for line in out[1:] if line.startswith("#")]
        if "next page:" not in out[0]:
            break
        args = out[0].split("next page: hub ")[1].split()
    assert seen == ["#5", "#4", "#3", "#2", "#1"]


def test_quarantine_keeps_no_dropped_or_personal_column(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub, text="ma,ten,phone,Số CCCD người bán\n2,,0912 345 678,012345678901\n",
          extra='drop = ["Số CCCD người bán"]')
    assert invoke(shub, monkeypatch, "sync", "run").exit_code == 0
    listing = invoke(shub, monkeypatch, "sync", "quarantine", "files", "--json").output
    assert '"payload": {"ma": "2", "ten": ""}' in listing
    assert "0912" not in listing and "012345678901" not in listing


@pytest.mark.parametrize("args", [["scheduler", "--once"]])
def test_the_scheduler_reports_broken_source_files_without_stopping(shub, monkeypatch, args) -> None:  # type: ignore[no-untyped-def]
    files(shub)
    (Path(shub.settings.sources_dir) / "broken.toml").write_text("[source\n")
    result = invoke(shub, monkeypatch, *args)
    assert result.exit_code == 0 and "sources run: 1" in result.output


def test_status_shows_the_run_history_without_a_sources_folder(shub, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files(shub)
    assert invoke(shub, monkeypatch, "sync", "run").exit_code == 0
    gone = invoke(shub, monkeypatch, "sync", "status", SOURCES_DIR=str(tmp_path / "not-installed"))
    assert gone.exit_code == 0, gone.output
    assert "no sources folder at" in gone.stderr
    assert gone.stdout.splitlines()[0] == "files: no source file"
    assert "last run #1 succeeded" in gone.output


def test_status_of_a_named_source_without_a_sources_folder_shows_its_runs(shub, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files(shub)
    assert invoke(shub, monkeypatch, "sync", "run").exit_code == 0
    gone = invoke(shub, monkeypatch, "sync", "status", "files", SOURCES_DIR=str(tmp_path / "not-installed"))
    assert gone.exit_code == 0, gone.output
    assert gone.stdout.splitlines()[0] == "files: no source file" and "last run #1 succeeded" in gone.output
    assert "example sources: hub sync examples" in gone.stderr
    unknown = invoke(shub, monkeypatch, "sync", "status", "nope", SOURCES_DIR=str(tmp_path / "not-installed"))
    assert unknown.exit_code == 1
    assert "Error: unknown source 'nope': no source file and no runs (known: files)" in unknown.stderr


def test_the_shipped_examples_are_listed_from_the_package(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    listed = invoke(shub, monkeypatch, "sync", "examples")
    assert listed.exit_code == 0, listed.output
    folder = Path(invoke(shub, monkeypatch, "sync", "examples", "--path").output.strip())
    assert folder == Path(sources.__file__).parent / "examples"
    for path in sorted(folder.glob("*.toml")):
        assert f"  {path.name}: {path.stem} (" in listed.output
    assert len(list(folder.glob("*.toml"))) == 7


def test_phone_numbers_and_e_mail_in_free_text_are_reported_for_a_person(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    files(shub, text="ma,ten\n1,Gạo tám - đặt hàng 0912 345 678\n2,Gạo ST25 lô 2024\n3,Mật ong (ban@htx.vn)\n")
    result = invoke(shub, monkeypatch, "sync", "run")
    assert result.exit_code == 0
    assert "  warning name.vi personal_data_suspected: 2" in result.stdout.splitlines()
