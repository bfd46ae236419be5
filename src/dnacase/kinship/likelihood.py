"""Exact pedigree likelihoods, vectorised over loci.

Model (one autosomal locus; ``p`` the allele frequencies, ``M_F``/``M_M`` the mutation
matrices of mothers/fathers, identity without mutation)::

    L = sum over all ordered genotypes (g_i1, g_i2) of untyped persons and phases of typed ones
        prod_{founders f}     p[g_f1] p[g_f2]
        prod_{non-founders i} T_M(g_i1 | father) T_F(g_i2 | mother)
        prod_{typed i}        [ {g_i1, g_i2} = observed genotype ]
    T_S(c | a, b) = 1/2 M_S[a, c] + 1/2 M_S[b, c]

Founders are in Hardy-Weinberg equilibrium (theta = 0); the mutation matrix acts on every
meiosis, including transmissions from untyped founders. Markers are unlinked: a multi-locus
likelihood is the product of the per-locus values.

Method: variable elimination (exact; equivalent to Elston-Stewart peeling, and exact on
pedigrees with loops without needing loop breakers) on an *allele-level* factor graph: each
untyped person has two allele variables (paternal, maternal) of domain ``K``; each typed
person has one binary phase variable (which observed allele came from the father); each
meiosis from an untyped parent has a binary segregation indicator ``s`` with factors
``1/2 M[a, c]`` (``s = 0``) and ``M[b, c]`` (``s = 1``). No factor is larger than needed:
transmission never builds an ``n^3`` table, so loci with ~50 alleles (SE33) stay cheap.
Alleles that no typed person carries are lumped into one allele whenever that is exact
(no mutation, or a lumpable model such as ``equal``/``proportional``).

The elimination plan is compiled once per (pedigree structure, typed set, domain size) and
run on a batch of loci at once (arrays with a leading batch axis ``B``). Every intermediate
factor is rescaled by its maximum, with the scales accumulated as natural logs, so nothing
underflows whatever the pedigree size.

The elimination order decides the work, never the value: it is the cheapest (summed clique
sizes) of greedy min-size and weighted min-fill orders and of randomised restarts of them
(:mod:`.elimination`), searched once per graph and again at the plan's own domain size when
it is costly. A plan whose largest clique exceeds the caller's limit (``max_clique``,
default :data:`MAX_CLIQUE`) raises :class:`TooComplexError` naming the loci; the rows of a
batch run in slices so that one slice's largest clique stays within :data:`_CHUNK_ELEMENTS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from .elimination import best_order, order_pool
from .markers import Locus
from .mutation import CustomMutation, SexSpecificMutation
from .parent_child import ParentChildShape, parent_child_loglik, parent_child_shape
from .pedigree import MALE, Pedigree

__all__ = ["LikelihoodError", "TooComplexError", "log10_likelihood", "loglik_per_locus"]

_LN10 = float(np.log(10.0))


class LikelihoodError(ValueError):
    """The likelihood cannot be computed (e.g. genotype array of the wrong shape)."""


# ----- compiled elimination plan -----------------------------------------------------------
# Slot: (var, which) -- which = -1 for an allele variable, 0/1 for the slot of a phase var.
# Factor specs (kinds):
#   ("prior", var)                               p over an allele variable          (B,K)
#   ("prior_typed", person, var)                 p[g0] p[g1] [1, het]               (B,2)
#   ("evid", person, var)                        [1, het]                           (B,2)
#   ("sel", sex, s, pslot, cslot, sval, pers)    sel s==sval: M[pa, c] (x1/2 if 0)  (B,2,du,dw)
#   ("ttyped", sex, ppers, pvar, cslot, cpers)   1/2 (M[g_p1(h), c] + M[g_p2(h), c]) (B,2,dw)
#   ("soft", person, var1, var2)                 evidence E[x, y] of an untyped person   (B,K,K)
#                                                (batch.soft[person]; see .peaks)


@dataclass
class _Plan:
    n_persons: int
    kinds: list[int]  # per var: 0 allele (K), 1 binary
    factors: list[tuple]
    fvars: list[tuple[int, ...]]
    steps: list[tuple[tuple[int, ...], str, tuple[int, ...]]]
    final: list[int]
    query_vars: tuple[int, ...]
    persons: np.ndarray  # original person indices kept (in plan order)
    max_clique: int = 0  # largest clique (elements per locus) of the elimination
    cost: int = 0  # sum of the clique sizes: the work per locus, roughly
    feasible: bool = True  # False: not built (a clique above _HARD_CAP); only its size is known


#: Default largest clique (elements per locus) the engine accepts; beyond it the locus is
#: reported as too complex instead of running for hours or exhausting memory. Callers pass
#: their own limit (``max_clique``: a setting of the application). A step over a clique of
#: 73 million elements takes about 0.5 s on one core; its result table holds at most half
#: the clique (8 bytes each). At the default, the hardest 20-person family without loops
#: found in testing (an untyped couple with two typed children and four untyped ones, each
#: the ancestor of one typed relative; SE33, a 503 million clique) takes about 10 s and
#: 0.8 GiB on a shared 2-core machine.
MAX_CLIQUE = 600_000_000


class TooComplexError(LikelihoodError):
    """The exact computation needs a table larger than the limit. ``clique``: elements per
    locus of its largest intermediate table; ``limit``; ``k``: alleles kept at the locus;
    ``loci``: locus names (when known); ``loop``: whether the pedigree has a loop."""

    def __init__(
        self, clique: int, limit: int, k: int, loci: Sequence[str] = (), loop: bool | None = None
    ) -> None:
        self.clique, self.limit, self.k, self.loci, self.loop = clique, limit, k, tuple(loci), loop
        super().__init__(self.describe())

    def describe(self) -> str:
        where = f"locus {', '.join(self.loci)}: " if self.loci else ""
        if self.loop:
            advice = (
                "the pedigree has a loop (relatives who married or had children "
                "together); leaving out untyped persons in the loop makes it smaller"
            )
        elif self.loop is False:
            advice = (
                f"the pedigree has no loop: the size comes from the {self.k} alleles the "
                "locus keeps under its mutation model and the untyped persons joining "
                "the typed ones"
            )
        else:
            advice = f"the locus keeps {self.k} alleles"
        return (
            f"{where}too complex for exact computation: its largest elimination step spans "
            f"{self.clique:,} genotype combinations, above the limit of {self.limit:,} "
            f"(setting max_clique); {advice}. A higher limit computes it exactly, in time "
            f"growing with that number and a table of up to {_mib(self.clique * 4)}"
        )

    def at(self, loci: Sequence[str], loop: bool) -> TooComplexError:
        """The same error naming the loci and whether the pedigree has a loop."""
        return TooComplexError(self.clique, self.limit, self.k, loci, loop)


def _mib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:,.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:,.0f} MiB"


def _letters(n: int) -> str:
    s = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"
    if n > len(s):
        raise LikelihoodError("elimination clique too large for this engine")
    return s[:n]


@dataclass(frozen=True)
class _Graph:
    """The factor graph of a pedigree, typed set and query, for any allele domain size."""

    n_persons: int
    kinds: list[int]
    factors: list[tuple]
    fvars: list[tuple[int, ...]]
    query_vars: tuple[int, ...]
    persons: np.ndarray

    @cached_property
    def adjacency(self) -> list[set[int]]:
        """The interaction graph: variables sharing a factor are neighbours."""
        adj: list[set[int]] = [set() for _ in self.kinds]
        for fv in self.fvars:
            for u in fv:
                adj[u].update(fv)
        for u, a in enumerate(adj):
            a.discard(u)
        return adj

    def domains(self, ksize: int) -> list[int]:
        return [ksize if k == 0 else 2 for k in self.kinds]


@lru_cache(maxsize=4096)
def _compile(
    father: tuple[int, ...],
    mother: tuple[int, ...],
    typed: tuple[bool, ...],
    query: int,
    ksize: int,
    soft: tuple[int, ...] = (),
) -> _Plan:
    """Compile the elimination plan. ``typed[i]``: person i is typed in this batch;
    ``query``: person whose two allele variables are kept (-1 for none; must be untyped);
    ``soft``: untyped persons carrying an evidence factor over their two allele variables
    (a one-allele observation under dropout, :mod:`.peaks`; the table is ``batch.soft``).
    The order is the cheapest, for this domain size, of the greedy heuristics and of the
    pool of orders found for the graph (:func:`_order_pool`)."""
    gr = _graph(father, mother, typed, query, soft)
    dom = gr.domains(ksize)
    order, max_clique, total = best_order(dom, gr.adjacency, gr.query_vars)
    if total > _GOOD_ENOUGH:
        pool = _order_pool(father, mother, typed, query, soft)
        order, max_clique, total = best_order(dom, gr.adjacency, gr.query_vars, pool)
    if total > _DEEP_ABOVE:  # costly at this domain size: search at this size too
        trials = min(_MAX_DEEP_TRIALS, total // _DEEP_ABOVE * 64)
        pool = (*order_pool(dom, gr.adjacency, gr.query_vars, trials, 1), tuple(order))
        order, max_clique, total = best_order(dom, gr.adjacency, gr.query_vars, pool)
    feasible = max_clique <= _HARD_CAP
    steps, final = _build_steps(len(dom), gr.fvars, order) if feasible else ([], [])
    return _Plan(gr.n_persons, gr.kinds, gr.factors, gr.fvars, steps, final, gr.query_vars,
                 gr.persons, max_clique, total, feasible)  # fmt: skip


@lru_cache(maxsize=1024)
def _graph(
    father: tuple[int, ...], mother: tuple[int, ...], typed: tuple[bool, ...], query: int,
    soft: tuple[int, ...] = (),
) -> _Graph:
    """The allele-level factor graph (see the module docstring and the factor kinds above)."""
    n = len(father)
    # keep typed and soft persons, the query person, and all their ancestors
    keep = np.zeros(n, dtype=bool)
    stack = [i for i in range(n) if typed[i] or i == query or i in soft]
    while stack:
        i = stack.pop()
        if keep[i]:
            continue
        keep[i] = True
        if father[i] >= 0:
            stack += [father[i], mother[i]]
    persons = np.flatnonzero(keep)
    kinds: list[int] = []
    slots: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {}
    factors: list[tuple] = []
    fvars: list[tuple[int, ...]] = []

    def newvar(kind: int) -> int:
        kinds.append(kind)
        return len(kinds) - 1

    for i in persons.tolist():
        if typed[i]:
            h = newvar(1)
            slots[i] = ((h, 0), (h, 1))
        else:
            slots[i] = ((newvar(0), -1), (newvar(0), -1))
    for i in persons.tolist():
        s1, s2 = slots[i]
        if i in soft:  # evidence hook: E(person's ordered alleles)
            factors.append(("soft", i, s1[0], s2[0]))
            fvars.append((s1[0], s2[0]))
        if father[i] < 0:
            if typed[i]:
                factors.append(("prior_typed", i, s1[0]))
                fvars.append((s1[0],))
            else:
                for s in (s1, s2):
                    factors.append(("prior", s[0]))
                    fvars.append((s[0],))
            continue
        if typed[i]:
            factors.append(("evid", i, s1[0]))
            fvars.append((s1[0],))
        for par, cslot, sex in ((father[i], s1, MALE), (mother[i], s2, 2)):
            p1, p2 = slots[par]
            if typed[par]:
                factors.append(("ttyped", sex, par, p1[0], cslot, i))
                fvars.append((p1[0], cslot[0]))
            else:
                s = newvar(1)
                for pslot, sval in ((p1, 0), (p2, 1)):
                    factors.append(("sel", sex, s, pslot, cslot, sval, i))
                    fvars.append((s, pslot[0], cslot[0]))
    query_vars: tuple[int, ...] = ()
    if query >= 0:
        if typed[query]:
            raise LikelihoodError("the query person must be untyped")
        query_vars = (slots[query][0][0], slots[query][1][0])

    return _Graph(n, kinds, factors, fvars, query_vars, persons)


# ----- elimination order -------------------------------------------------------------------
#: Plans whose largest clique exceeds this are never built (only their size is reported).
_HARD_CAP = 1 << 46
#: Plans cheaper than this (elements summed over cliques, per locus) take the best greedy
#: order; costlier ones also try the pool of :func:`_order_pool`, which makes one randomised
#: restart per this many elements of cost at domain size _K_REF (at most _MAX_TRIALS) and
#: keeps the _POOL cheapest orders.
_GOOD_ENOUGH = 1 << 16
_MAX_TRIALS = 192
_K_REF = 32
_POOL = 8
#: Plans still costlier than this at their own domain size get a search of their own there:
#: 64 randomised restarts per this many elements of cost, at most _MAX_DEEP_TRIALS (about
#: 0.5 ms each; a 20-person family's SE33 plan went from 503M to 73M elements so).
_DEEP_ABOVE = 1 << 24
_MAX_DEEP_TRIALS = 2048


@lru_cache(maxsize=1024)
def _order_pool(
    father: tuple[int, ...], mother: tuple[int, ...], typed: tuple[bool, ...], query: int,
    soft: tuple[int, ...] = (),
) -> tuple[tuple[int, ...], ...]:
    """Good elimination orders of a graph, searched once for all domain sizes: randomised
    restarts of the greedy heuristics at a reference domain size :data:`_K_REF`, the more of
    them the costlier the graph (:func:`.elimination.order_pool`)."""
    gr = _graph(father, mother, typed, query, soft)
    dom = gr.domains(_K_REF)
    _o, _mc, cost = best_order(dom, gr.adjacency, gr.query_vars)
    trials = min(_MAX_TRIALS, cost // _GOOD_ENOUGH)
    return order_pool(dom, gr.adjacency, gr.query_vars, trials, _POOL)


def _build_steps(
    nvars: int, fvars: list[tuple[int, ...]], order: list[int]
) -> tuple[list[tuple[tuple[int, ...], str, tuple[int, ...]]], list[int]]:
    """The einsum steps of eliminating ``order`` (each step: the factors it consumes, the
    einsum subscripts, the variables of the new factor) and the factors left at the end."""
    alive = set(range(len(fvars)))
    all_fvars: list[tuple[int, ...]] = list(fvars)
    var_f: dict[int, set[int]] = {v: set() for v in range(nvars)}
    for f, fv in enumerate(fvars):
        for u in fv:
            var_f[u].add(f)
    steps: list[tuple[tuple[int, ...], str, tuple[int, ...]]] = []
    for v in order:
        fs = sorted(var_f[v])  # factor ids grow with creation: the order of the alive list
        if not fs:
            continue
        union: set[int] = set().union(*(all_fvars[f] for f in fs))
        out = tuple(sorted(union - {v}))
        letters = {u: c for u, c in zip(sorted(union), _letters(len(union)), strict=True)}
        sub = ",".join("..." + "".join(letters[u] for u in all_fvars[f]) for f in fs)
        sub += "->..." + "".join(letters[u] for u in out)
        steps.append((tuple(fs), sub, out))
        new_id = len(all_fvars)
        all_fvars.append(out)
        for f in fs:
            alive.discard(f)
            for u in all_fvars[f]:
                var_f[u].discard(f)
        if out:
            alive.add(new_id)
            for u in out:
                var_f[u].add(new_id)
    return steps, sorted(alive)


# ----- batch data and execution ------------------------------------------------------------
@dataclass
class _Batch:
    """Loci of one batch, padded to a common domain ``K``.

    p: (B, K) founder frequencies (0 for padding); mf, mm: (B, K, K) mother / father
    matrices; g: (P, B, 2) int64 typed alleles in the batch domain (-1 untyped); soft:
    person -> (B, K, K) evidence table of the plan's soft persons (None: no soft person)."""

    p: np.ndarray
    mf: np.ndarray
    mm: np.ndarray
    g: np.ndarray
    soft: dict[int, np.ndarray] | None = None

    @property
    def size(self) -> int:
        return self.p.shape[0]

    @property
    def k(self) -> int:
        return self.p.shape[1]


def _slot_vals(batch: _Batch, slot: tuple[int, int], person: int) -> np.ndarray | None:
    """(B, d) allele indices of a slot, or None for an allele variable (= arange(K))."""
    which = slot[1]
    if which < 0:
        return None
    g = batch.g[person]
    return g if which == 0 else g[:, ::-1]


def _gather(m: np.ndarray, u: np.ndarray | None, w: np.ndarray | None) -> np.ndarray:
    """m (B,K,K) -> (B, du, dw) with rows u / columns w (None = all)."""
    b = m.shape[0]
    if u is None and w is None:
        return m
    bi = np.arange(b)[:, None, None]
    if u is None:
        return m[bi, np.arange(m.shape[1])[None, :, None], w[:, None, :]]
    if w is None:
        return m[bi, u[:, :, None], np.arange(m.shape[2])[None, None, :]]
    return m[bi, u[:, :, None], w[:, None, :]]


def _build_table(spec: tuple, batch: _Batch) -> np.ndarray:
    kind = spec[0]
    b = batch.size
    if kind == "prior":
        return batch.p
    if kind == "soft":
        assert batch.soft is not None
        return batch.soft[spec[1]]
    if kind in ("prior_typed", "evid"):
        g = batch.g[spec[1]]
        het = (g[:, 0] != g[:, 1]).astype(np.float64)
        t = np.empty((b, 2))
        if kind == "prior_typed":
            bi = np.arange(b)
            pp = batch.p[bi, g[:, 0]] * batch.p[bi, g[:, 1]]
            t[:, 0] = pp
            t[:, 1] = pp * het
        else:
            t[:, 0] = 1.0
            t[:, 1] = het
        return t
    if kind == "sel":
        _, sex, _s, _pslot, cslot, sval, child = spec
        m = batch.mm if sex == MALE else batch.mf
        # pslot is an allele variable here (untyped parent)
        w = _slot_vals(batch, cslot, child)
        core = _gather(m, None, w)  # (B, K, dw)
        t = np.empty((b, 2, *core.shape[1:]))
        if sval == 0:
            t[:, 0] = 0.5 * core
            t[:, 1] = 0.5
        else:
            t[:, 0] = 1.0
            t[:, 1] = core
        return t
    if kind == "ttyped":
        _, sex, par, _pvar, cslot, child = spec
        m = batch.mm if sex == MALE else batch.mf
        gp = batch.g[par]
        w = _slot_vals(batch, cslot, child)
        t = 0.5 * (_gather(m, gp, w) + _gather(m, gp[:, ::-1], w))  # (B, 2, dw)
        return t
    raise LikelihoodError(f"internal: unknown factor kind {kind}")


#: Elements of the largest clique times the rows run at once: a batch is run in slices of
#: rows so that no intermediate table of one slice exceeds this (memory bound, 256 MiB).
_CHUNK_ELEMENTS = 1 << 25
#: Steps of three or more factors whose clique holds more elements than this, and more than
#: 16 times their largest factor, are contracted pairwise in numpy's greedy path (BLAS where it
#: can; no intermediate above the largest operand or the result); others in one pass (no
#: path search, no temporary as large as the clique).
_PAIRWISE_ABOVE = 1 << 17


def _run(
    plan: _Plan, batch: _Batch, max_clique: int | None = None
) -> tuple[np.ndarray | None, np.ndarray]:
    """Execute ``plan`` on ``batch``. Returns (table over query vars (B,K,K) or None, logscale
    (B,) natural log) such that the likelihood (or the joint with the query alleles) equals
    ``table * exp(logscale)``.

    :class:`TooComplexError` when the plan's largest clique exceeds ``max_clique`` (elements
    per locus; default :data:`MAX_CLIQUE`). The rows are run in slices so that one slice's
    largest clique holds at most :data:`_CHUNK_ELEMENTS` elements (same result)."""
    limit = MAX_CLIQUE if max_clique is None else max_clique
    if plan.max_clique > limit or not plan.feasible:
        raise TooComplexError(plan.max_clique, limit, batch.k)
    rows = max(1, _CHUNK_ELEMENTS // max(plan.max_clique, 1))
    if batch.size <= rows:
        return _run_rows(plan, batch)
    parts = []
    for r0 in range(0, batch.size, rows):
        sl = slice(r0, r0 + rows)
        soft = None if batch.soft is None else {i: t[sl] for i, t in batch.soft.items()}
        sub = _Batch(batch.p[sl], batch.mf[sl], batch.mm[sl], batch.g[:, sl], soft)
        parts.append(_run_rows(plan, sub))
    ls = np.concatenate([x[1] for x in parts])
    if parts[0][0] is None:
        return None, ls
    return np.concatenate([x[0] for x in parts]), ls  # type: ignore[misc]


def _clique_elements(sub: str, ops: Sequence[np.ndarray]) -> int:
    """Elements of the clique of one einsum step (all its rows): the product of the sizes
    of its distinct indices (the leading ``...`` is the row axis)."""
    size: dict[str, int] = {}
    for spec, op in zip(sub.split("->")[0].split(","), ops, strict=True):
        for letter, d in zip(spec[3:], op.shape[1:], strict=True):
            size[letter] = d
    return ops[0].shape[0] * math.prod(size.values())


def _run_rows(plan: _Plan, batch: _Batch) -> tuple[np.ndarray | None, np.ndarray]:
    """:func:`_run` on one slice of rows, without checks."""
    b = batch.size
    tables: list[np.ndarray | None] = [_build_table(s, batch) for s in plan.factors]
    logscale = np.zeros(b)
    with np.errstate(divide="ignore"):
        for operands, sub, out in plan.steps:
            ops = [tables[i] for i in operands]
            clique = _clique_elements(sub, ops) if len(ops) > 2 else 0
            big = clique > _PAIRWISE_ABOVE and clique > 16 * max(o.size for o in ops)
            res = np.einsum(sub, *ops, optimize="greedy" if big else False)
            for i in operands:
                tables[i] = None
            if out:
                mx = res.max(axis=tuple(range(1, res.ndim)))  # no copy of a strided result
                pos = mx > 0
                logscale[pos] += np.log(mx[pos])
                logscale[~pos] = -np.inf
                mx[~pos] = 1.0
                scale = mx.reshape((b,) + (1,) * (res.ndim - 1))
                if res.flags.writeable and not any(np.may_share_memory(res, o) for o in ops):
                    np.divide(res, scale, out=res)  # in place: no second table of this size
                else:
                    res = res / scale
                tables.append(res)
            else:
                logscale += np.log(res)
                tables.append(None)
        if not plan.query_vars:
            for f in plan.final:
                t = tables[f]
                if t is not None:  # pragma: no cover - only query vars can remain
                    raise LikelihoodError("internal: factor left over")
            return None, logscale
        q1, q2 = plan.query_vars
        k = batch.k
        joint = np.ones((b, k, k))
        for f in plan.final:
            t = tables[f]
            fv = plan.fvars[f] if f < len(plan.fvars) else None
            vs = fv if fv is not None else _out_vars(plan, f)
            if vs == (q1,):
                joint = joint * t[:, :, None]
            elif vs == (q2,):
                joint = joint * t[:, None, :]
            elif vs == (q1, q2):
                joint = joint * t
            elif vs == (q2, q1):
                joint = joint * np.swapaxes(t, 1, 2)
            else:  # pragma: no cover
                raise LikelihoodError("internal: unexpected final factor")
        return joint, logscale


def _out_vars(plan: _Plan, f: int) -> tuple[int, ...]:
    return plan.steps[f - len(plan.fvars)][2]


# ----- locus preparation (lumping, padding) -------------------------------------------------
_EYES: dict[int, np.ndarray] = {}


def _eye(k: int) -> np.ndarray:
    e = _EYES.get(k)
    if e is None:
        e = np.eye(k)
        e.setflags(write=False)
        _EYES[k] = e
    return e


def _model_lumpable(locus: Locus) -> bool | None:
    """True when the model is lumpable for any partition (equal, proportional, none), None
    when it must be checked numerically (custom), False otherwise (stepwise, onestep)."""
    mu = locus.mutation
    if isinstance(mu, CustomMutation):
        return None
    models = [mu.female, mu.male] if isinstance(mu, SexSpecificMutation) else [mu]
    ok = {"equal", "proportional"}
    return all(m is None or m.model in ok for m in models)


def _bucket(k: int) -> int:
    b = 2
    while b < k:
        b *= 2
    return b


@dataclass(frozen=True, eq=False)
class FreqTable:
    """Frequencies of a locus list, padded: ``pad`` float64 ``(L, nmax)`` (0 beyond each
    locus's alleles), ``n`` int64 ``(L,)`` allele counts, ``mut`` bool ``(L,)``,
    ``lumpable`` bool ``(L,)``: reducing the locus to its observed alleles plus one lumped
    allele is exact for any partition (no mutation, or an ``equal``/``proportional`` model)."""

    pad: np.ndarray
    n: np.ndarray
    mut: np.ndarray
    lumpable: np.ndarray
    loci: tuple[Locus, ...]

    @cached_property
    def stacks(self) -> tuple[np.ndarray, np.ndarray]:
        """(female, male) mutation matrices of every locus, float64 ``(L, nmax + 1, nmax + 1)``,
        zero-padded (the extra last row/column is an all-zero "no allele" slot)."""
        nmax = self.pad.shape[1]
        mf = np.zeros((len(self.loci), nmax + 1, nmax + 1))
        mm = np.zeros_like(mf)
        for j, loc in enumerate(self.loci):
            n = loc.n_alleles
            f, m = loc.matrices()
            mf[j, :n, :n] = f
            mm[j, :n, :n] = m
        return mf, mm

    @cached_property
    def transmitted(self) -> tuple[np.ndarray, np.ndarray]:
        """(female, male) ``p M``: the allele distribution a founder transmits, float64
        ``(L, nmax + 1)`` (equal to ``p`` for a stationary model)."""
        mf, mm = self.stacks
        p = np.zeros((len(self.loci), self.pad.shape[1] + 1))
        p[:, :-1] = self.pad
        return np.einsum("lk,lkc->lc", p, mf), np.einsum("lk,lkc->lc", p, mm)

    @cached_property
    def hypothesis_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(mcols, row_loc, row_mut)``: loci with a mutation model; the locus of each row
        of a missing-person evaluation (every locus, then a mutation-free copy of each
        ``mcols`` locus); whether the row applies the model."""
        nl = self.pad.shape[0]
        mcols = np.flatnonzero(self.mut)
        row_mut = np.zeros(nl + mcols.size, dtype=bool)
        row_mut[:nl] = self.mut
        return mcols, np.concatenate([np.arange(nl), mcols]), row_mut


@lru_cache(maxsize=64)
def freq_table(loci: tuple[Locus, ...]) -> FreqTable:
    """Padded frequency table of ``loci`` (cached by the identity of the locus objects)."""
    n = np.array([loc.n_alleles for loc in loci], dtype=np.int64)
    pad = np.zeros((len(loci), int(n.max()) if len(loci) else 1))
    for j, loc in enumerate(loci):
        pad[j, : loc.n_alleles] = loc.freqs
    mut = np.array([loc.has_mutation for loc in loci], dtype=bool)
    lump = np.array([not loc.has_mutation or _model_lumpable(loc) is True for loc in loci])
    return FreqTable(pad, n, mut, lump.astype(bool), loci)


def _reduced_rows(
    ft: FreqTable,
    loc: np.ndarray,
    use_mut: np.ndarray,
    gt: np.ndarray,
    typed_rows: np.ndarray,
    extra: np.ndarray | None = None,
) -> tuple[_Batch, np.ndarray]:
    """Vectorised reduction of lumpable rows to their observed alleles plus one lumped allele.

    ft: the loci's table; loc: (B,) locus of each row; use_mut: (B,) bool, apply the locus's
    mutation model (which must be lumpable, ``ft.lumpable``) or the identity; gt: (P, B, 2)
    raw allele indices (-1 untyped); typed_rows: persons typed in every row; extra: (B, m)
    further alleles to keep as themselves (e.g. a query person's), or None.

    Reduced domain of row r: its ``cnt[r]`` observed alleles (ascending) at ``0..cnt[r]-1``,
    zero-frequency padding, and the lumped allele last (index ``K - 1``), with mass the sum
    of the frequencies of the alleles nobody carries. Returns the batch and ``lam`` int64
    ``(B, nmax + 1)``: reduced index of every original allele (index ``nmax``: no allele)."""
    b = loc.size
    nmax = ft.pad.shape[1]
    parts = [gt[typed_rows].transpose(1, 0, 2).reshape(b, -1)] if typed_rows.size else []
    if extra is not None:
        parts.append(extra)
    if parts:
        obs = np.sort(np.concatenate(parts, axis=1), axis=1)
        first = np.ones(obs.shape, dtype=bool)
        first[:, 1:] = obs[:, 1:] != obs[:, :-1]
        kmax = int(first.sum(axis=1).max())
        kept = np.full((b, kmax), nmax, dtype=np.int64)
        pos = np.cumsum(first, axis=1) - 1
        rr, cc = np.nonzero(first)
        kept[rr, pos[rr, cc]] = obs[rr, cc]
    else:
        kmax = 0
        kept = np.zeros((b, 0), dtype=np.int64)
    k = kmax + 1
    fp = np.zeros((ft.pad.shape[0], nmax + 1))
    fp[:, :nmax] = ft.pad
    p = np.empty((b, k))
    p[:, :kmax] = fp[loc[:, None], kept]
    rest = ft.pad[loc] > 0  # (B, nmax): alleles of the locus not kept
    ri = np.arange(b)
    lam = np.full((b, nmax + 1), kmax, dtype=np.int64)
    if kmax:
        hit = kept < nmax
        hr, hc = np.nonzero(hit)
        lam[hr, kept[hit]] = hc
        rest[hr, kept[hit]] = False
    p[:, kmax] = np.where(rest, ft.pad[loc], 0.0).sum(axis=1)
    g = np.full(gt.shape, -1, dtype=np.int64)
    if typed_rows.size:
        g[typed_rows] = lam[ri[None, :, None], gt[typed_rows]]
    eye = np.broadcast_to(_eye(k), (b, k, k))
    mrows = np.flatnonzero(use_mut)
    if not mrows.size:
        return _Batch(p, eye, eye, g), lam
    mats = []
    restf = np.zeros((mrows.size, nmax + 1))
    restf[:, :nmax] = rest[mrows]
    r0 = np.where(rest[mrows].any(axis=1), rest[mrows].argmax(axis=1), nmax)  # a lumped allele
    kp = kept[mrows]
    lm = loc[mrows]  # rows are gathered from the stacks directly: no (Bm, nmax+1, nmax+1) copy
    for stack in ft.stacks:
        red = np.array(eye[mrows])
        rows_k = stack[lm[:, None], kp]  # (Bm, kmax, nmax+1)
        red[:, :kmax, :kmax] = np.take_along_axis(rows_k, kp[:, None, :].repeat(kmax, 1), axis=2)
        red[:, :kmax, kmax] = (rows_k * restf[:, None, :]).sum(axis=2)
        row_r = stack[lm, r0]  # (Bm, nmax+1)
        red[:, kmax, :kmax] = np.take_along_axis(row_r, kp, axis=1)
        red[:, kmax, kmax] = (row_r * restf).sum(axis=1)
        full = np.array(eye)
        full[mrows] = red
        mats.append(full)
    return _Batch(p, mats[0], mats[1], g), lam


def _full_rows(
    ft: FreqTable, loc: np.ndarray, gt: np.ndarray
) -> list[tuple[np.ndarray, _Batch]]:
    """Rows with their locus's mutation model over every allele (no lumping), grouped by
    allele-count bucket: list of (row positions, batch)."""
    mf_all, mm_all = ft.stacks
    out = []
    buckets = np.array([_bucket(int(x)) for x in ft.n[loc].tolist()])
    for v in np.unique(buckets).tolist():
        pos = np.flatnonzero(buckets == v)
        lr = loc[pos]
        k = int(ft.n[lr].max())
        batch = _Batch(
            ft.pad[lr, :k], mf_all[lr, :k, :k], mm_all[lr, :k, :k], gt[:, pos].astype(np.int64)
        )
        out.append((pos, batch))
    return out


def row_batches(
    ft: FreqTable,
    loc: np.ndarray,
    use_mut: np.ndarray,
    gt: np.ndarray,
    typed_rows: np.ndarray,
    extra: np.ndarray | None = None,
) -> list[tuple[np.ndarray, _Batch, np.ndarray]]:
    """Batches for the elimination of rows (one locus each) sharing a typed pattern.

    loc: (B,) locus of each row; use_mut: (B,) apply the locus's mutation model (else the
    identity); gt: (P, B, 2) allele indices (-1 untyped); typed_rows: the persons typed in
    every row; extra: (B, m) alleles that must stay distinct in the reduced domain (e.g. a
    query person's genotype), or None. Biallelic rows without mutation keep their two
    alleles; rows whose model allows it are reduced to the observed alleles plus one lumped
    allele (:func:`_reduced_rows`); the others keep every allele. Returns (row positions,
    batch, ``lam`` int64 (b, nmax + 1): the batch index of every original allele)."""
    nmax = ft.pad.shape[1]
    ident = np.broadcast_to(np.arange(nmax + 1), (1, nmax + 1))
    out: list[tuple[np.ndarray, _Batch, np.ndarray]] = []
    full = use_mut & ~ft.lumpable[loc]
    small = np.flatnonzero(~full & ~use_mut & (ft.n[loc] <= 2))
    if small.size:  # biallelic without mutation: the whole domain, nothing to lump
        eye = np.broadcast_to(_eye(2), (small.size, 2, 2))
        p2 = np.zeros((small.size, 2))
        p2[:, : min(2, nmax)] = ft.pad[loc[small], :2]
        lam = np.broadcast_to(ident, (small.size, nmax + 1))
        out.append((small, _Batch(p2, eye, eye, gt[:, small].astype(np.int64)), lam))
    lump = np.setdiff1d(np.flatnonzero(~full), small, assume_unique=True)
    if lump.size:
        batch, lam = _reduced_rows(ft, loc[lump], use_mut[lump], gt[:, lump], typed_rows,
                                   None if extra is None else extra[lump])  # fmt: skip
        out.append((lump, batch, lam))
    fpos = np.flatnonzero(full)
    if fpos.size:
        for pos, batch in _full_rows(ft, loc[fpos], gt[:, fpos]):
            out.append((fpos[pos], batch, np.broadcast_to(ident, (pos.size, nmax + 1))))
    return out


@lru_cache(maxsize=1024)
def _shape(pedigree: Pedigree, query: int, typed_any: bytes) -> ParentChildShape | None:
    return parent_child_shape(pedigree, query, np.frombuffer(typed_any, dtype=bool))


@lru_cache(maxsize=4096)
def _query_cheaper(fa: tuple, mo: tuple, tkey: tuple, q: int, k: int, limit: int) -> bool:
    """Whether one elimination keeping the query person's alleles costs less than the two
    plain eliminations (with and without the query typed); both exact. A path whose largest
    clique is within ``limit`` is preferred to one that is not."""
    pq = _compile(fa, mo, tkey, q, k)
    if pq.max_clique <= min(4 * k * k, limit):  # nothing bigger than the query's own table
        return True
    t1 = list(tkey)
    t1[q] = True
    p2, p1 = _compile(fa, mo, tkey, -1, k), _compile(fa, mo, tuple(t1), -1, k)
    q_ok, two_ok = pq.max_clique <= limit, max(p2.max_clique, p1.max_clique) <= limit
    if q_ok != two_ok:
        return q_ok
    return pq.cost <= 2 * (p2.cost + p1.cost) + 64 * k * k


def missing_person_loglik(
    pedigree: Pedigree,
    query: int,
    loci: Sequence[Locus],
    references: np.ndarray,
    poi: np.ndarray,
    max_clique: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Natural-log likelihoods of the two hypotheses of a missing-person LR, per locus.

    references: int ``(P, L, 2)`` (the ``query`` row untyped); poi: int ``(L, 2)`` typed at
    every locus. Returns ``(l1, l2, l1_plain, l2_plain)``, float64 ``(L,)`` each:
    ``l1 = ln P(refs, query = poi)``, ``l2 = ln P(refs)``, and the same without any mutation
    model (``nan`` at loci without one; they serve the inconsistency test). ``-inf`` where
    impossible.

    All loci and their mutation-free copies go through as few eliminations as possible: one
    per (typed pattern, allele domain) that keeps the query person's two alleles, giving
    ``P(refs, query = (a, b))`` for every (a, b) at once, so both hypotheses come from one
    run (or two plain runs when keeping the query alleles would cost more). When the data
    form one parent-child unit the closed forms of :mod:`.parent_child` answer instead.
    ``max_clique``: the complexity limit (:func:`_run`); :class:`TooComplexError` names the
    loci beyond it."""
    ref = np.asarray(references)
    poi = np.asarray(poi, dtype=np.int64)
    nl = len(loci)
    ft = freq_table(tuple(loci))
    mcols, row_loc, row_mut = ft.hypothesis_rows
    _typed(pedigree, loci, ref)
    g = (np.concatenate([ref, ref[:, mcols]], axis=1) if mcols.size else ref).astype(np.int64)
    pg = poi[row_loc]
    typed = (g >= 0).all(axis=2)
    shape = _shape(pedigree, query, typed.any(axis=1).tobytes())
    if shape is not None:
        l1, l2 = parent_child_loglik(
            shape, ft.pad, ft.stacks, ft.transmitted, row_loc, row_mut, g, pg
        )
        return _split_plain(l1, l2, nl, mcols)
    l1 = np.empty(row_loc.size)
    l2 = np.empty(row_loc.size)
    fa = tuple(pedigree.father.tolist())
    mo = tuple(pedigree.mother.tolist())
    limit = MAX_CLIQUE if max_clique is None else max_clique
    for tmask, cols in _pattern_groups(typed):
        tkey = tuple(bool(x) for x in tmask.tolist())
        for pos, batch, lam in row_batches(ft, row_loc[cols], row_mut[cols], g[:, cols],
                                           np.flatnonzero(tmask), pg[cols]):  # fmt: skip
            rows = cols[pos]
            pq = lam[np.arange(rows.size)[:, None], pg[rows]]  # the POI in the batch domain
            try:
                l1[rows], l2[rows] = _missing_rows(fa, mo, tkey, query, batch, pq, limit)
            except TooComplexError as exc:
                names = [loci[j].name for j in dict.fromkeys(row_loc[rows].tolist())]
                raise exc.at(names, pedigree.has_loop()) from None
    return _split_plain(l1, l2, nl, mcols)


def _missing_rows(
    fa: tuple, mo: tuple, tkey: tuple, query: int, batch: _Batch, pq: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Natural-log ``(l1, l2)`` of :func:`missing_person_loglik` for the rows of one batch;
    ``pq`` int ``(B, 2)``: the POI in the batch domain."""
    b = batch.size
    if _query_cheaper(fa, mo, tkey, query, batch.k, limit):
        joint, ls = _run(_compile(fa, mo, tkey, query, batch.k), batch, limit)
        assert joint is not None
        ri = np.arange(b)
        a, b2 = pq[:, 0], pq[:, 1]
        h1 = joint[ri, a, b2] + np.where(a != b2, joint[ri, b2, a], 0.0)
        h2 = joint.reshape(b, -1).sum(axis=1)
        with np.errstate(divide="ignore"):
            return np.log(h1) + ls, np.log(h2) + ls
    _, l2 = _run(_compile(fa, mo, tkey, -1, batch.k), batch, limit)
    t1 = list(tkey)
    t1[query] = True
    gq = batch.g.copy()
    gq[query] = pq
    _, l1 = _run(_compile(fa, mo, tuple(t1), -1, batch.k), _Batch(batch.p, batch.mf, batch.mm, gq),
                 limit)  # fmt: skip
    return l1, l2


def _split_plain(
    l1: np.ndarray, l2: np.ndarray, nl: int, mcols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``nl:`` are the mutation-free copies of the loci ``mcols``: put them per locus
    (``nan`` at loci without a model)."""
    l1p = np.full(nl, np.nan)
    l2p = np.full(nl, np.nan)
    l1p[mcols] = l1[nl:]
    l2p[mcols] = l2[nl:]
    return l1[:nl], l2[:nl], l1p, l2p


def _typed(pedigree: Pedigree, loci: Sequence[Locus], g: np.ndarray) -> np.ndarray:
    """Bool (P, L): typed (both alleles given); :class:`LikelihoodError` naming the person and
    the locus when only one allele is given."""
    typed = (g >= 0).all(axis=2)
    half = (g >= 0).any(axis=2) & ~typed
    if half.any():
        i, j = np.argwhere(half)[0]
        raise LikelihoodError(
            f"person {pedigree.ids[i]!r}, locus {loci[j].name}: only one allele given"
        )
    return typed


def _pattern_groups(typed: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Group loci by typed pattern: list of (person mask (P,), locus columns)."""
    if typed.shape[1] == 0:
        return []
    n_p = typed.shape[0]
    if n_p <= 62:
        keys = (typed.T.astype(np.int64) << np.arange(n_p, dtype=np.int64)).sum(axis=1)
        _uk, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        uniq = typed.T[first]
    else:
        uniq, inv = np.unique(typed.T, axis=0, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    bounds = np.searchsorted(inv[order], np.arange(uniq.shape[0] + 1))
    return [(uniq[i], order[bounds[i] : bounds[i + 1]]) for i in range(uniq.shape[0])]


def loglik_per_locus(
    pedigree: Pedigree, loci: Sequence[Locus], genotypes: np.ndarray, max_clique: int | None = None
) -> np.ndarray:
    """Per-locus natural-log likelihood of ``genotypes`` on ``pedigree``.

    genotypes: int ``(n_persons, n_loci, 2)`` allele indices (pedigree order), ``-1`` untyped
    (both alleles). Returns float64 ``(n_loci,)``; ``-inf`` where the data are impossible.
    ``max_clique``: the complexity limit (default :data:`MAX_CLIQUE`); beyond it
    :class:`TooComplexError` names the loci.
    """
    g = np.asarray(genotypes)
    if g.ndim != 3 or g.shape[0] != len(pedigree) or g.shape[1] != len(loci) or g.shape[2] != 2:
        raise LikelihoodError(
            f"genotypes must have shape ({len(pedigree)}, {len(loci)}, 2), got {g.shape}"
        )
    typed = _typed(pedigree, loci, g)
    out = np.zeros(len(loci))
    if not len(loci):
        return out
    fa = tuple(pedigree.father.tolist())
    mo = tuple(pedigree.mother.tolist())
    ft = freq_table(tuple(loci))
    for tmask, cols_a in _pattern_groups(typed):
        if not tmask.any():
            continue  # nobody typed: likelihood 1
        tkey = tuple(bool(x) for x in tmask.tolist())
        gt = g[:, cols_a, :].astype(np.int64)
        for pos, batch, _lam in row_batches(ft, cols_a, ft.mut[cols_a], gt, np.flatnonzero(tmask)):
            try:
                _, ls = _run(_compile(fa, mo, tkey, -1, batch.k), batch, max_clique)
            except TooComplexError as exc:
                names = [loci[j].name for j in cols_a[pos].tolist()]
                raise exc.at(names, pedigree.has_loop()) from None
            out[cols_a[pos]] = ls
    return out


def log10_likelihood(
    pedigree: Pedigree, loci: Sequence[Locus], genotypes: np.ndarray, max_clique: int | None = None
) -> np.ndarray:
    """Per-locus log10 likelihood (float64 ``(n_loci,)``, ``-inf`` if impossible); see
    :func:`loglik_per_locus` for the layout. The multi-locus value is the sum (unlinked)."""
    return loglik_per_locus(pedigree, loci, genotypes, max_clique) / _LN10


def query_genotype_tables(
    pedigree: Pedigree,
    query: int,
    loci: Sequence[Locus],
    references: np.ndarray,
    max_clique: int | None = None,
    keep: np.ndarray | None = None,
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray] | None:
    """Joint probabilities of the references and every genotype of the untyped person
    ``query``, per locus, from one elimination per locus batch.

    Returns ``(tables, logscale, log_refs)``: ``tables[l]`` float64 ``(n_l, n_l)`` over the
    locus's alleles, ``logscale`` and ``log_refs`` float64 ``(L,)`` (natural logs), such
    that ``P(refs, query has ordered alleles (a, b)) = tables[l][a, b] * exp(logscale[l])``;
    an unordered genotype ``{a, b}`` has ``tables[l][a, b] + tables[l][b, a]`` (``a != b``);
    ``log_refs[l] = ln P(refs)``. ``keep``: int ``(L, m)`` alleles that will be looked up
    (e.g. every candidate's): where the locus model allows it, the other alleles nobody
    carries are lumped (exact for the kept and the references' alleles, whose entries are
    then the only meaningful ones); None keeps every allele. Returns None when keeping the
    query's alleles costs more than evaluating genotypes one at a time (then use
    :func:`loglik_per_locus`). Used to score many candidates for one missing person."""
    ref = np.asarray(references)
    typed = _typed(pedigree, loci, ref)
    if typed[query].any():
        raise LikelihoodError(f"the query person {pedigree.ids[query]!r} must be untyped")
    fa = tuple(pedigree.father.tolist())
    mo = tuple(pedigree.mother.tolist())
    limit = MAX_CLIQUE if max_clique is None else max_clique
    ft = freq_table(tuple(loci))
    tables: list[np.ndarray] = [np.empty((0, 0))] * len(loci)
    scale = np.zeros(len(loci))
    log_refs = np.zeros(len(loci))
    for tmask, cols in _pattern_groups(typed):
        tkey = tuple(bool(x) for x in tmask.tolist())
        if keep is None:
            nmax = ft.pad.shape[1]
            batches = [(pos, b, np.broadcast_to(np.arange(nmax + 1), (pos.size, nmax + 1)))
                       for pos, b in _full_rows(ft, cols, ref[:, cols])]
        else:
            batches = row_batches(ft, cols, ft.mut[cols], ref[:, cols].astype(np.int64),
                                  np.flatnonzero(tmask), np.asarray(keep)[cols])
        for pos, batch, lam in batches:
            if not _query_cheaper(fa, mo, tkey, query, batch.k, limit):
                return None
            try:
                joint, ls = _run(_compile(fa, mo, tkey, query, batch.k), batch, limit)
            except TooComplexError as exc:
                names = [loci[j].name for j in cols[pos].tolist()]
                raise exc.at(names, pedigree.has_loop()) from None
            assert joint is not None
            with np.errstate(divide="ignore"):
                tot = np.log(joint.reshape(joint.shape[0], -1).sum(axis=1)) + ls
            for r, j in enumerate(cols[pos].tolist()):
                ix = np.asarray(lam[r][: loci[j].n_alleles])
                tables[j] = joint[r][ix[:, None], ix[None, :]]
                scale[j] = ls[r]
                log_refs[j] = tot[r]
    return tables, scale, log_refs
