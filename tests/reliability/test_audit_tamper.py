"""``hub audit verify`` (the CLI, as an operator runs it) against a log tampered with in SQL.

Each case changes the database the way someone with direct database access could, and
the command must exit non-zero with a line naming what was touched; the untouched log
passes. Runs on SQLite and PostgreSQL alike (tests/databases.py).
"""

from __future__ import annotations

import hashlib
from typing import Callable

import orjson
import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from hub.actors import Actor
from hub.store.db import transaction
from hub.store.models import AuditEntry, Revision
from tests.conftest import product

from .conftest import Prepared
from .server import hub_cli

WRITER = Actor("client:test", "VN")


@pytest.fixture
def logged(prepared: Prepared) -> tuple[Prepared, list[int]]:
    """Five write entries, one revision each; returns their audit sequence numbers."""
    for i in range(5):
        prepared.hub.writes.write(WRITER, "products", [product(id=f"a{i}", package=f"{i} kg")], source="test")
    with prepared.hub.sessions() as s:
        seqs = list(
            s.scalars(sa.select(AuditEntry.seq).where(AuditEntry.action == "records.write").order_by(AuditEntry.seq))
        )
    assert len(seqs) == 5
    return prepared, seqs


def verify(prepared: Prepared) -> tuple[int, list[str]]:
    done = hub_cli(prepared.env, "audit", "verify")
    assert "Traceback" not in done.stderr
    return done.returncode, done.stderr.splitlines()


def _edit_entry(s: so.Session, seq: int) -> str:
    entry = s.get(AuditEntry, seq)
    assert entry is not None
    entry.detail = {**entry.detail, "source": "forged"}
    return f"entry {seq}:"


def _edit_and_rehash_entry(s: so.Session, seq: int) -> str:
    """A careful forger recomputes the edited entry's own hash: the next one no longer links."""
    from hub.store.audit import entry_hash

    entry = s.get(AuditEntry, seq)
    assert entry is not None
    entry.actor = "mallory"
    entry.hash = entry_hash(entry.prev_hash, entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.detail)
    return f"entry {seq + 1}:"


def _delete_entry(s: so.Session, seq: int) -> str:
    s.execute(sa.delete(AuditEntry).where(AuditEntry.seq == seq))
    return f"entry {seq}"


def _swap_entries(s: so.Session, seq: int) -> str:
    """Reorder: entries seq and seq+1 trade places (through a free number: seq is the key)."""
    for old, new in ((seq, -1), (seq + 1, seq), (-1, seq + 1)):
        s.execute(sa.update(AuditEntry).where(AuditEntry.seq == old).values(seq=new))
    return f"entry {seq}:"


def _edit_revision(s: so.Session, seq: int) -> str:
    rev = s.scalar(sa.select(Revision).where(Revision.uid == "VN/products/a2"))
    assert rev is not None
    rev.document = {**rev.document, "package": "forged"}
    return "revision VN/products/a2 v1:"


def _edit_revision_and_its_hash(s: so.Session, seq: int) -> str:
    """The forger also recomputes the revision's content hash: the audit log recorded the old one."""
    rev = s.scalar(sa.select(Revision).where(Revision.uid == "VN/products/a2"))
    assert rev is not None
    rev.document = {**rev.document, "package": "forged"}
    rev.content_hash = hashlib.sha256(orjson.dumps(rev.document, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return "revision VN/products/a2 v1:"


def _delete_last_entry(s: so.Session, seq: int) -> str:
    last = s.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    s.execute(sa.delete(AuditEntry).where(AuditEntry.seq == last))
    return "removed from the end"


def test_untouched_log_passes(logged: tuple[Prepared, list[int]]) -> None:
    prepared, _ = logged
    done = hub_cli(prepared.env, "audit", "verify")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("audit log intact")


@pytest.mark.parametrize(
    "tamper",
    [
        _edit_entry,
        _edit_and_rehash_entry,
        _delete_entry,
        _swap_entries,
        _edit_revision,
        _edit_revision_and_its_hash,
        _delete_last_entry,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_verify_names_the_tampered_entry(
    logged: tuple[Prepared, list[int]], tamper: Callable[[so.Session, int], str]
) -> None:
    prepared, seqs = logged
    with transaction(prepared.hub.sessions) as s:
        named = tamper(s, seqs[2])
    code, lines = verify(prepared)
    assert code == 1
    assert lines[-1].startswith("Error: audit log damaged")
    assert any(named in line for line in lines[:-1]), lines
