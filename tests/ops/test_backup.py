"""hub backup / hub restore: a consistent copy while a writer runs, restored into a fresh
database with the same records, feed and audit chain; refusals are one line."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from hub.actors import Actor
from hub.cli import cli
from hub.curation.members import set_policy
from hub.operations import backup
from hub.services import Hub
from hub.store import audit
from hub.store.db import transaction
from hub.store.models import AuditEntry, Change, Revision
from tests import databases
from tests.conftest import product


def snapshot(hub: Hub, upto: int | None = None) -> dict[str, Any]:
    """Feed, revisions and audit entries (up to feed seq ``upto``)."""
    with hub.sessions() as s:
        head = s.get(audit.WriteHead, 1)
        end = head.change_seq if upto is None else upto
        changes = s.execute(
            sa.select(Change.seq, Change.uid, Change.version).where(Change.seq <= end).order_by(Change.seq)
        ).all()
        revs = {(uid, v) for _, uid, v in changes}
        revisions = sorted(
            r
            for r in s.execute(sa.select(Revision.uid, Revision.version, Revision.content_hash)).all()
            if (r.uid, r.version) in revs
        )
        entries = s.execute(sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq)).all()
    return {
        "changes": [tuple(c) for c in changes],
        "revisions": [tuple(r) for r in revisions],
        "audit": [tuple(e) for e in entries],
    }


def test_backup_while_writing_restores_one_moment(hub: Hub, tmp_path: Path) -> None:
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    writer = Actor("test", "VN")
    stop = threading.Event()
    batches = [0]

    def write() -> None:
        while not stop.is_set() or batches[0] < 6:
            n = batches[0]
            hub.writes.write(writer, "products", [product(f"{n}-{i}") for i in range(50)], source="api")
            batches[0] += 1

    thread = threading.Thread(target=write)
    thread.start()
    try:
        while batches[0] < 3:
            stop.wait(0.01)
        done = backup.backup(hub.settings.database_url, tmp_path / "hub.operations.backup")
    finally:
        stop.set()
        thread.join(60)
    assert done.bytes > 0
    restored = Hub(dataclasses.replace(hub.settings, database_url=databases.database_url(tmp_path, "restored")))
    backup.restore(restored.settings.database_url, tmp_path / "hub.operations.backup")
    try:
        with restored.sessions() as s:
            assert audit.verify(s) == []
            head = s.get(audit.WriteHead, 1)
        at_backup = head.change_seq
        live = snapshot(hub)
        assert 0 < at_backup < len(live["changes"])  # the writer went on after the backup
        assert at_backup % 50 == 0  # whole transactions only
        copy = snapshot(restored)
        assert copy["changes"] == live["changes"][:at_backup]
        assert copy["revisions"] == snapshot(hub, at_backup)["revisions"]
        assert copy["audit"] == live["audit"][: len(copy["audit"])]
    finally:
        restored.engine.dispose()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def use(url: str) -> None:
        monkeypatch.setenv("HUB_DATABASE_URL", url)

    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    return use


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_commands_and_their_refusals(hub: Hub, tmp_path: Path, cli_env) -> None:  # type: ignore[no-untyped-def]
    with transaction(hub.sessions) as s:
        set_policy(s, "test", "VN", "auto")
    hub.writes.write(Actor("test", "VN"), "products", [product(i) for i in range(5)], source="api")
    cli_env(hub.settings.database_url)
    dump = tmp_path / "hub.operations.backup"
    made = invoke("backup", str(dump))
    assert made.exit_code == 0 and "backup written" in made.output
    again = invoke("backup", str(dump))
    assert again.exit_code == 1 and again.output.count("\n") == 1 and "exists" in again.output
    nowhere = invoke("backup", str(tmp_path / "no" / "such" / "folder" / "x.backup"))
    assert nowhere.exit_code == 1 and nowhere.output.count("\n") == 1 and "is not a folder" in nowhere.output

    refused = invoke("restore", str(dump))  # the live database holds tables
    assert refused.exit_code == 1 and "--force" in refused.output and refused.output.count("\n") == 1
    missing = invoke("restore", str(tmp_path / "missing.backup"))
    assert missing.exit_code == 1 and "cannot read" in missing.output and missing.output.count("\n") == 1
    junk = tmp_path / "junk.backup"
    junk.write_text("not a backup")
    bad = invoke("restore", str(junk), "--force")
    assert bad.exit_code == 1 and "not a backup" in bad.output

    fresh = databases.database_url(tmp_path, "fresh")
    cli_env(fresh)
    restored = invoke("restore", str(dump))
    assert restored.exit_code == 0, restored.output
    assert "restored" in restored.output and "5 changes" in restored.output and "audit log intact" in restored.output
    copy = Hub(dataclasses.replace(hub.settings, database_url=fresh))
    try:
        with copy.sessions() as s:
            assert audit.verify(s) == []
        assert snapshot(copy) == snapshot(hub)
    finally:
        copy.engine.dispose()
    forced = invoke("restore", str(dump), "--force")
    assert forced.exit_code == 0, forced.output
