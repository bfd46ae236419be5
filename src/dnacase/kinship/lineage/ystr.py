"""Y-STR haplotypes and their comparison between paternal relatives.

Conventions
-----------
* A haplotype maps locus names (``DYS570``, ``DYS385``, ...) to a sorted tuple of allele
  values (repeat numbers as float, microvariants such as 17.2 allowed) or to ``None`` when
  the locus was not typed (dropout). Multi-copy loci (``DYS385``, ``DYF387S1``, ...) are
  unordered multisets: ``"12,19"`` and ``"19,12"`` are the same; ``DYS385a``/``DYS385b``
  columns are merged. A single-copy locus with two values (``DYS19 = 14,15``) is a
  duplication and kept as such. A null allele (``0`` or ``null``) is the value
  :data:`NULL_ALLELE` (0.0).
* ``DYS389II`` is read as the total length (it includes DYS389I), as in YHRD data.

Transmission model (:func:`compare_ystr`)
-----------------------------------------
Between two men ``n`` meioses apart on the paternal line (father-son 1, brothers 2,
uncle-nephew 3), each copy of each locus changes independently. Per meiosis a copy mutates
with the locus rate ``mu`` (YHRD counts, :func:`yhrd_mutation_rates`); a mutation changes the
repeat number by ``+-s`` with ``P(s) = (1 - rho) rho^(s-1)`` (geometric step sizes, sign
equally likely; ``rho`` = ``multistep_ratio``, default 0.05, a working default meaning about
1 in 20 mutations is multi-step). The probability of a net change ``d`` over ``n`` meioses is
the ``n``-fold convolution of the one-meiosis step distribution. For a multi-copy locus the
observed multiset ``B`` given ``A`` has probability ``sum_sigma prod_i P_n(b_sigma(i) - a_i)``
over the distinct arrangements of ``B``. Non-stepwise changes (a non-integer difference, a
null allele against a repeat number, a different number of copies) have probability
``1 - (1 - r)^n`` with ``r`` = ``non_stepwise_rate`` (default 0: such a change excludes
unless the lab sets an allowance). When ``DYS389I`` and ``DYS389II`` are both typed in both
men, ``DYS389II`` is compared as ``II - I`` (so one DYS389I mutation is not counted twice),
with the DYS389II rate.

The result is ``log10 P(B | A, n meioses)`` over the loci typed in both men (the LR
numerator; the model is symmetric, so it does not matter who is the ancestor), the list of
differing loci with their steps, and a classification (SWGDAM-style, configurable): 0
differing loci cannot exclude; 1 to ``exclude_at - 1`` inconclusive; ``exclude_at`` (default
3) or more, or a difference of probability 0, excluded.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from ._common import LineageClass, LineageDataError

NULL_ALLELE = 0.0
YLocusAlleles = tuple[float, ...]

MULTI_COPY_LOCI: frozenset[str] = frozenset({"DYS385", "DYF387S1", "DYS464", "DYF403S1"})
"""Loci typed as unordered multisets of copies (two copies unless stated otherwise)."""

Y_KITS: dict[str, tuple[str, ...]] = {
    "Yfiler Plus": (
        "DYS576", "DYS389I", "DYS635", "DYS389II", "DYS627", "DYS460", "DYS458", "DYS19",
        "YGATAH4", "DYS448", "DYS391", "DYS456", "DYS390", "DYS438", "DYS392", "DYS518",
        "DYS570", "DYS437", "DYS385", "DYS449", "DYS393", "DYS439", "DYS481", "DYF387S1",
        "DYS533",
    ),
    "PowerPlex Y23": (
        "DYS576", "DYS389I", "DYS448", "DYS389II", "DYS19", "DYS391", "DYS481", "DYS549",
        "DYS533", "DYS438", "DYS437", "DYS570", "DYS635", "DYS390", "DYS439", "DYS392",
        "DYS643", "DYS393", "DYS458", "DYS385", "DYS456", "YGATAH4",
    ),
}
"""Marker names per kit in YHRD order (multi-copy markers once), after strvalidator."""

_ALIASES = {
    "DYS389 I": "DYS389I", "DYS389-I": "DYS389I", "DYS389 II": "DYS389II",
    "DYS389-II": "DYS389II", "Y-GATA-H4": "YGATAH4", "GATA_H4": "YGATAH4", "GATAH4": "YGATAH4",
    "YGATA_H4": "YGATAH4", "GATA-H4": "YGATAH4", "DYF387S1A/B": "DYF387S1",
    "DYS385A/B": "DYS385",
}


def normalise_locus(name: str) -> str:
    """Canonical Y locus name (upper case, YHRD spelling); ``DYS385a`` -> ``DYS385``."""
    n = name.strip().upper()
    n = _ALIASES.get(n, n).replace(" ", "")
    n = _ALIASES.get(n, n)
    for multi in MULTI_COPY_LOCI:
        if n in (multi + "A", multi + "B", multi + "C", multi + "D"):
            return multi
    return n


def parse_alleles(cell: str | float | int | Iterable[str | float | int] | None, *,
                  sample: str | None = None, locus: str | None = None) -> YLocusAlleles | None:
    """Parse a cell (``"12,19"``, ``"17.2"``, ``"null"``, ``""``) or a list into alleles.

    Empty / None means not typed and gives None. Raises :class:`LineageDataError` naming the
    sample and the locus for anything else that is not a repeat number.
    """
    if cell is None:
        return None
    items: list[str | float | int]
    if isinstance(cell, str):
        text = cell.strip()
        if not text:
            return None
        items = [p for p in text.replace(";", ",").replace("/", ",").split(",")]
    elif isinstance(cell, int | float):
        items = [cell]
    else:
        items = list(cell)
        if not items:
            return None
    out: list[float] = []
    for it in items:
        if isinstance(it, str):
            t = it.strip()
            if t.lower() in ("null", "0", "0.0"):
                out.append(NULL_ALLELE)
                continue
            try:
                v = float(t)
            except ValueError:
                raise LineageDataError(f"not a repeat number: {t!r}", sample=sample,
                                       item=locus) from None
        else:
            v = float(it)
        if not math.isfinite(v) or v < 0:
            raise LineageDataError(f"not a repeat number: {it!r}", sample=sample, item=locus)
        out.append(v)
    return tuple(sorted(out))


@dataclass(frozen=True)
class YHaplotype:
    """A Y-STR haplotype: locus -> sorted allele tuple, or None when not typed.

    Build with :meth:`from_cells`. ``alleles`` is a plain dict; do not mutate it.
    """

    alleles: Mapping[str, YLocusAlleles | None]
    sample: str | None = field(default=None, compare=False)
    kit: str | None = field(default=None, compare=False)

    @classmethod
    def from_cells(
        cls,
        cells: Mapping[str, str | float | int | Iterable[str | float | int] | None],
        *,
        sample: str | None = None,
        kit: str | None = None,
    ) -> YHaplotype:
        """Build from locus -> cell (string like ``"12,19"``, number, list, or empty)."""
        table: dict[str, YLocusAlleles | None] = {}
        split_seen: set[str] = set()
        for raw_locus, cell in cells.items():
            locus = normalise_locus(raw_locus)
            alleles = parse_alleles(cell, sample=sample, locus=raw_locus)
            is_split = raw_locus.strip().upper().replace(" ", "") != locus
            if locus in table:
                if not (is_split and locus in split_seen):
                    raise LineageDataError("locus given twice", sample=sample, item=raw_locus)
                prev = table[locus]
                if prev is None or alleles is None:  # one copy untyped: keep what is known
                    table[locus] = prev if alleles is None else alleles
                else:
                    table[locus] = tuple(sorted(prev + alleles))
                continue
            if is_split:
                split_seen.add(locus)
            table[locus] = alleles
        if kit is not None and kit in Y_KITS:
            for locus in Y_KITS[kit]:
                table.setdefault(locus, None)
        return cls(table, sample, kit)

    def typed_loci(self) -> list[str]:
        return [k for k, v in self.alleles.items() if v is not None]

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, v) for k, v in self.alleles.items() if v is not None)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, YHaplotype):
            return NotImplemented
        mine = {k: v for k, v in self.alleles.items() if v is not None}
        theirs = {k: v for k, v in other.alleles.items() if v is not None}
        return mine == theirs


@lru_cache(maxsize=1)
def yhrd_mutation_rates() -> dict[str, float]:
    """Per-meiosis, per-copy Y-STR mutation rates (YHRD counts), keyed by canonical locus.

    Read from the package file ``dnacase/data/lineage/ystr_mutation_rates_yhrd.csv``;
    ``DYS385a``/``b`` and ``DYF387S1a``/``b`` become ``DYS385`` and ``DYF387S1``.
    """
    text = (resources.files("dnacase") / "data" / "lineage" / "ystr_mutation_rates_yhrd.csv"
            ).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    out: dict[str, float] = {}
    for row in rows:
        out[normalise_locus(row["marker"])] = int(row["mutations"]) / int(row["meioses"])
    return out


@dataclass(frozen=True)
class YCompareOptions:
    """Model and interpretation settings for :func:`compare_ystr` (see module docstring).

    ``rates`` overrides the YHRD table per locus; ``default_rate`` is used for loci missing
    from both (None: such a locus is an error).
    """

    rates: Mapping[str, float] | None = None
    default_rate: float | None = None
    multistep_ratio: float = 0.05
    non_stepwise_rate: float = 0.0
    max_step: int = 20
    dys389ii_is_total: bool = True
    inconclusive_at: int = 1
    exclude_at: int = 3

    def rate(self, locus: str) -> float:
        if self.rates is not None and locus in self.rates:
            return float(self.rates[locus])
        table = yhrd_mutation_rates()
        if locus in table:
            return table[locus]
        if self.default_rate is not None:
            return self.default_rate
        raise LineageDataError("no Y-STR mutation rate for this locus (set rates or "
                               "default_rate)", item=locus)


DEFAULT_Y_OPTIONS = YCompareOptions()


@lru_cache(maxsize=512)
def _net_change_distribution(mu: float, rho: float, n: int, max_step: int) -> np.ndarray:
    """P(net change = d) for d in -K..K (index d + K), K = n * max_step, over n meioses."""
    one = np.zeros(2 * max_step + 1)
    one[max_step] = 1.0 - mu
    s = np.arange(1, max_step + 1)
    ps = mu * (1.0 - rho) * rho ** (s - 1) / 2.0
    one[max_step + s] = ps
    one[max_step - s] = ps
    dist = np.array([1.0])
    for _ in range(n):
        dist = np.convolve(dist, one)
    return dist


def _p_step(d: float, mu: float, n: int, options: YCompareOptions) -> float:
    """P(a copy changes by d repeats over n meioses); non-integer d is non-stepwise."""
    if n == 0:
        return 1.0 if d == 0 else 0.0
    if abs(d - round(d)) > 1e-6:
        return 1.0 - (1.0 - options.non_stepwise_rate) ** n
    k = round(d)
    dist = _net_change_distribution(mu, options.multistep_ratio, n, options.max_step)
    half = (len(dist) - 1) // 2
    return float(dist[half + k]) if abs(k) <= half else 0.0


def _p_locus(a: YLocusAlleles, b: YLocusAlleles, mu: float, n: int,
             options: YCompareOptions) -> float:
    """P(B | A) for one locus (multiset of copies); see module docstring."""
    non_stepwise = 1.0 - (1.0 - options.non_stepwise_rate) ** n if n else 0.0
    if len(a) != len(b):
        return non_stepwise
    total = 0.0
    for perm in set(itertools.permutations(b)):
        p = 1.0
        for x, y in zip(a, perm, strict=True):
            if (x == NULL_ALLELE) != (y == NULL_ALLELE):
                p *= non_stepwise
            elif x == NULL_ALLELE:
                continue
            else:
                p *= _p_step(y - x, mu, n, options)
        total += p
    return min(total, 1.0)


def _describe_steps(a: YLocusAlleles, b: YLocusAlleles) -> str:
    if len(a) != len(b):
        return f"copy number {len(a)} vs {len(b)}"
    if NULL_ALLELE in a or NULL_ALLELE in b:
        return "null allele vs repeat number"
    d = [round(y - x, 3) for x, y in zip(a, b, strict=True)]
    return ", ".join(f"{v:+g}" for v in d if v) + " repeat(s)"


def _fmt(a: YLocusAlleles) -> str:
    return ",".join("null" if v == NULL_ALLELE else f"{v:g}" for v in a)


@dataclass(frozen=True)
class YLocusDifference:
    """One differing locus: both allele sets, the step description, rate and log10 P."""

    locus: str
    alleles_a: YLocusAlleles
    alleles_b: YLocusAlleles
    steps: str
    rate: float
    log10_p: float

    def __str__(self) -> str:
        return f"{self.locus} {_fmt(self.alleles_a)}/{_fmt(self.alleles_b)} ({self.steps})"


@dataclass(frozen=True)
class YComparison:
    """Result of :func:`compare_ystr`.

    ``log10_p`` = log10 P(B's alleles | A's alleles, ``meioses`` meioses) summed over
    ``compared_loci`` (-inf when impossible under the model); ``skipped_loci`` were typed in
    only one of the two men.
    """

    classification: LineageClass
    meioses: int
    log10_p: float
    compared_loci: tuple[str, ...]
    skipped_loci: tuple[str, ...]
    differences: tuple[YLocusDifference, ...]

    @property
    def n_differences(self) -> int:
        return len(self.differences)


def _effective(h: YHaplotype, other: YHaplotype, options: YCompareOptions
               ) -> dict[str, YLocusAlleles | None]:
    """Alleles as compared: DYS389II becomes II - I when both men have single-copy I and II."""
    eff = dict(h.alleles)
    if options.dys389ii_is_total:
        pairs = [(x.alleles.get("DYS389I"), x.alleles.get("DYS389II")) for x in (h, other)]
        if all(one is not None and two is not None and len(one) == 1 and len(two) == 1
               for one, two in pairs):
            one, two = pairs[0]
            assert one is not None and two is not None
            eff["DYS389II"] = (two[0] - one[0],)
    return eff


def compare_ystr(
    a: YHaplotype,
    b: YHaplotype,
    meioses: int,
    options: YCompareOptions = DEFAULT_Y_OPTIONS,
) -> YComparison:
    """Compare two Y haplotypes ``meioses`` apart on the paternal line (module docstring)."""
    if meioses < 0:
        raise ValueError("meioses must be >= 0")
    ea, eb = _effective(a, b, options), _effective(b, a, options)
    compared: list[str] = []
    skipped: list[str] = []
    diffs: list[YLocusDifference] = []
    total = 0.0
    for locus in list(dict.fromkeys([*ea, *eb])):
        xa, xb = ea.get(locus), eb.get(locus)
        if xa is None or xb is None:
            if xa is not None or xb is not None:
                skipped.append(locus)
            continue
        compared.append(locus)
        mu = options.rate(locus)
        p = _p_locus(xa, xb, mu, meioses, options)
        lp = math.log10(p) if p > 0 else -math.inf
        total += lp
        if xa != xb:
            raw_a = a.alleles.get(locus) or xa
            raw_b = b.alleles.get(locus) or xb
            diffs.append(YLocusDifference(locus, raw_a, raw_b, _describe_steps(xa, xb), mu, lp))
    if total == -math.inf or len(diffs) >= options.exclude_at:
        cls = LineageClass.EXCLUDED
    elif len(diffs) >= options.inconclusive_at:
        cls = LineageClass.INCONCLUSIVE
    else:
        cls = LineageClass.CANNOT_EXCLUDE
    return YComparison(cls, meioses, total, tuple(compared), tuple(skipped), tuple(diffs))
