"""``python -m schemas validate``: offline validation for partner countries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import product


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "schemas", *args], capture_output=True, text=True)


def test_validates_ndjson_and_reports_line_numbers(tmp_path: Path) -> None:
    f = tmp_path / "p.ndjson"
    f.write_text("\n".join([json.dumps(product(1)), "{not json", json.dumps(product(2, gtin="1"))]) + "\n")
    res = run("validate", "products", str(f))
    assert res.returncode == 1
    assert "line 2: $: json:" in res.stdout
    assert "line 3 (p2): error gtin: gtin:" in res.stdout
    assert res.stdout.strip().endswith("1 valid, 2 invalid")


def test_valid_json_array_exits_zero(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps([product(1), product(2)]))
    res = run("validate", "products", str(f), "--quiet")
    assert res.returncode == 0 and res.stdout.strip() == "2 valid, 0 invalid"


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    res = run("validate", "products", str(tmp_path / "none.json"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "cannot read" in res.stderr


def test_standard_stands_alone() -> None:
    code = (
        "import sys, schemas; schemas.validate('products', {}); "
        "sys.exit(any(m.split('.')[0] in ('hub', 'flask', 'sqlalchemy') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_a_one_line_records_document_reports_the_record_index_and_json_path(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"records": [product(1), product(2, gtin="1")]}))
    res = run("validate", "products", str(f))
    assert res.returncode == 1
    assert "record 2 ($.records[1]) (p2): error gtin: gtin:" in res.stdout
    assert "line" not in res.stdout


def test_a_json_array_reports_the_array_index(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps([product(1, gtin="1")]))
    assert "record 1 ($[0]) (p1): error gtin" in run("validate", "products", str(f)).stdout
