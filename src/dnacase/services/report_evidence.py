"""What the LR of a candidate rests on, for the candidate page and the report.

* :func:`evidence_lines`: which evidence the stored LR (and so both posteriors) combines --
  autosomal STR, mtDNA, Y-STR (log10 each; the combined LR is their product on the assumption
  that the kinds of marker are independent given each hypothesis,
  :mod:`dnacase.services.search_lineage`) -- and why a lineage marker is missing (no population
  database when the search ran, lineage filter off, run made before combined LRs).
* :func:`versions_used`: the profile versions the run computed the pair's LR from
  (``run.profile_versions``), their genotypes where the version is a stored profile row, and
  which of them a newer version has replaced since (the search must run again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase import i18n
from dnacase.i18n import N_

_IDS = {
    "autosomal": N_("autosomal STR"),
    "evidence": N_("Evidence behind the LR and the posteriors"),
    "independent": N_("the kinds of marker are taken as independent given each hypothesis: "
                      "the LR is the product of their LRs (the sum of the log10 LRs)"),
    "autosomal_only": N_("the autosomal STR LR alone"),
    "old_run": N_("this search ran before lineage markers entered the LR: it is the "
                  "autosomal LR alone"),
    "filter_off": N_("the lineage markers were not used in this search (lineage filter off)"),
    "no_database": N_("no population haplotype database for {marker} was imported when the "
                      "search ran: its LR could not be computed and is not in the posterior; "
                      "import one and run the search again"),
    "excluded": N_("{marker} excludes this pair but another lineage marker does not: the "
                   "{marker} LR (0) is left out; check the samples and the pedigree"),
    "genotypes": N_("Profiles the LR was computed from"),
    "newer": N_("a newer profile of {who} was imported after this search: run the search "
                "again"),
}


def _t(lang: str, key: str) -> str:
    with i18n.use_locale("vi" if lang == "vi" else "en"):
        return i18n.gettext(_IDS[key])


def title(lang: str, key: str) -> str:
    """A heading of this module (``"evidence"``, ``"genotypes"``) in ``lang``."""
    return _t(lang, key)


def evidence_lines(detail: Any, lang: str, *, html: bool = False) -> dict[str, Any]:
    """``{"title", "parts", "notes"}`` in ``lang``: ``parts`` the sentence naming the
    evidence of the stored LR with each log10 LR; ``notes`` why a lineage marker is not in it.
    ``detail``: a :class:`~dnacase.services.report.CandidateDetail`."""
    esc = Markup.escape if html else str
    res = detail.item.result
    note = (detail.run.notes or {}).get("lineage_lr")
    stored = res.lineage_lr or {}
    auto = res.log10_lr if res.log10_lr_autosomal is None else res.log10_lr_autosomal
    parts = [f"{_t(lang, 'autosomal')} (log10 LR {auto:.2f})"]
    notes: list[str] = []
    for marker in ("mtDNA", "Y-STR"):
        v = stored.get(marker)
        if isinstance(v, float):
            parts.append(f"{marker} (log10 LR {v:.2f})")
        elif v == "excluded":
            notes.append(_t(lang, "excluded").format(marker=marker))
    compared = {r.marker for r in detail.lineage if r.in_line}
    if note is None and compared:
        notes.append(_t(lang, "old_run"))
    elif note is not None and not note.get("lineage_filter", True) and compared:
        notes.append(_t(lang, "filter_off"))
    elif note is not None:
        for marker, db in (note.get("databases") or {}).items():
            if db is None and marker in compared:
                notes.append(_t(lang, "no_database").format(marker=marker))
    if len(parts) > 1:
        text = " × ".join(parts) + f" = log10 LR {res.log10_lr:.2f}; " + _t(lang, "independent")
    else:
        text = _t(lang, "autosomal_only") + f" (log10 LR {auto:.2f})"
    return {"title": esc(_t(lang, "evidence")), "parts": esc(text),
            "notes": [esc(n) for n in notes]}


@dataclass(slots=True)
class VersionUsed:
    """One profile the pair's LR used: ``who`` (remains #N or the relative's name), the
    version the run used and the current one (``newer``: they differ)."""

    who: str
    used: str
    current: str
    newer: bool


@dataclass(slots=True)
class VersionsUsed:
    rows: list[VersionUsed] = field(default_factory=list)
    #: genotypes of the used versions that are stored profile rows (``profile:<id>``)
    genotypes: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def newer_lines(self, lang: str) -> list[str]:
        return [_t(lang, "newer").format(who=r.who) for r in self.rows if r.newer]


async def versions_used(session: AsyncSession, run: Any, remains_id: int, remains_label: str,
                        current_remains: str | None, relatives: list[tuple[str, int, str, str]]
                        ) -> VersionsUsed:
    """The versions ``run`` used for remains ``remains_id`` and the ``relatives`` ``(node,
    relative id, name, current version)`` (module doc); a relative typed after the search
    (no version used) counts as newer."""
    from dnacase.models.profiles import Profile
    from dnacase.services.profiles import pairs_for_kinship

    pv = run.profile_versions or {}
    out = VersionsUsed()
    items = [(remains_label, (pv.get("remains") or {}).get(str(remains_id)), current_remains)]
    items += [(name, (pv.get("relatives") or {}).get(str(rid)), cur)
              for _node, rid, name, cur in relatives]
    for who, used, cur in items:
        out.rows.append(VersionUsed(who, used or "", cur or "",
                                    bool(cur) and used != cur))
        if used and used.startswith("profile:") and used != cur:
            prof = await session.get(Profile, int(used.split(":", 1)[1]))
            if prof is not None:
                out.genotypes[used] = pairs_for_kinship(prof.loci or {})
    return out
