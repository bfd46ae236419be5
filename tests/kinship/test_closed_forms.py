"""Known closed forms for pairwise LRs (no mutation)."""

from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import (
    Locus,
    PedigreeBuilder,
    hypothesis_lr,
    missing_person_lr,
    relationship_pedigree,
    unrelated,
)

P = np.array([0.1, 0.2, 0.3, 0.4])
LOC = Locus("L", ("a", "b", "c", "d"), P)
A, B, C = 0, 1, 2


def _mp_lr(relationship, ref, poi):
    b = PedigreeBuilder("MP", "M")
    b.add_relative("R", relationship)
    ped = b.build()
    refs = np.full((len(ped), 1, 2), -1, dtype=np.int32)
    refs[ped.index("R"), 0] = ref
    return 10.0 ** missing_person_lr(ped, "MP", [LOC], refs, np.array([poi])).log10_lr


@pytest.mark.parametrize("rel", ["father", "mother", "son", "daughter"])
def test_parent_child(rel):
    pa = P[A]
    assert _mp_lr(rel, (A, C), (A, B)) == pytest.approx(1 / (4 * pa), rel=1e-12)
    assert _mp_lr(rel, (A, C), (A, A)) == pytest.approx(1 / (2 * pa), rel=1e-12)
    assert _mp_lr(rel, (C, C), (A, B)) == 0.0


def test_full_siblings():
    pa, pb = P[A], P[B]
    f = lambda r, q: _mp_lr("brother", r, q)  # noqa: E731
    assert f((A, B), (A, B)) == pytest.approx(
        (1 + pa + pb + 2 * pa * pb) / (8 * pa * pb), rel=1e-12
    )
    assert f((A, A), (A, A)) == pytest.approx((1 + pa) ** 2 / (4 * pa**2), rel=1e-12)
    assert f((A, B), (C, C)) == pytest.approx(0.25, rel=1e-12)
    assert f((A, B), (A, C)) == pytest.approx((1 + 2 * pa) / (8 * pa), rel=1e-12)


@pytest.mark.parametrize(
    "rel",
    [
        "paternal-half-sibling",
        "maternal-half-sibling",
        "paternal-grandfather",
        "maternal-grandmother",
        "paternal-uncle",
        "maternal-aunt",
        "nephew",
        "grandchild",
    ],
)
def test_second_degree(rel):
    pa = P[A]
    assert _mp_lr(rel, (A, B), (A, C)) == pytest.approx(0.5 + 1 / (8 * pa), rel=1e-12)


@pytest.mark.parametrize(
    ("rel", "k"),
    [
        ("father", (0, 1, 0)),
        ("brother", (0.25, 0.5, 0.25)),
        ("paternal-half-sibling", (0.5, 0.5, 0)),
        ("first-cousin", (0.75, 0.25, 0)),
        ("first-cousin-once-removed", (0.875, 0.125, 0)),
        ("great-grandchild", (0.75, 0.25, 0)),
        ("grandson", (0.5, 0.5, 0)),
    ],
)
def test_ibd_formula_all_genotype_pairs(rel, k):
    """LR = k0 + k1 P(g_ref | g_poi, IBD=1)/P(g_ref) + k2 [g_ref = g_poi]/P(g_ref)."""
    k0, k1, k2 = k
    gts = [(i, j) for i in range(4) for j in range(i, 4)]

    def hw(g):
        return P[g[0]] ** 2 if g[0] == g[1] else 2 * P[g[0]] * P[g[1]]

    for ref in gts:
        for poi in gts:
            want_ibd1 = 0.0
            for shared in poi:
                if shared == ref[0]:
                    want_ibd1 += 0.5 * P[ref[1]]
                elif shared == ref[1]:
                    want_ibd1 += 0.5 * P[ref[0]]
            want = k0 + k1 * want_ibd1 / hw(ref) + k2 * (ref == poi) / hw(ref)
            assert _mp_lr(rel, ref, poi) == pytest.approx(want, rel=1e-11, abs=1e-14), (ref, poi)


def test_pairwise_hypotheses():
    """Full siblings vs half siblings via hypothesis_lr equals the ratio of the two LRs."""
    h1 = relationship_pedigree("brother", "X", "Y", "M")
    h2 = relationship_pedigree("paternal-half-sibling", "X", "Y", "M")
    h0 = unrelated(["X", "Y"], ["M", "M"])
    prof = {"X": np.array([[A, B]]), "Y": np.array([[A, C]])}
    lr_fs = hypothesis_lr(h1, h0, [LOC], prof)
    lr_hs = hypothesis_lr(h2, h0, [LOC], prof)
    lr_fs_hs = hypothesis_lr(h1, h2, [LOC], prof, ("full siblings", "half siblings"))
    pa = P[A]
    assert 10**lr_fs.log10_lr == pytest.approx((1 + 2 * pa) / (8 * pa), rel=1e-12)
    assert lr_fs_hs.log10_lr == pytest.approx(lr_fs.log10_lr - lr_hs.log10_lr, abs=1e-13)
    assert lr_fs_hs.hypotheses == ("full siblings", "half siblings")
    po = relationship_pedigree("father", "X", "Y", "M")
    bad = hypothesis_lr(po, h0, [LOC], {"X": np.array([[A, B]]), "Y": np.array([[C, C]])})
    assert bad.log10_lr == -np.inf and bad.lr == 0.0 and bad.inconsistent == ("L",)
