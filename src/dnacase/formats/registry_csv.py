"""Read the missing-persons registry and cemetery grave lists from CSV files.

Both readers turn a file into typed rows plus row-level errors; nothing is written anywhere.
Each error names the file, the line (1 = the header line) and the column, so staff can fix the
spreadsheet. The caller (the import service) refuses the whole file when any error is found.

Files: UTF-8 (a byte-order mark is allowed), comma, semicolon or tab separated, one header row.
Header names are matched ignoring case, diacritics, spaces and underscores, in English or in
Vietnamese (see ``MISSING_PERSON_COLUMNS`` and ``GRAVE_COLUMNS``); unknown columns are ignored
and reported as warnings.

Messages are English templates with ``%(name)s`` placeholders, marked with ``N_`` for the
message catalogue, and their parameters (:class:`Message`); ``str()`` gives English and
``translated(gettext)`` the user's language, like :class:`dnacase.domain.errors.DomainError`.
This layer never translates by itself (it imports neither the web nor the service layer).

Dates of death may be partial and are normalised to ISO ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``;
``DD/MM/YYYY`` and ``MM/YYYY`` (the Vietnamese order) are accepted.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from dnacase.domain.errors import N_
from dnacase.domain.names import clean_text, name_key

MAX_ERRORS = 200

MISSING_PERSON_STATUSES = ("missing", "identified")
GRAVE_STATUSES = ("unnamed", "named_unconfirmed", "identified")
SEX_VALUES = {"m": "M", "male": "M", "nam": "M", "f": "F", "female": "F", "nu": "F", "u": "U",
              "": "U", "unknown": "U", "khong ro": "U"}

_STATUS_MP = {
    "missing": "missing", "chua tim thay": "missing", "mat tich": "missing",
    "chua xac dinh": "missing", "identified": "identified", "da xac dinh": "identified",
    "da xac dinh danh tinh": "identified", "da tim thay": "identified",
}
_STATUS_GRAVE = {
    "unnamed": "unnamed", "vo danh": "unnamed", "khong ten": "unnamed",
    "chua co ten": "unnamed", "chua xac dinh danh tinh": "unnamed",
    "named unconfirmed": "named_unconfirmed", "named": "named_unconfirmed",
    "co ten": "named_unconfirmed", "co ten chua xac minh": "named_unconfirmed",
    "co ten chua xac dinh": "named_unconfirmed",
    "identified": "identified", "da xac dinh": "identified",
    "da xac dinh danh tinh": "identified",
}

#: field -> accepted header spellings (compared by :func:`_header_key`); True = required.
MISSING_PERSON_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "registry_number": (True, ("registry number", "registry no", "so ho so", "ma ho so",
                               "so dang ky", "ma so")),
    "full_name": (True, ("full name", "name", "ho ten", "ho va ten")),
    "sex": (False, ("sex", "gioi tinh")),
    "birth_year": (False, ("birth year", "year of birth", "nam sinh")),
    "home_village": (False, ("home village", "village", "thon", "xom", "thon xom", "que thon")),
    "home_commune": (False, ("home commune", "commune", "xa", "que xa", "xa phuong")),
    "home_district": (False, ("home district", "district", "huyen", "que huyen")),
    "home_province": (False, ("home province", "province", "tinh", "que tinh")),
    "unit": (False, ("unit", "unit designation", "don vi")),
    "death_date": (False, ("death date", "date of death", "ngay hy sinh", "ngay mat")),
    "death_place": (False, ("death place", "place of death", "noi hy sinh")),
    "initial_burial_place": (False, ("initial burial place", "place of initial burial",
                                     "noi an tang ban dau", "noi chon cat ban dau")),
    "status": (False, ("status", "trang thai")),
    "notes": (False, ("notes", "note", "ghi chu")),
}

GRAVE_COLUMNS: dict[str, tuple[bool, tuple[str, ...]]] = {
    "plot": (False, ("plot", "section", "khu", "lo")),
    "row": (False, ("row", "hang", "day")),
    "number": (True, ("number", "grave number", "so mo", "mo so", "so")),
    "inscription": (False, ("inscription", "name on headstone", "bia", "ten tren bia",
                            "noi dung bia", "ho ten tren bia")),
    "status": (False, ("status", "trang thai")),
    "registry_number": (False, ("registry number", "so ho so", "ma ho so")),
    "notes": (False, ("notes", "note", "ghi chu")),
}


Gettext = Callable[[str], str]


def _fill(template: str, params: Mapping[str, Any]) -> str:
    return template % dict(params) if params else template


@dataclass(frozen=True, slots=True)
class Message:
    """A user-facing message: an English catalogue message id and its ``%(name)s`` parameters.

    ``str(message)`` is English; :meth:`translated` renders it with a one-argument gettext.
    """

    template: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return _fill(self.template, self.params)

    def translated(self, gettext: Gettext) -> str:
        """The message in the language of *gettext*."""
        return _fill(gettext(self.template), self.params)


Report = Callable[[str, Message], None]
"""How a row builder reports a problem: ``report(column, message)``."""


class DateError(ValueError):
    """A date in an input file is not a valid full or partial date (carries a :class:`Message`)."""

    def __init__(self, template: str, **params: Any) -> None:
        self.msg = Message(template, params)
        super().__init__(str(self.msg))


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an input file. ``line`` counts from 1 (the header line).

    ``message`` is the English catalogue message id (with ``%(name)s`` placeholders when
    ``params`` is not empty); :attr:`text` is it filled in, :meth:`translated` in the
    language of a gettext function.
    """

    file: str
    line: int
    column: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The message (without the place) in English."""
        return _fill(self.message, self.params)

    def translated(self, gettext: Gettext) -> str:
        """``file, line N, column C: message`` in the language of *gettext*."""
        text = _fill(gettext(self.message), self.params)
        if self.column:
            return gettext(N_("%(file)s, line %(line)d, column %(column)s: %(message)s")) % {
                "file": self.file, "line": self.line, "column": self.column, "message": text}
        return gettext(N_("%(file)s, line %(line)d: %(message)s")) % {
            "file": self.file, "line": self.line, "message": text}

    def __str__(self) -> str:
        return self.translated(lambda message: message)


@dataclass(frozen=True, slots=True)
class MissingPersonRow:
    """A missing person as read from the registry file (strings cleaned to NFC)."""

    line: int
    registry_number: str
    full_name: str
    sex: str = "U"
    birth_year: int | None = None
    home_village: str = ""
    home_commune: str = ""
    home_district: str = ""
    home_province: str = ""
    unit: str = ""
    death_date: str = ""
    death_place: str = ""
    initial_burial_place: str = ""
    status: str = "missing"
    notes: str = ""


@dataclass(frozen=True, slots=True)
class GraveRow:
    """A grave as read from a cemetery's grave list. ``(plot, row, number)`` is its place."""

    line: int
    plot: str
    row: str
    number: str
    inscription: str = ""
    status: str = "unnamed"
    registry_number: str = ""
    notes: str = ""

    @property
    def place(self) -> tuple[str, str, str]:
        """The grave's place in the cemetery: (plot, row, number)."""
        return (self.plot, self.row, self.number)

    @property
    def label(self) -> str:
        """The place as staff write it, e.g. ``A-3-12``."""
        return "-".join(p for p in self.place if p)


T = TypeVar("T")


@dataclass(slots=True)
class ParseResult(Generic[T]):
    """Rows read, errors found, warnings, and the SHA-256 (hex) of the raw file bytes."""

    file: str
    sha256: str
    rows: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        """True when the file has no error."""
        return not self.errors


class _Errors:
    def __init__(self, result: ParseResult[T]) -> None:  # type: ignore[type-var]
        self.result = result

    def add(self, line: int, column: str, message: str, **params: Any) -> None:
        if len(self.result.errors) >= MAX_ERRORS:
            self.result.truncated = True
            return
        self.result.errors.append(RowError(self.result.file, line, column, message, params))


def _header_key(text: str) -> str:
    return name_key(text.replace("_", " "))


def _decode(data: bytes | str, file: str, errors: _Errors) -> str | None:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        errors.add(line, "", N_("the file is not UTF-8 text (byte %(byte)d); save it as "
                                "'CSV UTF-8' and import it again"), byte=exc.start)
        return None


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _read(
    data: bytes | str,
    file: str,
    columns: dict[str, tuple[bool, tuple[str, ...]]],
    make: Callable[[int, dict[str, str], Report], T | None],
) -> ParseResult[T]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result: ParseResult[T] = ParseResult(file=file, sha256=hashlib.sha256(raw).hexdigest())
    errors = _Errors(result)
    text = _decode(data, file, errors)
    if text is None:
        return result
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text))
    try:
        header = next(reader)
    except StopIteration:
        errors.add(1, "", N_("the file is empty: a header line is expected"))
        return result
    except csv.Error as exc:
        errors.add(1, "", N_("cannot read the header line: %(error)s"), error=str(exc))
        return result

    spelling = {_header_key(alias): name for name, (_, aliases) in columns.items()
                for alias in (name, *aliases)}
    index: dict[str, int] = {}
    shown: dict[str, str] = {}
    for pos, title in enumerate(header):
        key = _header_key(title)
        name = spelling.get(key)
        if name is None:
            if key:
                result.warnings.append(RowError(file, 1, title, N_("unknown column ignored")))
            continue
        if name in index:
            errors.add(1, title, N_("column %(name)s appears twice (also as %(other)r)"),
                       name=name, other=shown[name])
            continue
        index[name] = pos
        shown[name] = title.strip()
    missing = [name for name, (required, _) in columns.items() if required and name not in index]
    for name in missing:
        errors.add(1, name, N_("required column %(name)s is missing; the header line has: "
                               "%(header)s"), name=name,
                   header=", ".join(h.strip() for h in header))
    if missing or result.errors:
        return result

    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header):]):
                errors.add(line, "", N_("%(n)d fields but the header has %(m)d"), n=len(row),
                           m=len(header))
                continue
            values = {name: clean_text(row[pos]) if pos < len(row) else ""
                      for name, pos in index.items()}

            def report(column: str, message: Message, line: int = line) -> None:
                errors.add(line, shown.get(column, column), message.template, **message.params)

            record = make(line, values, report)
            if record is not None:
                result.rows.append(record)
    except csv.Error as exc:
        errors.add(reader.line_num, "", N_("malformed CSV: %(error)s"), error=str(exc))
    return result


def parse_partial_date(text: str) -> str:
    """Normalise a full or partial date to ISO ``YYYY[-MM[-DD]]``; raise ValueError if invalid.

    Accepts ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, ``MM/YYYY``, ``DD/MM/YYYY`` (also with ``-``
    or ``.`` between day, month and year). The error is a :class:`DateError` (a ValueError).
    """
    text = text.strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if m:
        year, month, day = m.groups()
    else:
        m = re.fullmatch(r"(?:(\d{1,2})[/.-])?(\d{1,2})[/.-](\d{4})", text)
        if not m:
            raise DateError(
                N_("%(text)r is not a date (use YYYY-MM-DD, DD/MM/YYYY, MM/YYYY or YYYY)"),
                text=text)
        day, month, year = m.groups()
    y = int(year)
    if not 1850 <= y <= dt.date.today().year:
        raise DateError(N_("year %(year)d is out of range"), year=y)
    if month is None:
        return f"{y:04d}"
    mo = int(month)
    if not 1 <= mo <= 12:
        raise DateError(N_("month %(month)d of %(text)r is not 1-12"), month=mo, text=text)
    if day is None:
        return f"{y:04d}-{mo:02d}"
    try:
        return dt.date(y, mo, int(day)).isoformat()
    except ValueError:
        raise DateError(N_("%(text)r is not a valid day of the calendar"), text=text) from None


def _m(template: str, **params: Any) -> Message:
    return Message(template, params)


def _missing_person(line: int, v: dict[str, str], report: Report) -> MissingPersonRow | None:
    bad = False
    if not v["registry_number"]:
        report("registry_number", _m(N_("registry number is empty")))
        bad = True
    if not v["full_name"]:
        report("full_name", _m(N_("full name is empty")))
        bad = True
    sex = SEX_VALUES.get(name_key(v.get("sex", "")))
    if sex is None:
        report("sex", _m(N_("sex %(sex)r is not M, F or U (nam/nữ)"), sex=v["sex"]))
        bad = True
    birth_year = None
    if v.get("birth_year"):
        if re.fullmatch(r"\d{4}", v["birth_year"]) and 1850 <= int(v["birth_year"]) <= 2010:
            birth_year = int(v["birth_year"])
        else:
            report("birth_year", _m(N_("birth year %(year)r is not a year between 1850 and 2010"),
                                    year=v["birth_year"]))
            bad = True
    death_date = ""
    if v.get("death_date"):
        try:
            death_date = parse_partial_date(v["death_date"])
        except DateError as exc:
            report("death_date", exc.msg)
            bad = True
    if birth_year and death_date and int(death_date[:4]) < birth_year:
        report("death_date", _m(N_("date of death %(date)s is before the birth year %(year)d"),
                                date=death_date, year=birth_year))
        bad = True
    status = "missing"
    if v.get("status"):
        status = _STATUS_MP.get(name_key(v["status"]), "")
        if not status:
            report("status", _m(N_("status %(status)r is not one of: %(known)s"),
                                status=v["status"], known=", ".join(MISSING_PERSON_STATUSES)))
            bad = True
    if bad:
        return None
    return MissingPersonRow(
        line=line, registry_number=v["registry_number"], full_name=v["full_name"],
        sex=sex or "U", birth_year=birth_year,
        home_village=v.get("home_village", ""), home_commune=v.get("home_commune", ""),
        home_district=v.get("home_district", ""), home_province=v.get("home_province", ""),
        unit=v.get("unit", ""), death_date=death_date, death_place=v.get("death_place", ""),
        initial_burial_place=v.get("initial_burial_place", ""), status=status,
        notes=v.get("notes", ""),
    )


def _validate_values(
    values: dict[str, str],
    columns: dict[str, tuple[bool, tuple[str, ...]]],
    make: Callable[[int, dict[str, str], Report], T | None],
) -> tuple[T | None, dict[str, Message]]:
    errors: dict[str, Message] = {}
    cleaned = {name: clean_text(values.get(name) or "") for name in columns}

    def report(column: str, message: Message) -> None:
        errors.setdefault(column, message)

    for name, (required, _) in columns.items():
        if required and not cleaned[name]:
            report(name, _m(N_("This field is required.")))
    record = make(0, cleaned, report)
    return (record if not errors else None), errors


def validate_missing_person(
    values: dict[str, str],
) -> tuple[MissingPersonRow | None, dict[str, Message]]:
    """Check one missing person given as form values (same rules as a registry file row).

    Returns the row, or ``None`` and the messages per field (translate with
    :meth:`Message.translated`).
    """
    return _validate_values(values, MISSING_PERSON_COLUMNS, _missing_person)


def validate_grave(values: dict[str, str]) -> tuple[GraveRow | None, dict[str, Message]]:
    """Check one grave given as form values (same rules as a grave-list row)."""
    return _validate_values(values, GRAVE_COLUMNS, _grave)


def parse_missing_persons(data: bytes | str, *, file: str = "registry.csv") -> ParseResult[
    MissingPersonRow
]:
    """Read a missing-persons registry file. Registry numbers must be unique within the file."""
    result = _read(data, file, MISSING_PERSON_COLUMNS, _missing_person)
    first: dict[str, int] = {}
    errors = _Errors(result)
    for row in result.rows:
        if row.registry_number in first:
            errors.add(row.line, "registry_number",
                       N_("registry number %(number)s already appears on line %(first)d"),
                       number=row.registry_number, first=first[row.registry_number])
        else:
            first[row.registry_number] = row.line
    return result


def _grave(line: int, v: dict[str, str], report: Report) -> GraveRow | None:
    bad = False
    if not v["number"]:
        report("number", _m(N_("grave number is empty")))
        bad = True
    inscription = v.get("inscription", "")
    if v.get("status"):
        status = _STATUS_GRAVE.get(name_key(v["status"]), "")
        if not status:
            report("status", _m(N_("status %(status)r is not one of: %(known)s"),
                                status=v["status"], known=", ".join(GRAVE_STATUSES)))
            bad = True
    else:
        status = "named_unconfirmed" if inscription and "vo danh" not in name_key(inscription) \
            else "unnamed"
    if status in ("named_unconfirmed", "identified") and not inscription:
        report("inscription", _m(N_("a grave with status %(status)s needs the name on its "
                                    "headstone"), status=status))
        bad = True
    if status == "identified" and not v.get("registry_number"):
        report("registry_number",
               _m(N_("an identified grave needs the registry number of the person")))
        bad = True
    if bad:
        return None
    return GraveRow(
        line=line, plot=v.get("plot", "").upper(), row=v.get("row", "").upper(),
        number=v["number"].upper(),
        inscription=inscription, status=status, registry_number=v.get("registry_number", ""),
        notes=v.get("notes", ""),
    )


def parse_grave_list(data: bytes | str, *, file: str = "graves.csv") -> ParseResult[GraveRow]:
    """Read a cemetery's grave list. Places (plot, row, number) must be unique within the file."""
    result = _read(data, file, GRAVE_COLUMNS, _grave)
    first: dict[tuple[str, str, str], int] = {}
    errors = _Errors(result)
    for row in result.rows:
        if row.place in first:
            errors.add(row.line, "number", N_("grave %(grave)s already appears on line %(first)d"),
                       grave=row.label, first=first[row.place])
        else:
            first[row.place] = row.line
    return result
