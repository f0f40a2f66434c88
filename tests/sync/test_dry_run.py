"""``python -m hub.sync MAPPING``: the newcomer's check of a mapping, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.sync.__main__ import main

MAPPING = """
[source]
name = "demo"
kind = "products"
country = "VN"
path = "demo.csv"

[id]
template = "d-{id}"

[fields."name.vi"]
from = "name"

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
from = "name"
rules = [{ code = "1.2.1", keywords = ["gạo"] }]

[fields."price.amount"]
from = "price"
transforms = ["number"]

[fields."price.currency"]
value = "VND"
when = "price.amount"

[fields.origin]
from = "origin"
transforms = ["nfc", "area:VN"]
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "demo.toml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "demo.csv").write_text(
        "id,name,price,origin\n"
        '1,Gạo ST25,"120,000",Sóc Trăng\n'
        "2,Gạo lứt,90000,Xã Mỹ Lâm\n"
        "3,Mật ong,50000,\n"
        "4,Gạo nếp,5O000,\n",
        encoding="utf-8",
    )
    return tmp_path


def test_a_dry_run_reports_counts_warnings_and_problems(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(files / "demo.toml"), "--data-dir", str(files), "--show", "1"])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == (
        '{"id": "d-1", "country": "VN", "name": {"vi": "Gạo ST25"}, "category": {"scheme": '
        '"VN-OCOP-2023", "code": "1.2.1"}, "price": {"amount": "120000", "currency": "VND"}, '
        '"origin": {"place": "Sóc Trăng", "area": "VN-GSO:92"}}'
    )
    assert out[1:] == [
        "demo: 4 items -> 2 created, 2 invalid",
        "  warning origin.place area_unresolved: 1",
        "  line 5 column 'price' -> price.amount: '5O000' is not a number (decimal mark '.')",
        "  line 4 (VN/products/d-3): invalid category.code: required: Missing data for required field.",
    ]


def test_a_dry_run_of_an_unusable_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.toml").write_text('[source]\nname = "x"\n', encoding="utf-8")
    assert main([str(tmp_path / "bad.toml")]) == 2
    assert "needs 'kind'" in capsys.readouterr().err
