"""One machine, several worker processes, no Redis: the rate limit is the configured one,
not the configured one per worker (issue 18, loose end)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.auth.helpers import partner_headers

WORKER = """
import json, sys
from hub import create_app
overrides, headers, n = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
app = create_app(overrides)
web = app.test_client()
print(json.dumps([web.get("/api/v1/stats", headers=headers).status_code for _ in range(n)]))
app.extensions["hub"].engine.dispose()
"""


def worker(overrides: dict[str, str], headers: dict[str, str], n: int) -> list[int]:
    """``n`` requests from a separate process (what a gunicorn worker is)."""
    out = subprocess.run(
        [sys.executable, "-c", WORKER, json.dumps(overrides), json.dumps(headers), str(n)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "storage, expected",
    [
        ("", [200] * 4 + [200] + [429] * 3),  # the default: one count for the machine
        ("memory://", [200] * 4 + [200] * 4),  # per process: each worker allows the whole limit
    ],
)
def test_workers_of_one_machine_share_the_limit(settings, hub, client, storage, expected) -> None:  # type: ignore[no-untyped-def]
    headers = partner_headers(hub, client, "VN", ("exchange:read",))
    overrides = {
        "database_url": settings.database_url,
        "secret_key": "test-secret",
        "instance_path": settings.instance_path,
        "rate_limit": "5/minute",
        "rate_limit_storage": storage,
    }
    assert worker(overrides, headers, 4) + worker(overrides, headers, 4) == expected


def test_the_default_counter_store_is_a_file_in_the_instance_folder(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.rate_limit_storage == f"machine://{Path(settings.instance_path).resolve() / 'ratelimits.sqlite3'}"
