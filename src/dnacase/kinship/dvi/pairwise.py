"""Family likelihoods with victims placed, cached per (family, victims assigned to which
missing person), and the pairwise LR matrix.

Units: natural logs of likelihoods summed over loci (markers unlinked), except where a name
says log10. For family f with references R_f and a configuration c (missing person -> victim)::

    ln L_f(c) = ln P(R_f, victims of c at their missing persons | pedigree f)
    ln L_null = sum_f ln L_f({}) + sum_v ln P_HW(g_v)

and the log LR of a configuration against all-``*`` is
``ln L_f(c) - ln L_f({}) - sum_{v in c} ln P_HW(g_v)``. The pairwise LR of victim V as missing
person M is that of the one-pair configuration {M: V}: the single-POI missing-person LR.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..likelihood import LikelihoodError, loglik_per_locus, query_genotype_tables
from ..lr import log10_hw
from .problem import DVIError, DVIProblem

__all__ = ["FamilyLikelihoods", "incompatible_loci", "pairwise_log_lr"]

_LN10 = math.log(10.0)

Config = tuple[tuple[str, int], ...]  # sorted ((missing person, victim index), ...)


class FamilyLikelihoods:
    """Cached ``ln L_f(c)`` and configuration log LRs of one problem (see module docstring).

    ``max_clique``: the engine's complexity limit; a family beyond it raises
    :class:`DVIError` naming the family."""

    def __init__(self, problem: DVIProblem, max_clique: int | None = None) -> None:
        self.problem = problem
        self.max_clique = max_clique
        self._cache: dict[tuple[int, Config], float] = {}
        self.hw = np.array([float(log10_hw(problem.loci, g).sum()) * _LN10
                            for g in problem.victim_genotypes])
        self.evaluations = 0

    def loglik(self, f: int, config: Config) -> float:
        """``ln L_f(config)``: natural log, summed over loci (``-inf`` when impossible)."""
        key = (f, config)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        fam = self.problem.families[f]
        g = self._placed(fam, config)
        try:
            per = loglik_per_locus(fam.pedigree, self.problem.loci, g, self.max_clique)
        except LikelihoodError as exc:
            raise DVIError(f"problem {self.problem.id!r}, family {fam.id!r}: {exc}") from exc
        self.evaluations += 1
        val = -math.inf if np.isneginf(per).any() else math.fsum(per.tolist())
        self._cache[key] = val
        return val

    def prefetch(self, f: int, configs: Sequence[Config], chunk: int = 2048) -> None:
        """Compute ``ln L_f`` of many configurations in few engine calls: they are stacked
        along the locus axis (the engine is vectorised over loci; the value of each locus
        row depends only on its own genotypes), then summed per configuration."""
        todo = list(dict.fromkeys(c for c in configs if (f, c) not in self._cache))
        if not todo:
            return
        fam, loci = self.problem.families[f], self.problem.loci
        nl = len(loci)
        per_call = max(1, chunk // max(nl, 1))
        for s in range(0, len(todo), per_call):
            part = todo[s:s + per_call]
            g = np.concatenate([self._placed(fam, c) for c in part], axis=1)
            try:
                per = loglik_per_locus(fam.pedigree, loci * len(part), g, self.max_clique)
            except LikelihoodError as exc:
                raise DVIError(f"problem {self.problem.id!r}, family {fam.id!r}: {exc}") from exc
            self.evaluations += len(part)
            for c, row in zip(part, per.reshape(len(part), nl), strict=True):
                self._cache[(f, c)] = (-math.inf if np.isneginf(row).any()
                                       else math.fsum(row.tolist()))

    def prefetch_singles(self, f: int, m: str, victims: Sequence[int]) -> None:
        """``ln L_f({m: v})`` for many victims from one elimination keeping ``m``'s alleles
        (:func:`..likelihood.query_genotype_tables`): each victim's genotype is then a table
        look-up per locus. Falls back to :meth:`prefetch` when that elimination is costlier."""
        todo = [v for v in victims if (f, ((m, v),)) not in self._cache]
        if len(todo) < 2:
            self.prefetch(f, [((m, v),) for v in todo])
            return
        fam, loci = self.problem.families[f], self.problem.loci
        try:
            res = query_genotype_tables(fam.pedigree, fam.pedigree.index(m), loci,
                                        fam.references, self.max_clique,
                                        _keep(self.problem.victim_genotypes[todo]))
        except LikelihoodError as exc:
            raise DVIError(f"problem {self.problem.id!r}, family {fam.id!r}: {exc}") from exc
        if res is None:
            self.prefetch(f, [((m, v),) for v in todo])
            return
        tables, scale, base = res
        if (f, ()) not in self._cache:  # P(refs) = the table's total, per locus
            self._cache[(f, ())] = (-math.inf if np.isneginf(base).any()
                                    else math.fsum(base.tolist()))
        g = self.problem.victim_genotypes[todo]  # (n, L, 2)
        per = np.empty((len(todo), len(loci)))
        with np.errstate(divide="ignore"):
            for j, t in enumerate(tables):
                a, b = g[:, j, 0], g[:, j, 1]
                typed = (a >= 0) & (b >= 0)
                a0, b0 = np.where(typed, a, 0), np.where(typed, b, 0)
                h = t[a0, b0] + np.where(a0 != b0, t[b0, a0], 0.0)
                per[:, j] = np.where(typed, np.log(h) + scale[j], base[j])
        self.evaluations += 1
        for v, row in zip(todo, per, strict=True):
            self._cache[(f, ((m, v),))] = (-math.inf if np.isneginf(row).any()
                                          else math.fsum(row.tolist()))

    def _placed(self, fam, config: Config) -> np.ndarray:
        g = fam.references.copy()
        for m, v in config:
            g[fam.pedigree.index(m)] = self.problem.victim_genotypes[v]
        return g

    def base(self, f: int) -> float:
        """``ln L_f({})``; :class:`DVIError` when the references alone are impossible."""
        val = self.loglik(f, ())
        if val == -math.inf:
            fam = self.problem.families[f]
            raise DVIError(
                f"problem {self.problem.id!r}, family {fam.id!r}: the reference genotypes are "
                "impossible on this pedigree (Mendelian inconsistency; check the data or set "
                "a mutation model)")
        return val

    def config_log_lr(self, f: int, config: Config) -> float:
        """Natural-log LR of ``config`` against its victims unassigned (``-inf``: excluded)."""
        if not config:
            return 0.0
        val = self.loglik(f, config)
        if val == -math.inf:
            return val
        return val - self.base(f) - float(sum(self.hw[v] for _, v in config))

    def loglik_null(self) -> float:
        """``ln L_null``: every victim unassigned."""
        return math.fsum([self.base(f) for f in range(len(self.problem.families))]
                         + self.hw.tolist())


def _keep(g: np.ndarray) -> np.ndarray:
    """Alleles of the victims ``g`` (n, L, 2) per locus, int ``(L, 2n)``, untyped entries
    replaced by a typed allele of the same locus (or 0): the alleles a query table keeps."""
    x = g.transpose(1, 0, 2).reshape(g.shape[1], -1).astype(np.int64)
    fill = np.where((x >= 0).any(axis=1), x.max(axis=1), 0)
    return np.where(x >= 0, x, fill[:, None])


def pairwise_log_lr(lik: FamilyLikelihoods) -> np.ndarray:
    """Pairwise natural-log LR matrix float64 ``(n_victims, n_missing)`` (columns in
    ``problem.missing`` order): ``-inf`` excluded, ``nan`` not considered (sexes differ or
    ``pairings`` leaves the pairing out)."""
    pr = lik.problem
    out = np.full((len(pr.victims), len(pr.missing)), np.nan)
    for f, fam in enumerate(pr.families):
        for m in fam.missing:
            lik.prefetch_singles(f, m, [v for v in range(len(pr.victims)) if pr.considered(v, m)])
    for j, m in enumerate(pr.missing):
        f = pr.family_of[m]
        for v in range(len(pr.victims)):
            if pr.considered(v, m):
                out[v, j] = lik.config_log_lr(f, ((m, v),))
    return out


def incompatible_loci(lik: FamilyLikelihoods, chunk: int = 2048) -> np.ndarray:
    """Number of loci at which victim V cannot be missing person M without a mutation (the
    family's data with V placed have probability 0 without mutation models while the
    references alone have positive probability): int ``(n_victims, n_missing)``, ``-1``
    where the pairing is not considered. Used by the exclusion rule of the pruning (dvir's
    ``findExcluded(maxIncomp = )``)."""
    pr = lik.problem
    plain = [loc.without_mutation() for loc in pr.loci]
    nl = len(plain)
    out = np.full((len(pr.victims), len(pr.missing)), -1, dtype=np.int64)
    col = {m: j for j, m in enumerate(pr.missing)}
    per_call = max(1, chunk // max(nl, 1))
    for fam in pr.families:
        try:
            for m in fam.missing:
                vs = [v for v in range(len(pr.victims)) if pr.considered(v, m)]
                if vs:
                    out[vs, col[m]] = _incompatible(lik, fam, m, vs, plain, per_call)
        except LikelihoodError as exc:
            raise DVIError(f"problem {pr.id!r}, family {fam.id!r}: {exc}") from exc
    return out


def _incompatible(lik: FamilyLikelihoods, fam, m: str, vs: list[int], plain: list,
                  per_call: int) -> np.ndarray:
    """Inconsistent-locus counts of victims ``vs`` as ``m`` (see :func:`incompatible_loci`):
    from the query tables of ``m`` when they are cheap, else victim by victim."""
    nl = len(plain)
    g = lik.problem.victim_genotypes[vs]
    res = query_genotype_tables(fam.pedigree, fam.pedigree.index(m), plain, fam.references,
                                lik.max_clique, _keep(g))
    if res is not None:
        cnt = np.zeros(len(vs), dtype=np.int64)
        for j, t in enumerate(res[0]):
            if res[2][j] == -math.inf:  # the references alone are inconsistent here
                continue
            a, b = g[:, j, 0], g[:, j, 1]
            typed = (a >= 0) & (b >= 0)
            a0, b0 = np.where(typed, a, 0), np.where(typed, b, 0)
            cnt += typed & (t[a0, b0] + t[b0, a0] <= 0)
        return cnt
    base = np.isneginf(loglik_per_locus(fam.pedigree, plain, fam.references))
    out = []
    for s in range(0, len(vs), per_call):
        part = vs[s:s + per_call]
        gg = np.concatenate([lik._placed(fam, ((m, v),)) for v in part], axis=1)
        per = loglik_per_locus(fam.pedigree, plain * len(part), gg, lik.max_clique)
        out.append((np.isneginf(per.reshape(len(part), nl)) & ~base).sum(axis=1))
    return np.concatenate(out)
