"""Import a standard JSON/NDJSON file through the write path, in bounded batches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from schemas.io import Line, read_records

from ..actors import Actor
from .writepath import Outcome, WritePath

BATCH = 500


@dataclass
class ImportReport:
    counts: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[int, Outcome]] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.counts["invalid"] or self.counts["forbidden"])


def import_file(writes: WritePath, actor: Actor, kind: str, path: str | Path, source: str = "cli") -> ImportReport:
    """Import ``path``; each batch is its own transaction, so earlier batches stay committed."""
    report = ImportReport()
    for lines in _batches(read_records(path), BATCH):
        records = [ln.record for ln in lines if ln.error is None]
        numbers = [ln.number for ln in lines if ln.error is None]
        for ln in lines:
            if ln.error is not None:
                report.counts["invalid"] += 1
                report.problems.append(
                    (
                        ln.number,
                        Outcome(0, None, "invalid", errors=[{"path": "$", "code": "json", "message": ln.error}]),
                    )
                )
        outcome = writes.write(actor, kind, records, source=source)
        for number, result in zip(numbers, outcome.results):
            report.counts[result.status] += 1
            if result.errors or result.warnings:
                report.problems.append((number, result))
    report.problems.sort(key=lambda p: p[0])
    return report


def _batches(lines: Iterator[Line], size: int) -> Iterator[list[Line]]:
    chunk: list[Line] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
