"""Fixture files in the shapes national programmes publish, written by the tests (no real
personal data: names of places are real, producers and products are made up).

- :func:`vn_appendix_xlsx`: a provincial OCOP recognition appendix: title rows, a merged
  two-row header, STT numbers, district group rows (I, II), subtotal rows, a producer cell
  merged over two products, and two sheets (4 and 3 stars);
- :func:`vn_portal_json`: a portal's JSON export with recognition batches, each holding
  its products;
- :func:`th_monthly_sales_xlsx`: a Thai wide table of OTOP sales by province, one column
  per month of fiscal year 2567 ("ต.ค. 66" ... "ก.ย. 67"), a total column and a total row;
- :func:`th_listing_csv` and :func:`th_types_csv`: a keyless listing of products by
  sub-district, district and province (as a spreadsheet exports it), and the code table
  of product types it refers to, in a second file;
- :func:`ods`: the smallest OpenDocument spreadsheet a test needs (LibreOffice's format).

``python -m tests.sync.shapes FOLDER`` writes them all, to look at them.
"""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook

TITLE = ["UBND TỈNH ĐẮK LẮK", "PHỤ LỤC",
         "Danh sách sản phẩm đạt chứng nhận OCOP năm 2024 (Kèm theo Quyết định số 2345/QĐ-UBND ngày 15/10/2024)"]
TOP = ["STT", "Tên sản phẩm", "Chủ thể", None, "Kết quả đánh giá", None, "Ghi chú"]
SUB = [None, None, "Tên chủ thể", "Địa chỉ", "Số điểm", "Hạng sao", None]

FOUR_STARS: list[list[Any]] = [
    ["I", "Huyện Krông Bông", None, None, None, None, None],
    [1, "Cà phê rang xay Hòa Phong", "HTX Nông nghiệp Hòa Phong",
     "Thôn 4, xã Hòa Phong, huyện Krông Bông, tỉnh Đắk Lắk", 78, "4 sao", None],
    [2, "Mật ong hoa cà phê Yang Mao", "Tổ hợp tác Yang Mao", "Buôn Cham, xã Yang Mao, huyện Krông Bông, tỉnh Đắk Lắk",
     74.5, "4 sao", "Đánh giá lại"],
    [None, "Cộng huyện Krông Bông", None, None, None, "2 sản phẩm", None],
    ["II", "Thành phố Buôn Ma Thuột", None, None, None, None, None],
    [3, "Cà phê bột nguyên chất Ea Tu", "Công ty TNHH Cà phê Ea Tu", "Xã Ea Tu, thành phố Buôn Ma Thuột, tỉnh Đắk Lắk",
     81, "4 sao", None],
    [4, "Cà phê hạt rang mộc Ea Tu", None, None, 80, "4 sao", None],  # producer merged from the row above
    [None, "Cộng TP. Buôn Ma Thuột", None, None, None, "2 sản phẩm", None],
    [None, "Tổng cộng", None, None, None, "4 sản phẩm", None],
]
THREE_STARS: list[list[Any]] = [
    ["I", "Huyện Lắk", None, None, None, None, None],
    [1, "Rượu cần Buôn Jun", "HTX Du lịch Buôn Jun", "Buôn Jun, thị trấn Liên Sơn, huyện Lắk, tỉnh Đắk Lắk",
     62, "3 sao", None],
    [2, "Thổ cẩm dệt tay M'nông", "Tổ hợp tác dệt thổ cẩm Buôn Jun",
     "Buôn Jun, thị trấn Liên Sơn, huyện Lắk, tỉnh Đắk Lắk", 55, "3 sao", None],
    [None, "Cộng huyện Lắk", None, None, None, "2 sản phẩm", None],
    [None, "Tổng cộng", None, None, None, "2 sản phẩm", None],
]


def vn_appendix_xlsx(path: Path) -> Path:
    """The appendix workbook (sheets "4 sao" and "3 sao"); the header is on rows 5-6."""
    book = Workbook()
    for index, (title, body) in enumerate((("4 sao", FOUR_STARS), ("3 sao", THREE_STARS))):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title
        for r, text in enumerate(TITLE, 1):
            sheet.cell(r, 1, text)
            sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=7)
        for c, (top, sub) in enumerate(zip(TOP, SUB), 1):
            if top is not None:
                sheet.cell(5, c, top)
            if sub is not None:
                sheet.cell(6, c, sub)
        for col in ("A", "B", "G"):
            sheet.merge_cells(f"{col}5:{col}6")
        sheet.merge_cells("C5:D5")
        sheet.merge_cells("E5:F5")
        for r, values in enumerate(body, 7):
            for c, value in enumerate(values, 1):
                if value is not None:
                    sheet.cell(r, c, value)
        if body is FOUR_STARS:  # one producer, two products: the producer's cells are merged
            sheet.merge_cells("C12:C13")
            sheet.merge_cells("D12:D13")
    book.save(path)
    return path


PORTAL = {
    "exported_at": "2025-01-06T08:00:00+07:00",
    "province": "Đắk Lắk",
    "batches": [
        {"decision_no": "2345/QĐ-UBND", "decision_date": "2024-10-15", "authority": "UBND tỉnh Đắk Lắk",
         "stars": 4, "products": [
             {"code": "DL-2024-001", "name": "Cà phê rang xay Hòa Phong",
              "owner": {"name": "HTX Nông nghiệp Hòa Phong"}},
             {"code": "DL-2024-002", "name": "Mật ong hoa cà phê Yang Mao", "owner": {"name": "Tổ hợp tác Yang Mao"}},
         ]},
        {"decision_no": "2790/QĐ-UBND", "decision_date": "2024-12-02", "authority": "UBND tỉnh Đắk Lắk",
         "stars": 3, "products": [
             {"code": "DL-2024-031", "name": "Rượu cần Buôn Jun", "owner": {"name": "HTX Du lịch Buôn Jun"}},
         ]},
        {"decision_no": "2801/QĐ-UBND", "decision_date": "2024-12-20", "authority": "UBND tỉnh Đắk Lắk",
         "stars": 3, "products": []},
    ],
}


def vn_portal_json(path: Path) -> Path:
    path.write_text(json.dumps(PORTAL, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def ods(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    """A one-sheet ODS file (the OpenDocument zip: mimetype first, stored, then content.xml)."""
    def cell(value: Any) -> str:
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p>' \
                   "</table:table-cell>"
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'
    body = "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
               f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">{body}'
               "</table:table></office:spreadsheet></office:body></office:document-content>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
                'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                "</manifest:manifest>")
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return path


TH_MONTHS = ["ต.ค. 66", "พ.ย. 66", "ธ.ค. 66", "ม.ค. 67", "ก.พ. 67", "มี.ค. 67", "เม.ย. 67", "พ.ค. 67", "มิ.ย. 67",
             "ก.ค. 67", "ส.ค. 67", "ก.ย. 67"]
#: province -> monthly sales in baht (None: not reported that month)
TH_SALES: dict[str, list[float | None]] = {
    "สงขลา": [12_500_000.5, 11_200_000, 13_050_000, 9_800_000, 10_100_000, 12_000_000, 14_250_000, 9_000_000,
              8_750_000, 9_900_000, 10_400_000, 15_600_000],
    "หนองบัวลำภู": [2_100_000, 1_950_000, None, 2_300_000, 2_050_000, 1_800_000, 2_600_000, 1_700_000, 1_650_000,
                    1_900_000, 2_000_000, 2_750_000],
    "เชียงใหม่": [25_000_000, 27_500_000, 31_000_000, 22_000_000, 21_000_000, 20_500_000, 26_000_000, 18_000_000,
                  17_500_000, 19_000_000, 21_500_000, None],
}


def th_monthly_sales_xlsx(path: Path) -> Path:
    """Title and unit rows, then ลำดับ, จังหวัด, 12 month columns and รวม; a total row at the end."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "ยอดจำหน่าย"
    sheet.append(["ยอดจำหน่ายผลิตภัณฑ์ OTOP รายเดือน ปีงบประมาณ 2567"])
    sheet.append(["หน่วย: บาท"])
    sheet.append(["ลำดับ", "จังหวัด", *TH_MONTHS, "รวม"])
    for n, (province, months) in enumerate(TH_SALES.items(), 1):
        sheet.append([n, province, *months, sum(m or 0 for m in months)])
    totals = [sum((v[i] or 0) for v in TH_SALES.values()) for i in range(12)]
    sheet.append([None, "รวมทั้งสิ้น", *totals, sum(totals)])
    book.save(path)
    return path


#: (product, sub-district, district, province, type code): no key column
TH_LISTING = [
    ("ข้าวหอมมะลิอินทรีย์", "ต.หนองบัว", "อ.เมืองหนองบัวลำภู", "จ.หนองบัวลำภู", "01"),
    ("ผ้ามัดหมี่ลายโบราณ", "ต.นาคำไฮ", "อ.เมืองหนองบัวลำภู", "จ.หนองบัวลำภู", "03"),
    ("น้ำพริกเผาชาววัง", "ต.บ่อยาง", "อ.เมืองสงขลา", "จ.สงขลา", "01"),
    ("หมี่กรอบโบราณ", "ต.บ่อยาง", "อ.เมืองสงขลา", "จ.สงขลา", "01"),
    ("ชาสมุนไพรใบหม่อน", "ต.สุเทพ", "อ.เมืองเชียงใหม่", "จ.เชียงใหม่", "02"),
    ("ร่มบ่อสร้าง", "ต.ต้นเปา", "อ.สันกำแพง", "จ.เชียงใหม่", "04"),
]
TH_TYPES = [("01", "อาหาร", "food"), ("02", "เครื่องดื่ม", "beverages"), ("03", "ผ้า เครื่องแต่งกาย", "textiles-apparel"),
            ("04", "ของใช้ ของตกแต่ง ของที่ระลึก", "utensils-decorations-souvenirs")]


def th_listing_csv(path: Path) -> Path:
    lines = ["ชื่อผลิตภัณฑ์,ตำบล,อำเภอ,จังหวัด,ประเภท"] + [",".join(row) for row in TH_LISTING]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def th_types_csv(path: Path) -> Path:
    lines = ["รหัส,ชื่อประเภท,หมวด"] + [",".join(row) for row in TH_TYPES]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [vn_appendix_xlsx(folder / "vn-ocop-appendix-2024.xlsx"), vn_portal_json(folder / "vn-ocop-portal.json"),
            th_monthly_sales_xlsx(folder / "th-otop-monthly-sales-2567.xlsx"),
            th_listing_csv(folder / "th-otop-listing.csv"), th_types_csv(folder / "th-otop-types.csv")]


if __name__ == "__main__":  # pragma: no cover
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written)
