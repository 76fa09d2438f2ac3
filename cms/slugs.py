"""URL slugs made from titles and names: lower case ASCII words joined by hyphens.

Most of our titles are Ukrainian, and a slug is read by people (in links shared on
messengers, in search results), so Cyrillic is transliterated the way Ukrainians
spell their words in Latin letters: by the national table of the Cabinet of
Ministers, resolution No. 55 of 27 January 2010 (the one used for passports and
road signs). "Київ" becomes "kyiv", not the "kiiv" that a generic, Russian-leaning
transliteration (python-slugify's text-unidecode) gives.

Why our own table: it is 33 letters and four position rules, fixed by law since
2010; the maintained libraries either implement a different system (cyrtranslit,
iuliia: Russian) or would add a dependency for a dictionary this small. It runs
before python-slugify, which then handles everything else (Latin accents, other
scripts, punctuation). Letters outside the Ukrainian alphabet (the Russian ы, э,
ъ, ё) are left to python-slugify.
"""

from __future__ import annotations

import re
from typing import Final

from slugify import slugify

__all__ = ["DEFAULT_MAX_LENGTH", "FALLBACK_SLUG", "slugify_title", "with_suffix"]

DEFAULT_MAX_LENGTH: Final = 80
# A title of nothing but punctuation or emoji still needs an address.
FALLBACK_SLUG: Final = "item"

# KMU 2010, lower case. The rules the table alone cannot express are below.
_UK_LATIN: Final[dict[str, str]] = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "",
    "ю": "iu", "я": "ia",
}  # fmt: skip
# At the start of a word these four letters are spelt differently: "Єнакієве" is
# "Yenakiieve", "Їжак" "Yizhak", "Йосип" "Yosyp", "Юрій" "Yurii", "Яготин" "Yahotyn".
_UK_LATIN_WORD_START: Final[dict[str, str]] = {
    "є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya",
}  # fmt: skip
# An apostrophe inside a word ("м'ясо", "Kyiv's") is not a word break; it is dropped
# rather than turned into a hyphen. Ukrainian uses several characters for it.
_WORD_APOSTROPHE: Final = re.compile(r"(?<=\w)['’ʼ‘`](?=\w)")


def slugify_title(text: str, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """A slug for `text`, at most `max_length` characters, never empty.

    A long title is cut between words, so that a slug never ends in half a word;
    only a first word longer than `max_length` is itself cut.
    """
    if max_length < len(FALLBACK_SLUG):
        raise ValueError(f"max_length must be at least {len(FALLBACK_SLUG)}")
    slug = slugify(_transliterate_ukrainian(_WORD_APOSTROPHE.sub("", text)))
    return _truncate(slug, max_length) or FALLBACK_SLUG


def with_suffix(slug: str, n: int, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """`slug` with "-{n}" appended ("report-2"), shortened between words so that the
    whole stays within `max_length`: the way a taken slug is made unique."""
    if n < 1:
        raise ValueError("the suffix number must be positive")
    suffix = f"-{n}"
    room = max_length - len(suffix)
    if room < 1:
        raise ValueError(f"max_length {max_length} leaves no room for {suffix!r}")
    return (_truncate(slug, room) or FALLBACK_SLUG[:room]) + suffix


def _transliterate_ukrainian(text: str) -> str:
    """Replace Ukrainian letters by their KMU 2010 spelling; leave the rest alone."""
    lower = text.lower()
    out: list[str] = []
    for i, ch in enumerate(lower):
        previous = lower[i - 1] if i else ""
        if ch == "г" and previous == "з":
            # "зг" is "zgh" ("Згурівка" is "Zghurivka"), so that it is not read as "ж".
            out.append("gh")
        elif ch in _UK_LATIN_WORD_START and not previous.isalpha():
            out.append(_UK_LATIN_WORD_START[ch])
        else:
            out.append(_UK_LATIN.get(ch, ch))
    return "".join(out)


def _truncate(slug: str, max_length: int) -> str:
    """The longest run of whole hyphen-separated words of `slug` that fits."""
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1].rfind("-")
    if cut <= 0:  # a single word longer than the limit: cut it, it is all there is
        return slug[:max_length].rstrip("-")
    return slug[:cut].rstrip("-")
