"""Exports for people: the list filters narrow an export, CSV is flattened into columns
(one per language, a label beside each code) with a UTF-8 byte-order mark, and the staff
console's export adds XLSX and the same filters."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from openpyxl import load_workbook

from hub.records import tabular
from tests.conftest import product

TH = {
    "country": "TH",
    "category": {"scheme": "TH-OTOP", "code": "food"},
    "certifications": [],
    "origin": {"area": "TH-90"},
}


def write(client, headers, *records):  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/products/batch", json={"records": list(records)}, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)


def csv_records(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark first"
    text = body.decode("utf-8-sig")
    lines = [line for line in io.StringIO(text, newline="") if not line.startswith("# ")]  # the trailer
    return list(csv.DictReader(lines))


def ndjson_ids(body: bytes) -> list[str]:
    return [json.loads(line)["id"] for line in body.decode().splitlines()[:-1]]


def test_the_export_accepts_the_list_filters(client, vn_writer, th_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    write(
        client,
        vn_writer,
        product(1),
        product(
            2, category={"scheme": "VN-OCOP-2023", "code": "2.1"}, certifications=[], name={"vi": "Trà Shan tuyết"}
        ),
    )
    write(client, th_writer, product(3, **TH))

    def ids(**query: Any) -> list[str]:  # type: ignore[no-untyped-def]
        r = client.get("/api/v1/products/export", query_string=query, headers=vn_reader)
        assert r.status_code == 200, r.get_data(as_text=True)
        return ndjson_ids(r.get_data())

    assert ids() == ["p3", "p1", "p2"]
    assert ids(country="VN") == ["p1", "p2"]
    assert ids(country="TH") == ["p3"]
    assert ids(rating_min=4) == ["p1"]
    assert ids(area="TH-90") == ["p3"]
    assert ids(category="VN-OCOP-2023:2") == ["p2"]
    assert ids(updated_after="2999-01-01T00:00:00Z") == []
    assert ids(q="tra shan") == ["p2"]
    trailer = json.loads(
        client.get("/api/v1/products/export?country=VN", headers=vn_reader).get_data(as_text=True).splitlines()[-1]
    )
    assert trailer["export"]["count"] == 2
    assert client.get("/api/v1/products/export?country=VNM", headers=vn_reader).status_code == 422
    assert client.get("/api/v1/products/export?colour=red", headers=vn_reader).status_code == 422


def test_the_csv_export_is_flattened_into_labelled_columns(client, vn_writer, vn_reader) -> None:  # type: ignore[no-untyped-def]
    write(
        client,
        vn_writer,
        product(1, category={"scheme": "VN-OCOP-2023", "code": "1.3.3"}, origin={"area": "VN-GSO:48"}),
    )
    r = client.get("/api/v1/products/export?format=csv&country=VN", headers=vn_reader)
    assert r.mimetype == "text/csv" and r.mimetype_params.get("charset") == "utf-8"
    (row,) = csv_records(r.get_data())
    assert (row["name.vi"], row["name.en"], row["name.th"]) == ("Mắc ca Lê Anh", "Le Anh macadamia", "")
    assert row["category.code"] == "1.3.3"
    assert row["category.code.label"] == "Processed from vegetables, tubers, fruits and nuts"
    assert row["category.common"] and row["category.common.label"]
    assert row["origin.area"] == "VN-GSO:48" and row["origin.area.label"]
    assert (row["certifications.scheme"], row["certifications.rating"]) == ("VN-OCOP", "4")
    assert (row["price.amount"], row["price.currency"]) == ("220000", "VND")
    assert not any(v.startswith(("{", "[")) for v in row.values()), "no JSON in a cell"
    assert list(row) == tabular.Columns("products").names


def test_every_kind_has_fixed_flat_columns() -> None:
    from schemas import KINDS

    for kind in KINDS:
        names = tabular.Columns(kind).names
        assert names[:2] == ["uid", "version"] and names[-1] == "warnings"
        assert len(names) == len(set(names)), kind


def test_the_console_exports_a_filtered_workbook_for_staff(client, hub, vn_writer) -> None:  # type: ignore[no-untyped-def]
    from tests.console.conftest import make_user, sign_in

    write(client, vn_writer, product(1), product(2, name={"vi": "Trà Shan tuyết"}, certifications=[]))
    assert sign_in(client, make_user(hub, "sec@asean.example", "secretariat")).status_code == 302
    r = client.get("/console/export?kind=products&format=xlsx&rating_min=4")
    assert r.status_code == 200 and r.mimetype == tabular.XLSX_MIMETYPE
    book = load_workbook(io.BytesIO(r.get_data()), read_only=False)
    sheet = book["products"]
    assert sheet.freeze_panes == "B2"
    header = [c.value for c in sheet[1]]
    assert header == tabular.Columns("products").names and sheet["A1"].font.b
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["VN/products/p1"]
    assert sheet.column_dimensions["A"].width >= len("VN/products/p1")
    both = client.get("/console/export?kind=products&format=csv&country=VN")
    assert [r["uid"] for r in csv_records(both.get_data())] == ["VN/products/p1", "VN/products/p2"]
    assert client.get("/console/export?kind=products&format=pdf").status_code == 400
