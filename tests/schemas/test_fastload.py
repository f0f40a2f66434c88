"""The fast path (schemas/fastload.py) gives marshmallow's own result, or steps aside."""

from __future__ import annotations

import pytest
from marshmallow import Schema, fields

import schemas
from schemas.base import keys_clean
from schemas.fastload import compile_schema
from schemas.records import _FAST, _INSTANCES
from tests.schemas.test_records import VALID


@pytest.mark.parametrize("kind", schemas.KINDS)
def test_every_kind_compiles_and_loads_a_valid_record_as_marshmallow_does(kind: str) -> None:
    fast = _FAST[kind]
    assert fast is not None
    assert fast(VALID[kind]) == _INSTANCES[kind].load(VALID[kind])


@pytest.mark.parametrize(
    "change",
    [
        {"colour": "red"},
        {"name": None},
        {"phone": "1"},
        {"name": {"vi": "x", "phone": "1"}},
        {"name": {"vi": {"nested": "x"}}},
        {"images": [["x"]]},
        {"id": b"p1"},
    ],
)
def test_anything_in_doubt_bails_to_marshmallow(change: dict) -> None:  # type: ignore[type-arg]
    fast = _FAST["products"]
    assert fast is not None
    with pytest.raises(Exception):  # noqa: B017 - Bail, or the field's own ValidationError
        fast({**VALID["products"], **change})


def test_a_schema_with_a_feature_the_fast_path_does_not_read_is_left_to_marshmallow() -> None:
    class WithDefault(Schema):
        name = fields.String(load_default="x")

    class Renamed(Schema):
        name = fields.String(data_key="Name")

    assert compile_schema(WithDefault(), keys_clean) is None
    assert compile_schema(Renamed(), keys_clean) is None
