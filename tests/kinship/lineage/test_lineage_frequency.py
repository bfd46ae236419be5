"""Clopper-Pearson bounds against published values and a brute-force binomial check."""

from __future__ import annotations

import math

import pytest

from dnacase.kinship.lineage import (
    MtHaplotype,
    PopulationDatabase,
    YHaplotype,
    clopper_pearson_interval,
    clopper_pearson_upper,
    haplotype_frequency,
    mtdna_frequency,
    ystr_frequency,
)
from dnacase.kinship.lineage.frequency import beta_ppf, betainc

# 95 % two-sided exact intervals (the values R's binom.test prints; each was re-derived
# independently by bisection on the binomial tail sums)
KNOWN = [
    (0, 100, 0.0, 0.03621669),
    (1, 100, 0.0002531460, 0.05445939),
    (5, 100, 0.01643188, 0.11283491),
    (10, 100, 0.04900469, 0.17622260),
    (50, 100, 0.3983211, 0.6016789),
]


@pytest.mark.parametrize(("x", "n", "lo", "hi"), KNOWN)
def test_clopper_pearson_matches_published_values(x: int, n: int, lo: float, hi: float) -> None:
    got_lo, got_hi = clopper_pearson_interval(x, n)
    assert got_lo == pytest.approx(lo, rel=2e-6, abs=1e-9)
    assert got_hi == pytest.approx(hi, rel=2e-6)


def test_zero_count_closed_forms() -> None:
    assert clopper_pearson_upper(0, 100) == pytest.approx(1 - 0.025 ** (1 / 100))
    assert clopper_pearson_upper(0, 100) == pytest.approx(0.0362, abs=5e-5)
    assert clopper_pearson_upper(0, 100, two_sided=False) == pytest.approx(0.0295, abs=5e-5)
    assert clopper_pearson_upper(0, 1000) == pytest.approx(0.003682, abs=1e-6)
    assert clopper_pearson_upper(7, 7) == 1.0


def _binom_cdf(x: int, n: int, p: float) -> float:
    return math.fsum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(x + 1))


@pytest.mark.parametrize(("x", "n"), [(1, 10), (3, 57), (12, 400), (40, 1000), (2, 2500)])
def test_upper_bound_solves_the_binomial_tail_equation(x: int, n: int) -> None:
    """Definition: P(X <= x | n, p_U) = alpha / 2 (brute-force binomial sum)."""
    pu = clopper_pearson_upper(x, n)
    assert _binom_cdf(x, n, pu) == pytest.approx(0.025, rel=1e-7)
    lo, _ = clopper_pearson_interval(x, n)
    assert 1 - _binom_cdf(x - 1, n, lo) == pytest.approx(0.025, rel=1e-7)


def test_incomplete_beta_and_quantile() -> None:
    assert betainc(1, 1, 0.3) == pytest.approx(0.3)
    assert betainc(2, 3, 0.4) == pytest.approx(0.5248)  # 1 - sum of two binomial terms
    assert beta_ppf(betainc(3.5, 9.0, 0.21), 3.5, 9.0) == pytest.approx(0.21, abs=1e-10)
    with pytest.raises(ValueError):
        clopper_pearson_upper(5, 3)
    with pytest.raises(ValueError):
        clopper_pearson_upper(0, 0)


def test_mtdna_frequency_counts_only_database_entries_covering_the_range() -> None:
    full, hvs = "16024-16569;1-576", "16024-16365;73-340"
    query = MtHaplotype.from_notation("16223T 73G 263G 315.1C", hvs)
    db = PopulationDatabase(
        "synthetic",
        tuple(
            [MtHaplotype.from_notation("16223T 73G 263G 309.1C 315.1C 489C", full)] * 3
            + [MtHaplotype.from_notation("16223T 16311C 73G 263G 315.1C", full)] * 5
            + [MtHaplotype.from_notation("16223T", "16024-16365")] * 2
            + [MtHaplotype.from_notation("73G 263G 315.1C", full)] * 90
        ),
    )
    f = mtdna_frequency(query, db)
    assert (f.count, f.n, f.excluded_from_n) == (3, 98, 2)  # 309.1C is a length variant
    assert f.upper == pytest.approx(clopper_pearson_upper(3, 98))
    assert "3/98 in synthetic" in f.describe()


def test_ystr_frequency_counts_identical_haplotypes_at_compared_loci() -> None:
    q = YHaplotype.from_cells({"DYS19": "15", "DYS390": "23", "DYS385": "12,19"})
    db = (
        [YHaplotype.from_cells({"DYS19": "15", "DYS390": "23", "DYS385": "19,12"})] * 2
        + [YHaplotype.from_cells({"DYS19": "15", "DYS390": "24", "DYS385": "12,19"})] * 7
        + [YHaplotype.from_cells({"DYS19": "15", "DYS390": "", "DYS385": "12,19"})]
    )
    f = ystr_frequency(q, db)
    assert (f.count, f.n, f.excluded_from_n) == (2, 9, 1)
    f2 = ystr_frequency(q, db, loci=["DYS19", "DYS385"])
    assert (f2.count, f2.n) == (10, 10) and f2.upper == 1.0


def test_frequency_from_counts() -> None:
    f = haplotype_frequency(0, 100, population="pop")
    assert f.point == 0 and f.upper == pytest.approx(0.03621669, rel=1e-6)
