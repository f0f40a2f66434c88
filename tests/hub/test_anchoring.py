"""Patterns match the whole value in the hub too (issue 11, item 9): ids, cursors, config names."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from hub.api.subscriptions import SubscriptionBody
from hub.records import cursors
from hub.sync.mapping import MappingConfigError, from_dict
from hub.sync.sources import SourceConfigError, from_data
from hub.sync.transforms import number
from tests.conftest import product


def test_a_trailing_newline_id_is_invalid_in_a_batch_and_no_second_record_appears(hub) -> None:  # type: ignore[no-untyped-def]
    from hub.actors import Actor
    from hub.curation.members import set_policy
    from hub.store.db import transaction

    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    out = hub.writes.write(Actor("t", "VN"), "products", [product("nl-test"), product("nl-test\n")], source="test")
    assert [r.status for r in out.results] == ["created", "invalid"]
    assert out.results[1].errors[0]["code"] == "pattern"


def test_a_cursor_with_a_trailing_newline_or_stray_characters_is_refused() -> None:
    good = cursors.encode(42)
    assert cursors.decode(good, int) == 42
    for bad in (good + "\n", good + "!", good[:1] + " " + good[1:], good + "=="):
        with pytest.raises(cursors.BadCursor):
            cursors.decode(bad, int)


MAPPING = {
    "source": {"name": "s", "kind": "products", "country": "VN", "path": "x.csv"},
    "id": {"from": "id"},
    "fields": {"name.vi": {"from": "name"}},
}


def test_mapping_names_and_targets_with_a_trailing_newline_are_refused() -> None:
    from_dict(MAPPING)
    with pytest.raises(MappingConfigError, match="name"):
        from_dict({**MAPPING, "source": {**MAPPING["source"], "name": "s\n"}})
    with pytest.raises(MappingConfigError, match="dotted path"):
        from_dict({**MAPPING, "fields": {"name.vi\n": {"from": "name"}}})
    with pytest.raises(SourceConfigError, match="name"):
        from_data({**MAPPING, "source": {**MAPPING["source"], "name": "s\n"}})


def test_subscription_countries_are_two_capitals_without_a_newline() -> None:
    assert SubscriptionBody().load({"url": "https://example.org/h", "countries": ["VN"]})["countries"] == ["VN"]
    with pytest.raises(ValidationError):
        SubscriptionBody().load({"url": "https://example.org/h", "countries": ["VN\n"]})


def test_the_number_transform_takes_ascii_digits_only() -> None:
    assert number(".")("1,234.5") == "1234.5"
    with pytest.raises(ValueError):
        number(".")("١٢٣")
