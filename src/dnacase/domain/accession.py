"""Human-readable accession numbers with ISO 7064 MOD 97-10 check digits.

Format: ``PREFIX-YYYY-NNNNNN-CC``, e.g. ``KIT-2025-000123-64``:

- ``PREFIX``: 1-4 capital letters naming the kind of object (``KIT`` kits and the samples they
  carry, ``SHP`` shipments, ...);
- ``YYYY``: the year of issue;
- ``NNNNNN``: a sequence number within prefix and year (1..999999);
- ``CC``: two check digits by ISO 7064 MOD 97-10 (the IBAN scheme) over ``PREFIXYYYYNNNNNN``,
  letters counted as A=10 ... Z=35. The scheme catches every single-character error and every
  transposition of adjacent characters, the usual errors of hand typing.

The whole string is what the barcode or QR code on a label encodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dnacase.domain.errors import N_, AccessionError

_PATTERN = re.compile(r"^([A-Z]{1,4})-?(\d{4})-?(\d{6})-?(\d{2})$")
EXAMPLE = "KIT-2025-000123-64"


def _digits(body: str) -> str:
    """Return *body* (capital letters and digits) as a decimal string, A=10 ... Z=35."""
    return "".join(str(int(ch, 36)) for ch in body)


def check_digits(body: str) -> str:
    """Return the two ISO 7064 MOD 97-10 check digits of *body* (letters and digits).

    ``check = 98 - (N * 100 mod 97)`` where N is the decimal form of *body*; a number with its
    check digits appended is then congruent to 1 modulo 97.
    """
    if not body or not body.isalnum() or not body.isascii():
        raise AccessionError(
            N_("cannot compute check digits of %(body)r: letters and digits only"), body=body
        )
    value = int(_digits(body.upper()) + "00")
    return f"{98 - value % 97:02d}"


def is_valid_check(body: str, check: str) -> bool:
    """True when *check* are the correct MOD 97-10 check digits of *body*."""
    return int(_digits(body.upper()) + check) % 97 == 1


@dataclass(frozen=True, slots=True)
class Accession:
    """A parsed accession number."""

    prefix: str
    year: int
    sequence: int

    @property
    def body(self) -> str:
        """The characters the check digits protect: prefix, year and sequence, no dashes."""
        return f"{self.prefix}{self.year:04d}{self.sequence:06d}"

    @property
    def check(self) -> str:
        """The two check digits."""
        return check_digits(self.body)

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year:04d}-{self.sequence:06d}-{self.check}"


def make_accession(prefix: str, year: int, sequence: int) -> str:
    """Return the accession number string for *prefix*, *year* and *sequence*.

    Raises :class:`AccessionError` when a part is out of range.
    """
    prefix = prefix.upper()
    if not re.fullmatch(r"[A-Z]{1,4}", prefix):
        raise AccessionError(
            N_("accession prefix %(prefix)r must be 1 to 4 letters A-Z"), prefix=prefix
        )
    if not 1000 <= year <= 9999:
        raise AccessionError(N_("accession year %(year)s must have four digits"), year=year)
    if not 1 <= sequence <= 999_999:
        raise AccessionError(
            N_("accession sequence %(sequence)s must be between 1 and 999999"),
            sequence=sequence,
        )
    return str(Accession(prefix, year, sequence))


def parse_accession(text: str, *, prefix: str | None = None) -> Accession:
    """Parse and verify an accession number typed or scanned by a user.

    Case, surrounding spaces and inner spaces are ignored; dashes are optional. When *prefix*
    is given the number must carry it.

    Raises :class:`AccessionError` with a message saying what is wrong: the shape, the prefix,
    or the check digits (with the hint that the number was probably mistyped).
    """
    raw = text or ""
    cleaned = re.sub(r"\s+", "", raw).upper()
    if not cleaned:
        raise AccessionError(N_("no barcode given"), field="barcode")
    match = _PATTERN.match(cleaned)
    if match is None:
        raise AccessionError(
            N_("%(text)r is not a barcode of the form PREFIX-YEAR-NUMBER-CHECK (e.g. %(example)s)"),
            field="barcode", text=raw.strip(), example=EXAMPLE,
        )
    pfx, year, seq, check = match.groups()
    if prefix is not None and pfx != prefix.upper():
        raise AccessionError(
            N_("%(number)s has prefix %(prefix)s, but a %(expected)s number is expected"),
            field="barcode", number=cleaned, prefix=pfx, expected=prefix.upper(),
        )
    body = f"{pfx}{year}{seq}"
    if int(seq) == 0:
        raise AccessionError(
            N_("%(number)s: sequence number 000000 is never issued"), field="barcode",
            number=cleaned,
        )
    if not is_valid_check(body, check):
        expected = check_digits(body)
        raise AccessionError(
            N_("check digits %(check)s of %(number)s are wrong (expected %(expected)s): the "
               "number was probably mistyped or misread"),
            field="barcode", check=check, number=f"{pfx}-{year}-{seq}-{check}", expected=expected,
        )
    return Accession(pfx, int(year), int(seq))


def normalise_accession(text: str, *, prefix: str | None = None) -> str:
    """Return the canonical spelling (capitals, dashes) of a valid accession number."""
    return str(parse_accession(text, prefix=prefix))
