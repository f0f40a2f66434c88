"""What the write path remembers of a record as it was received, to answer a re-delivery.

A record's ``input_hash`` is a digest of its input as received (the parsed input's
canonical bytes, hub fields left out) bound to what validated it: the standard's version,
every codelist's version (:data:`VALIDATED_WITH`, what ``revisions.validated_with`` names)
and the validating code itself (:data:`VALIDATOR`, a digest of the ``schemas`` package's
files). Equal digests therefore mean: validation would run on the same input with the
same rules, and give the same errors and the same normalised document, so the latest
revision's answer (``unchanged``) holds without validating again. Validation's errors
and document do not depend on the day (only warnings do, and an ``unchanged`` answer
carries none; ``tests/records/test_received.py`` keeps that true). After an upgrade or a
codelist change no digest matches, so every record is validated once more.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Sequence

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

import schemas
from schemas import codelists
from schemas.base import HUB_FIELDS

#: the standard's version with every codelist's version (``revisions.validated_with``)
VALIDATED_WITH = codelists.versions_key(schemas.STANDARD_VERSION)


def validator_digest(root: Traversable | None = None) -> str:
    """A digest of every file of the ``schemas`` package (code, codelists, crosswalks), or
    of the folder ``root``: a change of the validating code, even without a new version,
    changes it."""
    digest = hashlib.sha256()
    stack = [root or resources.files(schemas)]
    files: list[Traversable] = []
    while stack:
        for entry in stack.pop().iterdir():
            if entry.is_dir():
                if entry.name != "__pycache__":
                    stack.append(entry)
            elif not entry.name.endswith((".pyc", ".pyo")):
                files.append(entry)
    base = str(root or resources.files(schemas))
    for entry in sorted(files, key=str):
        digest.update(str(entry)[len(base) :].encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


#: what validated a received input: the digest of the input is taken together with it
VALIDATOR = f"{VALIDATED_WITH}/{validator_digest()}"
#: the digest's state after :data:`VALIDATOR` (copied per input: cheaper than hashing it again)
_SALTED = hashlib.sha256(VALIDATOR.encode() + b"\n")


def input_hash(raw: dict[str, Any]) -> str | None:
    """Digest of the input as received (hub fields dropped) with :data:`VALIDATOR`: the
    check that lets an unchanged re-delivery skip validation. None for input that cannot
    be serialised (validation then reports it)."""
    try:
        clean = raw if HUB_FIELDS.isdisjoint(raw) else {k: v for k, v in raw.items() if k not in HUB_FIELDS}
        body = orjson.dumps(clean, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    digest = _SALTED.copy()
    digest.update(body)
    return digest.hexdigest()


#: placeholders of the drivers' parameter styles
_PLACEHOLDER = {"qmark": "?", "format": "%s", "pyformat": "%s", "numeric": ":{}", "named": ":p{}"}
#: uids per statement: a whole batch (``batch_max_records``, 1,000 by default) in one
CHUNK = 1000


@lru_cache(maxsize=64)
def _in_sql(select: str, paramstyle: str, n: int) -> str:
    mark = _PLACEHOLDER[paramstyle]
    marks = ",".join(mark.format(i + 1) for i in range(n)) if "{}" in mark else ",".join([mark] * n)
    return f"{select} IN ({marks})"


def rows_by_uid(session: so.Session, select: str, uids: Sequence[str]) -> list[sa.Row[Any]]:
    """``select`` (SQL ending in ``WHERE uid``) for ``uids``, in chunks, as driver SQL.

    The write path reads a few columns of hundreds of records per batch, twice; built
    through SQLAlchemy, rendering the expanded ``IN`` list costs more than the query.
    """
    if not uids:
        return []
    conn = session.connection()
    style = conn.dialect.paramstyle
    out: list[sa.Row[Any]] = []
    for start in range(0, len(uids), CHUNK):
        chunk = tuple(uids[start : start + CHUNK])
        params: Any = {f"p{i + 1}": u for i, u in enumerate(chunk)} if style == "named" else chunk
        out.extend(conn.exec_driver_sql(_in_sql(select, style, len(chunk)), params).all())
    return out
