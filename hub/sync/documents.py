"""JSON documents and NDJSON files as rows: nested lists walked, parents' fields kept.

``items`` is a path of keys to the items (``batches.products``, also written
``batches[*].products[*]`` or ``batches.*.products``): every list met on the way is
walked, so each product of each batch is one item. An item becomes one row of columns,
its nested keys joined with dots (:func:`hub.sync.pages.flatten`). The fields of the
objects above it come along, named by where they are: ``batches.decision_no`` is the
``decision_no`` of the batch the product is in, ``$.issued_by`` a field of the document
root. A recognition batch's number, date and authority so reach each of its products
without a constant in the mapping.

Each item has its JSON path as locator (``$.batches[2].products[0]``). In an NDJSON file
every line is a document (one item, or the items under ``items``); the locator starts
with the line.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from .readers import SourceError

_STAR = re.compile(r"\[\*\]|\[\]")


def steps(items: str) -> list[str]:
    """``batches[*].products[*]`` / ``batches.*.products`` -> ``["batches", "products"]``."""
    clean = _STAR.sub("", items.strip()).removeprefix("$").strip(".")
    return [s for s in clean.split(".") if s and s != "*"] if clean else []


def walk(
    doc: Any, path: list[str], columns: frozenset[str] | None = None, prefix: str = "$"
) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield ``(JSON path, row)`` for every item of a document; with the mapping's
    ``columns`` only those are read (of the item, of its parents, of the root)."""
    root = {f"$.{k}": v for k, v in _scalars(doc, path[:1], _under("$", columns)).items()}
    yield from _walk(doc, path, 0, prefix, root, columns)


def _under(name: str, columns: frozenset[str] | None) -> list[str] | None:
    """The columns of the object at ``name``, without the name."""
    return None if columns is None else [c[len(name) + 1 :] for c in columns if c.startswith(name + ".")]


def _walk(
    node: Any, path: list[str], depth: int, where: str, inherited: dict[str, str], columns: frozenset[str] | None
) -> Iterator[tuple[str, dict[str, str]]]:
    if isinstance(node, list):
        for i, element in enumerate(node):
            yield from _walk(element, path, depth, f"{where}[{i}]", inherited, columns)
        return
    if depth == len(path):
        row = dict(inherited)
        row.update(flatten(node, columns) if isinstance(node, (dict, list)) else {"value": _text(node)})
        yield where, row
        return
    if not isinstance(node, dict):
        return
    key = path[depth]
    if depth > 0:  # the object on the way down: its fields, named by its path
        name = ".".join(path[:depth])
        found = _scalars(node, [key], _under(name, columns))
        inherited = {**inherited, **{f"{name}.{k}": v for k, v in found.items()}}
    if key in node and node[key] is not None:
        yield from _walk(node[key], path, depth + 1, f"{where}.{key}", inherited, columns)


def _scalars(node: Any, exclude: list[str], columns: list[str] | None) -> dict[str, str]:
    """The object's fields as columns, without the list that is walked further."""
    if not isinstance(node, dict):
        return {}
    return flatten({k: v for k, v in node.items() if k not in exclude}, columns)


def flatten(value: Any, columns: Iterable[str] | None = None) -> dict[str, str]:
    """A JSON item as mapping columns: nested keys joined with dots (``rating.stars``), list
    elements by position (``images.0``); a list of plain values is also one column, its
    values joined with ", " (``tags``). ``null`` is an empty cell.

    Given the mapping's ``columns``, only the paths that lead to one are followed (the
    mapping reads no other), so the cost is linear in the item and the walk is never
    deeper than the longest column name, however deeply the source nests. Without them
    (a lookup table) every key is a column, down to :data:`MAX_DEPTH` levels.
    """
    wanted = (
        None
        if columns is None
        else {".".join(parts[:i]) for c in columns for parts in [c.split(".")] for i in range(1, len(parts) + 1)}
    )
    out: dict[str, str] = {}
    _flatten(value, "", out, wanted, 0)
    return out


MAX_DEPTH = 32


def _flatten(value: Any, prefix: str, out: dict[str, str], wanted: set[str] | None, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, dict):
        for key, inner in value.items():
            here = f"{prefix}.{key}" if prefix else str(key)
            if wanted is None or here in wanted:
                _flatten(inner, here, out, wanted, depth + 1)
    elif isinstance(value, list):
        if prefix and all(not isinstance(v, (dict, list)) for v in value):
            out[prefix] = ", ".join(_text(v) for v in value if v is not None)
        for i, inner in enumerate(value):
            here = f"{prefix}.{i}" if prefix else str(i)
            if wanted is None or here in wanted:
                _flatten(inner, here, out, wanted, depth + 1)
    elif prefix:
        out[prefix] = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_json(
    path: Path, items: str, columns: frozenset[str] | None = None
) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Every item of a JSON document, numbered from 1."""
    try:
        with open(path, "rb") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    path_steps = steps(items)
    found = False
    for n, (where, row) in enumerate(walk(doc, path_steps, columns), 1):
        found = True
        yield n, where, row
    if not found and path_steps and not _reaches(doc, path_steps):
        raise SourceError(f"{path}: nothing at items = '{items}' (the document has: {_keys(doc)})")


def read_ndjson(
    path: Path, items: str, encoding: str = "utf-8", columns: frozenset[str] | None = None
) -> Iterator[tuple[int, str, dict[str, str]]]:
    """Every item of every line of an NDJSON file; the number is the line."""
    path_steps = steps(items)
    for line, doc in ndjson_lines(path, encoding):
        for where, row in walk(doc, path_steps, columns):
            yield line, f"line {line} {where}", row


def ndjson_lines(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, Any]]:
    """``(line, document)`` of each non-blank line; invalid JSON names its line."""
    try:
        handle = open(path, encoding=encoding)
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except LookupError:
        raise SourceError(f"{path}: unknown encoding '{encoding}'") from None
    with handle:
        try:
            for number, text in enumerate(handle, 1):
                if not text.strip():
                    continue
                try:
                    yield number, json.loads(text)
                except json.JSONDecodeError as exc:
                    raise SourceError(f"{path}: line {number}: invalid JSON at column {exc.colno}: {exc.msg}") from None
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: not {encoding} text (byte 0x{exc.object[exc.start]:02x})") from None


def _reaches(doc: Any, path: list[str]) -> bool:
    node = doc
    for key in path:
        while isinstance(node, list):
            if not node:
                return True  # an empty list on the way: there are simply no items
            node = node[0]
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True


def _keys(doc: Any) -> str:
    if isinstance(doc, dict):
        return ", ".join(list(doc)[:8]) or "no keys"
    return f"a {type(doc).__name__}"
