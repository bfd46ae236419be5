"""mtDNA variant notation: the spellings labs use, read into one form.

One variant is a position (rCRS, 1..16569), an insertion index (0 for substitutions and
deletions, ``k`` for the k-th base inserted after the position) and an allele: ``A C G T``,
``DEL``, an IUPAC code for point heteroplasmy (``R Y K M S W B H V``) or ``N``.

Accepted spellings (case-insensitive; all read into the EMPOP form):

=====================  ===========================================  ======================
kind                   spellings                                    EMPOP form
=====================  ===========================================  ======================
substitution           ``16223T``, ``16223t``, ``C16223T``,          ``16223T``
                       ``16223C>T``
point heteroplasmy     ``16093Y``, ``T16093Y``                       ``16093Y``
deletion               ``249DEL``, ``249del``, ``249d``, ``249D``,   ``249DEL``
                       ``249-``, ``249delA``, ``A249d``
deletion run           ``8281-8289d``, ``8281_8289del``,             ``8281DEL`` ... ``8289DEL``
                       ``8281-8289delCCCCCTCTA``
insertion              ``315.1C``, ``309.1CC``, ``309+C``,           ``309.1C 309.2C``
                       ``309+CC``
=====================  ===========================================  ======================

``D`` after a position is always a deletion, never the IUPAC code A/G/T (a three-base point
heteroplasmy does not occur in practice; the lab's ``d`` for deletion does). A stated
reference base (``C16223T``, ``16223C>T``, ``249delA``) must be the rCRS base there (else
the haplotype was written against another reference and is refused). A "substitution" to the
rCRS base itself (``16223C``) is the rCRS state written out: it is read as no variant (the
same sequence), and the file readers warn about it; so is anything written at the
placeholder position 3107. Errors are
:class:`~._common.LineageDataError` with a ``code`` (one of :data:`ERROR_CODES`) and
``params`` for a translated message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._common import LineageDataError
from .mtalign import DEL, MT_LENGTH, rcrs

UNKNOWN = "N"
PLACEHOLDER = 3107
"""rCRS position 3107: ``N``, the number kept for a base the Cambridge sequence had in error;
a variant written there (``3107DEL``, ``3107N``) is no difference and is read as nothing."""
BASES = frozenset("ACGT")
IUPAC: dict[str, frozenset[str]] = {
    "R": frozenset("AG"),
    "Y": frozenset("CT"),
    "K": frozenset("GT"),
    "M": frozenset("AC"),
    "S": frozenset("CG"),
    "W": frozenset("AT"),
    "B": frozenset("CGT"),
    "H": frozenset("ACT"),
    "V": frozenset("ACG"),
}
"""IUPAC codes accepted for point heteroplasmy (``D`` is excluded: it means deletion)."""

ERROR_CODES = ("syntax", "position", "reference_base", "deleted_bases", "two_alleles",
               "outside_range", "insertion_gap")
"""``LineageDataError.code`` values of the notation (see :func:`parse_variant`)."""


@dataclass(frozen=True, order=True)
class MtVariant:
    """One difference from the rCRS: ``position``, ``insertion`` index (0 = none), ``allele``."""

    position: int
    insertion: int
    allele: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.position, self.insertion)

    @property
    def is_heteroplasmy(self) -> bool:
        return self.allele in IUPAC

    @property
    def is_indel(self) -> bool:
        return self.insertion > 0 or self.allele == DEL

    def __str__(self) -> str:
        ins = f".{self.insertion}" if self.insertion else ""
        return f"{self.position}{ins}{self.allele}"


_CODES = "ACGTRYKMSWBHVN"
_DEL_RE = re.compile(r"(?P<ref>[ACGT])?(?P<pos>\d{1,5})(?:[-_](?P<end>\d{1,5}))?"
                     r"(?:DEL|D|-)(?P<bases>[ACGT]*)")
_INS_RE = re.compile(rf"(?P<pos>\d{{1,5}})(?:\.(?P<ins>\d{{1,2}})|\+)(?P<bases>[{_CODES}]+)")
_SUB_RE = re.compile(rf"(?P<ref>[ACGT])?(?P<pos>\d{{1,5}})(?P<alt>[{_CODES}])")
_ARROW_RE = re.compile(rf"(?P<pos>\d{{1,5}})(?P<ref>[ACGT])>(?P<alt>[{_CODES}])")


def _error(code: str, message: str, raw: str, sample: str | None, **params: object
           ) -> LineageDataError:
    return LineageDataError(message, sample=sample, item=raw, code=code,
                            params={"variant": raw, **params})


def _position(text: str, raw: str, sample: str | None) -> int:
    n = int(text)
    if not 1 <= n <= MT_LENGTH:
        raise _error("position", f"position {n} outside 1-{MT_LENGTH}", raw, sample, n=n,
                     max=MT_LENGTH)
    return n


def _check_reference(pos: int, stated: str | None, raw: str, sample: str | None) -> None:
    if stated and rcrs()[pos - 1] != stated:
        raise _error("reference_base",
                     f"the rCRS base at {pos} is {rcrs()[pos - 1]}, not {stated}", raw, sample,
                     position=pos, rcrs=rcrs()[pos - 1], stated=stated)


def parse_variant(text: str, *, sample: str | None = None) -> list[MtVariant]:
    """Read one variant in any accepted spelling (module table) into EMPOP-form variants.

    A multi-base insertion (``309+CC``) or a deletion run (``8281-8289d``) gives several
    variants. Raises :class:`LineageDataError` naming the sample and the variant.
    """
    raw = text.strip()
    up = raw.upper()
    if m := _DEL_RE.fullmatch(up):
        pos = _position(m["pos"], raw, sample)
        last = _position(m["end"], raw, sample) if m["end"] else pos
        if last < pos:
            raise _error("syntax", "a deletion run must go from low to high", raw, sample)
        _check_reference(pos, m["ref"], raw, sample)
        bases = m["bases"]
        if bases and bases != rcrs()[pos - 1:last]:
            raise _error("deleted_bases",
                         f"the rCRS bases at {pos}-{last} are {rcrs()[pos - 1:last]}, "
                         f"not {bases}", raw, sample, rcrs=rcrs()[pos - 1:last], stated=bases)
        return [MtVariant(p, 0, DEL) for p in range(pos, last + 1) if p != PLACEHOLDER]
    if m := _INS_RE.fullmatch(up):
        pos = _position(m["pos"], raw, sample)
        first = int(m["ins"]) if m["ins"] else 1
        if first < 1:
            raise _error("syntax", "insertion index starts at 1", raw, sample)
        return [MtVariant(pos, first + i, ch) for i, ch in enumerate(m["bases"])]
    m = _SUB_RE.fullmatch(up) or _ARROW_RE.fullmatch(up)
    if m is None:
        raise _error("syntax", "cannot read mtDNA variant", raw, sample)
    pos = _position(m["pos"], raw, sample)
    _check_reference(pos, m["ref"], raw, sample)
    alt = m["alt"]
    if alt == rcrs()[pos - 1] or pos == PLACEHOLDER:
        return []  # the rCRS state written out: the same sequence as leaving it out
    return [MtVariant(pos, 0, alt)]
