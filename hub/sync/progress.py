"""A progress bar on stderr when a run is started from a terminal (silent otherwise)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

WIDTH = 24


class Progress:
    def __init__(self, name: str, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.name, self.stream = name, stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.started = time.monotonic()
        self.shown = False

    def update(self, counts: dict[str, int], fraction: float | None, label: str) -> None:
        if not self.enabled:
            return
        done = counts.get("fetched", 0)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        if fraction is not None:
            filled = int(WIDTH * min(max(fraction, 0.0), 1.0))
            bar = f"[{'#' * filled}{'-' * (WIDTH - filled)}] {fraction:4.0%}"
        else:
            bar = f"{label}"
        parts = ", ".join(f"{k} {counts.get(k, 0)}" for k in ("created", "updated", "unchanged", "invalid"))
        self.stream.write(f"\r\x1b[K{self.name} {bar}  {done} fetched ({rate:,.0f}/s): {parts}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.enabled and self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
