"""On a fresh demo (``dnacase demo``, then ``dnacase search resume``: the queued runs executed
on the database's profiles), rival candidates' posteriors sum to at most 1 (per remains and per
missing person), and once one of the two brothers' candidates is confirmed by two reviewers, a
confirmation of its rival is refused, naming the identification and its reviewers."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import select

from dnacase.db import unit_of_work
from dnacase.i18n import use_locale
from dnacase.models.review import ReviewCase
from dnacase.models.search import SearchRun
from dnacase.services import demo, review, search
from dnacase.services import users as users_service
from dnacase.services.errors import Conflict
from dnacase.services.search_inputs import DatabaseProfileSource

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


async def test_fresh_demo_rival_posteriors_and_refused_rival_confirmation(
        sessionmaker, tmp_path, backend):
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
    async with sessionmaker() as s:  # what 'dnacase search resume' executes
        queued = [int(i) for i in (await s.execute(select(SearchRun.id).where(
            SearchRun.status.in_(("interrupted", "queued"))).order_by(SearchRun.id))).scalars()]
    assert queued, "dnacase demo queues a search"
    for run_id in queued:
        run = await search.execute_run(sessionmaker, run_id, DatabaseProfileSource(),
                                       cache_dir=tmp_path / "c")
        assert run.status == "done"
    async with sessionmaker() as s:
        cases = list((await s.execute(select(ReviewCase))).scalars())
    assert cases
    by_remains: dict[int, list[ReviewCase]] = defaultdict(list)
    by_person: dict[int, list[ReviewCase]] = defaultdict(list)
    for c in cases:
        by_remains[c.remains_id].append(c)
        by_person[c.missing_person_id].append(c)
    for group in (*by_remains.values(), *by_person.values()):
        assert sum(c.posterior for c in group) <= 1.0 + 1e-12
    rivals = [g for g in by_remains.values() if len(g) >= 2]
    assert rivals, "the demo holds one remains matching two missing brothers"
    a, b = sorted(rivals[0], key=lambda c: c.id)[:2]
    async with unit_of_work(sessionmaker) as s:
        rev = await users_service.get_by_username(s, "reviewer")
        adm = await users_service.get_by_username(s, "admin")
    for who in (rev, adm):
        async with unit_of_work(sessionmaker) as s:
            case = await review.decide(s, a.id, who, "confirm", "LR and story fit",
                                       acknowledge_rivals=True)
    assert case.status == "confirmed"
    async with sessionmaker() as s:
        assert (await s.get(ReviewCase, b.id)).status == "closed_rival"
    with pytest.raises(Conflict) as exc, use_locale("en"):
        async with unit_of_work(sessionmaker) as s:
            await review.decide(s, b.id, rev, "confirm", "the other brother",
                                acknowledge_rivals=True)
    assert f"case #{a.id}" in exc.value.message
    assert rev.display_name in exc.value.message and adm.display_name in exc.value.message
    async with sessionmaker() as s:
        assert (await s.get(ReviewCase, b.id)).status == "closed_rival"
        assert (await s.execute(select(ReviewCase).where(
            ReviewCase.remains_id == a.remains_id, ReviewCase.status == "confirmed"))
            ).scalars().all() == [await s.get(ReviewCase, a.id)]


async def test_a_profile_reissued_after_the_search_is_named_and_the_used_genotypes_shown(
        sessionmaker, tmp_path, backend):
    """The candidate page shows the genotypes the LR was computed from (the run's profile
    version, not the newer one) and says that a newer profile was imported after the search."""
    from dnacase.models.kits import Sample
    from dnacase.models.profiles import Profile
    from dnacase.services import report

    if backend != "sqlite":
        pytest.skip("the versions shown do not depend on the database")
    async with unit_of_work(sessionmaker) as s:
        await demo.load_demo(s, FIXTURES, upload_dir=tmp_path / "up")
        run = await search.create_run(s, search.SearchParameters())
    run = await search.execute_run(sessionmaker, run.id, DatabaseProfileSource(),
                                   cache_dir=tmp_path / "c")
    async with sessionmaker() as s:
        case = (await review.list_queue(s))[0].case
    used = run.profile_versions["remains"][str(case.remains_id)]
    assert used.startswith("profile:")
    async with unit_of_work(sessionmaker) as s:  # the lab re-issues the remains' profile
        old = await s.get(Profile, int(used.split(":")[1]))
        assert (await s.get(Sample, old.sample_id)).remains_id == case.remains_id
        loci = {k: dict(v) for k, v in old.loci.items()}
        locus = next((k for k, v in loci.items() if len(v.get("alleles") or []) == 2
                      and v.get("type") == "autosomal_STR"), None)
        assert locus is not None, loci
        was = loci[locus]["alleles"]
        loci[locus]["alleles"] = ["99", "99.1"]
        new = Profile(**{k: getattr(old, k) for k in (
            "sample_id", "kit_id", "marker_type", "typing_kit", "lab", "import_id",
            "name_in_file", "n_loci", "n_autosomal", "sex", "digest")},
            loci=loci, version=old.version + 1, supersedes_id=old.id)
        old.status = "superseded"
        s.add(new)
        await s.flush()
        old.superseded_by_id = new.id
    async with sessionmaker() as s:
        d = await report.candidate_detail(s, case.id)
    row = next(r for r in d.loci if r.locus == locus)
    assert row.remains == "/".join(was)  # the genotype the LR used, not the new 99/99.1
    ctx = report.report_context(d, "en")
    assert ctx["newer"] == [f"a newer profile of #{case.remains_id} was imported after this "
                            "search: run the search again"]
    assert ctx["versions"][0] == f"#{case.remains_id}: {used}"
