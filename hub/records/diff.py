"""A reviewer's diff: the published revision beside the pending one, field by field.

Documents are flattened to JSON paths (``certifications.0.rating``), the paths the
validation warnings use, so a warning can be shown on the row it concerns. Long texts
that changed also get a word-level diff.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

SAME, CHANGED, ADDED, REMOVED, NEW = "same", "changed", "added", "removed", "new"
LONG_TEXT = 60


@dataclass(frozen=True)
class Segment:
    """A piece of a word diff: ``op`` is ``same``, ``del`` or ``ins``."""

    op: str
    text: str


@dataclass
class Row:
    path: str
    old: str | None
    new: str | None
    status: str
    warnings: list[dict[str, str]] = field(default_factory=list)
    words: list[Segment] | None = None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": [1]}}`` -> ``{"a.b.0": 1}``; empty containers are kept as leaves."""
    out: dict[str, Any] = {}
    if isinstance(value, dict) and value:
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value:
        for i, inner in enumerate(value):
            out.update(flatten(inner, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "$"] = value
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def words(old: str, new: str) -> list[Segment]:
    """A word-level diff of two texts (white space kept with the word before it)."""
    a, b = re.findall(r"\S+\s*", old), re.findall(r"\S+\s*", new)
    out: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(Segment("same", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(Segment("del", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(Segment("ins", "".join(b[j1:j2])))
    return out


def _applies(warning_path: str, path: str) -> bool:
    return path == warning_path or path.startswith(warning_path + ".") or warning_path == "$"


def compare(old: dict[str, Any] | None, new: dict[str, Any], warnings: list[dict[str, str]] | None = None) -> list[Row]:
    """Rows in the new document's field order (removed fields after their neighbours)."""
    before, after = (flatten(old) if old else {}), flatten(new)
    paths = list(after) + [p for p in before if p not in after]
    rows: list[Row] = []
    placed: set[str] = set()
    for w in warnings or []:
        if not any(_applies(w.get("path", "$"), p) for p in paths):
            paths.append(w.get("path", "$"))  # a warning on a path with no value of its own
    for path in paths:
        if path in placed:
            continue
        placed.add(path)
        o, n = _text(before.get(path)), _text(after.get(path))
        if old is None:
            status = NEW  # nothing published to compare with: the whole content is new
        elif path not in before:
            status = ADDED if path in after else SAME
        elif path not in after:
            status = REMOVED
        else:
            status = SAME if before[path] == after[path] else CHANGED
        row = Row(path, o, n, status, [w for w in warnings or [] if _applies(w.get("path", "$"), path)])
        if status == CHANGED and o and n and max(len(o), len(n)) >= LONG_TEXT:
            row.words = words(o, n)
        rows.append(row)
    return rows


def summary(rows: list[Row]) -> dict[str, int]:
    counts = {SAME: 0, CHANGED: 0, ADDED: 0, REMOVED: 0, NEW: 0}
    for r in rows:
        counts[r.status] += 1
    return counts
