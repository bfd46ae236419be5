"""Lineage filter: with ``lineage_filter`` the stored pairs are exactly the unfiltered pairs
minus the pairs whose mtDNA / Y haplotypes exclude a common lineage (all-pairs reference)."""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from test_search_support import build_world

from dnacase.kinship.lineage import (
    LineageClass,
    MtHaplotype,
    YHaplotype,
    compare_mtdna,
    compare_ystr,
    mtdna_references,
    ystr_references,
)
from dnacase.models.search import SearchResult
from dnacase.services import search
from dnacase.services.search_inputs import LineageInput, gather_inputs, lineage_from_loci

RANGE = "16024-16569 1-576"
POSITIONS = (16093, 16129, 16172, 16223, 16278, 16311, 16362, 73, 150, 152, 195, 263, 489)
Y_LOCI = ("DYS19", "DYS390", "DYS391", "DYS392", "DYS393", "DYS437", "DYS438", "DYS439")


def _mt(rng: np.random.Generator, k: int = 4) -> MtHaplotype:
    picks = sorted(rng.choice(len(POSITIONS), size=k, replace=False).tolist())
    return MtHaplotype.from_notation([f"{POSITIONS[i]}{'T' if POSITIONS[i] < 16000 else 'C'}"
                                      if POSITIONS[i] != 263 else "263G" for i in picks], RANGE)


def _mutate(h: MtHaplotype, n: int, rng: np.random.Generator) -> MtHaplotype:
    have = {v.position for v in h.variants}
    free = [p for p in POSITIONS if p not in have and p != 263]
    extra = [f"{p}{'T' if p < 16000 else 'C'}" for p in rng.choice(free, n, replace=False)]
    return MtHaplotype.from_notation([str(v) for v in h.variants] + extra, RANGE)


def _y(rng: np.random.Generator) -> YHaplotype:
    return YHaplotype.from_cells({loc: str(int(rng.integers(10, 16))) for loc in Y_LOCI})


async def _setup(sessionmaker):
    rng = np.random.default_rng(11)
    async with sessionmaker() as s, s.begin():
        world = await build_world(s, n_families=6, n_unrelated=4)
        inputs = await gather_inputs(s, world.source)
    src = world.source
    fam_mt: dict[int, MtHaplotype] = {}
    fam_y: dict[int, YHaplotype] = {}
    for fam in inputs.families:
        ped = fam.pedigree.to_kinship()
        mt, y = _mt(rng), _y(rng)
        fam_mt[fam.missing_person_id], fam_y[fam.missing_person_id] = mt, y
        for node, rid in fam.relative_ids.items():
            in_mt = bool(mtdna_references(ped, fam.missing_node, [node]).in_line)
            in_y = bool(ystr_references(ped, fam.missing_node, [node]).in_line)
            # relatives outside the line carry their own (different) haplotypes
            src.relative_lineage[rid] = LineageInput(mt if in_mt else _mt(rng),
                                                     y if in_y else _y(rng), f"lin{rid}")
    truth_remains = [r for r, m in world.truth.items() if m is not None]
    for n, r in enumerate(world.remains_ids):
        mp = world.truth[r]
        if mp is None:
            src.remains_lineage[r] = LineageInput(_mt(rng), None, f"linr{r}")
        elif n == 0:
            continue  # no lineage data: compared as usual
        elif r == truth_remains[1]:  # three differences: the true family is excluded by mtDNA
            src.remains_lineage[r] = LineageInput(_mutate(fam_mt[mp], 3, rng), None, "x")
        elif r == truth_remains[2]:  # mtDNA excludes, Y cannot exclude: kept
            src.remains_lineage[r] = LineageInput(_mutate(fam_mt[mp], 3, rng), fam_y[mp], "x")
        else:
            src.remains_lineage[r] = LineageInput(fam_mt[mp], fam_y[mp], f"linr{r}")
    return world, inputs


def _excluded(world, inputs) -> set[tuple[int, int]]:
    """All-pairs reference: comparable markers all exclude."""
    src = world.source
    out = set()
    for fam in inputs.families:
        ped = fam.pedigree.to_kinship()
        lin = {n: src.relative_lineage[rid] for n, rid in fam.relative_ids.items()}
        mt_refs = [lin[x.id].mt for x in mtdna_references(ped, fam.missing_node, list(lin)).in_line]
        y_refs = [lin[x.id].y for x in ystr_references(ped, fam.missing_node, list(lin)).in_line]
        for rem in inputs.remains:
            rl = src.remains_lineage.get(rem.remains_id)
            if rl is None:
                continue
            verdicts = []
            if rl.mt is not None and mt_refs:
                verdicts.append(all(compare_mtdna(rl.mt, h).classification
                                    == LineageClass.EXCLUDED for h in mt_refs))
            if rl.y is not None and y_refs:
                verdicts.append(all(compare_ystr(rl.y, h, 1).classification
                                    == LineageClass.EXCLUDED for h in y_refs))
            if verdicts and all(verdicts):
                out.add((rem.remains_id, fam.missing_person_id))
    return out


async def _pairs(sessionmaker, world, tmp_path, **kw):
    params = search.SearchParameters(block_families=2, store_min_log10=-1000.0, **kw)
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, params)
    run = await search.execute_run(sessionmaker, run.id, world.source, cache_dir=tmp_path)
    async with sessionmaker() as s:
        rows = (await s.execute(select(SearchResult).where(
            SearchResult.run_id == run.id))).scalars().all()
    return run, {(r.remains_id, r.missing_person_id): r.log10_lr for r in rows}


async def test_filtered_pairs_are_the_unfiltered_minus_the_lineage_excluded(sessionmaker,
                                                                            tmp_path):
    world, inputs = await _setup(sessionmaker)
    plain_run, plain = await _pairs(sessionmaker, world, tmp_path, lineage_filter=False)
    run, filtered = await _pairs(sessionmaker, world, tmp_path, lineage_filter=True)
    assert plain_run.parameters["lineage_filter"] is False
    assert run.parameters["lineage_filter"] is True
    excluded = _excluded(world, inputs)
    in_plain = excluded & set(plain)
    assert len(in_plain) >= 10  # the filter removes real pairs, not only impossible ones
    assert set(filtered) == set(plain) - excluded
    assert all(filtered[k] == plain[k] for k in filtered)
    assert run.notes["lineage_filter"]["pairs_excluded"] == len(excluded)
    # excluded pairs are never scored: the filter runs before the autosomal screen
    assert run.pairs_total == run.pairs_done == plain_run.pairs_total - len(excluded)
    truth = [(r, m) for r, m in world.truth.items() if m is not None]
    assert truth[1] in excluded and truth[1] not in filtered  # mtDNA excluded the true family
    assert truth[2] not in excluded  # mtDNA excludes but Y cannot: compared
    assert truth[0] not in excluded  # no lineage data on the remains: compared as usual


def test_haplotypes_from_stored_profile_versions():
    mt = lineage_from_loci("mtDNA", {"variants": ["16223T", "73G", "263G", "315.1C"],
                                     "ranges": [[16024, 16569], [1, 576]], "haplogroup": "M"})
    assert mt == MtHaplotype.from_notation("16223T 73G 263G 315.1C", RANGE)
    y = lineage_from_loci("Y_STR", {"DYS19": {"type": "Y_STR", "alleles": ["14"]},
                                    "DYS385": {"type": "Y_STR", "alleles": ["13", "17"]},
                                    "DYS391": {"type": "Y_STR", "alleles": []}})
    assert y == YHaplotype.from_cells({"DYS19": "14", "DYS385": "13,17", "DYS391": None})
    assert lineage_from_loci("autosomal_STR", {}) is None


async def test_database_source_reads_imported_mtdna_and_the_filter_uses_it(sessionmaker,
                                                                           tmp_path):
    import json

    from test_profile_import import LAB, build_lab, good_file

    from dnacase.i18n import use_locale
    from dnacase.services import audit
    from dnacase.services import profile_import as pi
    from dnacase.services.search_inputs import DatabaseProfileSource

    async with sessionmaker() as s, s.begin():
        lab = await build_lab(s, tmp_path)
    data, _samples = good_file(lab)
    ranges = [[16024, 16569], [1, 576]]
    same = ["16223T", "16362C", "73G", "263G"]
    other = ["16129A", "16172C", "16311C", "150T", "263G"]
    doc = {"format": "dnacase-profile", "version": 1, "profiles": [
        {"type": "mtdna", "sample": code, "ranges": ranges, "variants": v, "haplogroup": None}
        for code, v in ((lab.mother, same), (lab.brother, same), (lab.remains[0], same),
                        (lab.remains[1], other))]}
    with use_locale("en"):
        async with sessionmaker() as s, s.begin():
            await pi.commit_import(s, data, "auto.txt", lab=LAB, actor=audit.SYSTEM)
            rep = await pi.commit_import(s, json.dumps(doc).encode(), "mt.json", lab=LAB,
                                         actor=audit.SYSTEM)
            assert rep.ok, [i.to_dict() for i in rep.errors]
    source = DatabaseProfileSource()
    async with sessionmaker() as s:
        rel = await source.lineage_profiles(s, "reference", [lab.mother_id, lab.brother_id])
    assert rel[lab.mother_id].mt == MtHaplotype.from_notation(same, "16024-16569 1-576")
    assert rel[lab.brother_id].y is None and rel[lab.mother_id].version.startswith("profile:")
    async with sessionmaker() as s, s.begin():
        run = await search.create_run(s, search.SearchParameters(
            lineage_filter=True, store_min_log10=-1000.0))
    run = await search.execute_run(sessionmaker, run.id, source, cache_dir=tmp_path / "t")
    lf = run.notes["lineage_filter"]
    assert (lf["families_mtDNA"], lf["remains_mtDNA"], lf["pairs_excluded"]) == (1, 2, 1)
    async with sessionmaker() as s:
        stored = set((await s.execute(select(SearchResult.remains_id).where(
            SearchResult.run_id == run.id))).scalars())
    missing = {int(k) for k in lf["versions"]["remains"]} - stored
    assert len(stored) == run.n_remains - 1 and len(missing) == 1  # the other mtDNA lineage


def test_block_pairs_combine_the_lineage_filter_with_an_incremental_run():
    """The pair lists against set logic on a random grid: a family is compared with the
    remains the lineage markers leave, intersected with the changed remains when its own
    data did not change; families without lineage data and with changed data get every
    remains (dense)."""
    rng = np.random.default_rng(4)
    nr, nf = 40, 17
    rem_mt, rem_y = rng.random(nr) < 0.6, rng.random(nr) < 0.3
    fam_mt, fam_y = rng.random(nf) < 0.6, rng.random(nf) < 0.3
    comparable = {(r, f) for r in range(nr) for f in range(nf)
                  if (rem_mt[r] and fam_mt[f]) or (rem_y[r] and fam_y[f])}
    kept = sorted(rng.choice(sorted(r * nf + f for r, f in comparable), size=60, replace=False))
    lf = search.LineageFilter(nf, rem_mt, rem_y, fam_mt, fam_y, np.array(kept, np.int64))
    excluded = comparable - {(k // nf, k % nf) for k in kept}
    assert lf.pairs_excluded() == len(excluded)
    full = rng.random(nf) < 0.5
    subset = np.sort(rng.choice(nr, size=9, replace=False))
    for fam_full, sub in ((None, None), (full, subset)):
        got: set[tuple[int, int]] = set()
        for f0 in range(0, nf, 5):
            f1 = min(nf, f0 + 5)
            plan = search.block_pairs(f0, f1, lf, fam_full, sub)
            listed, indptr, rem = plan if plan is not None else (np.zeros(f1 - f0, bool), [0], [])
            k = 0
            for i in range(f1 - f0):
                if listed[i]:
                    got |= {(int(r), f0 + i) for r in rem[indptr[k]:indptr[k + 1]]}
                    k += 1
                else:
                    got |= {(r, f0 + i) for r in range(nr)}
            assert search.count_pairs(f0, f1, nr, lf, fam_full, sub) == sum(
                1 for _r, f in got if f0 <= f < f1)
        want = {(r, f) for r in range(nr) for f in range(nf) if (r, f) not in excluded
                and (fam_full is None or fam_full[f] or r in set(subset.tolist()))}
        assert got == want
