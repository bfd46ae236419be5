"""Translations (Babel message catalogues). Vietnamese first; English switchable.

Catalogues: ``dnacase/i18n/<locale>/LC_MESSAGES/messages.po`` (msgids are English source text).
``.mo`` files are not kept in git: :func:`ensure_compiled` (called by ``create_app``, ``dnacase db
upgrade`` and ``dnacase serve``) compiles each ``.po`` whose ``.mo`` is missing or older; when the
package directory is read-only the catalogue is compiled in memory instead.

The current locale lives in a context variable, set per request by the web layer
(:func:`use_locale`). Services and templates translate with :func:`gettext` (alias ``_``)::

    from dnacase.i18n import gettext as _
    raise ValidationFailed(_("Username is required."), field_errors={...})
    _("Kit %(barcode)s registered.", barcode=kit.barcode)   # named placeholders

To add a string: write it in English inside ``_()`` (Python) or ``{% trans %}`` / ``_()``
(templates), run ``make messages`` and fill the Vietnamese ``msgstr`` in ``vi/.../messages.po``.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES: tuple[str, ...] = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_NAMES: dict[str, str] = {"vi": "Tiếng Việt", "en": "English"}
DOMAIN = "messages"
CATALOGUE_DIR = Path(__file__).resolve().parent

_current_locale: ContextVar[str] = ContextVar("dnacase_locale", default=DEFAULT_LOCALE)
_lock = threading.Lock()


def normalize_locale(value: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Return a supported locale for ``value`` (``"en-US"`` -> ``"en"``), else ``default``."""
    if not value:
        return default
    code = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code in LOCALES else default


def get_locale() -> str:
    """The locale of the current context (request), default ``vi``."""
    return _current_locale.get()


def set_locale(locale: str) -> Token[str]:
    """Set the current locale; returns a token for :func:`reset_locale`."""
    return _current_locale.set(normalize_locale(locale))


def reset_locale(token: Token[str]) -> None:
    _current_locale.reset(token)


@contextmanager
def use_locale(locale: str) -> Iterator[None]:
    """Run a block with ``locale`` as the current locale."""
    token = set_locale(locale)
    try:
        yield
    finally:
        reset_locale(token)


def _po_path(locale: str) -> Path:
    return CATALOGUE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compile(po: Path) -> bytes:
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=po.parent.parent.name, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def ensure_compiled() -> list[Path]:
    """Compile every ``.po`` whose ``.mo`` is missing or stale. Returns the ``.mo`` files written.

    Silently skips writing when the directory is read-only (translations then compile in memory).
    """
    written: list[Path] = []
    with _lock:
        for locale in LOCALES:
            po = _po_path(locale)
            if not po.is_file():
                continue
            mo = po.with_suffix(".mo")
            if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            data = _compile(po)
            try:
                tmp = mo.with_suffix(".mo.tmp")
                tmp.write_bytes(data)
                tmp.replace(mo)
                written.append(mo)
            except OSError:
                pass
    get_translations.cache_clear()
    return written


@lru_cache(maxsize=8)
def get_translations(locale: str) -> NullTranslations:
    """The catalogue for ``locale`` (compiled from the ``.po`` if the ``.mo`` is missing/stale)."""
    po = _po_path(locale)
    if not po.is_file():
        return NullTranslations()
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as fh:
            return Translations(fp=fh, domain=DOMAIN)
    return Translations(fp=io.BytesIO(_compile(po)), domain=DOMAIN)


def _format(text: str, params: dict[str, Any]) -> str:
    return text % params if params else text


def gettext(message: str, **params: Any) -> str:
    """Translate ``message`` into the current locale (``%(name)s`` from params)."""
    return _format(get_translations(get_locale()).gettext(message), params)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    """Plural-aware translation; ``%(num)d`` is available as the count."""
    params.setdefault("num", n)
    return _format(get_translations(get_locale()).ngettext(singular, plural, n), params)


def pgettext(context: str, message: str, **params: Any) -> str:
    """Translation with a disambiguating context."""
    return _format(get_translations(get_locale()).pgettext(context, message), params)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now (translate later with ``_``)."""
    return message


_ = gettext
