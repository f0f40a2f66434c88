"""Opaque pagination cursors: URL-safe base64 of a small JSON value.

Opaque to clients, so the encoding can change; stable for the server, so change-feed
cursors never expire (they only name a sequence number).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson


class BadCursor(ValueError):
    """A cursor that this hub did not issue."""


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")  # what encode() writes; used with fullmatch


def decode(cursor: str, expected: type) -> Any:
    """The value of a cursor :func:`encode` wrote; :class:`BadCursor` for anything else
    (base64 itself would skip a trailing newline or stray characters)."""
    if not _ALPHABET.fullmatch(cursor):
        raise BadCursor("cursor is not one this hub issued")
    try:
        value = orjson.loads(base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise BadCursor("cursor is not one this hub issued") from None
    if (
        not isinstance(value, expected)
        or isinstance(value, bool)
        or (isinstance(value, int) and not 0 <= value < 2**63)
    ):
        raise BadCursor("cursor is not one this hub issued")
    return value
