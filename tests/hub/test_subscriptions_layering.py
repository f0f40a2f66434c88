"""The subscription service is core: it and the CLI that manages subscriptions load
nothing of the sync engine, and the API's and the console's modules take nothing about
subscriptions from it (issue 12 item 1; tests/test_layering.py keeps the whole layering)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import hub


def test_managing_subscriptions_loads_no_sync_module() -> None:
    code = (
        "import sys, hub.webhooks.subscriptions, hub.webhooks.cli\n"
        "print(sorted(m for m in sys.modules if m == 'hub.sync' or m.startswith('hub.sync.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_the_doors_import_nothing_about_subscriptions_from_the_sync_engine() -> None:
    root = Path(hub.__file__).parent
    for path in [*root.glob("api/*.py"), *root.glob("console/*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "sync import webhooks" not in text and "sync.webhooks" not in text, path
        assert "sync.models import Delivery" not in text and "sync.models import Subscription" not in text, path
