"""Diacritic-insensitive keys for Vietnamese names.

Staff type names with or without diacritics ("Nguyễn Văn Đức", "nguyen van duc"); both must
find the same person. :func:`name_key` maps a name to a lower-case ASCII key with single spaces,
which is stored beside the name and compared with the key of the query.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z ]+")


def clean_text(value: str | None) -> str:
    """Return *value* in Unicode NFC form with surrounding and repeated white space removed.

    NFC matters: the same Vietnamese letter can arrive precomposed ("ễ") or decomposed
    ("ê" + combining tilde); both are stored alike.
    """
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def name_key(value: str | None) -> str:
    """Return the search key of a name: ASCII, lower case, letters/digits and single spaces.

    ``đ``/``Đ`` become ``d`` (the one Vietnamese letter that is not a base letter plus marks);
    other letters lose their diacritics. Punctuation becomes a space.

    >>> name_key("  Nguyễn   Văn Đức ")
    'nguyen van duc'
    """
    text = clean_text(value).replace("đ", "d").replace("Đ", "D")
    text = unidecode(text).lower()
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def matches(query: str, name: str) -> bool:
    """True when every word of *query* occurs, in order, in *name*, ignoring diacritics and case.

    The same rule as the database search (``name_key LIKE '%' || key(query) || '%'`` after
    the words are joined with ``%``).
    """
    words = name_key(query).split()
    target = name_key(name)
    pos = 0
    for word in words:
        found = target.find(word, pos)
        if found < 0:
            return False
        pos = found + len(word)
    return True


def like_pattern(query: str) -> str:
    """Return the SQL ``LIKE`` pattern that finds *query* in a column of name keys.

    Words are joined with ``%`` so "nguyen duc" finds "nguyen van duc". ``%`` and ``_`` cannot
    occur in a key, so no escaping is needed.
    """
    words = name_key(query).split()
    return "%" + "%".join(words) + "%" if words else "%"
