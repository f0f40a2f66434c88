"""``hub audit head`` and ``hub audit verify --head FILE``: a head published outside the
database catches a chain rewritten consistently from end to end, which plain verify
cannot (its only anchor is the head the database itself holds)."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from hub.actors import Actor
from hub.store.audit import GENESIS, entry_hash
from hub.store.db import transaction
from hub.store.models import AuditEntry, WriteHead
from tests.conftest import product

from .conftest import Prepared
from .server import hub_cli

WRITER = Actor("client:test", "VN")


def write(prepared: Prepared, *ids: str) -> None:
    for i in ids:
        prepared.hub.writes.write(WRITER, "products", [product(id=i)], source="test")


def publish(prepared: Prepared, path: Path) -> dict:  # type: ignore[type-arg]
    done = hub_cli(prepared.env, "audit", "head")
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1, done.stderr
    # as an operator publishes it: inside a signed message, between other lines
    path.write_text(
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + done.stdout + "-----BEGIN PGP SIGNATURE-----\n...\n",
        encoding="utf-8",
    )
    return json.loads(done.stdout)["ovop_hub_audit_head"]


def rewrite_chain(prepared: Prepared) -> None:
    """A forger with database access edits entry 1 and rehashes every entry after it,
    and the write head: the chain is consistent again."""
    with transaction(prepared.hub.sessions) as s:
        prev = GENESIS
        for entry in s.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all():
            if entry.seq == 1:
                entry.actor = "mallory"
            entry.prev_hash = prev
            entry.hash = prev = entry_hash(
                prev, entry.seq, entry.at, entry.actor, entry.action, entry.target, entry.detail
            )
        head = s.get(WriteHead, 1)
        head.audit_hash = prev


def test_the_published_head_passes_now_and_after_later_writes(prepared: Prepared, tmp_path: Path) -> None:
    write(prepared, "a1", "a2")
    head = publish(prepared, tmp_path / "head.asc")
    assert head["seq"] >= 2 and len(head["hash"]) == 64 and head["at"].endswith("Z")
    write(prepared, "a3")
    done = hub_cli(prepared.env, "audit", "verify", "--head", str(tmp_path / "head.asc"))
    assert done.returncode == 0, done.stderr
    assert f"through the published head {head['seq']}" in done.stdout


def test_a_chain_rewritten_end_to_end_passes_plain_verify_but_not_the_published_head(
    prepared: Prepared, tmp_path: Path
) -> None:
    write(prepared, "a1", "a2")
    publish(prepared, tmp_path / "head.asc")
    rewrite_chain(prepared)
    assert hub_cli(prepared.env, "audit", "verify").returncode == 0  # consistent on its own
    done = hub_cli(prepared.env, "audit", "verify", "--head", str(tmp_path / "head.asc"))
    assert done.returncode == 1 and "history rewritten" in done.stderr and "Traceback" not in done.stderr


def test_a_log_cut_below_the_published_head_fails(prepared: Prepared, tmp_path: Path) -> None:
    write(prepared, "a1", "a2")
    head = publish(prepared, tmp_path / "head.asc")
    with transaction(prepared.hub.sessions) as s:
        last = s.get(AuditEntry, head["seq"] - 1)
        s.execute(sa.delete(AuditEntry).where(AuditEntry.seq >= head["seq"]))
        wh = s.get(WriteHead, 1)
        wh.audit_seq, wh.audit_hash = last.seq, last.hash
    done = hub_cli(prepared.env, "audit", "verify", "--head", str(tmp_path / "head.asc"))
    assert done.returncode == 1 and f"entry {head['seq']} is not in the log" in done.stderr


def test_a_file_without_a_head_is_one_line_error(prepared: Prepared, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text('{"ovop_hub_audit_head": {"seq": "x"}}\n', encoding="utf-8")
    done = hub_cli(prepared.env, "audit", "verify", "--head", str(bad))
    assert done.returncode == 1 and done.stderr.startswith("Error: ") and len(done.stderr.splitlines()) == 1
    assert "seq (an integer)" in done.stderr
