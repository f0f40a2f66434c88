"""bench/load.py and bench/export.py end to end at a tiny size, so that they cannot rot:
the integrity checks must pass (latency targets are for the full run, not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_load_benchmark_runs_and_its_integrity_checks_pass(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "load.py"),
            "--duration",
            "4",
            "--writers",
            "2",
            "--readers",
            "1",
            "--followers",
            "1",
            "--batch",
            "20",
            "--seed",
            "100",
            "--json",
            str(tmp_path / "load.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    figures = json.loads((tmp_path / "load.json").read_text())
    targets = figures["targets"]
    for check in ("no_5xx", "nothing_lost_or_stale", "feed_gapless", "replays_match", "audit_verify"):
        assert targets[check], (check, out.stdout[-3000:], out.stderr[-3000:])
    assert figures["writes"]["records"] > 0 and figures["integrity"]["acknowledged"] > 0
    assert {"batch", "feed"} <= set(figures["latency_ms"])


def test_the_export_benchmark_runs_and_checks_the_trailer(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCH / "export.py"),
            "--records",
            "1500",
            "--step",
            "500",
            "--json",
            str(tmp_path / "export.json"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    figures = json.loads((tmp_path / "export.json").read_text())
    assert figures["export"]["trailer_ok"] and figures["export"]["rows"] == figures["list"]["rows"] == 1500, out.stderr[
        -3000:
    ]
    assert len(figures["export"]["seconds_per_step"]) == 3
