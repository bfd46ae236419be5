"""Allele designations as strings: validation, ordering and the amelogenin sex call.

Conventions (never broken anywhere in dnacase):

* an allele is a ``str`` exactly as designated: ``"13"``, ``"9.3"``, ``"22.2"``. It is never
  converted to ``float`` and back (``"30.2"`` is not ``"30.20"``, ``"8"`` is not ``"8.0"``);
* ``"OL"`` (off-ladder) is not an allele: parsers keep it as a flag on the locus and it is
  excluded from statistics until an analyst designates it;
* open-ended designations ``"<8"`` and ``">27"`` are kept verbatim (some frequency tables list
  them, e.g. FBI 2015 ``>27`` at D18S51);
* Amelogenin takes ``X``/``Y``; ``Yindel`` takes ``1``/``2``; a Y-STR may be null (``0``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from dnacase.domain.errors import N_

from .issues import Msg, msg
from .reference import MarkerType

OFF_LADDER = "OL"

_REPEAT_RE = re.compile(r"(?:[1-9]\d{0,2})(?:\.[1-9])?")
_OPEN_RE = re.compile(r"[<>](?:[1-9]\d{0,2})(?:\.[1-9])?")
_TRAILING_ZERO_RE = re.compile(r"([1-9]\d{0,2})\.0+")
_DATE_RES = (
    re.compile(r"\d{1,4}[/\-]\d{1,2}[/\-]\d{1,4}(?:\s.*)?"),
    re.compile(r"\d{1,2}[\-/ ][A-Za-z]{3,9}(?:[\-/ ]\d{2,4})?"),
    re.compile(r"[A-Za-z]{3,9}[\-/ ]\d{1,4}"),
)

Sex = Literal["M", "F"]


class InvalidAllele(ValueError):
    """An allele string that cannot be a designation; ``code`` is the issue code value.

    ``msg`` is the translatable :class:`~dnacase.formats.issues.Msg`; ``str(exc)`` is English.
    """

    def __init__(self, message: str | Msg, code: str = "invalid_allele") -> None:
        self.msg = message if isinstance(message, Msg) else Msg(message)
        super().__init__(str(self.msg))
        self.code = code


def is_off_ladder(value: str) -> bool:
    return value.strip().upper() == OFF_LADDER


def is_open_ended(value: str) -> bool:
    """True for ``<8`` / ``>27`` style designations."""
    return bool(_OPEN_RE.fullmatch(value))


def normalise_allele(value: str, marker_type: MarkerType = "autosomal_STR") -> str:
    """Return the canonical string of one allele call or raise :class:`InvalidAllele`.

    Only surrounding whitespace and letter case (``x`` -> ``X``, ``ol`` -> ``OL``) are changed.
    ``"OL"`` is returned as ``"OL"``; callers keep it apart from the alleles.
    """
    v = value.strip()
    if not v:
        raise InvalidAllele(msg(N_("empty allele")))
    if marker_type == "sex":
        u = v.upper()
        if u in ("X", "Y"):
            return u
        if u == OFF_LADDER:
            return OFF_LADDER
        raise InvalidAllele(msg(N_("amelogenin allele %(value)r is not X or Y"), value=value))
    if marker_type == "Y_indel":
        if v in ("1", "2"):
            return v
        raise InvalidAllele(msg(N_("Y indel allele %(value)r is not 1 or 2"), value=value))
    if v.upper() == OFF_LADDER:
        return OFF_LADDER
    if _REPEAT_RE.fullmatch(v) or _OPEN_RE.fullmatch(v):
        return v
    if marker_type == "Y_STR" and v == "0":
        return v
    m = _TRAILING_ZERO_RE.fullmatch(v)
    if m:
        raise InvalidAllele(msg(
            N_("allele %(value)r looks like a number reformatted by a spreadsheet; write "
               "%(fixed)r (alleles are text, %(fixed)r is not %(written)r)"),
            value=value, fixed=m.group(1), written=v), "spreadsheet_date")
    if any(r.fullmatch(v) for r in _DATE_RES):
        raise InvalidAllele(msg(
            N_("allele %(value)r looks like a date created by a spreadsheet (e.g. 9.3 -> "
               "9-Mar); format the cells as text and re-export"), value=value),
            "spreadsheet_date")
    raise InvalidAllele(msg(
        N_("allele %(value)r is not a repeat number such as 13, 9.3 or 22.2 (nor OL, <8, >27)"),
        value=value))


def allele_sort_key(allele: str) -> tuple[int, int, int, str]:
    """Sort key ordering designations numerically without float conversion.

    ``"<8"`` sorts before 8, ``">27"`` after 27, non-numeric strings last.
    """
    a = allele
    bias = 1
    if a[:1] == "<":
        bias, a = 0, a[1:]
    elif a[:1] == ">":
        bias, a = 2, a[1:]
    whole, _, frac = a.partition(".")
    if whole.isascii() and whole.isdigit() and (not frac or (frac.isascii() and frac.isdigit())):
        return (int(whole), bias if bias != 1 else 1, int(frac or 0), "")
    return (10**6, 0, 0, allele)


def sort_alleles(alleles: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(alleles, key=allele_sort_key))


def sex_from_amelogenin(alleles: Iterable[str]) -> Sex | None:
    """Sex call: ``X`` only -> ``"F"``; any ``Y`` -> ``"M"``; nothing typed -> ``None``."""
    s = {a.upper() for a in alleles}
    if "Y" in s:
        return "M"
    if "X" in s:
        return "F"
    return None
