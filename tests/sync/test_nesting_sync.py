"""Deeply nested source items (issue 11, item 1): no recursion error in the sync engine."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
import requests

from hub.store.db import STORABLE_DEPTH, storable
from hub.sync.http import FetchError, json_body
from hub.sync.pages import flatten


def nested_object(levels: int, key_length: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"leaf": 1}
    for i in range(levels):
        inner = {f"{i:04d}" + "k" * key_length: inner, f"v{i}": "x"}
    return inner


def test_a_json_item_is_flattened_only_along_the_mapping_columns_in_linear_time() -> None:
    item = {"name": "Mắc ca", "rating": {"stars": 4}, "tags": ["a", "b"], "junk": nested_object(2000, 2_000)}
    start = time.perf_counter()
    row = flatten(item, {"name", "rating.stars", "tags", "images.0"})
    assert time.perf_counter() - start < 0.5
    assert row == {"name": "Mắc ca", "rating.stars": "4", "tags": "a, b"}


def test_a_column_inside_deep_nesting_is_found_without_walking_the_rest() -> None:
    item = {"a": {"b": {"c": "x"}, "deep": nested_object(3000, 10)}}
    assert flatten(item, {"a.b.c"}) == {"a.b.c": "x"}


def test_quarantined_payloads_keep_at_most_64_levels() -> None:
    deep: Any = "end"
    for _ in range(3000):
        deep = [deep]
    kept = storable({"id": "x", "deep": deep})
    orjson.dumps(kept)  # the JSON column's encoder accepts it
    inner = kept["deep"]
    for _ in range(STORABLE_DEPTH - 1):
        inner = inner[0]
    assert isinstance(inner, str) and "not kept" in inner


def test_a_source_body_too_deep_for_python_json_fails_the_request_with_a_message() -> None:
    resp = requests.Response()
    resp.status_code, resp.url = 200, "https://source.example/items"
    resp._content = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(FetchError, match="nests too deep"):
        json_body(resp)
