"""Browser tests: a real hub served on 127.0.0.1, driven by Playwright in Debian's Chromium.

Skipped, with the reason, only when /usr/bin/chromium is absent (CI installs it).
Screenshots go to $HUB_SCREENSHOTS when it is set.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from hub import config, create_app
from hub.services import Hub
from tests import databases
from tests.browser.seed import Seeded, seed

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True
    )


class Live:
    """A hub on a free port of 127.0.0.1 in a thread, with its seeded data."""

    def __init__(self, root: Path) -> None:
        self.settings = config.load(
            {"database_url": databases.database_url(root), "secret_key": "browser-test", "instance_path": str(root)}
        )
        self.hub = Hub(self.settings)
        self.hub.init()
        self.data: Seeded = seed(self.hub)
        self.app = create_app(
            {"database_url": self.settings.database_url, "secret_key": "browser-test", "instance_path": str(root)}
        )
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.hub.engine.dispose()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = Live(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=live.url, locale="en-GB", viewport={"width": 1360, "height": 900})
    context.set_default_timeout(15_000)
    pg = context.new_page()
    yield pg
    context.close()


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot when $HUB_SCREENSHOTS names a folder."""
    folder = os.environ.get("HUB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page: Any, email: str, password: str = "correct horse battery") -> None:
    page.goto("/console/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url("**/console/")
