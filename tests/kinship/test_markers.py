from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import (
    Locus,
    MarkerError,
    add_missing_alleles,
    encode_genotype,
    encode_profiles,
    genotype_code,
    genotype_pairs,
)

LOC = Locus.from_mapping("TH01", {"6": 0.2, "7": 0.3, "9.3": 0.5})


def test_encoding_and_errors():
    assert encode_genotype(LOC, ["9.3", "6"]) == (2, 0)
    assert encode_genotype(LOC, None) == (-1, -1)
    with pytest.raises(MarkerError, match=r"TH01 \(person 'R1'\).*'OL' is not an allele"):
        encode_genotype(LOC, ["OL", "6"], "R1")
    with pytest.raises(MarkerError, match="not in the frequency table"):
        encode_genotype(LOC, ["8", "6"], "R1")
    with pytest.raises(MarkerError, match="exactly two"):
        encode_genotype(LOC, ["6"], "R1")
    with pytest.raises(MarkerError, match="not an allele name"):
        Locus.from_mapping("X", {"OL": 1.0})
    with pytest.raises(MarkerError, match="sum to"):
        Locus.from_mapping("X", {"1": 0.5, "2": 0.4})
    g = encode_profiles([LOC], ["A", "B"], {"A": {"TH01": ["6", "7"]}})
    assert g.shape == (2, 1, 2) and g.dtype == np.int32 and g[1].tolist() == [[-1, -1]]


def test_minimum_frequency_policy_is_reported():
    new, notes = add_missing_alleles(LOC, ["8", "6"], n_individuals=500)
    assert new.alleles == ("6", "7", "9.3", "8")
    fmin = 5 / 1000
    assert new.freqs.sum() == pytest.approx(1.0)
    assert new.freqs[3] == pytest.approx(fmin / (1 + fmin))
    assert len(notes) == 1 and "8" in notes[0] and "5/2N" in notes[0]
    same, none = add_missing_alleles(LOC, ["6"], 500)
    assert same is LOC and none == []


def test_genotype_codes_roundtrip():
    n = 7
    lo, hi = genotype_pairs(n)
    assert lo.size == n * (n + 1) // 2
    codes = genotype_code(lo, hi)
    assert codes.tolist() == list(range(lo.size))
    assert genotype_code(np.array([3, -1]), np.array([1, 2])).tolist() == [genotype_code(1, 3), -1]
