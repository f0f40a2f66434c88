"""Translations: every string of the console is translated into Vietnamese and Thai,
and the committed .mo files are compiled from the committed .po files."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import hub.console

CONSOLE = Path(hub.console.__file__).parent
LANGS = ("vi", "th")


def _extracted() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.svg", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(CONSOLE),
        method_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_is_translated(lang: str) -> None:
    with open(CONSOLE / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in catalog if m.id}
    missing = sorted(i for i in _extracted() if not translated.get(i) or translated[i] in ("", ("",)))
    assert not missing, f"untranslated in {lang} (run make translations, then translate): {missing}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy entries in {lang}: {fuzzy}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalogue_matches_its_source(lang: str) -> None:
    folder = CONSOLE / "translations" / lang / "LC_MESSAGES"

    def plain(value):  # type: ignore[no-untyped-def]
        return tuple(value) if isinstance(value, (list, tuple)) else value

    with open(folder / "messages.po", "rb") as f:
        source = {plain(m.id): plain(m.string) for m in read_po(f) if m.id}
    with open(folder / "messages.mo", "rb") as f:
        compiled = {plain(m.id): plain(m.string) for m in read_mo(BytesIO(f.read())) if m.id}
    assert compiled == source, "the .mo is stale: run make translations"


def test_placeholders_survive_translation() -> None:
    import re

    for lang in LANGS:
        with open(CONSOLE / "translations" / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
            for m in read_po(f):
                if not m.id:
                    continue
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                strings = m.string if isinstance(m.string, tuple) else (m.string,)
                wanted = set(re.findall(r"%\(\w+\)\w", ids[0]))
                for s in strings:
                    assert set(re.findall(r"%\(\w+\)\w", s)) == wanted, (lang, m.id, s)


def test_the_console_bundles_a_thai_font_for_systems_without_one(client) -> None:  # type: ignore[no-untyped-def]
    with client.get("/console/static/console.css") as r:
        css = r.get_data(as_text=True)
    assert '"Hub Noto Sans Thai"' in css and "unicode-range: U+0E01-0E5B" in css
    for name in ("NotoSansThai-Regular.ttf", "NotoSansThai-Bold.ttf"):
        with client.get(f"/console/static/fonts/{name}") as r:
            assert r.status_code == 200 and r.get_data()[:4] == b"\x00\x01\x00\x00"  # a TrueType font
    assert "SIL OPEN FONT LICENSE" in (CONSOLE / "static" / "fonts" / "OFL.txt").read_text()
