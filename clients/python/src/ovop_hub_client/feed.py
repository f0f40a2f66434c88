"""Follow the hub's change feed from a cursor kept in a file.

The cursor is saved (atomically) once every change of a page has been handed out, so
after a crash the follower resumes at the first page not fully processed: a change
may come twice, never not at all. Apply changes by ``uid`` and ``version`` and a
repeat does no harm.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from .client import HubClient


class FeedFollower:
    """``GET /api/v1/changes`` after the cursor in ``cursor_file`` (filters: kind,
    country, limit)."""

    def __init__(self, client: "HubClient", cursor_file: str | Path, **filters: Any) -> None:
        self.client, self.path, self.filters = client, Path(cursor_file), filters

    @property
    def cursor(self) -> str | None:
        """The saved cursor; None before the first page (the feed starts at its beginning)."""
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def save(self, cursor: str) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(cursor, encoding="utf-8")
        os.replace(tmp, self.path)

    def changes(self) -> Iterator[dict[str, Any]]:
        """Every change after the saved cursor, until the feed has no more."""
        for page in self.client.change_pages(after=self.cursor, **self.filters):
            yield from page.get("changes", [])
            if page.get("next_cursor"):
                self.save(page["next_cursor"])

    def follow(self, wait: float = 30.0, stop: Callable[[], bool] = lambda: False,
               sleep: Callable[[float], None] = time.sleep) -> Iterator[dict[str, Any]]:
        """Like :meth:`changes`, then poll every ``wait`` seconds until ``stop()``."""
        while True:
            yield from self.changes()
            if stop():
                return
            sleep(wait)
