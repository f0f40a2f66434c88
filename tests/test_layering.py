"""The layering holds: schemas/ stands alone; the doors (API, console) and the sync engine
never import each other; core modules import no door and no engine. Imports inside
functions count too (a function-level import is how layering quietly erodes)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def within(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def offending(paths: list[Path], banned: tuple[str, ...]) -> list[str]:
    return [f"{module_name(p)} imports {m}" for p in paths for m in sorted(imports(p)) if within(m, *banned)]


DOORS = ("hub.api", "hub.console")
ENGINE = ("hub.sync",)
#: what assembles the doors and the engine: the app factory (``hub``), the ``hub`` command,
#: and the migrations, which know every table
ASSEMBLY = ("hub.cli", "hub.migrations", "hub.store.migrate")


def core() -> list[Path]:
    return [
        p
        for p in modules("hub")
        if module_name(p) != "hub" and not within(module_name(p), *DOORS, *ENGINE, *ASSEMBLY, "hub.auth")
    ]


@pytest.mark.parametrize(
    "paths, banned",
    [
        (modules("schemas"), ("hub", "flask", "sqlalchemy")),
        (modules("hub/api") + modules("hub/console"), ENGINE),
        (modules("hub/sync"), DOORS),
        (modules("hub/api"), ("hub.console",)),
        (modules("hub/console"), ("hub.api",)),
        (core(), ENGINE + DOORS),
    ],
    ids=[
        "schemas stands alone",
        "doors import no engine",
        "the engine imports no door",
        "the API imports no console",
        "the console imports no API",
        "core imports no door and no engine",
    ],
)
def test_the_layering_holds(paths: list[Path], banned: tuple[str, ...]) -> None:
    assert paths and offending(paths, banned) == []


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = ROOT / "hub" / "api" / "_layering_sample.py"
    sample.write_text("def f():\n    from ..sync import runner\n", encoding="utf-8")
    try:
        assert offending([sample], ENGINE) == [
            "hub.api._layering_sample imports hub.sync",
            "hub.api._layering_sample imports hub.sync.runner",
        ]
    finally:
        sample.unlink()


def test_importing_the_api_and_the_console_loads_no_fetcher_requests_or_partner_client() -> None:
    code = (
        "import sys, hub.api, hub.console; "
        "print(sorted(m for m in sys.modules if m == 'hub.sync' or m.startswith(('hub.sync.', 'requests', "
        "'ovop_hub_client', 'hub.partner'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"
