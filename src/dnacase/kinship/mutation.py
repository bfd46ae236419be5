"""Mutation models for autosomal STR markers (the pedmut definitions).

A mutation matrix ``M`` is a float64 array of shape ``(n, n)`` over a locus's alleles in
table order: ``M[i, j] = P(child receives allele j | parent transmits allele i)``; every row
sums to 1. The models and their formulas (pedmut 0.9, no ``transform``):

* ``equal`` (rate r): ``M[i,i] = 1 - r``, ``M[i,j] = r/(n-1)`` for ``j != i``.
* ``proportional`` (rate r): ``alpha = r / sum_k p_k (1 - p_k)``,
  ``M = (1 - alpha) I + alpha 1 p^T``; refused when ``r > (1 - sum p^2) / (1 - min p)``.
* ``onestep`` (rate r; integer alleles): ``N_i = {j : |x_j - x_i| = 1}``; empty ``N_i`` gives
  ``M[i,i] = 1``, else ``M[i,i] = 1 - r`` and ``M[i,j] = r/|N_i|`` for ``j in N_i``.
* ``stepwise`` (rate r, rate2 r2, range R): microvariant class
  ``g_i = round(10 (x_i - round(x_i)))`` (round half to even, as R does);
  ``S_i`` = other alleles of the same class, ``D_i`` = alleles of other classes;
  ``M[i,i] = 1 - r`` if ``D_i`` is empty, ``1 - r2`` if ``S_i`` is empty, else ``1 - r - r2``;
  ``M[i,j] = r R^|x_i-x_j| / sum_{k in S_i} R^|x_i-x_k|`` for ``j in S_i``;
  ``M[i,j] = r2/|D_i|`` for ``j in D_i``.

Fathers and mothers may have different models (:class:`SexSpecificMutation`). A locus with
no model (``None``) has ``M = I``: any Mendelian inconsistency then gives likelihood 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

ModelName = Literal["equal", "proportional", "stepwise", "onestep"]
MODELS: tuple[str, ...] = ("equal", "proportional", "stepwise", "onestep")


class MutationModelError(ValueError):
    """A mutation model cannot be built for a locus (bad parameters or allele names)."""


@dataclass(frozen=True)
class MutationModel:
    """One pedmut mutation model: ``model`` name, ``rate`` (per meiosis, a probability),
    ``range`` (stepwise only: geometric decrease per extra repeat, 0 < range) and ``rate2``
    (stepwise only: rate of jumps between microvariant classes)."""

    model: ModelName
    rate: float
    range: float | None = None
    rate2: float | None = None

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise MutationModelError(
                f"unknown mutation model {self.model!r} (expected one of {', '.join(MODELS)})"
            )
        if not (0.0 <= self.rate <= 1.0) or math.isnan(self.rate):
            raise MutationModelError(f"mutation rate {self.rate!r} is not a probability")
        if self.model == "stepwise":
            if self.range is None or not (self.range > 0):
                raise MutationModelError("stepwise model needs a positive 'range'")
            r2 = 0.0 if self.rate2 is None else self.rate2
            if not (0.0 <= r2 <= 1.0) or self.rate + r2 > 1.0:
                raise MutationModelError(f"stepwise rate2 {self.rate2!r} is not valid")

    def describe(self) -> str:
        """Short description, e.g. ``stepwise(rate=0.002, range=0.5, rate2=1e-06)``."""
        parts = [f"rate={self.rate!r}"]
        if self.model == "stepwise":
            parts += [f"range={self.range!r}", f"rate2={self.rate2!r}"]
        return f"{self.model}({', '.join(parts)})"


@dataclass(frozen=True)
class SexSpecificMutation:
    """Separate models for transmissions from mothers (``female``) and fathers (``male``);
    either may be ``None`` (no mutation in that sex)."""

    female: MutationModel | None
    male: MutationModel | None

    def describe(self) -> str:
        f = self.female.describe() if self.female else "none"
        m = self.male.describe() if self.male else "none"
        return f"female={f}; male={m}"


@dataclass(frozen=True, eq=False)
class CustomMutation:
    """Explicit matrices ``female`` and ``male``, float64 ``(n, n)`` over the locus's alleles
    (rows sum to 1). For models outside pedmut's list and for tests."""

    female: np.ndarray
    male: np.ndarray

    def describe(self) -> str:
        return "custom"

    def check(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        out = []
        for name, m in (("female", self.female), ("male", self.male)):
            a = np.asarray(m, dtype=np.float64)
            if a.shape != (n, n) or np.any(a < 0) or not np.allclose(a.sum(axis=1), 1.0):
                raise MutationModelError(
                    f"custom {name} matrix must be ({n}, {n}), rows summing to 1"
                )
            out.append(a.copy())
        return out[0], out[1]


def _numeric(alleles: tuple[str, ...] | list[str], model: str) -> np.ndarray:
    try:
        return np.array([float(a) for a in alleles], dtype=np.float64)
    except ValueError as exc:
        raise MutationModelError(
            f"{model} model needs numeric allele names; got {list(alleles)!r}"
        ) from exc


def mutation_matrix(
    model: MutationModel | None, alleles: tuple[str, ...] | list[str], freqs: np.ndarray
) -> np.ndarray:
    """Build the ``(n, n)`` float64 mutation matrix of ``model`` over ``alleles`` (table order)
    with frequencies ``freqs`` (shape ``(n,)``). ``None`` gives the identity."""
    n = len(alleles)
    p = np.asarray(freqs, dtype=np.float64)
    if model is None or n == 1:
        return np.eye(n)
    r = float(model.rate)
    if model.model == "equal":
        m = np.full((n, n), r / (n - 1))
        np.fill_diagonal(m, 1.0 - r)
        return m
    if model.model == "proportional":
        denom = float(np.sum(p * (1.0 - p)))
        bound = (1.0 - float(np.sum(p * p))) / (1.0 - float(p.min()))
        if r > bound:
            raise MutationModelError(
                f"proportional model: rate {r} exceeds the maximum {bound:.6g} "
                "for these frequencies"
            )
        alpha = r / denom
        m = (1.0 - alpha) * np.eye(n) + alpha * np.broadcast_to(p, (n, n))
        return m
    x = _numeric(alleles, model.model)
    if model.model == "onestep":
        if np.any(x != np.round(x)):
            bad = [a for a, v in zip(alleles, x, strict=True) if v != round(v)]
            raise MutationModelError(f"onestep model needs integer alleles; got {bad!r}")
        nb = np.abs(x[:, None] - x[None, :]) == 1.0
        cnt = nb.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(nb, r / cnt[:, None], 0.0)
        np.fill_diagonal(m, np.where(cnt == 0, 1.0, 1.0 - r))
        return m
    # stepwise
    rng = float(model.range)  # type: ignore[arg-type]
    r2 = 0.0 if model.rate2 is None else float(model.rate2)
    g = np.round(10.0 * (x - np.round(x)))  # microvariant class; half to even, as R
    same = g[:, None] == g[None, :]
    np.fill_diagonal(same, False)
    other = g[:, None] != g[None, :]
    n_same, n_other = same.sum(axis=1), other.sum(axis=1)
    w = np.where(same, rng ** np.abs(x[:, None] - x[None, :]), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(same, r * w / w.sum(axis=1, keepdims=True), 0.0)
        m += np.where(other, r2 / n_other[:, None], 0.0)
    diag = np.where(n_other == 0, 1.0 - r, np.where(n_same == 0, 1.0 - r2, 1.0 - r - r2))
    np.fill_diagonal(m, diag)
    return m


def sex_matrices(
    mutation: MutationModel | SexSpecificMutation | CustomMutation | None,
    alleles: tuple[str, ...] | list[str],
    freqs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(female, male)`` mutation matrices, each ``(n, n)`` float64."""
    if isinstance(mutation, CustomMutation):
        return mutation.check(len(alleles))
    if isinstance(mutation, SexSpecificMutation):
        return (
            mutation_matrix(mutation.female, alleles, freqs),
            mutation_matrix(mutation.male, alleles, freqs),
        )
    m = mutation_matrix(mutation, alleles, freqs)
    return m, m
