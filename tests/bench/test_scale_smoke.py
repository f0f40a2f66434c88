"""bench/scale.py end to end at 2,000 records, so that the scale benchmark cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests import databases

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "scale.py"
PHASES = ("ingest", "feed", "lists", "sync")


def run_scale(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--records", "2000", "--repeats", "3", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def check(out: subprocess.CompletedProcess[str]) -> None:
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    for phase in PHASES:
        assert f"== {phase}: PASS" in out.stdout
    assert "== result: PASS" in out.stdout


def test_scale_on_sqlite() -> None:
    check(run_scale())


@pytest.mark.skipif(not databases.postgresql(), reason="HUB_TEST_DATABASE_URL not set (see .ci/services)")
def test_scale_on_postgresql(tmp_path: Path) -> None:
    # The script drops and recreates the database it is given (and its <name>_sync sibling).
    check(run_scale("--database-url", databases.database_url(tmp_path, "bench")))


@pytest.mark.skipif(not databases.postgresql(), reason="HUB_TEST_DATABASE_URL not set (see .ci/services)")
def test_a_database_not_named_for_benchmarks_is_never_dropped(tmp_path: Path) -> None:
    url = databases.database_url(tmp_path, "hub")
    out = run_scale("--database-url", url)
    assert out.returncode != 0 and "refusing to drop" in out.stderr
