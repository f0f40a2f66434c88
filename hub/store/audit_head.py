"""The audit chain's head, published outside the database (``hub audit head``).

The chain proves that no entry was edited, removed or reordered *relative to the
head the database holds*; whoever can rewrite the database can rewrite the whole chain
and its head. A head published elsewhere (a website, a signed e-mail, a partner's
countersignature) anchors it: ``hub audit verify --head FILE`` checks that the chain
still passes through that entry with that hash, so history before it cannot have been
rewritten since it was published.

The published form is one line of canonical JSON (sorted keys, no spaces), so it can be
signed as it is (``gpg --clearsign``, ``openssl dgst``) and read back from a signed file.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
import sqlalchemy as sa
import sqlalchemy.orm as so

from .audit import GENESIS, _stamp
from .models import AuditEntry, WriteHead

KEY = "ovop_hub_audit_head"
_LINE = re.compile(r'^\s*(\{"%s".*\})\s*$' % KEY, re.M)


def current(session: so.Session) -> dict[str, Any]:
    """The last entry's sequence number, hash and time (sequence 0 and the genesis hash
    for an empty log)."""
    head = session.get(WriteHead, 1)
    if head is None or head.audit_seq == 0:
        return {"seq": 0, "hash": GENESIS, "at": None}
    entry = session.get(AuditEntry, head.audit_seq)
    return {"seq": head.audit_seq, "hash": head.audit_hash, "at": _stamp(entry.at) + "Z" if entry is not None else None}


def publishable(head: dict[str, Any]) -> str:
    return orjson.dumps({KEY: head}, option=orjson.OPT_SORT_KEYS).decode()


def parse(text: str) -> dict[str, Any]:
    """The head in a published file (the line :func:`publishable` made, also inside a
    clear-signed message); ``ValueError`` with the reason otherwise."""
    match = _LINE.search(text)
    if match is None:
        raise ValueError(f'no line {{"{KEY}": ...}} found')
    try:
        head = orjson.loads(match.group(1))[KEY]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        raise ValueError("the head line is not valid JSON") from None
    if not (
        isinstance(head, dict)
        and isinstance(head.get("seq"), int)
        and head["seq"] >= 0
        and isinstance(head.get("hash"), str)
        and re.fullmatch("[0-9a-f]{64}", head["hash"])
    ):
        raise ValueError("the head needs seq (an integer) and hash (64 hex digits)")
    return head


def check(session: so.Session, head: dict[str, Any]) -> list[str]:
    """Problems with the chain against a published head (empty when it passes through it)."""
    if head["seq"] == 0:
        return [] if head["hash"] == GENESIS else ["published head 0 must have the genesis hash"]
    entry = session.scalar(sa.select(AuditEntry).where(AuditEntry.seq == head["seq"]))
    if entry is None:
        return [f"published head: entry {head['seq']} is not in the log (entries removed)"]
    problems = []
    if entry.hash != head["hash"]:
        problems.append(
            f"published head: entry {head['seq']} has hash {entry.hash[:16]}..., "
            f"not the published {head['hash'][:16]}... (history rewritten)"
        )
    if head.get("at") and _stamp(entry.at) + "Z" != head["at"]:
        problems.append(f"published head: entry {head['seq']} is dated {_stamp(entry.at)}Z, not {head['at']}")
    return problems
