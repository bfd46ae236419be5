"""Jinja2 environment with Babel translations and the template helpers every page may use.

Templates translate with ``{% trans %}...{% endtrans %}`` or ``{{ _("Text") }}`` (named
placeholders: ``{{ _("Kit %(code)s", code=kit.barcode) }}``); the locale is the request's
(:mod:`dnacase.i18n` context variable, set by :class:`dnacase.web.auth.CurrentUserMiddleware`).

Globals: ``current_user()``, ``has_role(*roles)``, ``current_locale()``, ``nav_items()``,
``get_flashes()``, ``LOCALES``, ``LOCALE_NAMES``, plus Litestar's ``csrf_input`` (context
variable), ``csrf_token()`` and ``url_for()``. Filters: ``datetime`` (local display time),
``date``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dnacase import i18n
from dnacase.db import as_utc
from dnacase.domain import numbers

DISPLAY_TIMEZONE = "Asia/Ho_Chi_Minh"


def _tz() -> dt.tzinfo:
    try:
        return ZoneInfo(DISPLAY_TIMEZONE)
    except ZoneInfoNotFoundError:  # no tzdata: Viet Nam has used UTC+7 without DST since 1975
        return dt.timezone(dt.timedelta(hours=7), "ICT")


def format_datetime(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in Viet Nam time (UTC+7)."""
    if value is None:
        return ""
    return as_utc(value).astimezone(_tz()).strftime(fmt)


def format_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, "%Y-%m-%d")
    return value.isoformat()


def _gettext(message: str) -> str:
    return i18n.get_translations(i18n.get_locale()).gettext(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return i18n.get_translations(i18n.get_locale()).ngettext(singular, plural, n)


def _pgettext(context: str, message: str) -> str:
    return i18n.get_translations(i18n.get_locale()).pgettext(context, message)


def _npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return i18n.get_translations(i18n.get_locale()).npgettext(context, singular, plural, n)


def _request(context: Mapping[str, Any]) -> Any:
    return context.get("request")


def _current_user(context: Mapping[str, Any]) -> Any:
    req = _request(context)
    if req is None:
        return None
    return req.scope.get("state", {}).get("user")


def _has_role(context: Mapping[str, Any], *roles: str) -> bool:
    user = _current_user(context)
    return bool(user and user.has_role(*roles))


def _current_locale(context: Mapping[str, Any]) -> str:
    return i18n.get_locale()


def _get_flashes(context: Mapping[str, Any]) -> list[dict[str, str]]:
    req = _request(context)
    if req is None:
        return []
    session = req.scope.get("session")
    if not isinstance(session, dict):
        return []
    return list(session.pop("_flashes", []))


def create_environment(templates_dir: Path) -> Environment:
    """The Jinja environment for ``templates_dir`` (autoescaping, i18n extension, helpers)."""
    if not templates_dir.is_dir():
        raise FileNotFoundError(f"templates directory not found: {templates_dir}")
    env = Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=select_autoescape(enabled_extensions=("html", "xml"), default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext,
        ngettext=_ngettext,
        newstyle=True,
        pgettext=_pgettext,
        npgettext=_npgettext,
    )
    env.globals["LOCALES"] = i18n.LOCALES
    env.globals["LOCALE_NAMES"] = i18n.LOCALE_NAMES
    env.filters["datetime"] = format_datetime
    env.filters["date"] = format_date
    # the numbers that decide an identification (dnacase.domain.numbers): LRs as 8.1 × 10^15
    # with a superscript exponent, posteriors never as "100.000000 %"
    env.filters["lr"] = numbers.lr_html
    env.filters["ratio"] = numbers.ratio_html
    env.filters["percent"] = numbers.percent_text
    env.filters["log10_odds"] = numbers.odds_text
    return env


def register_callables(engine: Any, nav_provider: Any) -> None:
    """Register the context-aware helpers on the Litestar template engine."""
    engine.register_template_callable("current_user", _current_user)
    engine.register_template_callable("has_role", _has_role)
    engine.register_template_callable("current_locale", _current_locale)
    engine.register_template_callable("get_flashes", _get_flashes)
    engine.register_template_callable("nav_items", lambda ctx: nav_provider(_current_user(ctx)))
