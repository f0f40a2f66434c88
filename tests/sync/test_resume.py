"""A run killed at any point resumes without loss or duplication.

- ``hub sync run`` in a subprocess, SIGKILLed in the middle of a paged API; the next run
  takes over the dead runner's lock at once, marks its run abandoned, and resumes at the
  last committed page.
- A crash inside a page's transaction (after the records, before the commit) rolls the
  whole page back: records, checkpoint, quarantine and counts go together.
- A file source resumes at the row after the last committed page, and starts a new pass
  when the file changed meanwhile.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from hub.store.syncruns import Checkpoint, SyncRun
from hub.sync.runner import Runner
from tests.sync.conftest import add_source, revision_count, run, stored
from tests.sync.fakes import api_item, json_source

N = 300  # 30 pages of 10


def checkpoint(hub, name: str = "api") -> dict:  # type: ignore[no-untyped-def,type-arg]
    with hub.sessions() as s:
        row = s.get(Checkpoint, name)
        return dict(row.state) if row else {}


def test_a_runner_killed_mid_run_is_resumed_by_the_next_run(shub, fake) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(N)]
    fake.delay = 0.05
    add_source(shub, json_source("api", fake.url + "/products"), "api")
    s = shub.settings
    env = {
        **os.environ,
        "HUB_DATABASE_URL": s.database_url,
        "HUB_INSTANCE_PATH": s.instance_path,
        "HUB_SECRET_KEY": s.secret_key,
        "HUB_SOURCES_DIR": s.sources_dir,
        "HUB_DATA_DIR": s.data_dir,
    }
    with subprocess.Popen(
        [sys.executable, "-c", "from hub.cli import main; main()", "sync", "run", "api"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        deadline = time.monotonic() + 30
        while (checkpoint(shub).get("position") or {}).get("page", 0) < 6:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the runner made no progress"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    written = len(stored(shub))
    assert 50 <= written < N  # killed half-way
    assert written == (checkpoint(shub)["position"]["page"] - 1) * 10  # records and checkpoint agree

    fake.delay = 0
    result = run(shub, shub_source(shub))  # the dead runner's lock does not block it
    assert result.ok, result.error
    assert result.counts["created"] == N - written and result.counts["unchanged"] == 0
    records = stored(shub)
    assert len(records) == N and {v for v, _, _ in records.values()} == {1}
    assert revision_count(shub) == N
    with shub.sessions() as session:
        runs = session.scalars(sa.select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.status for r in runs] == ["abandoned", "succeeded"]
    assert runs[0].created == written  # the killed run's counts were committed page by page
    assert "killed or crashed" in runs[0].error


def shub_source(hub):  # type: ignore[no-untyped-def]
    from hub.sync import sources

    return sources.load(f"{hub.settings.sources_dir}/api.toml")


@pytest.mark.parametrize("crash_at", [1, 3])
def test_a_crash_inside_a_page_transaction_writes_nothing_of_that_page(shub, fake, monkeypatch, crash_at) -> None:  # type: ignore[no-untyped-def]
    fake.items = [api_item(i) for i in range(50)]
    src = add_source(shub, json_source("api", fake.url + "/products"), "api")
    calls = {"n": 0}
    original = Runner._bookkeeping

    def crashing(self, session, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        original(self, session, *args, **kwargs)  # the checkpoint is staged...
        if calls["n"] == crash_at:
            raise RuntimeError("power cut")  # ...but never committed

    monkeypatch.setattr(Runner, "_bookkeeping", crashing)
    failed = run(shub, src)
    assert failed.status == "failed" and failed.error == "RuntimeError: power cut"
    assert len(stored(shub)) == (crash_at - 1) * 10
    monkeypatch.setattr(Runner, "_bookkeeping", original)
    result = run(shub, src)
    assert result.ok and result.counts["created"] == 50 - (crash_at - 1) * 10
    assert revision_count(shub) == 50
    with shub.sessions() as s:
        assert s.scalar(sa.select(SyncRun.created).where(SyncRun.id == failed.run_id)) == (crash_at - 1) * 10


def test_a_file_source_resumes_at_the_next_row_or_starts_over_when_the_file_changed(shub, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from tests.sync.test_csv_sources import csv_source, rows

    data = Path(shub.settings.data_dir) / "p.csv"
    data.write_text(rows(100))
    src = add_source(shub, csv_source('path = "p.csv"', extra="batch_size = 30"), "files")
    original = Runner._page
    pages = {"n": 0}

    def stop_after_two(self, page):  # type: ignore[no-untyped-def]
        pages["n"] += 1
        if pages["n"] == 3:
            raise RuntimeError("killed")
        original(self, page)

    monkeypatch.setattr(Runner, "_page", stop_after_two)
    assert run(shub, src).status == "failed"
    assert checkpoint(shub, "files")["rows"] == 60 and len(stored(shub)) == 60
    monkeypatch.setattr(Runner, "_page", original)
    resumed = run(shub, src)
    assert resumed.ok and (resumed.counts["fetched"], resumed.counts["created"]) == (40, 40)
    assert resumed.report["notes"] == ["resumed the interrupted pass after row 60"]
    assert revision_count(shub) == 100

    pages["n"] = 0
    data.write_text(rows(100, suffix=" (2026)"))
    monkeypatch.setattr(Runner, "_page", stop_after_two)
    assert run(shub, src).status == "failed"
    monkeypatch.setattr(Runner, "_page", original)
    data.write_text(rows(100, suffix=" (2027)"))  # changed again before the next run
    fresh = run(shub, src)
    assert fresh.report["notes"] == ["the file changed since the interrupted pass: a new pass"]
    assert (fresh.counts["fetched"], fresh.counts["updated"]) == (100, 100)
    from collections import Counter

    assert Counter(v for v, _, _ in stored(shub).values()) == {3: 60, 2: 40}  # 60 had the 2026 text
    assert all(doc["name"]["vi"].endswith("(2027)") for _, doc, _ in stored(shub).values())
