"""The candidate page's data and the identification report (printable HTML and PDF).

:func:`candidate_detail` gathers what a reviewer needs on one screen: the family pedigree drawn
with the remains placed as the missing person, the per-locus table (genotypes of the remains
and of each typed relative, log10 LR per locus, inconsistent loci explained as possible
mutations), combined LR, the priors and both pool-wide posteriors
(:mod:`dnacase.services.posteriors`: the remains' side over every registered missing person,
the family's side over every recovered remains) with the formula and its assumptions, the
rivals considered (other missing persons for these remains, other remains for this person)
with their posteriors, the queue rules the candidate meets, the grave/cemetery/unit/place of
death, and the kits' custody and QC flags. Numbers are written by :mod:`dnacase.domain.numbers`.

:func:`report_pdf` writes the identification report with fpdf2 and the DejaVu Sans font shipped
in ``dnacase/data/fonts`` (covers Vietnamese; Bitstream Vera licence, see the LICENSE file
there). Statistics are stated the way forensic reports state them: the two hypotheses, the
likelihood ratio (and its log10), the prior and how it was chosen, pi_0, both posterior
probabilities with the formula and the rivals named,
the loci and kits, the frequency database, the mutation model and the software versions.
Report texts exist in Vietnamese (``vi``) and English (``en``) whatever the user's locale: they
are message-catalogue ids (:data:`TEXTS`), translated in the report's language.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase import i18n
from dnacase.domain import numbers
from dnacase.domain.family import FamilyPedigree
from dnacase.domain.pedigree_svg import draw_pedigree_svg
from dnacase.i18n import N_
from dnacase.models.kits import Kit, Sample
from dnacase.models.search import SearchRun
from dnacase.models.users import User
from dnacase.services import (
    custody,
    evidence_model,
    joint_analysis,
    posteriors,
    report_evidence,
    review,
)
from dnacase.services.search_inputs import (
    LineageInput,
    ProfileSource,
    gather_inputs,
    source_from_spec,
)
from dnacase.settings import package_dir

__all__ = ["TEXTS", "CandidateDetail", "LocusRow", "Rival", "candidate_detail",
           "prior_sentence", "report_pdf"]

#: The report's texts as English catalogue message ids (``{name}`` placeholders are filled with
#: ``str.format``); the Vietnamese is in the ``vi`` catalogue. :data:`TEXTS` gives them per
#: language.
_TEXT_IDS: dict[str, str] = {
    "title": N_("DNA identification report"),
    "case": N_("Case"),
    "date": N_("Date"),
    "status": N_("Status"),
    "missing": N_("Missing person"),
    "registry": N_("Registry number"),
    "unit": N_("Unit"),
    "death": N_("Date and place of death"),
    "remains": N_("Remains"),
    "grave": N_("Grave"),
    "cemetery": N_("Cemetery"),
    "hypotheses": N_("Hypotheses"),
    "h1": N_("H1: the remains are those of {name}, the missing person of the family pedigree."),
    "h2": N_("H2: the remains are those of a person unrelated to the family."),
    "lr": N_("Likelihood ratio (LR)"),
    "lr_sentence": N_("The DNA results are {lr} times more probable under H1 than under H2."),
    "prior": N_("Prior probability"),
    "prior_flat": N_("{prior} = (1 − {pi0})/{n}: every missing person of the registry equally "
                     "likely (flat prior)"),
    "prior_fixed": N_("{prior} = (1 − {pi0})/{n}: the prior {p} set by the laboratory"),
    "prior_area": N_("{prior} = (1 − {pi0})/{n}: the missing persons who could be buried in "
                     "{cemetery}, equally likely (prior by area)"),
    "prior_none": N_("Prior that the remains are of nobody in the registry (π₀)"),
    "rho": N_("Prior that this person is one given remains (ρ); not among the remains "
              "recovered (ρ₀)"),
    "posterior_remains": N_("Posterior over every registered missing person"),
    "posterior_family": N_("Posterior over every recovered remains"),
    "log10_odds": N_("log10 posterior odds"),
    "formula": N_("How the posterior is computed"),
    "formula_remains": N_("For the remains V: P(V = M_i | data) = π_i·LR_i / (Σ_j π_j·LR_j + "
                          "π₀), the sum over every registered missing person ({n} in the "
                          "pool): the families searched at their LR (0 where the mtDNA or "
                          "Y-STR excludes the pair), the persons without a typed relative at "
                          "LR 1; π₀ = {pi0} is the prior that the remains are of nobody in "
                          "the registry."),
    "formula_family": N_("For the missing person M: P(M = V_i | data) = ρ·LR_i / (Σ_k ρ·LR_k + "
                         "ρ₀), the sum over every recovered remains ({k}); ρ = {rho}, ρ₀ = "
                         "{rho0} (the person is not among the remains recovered)."),
    "assumptions": N_("Assumptions: the LR is the combined LR of the evidence named above "
                      "(autosomal loci independent: the product of the per-locus LRs; times "
                      "the mtDNA and Y-STR LRs where they were computed, the kinds of marker "
                      "independent); the families are taken as unrelated to each other; the "
                      "sums hold every pair the search scored, stored or not (search run "
                      "{run}). The smaller of the two posteriors decides."),
    "rivals": N_("Rivals considered"),
    "rival_person": N_("these remains as {name}: LR {lr}, posterior {post}"),
    "rival_remains": N_("remains #{remains} as this person: LR {lr}, posterior {post}"),
    "rival_rest_remains": N_("these remains as anyone else (another registered person, or "
                             "nobody in the registry): {post}"),
    "rival_rest_family": N_("this person as other remains, or not among the remains "
                            "recovered: {post}"),
    "rules": N_("Queue rules met"),
    "rule_posterior": N_("posterior ≥ {p}"),
    "rule_none": N_("neither rule (kept under review)"),
    "rule_needed": N_("here a posterior of {p} needs an LR above {lr}"),
    "posterior": N_("Posterior probability of H1 (the smaller of the two)"),
    "loci": N_("Loci compared"),
    "inconsistent": N_("Loci inconsistent without a mutation"),
    "dropout": N_("Loci read with allele dropout"),
    "dropout_value": N_("{loci}: one peak seen; summed over the homozygote and the "
                        "heterozygotes whose other allele dropped out (dropout probability "
                        "{d} per allele copy)"),
    "off_ladder": N_("Loci read as one called allele plus one unknown (off-ladder) allele"),
    "none": N_("none"),
    "kits": N_("Kits"),
    "freq": N_("Allele frequency database"),
    "mutation": N_("Mutation model"),
    "theta": N_("theta (F_ST)"),
    "min_freq": N_("Minimum allele frequency"),
    "kinh_note": N_("These LRs use a shipped frequency table ({table}), not a table of the "
                    "Vietnamese Kinh population: import a Kinh table and search again."),
    "software": N_("Software"),
    "relatives": N_("Reference relatives typed"),
    "locus": N_("Locus"),
    "remains_gt": N_("Remains"),
    "reviewers": N_("Confirmed by"),
    "lineage": N_("mtDNA / Y-STR comparisons"),
    "combined": N_("Combined log10 LR (autosomal and lineage markers)"),
    "note": N_("Markers treated as unlinked: the LR is the product of the per-locus LRs. "
                "Synthetic demo data: not a real case."),
    "withdrawn": N_("WITHDRAWN"),
    "reassociated": N_("Re-associated remains (one individual)"),
}
_SAME_TEXTS = {"log10": "log10 LR", "rule_lr": "LR ≥ {lr}"}  # not translated


class _Texts(Mapping[str, dict[str, str]]):
    """``TEXTS["vi"]`` / ``TEXTS["en"]``: the report texts in that language, from the catalogue."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, int], dict[str, str]] = {}

    def __getitem__(self, lang: str) -> dict[str, str]:
        if lang not in i18n.LOCALES:
            raise KeyError(lang)
        key = (lang, id(i18n.get_translations(lang)))
        if key not in self._cache:
            with i18n.use_locale(lang):
                self._cache[key] = {k: i18n.gettext(v) for k, v in _TEXT_IDS.items()}
            self._cache[key].update(_SAME_TEXTS)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(i18n.LOCALES)

    def __len__(self) -> int:
        return len(i18n.LOCALES)


TEXTS: Mapping[str, dict[str, str]] = _Texts()


@dataclass(slots=True)
class LocusRow:
    locus: str
    remains: str
    relatives: dict[str, str]
    log10_lr: float | None
    inconsistent: bool
    one_allele: str = ""  # "peak" (read with dropout), "off_ladder", or "" (as written)


#: The three outcomes of a lineage comparison (``LineageClass`` values), for the catalogue.
LINEAGE_CLASSES = (N_("cannot exclude"), N_("inconclusive"), N_("excluded"))


@dataclass(slots=True)
class LineageRow:
    """The remains' mtDNA or Y-STR haplotype against one typed relative of the family.

    ``in_line``: the relative is in the missing person's maternal (mtDNA) or paternal (Y) line;
    otherwise the haplotype carries no evidence and ``classification`` is empty.
    ``classification``: a :class:`~dnacase.kinship.lineage.LineageClass` value;
    ``differences``: the differing positions (mtDNA ``position:remains/relative``) or loci
    (Y-STR, with the steps); ``meioses`` between the relative and the missing person."""

    marker: str
    relative: str
    name: str
    relationship: str
    in_line: bool
    classification: str = ""
    differences: tuple[str, ...] = ()
    meioses: int | None = None


def lineage_rows(ped: FamilyPedigree, remains: LineageInput | None,
                 relatives: Mapping[str, LineageInput]) -> list[LineageRow]:
    """Compare the remains' lineage haplotypes with those of the relatives (by pedigree node)
    under the rules of :mod:`dnacase.kinship.lineage`: only relatives in the missing
    person's line are compared, the others are listed as outside it."""
    from dnacase.kinship.lineage import (
        compare_mtdna,
        compare_ystr,
        mtdna_references,
        ystr_references,
    )

    if remains is None:
        return []
    kped = ped.to_kinship()
    names = {n.id: (n.name, n.relationship or "") for n in ped.nodes}
    out: list[LineageRow] = []
    for marker, attr, sort in (("mtDNA", "mt", mtdna_references),
                               ("Y-STR", "y", ystr_references)):
        mine = getattr(remains, attr)
        typed = [node for node, x in relatives.items() if getattr(x, attr) is not None]
        if mine is None or not typed:
            continue
        refs = sort(kped, ped.missing_id, typed)
        for ref in refs.in_line:
            other = getattr(relatives[ref.id], attr)
            if attr == "mt":
                c = compare_mtdna(mine, other)
            elif ref.meioses is not None:
                c = compare_ystr(mine, other, ref.meioses)
            else:  # pragma: no cover - an in-line reference always has a meiosis count
                continue
            out.append(LineageRow(marker, ref.id, *names.get(ref.id, (ref.id, "")), True,
                                  str(c.classification), tuple(str(d) for d in c.differences),
                                  ref.meioses))
        for ref in refs.outside:
            out.append(LineageRow(marker, ref.id, *names.get(ref.id, (ref.id, "")), False))
    return out


@dataclass(slots=True)
class LineageLR:
    """The mtDNA or Y-STR LR of the pair (log10; None when it cannot be computed: ``why``
    is then ``"no_reference"`` (nobody typed in the line) or ``"no_database"`` (no population
    haplotypes imported for the marker)); ``count``/``n``/``upper``: the remains' haplotype
    counted in ``population``, with the 95 % upper bound used as its frequency."""

    marker: str
    log10_lr: float | None
    reference: str = ""
    why: str = ""
    population: str = ""
    count: int | None = None
    n: int | None = None
    upper: float | None = None


async def lineage_lrs(
    session: AsyncSession, ped: FamilyPedigree, remains: LineageInput | None,
    relatives: Mapping[str, LineageInput], bound: Any = None,
) -> tuple[list[LineageLR], Any]:
    """mtDNA and Y-STR LRs of the pair (:mod:`dnacase.kinship.combined`) with the newest
    imported population database of each marker; returns them and the evidence objects.
    ``bound``: the Clopper-Pearson upper bound used as the haplotype frequency
    (:class:`~dnacase.kinship.lineage.UpperBound`; None = its documented default,
    two-sided 95 %)."""
    from dnacase.kinship.combined import mtdna_evidence, ystr_evidence
    from dnacase.kinship.lineage import DEFAULT_UPPER_BOUND
    from dnacase.services.haplotype_databases import population_database

    out: list[LineageLR] = []
    evidence: dict[str, Any] = {}
    if remains is None:
        return out, evidence
    kped = ped.to_kinship()
    names = {n.id: n.name for n in ped.nodes}
    for marker, attr, db_marker, fn in (("mtDNA", "mt", "mtDNA", mtdna_evidence),
                                        ("Y-STR", "y", "Y_STR", ystr_evidence)):
        mine = getattr(remains, attr)
        refs = {n: getattr(x, attr) for n, x in relatives.items() if getattr(x, attr) is not None}
        if mine is None or not refs:
            continue
        ev = fn(kped, ped.missing_id, mine, refs, await population_database(session, db_marker),
                bound=bound or DEFAULT_UPPER_BOUND)
        evidence[marker] = ev
        f = ev.frequency
        why = "" if ev.log10_lr is not None else (
            "no_reference" if ev.reference is None else "no_database")
        out.append(LineageLR(marker, ev.log10_lr, names.get(ev.reference or "", ""), why,
                             f.population or "" if f else "", f.count if f else None,
                             f.n if f else None, f.upper if f else None))
    return out, evidence


@dataclass(slots=True)
class Rival:
    """Another stored pair of the same remains (``missing_person_id`` differs) or of the same
    person (``remains_id`` differs), with both its posteriors."""

    remains_id: int
    missing_person_id: int
    name: str
    log10_lr: float
    posterior: posteriors.PairPosterior


@dataclass(slots=True)
class CandidateDetail:
    item: review.QueueItem
    run: SearchRun
    svg: str
    relatives: list[tuple[str, str, str]]  # (node id, name, relationship)
    loci: list[LocusRow]
    kits: list[dict[str, Any]]
    qc_flags: list[str]
    suggestions: list[review.Suggestion]
    decisions: list[Any] = field(default_factory=list)
    confirmed_by: list[str] = field(default_factory=list)
    genotypes_available: bool = True
    typing_kits: list[str] = field(default_factory=list)
    lineage: list[LineageRow] = field(default_factory=list)
    lineage_lrs: list[LineageLR] = field(default_factory=list)
    combined_log10_lr: float | None = None
    posterior: posteriors.PairPosterior | None = None
    rivals_person: list[Rival] = field(default_factory=list)
    rivals_remains: list[Rival] = field(default_factory=list)
    rules: tuple[str, ...] = ()
    #: graves / sites of every remains re-associated with these (empty: none); see
    #: :func:`dnacase.services.reassociation.group_places`
    group_places: list[Any] = field(default_factory=list)
    #: the profile versions the LR was computed from (:mod:`dnacase.services.report_evidence`)
    versions: report_evidence.VersionsUsed = field(
        default_factory=report_evidence.VersionsUsed)
    #: the joint analysis of the remains and missing persons involved (None: none), set by the
    #: caller (:func:`dnacase.services.joint_analysis.joint_analysis`)
    joint: Any = None

    @property
    def pool(self) -> posteriors.PoolContext:
        return posteriors.PoolContext.of(self.run)

    @property
    def rest_remains(self) -> float | None:
        """Posterior that the remains are anyone but this person and the listed rivals."""
        if self.posterior is None:
            return None
        return max(0.0, 1.0 - self.posterior.remains_side.posterior
                   - sum(r.posterior.remains_side.posterior for r in self.rivals_person))

    @property
    def rest_family(self) -> float | None:
        """Posterior that the person is none of these remains and the listed rivals."""
        if self.posterior is None:
            return None
        return max(0.0, 1.0 - self.posterior.family_side.posterior
                   - sum(r.posterior.family_side.posterior for r in self.rivals_remains))

    @property
    def _model(self) -> dict[str, str] | None:
        """Short texts of the evidence model the run recorded (None for runs made before the
        model was recorded)."""
        model = (self.run.notes or {}).get("evidence_model")
        return evidence_model.summary(model) if model else None

    @property
    def one_allele_lines(self) -> tuple[str, str] | None:
        """The remains loci read as one allele (:func:`dropout_lines`) in the current
        language, or None when every locus was read as written."""
        if not self.item.result.one_allele:
            return None
        return dropout_lines(self.item.result, TEXTS[i18n.normalize_locale(i18n.get_locale())])

    @property
    def frequency_table(self) -> str:
        """The table every LR of the run used: id, population, N."""
        if self._model:
            return self._model["table"]
        notes = self.run.notes or {}
        return f"{self.run.frequency_table} ({notes.get('population', '')})"

    @property
    def mutation(self) -> str:
        """The mutation model of the run: model, per-locus/per-sex rates, range, rate2."""
        if self._model:
            return self._model["mutation"]
        r = self.run
        if r.mutation_model == "none" or not r.mutation_rate:
            return "none"
        extra = f", range={r.mutation_range}" if r.mutation_model == "stepwise" else ""
        return f"{r.mutation_model} (rate={r.mutation_rate}{extra})"

    @property
    def theta(self) -> str:
        """theta (F_ST) of the run (0 = Hardy-Weinberg founders)."""
        return self._model["theta"] if self._model else "0.0"

    @property
    def min_allele_frequency(self) -> str:
        return self._model["min_allele_frequency"] if self._model else ""

    @property
    def imported_table(self) -> bool:
        """False when the run used a shipped table (the page then asks for a Kinh table)."""
        return not evidence_model.is_shipped(self.run.frequency_table)


def _remains_pedigree(ped: FamilyPedigree, label: str) -> FamilyPedigree:
    nodes = []
    for n in ped.nodes:
        if n.missing:
            from dataclasses import replace

            n = replace(n, name=label, typed=True)
        nodes.append(n)
    return FamilyPedigree(ped.missing_id, nodes)


def _gt(pair: tuple[str, str] | None, one_allele: str = "") -> str:
    """A genotype as shown: ``a/b``; one peak read with dropout ``a``; ``a/OL`` for a called
    allele beside an off-ladder peak."""
    if not pair:
        return ""
    if one_allele == "peak":
        return pair[0]
    if one_allele == "off_ladder":
        return f"{pair[0]}/OL"
    return f"{pair[0]}/{pair[1]}"


def dropout_lines(result: Any, t: Mapping[str, str]) -> tuple[str, str]:
    """``(dropout, off_ladder)``: the remains loci a pair was scored from as one allele, in
    the words of ``t`` (:data:`TEXTS` of a language); ``t["none"]`` when there are none."""
    one = getattr(result, "one_allele", None) or {}
    peaks = sorted(k for k, v in one.items() if v == "peak")
    ol = sorted(k for k, v in one.items() if v == "off_ladder")
    d = getattr(result, "dropout", None)
    drop = t["dropout_value"].format(loci=", ".join(peaks), d=f"{d:g}") if peaks else t["none"]
    return drop, ", ".join(ol) or t["none"]


async def candidate_detail(
    session: AsyncSession, case_id: int, viewer: Any = None,
    source: ProfileSource | None = None,
) -> CandidateDetail:
    """Everything the candidate page and the report show (see module doc)."""
    item = await review.get_case(session, case_id)
    run = await session.get(SearchRun, item.result.run_id)
    assert run is not None
    source = source or source_from_spec((run.notes or {}).get("source"))
    fam = None
    remains_profile = None
    if source is not None:
        inputs = await gather_inputs(session, source, missing_person_id=item.case.missing_person_id,
                                     remains_id=item.case.remains_id)
        fam = inputs.families[0] if inputs.families else None
        remains_profile = inputs.remains[0].profile if inputs.remains else None
    ped = fam.pedigree if fam is not None else None
    if ped is None:
        from dnacase.services.families import family_view

        ped = (await family_view(session, item.case.missing_person_id)).pedigree
    label = f"#{item.remains.id} = {item.missing.full_name}"
    svg = draw_pedigree_svg(_remains_pedigree(ped, label),
                            title=f"Remains {item.remains.id} as {item.missing.full_name}") \
        if ped is not None else ""
    relatives = [(n.id, n.name, n.relationship or "") for n in (ped.nodes if ped else [])
                 if n.relative_key and fam is not None and n.id in fam.profiles]
    used = await report_evidence.versions_used(
        session, run, item.case.remains_id, f"#{item.remains.id}",
        remains_profile.version if remains_profile else None,
        [(nid, fam.relative_ids[nid], name, fam.profiles[nid].version)
         for nid, name, _r in relatives] if fam is not None else [])
    rem_gt = used.genotypes.get(used.rows[0].used) or (
        remains_profile.alleles if remains_profile else None)
    rel_gt = {nid: used.genotypes.get(row.used) or fam.profiles[nid].alleles
              for (nid, _n, _r), row in zip(relatives, used.rows[1:], strict=True)} \
        if fam is not None else {}
    per = item.result.per_locus or {}
    inconsistent = set(item.result.inconsistent or [])
    panel = (run.notes or {}).get("panel") or sorted(per)
    one = item.result.one_allele or {}
    rows = []
    for locus in panel:
        rows.append(LocusRow(
            locus,
            _gt(rem_gt.get(locus), one.get(locus, "")) if rem_gt is not None else "",
            {nid: _gt(rel_gt[nid].get(locus)) for nid, _n, _r in relatives},
            per.get(locus), locus in inconsistent, one.get(locus, "")))
    # kits: the remains' and the typed relatives' samples, custody and QC
    rel_ids = list(fam.relative_ids.values()) if fam else []
    from dnacase.services.reassociation import group_members  # every re-associated sample

    q = select(Kit, Sample).join(Sample, Sample.kit_id == Kit.id).where(
        Sample.remains_id.in_(await group_members(session, item.case.remains_id))
        | (Sample.relative_id.in_(rel_ids)))
    kits = []
    for kit, sample in (await session.execute(q)).all():
        chain = await custody.chain_for_kit(session, kit.id)  # type: ignore[arg-type]
        kits.append({"barcode": kit.barcode, "state": kit.state, "kind": sample.kind,
                     "sample_type": sample.sample_type, "custody_events": len(chain),
                     "last_event": chain[-1].event if chain else ""})
    qc = list(remains_profile.qc_flags) if remains_profile else []
    typing = list(remains_profile.kits) if remains_profile else []
    for p in (fam.profiles.values() if fam else []):
        qc += list(p.qc_flags)
        typing += list(p.kits)
    suggestions = await review.suggest_references(session, item.case.missing_person_id,
                                                  set(rel_ids))
    decisions = await review.visible_decisions(session, item.case, viewer) if viewer else []
    confirmed_by: list[str] = []
    if item.case.status in ("confirmed", "withdrawn"):
        ds = await review.decisions_of(session, item.case)
        ids = [d.reviewer_id for d in ds if d.round == item.case.round and d.decision == "confirm"]
        names = {u.id: u.display_name for u in (await session.execute(
            select(User).where(User.id.in_(ids)))).scalars()} if ids else {}
        confirmed_by = [names.get(i, str(i)) for i in ids]
    lineage: list[LineageRow] = []
    lrs: list[LineageLR]
    lineage_fn = getattr(source, "lineage_profiles", None)
    if fam is not None and lineage_fn is not None:
        rem = await lineage_fn(session, "remains", [item.case.remains_id])
        rel = await lineage_fn(session, "reference", list(fam.relative_ids.values()))
        by_node = {n: rel[r] for n, r in fam.relative_ids.items() if r in rel}
        lineage = lineage_rows(fam.pedigree, rem.get(item.case.remains_id), by_node)
        lrs, evidence = await lineage_lrs(session, fam.pedigree, rem.get(item.case.remains_id),
                                          by_node)
    else:
        lrs, evidence = [], {}
    combined = None
    stored_parts = any(isinstance(v, float) for v in (item.result.lineage_lr or {}).values())
    if stored_parts:  # the stored LR is already the combined one (services.search_lineage)
        combined = None
    elif any(x.log10_lr is not None for x in lrs):
        from dnacase.kinship.combined import combine_pair

        combined = combine_pair(f"#{item.remains.id}", item.missing.full_name,
                                autosomal={"STR": item.result.log10_lr},
                                mtdna=evidence.get("mtDNA"), y=evidence.get("Y-STR"))
    pairs = [(item.case.remains_id, item.case.missing_person_id, item.result.log10_lr)]
    pairs += [(c.remains_id, c.missing_person_id, c.log10_lr)
              for c in (*item.other_families, *item.other_remains)]
    post = await posteriors.pair_posteriors(session, pairs, run)

    def rivals(comps: list[review.Competitor]) -> list[Rival]:
        return [Rival(c.remains_id, c.missing_person_id, c.name, c.log10_lr,
                      post[(c.remains_id, c.missing_person_id, c.log10_lr)]) for c in comps]

    mine = post[pairs[0]]
    from dnacase.services.reassociation import group_places

    return CandidateDetail(item, run, svg, relatives, rows, kits, qc, suggestions, decisions,
                           confirmed_by, source is not None, sorted(set(typing)), lineage,
                           lrs, item.result.log10_lr if stored_parts
                           else combined.combined_log10_lr if combined else None, mine,
                           rivals(item.other_families), rivals(item.other_remains),
                           posteriors.rules_met(item.result.log10_lr, mine.decisive.posterior,
                                                run.lr_threshold, run.posterior_threshold),
                           group_places=await group_places(session, item.case.remains_id),
                           versions=used)


def _in(lang: str, message: str) -> str:
    with i18n.use_locale(lang):
        return i18n.gettext(message)


def _g(x: float) -> str:
    return f"{x:.3g}"


def prior_sentence(detail: CandidateDetail, lang: str) -> str:
    """How each missing person's prior was chosen for these remains, in ``lang`` (``vi`` or
    ``en``), as the report says it: ``π = (1 − π₀)/n`` with ``n`` the pool (the cemetery's
    candidate pool with the area prior, the registry's missing persons with the flat prior,
    ``(1 − π₀)/p`` with a fixed prior ``p``; at least the families searched).
    """
    t = TEXTS["vi" if lang == "vi" else "en"]
    it = detail.item
    run = detail.run
    pool = detail.pool
    side = detail.posterior.remains_side if detail.posterior else None
    n = side.pool if side else round((1 - pool.prior_none) / it.result.prior)
    prior = _g(side.prior if side else it.result.prior)
    pi0 = _g(pool.prior_none)
    area = ((run.notes or {}).get("prior_area") or {}).get("cemeteries") or {}
    if (run.prior_mode == "area" and it.cemetery is not None
            and str(it.cemetery.id) in area):
        return t["prior_area"].format(prior=prior, pi0=pi0, n=n, cemetery=it.cemetery.name)
    if run.prior_mode in ("flat", "area"):
        return t["prior_flat"].format(prior=prior, pi0=pi0, n=n)
    return t["prior_fixed"].format(prior=prior, pi0=pi0, n=n, p=_g(run.prior_value or 0))


def rule_labels(detail: CandidateDetail, lang: str, *, html: bool = False) -> list[str]:
    """The queue rules the candidate meets, in ``lang`` (``html``: safe HTML)."""
    t0 = TEXTS["vi" if lang == "vi" else "en"]
    t: Mapping[str, Any] = {k: Markup.escape(v) for k, v in t0.items()} if html else t0
    run = detail.run
    out = []
    if "lr" in detail.rules:
        lr = math.log10(run.lr_threshold)
        out.append(t["rule_lr"].format(lr=numbers.lr_html(lr) if html else numbers.lr_text(lr)))
    if "posterior" in detail.rules:
        out.append(t["rule_posterior"].format(p=f"{run.posterior_threshold:g}"))
    return out or [t["rule_none"]]


def posterior_lines(detail: CandidateDetail, lang: str, *, html: bool = False
                    ) -> dict[str, Any]:
    """The posterior texts of the page and the report in ``lang``: both sides (percentage and
    log10 odds), the formula with this run's numbers, the assumptions, the rivals. ``html``:
    safe HTML with LRs as ``8.1 × 10<sup>15</sup>`` (else plain text, ``8.1 × 10¹⁵``)."""
    t0 = TEXTS["vi" if lang == "vi" else "en"]
    t: Mapping[str, Any] = {k: Markup.escape(v) for k, v in t0.items()} if html else t0
    lr_fmt = numbers.lr_html if html else numbers.lr_text
    p = detail.posterior
    pool = detail.pool
    if p is None:
        return {}

    def post(x: posteriors.SidePosterior) -> str:
        pct, odds = numbers.posterior_parts(x.posterior, x.log10_odds)
        return f"{pct} ({t['log10_odds']} {odds})"

    rivals = [t["rival_person"].format(name=r.name, lr=lr_fmt(r.log10_lr),
                                       post=post(r.posterior.remains_side))
              for r in detail.rivals_person]
    rivals += [t["rival_remains"].format(remains=r.remains_id, lr=lr_fmt(r.log10_lr),
                                         post=post(r.posterior.family_side))
               for r in detail.rivals_remains]
    rest_r, rest_f = detail.rest_remains, detail.rest_family
    if rest_r is not None:
        rivals.append(t["rival_rest_remains"].format(post=numbers.percent_text(rest_r)))
    if rest_f is not None:
        rivals.append(t["rival_rest_family"].format(post=numbers.percent_text(rest_f)))
    return {
        "posterior_remains": post(p.remains_side),
        "posterior_family": post(p.family_side),
        "posterior": post(p.decisive),
        "prior_none": _g(pool.prior_none),
        "rho": f"{_g(p.family_side.prior)}; {_g(p.family_side.prior_none)}",
        "formula_remains": t["formula_remains"].format(n=p.remains_side.pool,
                                                       pi0=_g(pool.prior_none)),
        "formula_family": t["formula_family"].format(k=p.family_side.pool,
                                                     rho=_g(p.family_side.prior),
                                                     rho0=_g(p.family_side.prior_none)),
        "assumptions": t["assumptions"].format(run=detail.run.id),
        "rivals": rivals,
        "rules": rule_labels(detail, lang, html=html),
        "needed_log10": needed_log10_lr(detail),
        "needed": t["rule_needed"].format(p=f"{detail.run.posterior_threshold:g}",
                                          lr=lr_fmt(needed_log10_lr(detail))),
    }


def needed_log10_lr(detail: CandidateDetail) -> float:
    """log10 of the LR this pair would need for its (smaller) posterior to reach the run's
    posterior threshold, the rest of the pool unchanged: on each side ``log10 odds = log10
    LR - D`` with ``D`` fixed by the priors and the other pairs, so the LR needed is
    ``threshold odds + D``; the larger of the two sides."""
    p = detail.posterior
    t = min(detail.run.posterior_threshold, 1 - 1e-15)
    want = math.log10(t / (1 - t))
    if p is None:
        return math.inf
    return max(want + detail.item.result.log10_lr - s.log10_odds
               for s in (p.remains_side, p.family_side))


def report_context(detail: CandidateDetail, lang: str, *, html: bool = False) -> dict[str, Any]:
    """Values of the report in ``lang`` (``vi`` or ``en``) for the PDF (plain text) or, with
    ``html``, the printable HTML page."""
    t = TEXTS["vi" if lang == "vi" else "en"]
    it = detail.item
    run = detail.run
    prior = prior_sentence(detail, lang)
    grave = it.grave.label if it.grave else ""
    kits = sorted(set(detail.typing_kits)) + sorted(k["barcode"] for k in detail.kits)
    return {
        "t": t,
        "lang": lang,
        "case_id": it.case.id,
        "status": _in(lang, it.case.status),
        "withdrawn": it.case.status == "withdrawn",
        "date": dt.date.today().isoformat(),
        "missing_name": it.missing.full_name,
        "registry_number": it.missing.registry_number,
        "unit": it.missing.unit,
        "death": ", ".join(x for x in (it.missing.death_date, it.missing.death_place) if x),
        "remains_id": it.remains.id,
        "grave": grave,
        "cemetery": it.cemetery.name if it.cemetery else it.remains.recovery_site,
        "h1": t["h1"].format(name=it.missing.full_name),
        "h2": t["h2"],
        "lr": numbers.lr_text(it.result.log10_lr),
        "lr_html": numbers.lr_html(it.result.log10_lr),
        "log10_lr": f"{it.result.log10_lr:.2f}",
        "lr_sentence": Markup.escape(t["lr_sentence"]).format(
            lr=numbers.lr_html(it.result.log10_lr)) if html
        else t["lr_sentence"].format(lr=numbers.lr_text(it.result.log10_lr)),
        "prior": prior,
        **posterior_lines(detail, lang, html=html),
        "loci_compared": it.result.loci_compared,
        "inconsistent": ", ".join(it.result.inconsistent or []) or t["none"],
        "dropout": dropout_lines(it.result, t)[0],
        "off_ladder": dropout_lines(it.result, t)[1],
        "kits": ", ".join(kits),
        "frequency": detail.frequency_table,
        "mutation": detail.mutation,
        "theta": detail.theta,
        "min_freq": detail.min_allele_frequency,
        "kinh_note": "" if detail.imported_table
        else t["kinh_note"].format(table=detail.frequency_table),
        "software": f"dnacase {run.software_version}; {run.engine_version}; "
                    f"search run {run.id}",
        "relatives": [(name, rel) for _nid, name, rel in detail.relatives],
        "rows": detail.loci,
        "relative_ids": [nid for nid, _n, _r in detail.relatives],
        "confirmed_by": ", ".join(detail.confirmed_by),
        "lineage": [
            f"{r.marker}: {r.name} ({_in(lang, r.relationship)}): "
            f"{_in(lang, r.classification)}" + (f" ({', '.join(r.differences)})"
                                                 if r.differences else "")
            for r in detail.lineage if r.in_line
        ] + [f"{x.marker}: log10 LR = {x.log10_lr:.2f}" for x in detail.lineage_lrs
             if x.log10_lr is not None],
        "combined": "" if detail.combined_log10_lr is None
        else f"{detail.combined_log10_lr:.2f}",
        "reassociated": [p.text for p in detail.group_places],
        **_evidence_context(detail, lang, html),
        **joint_analysis.joint_lines(detail.joint, lang),
    }


def _evidence_context(detail: CandidateDetail, lang: str, html: bool) -> dict[str, Any]:
    """The evidence of the LR and the profile versions it used (:mod:`report_evidence`)."""
    ev = report_evidence.evidence_lines(detail, lang, html=html)
    return {"evidence_title": ev["title"], "evidence": ev["parts"],
            "evidence_notes": ev["notes"],
            "versions_title": report_evidence.title(lang, "genotypes"),
            "versions": [f"{r.who}: {r.used or '—'}" for r in detail.versions.rows],
            "newer": detail.versions.newer_lines(lang)}


_NL: dict[str, Any] = {"new_x": "LMARGIN", "new_y": "NEXT"}


def _font_dir() -> Path:
    return package_dir() / "data" / "fonts"


def report_pdf(detail: CandidateDetail, lang: str = "vi") -> bytes:
    """The identification report as PDF bytes (fpdf2, DejaVu Sans; no network)."""
    from fpdf import FPDF

    c = report_context(detail, lang)
    t = c["t"]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(_font_dir() / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_font_dir() / "DejaVuSans-Bold.ttf"))
    pdf.set_title(t["title"])
    pdf.set_creator(f"dnacase {detail.run.software_version}")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    title = t["title"] + (f" — {t['withdrawn']}" if c["withdrawn"] else "")
    pdf.multi_cell(0, 8, title, **_NL)
    pdf.set_font("DejaVu", "", 10)
    pdf.ln(2)

    def line(label: str, value: Any) -> None:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(62, 6, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(0, 6, str(value), **_NL)

    line(t["case"], f"{c['case_id']} ({c['status']})")
    line(t["date"], c["date"])
    line(t["missing"], c["missing_name"])
    line(t["registry"], c["registry_number"])
    line(t["unit"], c["unit"])
    line(t["death"], c["death"])
    line(t["remains"], f"#{c['remains_id']}")
    line(t["grave"], c["grave"])
    line(t["cemetery"], c["cemetery"])
    if c["reassociated"]:
        line(t["reassociated"], "\n".join(c["reassociated"]))
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, t["hypotheses"], **_NL)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, c["h1"], **_NL)
    pdf.multi_cell(0, 6, c["h2"], **_NL)
    pdf.ln(2)
    line(t["lr"], f"{c['lr']}  (log10 LR = {c['log10_lr']})")
    pdf.multi_cell(0, 6, c["lr_sentence"], **_NL)
    line(t["prior"], c["prior"])
    if c.get("posterior_remains"):
        line(t["prior_none"], c["prior_none"])
        line(t["rho"], c["rho"])
        line(t["posterior_remains"], c["posterior_remains"])
        line(t["posterior_family"], c["posterior_family"])
        line(t["posterior"], c["posterior"])
        line(t["rules"], "; ".join(c["rules"]))
        line(t["rivals"], "\n".join(c["rivals"]))
    line(t["loci"], c["loci_compared"])
    line(t["inconsistent"], c["inconsistent"])
    line(t["dropout"], c["dropout"])
    line(t["off_ladder"], c["off_ladder"])
    line(t["kits"], c["kits"])
    line(t["freq"], c["frequency"])
    line(t["mutation"], c["mutation"])
    line(t["theta"], c["theta"])
    if c["min_freq"]:
        line(t["min_freq"], c["min_freq"])
    if c["kinh_note"]:
        line("", c["kinh_note"])
    line(t["software"], c["software"])
    line(t["relatives"], "; ".join(f"{n} ({r})" for n, r in c["relatives"]))
    if c["confirmed_by"]:
        line(t["reviewers"], c["confirmed_by"])
    if c["lineage"]:
        line(t["lineage"], "; ".join(c["lineage"]))
    if c["combined"]:
        line(t["combined"], c["combined"])
    line(c["evidence_title"], "\n".join([c["evidence"], *c["evidence_notes"]]))
    line(c["versions_title"], "\n".join([*c["versions"], *c["newer"]]))
    if c["joint"]:
        line(c["joint_title"], "\n".join(c["joint"]))
    pdf.ln(3)
    # per-locus table
    rel_ids = c["relative_ids"]
    widths = [30, 26] + [max(18, int(100 / max(1, len(rel_ids))))] * len(rel_ids) + [22]
    pdf.set_font("DejaVu", "B", 8)
    heads = [t["locus"], t["remains_gt"]] + [n for n, _r in c["relatives"]] + [t["log10"]]
    for w, h in zip(widths, heads, strict=True):
        pdf.cell(w, 6, h[:18], border=1)
    pdf.ln()
    pdf.set_font("DejaVu", "", 8)
    for row in c["rows"]:
        vals = [row.locus + (" *" if row.inconsistent else ""), row.remains]
        vals += [row.relatives.get(nid, "") for nid in rel_ids]
        vals.append("" if row.log10_lr is None else f"{row.log10_lr:.3f}")
        for w, v in zip(widths, vals, strict=True):
            pdf.cell(w, 5, v, border=1)
        pdf.ln()
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 8)
    if c.get("formula_remains"):
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(0, 6, t["formula"], **_NL)
        pdf.set_font("DejaVu", "", 8)
        for key in ("formula_remains", "formula_family", "assumptions"):
            pdf.multi_cell(0, 5, c[key], **_NL)
    pdf.multi_cell(0, 5, t["note"], **_NL)
    return bytes(pdf.output())
