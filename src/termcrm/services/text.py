"""Text normalisation: NFC for storage, casefolded keys for search and sorting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SPACE = re.compile(r"\s+")
# what clean() would change: whitespace at either end, a run of it, or a tab/newline/...
_UNCLEAN = re.compile(r"^\s|\s$|\s\s|[^\S ]")
_NON_DIGIT = re.compile(r"\D+")


def clean(value: str | None) -> str:
    """NFC-normalise, trim and collapse runs of whitespace."""
    if not value:
        return ""
    if not _UNCLEAN.search(value) and unicodedata.is_normalized("NFC", value):
        return value  # already clean: the common case, several times cheaper
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str | None) -> str:
    """The casefolded NFC form used for search and for sorting by name.

    SQLite's ``lower()``, ``LIKE`` and ``NOCASE`` fold ASCII only, so folding
    happens here, once, in Python: 'РОМАШКА' and 'ромашка' get the same key.
    """
    return unicodedata.normalize("NFC", clean(value).casefold())


def search_words(query: str) -> list[str]:
    return [w for w in fold(query).split(" ") if w]


def build_search_body(parts: Iterable[str | None]) -> str:
    seen: list[str] = []
    for part in parts:
        key = fold(part)
        if key and key not in seen:
            seen.append(key)
    return " | ".join(seen)


def digits(value: str) -> str:
    """The decimal digits of a text, in order."""
    return _NON_DIGIT.sub("", value)
