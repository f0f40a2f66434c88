"""Text normalisation: NFC on the way in, accent-insensitive folding for search."""

from __future__ import annotations

import unicodedata
from itertools import chain

# Letters that do not decompose into base + combining mark but should fold anyway.
_EXTRA = {"đ": "d", "Đ": "D", "ð": "d", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"}


def _fold_table() -> dict[int, str | None]:
    """One translation table: Latin letters with diacritics to their base letters, and
    the Latin combining marks (U+0300-U+036F, present in NFD input) removed.

    Built once from Unicode decompositions, so ``str.translate`` does in C what
    NFKD-then-filter would do per character in Python (search indexing is on the
    write path's hot loop).
    """
    table: dict[int, str | None] = dict.fromkeys(range(0x300, 0x370))
    for cp in chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):
        decomposed = unicodedata.normalize("NFKD", chr(cp))
        base = "".join(c for c in decomposed if not 0x300 <= ord(c) < 0x370)
        if base != chr(cp):
            table[cp] = base
    table.update({ord(k): v for k, v in _EXTRA.items()})
    return table


_FOLD = _fold_table()


def nfc(text: str) -> str:
    """Trim and normalise to Unicode NFC (feeds mix NFC and NFD).

    Text already in NFC is kept as the same object (no copy: its UTF-8 form, cached by
    the JSON encoder, is then shared by the input and the document)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text.strip()


def fold(text: str) -> str:
    """Lower-case, strip diacritics and tone marks, collapse white space.

    ``fold("Hợp tác xã Đồng Tâm") == "hop tac xa dong tam"``, in NFC or NFD alike.
    Only Latin diacritics go: Thai vowel and tone signs are letters of their own and
    are kept.
    """
    if not text.isascii():
        text = text.translate(_FOLD)
    return " ".join(text.casefold().split())
