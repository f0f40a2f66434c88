"""Where the hub keeps its files does not depend on the working directory: paths in a
config file are relative to that file, unset folders are in the hub's home (the config
file's folder, or the per-user data folder), and every command finds the same database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hub import config


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a command an operator types: no HUB_* setting unless given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_") and k != "PYTHONPATH"}
    return {**env, **extra}


def hub_cmd(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_paths_in_a_config_file_are_relative_to_that_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    etc = tmp_path / "etc" / "hub"
    etc.mkdir(parents=True)
    (etc / "hub.toml").write_text(
        '[hub]\nsources_dir = "sources"\ndata_dir = "../data"\ninstance_path = "state"\n'
        'database_url = "sqlite:///state/hub.sqlite3"\nsecret_key = "k"\n',
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    s = config.load(env={"HUB_CONFIG": str(etc / "hub.toml")})
    assert Path(s.sources_dir) == etc / "sources"
    assert Path(s.data_dir) == (etc / "../data")
    assert Path(s.instance_path) == etc / "state"
    assert s.database_url == f"sqlite:///{etc / 'state' / 'hub.sqlite3'}"
    assert s.rate_limit_storage == f"machine://{etc / 'state' / 'ratelimits.sqlite3'}"


def test_a_config_file_without_paths_keeps_everything_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "hub.toml").write_text('[hub]\nmembers = ["VN", "TH"]\n', encoding="utf-8")
    monkeypatch.chdir("/")
    s = config.load(env={"HUB_CONFIG": str(tmp_path / "hub.toml")})
    assert (s.instance_path, s.sources_dir, s.data_dir) == tuple(
        str(tmp_path / name) for name in ("instance", "sources", "data")
    )
    assert s.database_url == f"sqlite:///{tmp_path / 'instance' / 'hub.sqlite3'}"
    assert (tmp_path / "instance" / "secret_key").is_file()


def test_without_a_config_file_the_hub_lives_in_the_per_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    home = tmp_path / "xdg" / "ovop-exchange-hub"
    seen = set()
    for folder in (tmp_path, Path("/")):
        monkeypatch.chdir(folder)
        s = config.load(env={})
        seen.add((s.instance_path, s.sources_dir, s.data_dir, s.database_url))
    assert seen == {
        (
            str(home / "instance"),
            str(home / "sources"),
            str(home / "data"),
            f"sqlite:///{home / 'instance/hub.sqlite3'}",
        )
    }


def test_relative_paths_from_the_environment_are_fixed_where_the_command_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    s = config.load(
        env={"HUB_INSTANCE_PATH": "inst", "HUB_SOURCES_DIR": "src", "HUB_DATABASE_URL": "sqlite:///db/hub.sqlite3"}
    )
    assert (s.instance_path, s.sources_dir) == (str(tmp_path / "inst"), str(tmp_path / "src"))
    assert s.database_url == f"sqlite:///{tmp_path / 'db' / 'hub.sqlite3'}"


@pytest.mark.parametrize("with_config", [True, False], ids=["config file", "per-user folder"])
def test_commands_run_from_another_folder_use_the_database_hub_init_made(tmp_path: Path, with_config: bool) -> None:
    """The trap of the old default (``instance`` in the working directory): ``hub clients
    create`` from another folder made a second, empty database and advised ``hub init``."""
    if with_config:
        (tmp_path / "conf").mkdir()
        (tmp_path / "conf" / "hub.toml").write_text('[hub]\nmembers = ["VN"]\n', encoding="utf-8")
        env = clean_env(HUB_CONFIG=str(tmp_path / "conf" / "hub.toml"))
        database = tmp_path / "conf" / "instance" / "hub.sqlite3"
    else:
        env = clean_env(XDG_DATA_HOME=str(tmp_path / "xdg"), HUB_MEMBERS="VN")
        database = tmp_path / "xdg" / "ovop-exchange-hub" / "instance" / "hub.sqlite3"
    first, second = tmp_path / "here", tmp_path / "there"
    first.mkdir()
    second.mkdir()
    init = hub_cmd("init", cwd=first, env=env)
    assert init.returncode == 0 and str(database) in init.stdout, init.stderr
    made = hub_cmd("clients", "create", "--country", "VN", "--name", "portal", cwd=second, env=env)
    assert made.returncode == 0, made.stderr
    listed = hub_cmd("clients", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0 and "portal" in listed.stdout, listed.stderr
    assert not any(p.name == "hub.sqlite3" for p in (first / "instance", second / "instance") if p.exists())
    assert sorted(p.name for p in tmp_path.rglob("hub.sqlite3")) == ["hub.sqlite3"]


def test_the_example_config_file_points_at_the_folders_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "hub.example.toml"
    monkeypatch.chdir("/")
    s = config.load({"secret_key": "k", "instance_path": "/nonexistent-instance"}, env={"HUB_CONFIG": str(example)})
    assert Path(s.sources_dir) == example.parent / "sources"
    assert s.database_url == "sqlite:////nonexistent-instance/hub.sqlite3"
