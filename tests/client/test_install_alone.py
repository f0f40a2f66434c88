"""The partner client installs alone into a fresh virtual environment and works against
``hub serve`` on 127.0.0.1; every ``sh`` and ``python`` snippet of docs/partner-guide.md
runs, in order, in that environment against that hub.

Snippets keep the guide's placeholders (``https://hub.example.org``, the example client
id and secret, the key client's id and ``kid``), replaced here by the live values; a
fenced block whose info string says ``file=NAME`` is written to that file first.
Shell snippets share one session (variables carry over, as in a terminal); ``pip``
lines run in the repository's root.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import pytest

from tests import databases
from tests.reliability.server import HubServer, hub_cli, hub_env

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "partner-guide.md"
BLOCK = re.compile(r"^( *)```(\w*)([^\n]*)\n(.*?)^\1```", re.M | re.S)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with nothing but the client (and its ``schemas`` extra) installed."""
    venv = tmp_path_factory.mktemp("client-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", f"{ROOT / 'clients' / 'python'}[schemas]"],
        capture_output=True,
        text=True,
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    return venv


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``hub serve`` on a fresh database, and a VN partner system (read and write)."""
    root = tmp_path_factory.mktemp("served")
    env = hub_env(databases.database_url(root), root)
    assert hub_cli(env, "init").returncode == 0
    made = hub_cli(env, "clients", "create", "--country", "VN", "--name", "guide test portal", "--json")
    assert made.returncode == 0, made.stderr
    creds = json.loads(made.stdout)
    server = HubServer(env, root / "serve.log", workers=2)
    url = server.start()
    try:
        yield {**env, "HUB": url, "CLIENT_ID": creds["client_id"], "CLIENT_SECRET": creds["client_secret"]}
    finally:
        server.stop()


def test_the_client_installs_alone_and_works_against_hub_serve(
    fresh: Path, served: dict[str, str], tmp_path: Path
) -> None:
    python = str(fresh / "bin" / "python")
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True, check=True
    ).stdout
    names = {p["name"].lower() for p in json.loads(installed)}
    assert {"ovop-hub-client", "requests", "authlib", "jsonschema"} <= names
    assert not names & {"flask", "sqlalchemy", "marshmallow", "ovop-exchange-hub"}
    (tmp_path / "p.ndjson").write_text(
        "\n".join(
            json.dumps(
                {
                    "id": f"p{i}",
                    "country": "VN",
                    "name": {"vi": f"Sản phẩm {i}"},
                    "category": {"scheme": "VN-OCOP-2023", "code": "1.1"},
                },
                ensure_ascii=False,
            )
            for i in range(5)
        )
        + "\n"
    )
    script = textwrap.dedent("""
        import json, os, sys
        from ovop_hub_client import HubClient
        assert "flask" not in sys.modules and "hub" not in sys.modules
        with HubClient(os.environ["HUB"], os.environ["CLIENT_ID"], client_secret=os.environ["CLIENT_SECRET"]) as hub:
            who = hub.get("/api/v1/whoami").json()
            report = hub.send_file("products", "p.ndjson", max_records=2)
            own = hub.get("/api/v1/products/VN/p0", params={"include": "own"}).json()
            print(json.dumps({"country": who["country"], "chunks": report.chunks,
                              "counts": dict(report.counts), "review": own["review"]}))
    """)
    run = subprocess.run(
        [python, "-c", script],
        cwd=tmp_path,
        env={**served, "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"country": "VN", "chunks": 3, "counts": {"created": 5}, "review": "pending"}


def blocks(text: str) -> list[tuple[str, str, str]]:
    return [
        (lang, info.strip(), textwrap.dedent(code).replace("\n" + indent, "\n") if indent else code)
        for indent, lang, info, code in BLOCK.findall(text)
    ]


def test_every_snippet_of_the_partner_guide_runs(fresh: Path, served: dict[str, str], tmp_path: Path) -> None:
    found = blocks(GUIDE.read_text(encoding="utf-8"))
    assert sum(1 for lang, _, _ in found if lang in ("sh", "python")) >= 15
    values = {
        "https://hub.example.org": served["HUB"],
        "vn-3f9a1c2e7b5d4a60": served["CLIENT_ID"],
        "kR3w...Q": served["CLIENT_SECRET"],
    }
    env = {**served, "PATH": f"{fresh / 'bin'}:{Path(sys.executable).parent}:{os.environ['PATH']}"}
    session = tmp_path / ".session.sh"
    outputs: list[str] = []
    for lang, info, code in found:
        for placeholder, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
            code = code.replace(placeholder, value)
        name = re.search(r"file=(\S+)", info)
        if name:
            (tmp_path / name.group(1)).write_text(code, encoding="utf-8")
            continue
        if lang == "sh":
            cwd = ROOT if code.lstrip().startswith("pip ") else tmp_path
            script = f"set -aeuo pipefail\n[ -f {session} ] && . {session}\n{code}\nexport -p > {session}\n"
            run = subprocess.run(["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        elif lang == "python":
            run = subprocess.run(
                [str(fresh / "bin" / "python"), "-c", code],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        else:
            continue
        assert run.returncode == 0, (
            f"{lang} snippet failed:\n{code}\n--- stdout\n{run.stdout}\n--- stderr\n{run.stderr}"
        )
        outputs.append(run.stdout)
        if "--jwks" in code and (m := re.search(r"client_id:\s+(\S+)", run.stdout)):
            values["th-0c1d2e3f4a5b6c7d"] = m.group(1)
        if m := re.search(r"^kid: (\S+)", run.stdout, re.M):
            values["<kid printed above>"] = values["<kid>"] = m.group(1)
    text = "\n".join(outputs)
    assert "th-0c1d2e3f4a5b6c7d" in values and "'country': 'TH'" in text  # the key client's whoami
    assert '"status":"created"' in text.replace(" ", "") and "up to date at cursor" in text
    compact = text.replace(" ", "")
    assert '"uid":"VN/products/tra-shan-tuyet-ta-xua","status":"created"' in compact  # the PUT of section 6
    assert '"review":"pending"' in compact and re.search(r"\b404$", text, re.M)  # never published
    assert "Precondition" not in text  # If-Match with the ETag of ?include=own matched
    assert re.search(r"^1 requests; \{'(created|updated)': 1, '(created|updated)': 1\}$", text, re.M), text[-3000:]
