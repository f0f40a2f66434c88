"""The CSV reader: line numbers, byte-order marks, encodings, ragged rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.sync.readers import EXTRA, SourceError, read_csv


def write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_rows_with_the_line_they_start_on(tmp_path: Path) -> None:
    path = write(tmp_path, 'a,b\n1,"two\nlines"\n\n3,x\n'.encode())
    assert list(read_csv(path)) == [(2, {"a": "1", "b": "two\nlines"}), (5, {"a": "3", "b": "x"})]


def test_a_byte_order_mark_is_dropped_whatever_the_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffปีงบประมาณ,อำเภอ\n2567,หาดใหญ่\n".encode("utf-8"))
    assert list(read_csv(path)) == [(2, {"ปีงบประมาณ": "2567", "อำเภอ": "หาดใหญ่"})]
    assert list(read_csv(path, encoding="utf-8")) == [(2, {"ปีงบประมาณ": "2567", "อำเภอ": "หาดใหญ่"})]


def test_other_encodings_and_delimiters(tmp_path: Path) -> None:
    path = write(tmp_path, "อำเภอ;ค่า\nหาดใหญ่;1\n".encode("cp874"))
    assert list(read_csv(path, encoding="cp874", delimiter=";")) == [(2, {"อำเภอ": "หาดใหญ่", "ค่า": "1"})]


def test_a_wrong_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\n1,2\n3,".encode() + "หาดใหญ่".encode("cp874") + b"\n")
    with pytest.raises(
        SourceError, match=r"line 3 \(byte 0xcb\) is not valid utf-8-sig text; set 'encoding' in \[source\]"
    ):
        list(read_csv(path))
    with pytest.raises(SourceError, match="unknown encoding 'klingon'"):
        list(read_csv(path, encoding="klingon"))


def test_short_and_long_rows(tmp_path: Path) -> None:
    path = write(tmp_path, b"a,b,c\n1\n1,2,3,4,5\n")
    rows = list(read_csv(path))
    assert rows[0] == (2, {"a": "1", "b": "", "c": ""})
    assert rows[1][1][EXTRA] == "4,5"


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "no header row"),
        (b"a,,c\n", "empty column name"),
        (b"a,b,a\n", "names column 'a' twice"),
    ],
)
def test_bad_headers(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        list(read_csv(write(tmp_path, data)))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        list(read_csv(tmp_path / "nope.csv"))
