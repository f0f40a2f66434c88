"""Every input format from a file or a URL: workbooks as ministries publish them (title
rows, merged two-row headers, subtotals, several sheets), JSON documents with nested
batches, NDJSON, TSV, ODS; and the one-line errors of files that cannot be read."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from hub.sync import sources
from hub.sync.inputs import rows
from hub.sync.readers import FileOptions, SourceError
from tests.sync import shapes
from tests.sync.conftest import add_source, run, stored

EXAMPLES = sources.shipped_examples()


def example(shub, name: str) -> sources.Source:  # type: ignore[no-untyped-def]
    return add_source(shub, (EXAMPLES / f"{name}.toml").read_text(encoding="utf-8"), name)


def data(shub, name: str) -> Path:  # type: ignore[no-untyped-def]
    return Path(shub.settings.data_dir) / name


def test_the_recognition_appendix_workbook_maps_every_product_of_both_sheets(shub) -> None:  # type: ignore[no-untyped-def]
    shapes.vn_appendix_xlsx(data(shub, "vn-ocop-appendix-2024.xlsx"))
    result = run(shub, example(shub, "vn-daklak-ocop-appendix"))
    assert result.ok, result.error
    assert result.counts["created"] == 6
    assert result.counts["skipped"] == 8  # 3 district headings, 5 subtotal and total rows
    records = {doc["name"]["vi"]: doc for _, doc, _ in stored(shub).values()}
    assert set(records) == {"Cà phê rang xay Hòa Phong", "Mật ong hoa cà phê Yang Mao", "Cà phê bột nguyên chất Ea Tu",
                            "Cà phê hạt rang mộc Ea Tu", "Rượu cần Buôn Jun", "Thổ cẩm dệt tay M'nông"}
    honey = records["Mật ong hoa cà phê Yang Mao"]
    assert honey["id"] == "dl2024-to-hop-tac-yang-mao-mat-ong-hoa-ca-phe-yang-mao"
    assert honey["category"]["code"] == "1.2.2" and honey["certifications"][0]["rating"] == 4
    # the producer's cells are merged over two products: the second gets them too
    assert records["Cà phê hạt rang mộc Ea Tu"]["origin"]["place"].startswith("Xã Ea Tu")
    assert records["Rượu cần Buôn Jun"]["certifications"][0]["rating"] == 3


def test_reordered_rows_keep_their_ids(shub) -> None:  # type: ignore[no-untyped-def]
    path = shapes.vn_appendix_xlsx(data(shub, "vn-ocop-appendix-2024.xlsx"))
    first = [r["Tên sản phẩm"] for _, _, r in rows(path, FileOptions("xlsx", sheet="*", header_rows=2),
                                                      frozenset({"STT", "Tên sản phẩm"}))]
    assert run(shub, example(shub, "vn-daklak-ocop-appendix")).ok
    ids = set(stored(shub))
    shapes.FOUR_STARS[1], shapes.FOUR_STARS[2] = shapes.FOUR_STARS[2], shapes.FOUR_STARS[1]
    try:
        shapes.vn_appendix_xlsx(path)
        assert [r["Tên sản phẩm"] for _, _, r in rows(path, FileOptions("xlsx", sheet="*", header_rows=2),
                                                      frozenset({"STT", "Tên sản phẩm"}))] != first
        result = run(shub, example(shub, "vn-daklak-ocop-appendix"))
    finally:
        shapes.FOUR_STARS[1], shapes.FOUR_STARS[2] = shapes.FOUR_STARS[2], shapes.FOUR_STARS[1]
    assert result.ok and result.counts.get("created", 0) == 0 and set(stored(shub)) == ids


def test_a_given_header_row_and_one_sheet_by_name(tmp_path: Path) -> None:
    path = shapes.vn_appendix_xlsx(tmp_path / "a.xlsx")
    got = list(rows(path, FileOptions("xlsx", sheet="3 sao", header_row=5, header_rows=2)))
    assert [r["Tên sản phẩm"] for _, _, r in got][:2] == ["Huyện Lắk", "Rượu cần Buôn Jun"]
    assert got[1][1] == "sheet '3 sao' row 8" and got[1][2]["_sheet"] == "3 sao"
    assert got[1][2]["Kết quả đánh giá / Số điểm"] == "62"  # a whole number without ".0"
    with pytest.raises(SourceError, match="no sheet named 'Sheet9' \\(sheets: 4 sao, 3 sao\\)"):
        list(rows(path, FileOptions("xlsx", sheet="Sheet9")))
    with pytest.raises(SourceError, match="sheet '4 sao': no header row with Mã sản phẩm in the first"):
        list(rows(path, FileOptions("xlsx", header_rows=2), frozenset({"Mã sản phẩm"})))


def test_a_formula_is_read_as_its_stored_value_never_evaluated(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ma", "ten", "tong"])
    sheet.append(["1", "Gạo", "=1+1"])  # openpyxl stores no computed value: there is none to read
    book.save(tmp_path / "f.xlsx")
    (_, _, row), = rows(tmp_path / "f.xlsx", FileOptions("xlsx"), frozenset({"ma"}))
    assert row["tong"] == "" and row["ten"] == "Gạo"


def test_an_ods_workbook(shub) -> None:  # type: ignore[no-untyped-def]
    shapes.ods(data(shub, "p.ods"), [["Bảng kê"], [], ["ma", "ten"], [1, "Gạo ST25"], [2, "Nước mắm Phú Quốc"]])
    result = run(shub, add_source(shub, FILE.format(where='path = "p.ods"', extra="")))
    assert result.ok and result.counts["created"] == 2
    assert stored(shub)["VN/products/f-2"][1]["name"] == {"vi": "Nước mắm Phú Quốc"}


FILE = """
[source]
name = "src"
type = "file"
kind = "products"
country = "VN"
{where}
{extra}

[id]
template = "f-{{ma}}"

[fields."name.vi"]
from = "ten"
required = true

[fields."category.scheme"]
value = "VN-OCOP-2023"

[fields."category.code"]
value = "1.2.1"
"""


def test_tsv_and_ndjson_files_from_the_data_folder(shub) -> None:  # type: ignore[no-untyped-def]
    data(shub, "p.tsv").write_text("ma\tten\n1\tGạo, nếp\n", encoding="utf-8")
    assert run(shub, add_source(shub, FILE.format(where='path = "p.tsv"', extra=""))).counts["created"] == 1
    lines = [json.dumps({"ma": i, "ten": f"Gạo {i}"}, ensure_ascii=False) for i in range(2, 5)]
    data(shub, "p.ndjson").write_text("\n".join(lines) + "\n\n", encoding="utf-8")
    result = run(shub, add_source(shub, FILE.format(where='path = "p.ndjson"', extra="")))
    assert result.ok and result.counts["created"] == 3
    assert stored(shub)["VN/products/f-1"][1]["name"] == {"vi": "Gạo, nếp"}


def test_the_nested_portal_export_gives_each_product_its_batch(shub) -> None:  # type: ignore[no-untyped-def]
    shapes.vn_portal_json(data(shub, "vn-ocop-portal.json"))
    result = run(shub, example(shub, "vn-ocop-portal"))
    assert result.ok and result.counts["created"] == 3
    docs = {uid: doc for uid, (_, doc, _) in stored(shub).items()}
    cert = docs["VN/products/dl-2024-031"]["certifications"][0]
    assert {k: cert[k] for k in ("rating", "decision", "issued_on")} == \
        {"rating": 3, "decision": "2790/QĐ-UBND", "issued_on": "2024-12-02"}
    assert cert["issued_by"] == {"vi": "UBND tỉnh Đắk Lắk"}
    assert docs["VN/products/dl-2024-001"]["origin"]["area"] == "VN-GSO:66"


def test_a_json_document_at_a_url(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.files["export.json"] = json.dumps(shapes.PORTAL).encode()
    text = (EXAMPLES / "vn-ocop-portal.toml").read_text(encoding="utf-8")
    text = text.replace('path = "vn-ocop-portal.json"', f'url = "{fake.url}/files/export.json"')
    result = run(shub, add_source(shub, text, "vn-ocop-portal"))
    assert result.ok and result.counts["created"] == 3


def test_a_workbook_at_a_url(shub, fake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake.files["appendix.xlsx"] = shapes.vn_appendix_xlsx(tmp_path / "a.xlsx").read_bytes()
    text = (EXAMPLES / "vn-daklak-ocop-appendix.toml").read_text(encoding="utf-8")
    text = text.replace('path = "vn-ocop-appendix-2024.xlsx"', f'url = "{fake.url}/files/appendix.xlsx"')
    result = run(shub, add_source(shub, text, "appendix"))
    assert result.ok and result.counts["created"] == 6


@pytest.mark.parametrize("name, content, message", [
    ("bad.xlsx", b"PK\x03\x04 this is not a workbook", "not a readable"),
    ("bad.json", b'{"batches": [', "invalid JSON at line 1 column 14"),
    ("bad.ndjson", b'{"ma": 1, "ten": "a"}\n{"ma": 2,\n', "line 2: invalid JSON"),
])
def test_a_file_that_cannot_be_read_fails_the_run_with_one_line(shub, name, content, message) -> None:  # type: ignore[no-untyped-def]
    data(shub, name).write_bytes(content)
    extra = 'items = "batches.products"' if name.endswith(".json") else ""
    result = run(shub, add_source(shub, FILE.format(where=f'path = "{name}"', extra=extra)))
    assert not result.ok and message in (result.error or "") and name in (result.error or "")
    assert "\n" not in (result.error or "") and stored(shub) == {}


def test_a_zip_bomb_dressed_as_a_workbook_is_refused_unopened(shub) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(data(shub, "bomb.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (3 * 1024 * 1024))
    result = run(shub, add_source(shub, FILE.format(where='path = "bomb.xlsx"', extra="max_unzipped_mb = 2")))
    assert not result.ok and "unpacks to 3 MB, more than max_unzipped_mb = 2" in (result.error or "")


def test_a_broken_legacy_workbook_gives_one_line(tmp_path: Path) -> None:
    path = tmp_path / "old.xls"  # an OLE container's signature, then nothing usable
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    with pytest.raises(SourceError, match="old.xls: not a readable XLS workbook") as err:
        list(rows(path, FileOptions("xls")))
    assert "\n" not in str(err.value)


def test_a_header_that_no_longer_matches_names_the_missing_columns(shub) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ma", "ten_san_pham"])
    sheet.append(["1", "Gạo"])
    book.save(data(shub, "p.xlsx"))
    result = run(shub, add_source(shub, FILE.format(where='path = "p.xlsx"', extra="header_row = 1")))
    assert not result.ok and "ten" in (result.error or "") and "p.xlsx" in (result.error or "")


def test_format_options_that_do_not_fit_the_format_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FILE.format(where='path = "p.csv"', extra='items = "data"'), encoding="utf-8")
    with pytest.raises(sources.SourceConfigError, match="'items' does not apply to format 'csv'"):
        sources.load(path)


def test_the_thai_wide_monthly_table_is_one_source_with_a_record_per_month_cell(shub) -> None:  # type: ignore[no-untyped-def]
    shapes.th_monthly_sales_xlsx(data(shub, "th-otop-monthly-sales-2567.xlsx"))
    result = run(shub, example(shub, "th-otop-monthly-sales"))
    assert result.ok, result.error
    cells = sum(1 for months in shapes.TH_SALES.values() for m in months if m is not None)
    assert cells == 34 and result.counts["created"] == cells
    assert result.counts["skipped"] == 1  # the total row; the total column is not a month
    docs = {doc["id"]: doc for _, doc, _ in stored(shub, "indicators").values()}
    october = docs["otop-sales-sngkhla-t-kh-66"]
    assert october["period"] == {"start": "2023-10-01", "end": "2023-10-31", "label": "ต.ค. 66 (ปีงบประมาณ 2567)"}
    assert october["area"] == "TH-90" and october["value"] in ("12500000.5", 12500000.5)
    assert docs["otop-sales-hnongbawlamphu-k-y-67"]["period"]["end"] == "2024-09-30"
    assert docs["otop-sales-hnongbawlamphu-k-y-67"]["area"] == "TH-39"


def test_a_keyless_listing_gets_hash_ids_and_its_types_from_a_code_table(shub) -> None:  # type: ignore[no-untyped-def]
    shapes.th_listing_csv(data(shub, "th-otop-listing.csv"))
    shapes.th_types_csv(data(shub, "th-otop-types.csv"))
    result = run(shub, example(shub, "th-otop-listing"))
    assert result.ok and result.counts["created"] == len(shapes.TH_LISTING)
    docs = {doc["name"]["th"]: doc for _, doc, _ in stored(shub).values()}
    assert docs["ผ้ามัดหมี่ลายโบราณ"]["category"]["code"] == "textiles-apparel"
    assert docs["ผ้ามัดหมี่ลายโบราณ"]["origin"]["area"] == "TH-39"
    assert all(len(d["id"]) == 16 for d in docs.values())
    # a changed code table is a new pass, and a code it lacks fails that row only
    shapes.th_types_csv(data(shub, "th-otop-types.csv")).write_text("รหัส,ชื่อประเภท,หมวด\n01,อาหาร,food\n",
                                                                  encoding="utf-8")
    again = run(shub, example(shub, "th-otop-listing"))
    assert again.counts["invalid"] == 3 and again.counts["unchanged"] == 3


def test_lookup_mistakes_are_refused_when_the_mapping_loads(tmp_path: Path) -> None:
    text = (EXAMPLES / "th-otop-listing.toml").read_text(encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(text.replace("lookup:types:หมวด", "lookup:kinds:หมวด"), encoding="utf-8")
    with pytest.raises(sources.SourceConfigError, match=r"lookup 'kinds' is not declared \(\[lookups.kinds\]\)"):
        sources.load(path)
    path.write_text(text.replace('missing = "error"', 'missing = "warn"'), encoding="utf-8")
    with pytest.raises(sources.SourceConfigError, match="'missing' is 'error', 'warning' or 'empty'"):
        sources.load(path)


def test_an_inline_lookup_table_and_an_unpivot_by_listed_columns(shub) -> None:  # type: ignore[no-untyped-def]
    data(shub, "w.csv").write_text("ma,online,shop\n1,5,\n2,3,4\n", encoding="utf-8")
    extra = '''
[unpivot]
columns = ["online", "shop"]
header = "channel"
value = "n"
[lookups.channels]
rows = [{channel = "online", label = "Trực tuyến"}, {channel = "shop", label = "Cửa hàng"}]
key = "channel"
'''
    text = FILE.format(where='path = "w.csv"', extra="").replace('template = "f-{ma}"', 'template = "f-{ma}-{channel}"')
    text = text.replace('from = "ten"', 'from = "channel"\ntransforms = ["lookup:channels:label"]')
    result = run(shub, add_source(shub, text + extra))
    assert result.ok and result.counts["created"] == 3  # the empty cell makes no record
    assert stored(shub)["VN/products/f-2-shop"][1]["name"] == {"vi": "Cửa hàng"}


def test_a_dropped_column_cannot_be_read_by_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(FILE.format(where='path = "p.csv"', extra='drop = ["ten", "phone"]'), encoding="utf-8")
    with pytest.raises(sources.SourceConfigError, match="drop names column\\(s\\) ten that the mapping reads"):
        sources.load(path)


def test_personal_keys_of_a_nested_item_are_not_kept_in_its_raw_payload() -> None:
    from hub.sync.pages import scrub
    raw = {"code": "1", "owner": {"name": "HTX", "phone": "0912345678", "E-mail": "a@b.vn"}, "owner.mobile": "09"}
    assert scrub(raw, frozenset({"code"})) == {"owner": {"name": "HTX"}}


def test_a_password_protected_workbook_fails_the_run_with_one_line(shub, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import io

    from msoffcrypto.format.ooxml import OOXMLFile
    plain = shapes.vn_appendix_xlsx(tmp_path / "plain.xlsx")
    locked = io.BytesIO()
    with open(plain, "rb") as fh:
        OOXMLFile(fh).encrypt("mật khẩu", locked)
    data(shub, "vn-ocop-appendix-2024.xlsx").write_bytes(locked.getvalue())
    result = run(shub, example(shub, "vn-daklak-ocop-appendix"))
    assert not result.ok and stored(shub) == {}
    assert result.error is not None and "\n" not in result.error
    assert "vn-ocop-appendix-2024.xlsx: the workbook is password-protected" in result.error


def test_a_sheet_of_fifty_thousand_rows_is_read_to_its_last_row(tmp_path: Path) -> None:
    from openpyxl import Workbook as Book
    book = Book(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(["ma", "ten"])
    for i in range(50_000):
        sheet.append([i, f"Gạo {i}"])
    book.save(tmp_path / "big.xlsx")
    count = sum(1 for _ in rows(tmp_path / "big.xlsx", FileOptions("xlsx"), frozenset({"ma", "ten"})))
    assert count == 50_000


def test_row_numbers_make_ids_only_when_named_and_the_run_warns(shub) -> None:  # type: ignore[no-untyped-def]
    data(shub, "p.csv").write_text("ten\nGạo một\nGạo hai\n", encoding="utf-8")
    text = FILE.format(where='path = "p.csv"', extra="").replace('template = "f-{ma}"', 'template = "r-{_row}"')
    result = run(shub, add_source(shub, text))
    assert result.ok and set(stored(shub)) == {"VN/products/r-2", "VN/products/r-3"}
    assert any("changes the ids" in note for note in result.report["notes"])


def test_a_lookup_that_misses_a_key_can_warn_instead_of_failing_the_row(shub) -> None:  # type: ignore[no-untyped-def]
    shapes.th_listing_csv(data(shub, "th-otop-listing.csv"))
    data(shub, "th-otop-types.csv").write_text("รหัส,ชื่อประเภท,หมวด\n01,อาหาร,food\n", encoding="utf-8")
    text = (EXAMPLES / "th-otop-listing.toml").read_text(encoding="utf-8").replace(
        'missing = "error"', 'missing = "warning"').replace('transforms = ["lookup:types:หมวด"]',
                                                            'transforms = ["lookup:types:หมวด"]\ndefault = "food"')
    result = run(shub, add_source(shub, text, "th-otop-listing"))
    assert result.ok and result.counts["created"] == 6
    assert result.report["warnings"]["lookups.types lookup_missing"] == 3
