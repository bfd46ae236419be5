"""mtDNA haplotypes as differences from the rCRS, and their comparison as sequences.

Conventions
-----------
* Positions are rCRS (GenBank NC_012920, shipped in the package, :mod:`.mtalign`)
  coordinates, 1..16569. A haplotype is the set of differences from the rCRS **over a stated
  range** (:class:`MtRange`); outside the range the sequence is unknown, not "same as rCRS".
* Variants and the spellings accepted: :mod:`.mtnotation` (``249delA``, ``309+CC``,
  ``8281-8289d``, lower case, ...).
* A haplotype is a sequence: :meth:`MtHaplotype.from_notation` rebuilds it from the rCRS and
  the variants and writes it in the one canonical (phylogenetic, EMPOP/ISFG) alignment of
  :mod:`.mtalign`: 3' placement of indels in homopolymers and repeats (``249DEL``,
  ``309.1C``, ``315.1C``, ``16193.1C``, ``523DEL 524DEL``), a C-stretch that lost its T
  written ``16189C``/``310C`` plus its length variant. Two spellings of one sequence give the
  same haplotype.

Comparison rules (:func:`compare_mtdna`, configurable with :class:`MtCompareOptions`)
---------------------------------------------------------------------------------
1. Only the range both cover is compared (an insertion ``p.k`` belongs to ``p``). When the
   two sequences over that range are identical there is no difference, whatever the
   spelling.
2. Otherwise the differences are read off the two canonical alignments. By default length
   variants (insertions and deletions) in the C-stretch windows (16184-16193, 303-315,
   568-573) are not counted (SWGDAM / EMPOP practice); positions in ``ignored_positions``
   (e.g. the 16519 hotspot, if the lab's SOP says so) are not counted.
3. Point heteroplasmy: an IUPAC code is not a difference from a base it contains (the rCRS
   base where the other side has no variant), nor from another code sharing a base; it is
   a difference from a base it does not contain (``16093R`` against the rCRS ``T``) and
   from a deletion. ``N`` is never a difference.
4. One mutational event is one difference: a run of adjacent deleted bases (``523DEL
   524DEL``, one CA unit) or the bases inserted after one position (``524.1A 524.2C``)
   count once. With ``d`` differences: ``d < inconclusive_at`` -> cannot exclude;
   ``d < exclude_at`` -> inconclusive; otherwise excluded. Defaults (SWGDAM 2019 mtDNA
   guidelines): 0 differences cannot exclude, 1 inconclusive, 2 or more excluded. A pair
   whose common range is shorter than ``min_overlap_bp`` is inconclusive (no comparison
   possible).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ._common import LineageClass, LineageDataError
from .mtalign import DEL, MT_LENGTH, canonical_table, haplotype_sequence, reference_base
from .mtnotation import BASES, IUPAC, PLACEHOLDER, UNKNOWN, MtVariant, parse_variant
from .mtrange import MtRange

__all__ = [
    "BASES", "C_STRETCHES", "DEFAULT_LENGTH_WINDOWS", "DEFAULT_MT_OPTIONS", "DEL", "IUPAC",
    "MT_LENGTH", "UNKNOWN", "MtCompareOptions", "MtComparison", "MtDifference", "MtHaplotype",
    "MtRange", "MtVariant", "alleles_compatible", "compare_mtdna", "parse_variant",
]

C_STRETCHES: tuple[tuple[int, str], ...] = (
    (16184, "CCCCCTCCCC"),  # HVS-I, 16184-16193
    (303, "CCCCCCCTCCCCC"),  # HVS-II, 303-315
    (568, "CCCCCC"),  # HVS-III, 568-573
)
"""rCRS sequence of the homopolymeric C-stretch windows: (first position, bases)."""

DEFAULT_LENGTH_WINDOWS: tuple[tuple[int, int], ...] = tuple(
    (start, start + len(seq) - 1) for start, seq in C_STRETCHES
)


@dataclass(frozen=True)
class MtHaplotype:
    """An mtDNA haplotype: normalised differences from rCRS over a stated range.

    Build with :meth:`from_notation`. ``variants`` is sorted by (position, insertion) with one
    allele per key. Two haplotypes compare equal when range and variants are equal (the
    ``sample`` label is not compared).
    """

    range: MtRange
    variants: tuple[MtVariant, ...]
    sample: str | None = field(default=None, compare=False)

    @classmethod
    def from_notation(
        cls,
        variants: Iterable[str | MtVariant] | str,
        range: str | MtRange,
        sample: str | None = None,
    ) -> MtHaplotype:
        """Parse a list of variants (or one blank/tab separated string) in any accepted
        spelling (:mod:`.mtnotation`), rebuild the sequence over the range from the rCRS and
        write it in the canonical alignment (:func:`.mtalign.canonical_table`); the rCRS base
        written out and anything at 3107 are left out (no difference).

        Raises :class:`LineageDataError` for unreadable variants, two different alleles at one
        position, insertions with a gap (``309.2C`` without ``309.1C``) and variants outside
        the range (a variant outside the sequenced range is a contradiction in the record).
        """
        rng = MtRange.parse(range) if not isinstance(range, MtRange) else range
        if isinstance(variants, str):
            variants = variants.split()
        table: dict[tuple[int, int], str] = {}
        for item in variants:
            parsed = [item] if isinstance(item, MtVariant) else parse_variant(item, sample=sample)
            for v in parsed:
                old = table.get(v.key)
                if old is not None and old != v.allele:
                    raise LineageDataError(
                        f"two alleles at one position ({old} and {v.allele})",
                        sample=sample, item=str(item), code="two_alleles",
                        params={"variant": str(item), "first": old, "second": v.allele})
                if v.position not in rng:
                    raise LineageDataError(f"variant outside the sequenced range {rng}",
                                           sample=sample, item=str(item), code="outside_range",
                                           params={"variant": str(item), "range": str(rng)})
                table[v.key] = v.allele
        for pos, ins in table:
            if ins > 1 and (pos, ins - 1) not in table:
                item = f"{pos}.{ins}{table[(pos, ins)]}"
                raise LineageDataError(f"insertion {pos}.{ins} without {pos}.{ins - 1}",
                                       sample=sample, item=item, code="insertion_gap",
                                       params={"variant": item, "missing": f"{pos}.{ins - 1}"})
        # the rCRS base written out is no difference (parse_variant drops it; so here for
        # MtVariant objects given directly)
        table = {k: v for k, v in table.items()
                 if k[1] or (v != reference_base(k[0]) and k[0] != PLACEHOLDER)}
        table = canonical_table(table, rng.intervals)
        vs = tuple(sorted(MtVariant(p, i, a) for (p, i), a in table.items()))
        return cls(rng, vs, sample)

    def allele_at(self, key: tuple[int, int]) -> str | None:
        """The allele at (position, insertion), or None for the rCRS state."""
        return self._table.get(key)

    @property
    def _table(self) -> dict[tuple[int, int], str]:
        t = self.__dict__.get("_table_cache")
        if t is None:
            t = {v.key: v.allele for v in self.variants}
            object.__setattr__(self, "_table_cache", t)
        return t

    def restricted(self, rng: MtRange) -> MtHaplotype:
        """The same haplotype over a sub-range (variants outside it dropped)."""
        inter = self.range.intersection(rng)
        return MtHaplotype(inter, tuple(v for v in self.variants if v.position in inter),
                           self.sample)

    def notation(self) -> str:
        """EMPOP-style notation: blank separated variants."""
        return " ".join(str(v) for v in self.variants)

    def __iter__(self) -> Iterator[MtVariant]:
        return iter(self.variants)


# ---------------------------------------------------------------------------- comparison
@dataclass(frozen=True)
class MtCompareOptions:
    """Interpretation rules for :func:`compare_mtdna` (defaults: SWGDAM 2019 / EMPOP practice).

    * ``ignore_length_variants``: insertions/deletions inside ``length_variant_windows``
      (rCRS positions, inclusive) are not differences.
    * ``ignored_positions``: positions never counted (e.g. ``frozenset({16519})``).
    * ``heteroplasmy_matches_either_base``: an IUPAC code is compatible with each of its
      bases (and with the rCRS state when it contains the rCRS base); when False it counts
      as a difference against any other state except an identical code.
    * ``inconclusive_at`` / ``exclude_at``: difference counts at which the classification
      becomes inconclusive / excluded.
    * ``min_overlap_bp``: a shorter common range makes the comparison inconclusive.
    """

    ignore_length_variants: bool = True
    length_variant_windows: tuple[tuple[int, int], ...] = DEFAULT_LENGTH_WINDOWS
    ignored_positions: frozenset[int] = frozenset()
    heteroplasmy_matches_either_base: bool = True
    inconclusive_at: int = 1
    exclude_at: int = 2
    min_overlap_bp: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.inconclusive_at <= self.exclude_at:
            raise ValueError("need 0 <= inconclusive_at <= exclude_at")

    def in_length_window(self, position: int) -> bool:
        """True when ``position`` lies in one of the C-stretch windows."""
        return any(a <= position <= b for a, b in self.length_variant_windows)

    def classify(self, n_differences: int) -> LineageClass:
        if n_differences < self.inconclusive_at:
            return LineageClass.CANNOT_EXCLUDE
        if n_differences < self.exclude_at:
            return LineageClass.INCONCLUSIVE
        return LineageClass.EXCLUDED


DEFAULT_MT_OPTIONS = MtCompareOptions()


def _state(allele: str | None, key: tuple[int, int]) -> frozenset[str]:
    """Bases an allele stands for; ``None`` is the rCRS state: the rCRS base at a position,
    no base at all at an insertion index."""
    if allele is None:
        return frozenset({reference_base(key[0])}) if key[1] == 0 else frozenset()
    return IUPAC.get(allele, frozenset({allele}))


def alleles_compatible(a: str | None, b: str | None, options: MtCompareOptions,
                       key: tuple[int, int]) -> bool:
    """Whether two alleles at one (position, insertion) ``key`` are not a difference.

    ``None`` is the rCRS state. A point heteroplasmy (IUPAC code) is compatible with a base
    it contains (module rule 3); ``N`` with everything.
    """
    if a in (b, UNKNOWN) or b == UNKNOWN:
        return True
    if (a not in IUPAC and b not in IUPAC) or not options.heteroplasmy_matches_either_base:
        return False
    return bool(_state(a, key) & _state(b, key))


@dataclass(frozen=True)
class MtDifference:
    """A counted difference: one mutational event (module rule 4).

    ``position``/``insertion``: its first key; ``last``: the last deleted position of a
    deletion run (== ``position`` otherwise); ``allele_a``/``allele_b``: the two states
    (None = rCRS; the inserted bases joined for an insertion).
    """

    position: int
    insertion: int
    allele_a: str | None
    allele_b: str | None
    last: int = 0

    def __str__(self) -> str:
        ins = f".{self.insertion}" if self.insertion else ""
        span = f"-{self.last}" if self.last > self.position else ""
        return f"{self.position}{ins}{span}:{self.allele_a or 'rCRS'}/{self.allele_b or 'rCRS'}"


@dataclass(frozen=True)
class MtComparison:
    """Result of :func:`compare_mtdna`.

    ``differences`` are the counted differences (mutational events); ``ignored`` the
    variants skipped under the rules (length variants, ignored positions); ``heteroplasmic``
    the positions where an IUPAC code was taken as compatible; ``overlap`` the common range
    compared.
    """

    classification: LineageClass
    differences: tuple[MtDifference, ...]
    overlap: MtRange
    ignored: tuple[str, ...]
    heteroplasmic: tuple[str, ...]
    note: str = ""

    @property
    def n_differences(self) -> int:
        return len(self.differences)

    @property
    def differing_positions(self) -> tuple[str, ...]:
        return tuple(str(d) for d in self.differences)


def _key_ignored(
    key: tuple[int, int], xa: str | None, xb: str | None, options: MtCompareOptions
) -> bool:
    if key[0] in options.ignored_positions:
        return True
    if not options.ignore_length_variants:
        return False
    indel = key[1] > 0 or xa == DEL or xb == DEL
    return indel and options.in_length_window(key[0])


def _same_sequence(ta: dict[tuple[int, int], str], tb: dict[tuple[int, int], str],
                   overlap: MtRange, keys: list[tuple[int, int]]) -> bool:
    """Whether the two sequences over ``overlap`` are equal; ``keys`` are the (sorted) keys
    where the tables differ, so only the stretch from the first to the last of them in each
    interval needs rebuilding (elsewhere the two are the same by construction)."""
    for lo, hi in overlap.intervals:
        inside = [k for k in keys if lo <= k[0] <= hi]
        if not inside:
            continue
        if sum(_length(ta.get(k), k) - _length(tb.get(k), k) for k in inside):
            return False  # different lengths
        p, q = inside[0][0], inside[-1][0]
        if haplotype_sequence(ta, p, q) != haplotype_sequence(tb, p, q):
            return False
    return True


def _length(allele: str | None, key: tuple[int, int]) -> int:
    """Bases an entry adds to the rCRS length: +1 inserted, -1 deleted, 0 otherwise."""
    if allele is None:
        return 0
    return 1 if key[1] else (-1 if allele == DEL else 0)


def _events(diffs: list[MtDifference]) -> list[MtDifference]:
    """Join the differing keys of one mutational event (module rule 4)."""
    out: list[MtDifference] = []
    for d in diffs:
        prev = out[-1] if out else None
        if prev is not None and d.insertion and prev.insertion and d.position == prev.position:
            out[-1] = MtDifference(prev.position, prev.insertion,
                                   _join(prev.allele_a, d.allele_a),
                                   _join(prev.allele_b, d.allele_b), prev.position)
            continue
        dels = (d.allele_a, d.allele_b)
        if (prev is not None and not d.insertion and not prev.insertion
                and d.position == max(prev.last, prev.position) + 1
                and DEL in dels and dels == (prev.allele_a, prev.allele_b)
                and None in dels):
            out[-1] = MtDifference(prev.position, 0, prev.allele_a, prev.allele_b, d.position)
            continue
        out.append(d)
    return out


def _join(x: str | None, y: str | None) -> str | None:
    if x is None and y is None:
        return None
    return (x or "-") + (y or "-")


def compare_mtdna(
    a: MtHaplotype, b: MtHaplotype, options: MtCompareOptions = DEFAULT_MT_OPTIONS
) -> MtComparison:
    """Compare two haplotypes over the range both cover and classify (see module rules)."""
    overlap = a.range.intersection(b.range)
    if len(overlap) < options.min_overlap_bp:
        return MtComparison(LineageClass.INCONCLUSIVE, (), overlap, (), (),
                            note=f"common range {overlap} shorter than "
                                 f"{options.min_overlap_bp} bp: not comparable")
    ivs = overlap.intervals
    ta = {k: v for k, v in a._table.items() if any(x <= k[0] <= y for x, y in ivs)}
    tb = {k: v for k, v in b._table.items() if any(x <= k[0] <= y for x, y in ivs)}
    keys = sorted(k for k in ta.keys() | tb.keys() if ta.get(k) != tb.get(k))
    # only differing indels can leave two sequences equal (substitutions to the rCRS base
    # are dropped at construction, so a differing substitution is a differing base)
    if not keys or (any(k[1] or ta.get(k) == DEL or tb.get(k) == DEL for k in keys)
                    and _same_sequence(ta, tb, overlap, keys)):
        return MtComparison(options.classify(0), (), overlap, (), ())
    diffs: list[MtDifference] = []
    ignored: list[str] = []
    het: list[str] = []
    for key in keys:
        xa, xb = ta.get(key), tb.get(key)
        if _key_ignored(key, xa, xb, options):
            ignored.extend(str(MtVariant(key[0], key[1], x)) for x in (xa, xb) if x)
            continue
        if alleles_compatible(xa, xb, options, key):
            if UNKNOWN not in (xa, xb):
                het.append(str(MtDifference(key[0], key[1], xa, xb)))
            continue
        diffs.append(MtDifference(key[0], key[1], xa, xb, key[0]))
    events = tuple(_events(diffs))
    return MtComparison(options.classify(len(events)), events, overlap, tuple(ignored),
                        tuple(het))
