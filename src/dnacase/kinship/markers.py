"""Markers (loci) with allele frequency tables, and genotype encoding.

* A :class:`Locus` has ``alleles`` (tuple of str, in table order; "9.3", "13", "A"...),
  ``freqs`` (float64 ``(n,)``, summing to 1), and an optional mutation model.
* Genotypes are int arrays of allele indices into ``Locus.alleles``; ``-1`` means untyped.
  A set of persons x loci is ``(n_persons, n_loci, 2)`` int32; one profile is ``(n_loci, 2)``.
* ``"OL"`` (off-ladder) is not an allele: encoding it raises :class:`MarkerError`.

Policy for alleles absent from the frequency table (:func:`add_missing_alleles`): each new
allele gets the minimum frequency ``5 / (2N)`` where ``N`` is the number of individuals in the
frequency database; then all frequencies are divided by their sum. The change is returned as a
list of notes that the caller must report with the result (it is never silent).

SNP panels are biallelic markers of the same kind (alleles "A", "G"...). All markers are
treated as unlinked: a multi-locus likelihood is the product over loci.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .mutation import CustomMutation, MutationModel, SexSpecificMutation, sex_matrices

NOT_ALLELES = frozenset({"OL", "OFF-LADDER", "?", ""})


class MarkerError(ValueError):
    """Invalid marker data (frequency table, allele name or genotype); names the locus."""


@dataclass(frozen=True, eq=False)
class Locus:
    """One marker: ``name``, ``alleles`` (str, table order), ``freqs`` float64 ``(n,)``
    summing to 1 (within 1e-6), and ``mutation`` (``None``, one :class:`MutationModel` for both
    sexes, or :class:`SexSpecificMutation`)."""

    name: str
    alleles: tuple[str, ...]
    freqs: np.ndarray
    mutation: MutationModel | SexSpecificMutation | CustomMutation | None = None
    _index: dict[str, int] = field(init=False, repr=False)
    _mats: list[tuple[np.ndarray, np.ndarray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        alleles = tuple(str(a) for a in self.alleles)
        p = np.asarray(self.freqs, dtype=np.float64).reshape(-1)
        if not alleles:
            raise MarkerError(f"locus {self.name}: empty frequency table")
        if p.size != len(alleles):
            raise MarkerError(f"locus {self.name}: {len(alleles)} alleles but {p.size} frequencies")
        index: dict[str, int] = {}
        for i, a in enumerate(alleles):
            if a.upper() in NOT_ALLELES:
                raise MarkerError(f"locus {self.name}: {a!r} is not an allele name")
            if a in index:
                raise MarkerError(f"locus {self.name}: allele {a!r} listed twice")
            index[a] = i
        if not np.all(np.isfinite(p)) or np.any(p <= 0):
            bad = [a for a, v in zip(alleles, p, strict=True) if not (v > 0 and np.isfinite(v))]
            raise MarkerError(f"locus {self.name}: frequencies must be > 0 (alleles {bad})")
        if abs(p.sum() - 1.0) > 1e-6:
            raise MarkerError(f"locus {self.name}: frequencies sum to {p.sum():.9g}, not 1")
        p.setflags(write=False)
        object.__setattr__(self, "alleles", alleles)
        object.__setattr__(self, "freqs", p)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_mats", [])

    @property
    def n_alleles(self) -> int:
        return len(self.alleles)

    def allele_index(self, allele: str, who: str = "") -> int:
        """Index of ``allele``; :class:`MarkerError` naming person ``who`` and the locus."""
        a = str(allele).strip()
        try:
            return self._index[a]
        except KeyError:
            pass
        ctx = f" (person {who!r})" if who else ""
        if a.upper() in NOT_ALLELES:
            raise MarkerError(
                f"locus {self.name}{ctx}: {allele!r} is not an allele (off-ladder calls must be "
                "resolved or the locus left untyped)"
            )
        # tolerate "9.0" == "9" and "09" == "9"
        try:
            v = float(a)
            for name, idx in self._index.items():
                try:
                    if float(name) == v:
                        return idx
                except ValueError:
                    continue
        except ValueError:
            pass
        raise MarkerError(
            f"locus {self.name}{ctx}: allele {allele!r} is not in the frequency table"
        )

    def matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """``(female, male)`` mutation matrices ``(n, n)`` float64 (identity without a model);
        built once and cached."""
        if not self._mats:
            f, m = sex_matrices(self.mutation, self.alleles, self.freqs)
            f.setflags(write=False)
            m.setflags(write=False)
            self._mats.append((f, m))
        return self._mats[0]

    def without_mutation(self) -> Locus:
        """The same locus without a mutation model (cached)."""
        if not self.has_mutation:
            return self
        if len(self._mats) < 2:
            self.matrices()
            self._mats.append(Locus(self.name, self.alleles, self.freqs, None))  # type: ignore[arg-type]
        return self._mats[1]  # type: ignore[return-value]

    @property
    def has_mutation(self) -> bool:
        mu = self.mutation
        if mu is None:
            return False
        if isinstance(mu, SexSpecificMutation):
            return mu.female is not None or mu.male is not None
        return True

    def describe_mutation(self) -> str:
        return "none" if self.mutation is None else self.mutation.describe()

    @classmethod
    def from_mapping(
        cls,
        name: str,
        freqs: Mapping[str, float],
        mutation: MutationModel | SexSpecificMutation | CustomMutation | None = None,
    ) -> Locus:
        """Build from ``{allele: frequency}`` (table order = mapping order)."""
        return cls(
            name, tuple(freqs.keys()), np.array(list(freqs.values()), dtype=np.float64), mutation
        )


def add_missing_alleles(
    locus: Locus, alleles: Sequence[str], n_individuals: int
) -> tuple[Locus, list[str]]:
    """Apply the minimum-frequency policy: add each allele of ``alleles`` absent from the table
    with frequency ``5 / (2 * n_individuals)``, then renormalise (divide by the new sum).

    Returns the new locus (same mutation model, rebuilt over the new allele list) and notes
    describing each change; the notes are empty when nothing was added.
    """
    new = []
    for a in alleles:
        a = str(a).strip()
        if a.upper() in NOT_ALLELES:
            raise MarkerError(f"locus {locus.name}: {a!r} is not an allele")
        try:
            locus.allele_index(a)
        except MarkerError:
            if a not in new:
                new.append(a)
    if not new:
        return locus, []
    if n_individuals <= 0:
        raise MarkerError(f"locus {locus.name}: n_individuals must be positive")
    fmin = 5.0 / (2.0 * n_individuals)
    al = list(locus.alleles) + new
    p = np.concatenate([locus.freqs, np.full(len(new), fmin)])
    p = p / p.sum()
    notes = [
        f"locus {locus.name}: allele {a} absent from the frequency table; given minimum "
        f"frequency 5/2N = {fmin:.6g} (N = {n_individuals}) and the table renormalised"
        for a in new
    ]
    return Locus(locus.name, tuple(al), p, locus.mutation), notes


def encode_genotype(locus: Locus, pair: Sequence[str] | None, who: str = "") -> tuple[int, int]:
    """Two allele names -> two indices (``(-1, -1)`` when ``pair`` is None or empty)."""
    if pair is None or len(pair) == 0:
        return (-1, -1)
    if len(pair) != 2:
        raise MarkerError(
            f"locus {locus.name} (person {who!r}): a genotype has exactly two alleles, "
            f"got {list(pair)!r}"
        )
    return (locus.allele_index(pair[0], who), locus.allele_index(pair[1], who))


def encode_profiles(
    loci: Sequence[Locus], persons: Sequence[str], data: Mapping[str, Mapping[str, Sequence[str]]]
) -> np.ndarray:
    """Encode ``{person: {locus: [a, b]}}`` into int32 ``(len(persons), len(loci), 2)``;
    persons or loci absent from ``data`` are ``-1`` (untyped)."""
    out = np.full((len(persons), len(loci), 2), -1, dtype=np.int32)
    for i, pid in enumerate(persons):
        prof = data.get(pid)
        if not prof:
            continue
        for j, loc in enumerate(loci):
            if loc.name in prof:
                out[i, j] = encode_genotype(loc, prof[loc.name], pid)
    return out


# ----- compact genotype codes (for the search kernel) ---------------------------------------
def n_genotypes(n_alleles: int | np.ndarray) -> int | np.ndarray:
    """Number of unordered genotypes ``n (n + 1) / 2``."""
    return n_alleles * (n_alleles + 1) // 2


def genotype_code(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unordered genotype code ``hi (hi + 1) / 2 + lo`` with ``lo = min(a, b)``,
    ``hi = max(a, b)``; ``-1`` where either allele is ``-1``. int32, same shape as inputs."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    code = hi * (hi + 1) // 2 + lo
    return np.where(lo < 0, -1, code).astype(np.int32)


def genotype_pairs(n_alleles: int) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` int64 arrays of length ``n (n + 1) / 2`` giving the alleles of each code."""
    hi = np.repeat(np.arange(n_alleles), np.arange(1, n_alleles + 1))
    lo = np.concatenate([np.arange(k + 1) for k in range(n_alleles)]) if n_alleles else hi
    return lo.astype(np.int64), hi.astype(np.int64)
