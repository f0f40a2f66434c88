"""The ``hub`` command: each operator command, and one clear line for each bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from tests import databases
from tests.conftest import product


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", databases.database_url(tmp_path, "cli"))
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), input=input, catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


def write(path: Path, records: list[dict]) -> str:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    return str(path)


def test_init_is_safe_to_repeat(run) -> None:  # type: ignore[no-untyped-def]
    again = run("init")
    assert again.exit_code == 0 and "0 member(s) added" in again.output


def test_import_reports_counts_and_line_numbers(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = write(tmp_path / "p.ndjson", [product(1), product(2, gtin="123"), product(3, country="TH")])
    res = run("import", "products", f, "--country", "VN")
    assert res.exit_code == 1
    assert "line 2 (VN/products/p2): error gtin: gtin: A GTIN has 8, 12, 13 or 14 digits." in res.output
    assert "line 3 (TH/products/p3): error country: forbidden" in res.output
    assert res.output.strip().splitlines()[-1] == "created 1, updated 0, unchanged 0, invalid 1, forbidden 1"
    ok = write(tmp_path / "ok.ndjson", [product(1)])
    res = run("import", "products", ok, "--country", "VN")
    assert res.exit_code == 0 and res.output.strip().endswith(
        "created 0, updated 0, unchanged 1, invalid 0, forbidden 0"
    )


def test_export_then_import_is_unchanged(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("members", "policy", "VN", "auto").exit_code == 0
    f = write(tmp_path / "p.json", [product(1), product(2, origin={"place": "Quảng Nam"})])
    assert run("import", "products", f, "--country", "VN").exit_code == 0
    exported = run("export", "products")
    lines = exported.output.splitlines()
    assert len(lines) == 3 and json.loads(lines[0])["uid"] == "VN/products/p1"
    assert json.loads(lines[2])["export"]["count"] == 2  # the trailer, skipped on import
    back = tmp_path / "back.ndjson"
    back.write_text(exported.output, encoding="utf-8")
    res = run("import", "products", str(back), "--country", "VN")
    assert res.output.strip().endswith("unchanged 2, invalid 0, forbidden 0")


def test_export_csv_and_jsonld(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("members", "policy", "VN", "auto")
    run("import", "products", write(tmp_path / "p.json", [product(1)]), "--country", "VN")
    csv_out = run("export", "products", "--format", "csv").output.splitlines()
    header = "\ufeffuid,version,review,hub_updated_at,content_hash,id,country,source_updated_at,"
    assert csv_out[0].startswith(header) and ",name.en,name.vi," in csv_out[0]
    assert csv_out[1].startswith("VN/products/p1,1,approved,")
    ld = json.loads(run("export", "products", "--format", "jsonld").output)["@graph"][0]
    assert ld["@type"] == "Product"
    assert ld["hasCertification"][0]["certificationRating"]["ratingValue"] == 4


def test_members_list_and_policy(run) -> None:  # type: ignore[no-untyped-def]
    listing = run("members", "list").output
    assert "VN  required" in listing and "TH  required" in listing
    assert run("members", "policy", "vn", "auto").output.strip() == "VN: review auto"
    assert "VN  auto" in run("members", "list").output
    res = run("members", "policy", "FR", "auto")
    assert res.exit_code == 1 and res.output.strip() == "Error: FR is not a member"


def test_audit_verify(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("import", "products", write(tmp_path / "p.json", [product(1)]), "--country", "VN")
    res = run("audit", "verify")
    assert res.exit_code == 0 and res.output.startswith("audit log intact: 1 entries")


@pytest.mark.parametrize(
    "args, message",
    [
        (("import", "products", "/nonexistent.ndjson", "--country", "VN"), "cannot read /nonexistent.ndjson"),
        (("import", "products", "x", "--country", "FR"), "FR is not a member"),
        (("import", "widgets", "x", "--country", "VN"), "'widgets' is not one of"),
    ],
)
def test_bad_input_is_one_line(run, args, message) -> None:  # type: ignore[no-untyped-def]
    res = run(*args)
    assert res.exit_code != 0 and message in res.output and "Traceback" not in res.output


def test_uninitialised_database_says_what_to_do(tmp_path: Path) -> None:
    env = {
        "HUB_DATABASE_URL": databases.database_url(tmp_path, "empty"),
        "HUB_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    res = subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", "members", "list"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert "Traceback" not in res.stderr and res.stderr.count("\n") == 1
    if databases.postgresql():  # an empty database on the server: its tables are missing
        assert res.returncode == 2 and res.stderr.strip().endswith("(run 'hub init' first)")
    else:  # no file: refused before anything is opened, and none is left behind
        assert res.returncode == 1
        assert res.stderr.startswith(f"Error: no database at {tmp_path / 'empty.sqlite3'}: run 'hub init'")
        assert not (tmp_path / "empty.sqlite3").exists()


def test_bad_config_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "hub.toml"
    bad.write_text("[hub\n")
    res = subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", "members", "list"],
        capture_output=True,
        text=True,
        env={"HUB_CONFIG": str(bad), "PATH": "/usr/bin:/bin", "HUB_INSTANCE_PATH": str(tmp_path)},
    )
    assert (
        res.returncode == 1 and res.stderr.startswith("Error: cannot read HUB_CONFIG") and res.stderr.count("\n") == 1
    )


def test_help_lists_each_command_once(run) -> None:  # type: ignore[no-untyped-def]
    names = [line.split()[0] for line in run("--help").output.split("Commands:")[1].splitlines() if line.strip()]
    assert "members" in names and "members-" not in names and len(names) == len(set(names))
