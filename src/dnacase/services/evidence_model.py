"""One model of the evidence: what turns a frequency table and the alleles seen into kinship loci.

Every user of autosomal STR LRs (the search's :func:`~dnacase.services.search.build_panel`, the
import QC's family-consistency check, the candidate page and the report) builds its loci here,
from one :class:`EvidenceSettings` (defaults: :data:`DEFAULTS`, the only place they are
written; reasons and sources in ``docs/evidence-model.md``):

* **Frequencies**: a shipped or an imported table by id (:func:`frequency_table`); the default
  is norSTR East Asia (:data:`dnacase.formats.DEFAULT_TABLE_ID`), until a Kinh table is imported.
* **Minimum allele frequency**: an allele seen in a profile but absent from the table gets
  ``5 / 2N`` (NRC II, 1996, recommendation 4.x; ``N`` = persons behind the table at that locus,
  ``fallback_n`` when the table does not document it), then the locus is renormalised
  (:func:`dnacase.kinship.add_missing_alleles`). Alleles in the table keep their frequency, so
  an imported table gives exactly its own LRs.
* **Mutation** (per meiosis): pedmut's ``stepwise`` model per locus, with the locus's rate from
  the shipped table ``mutation_rates_autosomal.csv`` (sexes pooled; ``generic_rate`` for a locus
  it does not list), made sex-specific as its header says: fathers ``male_factor x rate``,
  mothers ``female_factor x rate`` (mean = the pooled rate); ``range`` (geometric decrease per
  extra repeat) and ``rate2`` (a step between allele classes, e.g. 30 -> 31.2, to or from a
  microvariant) as set. A ``mutation_rate`` overrides the table with one rate for every locus.
* **Silent (null) alleles** (``null_alleles``, per locus, default none): the locus gains an
  allele that gives no peak, of frequency ``q`` (the others scaled by ``1 - q``;
  :func:`dnacase.kinship.peaks.add_null_allele`), and a one-peak reading there is summed over
  ``{a, a}``, ``{a, null}`` (and ``{a, x}`` under dropout), by the per-pair engine (the
  import QC's family check, ``hypothesis_lr`` / ``missing_person_lr``) and by the search's
  family tables and screen (``LR(a, null)`` entries, :mod:`dnacase.kinship.search_peaks`).
* **theta** (F_ST): recorded with every run; only ``0`` is computed (the pedigree engine draws
  founder alleles independently, Hardy-Weinberg); a positive value is refused with that reason
  rather than half-applied. The exact Balding-Nichols LR exists for one typed reference
  without mutation (:mod:`dnacase.kinship.theta`); see the docs for why that is not the
  search's case.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.formats import DEFAULT_TABLE_ID, FrequencyTable, load_mutation_rates
from dnacase.kinship import Locus, MutationModel, SexSpecificMutation, add_missing_alleles
from dnacase.kinship.peaks import add_null_allele

__all__ = ["DEFAULTS", "MUTATION_MODELS", "EvidenceSettings", "describe", "frequency_table",
           "is_shipped", "kinship_loci", "kinship_locus", "summary"]

MUTATION_MODELS = ("none", "equal", "proportional", "stepwise", "onestep")


@dataclass(frozen=True, slots=True)
class EvidenceSettings:
    """How the evidence is modelled (see the module doc). Rates are per meiosis; ``theta`` is
    F_ST (0 = Hardy-Weinberg founders); ``fallback_n`` is the N (persons) used for the minimum
    allele frequency ``5 / 2N`` when a table does not document its N."""

    frequency_table: str = DEFAULT_TABLE_ID
    mutation_model: str = "stepwise"
    mutation_rate: float | None = None  # None: per-locus rates of the shipped rate table
    sex_specific: bool = True
    mutation_range: float = 0.1
    mutation_rate2: float = 1e-5
    theta: float = 0.0
    generic_rate: float = 0.001
    male_factor: float = 1.7
    female_factor: float = 0.3
    fallback_n: int = 1000
    null_alleles: tuple[tuple[str, float], ...] = ()  # ((locus, q), ...): silent alleles

    def errors(self) -> dict[str, str]:
        """``{field: problem}`` of invalid settings (empty when valid)."""
        e: dict[str, str] = {}
        bad = [f"{loc}: {q}" for loc, q in self.null_alleles
               if not (isinstance(q, int | float) and 0.0 < q < 1.0)]
        if bad:
            e["null_alleles"] = ("a null-allele frequency must be a number in (0, 1): "
                                 + ", ".join(bad))
        if self.mutation_model not in MUTATION_MODELS:
            e["mutation_model"] = f"unknown mutation model {self.mutation_model!r}"
        if self.mutation_rate is not None and not (0.0 <= self.mutation_rate < 1.0):
            e["mutation_rate"] = "the mutation rate must be a probability"
        if not (0.0 <= self.mutation_rate2 < 1.0):
            e["mutation_rate2"] = "the microvariant mutation rate must be a probability"
        if not (self.mutation_range > 0):
            e["mutation_range"] = "the stepwise range must be positive"
        if not (0.0 <= self.theta < 1.0) or math.isnan(self.theta):
            e["theta"] = "theta must be in [0, 1)"
        elif self.theta > 0:
            e["theta"] = ("theta > 0 is not computed: the pedigree engine draws founder alleles "
                          "independently (Hardy-Weinberg); the Balding-Nichols model is exact "
                          "here only for one typed reference without mutation "
                          "(kinship.theta), not for a family's references; use 0")
        if self.fallback_n < 1:
            e["fallback_n"] = "N must be a positive number of persons"
        return e

    def pooled_rate(self, locus: str) -> float:
        """Rate per meiosis for ``locus``, sexes pooled (the override, else the shipped table,
        else ``generic_rate``)."""
        if self.mutation_rate is not None:
            return self.mutation_rate
        rate = load_mutation_rates("autosomal").rate(locus)
        return self.generic_rate if rate is None else rate

    def _model(self, rate: float) -> MutationModel | None:
        if self.mutation_model == "none" or (rate == 0 and self.mutation_rate2 == 0):
            return None
        if self.mutation_model == "stepwise":
            return MutationModel("stepwise", min(rate, 1.0 - self.mutation_rate2),
                                 self.mutation_range, self.mutation_rate2)
        if rate == 0:
            return None
        return MutationModel(self.mutation_model, rate)  # type: ignore[arg-type]

    def locus_mutation(self, locus: str) -> MutationModel | SexSpecificMutation | None:
        """The mutation model of ``locus`` (per sex when ``sex_specific``)."""
        if self.mutation_model == "none":
            return None
        rate = self.pooled_rate(locus)
        if not self.sex_specific:
            return self._model(rate)
        female, male = self._model(self.female_factor * rate), self._model(self.male_factor * rate)
        if female is None and male is None:
            return None
        return SexSpecificMutation(female, male)


DEFAULTS = EvidenceSettings()


async def frequency_table(session: AsyncSession, table_id: str) -> FrequencyTable:
    """The table ``table_id``, shipped or imported (:class:`~dnacase.services.errors.NotFound`
    naming the known ids otherwise)."""
    from dnacase.services import frequencies

    return await frequencies.get_table(session, table_id)


def is_shipped(table_id: str) -> bool:
    """True for a table shipped with dnacase (pages then ask for a Kinh table to be imported)."""
    from dnacase.formats import list_frequency_tables

    return table_id in {t.id for t in list_frequency_tables()}


_CACHE: dict[tuple[Any, ...], tuple[Locus, tuple[str, ...]]] = {}


def _min_n(table: FrequencyTable, locus: str, settings: EvidenceSettings) -> int:
    two_n = table.allele_count(locus)
    return max(1, two_n // 2) if two_n else settings.fallback_n


def kinship_locus(table: FrequencyTable, locus: str, alleles: Iterable[str],
                  settings: EvidenceSettings = DEFAULTS) -> tuple[Locus, list[str]]:
    """The kinship :class:`Locus` of ``locus`` in ``table`` with every allele of ``alleles``
    (seen in the profiles) present, and the notes on alleles given the minimum frequency.
    :class:`~dnacase.kinship.MarkerError` / ``MutationModelError`` on unusable data."""
    seen = tuple(sorted({str(a).strip() for a in alleles}))
    key = (table.id, table.sha256, locus, seen, settings)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit[0], list(hit[1])
    freqs = dict(table.frequencies[locus])
    total = math.fsum(freqs.values())
    base = Locus.from_mapping(locus, {a: f / total for a, f in freqs.items()}, None)
    loc, notes = add_missing_alleles(base, list(seen), _min_n(table, locus, settings))
    loc = Locus(loc.name, loc.alleles, loc.freqs, settings.locus_mutation(locus))
    q = dict(settings.null_alleles).get(locus)
    if q is not None:
        loc = add_null_allele(loc, q)
    if len(_CACHE) > 20_000:
        _CACHE.clear()
    _CACHE[key] = (loc, tuple(notes))
    return loc, notes


def kinship_loci(table: FrequencyTable, seen: Mapping[str, Iterable[str]],
                 settings: EvidenceSettings = DEFAULTS) -> tuple[list[Locus], list[str]]:
    """Loci of ``table`` (table order) typed in ``seen`` (``{locus: alleles seen}``), and the
    notes (unknown N, alleles given the minimum frequency)."""
    loci: list[Locus] = []
    notes: list[str] = []
    if table.n_individuals is None and not table.n_alleles:
        notes.append(f"N of {table.id} not documented: minimum allele frequency 5/2N computed "
                     f"with N = {settings.fallback_n}")
    for name in table.loci:
        if name in seen:
            loc, extra = kinship_locus(table, name, seen[name], settings)
            loci.append(loc)
            notes += extra
    return loci, notes


def describe(table: FrequencyTable, settings: EvidenceSettings,
             loci: Iterable[Locus] = ()) -> dict[str, Any]:
    """What a run records and the candidate page / report show: the table (id, population, N,
    SHA-256), the mutation model with each locus's rates, theta and the minimum-frequency rule."""
    rates = {}
    for loc in loci:
        rates[loc.name] = {"pooled": settings.pooled_rate(loc.name),
                           "model": loc.describe_mutation()}
    s = asdict(settings)
    return {
        "frequency_table": table.id, "population": table.population,
        "n_individuals": table.n_individuals, "frequency_sha256": table.sha256,
        "mutation_model": settings.mutation_model,
        "mutation_rates": ("per locus (shipped table mutation_rates_autosomal.csv)"
                           if settings.mutation_rate is None else settings.mutation_rate),
        "sex_specific": settings.sex_specific,
        "male_factor": settings.male_factor, "female_factor": settings.female_factor,
        "mutation_range": settings.mutation_range, "mutation_rate2": settings.mutation_rate2,
        "theta": settings.theta, "null_alleles": dict(settings.null_alleles),
        "min_allele_frequency": (f"5/2N (N = {table.n_individuals})" if table.n_individuals
                                 else f"5/2N (N undocumented: {settings.fallback_n})"),
        "loci": rates, "settings": s,
    }


def summary(model: Mapping[str, Any]) -> dict[str, str]:
    """Short texts (current locale) of a recorded :func:`describe` for pages: table, mutation,
    theta, minimum allele frequency."""
    from dnacase.i18n import gettext as _

    n = model.get("n_individuals")
    table = f"{model.get('frequency_table')} ({model.get('population', '')}"
    table += f", N = {n})" if n else ")"
    if model.get("mutation_model") == "none":
        mutation = _("none")
    else:
        rates = model.get("mutation_rates")
        parts = [_("per-locus rates") if isinstance(rates, str)
                 else _("rate %(r)s at every locus", r=rates)]
        if model.get("sex_specific"):
            parts.append(_("fathers x%(m)s, mothers x%(f)s", m=model.get("male_factor"),
                           f=model.get("female_factor")))
        if model.get("mutation_model") == "stepwise":
            parts.append(_("range %(r)s, steps to or from a microvariant %(r2)s",
                           r=model.get("mutation_range"), r2=model.get("mutation_rate2")))
        mutation = f"{model.get('mutation_model')} ({', '.join(parts)})"
    settings = model.get("settings") or {}
    min_freq = (_("5/2N, N = %(n)s", n=n) if n else _(
        "5/2N, N not documented: %(n)s used", n=settings.get("fallback_n", "?")))
    return {"table": table, "mutation": mutation, "theta": f"{model.get('theta', 0.0)}",
            "min_allele_frequency": min_freq}
