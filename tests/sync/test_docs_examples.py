"""Every example of docs/sync.md is executed: each transform example (`spec` `"in"` ->
`"out"`) is run, and each TOML excerpt "from hub/sync/examples/X.toml" is verbatim
in that file, which tests/sync/test_inputs.py runs on its fixture."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hub.sync.transforms import build

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "sync.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r'`([a-z_]+(?::[^`]*)?)` `"([^`]*)"` -> `([^`]+)`')
EXCERPT = re.compile(r"```toml\n# from (hub/sync/examples/[\w.-]+\.toml)\n(.*?)```", re.S)


def examples() -> list[tuple[str, str, str]]:
    found = EXAMPLE.findall(DOC)
    assert len(found) >= 20
    return found


@pytest.mark.parametrize("spec, text, expected", examples())
def test_every_transform_example_in_the_docs_gives_what_the_docs_say(spec: str, text: str, expected: str) -> None:
    assert build(spec)(text) == json.loads(expected)


def test_every_excerpt_of_an_example_source_is_in_that_file() -> None:
    excerpts = EXCERPT.findall(DOC)
    assert len(excerpts) >= 6
    for path, text in excerpts:
        assert text in (ROOT / path).read_text(encoding="utf-8"), path
