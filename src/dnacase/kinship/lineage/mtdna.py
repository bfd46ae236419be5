"""mtDNA haplotypes as differences from the rCRS, and their comparison.

Conventions
-----------
* Positions are rCRS (GenBank NC_012920) coordinates, 1..16569. A haplotype is the set of
  differences from the rCRS **over a stated range** (:class:`MtRange`); outside the range
  the sequence is unknown, not "same as rCRS".
* A variant has a position, an insertion index (0 for substitutions and deletions, ``k``
  for the k-th base inserted after the position) and an allele: one of ``A C G T``,
  ``DEL`` (deletion), a two- or three-base IUPAC code for point heteroplasmy
  (``R Y K M S W B H V``), or ``N`` (base not determined).
* Accepted spellings (all normalised to the EMPOP form): ``16223T``, ``C16223T`` (reference
  base prefix, dropped), ``315.1C``, ``309.1CC`` (= ``309.1C 309.2C``), ``249DEL`` /
  ``249del`` / ``249d`` / ``249D`` / ``249-`` (deletion; ``D`` is read as a deletion and
  never as the IUPAC code A/G/T), ``8281-8289d`` (a run of deletions).
* Insertions and deletions of C inside the rCRS C-stretches (16184-16193, 303-315, 568-573;
  local rCRS sequences ``CCCCCTCCCC``, ``CCCCCCCTCCCCC``, ``CCCCCC``) are placed at the 3'
  end of their C run, the EMPOP placement, so that ``303.1C`` and ``309.1C`` (the same
  sequence) compare equal. A substitution such as 16189C or 310C that joins two runs is
  taken into account.

Comparison rules (:func:`compare_mtdna`, configurable with :class:`MtCompareOptions`)
---------------------------------------------------------------------------------
1. Only positions inside both ranges are compared (an insertion ``p.k`` belongs to ``p``).
2. By default length variants (insertions and deletions) in the C-stretch windows are not
   counted (SWGDAM / EMPOP practice); positions in ``ignored_positions`` (e.g. the 16519
   hotspot, if the lab's SOP says so) are not counted.
3. Point heteroplasmy: an IUPAC code is not a difference from either of its bases, nor from
   the rCRS (an EMPOP heteroplasmy call is written relative to the rCRS and, without the
   reference base at hand, is taken to include it), nor from another IUPAC code sharing a
   base. ``N`` is never a difference.
4. Every remaining position where the two differ counts as one difference. With ``d``
   differences: ``d < inconclusive_at`` -> cannot exclude; ``d < exclude_at`` ->
   inconclusive; otherwise excluded. Defaults (SWGDAM 2019 mtDNA guidelines): 0 differences
   cannot exclude, 1 inconclusive, 2 or more excluded. A pair whose common range is shorter
   than ``min_overlap_bp`` is inconclusive (no comparison possible).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ._common import LineageClass, LineageDataError

MT_LENGTH = 16569
"""Length of the rCRS (NC_012920) in bp."""

DEL = "DEL"
UNKNOWN = "N"
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

C_STRETCHES: tuple[tuple[int, str], ...] = (
    (16184, "CCCCCTCCCC"),  # HVS-I, 16184-16193
    (303, "CCCCCCCTCCCCC"),  # HVS-II, 303-315
    (568, "CCCCCC"),  # HVS-III, 568-573
)
"""rCRS sequence of the homopolymeric C-stretch windows: (first position, bases)."""

DEFAULT_LENGTH_WINDOWS: tuple[tuple[int, int], ...] = tuple(
    (start, start + len(seq) - 1) for start, seq in C_STRETCHES
)


# --------------------------------------------------------------------------------- ranges
@dataclass(frozen=True)
class MtRange:
    """A set of rCRS positions as sorted, disjoint, non-adjacent closed intervals.

    Parse with :meth:`parse`: ``"16024-16569;1-576"``, ``"16024-576"`` (wraps round the
    circular origin), ``"16024-16365 73-340"``, ``"16519"``. Separators ``;``, ``,`` or blanks.
    """

    intervals: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted(self.intervals):
            if not (1 <= a <= b <= MT_LENGTH):
                raise LineageDataError(f"range interval {a}-{b} is not within 1-{MT_LENGTH}")
            if merged and a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        object.__setattr__(self, "intervals", tuple(merged))

    @classmethod
    def parse(cls, text: str | MtRange) -> MtRange:
        if isinstance(text, MtRange):
            return text
        parts = [p for p in re.split(r"[;,\s]+", str(text).strip()) if p]
        if not parts:
            raise LineageDataError("empty mtDNA range", item=str(text))
        out: list[tuple[int, int]] = []
        for part in parts:
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m:
                raise LineageDataError("cannot read mtDNA range part", item=part)
            a = int(m.group(1))
            b = int(m.group(2)) if m.group(2) else a
            for v in (a, b):
                if not 1 <= v <= MT_LENGTH:
                    raise LineageDataError(f"position {v} outside 1-{MT_LENGTH}", item=part)
            if a <= b:
                out.append((a, b))
            else:  # wraps round the origin, e.g. 16024-576
                out.extend([(a, MT_LENGTH), (1, b)])
        return cls(tuple(out))

    @classmethod
    def full(cls) -> MtRange:
        return cls(((1, MT_LENGTH),))

    def __contains__(self, position: object) -> bool:
        if not isinstance(position, int):
            return False
        return any(a <= position <= b for a, b in self.intervals)

    def __len__(self) -> int:
        return sum(b - a + 1 for a, b in self.intervals)

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def intersection(self, other: MtRange) -> MtRange:
        out = []
        for a1, b1 in self.intervals:
            for a2, b2 in other.intervals:
                a, b = max(a1, a2), min(b1, b2)
                if a <= b:
                    out.append((a, b))
        return MtRange(tuple(out))

    __and__ = intersection

    def covers(self, other: MtRange) -> bool:
        """True when every position of ``other`` is in this range."""
        return len(self.intersection(other)) == len(other)

    def __str__(self) -> str:
        if not self.intervals:
            return "(empty)"
        return ";".join(f"{a}-{b}" if a != b else f"{a}" for a, b in self.intervals)


# ------------------------------------------------------------------------------- variants
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


_VARIANT_RE = re.compile(
    r"(?P<ref>[ACGT])?(?P<pos>\d+)(?:-(?P<end>\d+))?(?:\.(?P<ins>\d+))?(?P<alt>[A-Z]+|-)"
)
_DELETION_SPELLINGS = frozenset({"-", "D", "DEL"})


def parse_variant(text: str, *, sample: str | None = None) -> list[MtVariant]:
    """Parse one variant in EMPOP, HaploGrep or lab-report spelling into normalised variants.

    A multi-base insertion (``309.1CC``) or a deletion run (``8281-8289d``) gives several
    variants. Raises :class:`LineageDataError` naming the sample and the variant.
    """
    raw = text.strip()
    m = _VARIANT_RE.fullmatch(raw.upper())
    if not m:
        raise LineageDataError("cannot read mtDNA variant", sample=sample, item=raw)
    pos = int(m.group("pos"))
    end = int(m.group("end")) if m.group("end") else None
    ins = int(m.group("ins")) if m.group("ins") else 0
    alt = m.group("alt")
    is_del = alt in _DELETION_SPELLINGS
    last = end if end is not None else pos
    if not (1 <= pos <= last <= MT_LENGTH):
        raise LineageDataError(f"position outside 1-{MT_LENGTH}", sample=sample, item=raw)
    if is_del:
        if ins:
            raise LineageDataError("an inserted base cannot be deleted", sample=sample, item=raw)
        return [MtVariant(p, 0, DEL) for p in range(pos, last + 1)]
    if end is not None:
        raise LineageDataError("a position range is only allowed for deletions",
                               sample=sample, item=raw)
    valid = BASES | IUPAC.keys() | {UNKNOWN}
    if any(ch not in valid for ch in alt):
        raise LineageDataError(f"unknown base or IUPAC code {alt!r}", sample=sample, item=raw)
    if ins:
        return [MtVariant(pos, ins + i, ch) for i, ch in enumerate(alt)]
    if len(alt) != 1:
        raise LineageDataError("a substitution has exactly one base", sample=sample, item=raw)
    if m.group("ref") and m.group("ref") == alt:
        raise LineageDataError("derived base equals the reference base", sample=sample, item=raw)
    return [MtVariant(pos, 0, alt)]


def _canonical_c_stretches(variants: dict[tuple[int, int], str]) -> dict[tuple[int, int], str]:
    """Move C insertions/deletions inside the rCRS C-stretches to the 3' end of their C run."""
    out = dict(variants)
    for start, ref in C_STRETCHES:
        stop = start + len(ref) - 1
        # the substituted local sequence (indels left out) decides where the C runs are
        local = {}
        for i, base in enumerate(ref):
            p = start + i
            alt = out.get((p, 0))
            if alt is None or alt == DEL:  # indels are left out when finding the runs
                local[p] = base
            else:
                local[p] = alt if alt in BASES else None
        runs: list[tuple[int, int]] = []
        p = start
        while p <= stop:
            if local[p] == "C":
                q = p
                while q + 1 <= stop and local[q + 1] == "C":
                    q += 1
                runs.append((p, q))
                p = q + 1
            else:
                p += 1
        for a, b in runs:
            ins_keys = [k for k, v in out.items()
                        if k[1] > 0 and v == "C" and (a <= k[0] <= b or k[0] == a - 1)]
            # an insertion after a-1 belongs to the run only if a-1 is not itself a C run end
            ins_keys = [k for k in ins_keys
                        if k[0] >= a or not any(x <= k[0] <= y for x, y in runs)]
            # only plain C insertions at a position are moved; keep others untouched
            movable = []
            for k in ins_keys:
                pos_ins = sorted(kk for kk in out if kk[0] == k[0] and kk[1] > 0)
                if all(out[kk] == "C" for kk in pos_ins):
                    movable.append(k)
            dels = [(q, 0) for q in range(a, b + 1) if out.get((q, 0)) == DEL]
            if not movable and not dels:
                continue
            for k in movable + dels:
                del out[k]
            net = len(movable) - len(dels)
            if net > 0:
                for i in range(1, net + 1):
                    out[(b, i)] = "C"
            elif net < 0:
                for q in range(b + net + 1, b + 1):
                    out[(q, 0)] = DEL
    return out


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
        """Parse and normalise a list of variants (or one blank/tab separated string).

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
                        sample=sample, item=str(item))
                if v.position not in rng:
                    raise LineageDataError(f"variant outside the sequenced range {rng}",
                                           sample=sample, item=str(item))
                table[v.key] = v.allele
        for pos, ins in table:
            if ins > 1 and (pos, ins - 1) not in table:
                raise LineageDataError(f"insertion {pos}.{ins} without {pos}.{ins - 1}",
                                       sample=sample, item=f"{pos}.{ins}{table[(pos, ins)]}")
        table = _canonical_c_stretches(table)
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
      bases (and with the rCRS state); when False it counts as a difference against any
      other state except an identical code.
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


def _state(allele: str | None) -> frozenset[str] | None:
    """Set of possible states; None stands for the rCRS base (unknown letter)."""
    if allele is None:
        return None
    return IUPAC.get(allele, frozenset({allele}))


def alleles_compatible(a: str | None, b: str | None, options: MtCompareOptions) -> bool:
    """Whether two alleles at one (position, insertion) are not a difference.

    ``None`` is the rCRS state (no insertion for insertion keys). See the module rules.
    """
    if a in (b, UNKNOWN) or b == UNKNOWN:
        return True
    het_a, het_b = a in IUPAC, b in IUPAC
    if not (het_a or het_b) or not options.heteroplasmy_matches_either_base:
        return False
    if a is None or b is None:  # heteroplasmy vs the rCRS state
        return True
    sa, sb = _state(a), _state(b)
    assert sa is not None and sb is not None
    return bool(sa & sb)


@dataclass(frozen=True)
class MtDifference:
    """A counted difference: position, insertion index and both alleles (None = rCRS)."""

    position: int
    insertion: int
    allele_a: str | None
    allele_b: str | None

    def __str__(self) -> str:
        ins = f".{self.insertion}" if self.insertion else ""
        return f"{self.position}{ins}:{self.allele_a or 'rCRS'}/{self.allele_b or 'rCRS'}"


@dataclass(frozen=True)
class MtComparison:
    """Result of :func:`compare_mtdna`.

    ``differences`` are the counted differences; ``ignored`` the variants skipped under the
    rules (length variants, ignored positions); ``heteroplasmic`` the positions where an
    IUPAC code was taken as compatible; ``overlap`` the common range compared.
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


def compare_mtdna(
    a: MtHaplotype, b: MtHaplotype, options: MtCompareOptions = DEFAULT_MT_OPTIONS
) -> MtComparison:
    """Compare two haplotypes over the range both cover and classify (see module rules)."""
    overlap = a.range.intersection(b.range)
    if len(overlap) < options.min_overlap_bp:
        return MtComparison(LineageClass.INCONCLUSIVE, (), overlap, (), (),
                            note=f"common range {overlap} shorter than "
                                 f"{options.min_overlap_bp} bp: not comparable")
    ta, tb = a._table, b._table
    keys = sorted({k for k in ta if k[0] in overlap} | {k for k in tb if k[0] in overlap})
    diffs: list[MtDifference] = []
    ignored: list[str] = []
    het: list[str] = []
    for key in keys:
        xa, xb = ta.get(key), tb.get(key)
        if xa == xb:
            continue
        if _key_ignored(key, xa, xb, options):
            ignored.extend(str(MtVariant(key[0], key[1], x)) for x in (xa, xb) if x)
            continue
        if alleles_compatible(xa, xb, options):
            if UNKNOWN not in (xa, xb):
                het.append(str(MtDifference(key[0], key[1], xa, xb)))
            continue
        diffs.append(MtDifference(key[0], key[1], xa, xb))
    cls = options.classify(len(diffs))
    return MtComparison(cls, tuple(diffs), overlap, tuple(ignored), tuple(het))
