"""``python -m hub.sync FILE --show N`` checks every source type without a database, through
the write path's preview, and counts what a first real run then does."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.sync.__main__ import main
from tests.sync import shapes
from tests.sync.conftest import add_source, run
from tests.sync.fakes import api_item, json_source
from tests.sync.test_inputs import EXAMPLES

SHOWN = ("created", "invalid", "skipped")


def show(path: Path, data_dir: Path, n: int, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main([str(path), "--data-dir", str(data_dir), "--show", str(n)])
    return code, capsys.readouterr().out.splitlines()


def test_a_workbook_is_shown_and_counted_as_the_real_run_counts(shub, capsys) -> None:  # type: ignore[no-untyped-def]
    data = Path(shub.settings.data_dir)
    shapes.vn_appendix_xlsx(data / "vn-ocop-appendix-2024.xlsx")
    code, out = show(EXAMPLES / "vn-daklak-ocop-appendix.toml", data, 2, capsys)
    assert code == 0
    first = json.loads(out[0])
    assert first["name"] == {"vi": "Cà phê rang xay Hòa Phong"} and first["origin"] == {
        "place": "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk", "area": "VN-GSO:24478",
        "area_at_source": {"area": "VN-GSO-2004:24463", "on": "2024-10-15"}}
    assert out[2] == "vn-daklak-ocop-appendix: 14 items -> 6 created, 8 skipped"
    real = run(shub, add_source(shub, (EXAMPLES / "vn-daklak-ocop-appendix.toml").read_text(encoding="utf-8")))
    assert (real.counts["created"], real.counts["skipped"]) == (6, 8)


def test_problems_name_the_sheet_row_and_the_json_path(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    shapes.vn_portal_json(tmp_path / "vn-ocop-portal.json")
    text = (EXAMPLES / "vn-ocop-portal.toml").read_text(encoding="utf-8")
    (tmp_path / "p.toml").write_text(text.replace('keywords = ["rượu cần"]', 'keywords = ["rượu vang"]'),
                                     encoding="utf-8")
    code, out = show(tmp_path / "p.toml", tmp_path, 0, capsys)
    assert code == 1
    assert out[0] == "vn-ocop-portal: 3 items -> 2 created, 1 invalid"
    assert out[1] == "  $.batches[1].products[0] column 'name' -> category.code: required value is empty"


def test_a_download_and_a_json_api_are_checked_too(tmp_path: Path, fake, capsys) -> None:  # type: ignore[no-untyped-def]
    fake.files["appendix.xlsx"] = shapes.vn_appendix_xlsx(tmp_path / "a.xlsx").read_bytes()
    text = (EXAMPLES / "vn-daklak-ocop-appendix.toml").read_text(encoding="utf-8")
    (tmp_path / "u.toml").write_text(text.replace('path = "vn-ocop-appendix-2024.xlsx"',
                                                  f'url = "{fake.url}/files/appendix.xlsx"'), encoding="utf-8")
    code, out = show(tmp_path / "u.toml", tmp_path, 0, capsys)
    assert code == 0 and out == ["vn-daklak-ocop-appendix: 14 items -> 6 created, 8 skipped"]
    fake.items = [api_item(i) for i in range(25)]
    (tmp_path / "api.toml").write_text(json_source("api", fake.url + "/products"), encoding="utf-8")
    code, out = show(tmp_path / "api.toml", tmp_path, 1, capsys)
    assert code == 0 and out[1] == "api: 25 items -> 25 created"


def test_a_file_that_cannot_be_read_is_one_line_and_exit_2(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "vn-ocop-appendix-2024.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    assert main([str(EXAMPLES / "vn-daklak-ocop-appendix.toml"), "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "vn-ocop-appendix-2024.xlsx: not a readable" in err and err.count("\n") == 1
