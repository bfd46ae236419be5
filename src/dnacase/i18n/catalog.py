"""Catalogue maintenance (``make messages`` / ``python -m dnacase.i18n.catalog``).

Extracts every translatable string from ``src/`` and ``templates/`` into
``src/dnacase/i18n/messages.pot`` and merges it into each ``<locale>/LC_MESSAGES/messages.po``
(new strings appear with an empty ``msgstr``; strings no longer used are dropped as obsolete).
Then fill in the Vietnamese ``msgstr``; English needs none (the msgids are English).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from dnacase.i18n import CATALOGUE_DIR, DOMAIN, LOCALES


def update_catalogs(root: Path) -> dict[str, tuple[int, int]]:
    """Extract and merge; returns ``{locale: (messages, untranslated)}``."""
    pot = CATALOGUE_DIR / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(CATALOGUE_DIR / "babel.cfg"),
            "-k",
            "N_",
            "-k",
            "ngettext:1,2",
            "--sort-output",
            "--no-wrap",
            "--no-location",
            "-o",
            str(pot),
            "src",
            "templates",
        ],
        check=True,
        capture_output=True,
        cwd=root,
    )
    with pot.open("rb") as fh:
        template = read_po(fh)
    stats: dict[str, tuple[int, int]] = {}
    for locale in LOCALES:
        po = CATALOGUE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        po.parent.mkdir(parents=True, exist_ok=True)
        if po.is_file():
            with po.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=locale, domain=DOMAIN, project="dnacase")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        catalog.project = "dnacase"
        catalog.msgid_bugs_address = ""
        with po.open("wb") as fh:
            write_po(fh, catalog, width=0, sort_output=True, omit_header=False)
        ids = [m for m in catalog if m.id]
        missing = [m for m in ids if not (m.string if isinstance(m.string, str) else all(m.string))]
        stats[locale] = (len(ids), len(missing))
    return stats


def main() -> None:
    from dnacase.settings import project_root

    for locale, (n, missing) in update_catalogs(project_root()).items():
        print(f"{locale}: {n} messages, {missing} without translation")


if __name__ == "__main__":
    main()
