"""What a fetcher hands the runner: pages of items, each page with its checkpoint.

A fetcher (:mod:`.files`, :mod:`.rest`, :mod:`.federation`) reads its source from a
checkpoint ``state`` and yields :class:`Page` objects. ``Page.state`` is the checkpoint
to commit once every item of the page is written; ``Page.start`` is the checkpoint the
page was read from, so that a run stopped in the middle of a page resumes at
``{**start, "done": n}`` and skips the ``n`` items already written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

import schemas
from schemas.base import PERSONAL_KEYS

from . import lookups
from .documents import flatten
from .mapping import Mapping, MappingError

__all__ = ["Item", "Page", "map_item", "flatten", "dig"]


@dataclass
class Item:
    """One record (or one deletion) as the source gave it, and what the mapping made of it."""

    locator: str
    raw: Any
    record: dict[str, Any] | None = None
    uid: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    skipped: str | None = None
    op: str = "upsert"
    kind: str | None = None
    stamp: str | None = None  # the since_field value of an incremental JSON item
    #: findings that do not stop the record (``personal_data_suspected``), counted by the run;
    #: those of :data:`FLAGS` are also carried by the record's new revision (:attr:`flags`)
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def flags(self) -> list[dict[str, str]]:
        """The findings a reviewer sees on the revision (its warnings, with their JSON path)."""
        return [w for w in self.warnings if w["code"] in FLAGS] if self.warnings else []

    def skip(self, report: dict[str, Any]) -> None:
        """Count this skipped item under its reason in ``report["skipped"]`` (a ``[[skip]]``
        rule's reason, an empty ``skip_if_empty`` column, or a repeat), so that every row a
        run did not write is accounted for."""
        reasons = report.setdefault("skipped", {})
        reason = self.skipped if self.skipped is not None else REPEATED
        reasons[reason] = reasons.get(reason, 0) + 1

    def reported(self, status: str, written: list[dict[str, str]]) -> list[str]:
        """The run's warning keys (``path code``) for this item: the write path's, which
        hold :attr:`flags` when a revision was written, and the item's other findings."""
        own = [w for w in self.warnings if w["code"] not in FLAGS] if status in REVISED else self.warnings
        return [f"{w['path']} {w['code']}" for w in [*written, *own]]


#: warning codes of a mapped record that its revision carries (the reviewer sees them)
PERSONAL_DATA = "personal_data_suspected"
FLAGS = frozenset({PERSONAL_DATA})
#: the skip reason of a record delivered again in one pass and not written again
REPEATED = "repeat: the same record earlier in this pass"
#: write statuses that make a new revision
REVISED = frozenset({"created", "updated"})


@dataclass
class Page:
    items: list[Item]
    start: dict[str, Any]
    state: dict[str, Any]
    label: str
    progress: float | None = None  # fraction of the source done after this page, if known


def scrub(raw: Any, drop: frozenset[str]) -> Any:
    """The raw input as the hub may keep it (a quarantined row): without the columns the
    mapping drops (``[source] drop``) nor any key the standard treats as personal
    (``phone``, ``email``, ``national_id``, ...), at any depth."""
    if isinstance(raw, dict):
        return {
            k: scrub(v, drop) if isinstance(v, (dict, list)) else v
            for k, v in raw.items()
            if k not in drop and not _personal(k)
        }
    if isinstance(raw, list):
        return [scrub(v, drop) for v in raw]
    return raw


@lru_cache(maxsize=4096)
def _personal(key: Any) -> bool:
    """A column or key named like personal data (``phone``, ``owner.e-mail``)."""
    return str(key).rsplit(".", 1)[-1].strip().lower().replace("-", "_") in PERSONAL_KEYS


def map_item(mapping: Mapping, row: dict[str, str], locator: str, raw: Any, line: int | None = None) -> Item:
    """Map one row; a row that cannot be mapped keeps its id when the id itself maps. (The
    raw input is scrubbed of personal data when it is quarantined: :func:`scrub`.)"""
    missed: list[str] = []
    try:
        if mapping.watches_lookups:
            with lookups.watching() as missed:
                mapped = mapping.map_row(row, line)
        else:
            mapped = mapping.map_row(row, line)
    except MappingError as exc:
        uid = None
        try:
            local = mapping.id.evaluate(row, line)
            if local:
                uid = schemas.uid(mapping.country, mapping.kind, local)
        except (MappingError, Exception):  # noqa: BLE001 - the id is a courtesy here
            uid = None
        where = " ".join(
            w
            for w in (locator, f"column '{exc.column}'" if exc.column else "", f"-> {exc.target}" if exc.target else "")
            if w
        )
        return Item(
            locator,
            raw,
            uid=uid,
            kind=mapping.kind,
            errors=[
                {  # the locator: line, sheet row, JSON path
                    "path": exc.target or exc.column or "$",
                    "code": "mapping",
                    "message": f"{where}: {exc.reason}",
                }
            ],
        )
    if mapped.skipped is not None:
        return Item(locator, raw, skipped=mapped.skipped, kind=mapping.kind)
    record = mapped.record
    assert record is not None
    warnings = suspected(record, mapping.free_text)
    if missed:
        warnings.extend(
            {"path": f"lookups.{name}", "code": "lookup_missing", "message": f"a key is not in lookup '{name}'"}
            for name in missed
        )
    return Item(
        locator,
        raw,
        record=record,
        kind=mapping.kind,
        warnings=warnings,
        uid=schemas.uid(record["country"], mapping.kind, record["id"]),
    )


#: a quick test before the exact ones (with ``"@" in text``): nine digits in a row once
#: separators are ignored (this form of the pattern is the fastest of those measured)
_NINE_DIGITS = re.compile(r"(?:\d[ .-]?){8}\d")


def _maybe(text: str) -> bool:
    return "@" in text or _NINE_DIGITS.search(text) is not None


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a phone number: + or 0, then 8 to 13 more digits, grouped by spaces, dots or dashes
_PHONE = re.compile(r"(?<![\w.,])(?:\+\d{1,3}[ .-]?|0)\d{1,4}(?:[ .-]?\d{2,4}){2,4}(?![\w.,]*\d)")


def suspected(record: dict[str, Any], paths: tuple[tuple[str, ...], ...] | None = None) -> list[dict[str, str]]:
    """Text of a mapped record that looks like an e-mail address or a phone number: the
    standard carries no personal data, so the run reports it for a person to look at.
    ``paths`` (split target paths) limit the look to the fields that may hold free text
    (:attr:`Mapping.free_text`); None looks at the whole record."""
    out: list[dict[str, str]] = []
    stack: list[tuple[str, Any]]
    if paths is None:
        if not _maybe(orjson.dumps(record).decode()):  # one C-speed look at all of it first
            return out
        stack = [(k, v) for k, v in record.items() if k != "id"]
    else:
        stack = []
        for parts in paths:
            value: Any = record
            for part in parts:
                if isinstance(value, dict):
                    value = value.get(part)
                elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    value = None
                    break
            if value is None or (isinstance(value, str) and (len(value) < 9 or not _maybe(value))):
                continue  # nothing there, or text too short or without an "@" or nine digits
            stack.append((".".join(parts), value))
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if len(value) >= 9 and _maybe(value):
                what = "an e-mail address" if _EMAIL.search(value) else "a phone number" if _phone(value) else None
                if what:
                    out.append(
                        {
                            "path": path,
                            "code": PERSONAL_DATA,
                            "message": f"The text holds what looks like {what}: the standard carries no "
                            "personal data (drop it at the source, or correct the record).",
                        }
                    )
        elif isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}", v) for i, v in enumerate(value))
    return out


def _phone(text: str) -> bool:
    return any(9 <= sum(c.isdigit() for c in m.group()) <= 14 for m in _PHONE.finditer(text))


def dig(doc: Any, path: str) -> Any:
    """The value at a dotted path (``meta.next``; ``""`` is the document itself)."""
    if not path:
        return doc
    current = doc
    for part in path.split("."):
        if isinstance(current, dict):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current
