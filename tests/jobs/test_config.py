"""Job settings: embedded is the default and imports no Celery; every bad setting or
wrong mode is one line and a non-zero exit, from ``hub`` and from ``celery -A hub.sync.jobs``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub import config
from hub.cli import cli
from tests.sync.test_csv_sources import csv_source

BROKER = "redis://127.0.0.1:9/0"  # nothing listens there


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.sqlite3'}",
        "HUB_SECRET_KEY": "s",
        "HUB_INSTANCE_PATH": str(tmp_path),
        "HUB_SOURCES_DIR": str(tmp_path),
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for key in ("HUB_CONFIG", "HUB_JOBS", "HUB_CELERY_BROKER_URL", "HUB_CELERY_RESULT_BACKEND", "HUB_CELERY_QUEUE"):
        monkeypatch.delenv(key, raising=False)
    (tmp_path / "hub.sqlite3").touch()  # a database exists (only `hub init` makes one); these refusals come first
    return values


def test_embedded_is_the_default_and_needs_no_celery() -> None:
    assert config.Settings().jobs == "embedded"
    code = "import sys, hub.cli, hub.sync.jobs, hub.sync.jobs.cli; print('celery' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "over, message",
    [
        ({"jobs": "threads"}, "jobs must be 'embedded' or 'celery', not 'threads'"),
        ({"jobs": "celery"}, 'jobs = "celery" needs celery_broker_url (environment HUB_CELERY_BROKER_URL)'),
        (
            {"celery_broker_url": "amqp://guest:pw@mq/"},
            "celery_broker_url must be a Redis URL (redis:// or rediss://), not amqp",
        ),
        ({"celery_result_backend": "redis"}, "celery_result_backend must be a URL"),
        ({"celery_queue": "two words"}, "celery_queue must be letters, digits"),
        ({"celery_visibility_timeout": 5}, "celery_visibility_timeout must be at least 60 seconds"),
    ],
)
def test_bad_job_settings_are_refused_when_loaded(over: dict[str, object], message: str) -> None:
    with pytest.raises(config.ConfigError, match="^" + re.escape(message)):
        config.load({"database_url": "sqlite://", "secret_key": "s", **over}, env={})


@pytest.mark.parametrize(
    "args, extra, message",
    [
        (["worker"], {"HUB_JOBS": "celery"}, 'Error: jobs = "celery" needs celery_broker_url'),
        (["worker"], {}, 'Error: jobs is "embedded": set jobs = "celery"'),
        (
            ["beat"],
            {"HUB_JOBS": "celery", "HUB_CELERY_BROKER_URL": "http://x"},
            "Error: celery_broker_url must be a Redis URL",
        ),
        (
            ["scheduler", "--once"],
            {"HUB_JOBS": "celery", "HUB_CELERY_BROKER_URL": BROKER},
            'Error: jobs = "celery": Celery beat schedules sync runs and webhook deliveries '
            "(hub beat, with hub worker)",
        ),
        (["sync", "run", "--queue"], {}, 'Error: jobs is "embedded"'),
    ],
)
def test_the_cli_says_what_is_wrong_in_one_line(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, args: list[str], extra: dict[str, str], message: str
) -> None:
    for key, value in extra.items():
        monkeypatch.setenv(key, value)
    if args[:2] == ["sync", "run"]:
        Path(env["HUB_SOURCES_DIR"], "s.toml").write_text(csv_source('path = "s.csv"', name="s"))
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output


def test_queueing_without_a_broker_is_one_line(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_JOBS", "celery")
    monkeypatch.setenv("HUB_CELERY_BROKER_URL", "redis://:secret@127.0.0.1:9/0")
    Path(env["HUB_SOURCES_DIR"], "s.toml").write_text(csv_source('path = "s.csv"', name="s"))
    dry = CliRunner().invoke(cli, ["sync", "run", "--queue", "--dry-run"])
    assert dry.exit_code == 1 and "--dry-run runs here and writes nothing" in dry.output
    result = CliRunner().invoke(cli, ["sync", "run", "s", "--queue"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach the broker at redis://:**@127.0.0.1:9/0: ")
    assert len(result.output.strip().splitlines()) == 1 and "secret" not in result.output


def test_celery_a_hub_jobs_with_a_bad_setting_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "hub.sync.jobs", "inspect", "ping"],
        capture_output=True,
        text=True,
        env={**env, "HUB_JOBS": "celery"},
        cwd=tmp_path,
    )
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        'Error: jobs = "celery" needs celery_broker_url (environment HUB_CELERY_BROKER_URL), '
        "e.g. redis://127.0.0.1:6379/0"
    ]
