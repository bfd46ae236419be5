"""How LRs and posteriors are written (dnacase.domain.numbers)."""

from __future__ import annotations

import math

from dnacase.domain import numbers


def test_lr_forensic_notation():
    x = math.log10(8.1e15)
    assert numbers.lr_html(x) == "8.1 × 10<sup>15</sup>"
    assert numbers.lr_text(x) == "8.1 × 10¹⁵"
    assert numbers.lr_ascii(x) == "8.1 x 10^15"
    assert numbers.lr_html(math.log10(9.96e7)) == "1.0 × 10<sup>8</sup>"  # rounding carries
    assert numbers.lr_text(-5.3) == "5.0 × 10⁻⁶"
    assert numbers.lr_text(3.0) == "1,000"
    assert numbers.lr_text(math.log10(12.3)) == "12"
    assert numbers.lr_text(math.log10(0.5)) == "0.5"
    assert numbers.lr_text(-math.inf) == "0" and numbers.lr_text(math.inf) == "∞"
    assert "^" not in numbers.lr_html(20.0) and "<script" not in numbers.lr_html(1.0)


def test_posterior_never_one_hundred_percent():
    assert numbers.percent_text(1.0, 14.2) == "> 99.99 %"
    assert numbers.percent_text(0.99995, math.log10(0.99995 / 0.00005)) == "> 99.99 %"
    assert numbers.percent_text(0.99985) == "99.98 %"
    assert numbers.percent_text(0.5, 0.0) == "50.00 %"
    assert numbers.percent_text(1e-9) == "< 0.01 %"
    assert numbers.percent_text(0.0, -math.inf) == "0 %"
    assert numbers.posterior_parts(1.0, 14.2345) == ("> 99.99 %", "14.23")
    for p in (0.999951, 0.99999999, 1 - 1e-15, 1.0):
        assert "100" not in numbers.percent_text(p)
