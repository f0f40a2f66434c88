"""Opaque pagination cursors: URL-safe base64 of a small JSON value.

Opaque to clients, so the encoding can change; stable for the server, so change-feed
cursors never expire (they only name a sequence number).
"""
from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson


class BadCursor(ValueError):
    """A cursor that this hub did not issue."""


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def decode(cursor: str, expected: type) -> Any:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise BadCursor("cursor is not one this hub issued") from None
    if not isinstance(value, expected) or isinstance(value, bool) or \
            (isinstance(value, int) and not 0 <= value < 2**63):
        raise BadCursor("cursor is not one this hub issued")
    return value
