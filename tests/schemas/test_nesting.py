"""Deeply nested input (issue 11, item 1): refused per record, in linear time and memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import schemas
from tests.conftest import product


def nested_object(levels: int, key_length: int) -> dict[str, Any]:
    """``levels`` objects inside each other, each under a long key of its own."""
    inner: dict[str, Any] = {"end": True}
    for i in range(levels):
        inner = {f"{i:04d}" + "k" * (key_length - 4): inner}
    return inner


def nested_array(levels: int) -> list[Any]:
    """``levels`` arrays inside each other: ``[[[]]]`` is 3."""
    inner: list[Any] = []
    for _ in range(levels - 1):
        inner = [inner]
    return inner


def measured(record: dict[str, Any]) -> tuple[schemas.Result, float, int]:
    """Validate once: the result, the seconds taken and the peak memory allocated meanwhile."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        result = schemas.validate("products", record)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, seconds, peak


def codes(result: schemas.Result) -> list[tuple[str, str]]:
    return [(f.path, f.code) for f in result.errors]


def test_an_unknown_field_holding_2_mb_of_nesting_is_refused_in_under_a_second_and_50_mb() -> None:
    record = product(1, extra=nested_object(800, 2_500))
    assert len(json.dumps(record)) > 2_000_000
    result, seconds, peak = measured(record)
    assert codes(result) == [("extra", "unknown_field")]
    assert seconds < 1 and peak < 50_000_000, (seconds, peak)


def test_the_same_shape_at_10_mb_is_refused_in_under_a_second_and_50_mb() -> None:
    record = product(1, extra=nested_object(800, 12_500))
    assert len(json.dumps(record)) > 10_000_000
    result, seconds, peak = measured(record)
    assert codes(result) == [("extra", "unknown_field")]
    assert seconds < 1 and peak < 50_000_000, (seconds, peak)


def test_a_known_field_nested_970_levels_is_too_deep_without_recursion_error() -> None:
    result = schemas.validate("products", product(1, description={"vi": nested_array(970)}))
    assert codes(result) == [("description", "too_deep")]
    result = schemas.validate("products", product(1, certifications=nested_array(970)))
    assert codes(result) == [("certifications", "too_deep")]


def test_long_keys_deep_in_a_known_field_cost_linear_time_and_memory() -> None:
    record = product(1, description=nested_object(800, 12_500))
    result, seconds, peak = measured(record)
    assert codes(result) == [("description", "too_deep")]
    assert seconds < 1 and peak < 50_000_000, (seconds, peak)


def test_the_nesting_limit_is_32_levels_counting_the_record() -> None:
    at_limit = product(1, description={"vi": nested_array(30)})  # record 1, description 2, arrays 3..32
    assert "too_deep" not in {f.code for f in schemas.validate("products", at_limit).errors}
    over = product(1, description={"vi": nested_array(31)})
    assert codes(schemas.validate("products", over)) == [("description", "too_deep")]
    assert schemas.MAX_DEPTH == 32


def test_personal_data_is_still_found_anywhere_in_known_fields_with_its_path() -> None:
    record = product(1, origin={"area": "VN-GSO:01", "phone": "0901"}, Email="a@b.example")
    record["certifications"][0]["issued_by"] = {"vi": "x", "national-id": "1"}
    assert codes(schemas.validate("products", record)) == [
        ("certifications.0.issued_by.national-id", "personal_data"),
        ("origin.phone", "personal_data"),
        ("Email", "personal_data"),
    ]


def test_an_unknown_field_is_refused_without_looking_inside() -> None:
    result = schemas.validate("products", product(1, notes={"phone": "0901"}))
    assert codes(result) == [("notes", "unknown_field")]


def test_findings_are_capped_and_long_keys_shortened_in_paths() -> None:
    keys = {f"{''.join(c.upper() if (i >> j) & 1 else c for j, c in enumerate('phone'))}": "1" for i in range(32)}
    deep = {"k" * 5000: keys}
    result = schemas.validate("indicators", {"id": "i", "country": "TH", "breakdown": deep})
    personal = [f for f in result.errors if f.code == "personal_data"]
    assert len(personal) == 32 and all(len(f.path) < 250 for f in personal)
    many = {"x": [{"phone": "1"} for _ in range(500)]}
    result = schemas.validate("indicators", {"id": "i", "country": "TH", "breakdown": many})
    assert len(result.errors) == 100


def test_the_command_line_reports_deep_lines_and_goes_on(tmp_path: Path) -> None:
    f = tmp_path / "deep.ndjson"
    deep = json.dumps(product(1, description={"vi": "@"})).replace('"@"', "[" * 970 + "]" * 970)
    lines = [deep, "[" * 1100 + "]" * 1100, json.dumps(product(2))]
    f.write_text("\n".join(lines) + "\n")
    res = subprocess.run(
        [sys.executable, "-m", "schemas", "validate", "products", str(f)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert "line 1 (p1): error description: too_deep:" in res.stdout
    assert "line 2: $: json: not valid JSON" in res.stdout
    assert res.stdout.strip().endswith("1 valid, 2 invalid")
