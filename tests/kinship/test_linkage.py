"""Linked markers (Lander-Green HMM, dnacase.kinship.linkage) against independent references:
the public oracle cases (README section 8), brute-force enumeration over inheritance vectors,
the unlinked engine (far-apart markers) and a single haplotype locus (zero distance)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from dnacase.kinship import Locus, Pedigree, load_cases, missing_person_lr
from dnacase.kinship.case_io import CaseError, parse_case
from dnacase.kinship.linkage import InheritanceSpace, chain_loglik, prune
from dnacase.kinship.linkage.lr import LINKED_NOTE, linked_missing_person_lr

from .brute_linked import brute_linked_likelihood

DATA = Path(__file__).resolve().parents[1] / "data" / "oracle"
RAW = json.loads((DATA / "linked-snp-cases.json").read_text())
CASES = list(zip(load_cases(RAW), RAW, strict=True))

PEDS = {
    "siblings": [
        ("FA", None, None, "M"),
        ("MO", None, None, "F"),
        ("A", "FA", "MO", "M"),
        ("B", "FA", "MO", "F"),
    ],
    "half-sibs": [
        ("FA", None, None, "M"),
        ("M1", None, None, "F"),
        ("M2", None, None, "F"),
        ("A", "FA", "M1", "M"),
        ("B", "FA", "M2", "F"),
    ],
    "nephew": [
        ("FA", None, None, "M"),
        ("MO", None, None, "F"),
        ("A", "FA", "MO", "M"),
        ("S", "FA", "MO", "F"),
        ("SP", None, None, "M"),
        ("B", "SP", "S", "M"),
    ],
    "cousins": [
        ("FA", None, None, "M"),
        ("MO", None, None, "F"),
        ("P1", "FA", "MO", "M"),
        ("P2", "FA", "MO", "F"),
        ("W1", None, None, "F"),
        ("H2", None, None, "M"),
        ("A", "P1", "W1", "F"),
        ("B", "H2", "P2", "M"),
    ],
}


def _ped(name):
    return Pedigree.from_records(
        [{"id": i, "father": f, "mother": m, "sex": s} for i, f, m, s in PEDS[name]]
    )


@pytest.mark.parametrize(("case", "raw"), CASES, ids=[c.id for c, _ in CASES])
def test_oracle_linked_case(case, raw):
    res = case.compute()
    assert res.log10_lr == pytest.approx(raw["expected"]["log10_lr"], abs=1e-12)
    assert res.lr == pytest.approx(raw["expected"]["lr"], rel=1e-11)
    assert res.notes[0] == LINKED_NOTE


def _random_data(rng, ped, n_markers, n_alleles, typed, p_missing=0.0):
    freqs = [rng.dirichlet(np.ones(n_alleles) * 2) for _ in range(n_markers)]
    geno = np.full((len(ped), n_markers, 2), -1)
    for pid in typed:
        for j in range(n_markers):
            if rng.random() >= p_missing:
                geno[ped.index(pid), j] = rng.choice(n_alleles, 2, p=freqs[j])
    cm_m = np.cumsum(rng.choice([0.0, 0.5, 5.0, 30.0], n_markers))
    cm_f = cm_m * rng.uniform(1.0, 2.0)
    return freqs, geno, cm_m, cm_f


def _hmm(ped, freqs, geno, cm_m, cm_f):
    keep = prune(ped, (geno[..., 0] >= 0).any(axis=1))
    sp = InheritanceSpace(ped, keep)
    pad = np.zeros((len(freqs), max(len(p) for p in freqs)))
    for j, p in enumerate(freqs):
        pad[j, : len(p)] = p
    return chain_loglik(sp, geno[keep].transpose(1, 0, 2), pad, cm_m, cm_f).sum()


@pytest.mark.parametrize(
    ("name", "typed", "n_markers", "n_alleles", "p_missing"),
    [
        ("siblings", ["A", "B"], 3, 2, 0.0),
        ("siblings", ["A", "B", "FA"], 3, 3, 0.2),
        ("half-sibs", ["A", "B"], 3, 2, 0.2),
        ("nephew", ["A", "B"], 3, 2, 0.0),
        ("nephew", ["A", "S", "B"], 2, 2, 0.3),
        ("cousins", ["A", "B"], 2, 2, 0.0),
    ],
)
def test_hmm_equals_brute_force(name, typed, n_markers, n_alleles, p_missing):
    ped = _ped(name)
    rng = np.random.default_rng([len(name), len(typed), n_markers, n_alleles])
    male = ped.sex == 1
    for _ in range(3):
        freqs, geno, cm_m, cm_f = _random_data(rng, ped, n_markers, n_alleles, typed, p_missing)
        want = brute_linked_likelihood(ped.father, ped.mother, male, freqs, geno, cm_m, cm_f)
        got = _hmm(ped, freqs, geno, cm_m, cm_f)
        if want == 0:
            assert got == -math.inf
        else:
            assert got == pytest.approx(math.log(want), abs=1e-12)


def test_inheritance_space_is_reduced():
    """Founder phase lumping and pruning: siblings 4 meioses -> 2 bits; nephew 6 -> 3 bits;
    first cousins 8 -> 4 bits; an untyped leaf adds nothing."""
    for name, bits in (("siblings", 2), ("nephew", 3), ("cousins", 4)):
        ped = _ped(name)
        typed = np.array([pid in ("A", "B") for pid in ped.ids])
        sp = InheritanceSpace(ped, prune(ped, typed))
        assert sp.n_states == 2**bits
    ped = _ped("nephew")
    typed = np.array([pid in ("A", "S") for pid in ped.ids])
    keep = prune(ped, typed)
    assert [ped.ids[i] for i in keep] == ["FA", "MO", "A", "S"]


def _snp_loci(rng, n):
    return [
        Locus(f"rs{j}", ("A", "G"), np.array([p, 1 - p]), None)
        for j, p in enumerate(rng.uniform(0.1, 0.9, n))
    ]


@pytest.mark.parametrize("name", ["siblings", "half-sibs", "nephew", "cousins"])
def test_far_apart_markers_equal_unlinked_product(name):
    ped = _ped(name)
    rng = np.random.default_rng(7)
    loci = _snp_loci(rng, 12)
    refs = np.full((len(ped), 12, 2), -1)
    refs[ped.index("B")] = rng.integers(0, 2, (12, 2))
    poi = rng.integers(0, 2, (12, 2))
    poi[3] = -1
    unlinked = missing_person_lr(ped, "A", loci, refs, poi)
    cm = np.arange(12) * 10_000.0  # r = 0.5 exactly in double precision
    linked = linked_missing_person_lr(ped, "A", loci, refs, poi, ["5"] * 12, cm, cm * 1.5)
    assert linked.log10_lr == pytest.approx(unlinked.log10_lr, abs=1e-12)
    np.testing.assert_allclose(linked.log10_per_locus, unlinked.log10_per_locus, atol=1e-12)


@pytest.mark.parametrize("name", ["siblings", "half-sibs", "nephew", "cousins"])
def test_zero_distance_equals_haplotype_locus(name):
    """Two SNPs at 0 cM are one locus with four haplotypes (frequency p_i q_k): where every
    typed person is homozygous at one of the two SNPs the phase is known and the linked LR is
    the single-locus LR on the haplotype locus."""
    ped = _ped(name)
    rng = np.random.default_rng(11)
    for _ in range(10):
        p, q = rng.uniform(0.1, 0.9, 2)
        loci = [
            Locus("s1", ("A", "G"), np.array([p, 1 - p])),
            Locus("s2", ("C", "T"), np.array([q, 1 - q])),
        ]
        hap = Locus(
            "h",
            ("AC", "AT", "GC", "GT"),
            np.array([p * q, p * (1 - q), (1 - p) * q, (1 - p) * (1 - q)]),
        )
        g = {}
        for pid in ("A", "B"):
            h1, h2 = rng.integers(0, 4, 2)
            if (h1 >> 1) != (h2 >> 1) and (h1 & 1) != (h2 & 1):
                h2 = h1 ^ 1  # homozygous at s1: phase known
            g[pid] = (h1, h2)
        refs = np.full((len(ped), 2, 2), -1)
        refs[ped.index("B")] = [[g["B"][0] >> 1, g["B"][1] >> 1], [g["B"][0] & 1, g["B"][1] & 1]]
        poi = np.array([[g["A"][0] >> 1, g["A"][1] >> 1], [g["A"][0] & 1, g["A"][1] & 1]])
        linked = linked_missing_person_lr(
            ped, "A", loci, refs, poi, ["1", "1"], [3.0, 3.0], [4.0, 4.0]
        )
        hrefs = np.full((len(ped), 1, 2), -1)
        hrefs[ped.index("B"), 0] = g["B"]
        single = missing_person_lr(ped, "A", [hap], hrefs, np.array([g["A"]]))
        assert linked.log10_lr == pytest.approx(single.log10_lr, abs=1e-12)


def test_exclusion_names_the_marker():
    ped = Pedigree.from_records(
        [
            {"id": "FA", "father": None, "mother": None, "sex": "M"},
            {"id": "MO", "father": None, "mother": None, "sex": "F"},
            {"id": "A", "father": "FA", "mother": "MO", "sex": "M"},
        ]
    )
    loci = _snp_loci(np.random.default_rng(1), 3)
    refs = np.full((3, 3, 2), -1)
    refs[0] = [[0, 0], [0, 0], [1, 1]]
    poi = np.array([[0, 1], [1, 1], [1, 1]])  # marker 2: father AA, child GG
    res = linked_missing_person_lr(ped, "A", loci, refs, poi, ["1"] * 3, [0, 1, 2], [0, 1, 2])
    assert res.log10_lr == -math.inf and res.lr == 0.0
    assert res.inconsistent == ("rs1",)


def _case():
    return copy.deepcopy(RAW[0])


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"cm_female": None}, "needs both"),
        ({"chromosome": None}, "without 'chromosome'"),
        ({"mutation": {"model": "equal", "rate": 0.001}}, "mutation model"),
        ({"position_mb": 10.0}, "either 'position_mb'"),
    ],
)
def test_case_file_refuses_what_is_not_implemented(patch, message):
    raw = _case()
    m = raw["markers"][1]
    for k, v in patch.items():
        if v is None:
            m.pop(k)
        else:
            m[k] = v
    with pytest.raises(CaseError, match=message) as exc:
        parse_case(raw)
    assert "rs1001_01" in str(exc.value) and raw["id"] in str(exc.value)


def test_case_file_refuses_dropout_with_linkage():
    raw = _case()
    raw["dropout"] = {"POI": 0.1}
    with pytest.raises(CaseError, match="dropout"):
        parse_case(raw)


def test_position_mb_uses_the_shipped_map():
    from dnacase.kinship.linkage.panel import load_genetic_map

    raw = _case()
    for k, m in enumerate(raw["markers"]):
        del m["cm_male"], m["cm_female"]
        m["position_mb"] = 30.0 + 0.5 * k
    case = parse_case(raw)
    cm_m, cm_f = load_genetic_map().cm("1", 30.0 + 0.5 * np.arange(len(raw["markers"])))
    np.testing.assert_array_equal(case.linkage[1], cm_m)
    np.testing.assert_array_equal(case.linkage[2], cm_f)
    assert case.compute().notes[0] == LINKED_NOTE


def test_markers_without_positions_stay_unlinked():
    raw = _case()
    for m in raw["markers"]:
        del m["chromosome"], m["cm_male"], m["cm_female"]
    case = parse_case(raw)
    assert case.linkage is None
    assert "unlinked" in case.compute().notes[0]


def test_chain_increments_sum_to_the_lr():
    case, raw = CASES[8]
    res = case.compute()
    assert math.fsum(res.log10_per_locus) == pytest.approx(raw["expected"]["log10_lr"], abs=1e-12)
    assert res.loci == tuple(m["name"] for m in raw["markers"])


def test_cli_uses_the_linked_model_and_says_so(tmp_path):
    from click.testing import CliRunner

    from dnacase.cli import main

    mixed = _case()
    for m in mixed["markers"]:
        del m["chromosome"], m["cm_male"], m["cm_female"]
    mixed["id"] = "unplaced"
    f = tmp_path / "cases.json"
    f.write_text(json.dumps([RAW[0], mixed]))
    res = CliRunner().invoke(main, ["kinship", "lr", str(f), "--notes"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out[0]["log10_lr"] == pytest.approx(RAW[0]["expected"]["log10_lr"], abs=1e-12)
    assert out[0]["notes"][0] == LINKED_NOTE and "unlinked" in out[1]["notes"][0]
    assert "1 case(s) with linked markers" in res.stderr and "the others" in res.stderr


def test_cli_refuses_a_half_placed_marker(tmp_path):
    from click.testing import CliRunner

    from dnacase.cli import main

    bad = _case()
    del bad["markers"][2]["cm_male"]
    f = tmp_path / "case.json"
    f.write_text(json.dumps(bad))
    res = CliRunner().invoke(main, ["kinship", "lr", str(f)])
    assert res.exit_code == 2
    assert "rs1002_02" in res.stderr and "Traceback" not in res.output


def test_simulator_follows_the_map():
    """At 0 cM a gamete copies one parental haplotype whole; 10,000 cM apart the origins
    are fair coins."""
    from dnacase.kinship.linkage.simulate import simulate_linked

    ped = _ped("siblings")
    rng = np.random.default_rng(3)
    m = 400
    freqs = np.tile([0.5, 0.5], (m, 1))
    g = simulate_linked(ped, freqs, ["1"] * m, np.zeros(m), np.zeros(m), rng)
    fa, a = g[ped.index("FA")], g[ped.index("A")]
    assert (a[:, 0] == fa[:, 0]).all() or (a[:, 0] == fa[:, 1]).all()
    far = np.arange(m) * 10_000.0
    g = simulate_linked(ped, freqs, ["1"] * m, far, far, rng)
    fa, a = g[ped.index("FA")], g[ped.index("A")]
    het = fa[:, 0] != fa[:, 1]
    share = (a[het, 0] == fa[het, 0]).mean()
    assert 0.35 < share < 0.65


@pytest.mark.parametrize("name", ["half-sibs", "nephew"])
def test_lr_has_expectation_one_under_h2(name):
    """sum over every POI genotype g of P_HW(g) LR(g) = sum_g P(refs, g | H1) / P(refs) = 1
    exactly: the linked H1 likelihood is normalised and consistent with H2's."""
    import itertools

    ped = _ped(name)
    rng = np.random.default_rng(5)
    loci = _snp_loci(rng, 4)
    refs = np.full((len(ped), 4, 2), -1)
    refs[ped.index("B")] = [[0, 1], [1, 1], [0, 0], [0, 1]]
    cm = np.array([0.0, 2.0, 2.5, 30.0])
    pad = np.array([loc.freqs for loc in loci])
    total = 0.0
    for gs in itertools.product([(0, 0), (0, 1), (1, 1)], repeat=4):
        poi = np.array(gs)
        res = linked_missing_person_lr(ped, "A", loci, refs, poi, ["7"] * 4, cm, cm * 1.7)
        hw = np.prod([pad[j, a] * pad[j, b] * (2 if a != b else 1) for j, (a, b) in enumerate(gs)])
        total += hw * 10.0**res.log10_lr
    assert total == pytest.approx(1.0, abs=1e-12)


def test_state_space_limit_is_an_error_item(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from dnacase.cli import main
    from dnacase.kinship.linkage import lr as linked_lr

    monkeypatch.setattr(linked_lr, "MAX_STATE_BITS", 1)
    f = tmp_path / "case.json"
    f.write_text(json.dumps(RAW[0]))
    res = CliRunner().invoke(main, ["kinship", "lr", str(f)])
    assert res.exit_code == 1
    assert "2^2 inheritance vectors (limit 2^1)" in json.loads(res.stdout)["error"]
