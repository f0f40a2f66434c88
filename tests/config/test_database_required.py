"""Only ``hub init`` creates a database: every other command given a missing SQLite file
says which file it looked for and to run ``hub init``, in one line, and leaves no file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from tests.config.test_paths import clean_env

COMMANDS = [
    ["clients", "create", "--country", "VN", "--name", "portal"],
    ["clients", "list"],
    ["users", "list"],
    ["members", "list"],
    ["demo"],
    ["refresh"],
    ["import", "products", "x.ndjson", "--country", "VN"],
    ["export", "products"],
    ["audit", "verify"],
    ["audit", "head"],
    ["sync", "run"],
    ["sync", "status"],
    ["sync", "quarantine"],
    ["scheduler", "--once"],
    ["subscriptions", "list"],
    ["backup", "copy.sqlite3"],
]


@pytest.fixture
def missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("HUB_CONFIG", "HUB_DATABASE_URL", "HUB_JOBS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HUB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("HUB_SOURCES_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "instance" / "hub.sqlite3"


def refusal(missing: Path) -> str:
    return f"Error: no database at {missing}: run 'hub init' to create it"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_every_command_but_init_refuses_a_missing_database(missing: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(refusal(missing)) and result.output.count("\n") == 1, result.output
    assert not missing.exists()


def test_hub_init_creates_it_and_then_the_others_work(missing: Path) -> None:
    assert CliRunner().invoke(cli, ["members", "list"]).exit_code == 1
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0 and missing.is_file()
    listed = CliRunner().invoke(cli, ["members", "list"])
    assert listed.exit_code == 0 and "VN" in listed.output


@pytest.mark.parametrize(
    "args, extra",
    [
        (["serve", "--port", "1"], {}),
        (["worker"], {"HUB_JOBS": "celery", "HUB_CELERY_BROKER_URL": "redis://127.0.0.1:9/0"}),
        (["beat"], {"HUB_JOBS": "celery", "HUB_CELERY_BROKER_URL": "redis://127.0.0.1:9/0"}),
    ],
    ids=["serve", "worker", "beat"],
)
def test_the_server_and_the_celery_processes_refuse_it_before_starting(
    tmp_path: Path, args: list[str], extra: dict[str, str]
) -> None:
    """In a process of their own: before the change they started (and created the file)."""
    missing = tmp_path / "instance" / "hub.sqlite3"
    env = clean_env(HUB_INSTANCE_PATH=str(tmp_path / "instance"), HUB_SOURCES_DIR=str(tmp_path), **extra)
    try:
        out = subprocess.run(
            [sys.executable, "-c", "from hub.cli import main; main()", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"hub {args[0]} started without a database")
    assert out.returncode == 1 and out.stderr.startswith(refusal(missing)), out.stderr
    assert not missing.exists()


def test_celery_a_hub_jobs_refuses_it_too(tmp_path: Path) -> None:
    missing = tmp_path / "instance" / "hub.sqlite3"
    env = clean_env(
        HUB_INSTANCE_PATH=str(tmp_path / "instance"), HUB_JOBS="celery", HUB_CELERY_BROKER_URL="redis://127.0.0.1:9/0"
    )
    out = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "hub.sync.jobs", "inspect", "ping"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert out.returncode == 1 and refusal(missing) in out.stderr and "Traceback" not in out.stderr, out.stderr
    assert not missing.exists()
