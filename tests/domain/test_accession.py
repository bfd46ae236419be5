import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnacase.domain.accession import (
    Accession,
    check_digits,
    make_accession,
    normalise_accession,
    parse_accession,
)
from dnacase.domain.errors import AccessionError


def test_known_check_digits_follow_iso_7064_mod_97_10() -> None:
    # The IBAN scheme: the number with its check digits appended is 1 modulo 97.
    body = "KIT2025000123"
    cc = check_digits(body)
    digits = "".join(str(int(c, 36)) for c in body)
    assert int(digits + cc) % 97 == 1
    assert make_accession("KIT", 2025, 123) == f"KIT-2025-000123-{cc}"


def test_parse_round_trip_and_lenient_spelling() -> None:
    number = make_accession("KIT", 2024, 42)
    acc = parse_accession(number)
    assert acc == Accession("KIT", 2024, 42)
    assert str(acc) == number
    sloppy = "  " + number.lower().replace("-", " ") + " "
    assert normalise_accession(sloppy) == number


def test_wrong_check_digits_are_refused_with_expected_value() -> None:
    number = make_accession("KIT", 2025, 7)
    good = number[-2:]
    bad = f"{(int(good) + 1) % 100:02d}"
    with pytest.raises(AccessionError) as info:
        parse_accession(number[:-2] + bad)
    message = str(info.value)
    assert f"check digits {bad}" in message
    assert f"expected {good}" in message
    assert "mistyped" in message
    assert info.value.field == "barcode"


def test_malformed_and_wrong_prefix_are_refused() -> None:
    with pytest.raises(AccessionError, match="not a barcode of the form"):
        parse_accession("KIT-25-1-00")
    with pytest.raises(AccessionError, match="no barcode"):
        parse_accession("   ")
    with pytest.raises(AccessionError, match="SHP number is expected"):
        parse_accession(make_accession("KIT", 2025, 1), prefix="SHP")
    with pytest.raises(AccessionError, match="between 1 and 999999"):
        make_accession("KIT", 2025, 0)


def _variants(number: str) -> list[str]:
    """All single-character substitutions and adjacent transpositions of *number*."""
    chars = "0123456789"
    out = []
    for i, ch in enumerate(number):
        if ch.isdigit():
            out += [number[:i] + d + number[i + 1:] for d in chars if d != ch]
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a != b and a.isdigit() and b.isdigit():
            out.append(number[:i] + b + a + number[i + 2:])
    return out


@given(st.integers(2000, 2099), st.integers(1, 999_999))
def test_every_single_digit_error_and_transposition_is_caught(year: int, seq: int) -> None:
    number = make_accession("KIT", year, seq)
    for typo in _variants(number):
        with pytest.raises(AccessionError):
            parse_accession(typo)
