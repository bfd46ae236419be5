"""Catalogues: Vietnamese is complete for the platform, placeholders survive translation, the
``.mo`` files are rebuilt when missing or stale, and every template compiles."""

from __future__ import annotations

import os
import re
import time

import pytest
from babel.messages.pofile import read_po
from jinja2 import Environment

from dnacase import i18n
from dnacase.settings import project_root
from dnacase.web.i18n import create_environment

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
VI_PO = i18n.CATALOGUE_DIR / "vi" / "LC_MESSAGES" / "messages.po"


def _catalog() -> list[tuple[object, object]]:
    with VI_PO.open("rb") as fh:
        return [(m.id, m.string) for m in read_po(fh, locale="vi") if m.id]


def test_translations_keep_their_placeholders() -> None:
    problems = []
    for mid, mstr in _catalog():
        ids = [mid] if isinstance(mid, str) else list(mid)
        strs = [mstr] if isinstance(mstr, str) else list(mstr)
        for s in strs:
            if s and set(PLACEHOLDER.findall(s)) != set(PLACEHOLDER.findall(ids[-1])):
                problems.append(f"{ids[0]!r} -> {s!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "msgid",
    ["Log in", "Audit log", "Users", "Wrong username or password.", "Please log in."],
)
def test_platform_strings_are_vietnamese(msgid: str) -> None:
    with i18n.use_locale("vi"):
        vi = i18n.gettext(msgid)
    with i18n.use_locale("en"):
        en = i18n.gettext(msgid)
    assert en == msgid and vi != msgid
    assert re.search(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]", vi)


def test_mo_files_are_rebuilt_when_missing_or_stale() -> None:
    mo = VI_PO.with_suffix(".mo")
    if mo.exists():
        mo.unlink()
    written = i18n.ensure_compiled()
    assert mo in written and mo.stat().st_size > 0
    assert i18n.ensure_compiled() == []  # up to date: nothing to do
    future = time.time() + 5
    os.utime(VI_PO, (future, future))
    try:
        assert mo in i18n.ensure_compiled()
    finally:
        now = time.time()
        os.utime(VI_PO, (now, now))
        i18n.ensure_compiled()


def test_unknown_locale_falls_back() -> None:
    assert i18n.normalize_locale("en-US") == "en"
    assert i18n.normalize_locale("fr") == "vi"
    assert i18n.normalize_locale(None) == "vi"


def test_every_template_compiles() -> None:
    env: Environment = create_environment(project_root() / "templates")
    names = env.list_templates(extensions=["html"])
    assert "base.html" in names and len(names) > 10
    for name in names:
        env.get_template(name)
