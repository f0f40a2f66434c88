"""Stable error codes and JSON paths for validation findings.

marshmallow reports errors as nested dicts of message lists. Partner systems need
machine-readable codes and flat JSON paths (``certifications.0.expires_on``), so every
message the standard raises carries a code, and marshmallow's own messages are mapped
onto codes once, here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

from marshmallow import ValidationError


class Coded(str):
    """A message string that also carries a stable code."""

    code: str

    def __new__(cls, code: str, message: str) -> "Coded":
        obj = super().__new__(cls, message)
        obj.code = code
        return obj


def fail(code: str, message: str) -> ValidationError:
    """Build a ValidationError whose message carries ``code``."""
    return ValidationError(Coded(code, message))


# marshmallow's built-in messages, by prefix, onto stable codes.
_BUILTIN = (
    ("Missing data for required field", "required"),
    ("Field may not be null", "null"),
    ("Unknown field", "unknown_field"),
    ("Invalid input type", "type"),
    ("Not a valid", "type"),
    ("Length must be", "length"),
    ("Longer than maximum length", "length"),
    ("Shorter than minimum length", "length"),
    ("Must be one of", "choice"),
    ("Must be greater", "range"),
    ("Must be less", "range"),
    ("String does not match expected pattern", "pattern"),
    ("Not a valid URL", "url"),
    ("cannot be formatted", "format"),
)


def code_of(message: Any) -> str:
    """The stable code of one message."""
    if isinstance(message, Coded):
        return message.code
    text = str(message)
    for prefix, code in _BUILTIN:
        if text.startswith(prefix) or prefix in text:
            return code
    return "invalid"


@dataclass(frozen=True, slots=True)
class Finding:
    """One error or warning: where, what (code), and a human message."""

    path: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "code": self.code, "message": self.message}


def flatten(messages: Any, prefix: str = "") -> Iterator[Finding]:
    """Walk marshmallow's nested error dict and yield findings with JSON paths."""
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if key == "_schema":
                yield from flatten(sub, prefix)
            else:
                yield from flatten(sub, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, (list, tuple)):
        for item in messages:
            if isinstance(item, (dict, list, tuple)):
                yield from flatten(item, prefix)
            else:
                yield Finding(prefix or "$", code_of(item), str(item))
    else:
        yield Finding(prefix or "$", code_of(messages), str(messages))
