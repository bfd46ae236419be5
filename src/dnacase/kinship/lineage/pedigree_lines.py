"""Who carries lineage evidence: maternal (mtDNA) and paternal (Y) lines in a pedigree.

Works on :class:`dnacase.kinship.pedigree.Pedigree` or anything with the same shape
(:class:`PedigreeLike`): ``ids`` (tuple of str), ``sex`` (int array, 1 = male, 2 = female,
0 = unknown), ``father`` / ``mother`` (int arrays of parent indices, -1 for none) and
``index(id)``.

* The **maternal line** of a person: follow mothers up to the maternal founder (the first
  woman without a recorded mother); the line is that founder and everyone descended from her
  through women only (her children, her daughters' children, ...). Everyone in it shares the
  mtDNA lineage: mother, maternal grandmother, maternal siblings, the mother's sisters and
  brothers, the children of those sisters, etc.
* The **paternal line** of a man: follow fathers up to the paternal founder; the line is the
  men descended from him through men only.
* Meioses between two members of one line: the number of transmissions along the line
  from each of them up to their closest common line ancestor, added.

:func:`mtdna_references` and :func:`ystr_references` sort references into those in the
missing person's line (they count once, as one lineage) and those outside it, each with the
reason; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

MALE, FEMALE = 1, 2  # the codes of dnacase.kinship.pedigree


class PedigreeLike(Protocol):
    ids: tuple[str, ...]
    sex: np.ndarray
    father: np.ndarray
    mother: np.ndarray

    def index(self, pid: str) -> int: ...


def _chain(ped: PedigreeLike, i: int, parent: np.ndarray) -> list[int]:
    """[i, parent(i), parent(parent(i)), ...] up to a founder."""
    out = [i]
    while parent[out[-1]] >= 0:
        out.append(int(parent[out[-1]]))
    return out


def maternal_founder(ped: PedigreeLike, person: str) -> str:
    """Id of the woman at the top of ``person``'s maternal line (the person if a founder)."""
    return ped.ids[_chain(ped, ped.index(person), ped.mother)[-1]]


def paternal_founder(ped: PedigreeLike, person: str) -> str:
    """Id of the man at the top of ``person``'s paternal line."""
    return ped.ids[_chain(ped, ped.index(person), ped.father)[-1]]


def _descendants_through(ped: PedigreeLike, root: int, sex_code: int) -> set[int]:
    """``root`` and everyone descended from it through persons of ``sex_code`` only."""
    parent = ped.mother if sex_code == FEMALE else ped.father
    out = {root}
    frontier = [root]
    while frontier:
        nxt = []
        for p in frontier:
            if int(ped.sex[p]) != sex_code:
                continue
            for c in np.flatnonzero(parent == p):
                c = int(c)
                if c not in out:
                    out.add(c)
                    nxt.append(c)
        frontier = nxt
    return out


def maternal_line(ped: PedigreeLike, person: str) -> frozenset[str]:
    """Ids of everyone sharing ``person``'s mtDNA lineage in the pedigree (see module)."""
    top = _chain(ped, ped.index(person), ped.mother)[-1]
    return frozenset(ped.ids[i] for i in _descendants_through(ped, top, FEMALE))


def paternal_line(ped: PedigreeLike, person: str) -> frozenset[str]:
    """Ids of the men sharing ``person``'s Y lineage (empty if ``person`` is not male)."""
    i = ped.index(person)
    if int(ped.sex[i]) != MALE:
        return frozenset()
    top = _chain(ped, i, ped.father)[-1]
    return frozenset(ped.ids[j] for j in _descendants_through(ped, top, MALE)
                     if int(ped.sex[j]) == MALE)


def _line_meioses(ped: PedigreeLike, a: str, b: str, parent: np.ndarray) -> int | None:
    ca = _chain(ped, ped.index(a), parent)
    cb = _chain(ped, ped.index(b), parent)
    pos_b = {x: k for k, x in enumerate(cb)}
    for k, x in enumerate(ca):
        if x in pos_b:
            return k + pos_b[x]
    return None


def maternal_meioses(ped: PedigreeLike, a: str, b: str) -> int | None:
    """Meioses between ``a`` and ``b`` along the maternal line; None if not one line."""
    return _line_meioses(ped, a, b, ped.mother)


def paternal_meioses(ped: PedigreeLike, a: str, b: str) -> int | None:
    """Meioses between two men along the paternal line (father-son 1, brothers 2, uncle-
    nephew 3, paternal cousins 4); None if they are not in one paternal line or either is
    not male."""
    for x in (a, b):
        if int(ped.sex[ped.index(x)]) != MALE:
            return None
    return _line_meioses(ped, a, b, ped.father)


@dataclass(frozen=True)
class LineReference:
    """A reference sorted for one line: ``meioses`` to the missing person when in the line,
    otherwise None and ``reason`` says why it carries no evidence for this marker."""

    id: str
    in_line: bool
    meioses: int | None
    reason: str


@dataclass(frozen=True)
class LineReferences:
    """References sorted for one lineage marker.

    ``in_line`` are in the missing person's line, closest first; they share one haplotype
    (barring mutation) and so **count once**. ``outside`` carry no evidence for this marker.
    """

    marker: Literal["mtDNA", "Y-STR"]
    missing: str
    founder: str | None
    in_line: tuple[LineReference, ...]
    outside: tuple[LineReference, ...]
    note: str = ""


def _sort_refs(
    ped: PedigreeLike, missing: str, references: Iterable[str], marker: Literal["mtDNA", "Y-STR"]
) -> LineReferences:
    ped.index(missing)  # error naming the person when absent
    inside: list[LineReference] = []
    outside: list[LineReference] = []
    if marker == "mtDNA":
        founder: str | None = maternal_founder(ped, missing)
        line = maternal_line(ped, missing)
        note = ""
    else:
        is_male = int(ped.sex[ped.index(missing)]) == MALE
        founder = paternal_founder(ped, missing) if is_male else None
        line = paternal_line(ped, missing)
        note = "" if is_male else f"missing person {missing!r} is not recorded as male: no Y line"
    for ref in references:
        if ref not in ped.ids:
            outside.append(LineReference(ref, False, None, "not in the pedigree"))
            continue
        if ref in line:
            m = (maternal_meioses(ped, missing, ref) if marker == "mtDNA"
                 else paternal_meioses(ped, missing, ref))
            inside.append(LineReference(ref, True, m, f"in the {_word(marker)} line of "
                                        f"{missing!r}, {m} meioses apart"))
            continue
        outside.append(LineReference(ref, False, None, _why_outside(ped, missing, ref, marker,
                                                                   founder)))
    inside.sort(key=lambda r: (r.meioses if r.meioses is not None else 10**6, r.id))
    return LineReferences(marker, missing, founder, tuple(inside), tuple(outside), note)


def _word(marker: str) -> str:
    return "maternal" if marker == "mtDNA" else "paternal"


def _why_outside(ped: PedigreeLike, missing: str, ref: str, marker: str,
                 founder: str | None) -> str:
    if marker == "Y-STR":
        if founder is None:
            return "the missing person is not male, so no Y-STR comparison"
        sex = int(ped.sex[ped.index(ref)])
        if sex == FEMALE:
            return "female: carries no Y chromosome"
        if sex != MALE:
            return "sex not recorded as male: cannot be placed in the paternal line"
        return (f"paternal line goes back to {paternal_founder(ped, ref)!r}, not to "
                f"{founder!r} (the missing person's paternal founder): a different Y lineage")
    return (f"maternal line goes back to {maternal_founder(ped, ref)!r}, not to {founder!r} "
            f"(the missing person's maternal founder): a different mtDNA lineage")


def mtdna_references(ped: PedigreeLike, missing: str, references: Iterable[str]
                     ) -> LineReferences:
    """Sort ``references`` into the missing person's maternal line and the rest (with reasons)."""
    return _sort_refs(ped, missing, references, "mtDNA")


def ystr_references(ped: PedigreeLike, missing: str, references: Iterable[str]
                    ) -> LineReferences:
    """Sort ``references`` into the missing man's paternal line (men only) and the rest."""
    return _sort_refs(ped, missing, references, "Y-STR")


def lineages(ped: PedigreeLike, persons: Sequence[str], marker: Literal["mtDNA", "Y-STR"]
             ) -> dict[str, list[str]]:
    """Group ``persons`` by lineage founder (maternal for mtDNA, paternal for Y-STR).

    Persons of one group count once for that marker. For Y-STR, persons not recorded as male
    are left out of every group.
    """
    groups: dict[str, list[str]] = {}
    for p in persons:
        if marker == "mtDNA":
            key = maternal_founder(ped, p)
        else:
            if int(ped.sex[ped.index(p)]) != MALE:
                continue
            key = paternal_founder(ped, p)
        groups.setdefault(key, []).append(p)
    return groups
