"""Byte-level checks shared by the text parsers: size limit, encoding, line splitting."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from dnacase.domain.errors import N_

from .issues import DEFAULT_MAX_BYTES, FormatError, Issue, IssueCode, IssueSink, Msg, msg

_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook?)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office .xls file"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)

_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f"}


@dataclass(slots=True)
class DecodedText:
    """Decoded file text split into lines (terminators removed; ``lines[0]`` is line 1)."""

    text: str
    encoding: str
    lines: list[str]
    ends_with_newline: bool


def sniff_text(head: bytes) -> tuple[str, str]:
    """Decode the first bytes of a file for format detection: ``(text, encoding)``.

    The same order as :func:`decode_text`: a UTF-16 byte-order mark, UTF-16 without one (every
    other byte NUL), UTF-8 with or without BOM, else Windows-1252. Undecodable bytes are replaced
    (a cut multi-byte character at the end of ``head`` must not change the guess); the BOM is
    dropped.
    """
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head[: len(head) // 2 * 2].decode("utf-16", "replace").lstrip("\ufeff"), "utf-16"
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return head[: len(head) // 2 * 2].decode("utf-16-le", "replace"), "utf-16-le"
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return head[: len(head) // 2 * 2].decode("utf-16-be", "replace"), "utf-16-be"
    try:
        return head.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the 4 KiB limit
            return head.decode("utf-8-sig", "replace"), "utf-8"
    return head.decode("cp1252", "replace"), "cp1252"


def _fail(error_cls: type[FormatError], file: str, code: IssueCode, message: str | Msg,
          line: int | None = None) -> FormatError:
    return error_cls(Issue.of("error", code, message, file, line))


def check_size(data: bytes, file: str, error_cls: type[FormatError],
               max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse ``data`` larger than ``max_bytes`` before any parsing."""
    if len(data) > max_bytes:
        raise _fail(error_cls, file, IssueCode.FILE_TOO_LARGE,
                    msg(N_("file is %(size).1f MB; the limit is %(max).1f MB: split the export "
                           "into smaller files"), size=len(data) / 1048576,
                        max=max_bytes / 1048576))


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode_text(
    data: bytes,
    file: str,
    error_cls: type[FormatError],
    sink: IssueSink,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    encoding: str | None = None,
) -> DecodedText:
    """Decode lab-export bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    ``encoding`` forces a codec (e.g. ``"cp1258"`` for Vietnamese ANSI exports). Raises
    ``error_cls`` for oversize, empty, binary or undecodable input.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise _fail(error_cls, file, IssueCode.NOT_THIS_FORMAT,
                    msg(N_("expected the raw bytes of a file")))
    data = bytes(data)
    check_size(data, file, error_cls, max_bytes)
    if not data.strip():
        raise _fail(error_cls, file, IssueCode.EMPTY_FILE, msg(N_("file is empty")))
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise _fail(error_cls, file, IssueCode.BINARY_FILE,
                        msg(N_("file is %(what)s, not a text export: export it as "
                               "tab-delimited or CSV text"), what=what))
    text: str | None = None
    used: str
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise _fail(error_cls, file, IssueCode.ENCODING,
                        msg(N_("unknown text encoding %(encoding)r"),
                            encoding=encoding)) from None
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise _fail(error_cls, file, IssueCode.ENCODING,
                        msg(N_("byte 0x%(byte)02x is not valid %(encoding)s"),
                            byte=data[exc.start], encoding=encoding),
                        _line_of_offset(data, exc.start)) from None
        used = encoding
        if text.startswith("\ufeff"):
            text = text[1:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _fail(error_cls, file, IssueCode.ENCODING,
                        msg(N_("file starts with a UTF-16 byte-order mark but is not "
                               "valid UTF-16"))) from None
        used = "utf-16"
        text = text.lstrip("\ufeff")
    else:
        if b"\x00" in data:
            odd_nuls = data[1::2].count(0)
            if odd_nuls > len(data) // 4 or data[0::2].count(0) > len(data) // 4:
                raise _fail(error_cls, file, IssueCode.ENCODING,
                            msg(N_("file looks like UTF-16 text without a byte-order "
                                   "mark: export it as UTF-8 or ANSI text")))
            raise _fail(error_cls, file, IssueCode.BINARY_FILE,
                        msg(N_("file contains NUL bytes (first at line %(line)d): it is not "
                               "a text export"), line=_line_of_offset(data, data.index(0))))
        try:
            text = data.decode("utf-8-sig")
            used = "utf-8"
        except UnicodeDecodeError as exc:
            bad_line = _line_of_offset(data, exc.start)
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError as exc2:
                raise _fail(error_cls, file, IssueCode.ENCODING,
                            msg(N_("text is neither UTF-8 (bad byte 0x%(byte)02x at line "
                                   "%(line)d) nor Windows-1252 (bad byte 0x%(byte2)02x): save "
                                   "the export as UTF-8"), byte=data[exc.start], line=bad_line,
                                byte2=data[exc2.start]),
                            _line_of_offset(data, exc2.start)) from None
            used = "cp1252"
            sink.warning(IssueCode.ENCODING_FALLBACK,
                         msg(N_("file is not UTF-8 (first non-UTF-8 byte at line %(line)d); "
                                "read as Windows-1252 (ANSI). Check accented (e.g. Vietnamese) "
                                "sample names"), line=bad_line),
                         line=bad_line)
    assert text is not None
    n_control = sum(1 for ch in text[:65536] if ch in _CONTROL)
    if n_control > max(2, len(text[:65536]) // 100):
        raise _fail(error_cls, file, IssueCode.BINARY_FILE,
                    msg(N_("file contains many control characters: it is not a text export")))
    ends = text.endswith(("\n", "\r"))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if ends:
        lines.pop()
    return DecodedText(text, used, lines, ends)


def sniff_delimiter(header: str, candidates: str = "\t,;") -> str | None:
    """Most frequent candidate delimiter in a header line (``None`` if none occurs)."""
    counts = {d: header.count(d) for d in candidates}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", " ": "space"}
