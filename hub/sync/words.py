"""Words of scripts written without spaces (Thai, Lao, Khmer, Myanmar), for keyword rules.

A keyword rule must find "ชา" (tea) in "ชาสมุนไพร" but not in "น้ำพริกเผาชาววัง", and
"หมู" (pork) in "หมูทอด" but not in "หมู่บ้าน": a substring test misfires, and the regex
word boundary sees no boundary at all. ICU's word break iterator (the dictionaries every
browser uses to break these scripts) splits the text into words; a keyword matches when
its own words occur in a row. A compound that contains a keyword ("มัดหมี่", ikat cloth,
holds "หมี่", noodles) is told apart by rule order: the rule for the compound comes first.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Thai, Lao, Myanmar, Khmer
NO_SPACES = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")


def needs_words(text: str) -> bool:
    return NO_SPACES.search(text) is not None


@lru_cache(maxsize=1)
def _iterator() -> Any:
    import icu  # lazy: only mappings with such keywords need it

    return icu.BreakIterator.createWordInstance(icu.Locale.getRoot())


@lru_cache(maxsize=65536)
def words(text: str) -> tuple[str, ...]:
    """The words of a text, lower case, without spaces and punctuation."""
    it = _iterator()
    it.setText(text)
    out: list[str] = []
    start = it.first()
    for end in it:
        word = text[start:end].strip().casefold()
        if word and any(ch.isalnum() for ch in word):
            out.append(word)
        start = end
    return tuple(out)


def contains(text_words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether the phrase's words occur in a row in the text's words."""
    n = len(phrase)
    return any(text_words[i : i + n] == phrase for i in range(len(text_words) - n + 1)) if n else False
