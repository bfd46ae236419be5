"""Lineage haplotype frequencies by counting, with a Clopper-Pearson upper bound.

A lineage haplotype (mtDNA or Y-STR) is inherited whole, so its population frequency is
estimated by counting: ``x`` matching haplotypes among the ``n`` comparable haplotypes of a
population database. Because ``x`` is often 0, the LR denominator uses the upper limit of
the exact binomial (Clopper-Pearson) confidence interval, as the SWGDAM mtDNA and Y-STR
guidelines ask:

    p_U = BetaInv(1 - alpha/2; x + 1, n - x)      (two-sided interval, the default)
    p_U = BetaInv(1 - alpha;   x + 1, n - x)      (one-sided bound)
    p_U = 1 if x = n;   for x = 0 this is 1 - (alpha/2)^(1/n) (two-sided)

with ``alpha = 1 - confidence``. Example: x=0, n=100, 95 % two-sided -> 0.0362 (one-sided
-> 0.0295). The regularised incomplete beta function is computed here (continued fraction,
Numerical Recipes 6.4) and inverted by bisection to 1e-13, so no SciPy is needed.

Which bound is used is a setting, :class:`UpperBound` (case files: ``"upper_bound":
"one-sided"`` or ``"two-sided"`` in ``mtdna_rules`` / ``ystr_rules``). Default
(:data:`DEFAULT_UPPER_BOUND`): the upper limit of the **two-sided 95 %** Clopper-Pearson
interval (Clopper & Pearson 1934, Biometrika 26:404), i.e. a 97.5 % one-sided bound. The
SWGDAM mtDNA (2019) and Y-STR (2014) interpretation guidelines ask for the upper 95 %
confidence limit of the count by the Clopper-Pearson method; the one-sided reading gives
``1 - 0.05^(1/n)`` for an unseen haplotype, the two-sided one ``1 - 0.025^(1/n)``. The default
takes the two-sided limit, the larger frequency and so the smaller (conservative) LR, and is
the value dnacase used before it became a setting; a laboratory whose SOP reads the guideline
as one-sided sets ``one-sided``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .mtdna import DEFAULT_MT_OPTIONS, MtCompareOptions, MtHaplotype, MtRange, compare_mtdna
from .ystr import YHaplotype, YLocusAlleles


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            return h
    raise ArithmeticError(f"incomplete beta did not converge (a={a}, b={b}, x={x})")


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if a <= 0 or b <= 0:
        raise ValueError("betainc needs a > 0 and b > 0")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                 + a * math.log(x) + b * math.log1p(-x))
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """Quantile of the Beta(a, b) distribution: the x with I_x(a, b) = q (bisection)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("quantile level must be in [0, 1]")
    if q == 0.0:
        return 0.0
    if q == 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if betainc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return 0.5 * (lo + hi)


def _check_counts(x: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"database size n must be positive (got {n})")
    if not 0 <= x <= n:
        raise ValueError(f"count x must be within 0..n (got x={x}, n={n})")


def clopper_pearson_upper(
    x: int, n: int, confidence: float = 0.95, *, two_sided: bool = True
) -> float:
    """Upper Clopper-Pearson limit of a binomial proportion (see module docstring)."""
    _check_counts(x, n)
    alpha = 1.0 - confidence
    tail = alpha / 2 if two_sided else alpha
    if x == n:
        return 1.0
    if x == 0:
        return 1.0 - tail ** (1.0 / n)
    return beta_ppf(1.0 - tail, x + 1, n - x)


def clopper_pearson_interval(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided exact (Clopper-Pearson) interval ``(lower, upper)`` for x successes in n."""
    _check_counts(x, n)
    tail = (1.0 - confidence) / 2
    lower = 0.0 if x == 0 else beta_ppf(tail, x, n - x + 1)
    return lower, clopper_pearson_upper(x, n, confidence)


@dataclass(frozen=True)
class UpperBound:
    """The Clopper-Pearson upper limit used as a haplotype's frequency (module docstring)."""

    confidence: float = 0.95
    two_sided: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.confidence < 1.0:
            raise ValueError(f"confidence must be between 0 and 1 (got {self.confidence})")

    @classmethod
    def parse(cls, text: str, confidence: float = 0.95) -> UpperBound:
        """``"two-sided"`` or ``"one-sided"`` (the case-file and settings spelling)."""
        value = str(text).strip().lower().replace("_", "-")
        if value not in ("one-sided", "two-sided"):
            raise ValueError(f"upper bound must be 'one-sided' or 'two-sided' (got {text!r})")
        return cls(confidence, value == "two-sided")

    @property
    def side(self) -> str:
        return "two-sided" if self.two_sided else "one-sided"

    def upper(self, x: int, n: int) -> float:
        return clopper_pearson_upper(x, n, self.confidence, two_sided=self.two_sided)


DEFAULT_UPPER_BOUND = UpperBound()
"""Two-sided 95 % Clopper-Pearson upper limit (module docstring: source and reasons)."""


@dataclass(frozen=True)
class HaplotypeFrequency:
    """A counted haplotype frequency: ``count`` of ``n``, point estimate and upper bound.

    ``upper`` (a probability, not log) is the value used as the LR denominator.
    """

    count: int
    n: int
    upper: float
    confidence: float
    two_sided: bool
    population: str | None = None
    excluded_from_n: int = 0

    @property
    def point(self) -> float:
        return self.count / self.n

    def describe(self) -> str:
        side = "two-sided" if self.two_sided else "one-sided"
        pop = f" in {self.population}" if self.population else ""
        extra = (f"; {self.excluded_from_n} database haplotypes not covering the compared "
                 f"data left out of n" if self.excluded_from_n else "")
        return (f"{self.count}/{self.n}{pop}; {self.confidence:.0%} {side} Clopper-Pearson "
                f"upper bound {self.upper:.4g}{extra}")


def haplotype_frequency(
    count: int,
    n: int,
    *,
    bound: UpperBound = DEFAULT_UPPER_BOUND,
    population: str | None = None,
    excluded_from_n: int = 0,
) -> HaplotypeFrequency:
    """Frequency estimate from a count (``count`` matches among ``n`` haplotypes)."""
    return HaplotypeFrequency(count, n, bound.upper(count, n), bound.confidence,
                              bound.two_sided, population, excluded_from_n)


@dataclass(frozen=True)
class PopulationDatabase:
    """Imported population haplotypes (mtDNA or Y-STR) with the population's name.

    ``haplotypes`` holds :class:`MtHaplotype` or :class:`YHaplotype` objects; N is their number.
    """

    name: str
    haplotypes: tuple[MtHaplotype | YHaplotype, ...]

    def __len__(self) -> int:
        return len(self.haplotypes)


def mtdna_frequency(
    query: MtHaplotype,
    database: PopulationDatabase | Sequence[MtHaplotype],
    *,
    over: MtRange | None = None,
    options: MtCompareOptions = DEFAULT_MT_OPTIONS,
    bound: UpperBound = DEFAULT_UPPER_BOUND,
) -> HaplotypeFrequency:
    """Count database haplotypes matching ``query`` over ``over`` (default: query's range).

    Only database haplotypes whose range covers the whole compared range enter ``n``; those
    that do are a match when :func:`compare_mtdna` finds 0 differences (same rules as the
    case comparison, so C-stretch length variants and heteroplasmy are treated alike).
    """
    rng = query.range if over is None else query.range.intersection(over)
    q = query.restricted(rng)
    name = database.name if isinstance(database, PopulationDatabase) else None
    haps = database.haplotypes if isinstance(database, PopulationDatabase) else database
    x = n = skipped = 0
    for h in haps:
        if not isinstance(h, MtHaplotype):
            raise TypeError("an mtDNA frequency needs a database of MtHaplotype")
        if not h.range.covers(rng):
            skipped += 1
            continue
        n += 1
        if compare_mtdna(q, h, options).n_differences == 0:
            x += 1
    if n == 0:
        raise ValueError(f"no database haplotype covers the range {rng}")
    return haplotype_frequency(x, n, bound=bound,
                               population=name, excluded_from_n=skipped)


def ystr_frequency(
    query: YHaplotype,
    database: PopulationDatabase | Sequence[YHaplotype],
    *,
    loci: Iterable[str] | None = None,
    bound: UpperBound = DEFAULT_UPPER_BOUND,
) -> HaplotypeFrequency:
    """Count database Y haplotypes identical to ``query`` at ``loci`` (default: typed loci).

    Only database haplotypes typed at every one of those loci enter ``n``.
    """
    use = list(loci) if loci is not None else query.typed_loci()
    want: Mapping[str, YLocusAlleles] = {loc: query.alleles[loc] for loc in use
                                         if query.alleles.get(loc) is not None}
    name = database.name if isinstance(database, PopulationDatabase) else None
    haps = database.haplotypes if isinstance(database, PopulationDatabase) else database
    x = n = skipped = 0
    for h in haps:
        if not isinstance(h, YHaplotype):
            raise TypeError("a Y-STR frequency needs a database of YHaplotype")
        if any(h.alleles.get(loc) is None for loc in want):
            skipped += 1
            continue
        n += 1
        if all(h.alleles[loc] == a for loc, a in want.items()):
            x += 1
    if n == 0:
        raise ValueError("no database haplotype is typed at all the compared loci")
    return haplotype_frequency(x, n, bound=bound,
                               population=name, excluded_from_n=skipped)
