"""How the numbers that decide an identification are written (one place for every page, the
report and the PDF).

* A likelihood ratio is written the way forensic reports write it: two significant figures
  and a power of ten, ``8.1 × 10^15`` with the exponent as a superscript
  (:func:`lr_html`: ``8.1 × 10<sup>15</sup>``; :func:`lr_text`: Unicode superscript digits,
  ``8.1 × 10¹⁵``, for the PDF and plain text; :func:`lr_ascii`: ``8.1 x 10^15`` where only
  ASCII will do). Ratios from 0.01 to below a million are written out (``1,000``, ``12``,
  ``0.5``); 0 and infinity are ``0`` and ``∞``.
* A posterior probability is never written as ``100.000000 %``: it is given to two decimals
  of a percent, and above 99.99 % (or below 0.01 %) as ``> 99.99 %`` (``< 0.01 %``), always
  with the exact log10 posterior odds beside it (:func:`posterior_parts`), which keep the
  information the percentage cannot.

Inputs are log10 values (LRs and odds are stored as log10 at full precision).
"""

from __future__ import annotations

import math

from markupsafe import Markup

__all__ = [
    "lr_ascii",
    "lr_html",
    "lr_parts",
    "lr_text",
    "odds_text",
    "percent_text",
    "posterior_parts",
    "ratio_html",
]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
PLAIN_BELOW = 6.0  # log10: ratios below a million are written out
PLAIN_ABOVE = -2.0


def lr_parts(log10_value: float) -> tuple[str, int | None]:
    """``(mantissa, exponent)`` of a ratio given as log10: ``(8.1, 15)`` for 10^15.908; the
    exponent is None when the number is written out (``("1,000", None)``)."""
    x = float(log10_value)
    if math.isnan(x):
        return "—", None
    if math.isinf(x):
        return ("∞" if x > 0 else "0"), None
    if PLAIN_ABOVE <= x < PLAIN_BELOW:
        v = 10.0**x
        if v >= 100:
            return f"{v:,.0f}", None
        return f"{float(f'{v:.2g}'):g}", None
    e = math.floor(x)
    m = round(10.0 ** (x - e), 1)
    if m >= 10.0:
        m, e = 1.0, e + 1
    return f"{m:.1f}", e


def lr_html(log10_value: float) -> Markup:
    """``8.1 × 10<sup>15</sup>`` (safe HTML)."""
    m, e = lr_parts(log10_value)
    if e is None:
        return Markup.escape(m)
    return Markup(f"{Markup.escape(m)} × 10<sup>{e}</sup>")


def ratio_html(value: float) -> Markup:
    """:func:`lr_html` of a plain ratio (``10000`` -> ``10,000``)."""
    return lr_html(math.log10(value) if value > 0 else -math.inf)


def lr_text(log10_value: float) -> str:
    """``8.1 × 10¹⁵`` (Unicode superscript exponent: PDF, plain text)."""
    m, e = lr_parts(log10_value)
    return m if e is None else f"{m} × 10{str(e).translate(_SUPERSCRIPT)}"


def lr_ascii(log10_value: float) -> str:
    """``8.1 x 10^15`` (ASCII only)."""
    m, e = lr_parts(log10_value)
    return m if e is None else f"{m} x 10^{e}"


def percent_text(posterior: float, log10_odds: float | None = None) -> str:
    """A posterior as a percentage: two decimals, ``> 99.99 %`` above, ``< 0.01 %`` below
    (never ``100.00 %`` nor ``0.00 %`` for a probability strictly between 0 and 1)."""
    odds = log10_odds
    if odds is None:
        odds = math.inf if posterior >= 1 else (
            -math.inf if posterior <= 0 else math.log10(posterior / (1 - posterior)))
    if odds > math.log10(0.9999 / 0.0001) or posterior > 0.9999:
        return "> 99.99 %"
    if odds == -math.inf:
        return "0 %"
    if odds < math.log10(0.0001 / 0.9999) or posterior < 0.0001:
        return "< 0.01 %"
    return f"{100 * posterior:.2f} %"


def odds_text(log10_odds: float) -> str:
    """log10 posterior odds to two decimals (``12.30``; ``−∞`` for 0)."""
    if math.isinf(log10_odds):
        return "∞" if log10_odds > 0 else "−∞"
    if abs(log10_odds) < 0.005:
        return "0.00"  # not "-0.00"
    return f"{log10_odds:.2f}"


def posterior_parts(posterior: float, log10_odds: float) -> tuple[str, str]:
    """``(percentage, log10 odds)`` as written beside each other: ``("> 99.99 %",
    "12.30")``."""
    return percent_text(posterior, log10_odds), odds_text(log10_odds)
