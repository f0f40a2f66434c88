"""An installed hub (the wheel, run outside the checkout) carries its example sources and
its migrations, finds the examples, and shows the run history without a sources folder."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.config.test_paths import clean_env
from tests.sync.test_csv_sources import csv_source, rows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.name for p in (ROOT / "hub" / "sync" / "examples").glob("*.toml"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip wheel .`` builds, unpacked as an installation would lay it out."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("ovop_exchange_hub-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert {f"hub/sync/examples/{name}" for name in EXAMPLES} <= names
        z.extractall(out / "site")
    return out / "site"


def outside(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``hub ARGS`` with the unpacked wheel first on the path (the dependencies from this
    environment), in a folder outside the checkout, PYTHONPATH unset."""
    code = (
        "import site, sys; sys.path.insert(0, sys.argv.pop(1)); site.addsitedir(sys.argv.pop(1)); "
        "import hub; assert hub.__file__.startswith(sys.path[0]), hub.__file__; "
        "from hub.cli import main; main(sys.argv[1:])"
    )
    purelib = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [sys.executable, "-S", "-c", code, str(site), purelib, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=clean_env(**env),
        timeout=120,
    )


def test_the_wheel_holds_every_example_source(installed: Path) -> None:
    assert EXAMPLES and sorted(p.name for p in (installed / "hub" / "sync" / "examples").glob("*.toml")) == EXAMPLES


def test_an_installed_hub_finds_its_examples_and_shows_runs_without_a_sources_folder(
    installed: Path, tmp_path: Path
) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "HUB_MEMBERS": "VN,TH"}
    listed = outside(installed, tmp_path, "sync", "examples", **env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith(f"example sources in {installed / 'hub' / 'sync' / 'examples'} ")
    assert all(f"  {name}: " in listed.stdout for name in EXAMPLES)
    assert outside(installed, tmp_path, "init", **env).returncode == 0
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "files.csv").write_text(rows(3), encoding="utf-8")
    (folder / "files.toml").write_text(csv_source('path = "files.csv"'), encoding="utf-8")
    ran = outside(installed, tmp_path, "sync", "run", **env, HUB_SOURCES_DIR=str(folder), HUB_DATA_DIR=str(folder))
    assert ran.returncode == 0, ran.stderr
    status = outside(installed, tmp_path, "sync", "status", **env)
    assert status.returncode == 0, status.stderr
    home = tmp_path / "xdg" / "ovop-exchange-hub"
    assert status.stderr.startswith(f"Note: no sources folder at {home / 'sources'} (setting sources_dir)")
    assert status.stdout.startswith("files: no source file\n  last run #1 succeeded")
