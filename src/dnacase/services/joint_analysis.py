"""The joint analysis of a review case: the remains and missing persons involved, solved
together by the joint DVI engine (:mod:`dnacase.kinship.dvi`).

Who is involved (bounded by :data:`MAX_REMAINS` remains and :data:`MAX_FAMILIES` missing
persons, the case's own first; ``bounded`` says what was left out):

* missing persons: the case's, those of the other cases of the case's remains (its rivals),
  and those sharing a recorded relative with the case's missing person (one family that lost
  several persons);
* remains: the case's, those of the other cases of these missing persons (the family's other
  matches and competitors), and the other remains of the case's grave.

Each missing person's family is its recorded pedigree (built by
:func:`dnacase.services.search_inputs.gather_inputs`); missing persons whose families share a
typed relative (a mother who lost several sons) are one family of the problem with several
missing persons: the union of their pedigrees by person id (:func:`family_units`; when the
recorded pedigrees disagree on a shared person they stay separate families, stated in
``notes``). Loci come from the run's evidence model (:func:`dnacase.services.search.build_panel`).
The joint model is dvir's (Vigeland and Egeland): the likelihood of an assignment ``a`` (each
remains -> a missing person or ``*``, each person used at most once) is ``L(a) =
prod_families P(references, assigned remains | pedigree) * prod_unassigned P(remains)``;
``LR(a) = L(a) / L(all *)`` (reported as log10) and the posterior of ``a`` is ``LR(a) /
sum_a' LR(a')`` over the enumerated assignments (flat prior). Single peaks are read as
homozygotes (the DVI engine has no dropout), stated in ``notes``.

The engine version and the options are returned with the result
(:attr:`JointAnalysis.result` ``engine`` / ``options``). :func:`problem_json` writes the problem
in the ``dnacase dvi solve`` input format (oracle README section 6).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.domain import numbers
from dnacase.i18n import N_, use_locale
from dnacase.i18n import gettext as _
from dnacase.kinship.dvi import DVIError, DVIOptions, DVIProblem, problem_from_arrays, solve
from dnacase.kinship.markers import encode_profiles
from dnacase.kinship.mutation import MutationModel, SexSpecificMutation
from dnacase.kinship.pedigree import Pedigree
from dnacase.models.families import FamilyRelationship
from dnacase.models.registry import MissingPerson, Remains
from dnacase.models.review import ReviewCase
from dnacase.models.search import SearchRun
from dnacase.services import review
from dnacase.services.errors import DomainError
from dnacase.services.search import build_panel, run_parameters
from dnacase.services.search_inputs import (
    FamilyInput,
    ProfileSource,
    RemainsInput,
    SearchInputs,
    gather_inputs,
    source_from_spec,
)

__all__ = ["MAX_FAMILIES", "MAX_REMAINS", "OPTIONS", "JointAnalysis", "JointRow",
           "joint_analysis", "joint_for_page", "joint_lines", "problem_json", "remains_key"]

MAX_REMAINS = 8
MAX_FAMILIES = 8
#: The options of the candidate page's joint analysis (recorded with each result).
OPTIONS = DVIOptions(max_assignments=200_000, top=5)
NOT_MISSING = "*"
#: The model's simplifications, stated with each result.
NOTES = {
    "homozygotes": N_("Single peaks are read as homozygotes (the joint model has no dropout)."),
    "shared_relatives": N_("Missing persons of one family are solved as separate families "
                           "(their recorded pedigrees disagree)."),
}
BOUNDED = {
    "remains": N_("Bounded: %(n)d remains involved, the first %(kept)d analysed."),
    "missing_persons": N_("Bounded: %(n)d missing persons involved, the first %(kept)d "
                          "analysed."),
}


def remains_key(remains_id: int) -> str:
    """The victim id of a remains in the joint problem."""
    return f"R{remains_id}"


@dataclass(slots=True)
class JointRow:
    """One joint assignment: ``pairs`` ``(remains id, missing person id or None)`` in problem
    order; ``log10_lr`` against every remains unassigned (None: likelihood 0);
    ``posterior`` under a flat prior over the enumerated assignments."""

    pairs: list[tuple[int, int | None]]
    log10_lr: float | None
    posterior: float


@dataclass(slots=True)
class JointAnalysis:
    """The joint analysis of a case: ``result`` is the engine's JSON result (with ``engine``
    and ``options``); ``rows`` its best assignments; ``names`` missing person id -> name;
    ``differs``: remains ids whose pairwise best missing person (highest pairwise LR > 1, or
    none) is not the one of the best joint assignment; ``tied``: several assignments tie for
    the best; ``bounded``: ``(what, involved, kept)`` left out; ``notes``: keys of the model's
    simplifications (:data:`NOTES`)."""

    case_id: int
    remains_ids: list[int]
    missing_ids: list[int]
    names: dict[int, str]
    result: dict[str, Any]
    rows: list[JointRow]
    pairwise_best: dict[int, int | None]
    differs: list[int]
    tied: bool
    bounded: list[tuple[str, int, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problem: DVIProblem | None = None

    @property
    def best(self) -> JointRow | None:
        return self.rows[0] if self.rows else None

    def assigned_to(self, remains_id: int) -> int | None:
        """The missing person of ``remains_id`` in the best joint assignment."""
        best = self.best
        return dict(best.pairs).get(remains_id) if best else None


# ------------------------------------------------------------------------ who is involved
async def _involved(session: AsyncSession, case: ReviewCase
                    ) -> tuple[list[int], list[int], list[tuple[str, int, int]]]:
    """``(remains ids, missing person ids, bounded)``, the case's own first; ``bounded``:
    ``(what, involved, kept)``."""
    mps = [case.missing_person_id]
    rem = [case.remains_id]
    same_remains = (await session.execute(select(ReviewCase.missing_person_id).where(
        ReviewCase.remains_id == case.remains_id).order_by(ReviewCase.id))).scalars()
    mps += [int(m) for m in same_remains]
    rels = select(FamilyRelationship.relative_id).where(
        FamilyRelationship.missing_person_id == case.missing_person_id)
    kin = (await session.execute(select(FamilyRelationship.missing_person_id).where(
        FamilyRelationship.relative_id.in_(rels)).order_by(
        FamilyRelationship.missing_person_id))).scalars()
    mps += [int(m) for m in kin]
    mps = list(dict.fromkeys(mps))
    bounded: list[tuple[str, int, int]] = []
    if len(mps) > MAX_FAMILIES:
        bounded.append(("missing_persons", len(mps), MAX_FAMILIES))
        mps = mps[:MAX_FAMILIES]
    others = (await session.execute(select(ReviewCase.remains_id).where(
        ReviewCase.missing_person_id.in_(mps)).order_by(ReviewCase.id))).scalars()
    rem += [int(r) for r in others]
    here = await session.get(Remains, case.remains_id)
    if here is not None and here.grave_id is not None:
        rem += [int(r) for r in (await session.execute(select(Remains.id).where(
            Remains.grave_id == here.grave_id).order_by(Remains.id))).scalars()]
    rem = list(dict.fromkeys(rem))
    if len(rem) > MAX_REMAINS:
        bounded.append(("remains", len(rem), MAX_REMAINS))
        rem = rem[:MAX_REMAINS]
    return rem, mps, bounded


async def _inputs(session: AsyncSession, source: ProfileSource, case: ReviewCase,
                  remains_ids: list[int], missing_ids: list[int]) -> SearchInputs:
    fams: list[FamilyInput] = []
    for mp in missing_ids:
        fams += (await gather_inputs(session, source, missing_person_id=mp,
                                     remains_id=case.remains_id)).families
    rems: list[RemainsInput] = []
    seen: set[int] = set()
    for rid in remains_ids:
        for r in (await gather_inputs(session, source, missing_person_id=case.missing_person_id,
                                      remains_id=rid)).remains:
            if r.remains_id not in seen:
                seen.add(r.remains_id)
                rems.append(r)
    return SearchInputs(fams, rems)


# ------------------------------------------------------------------------------ the problem
def _merged(group: list[FamilyInput]) -> tuple[Pedigree, list[str], dict[str, Any]] | None:
    """One pedigree for families that share recorded relatives (a family that lost several
    persons): the union of their persons by node id, the builder's placeholder parents of a
    shared person identified (``father-of:mp:1`` and ``father-of:mp:15`` of one brother are one
    man); None when a shared person has another sex, or other recorded parents, in one of them
    (then they stay separate families)."""
    holders = {n.id for f in group for n in f.pedigree.nodes if n.placeholder}
    alias: dict[str, str] = {}

    def a(x: str | None) -> str | None:
        while x is not None and x in alias:
            x = alias[x]
        return x

    for _round in range(len(holders) + 1):
        nodes: dict[str, tuple[str, str | None, str | None]] = {}
        changed = False
        for f in group:
            for n in f.pedigree.nodes:
                rec = (n.sex, a(n.father), a(n.mother))
                old = nodes.setdefault(a(n.id) or n.id, rec)
                if old == rec:
                    continue
                if old[0] != rec[0]:
                    return None
                for x, y in ((old[1], rec[1]), (old[2], rec[2])):
                    if x != y and not (x in holders and y in holders):
                        return None
                    if x != y:
                        alias[str(y)] = str(x)
                        changed = True
        if not changed:
            break
    else:
        return None
    ped = Pedigree.from_records({"id": i, "sex": sx, "father": fa, "mother": mo}
                                for i, (sx, fa, mo) in nodes.items())
    profiles = {k: dict(v.alleles) for f in group for k, v in f.profiles.items()}
    return ped, [f.missing_node for f in group], profiles


def _groups(families: list[FamilyInput]) -> list[list[FamilyInput]]:
    """Families connected by a shared typed relative, in input order."""
    groups: list[list[FamilyInput]] = []
    for f in families:
        mine = set(f.relative_ids.values())
        hit = [g for g in groups if any(mine & set(h.relative_ids.values()) for h in g)]
        merged = [f] if not hit else [x for g in hit for x in g] + [f]
        groups = [g for g in groups if g not in hit] + [merged]
    return groups


def family_units(inputs: SearchInputs) -> tuple[list[tuple[str, Pedigree, list[str], dict]],
                                                bool]:
    """The problem's families ``(id, pedigree, missing nodes, profiles by node)`` and whether
    some families sharing relatives had to stay separate (conflicting recorded pedigrees)."""
    units, separate = [], False
    for g in _groups(inputs.families):
        m = _merged(g) if len(g) > 1 else None
        if m is not None:
            units.append(("F" + "+".join(str(f.missing_person_id) for f in g), *m))
            continue
        separate = separate or len(g) > 1
        units += [(f"F{f.missing_person_id}", f.pedigree.to_kinship(), [f.missing_node],
                   {k: dict(v.alleles) for k, v in f.profiles.items()}) for f in g]
    return units, separate


def build_problem(case_id: int, inputs: SearchInputs, run: SearchRun
                  ) -> tuple[DVIProblem, bool]:
    """The joint problem of ``inputs`` on the run's evidence model (one panel), and whether
    families sharing relatives stayed separate (:func:`family_units`)."""
    panel = build_panel(run_parameters(run), inputs)
    victims = []
    for r in inputs.remains:
        g = encode_profiles(panel.loci, ["v"], {"v": dict(r.profile.alleles)})[0]
        victims.append((remains_key(r.remains_id), "U", g))
    units, separate = family_units(inputs)
    families = [(fid, ped, missing, encode_profiles(panel.loci, list(ped.ids), profiles))
                for fid, ped, missing, profiles in units]
    return problem_from_arrays(f"case-{case_id}", panel.loci, victims, families), separate


def _missing_id(node: str, inputs: SearchInputs) -> int | None:
    for f in inputs.families:
        if f.missing_node == node:
            return f.missing_person_id
    return None


def analyse(case_id: int, inputs: SearchInputs, run: SearchRun,
            options: DVIOptions = OPTIONS) -> tuple[DVIProblem, dict[str, Any]]:
    """Build and solve (CPU-bound: call it in a thread from the web)."""
    problem, separate = build_problem(case_id, inputs, run)
    result = solve(problem, options)
    return problem, {**result, "separate_families": separate}


def _rows(result: dict[str, Any], inputs: SearchInputs) -> list[JointRow]:
    rows = []
    for r in result["joint"]["top"]:
        pairs = [(int(v[1:]), None if m == NOT_MISSING else _missing_id(m, inputs))
                 for v, m in r["assignment"].items()]
        rows.append(JointRow(pairs, r["log10_lr_vs_null"], r["posterior"]))
    return rows


def _pairwise_best(result: dict[str, Any], inputs: SearchInputs) -> dict[int, int | None]:
    """Per remains the missing person of highest pairwise LR when it is above 1 (else None)."""
    out: dict[int, int | None] = {}
    for v, row in result["pairwise"].items():
        best, top = None, 0.0
        for m, lr in row.items():
            x = lr["log10_lr"]
            if x is not None and x > top:
                best, top = _missing_id(m, inputs), x
        out[int(v[1:])] = best
    return out


# ------------------------------------------------------------------------------ use case
async def joint_analysis(session: AsyncSession, case_id: int,
                         source: ProfileSource | None = None,
                         options: DVIOptions = OPTIONS) -> JointAnalysis | None:
    """The joint analysis of a case, or None when it involves a single remains and a single
    missing person (nothing joint to say) or the profiles cannot be read. Read-only."""
    item = await review.get_case(session, case_id)
    case = item.case
    run = await session.get(SearchRun, item.result.run_id)
    source = source or source_from_spec((run.notes or {}).get("source") if run else None)
    if run is None or source is None:
        return None
    remains_ids, missing_ids, bounded = await _involved(session, case)
    inputs = await _inputs(session, source, case, remains_ids, missing_ids)
    if not inputs.families or not inputs.remains or (
            len(inputs.families) == 1 and len(inputs.remains) == 1):
        return None
    problem, result = await asyncio.to_thread(analyse, case_id, inputs, run, options)
    names = {int(m.id): m.full_name for m in (await session.execute(select(MissingPerson).where(
        MissingPerson.id.in_([f.missing_person_id for f in inputs.families])))).scalars()}
    rows = _rows(result, inputs)
    pw = _pairwise_best(result, inputs)
    best = dict(rows[0].pairs) if rows else {}
    differs = [r for r, m in pw.items() if rows and best.get(r) != m]
    notes = ["homozygotes"]
    if result.pop("separate_families"):
        notes.append("shared_relatives")
    return JointAnalysis(case_id, [r.remains_id for r in inputs.remains],
                         [f.missing_person_id for f in inputs.families], names, result, rows,
                         pw, differs, int(result["joint"]["n_best_tied"]) > 1, bounded, notes,
                         problem)


async def joint_for_page(session: AsyncSession, case_id: int
                         ) -> tuple[JointAnalysis | None, str]:
    """:func:`joint_analysis` for a page or report: ``(analysis, "")``, or ``(None, message)``
    when the problem cannot be built or solved (the message names the family, person or
    locus)."""
    try:
        return await joint_analysis(session, case_id), ""
    except (DVIError, DomainError) as exc:
        return None, str(getattr(exc, "message", None) or exc)


# ------------------------------------------------------------------------ the CLI's format
def _mutation_json(mut: Any) -> Any:
    if mut is None:
        return None
    if isinstance(mut, MutationModel):
        return {k: v for k, v in asdict(mut).items() if v is not None}
    if isinstance(mut, SexSpecificMutation):
        return {"female": _mutation_json(mut.female), "male": _mutation_json(mut.male)}
    raise ValueError(f"mutation model {mut.describe()} cannot be written as JSON")


def _genotypes(problem: DVIProblem, g: Any) -> dict[str, list[str]]:
    return {loc.name: [loc.alleles[int(a)] for a in g[j]]
            for j, loc in enumerate(problem.loci) if (g[j] >= 0).all()}


def problem_json(problem: DVIProblem) -> dict[str, Any]:
    """``problem`` in the ``dnacase dvi solve`` input format (oracle README section 6)."""
    markers = [{"name": loc.name,
                "frequencies": dict(zip(loc.alleles, map(float, loc.freqs), strict=True)),
                "mutation": _mutation_json(loc.mutation)} for loc in problem.loci]
    victims = [{"id": v, "sex": {1: "M", 2: "F"}.get(int(s), "U"), "genotypes": _genotypes(
        problem, g)} for v, s, g in zip(problem.victims, problem.victim_sex,
                                        problem.victim_genotypes, strict=True)]
    families = []
    for f in problem.families:
        genos = {pid: _genotypes(problem, f.references[k])
                 for k, pid in enumerate(f.pedigree.ids) if (f.references[k] >= 0).any()}
        families.append({"id": f.id, "pedigree": f.pedigree.to_records(),
                         "missing": list(f.missing), "genotypes": genos})
    return {"id": problem.id, "markers": markers, "victims": victims, "families": families}


# ------------------------------------------------------------------------------ in words
def person_text(ja: JointAnalysis, m: int | None) -> str:
    """A missing person's name, or "not among them" for ``*``."""
    return _("not among these missing persons") if m is None else ja.names.get(m, f"#{m}")


def assignment_text(ja: JointAnalysis, row: JointRow) -> str:
    """``#1 → A; #11 → B``."""
    return "; ".join(f"#{r} → {person_text(ja, m)}" for r, m in row.pairs)


def remarks(ja: JointAnalysis) -> list[str]:
    """The tie and the differences with the pairwise answer, in the current locale."""
    out = []
    if ja.tied:
        out.append(_("%(n)d assignments tie for the best: the DNA cannot tell these missing "
                     "persons apart; a single pairwise match overstates the identification.",
                     n=int(ja.result["joint"]["n_best_tied"])))
    for r in ja.differs:
        out.append(_("Remains #%(remains)s: the best pairwise match is %(pairwise)s, the best "
                     "joint assignment places them as %(joint)s.", remains=r,
                     pairwise=person_text(ja, ja.pairwise_best.get(r)),
                     joint=person_text(ja, ja.assigned_to(r))))
    out += [_(BOUNDED[what], n=n, kept=kept) for what, n, kept in ja.bounded]
    out += [_(NOTES[k]) for k in ja.notes]
    return out


def engine_text(ja: JointAnalysis) -> str:
    """The engine version and the options of the result."""
    o = ja.result["options"]
    return (f"{ja.result['engine']}; max_assignments={o['max_assignments']}, top={o['top']}, "
            f"{ja.result['joint']['n_assignments']} "
            + _("assignments enumerated") + ("" if ja.result["joint"]["exhaustive"]
                                             else f" ({ja.result['joint']['rule']})"))


def joint_lines(ja: JointAnalysis | None, lang: str) -> dict[str, Any]:
    """The report's joint result in ``lang``: ``joint_title``, ``joint`` (lines: the best
    assignments with their LR against all unrelated and posterior, then the remarks)."""
    with use_locale("vi" if lang == "vi" else "en"):
        title = _("Joint analysis")
        if ja is None:
            return {"joint_title": title, "joint": []}
        lines = [f"{assignment_text(ja, r)}: LR "
                 + ("0" if r.log10_lr is None else numbers.lr_text(r.log10_lr))
                 + f", {_('posterior')} {numbers.percent_text(r.posterior)}" for r in ja.rows]
        return {"joint_title": title,
                "joint": lines + remarks(ja) + [_("Engine") + ": " + engine_text(ja)]}
