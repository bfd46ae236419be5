"""One model of the evidence (services/evidence_model.py): an imported table is used by the
search with exactly its own LRs; per-locus, per-sex rates and microvariant steps; the QC and the
search build the same loci; theta is refused rather than half-applied."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from test_search_support import LOCI, build_world

from dnacase.formats import load_frequency_table
from dnacase.kinship import (
    Locus,
    MutationModel,
    Pedigree,
    SexSpecificMutation,
    encode_profiles,
    hypothesis_lr,
    missing_person_lr,
    unrelated,
)
from dnacase.models.search import SearchResult
from dnacase.services import evidence_model, frequencies, search
from dnacase.services.errors import NotFound, ValidationFailed
from dnacase.services.search_inputs import gather_inputs

DATA = Path(evidence_model.__file__).resolve().parents[1] / "data" / "reference"


def _kinh_bytes() -> bytes:
    """A synthetic 'Kinh' table: NIST 1036 Asian on the world's loci, each locus reweighted
    (so its LRs differ from every shipped table), minus one allele per locus (so the 5/2N
    minimum is exercised), N = 350."""
    t = load_frequency_table("nist1036_asian")
    out = ["# population=Kinh (synthetic test table), N=350", "locus,allele,frequency"]
    for locus in LOCI:
        alleles = t.alleles(locus)[1:]  # drop the smallest allele
        w = np.array([t.frequencies[locus][a] * (1.0 + 0.5 * (i % 3))
                      for i, a in enumerate(alleles)])
        w /= w.sum()
        out += [f"{locus},{a},{float(f)!r}" for a, f in zip(alleles, w, strict=True)]
    return ("\n".join(out) + "\n").encode()


def _rates() -> dict[str, float]:
    text = (DATA / "mutation_rates_autosomal.csv").read_text()
    rows = csv.DictReader(io.StringIO("\n".join(
        ln for ln in text.splitlines() if not ln.startswith("#"))))
    return {r["locus"]: float(r["rate"]) for r in rows}


def _independent_loci(data: bytes, seen: dict[str, set[str]], n: int) -> dict[str, Locus]:
    """The loci written from the definitions (not from evidence_model): the file's
    frequencies, unseen alleles at 5/2N then renormalised, stepwise with the shipped pooled
    rate r per locus, fathers 1.7 r and mothers 0.3 r, range 0.1, rate2 1e-5."""
    freqs: dict[str, dict[str, float]] = {}
    for row in csv.DictReader(io.StringIO("\n".join(
            ln for ln in data.decode().splitlines() if not ln.startswith("#")))):
        freqs.setdefault(row["locus"], {})[row["allele"]] = float(row["frequency"])
    rates = _rates()
    out = {}
    for locus, f in freqs.items():
        total = sum(f.values())
        f = {a: v / total for a, v in f.items()}
        for a in sorted(seen.get(locus, ())):
            if a not in f:
                f[a] = 5 / (2 * n)
        total = sum(f.values())
        r = rates[locus]
        mut = SexSpecificMutation(MutationModel("stepwise", 0.3 * r, 0.1, 1e-5),
                                  MutationModel("stepwise", 1.7 * r, 0.1, 1e-5))
        out[locus] = Locus(locus, tuple(f), np.array(list(f.values())) / total, mut)
    return out


async def test_imported_table_gives_its_own_lrs_in_the_search(sessionmaker, tmp_path):
    data = _kinh_bytes()
    async with sessionmaker() as s, s.begin():
        world = await build_world(s)
        await frequencies.import_table(s, data, "kinh.csv", population="Kinh (test)",
                                       table_id="kinh_test", actor=None)
        run = await search.create_run(s, search.SearchParameters(frequency_table="kinh_test"))
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "c")
    assert run.status == "done"
    model = run.notes["evidence_model"]
    assert model["frequency_table"] == "kinh_test" and model["n_individuals"] == 350
    assert model["theta"] == 0.0 and model["mutation_rate2"] == 1e-5
    assert run.parameters["theta"] == 0.0 and run.parameters["frequency_table"] == "kinh_test"
    async with sessionmaker() as s:
        rows = {(r.remains_id, r.missing_person_id): r for r in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == run.id))).scalars()}
        inputs = await gather_inputs(s, world.source)
    seen: dict[str, set[str]] = {}
    for prof in [r.profile for r in inputs.remains] + [
            p for f in inputs.families for p in f.profiles.values()]:
        for locus, pair in prof.alleles.items():
            seen.setdefault(locus, set()).update(pair)
    by_name = _independent_loci(data, seen, 350)
    loci = [by_name[name] for name in LOCI]
    assert any(a not in by_name[k].alleles[:-1] for k in LOCI for a in seen[k])  # 5/2N used
    panel = search.build_panel(search.run_parameters(run), inputs,
                               load_frequency_table(data, population="Kinh (test)"))
    checked = 0
    for fam_in in inputs.families:
        fam, _ = search.family_arrays(panel, fam_in)
        refs = encode_profiles(loci, list(fam.pedigree.ids),
                               {node: dict(p.alleles) for node, p in fam_in.profiles.items()})
        for rem in inputs.remains:
            poi = encode_profiles(loci, ["x"], {"x": dict(rem.profile.alleles)})[0]
            direct = missing_person_lr(fam.pedigree, fam.missing, loci, refs, poi)
            key = (rem.remains_id, fam_in.missing_person_id)
            if direct.log10_lr >= 2.0:
                assert rows.pop(key).log10_lr == pytest.approx(direct.log10_lr, abs=1e-9)
                checked += 1
            else:
                assert key not in rows
    assert not rows and checked >= 6
    # the same search on the default table gives other LRs: the imported table was used
    async with sessionmaker() as s, s.begin():
        other = await search.create_run(s, search.SearchParameters())
    other = await search.execute_run(sessionmaker, other.id, world.source,
                                     cache_dir=tmp_path / "c")
    assert other.notes["evidence_model"]["frequency_table"] == "norstr_east_asia"


async def test_unknown_table_and_theta_are_refused(db_session):
    with pytest.raises(NotFound):
        await search.create_run(db_session, search.SearchParameters(frequency_table="nope"))
    with pytest.raises(ValidationFailed) as exc:
        await search.create_run(db_session, search.SearchParameters(theta=0.01))
    assert "theta" in exc.value.field_errors
    with pytest.raises(ValidationFailed):
        await search.create_run(db_session, search.SearchParameters(mutation_rate2=1.5))


def test_default_loci_are_per_locus_and_per_sex_with_microvariant_steps():
    table = load_frequency_table(evidence_model.DEFAULTS.frequency_table)
    rates = _rates()
    for name, alleles in (("SE33", ["20"]), ("TPOX", ["8"]), ("D21S11", ["30", "31.2"])):
        loc, _ = evidence_model.kinship_locus(table, name, alleles)
        female, male = loc.matrices()
        i = loc.alleles.index(alleles[0])
        # the chance of any change in one meiosis = the locus rate (per sex) + rate2 when the
        # locus has alleles of another class (pedmut stepwise: TPOX in this table has none)
        r2 = 1e-5 if any(float(a) % 1 for a in loc.alleles) else 0.0
        assert 1 - male[i, i] == pytest.approx(1.7 * rates[name] + r2, rel=1e-9)
        assert 1 - female[i, i] == pytest.approx(0.3 * rates[name] + r2, rel=1e-9)
        assert np.allclose(male.sum(axis=1), 1.0)
    loc, _ = evidence_model.kinship_locus(table, "D21S11", [])
    _, male = loc.matrices()
    a, b = loc.alleles.index("30"), loc.alleles.index("31.2")
    n_other = sum(1 for x in loc.alleles if round(10 * (float(x) % 1)) != 0)
    # 30 -> 31.2: a step to another allele class, rate2 / |other classes| (pedmut stepwise)
    assert male[a, b] == pytest.approx(1e-5 / n_other) and male[b, a] > 0


def test_microvariant_step_no_longer_excludes_a_father():
    """Father 30/30, son 31.2/31.2 at D21S11 with one untyped mother: LR > 0 with rate2 > 0
    (closed form: the son's paternal allele came by a class step from 30, probability
    rate2_male / |D_30|; today's rate2 = 0 gave an exclusion)."""
    table = load_frequency_table(evidence_model.DEFAULTS.frequency_table)
    loc, _ = evidence_model.kinship_locus(table, "D21S11", ["30", "31.2"])
    i, j = loc.alleles.index("30"), loc.alleles.index("31.2")
    _, male = loc.matrices()
    p = loc.freqs
    trio = Pedigree.from_records([{"id": "F", "sex": "M"}, {"id": "M", "sex": "F"},
                                  {"id": "S", "sex": "M", "father": "F", "mother": "M"}])
    res = hypothesis_lr(trio, unrelated(["F", "S"]), [loc],
                        {"F": np.array([[i, i]]), "S": np.array([[j, j]])})
    # P(son | father) / P(son): paternal allele 30 -> 31.2 (male[i, j]); maternal allele from
    # an untyped mother (p M_female)[j]; unrelated: p_j^2
    female, _ = loc.matrices()
    maternal = float(p @ female[:, j])
    expected = math.log10(male[i, j] * maternal / p[j] ** 2)
    assert res.log10_lr == pytest.approx(expected, rel=1e-9)
    assert math.isfinite(res.log10_lr)


def test_qc_and_search_build_the_same_loci():
    table = load_frequency_table(evidence_model.DEFAULTS.frequency_table)
    loci, notes = evidence_model.kinship_loci(table, {"TH01": {"9.3", "6"}, "SE33": {"99.9"}})
    assert [loc.name for loc in loci] == [n for n in table.loci if n in ("TH01", "SE33")]
    se33 = next(loc for loc in loci if loc.name == "SE33")
    # N undocumented for norSTR: 5/2N with N = fallback_n, then renormalised
    f_new = 5 / (2 * evidence_model.DEFAULTS.fallback_n)
    assert se33.freqs[se33.alleles.index("99.9")] == pytest.approx(f_new / (1 + f_new))
    assert any("99.9" in n for n in notes) and any("not documented" in n for n in notes)


def test_runs_recorded_before_the_model_keep_their_meaning():
    """A run recorded before per-locus, per-sex rates and rate2 existed is resumed with its own
    model (one pooled rate, no microvariant steps), not with today's defaults."""
    from dnacase.models.search import SearchRun

    old = SearchRun(frequency_table="nist1036_asian", parameters={
        "frequency_table": "nist1036_asian", "mutation_model": "stepwise",
        "mutation_rate": 0.001, "mutation_range": 0.1})
    ev = search.run_parameters(old).evidence()
    assert (ev.frequency_table, ev.mutation_rate, ev.mutation_rate2, ev.sex_specific) == (
        "nist1036_asian", 0.001, 0.0, False)
    assert ev.locus_mutation("SE33") == MutationModel("stepwise", 0.001, 0.1, 0.0)
    new = search.SearchParameters().evidence()
    assert new == evidence_model.DEFAULTS


async def test_search_with_silent_alleles_equals_the_engine(sessionmaker, tmp_path):
    """null_alleles on two loci: the run records them, its panel carries the silent allele,
    and every stored pair is missing_person_lr on those loci (single peaks there summed over
    {a, a} and {a, null}); a q outside (0, 1) is refused."""
    from dnacase.kinship.peaks import NULL_ALLELE

    nulls = ((LOCI[0], 0.02), (LOCI[3], 0.05))
    with pytest.raises(ValidationFailed):
        search.SearchParameters(null_alleles=((LOCI[0], 1.5),)).validate()
    async with sessionmaker() as s, s.begin():
        world = await build_world(s)
        run = await search.create_run(s, search.SearchParameters(null_alleles=nulls))
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path / "c")
    assert run.status == "done"
    assert run.notes["evidence_model"]["null_alleles"] == dict(nulls)
    async with sessionmaker() as s:
        rows = {(r.remains_id, r.missing_person_id): r for r in (await s.execute(
            select(SearchResult).where(SearchResult.run_id == run.id))).scalars()}
        inputs = await gather_inputs(s, world.source)
    panel = search.build_panel(search.run_parameters(run), inputs)
    by = {loc.name: loc for loc in panel.loci}
    assert by[LOCI[0]].alleles[-1] == NULL_ALLELE and NULL_ALLELE not in by[LOCI[1]].alleles
    checked = 0
    for fam_in in inputs.families:
        fam, _ = search.family_arrays(panel, fam_in)
        for rem in inputs.remains:
            poi = encode_profiles(panel.loci, ["x"], {"x": dict(rem.profile.alleles)})[0]
            direct = missing_person_lr(fam.pedigree, fam.missing, panel.loci, fam.references,
                                       poi, ref_peaks=fam.peaks,
                                       poi_peaks=search.peak_weights(panel, rem.profile))
            key = (rem.remains_id, fam_in.missing_person_id)
            if direct.log10_lr >= 2.0:
                assert rows.pop(key).log10_lr == pytest.approx(direct.log10_lr, abs=1e-9)
                checked += 1
            else:
                assert key not in rows
    assert not rows and checked >= 6
