"""A joint DVI problem (several victims, several families, several missing persons): model and
parsing of the JSON format (oracle README section 6).

A problem has ``victims`` (remains: sex and genotypes), ``families`` (a pedigree each, with one
or more missing persons and typed references), the ``markers`` (frequency table and mutation
model per locus, shared by every family) and optional ``pairings`` (the allowed candidates of
each victim, ``"*"`` meaning "not among the missing"). Without ``pairings`` every victim may be
any missing person of agreeing sex (sex ``U`` agrees with both) or ``"*"``.

Parsing errors raise :class:`DVIError` naming the problem, and the family, person or locus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..case_io import CaseError, _base_locus
from ..markers import Locus, MarkerError, encode_genotype
from ..pedigree import FEMALE, MALE, Pedigree, PedigreeError, sex_code

__all__ = ["NOT_MISSING", "DVIError", "DVIFamily", "DVIProblem", "parse_problem"]

#: The assignment target "not among the missing persons".
NOT_MISSING = "*"


class DVIError(ValueError):
    """Invalid or unsolvable DVI problem; the message names the problem and the family,
    person or locus concerned."""


@dataclass(frozen=True, eq=False)
class DVIFamily:
    """One reference family: ``references`` int32 ``(n_persons, n_loci, 2)`` in pedigree
    order (missing persons untyped); ``missing`` the ids of its missing persons."""

    id: str
    pedigree: Pedigree
    missing: tuple[str, ...]
    references: np.ndarray


@dataclass(frozen=True, eq=False)
class DVIProblem:
    """A parsed problem. ``victim_genotypes`` int32 ``(n_victims, n_loci, 2)`` (``-1``
    untyped); ``victim_sex`` int codes (1 male, 2 female, 0 unknown); ``missing``: every
    missing person in input order; ``family_of``: missing person -> family index;
    ``allowed``: per victim the set of allowed missing persons (``"*"`` included when the
    victim may be unassigned)."""

    id: str
    loci: tuple[Locus, ...]
    victims: tuple[str, ...]
    victim_sex: np.ndarray
    victim_genotypes: np.ndarray
    families: tuple[DVIFamily, ...]
    missing: tuple[str, ...]
    family_of: Mapping[str, int]
    missing_sex: Mapping[str, int]
    allowed: tuple[frozenset[str], ...]
    pairings_given: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    log_prior: np.ndarray | None = None

    def prior_delta(self, v: int, m: str) -> float:
        """``ln(w(v, m) / w(v, *))`` of the optional prior per pairing (0 without one)."""
        if self.log_prior is None or m == NOT_MISSING:
            return 0.0
        return float(self.log_prior[v, self.missing.index(m)])

    def sex_agrees(self, v: int, m: str) -> bool:
        """Victim ``v`` (index) and missing person ``m`` may be the same person by sex."""
        a, b = int(self.victim_sex[v]), self.missing_sex[m]
        return a == 0 or b == 0 or a == b

    def considered(self, v: int, m: str) -> bool:
        """The pairing is considered: sexes agree and ``pairings`` (if given) lists it."""
        return m in self.allowed[v]


def _req(obj: Mapping[str, Any], key: str, kind: type, ctx: str) -> Any:
    if key not in obj:
        raise DVIError(f"{ctx}: missing field {key!r}")
    val = obj[key]
    if not isinstance(val, kind):
        raise DVIError(f"{ctx}: field {key!r} must be a {kind.__name__}")
    return val


def _loci(markers: Any, ctx: str) -> tuple[Locus, ...]:
    if not isinstance(markers, list) or not markers:
        raise DVIError(f"{ctx}: 'markers' must be a non-empty array")
    out, seen = [], set()
    for k, m in enumerate(markers):
        if not isinstance(m, dict) or "name" not in m or not isinstance(m.get("frequencies"), dict):
            raise DVIError(f"{ctx}: marker #{k + 1} needs 'name' and 'frequencies'")
        if m["name"] in seen:
            raise DVIError(f"{ctx}, locus {m['name']}: marker listed twice")
        seen.add(m["name"])
        try:
            out.append(_base_locus(m, ctx))
        except CaseError as exc:
            raise DVIError(str(exc)) from exc
    return tuple(out)


def _encode(
    loci: Sequence[Locus], prof: Any, who: str, ctx: str
) -> np.ndarray:
    """One person's ``{locus: [a, b]}`` -> int32 ``(n_loci, 2)``."""
    out = np.full((len(loci), 2), -1, dtype=np.int32)
    if prof is None:
        return out
    if not isinstance(prof, dict):
        raise DVIError(f"{ctx}, person {who!r}: genotypes must be an object locus -> [a, b]")
    names = {loc.name: j for j, loc in enumerate(loci)}
    for lname, pair in prof.items():
        if lname not in names:
            raise DVIError(f"{ctx}, person {who!r}, locus {lname}: not among the markers")
        if pair is None or (isinstance(pair, list) and not pair):
            continue
        if not isinstance(pair, list) or len(pair) != 2:
            raise DVIError(f"{ctx}, person {who!r}, locus {lname}: a genotype is two alleles, "
                           f"got {pair!r}")
        try:
            out[names[lname]] = encode_genotype(loci[names[lname]], [str(a) for a in pair], who)
        except MarkerError as exc:
            raise DVIError(f"{ctx}, person {who!r}: {exc}") from exc
    return out


def _family(obj: Any, k: int, loci: Sequence[Locus], ctx: str) -> DVIFamily:
    if not isinstance(obj, dict):
        raise DVIError(f"{ctx}: family #{k + 1} must be an object")
    fid = str(obj.get("id", f"#{k + 1}"))
    fctx = f"{ctx}, family {fid!r}"
    recs = _req(obj, "pedigree", list, fctx)
    try:
        ped = Pedigree.from_records(recs)
    except (PedigreeError, AttributeError) as exc:
        raise DVIError(f"{fctx}: pedigree: {exc}") from exc
    missing = _req(obj, "missing", list, fctx)
    if not missing:
        raise DVIError(f"{fctx}: no missing person")
    for m in missing:
        if m not in ped:
            raise DVIError(f"{fctx}: missing person {m!r} is not in the pedigree")
    genos = obj.get("genotypes") or {}
    if not isinstance(genos, dict):
        raise DVIError(f"{fctx}: 'genotypes' must be an object person -> genotypes")
    refs = np.full((len(ped), len(loci), 2), -1, dtype=np.int32)
    for pid, prof in genos.items():
        if pid not in ped:
            raise DVIError(f"{fctx}, person {pid!r}: has genotypes but is not in the pedigree")
        refs[ped.index(pid)] = _encode(loci, prof, pid, fctx)
        if pid in missing and (refs[ped.index(pid)] >= 0).any():
            raise DVIError(f"{fctx}, person {pid!r}: a missing person must be untyped")
    return DVIFamily(fid, ped, tuple(str(m) for m in missing), refs)


def _victims(
    items: Any, loci: Sequence[Locus], ctx: str
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    if not isinstance(items, list) or not items:
        raise DVIError(f"{ctx}: 'victims' must be a non-empty array")
    ids, sexes, genos = [], [], []
    for k, v in enumerate(items):
        if not isinstance(v, dict) or "id" not in v:
            raise DVIError(f"{ctx}: victim #{k + 1} needs an 'id'")
        vid = str(v["id"])
        if vid in ids:
            raise DVIError(f"{ctx}, victim {vid!r}: duplicate victim id")
        try:
            sexes.append(sex_code(v.get("sex", "U"), vid))
        except PedigreeError as exc:
            raise DVIError(f"{ctx}, victim {vid!r}: {exc}") from exc
        ids.append(vid)
        genos.append(_encode(loci, v.get("genotypes"), vid, ctx))
    return tuple(ids), np.array(sexes, dtype=np.int8), np.stack(genos)


def _allowed(
    obj: Mapping[str, Any], ctx: str, victims: Sequence[str], vsex: np.ndarray,
    missing: Sequence[str], msex: Mapping[str, int],
) -> tuple[tuple[frozenset[str], ...], bool]:
    """Allowed targets per victim: sex-agreeing missing persons and ``*``, restricted to
    ``pairings`` when given (a listed pairing of disagreeing sex is an error)."""
    pairings = obj.get("pairings")
    if pairings is not None and not isinstance(pairings, dict):
        raise DVIError(f"{ctx}: 'pairings' must be an object victim -> [missing persons]")
    out = []
    for v, vid in enumerate(victims):
        sex_ok = {m for m in missing
                  if vsex[v] == 0 or msex[m] == 0 or int(vsex[v]) == msex[m]}
        if pairings is None:
            out.append(frozenset(sex_ok | {NOT_MISSING}))
            continue
        listed = pairings.get(vid, [NOT_MISSING])
        if not isinstance(listed, list):
            raise DVIError(f"{ctx}, victim {vid!r}: pairings must be a list")
        for m in listed:
            if m != NOT_MISSING and m not in msex:
                raise DVIError(f"{ctx}, victim {vid!r}: pairing with unknown missing person {m!r}")
            if m != NOT_MISSING and m not in sex_ok:
                raise DVIError(f"{ctx}, victim {vid!r}: pairing with {m!r} of the other sex")
        out.append(frozenset(str(m) for m in listed))
    if pairings is not None:
        for vid in pairings:
            if vid not in victims:
                raise DVIError(f"{ctx}: pairings for unknown victim {vid!r}")
    return tuple(out), pairings is not None


def parse_problem(obj: Any, index: int = 0) -> DVIProblem:
    """Parse and check one problem object (see module docstring)."""
    if not isinstance(obj, dict):
        raise DVIError(f"problem #{index + 1}: must be an object")
    pid = str(obj.get("id", f"#{index + 1}"))
    ctx = f"problem {pid!r}"
    loci = _loci(obj.get("markers"), ctx)
    victims, vsex, vgen = _victims(obj.get("victims"), loci, ctx)
    fams_raw = _req(obj, "families", list, ctx)
    if not fams_raw:
        raise DVIError(f"{ctx}: no family")
    families = tuple(_family(f, k, loci, ctx) for k, f in enumerate(fams_raw))
    family_of: dict[str, int] = {}
    msex: dict[str, int] = {}
    for k, fam in enumerate(families):
        for m in fam.missing:
            if m in family_of:
                raise DVIError(f"{ctx}, family {fam.id!r}: missing person {m!r} is also in "
                               f"family {families[family_of[m]].id!r}")
            if m in victims:
                raise DVIError(f"{ctx}: {m!r} is both a victim and a missing person")
            family_of[m] = k
            code = int(fam.pedigree.sex[fam.pedigree.index(m)])
            msex[m] = code if code in (MALE, FEMALE) else 0
    listed = obj.get("missing")
    missing = tuple(str(m) for m in listed) if isinstance(listed, list) else tuple(family_of)
    if set(missing) != set(family_of):
        raise DVIError(f"{ctx}: 'missing' must list exactly the families' missing persons")
    allowed, given = _allowed(obj, ctx, victims, vsex, missing, msex)
    prior = _prior(obj.get("prior"), ctx, victims, missing)
    return DVIProblem(pid, loci, victims, vsex, vgen, families, missing, family_of, msex,
                      allowed, given, obj, prior)


def _prior(spec: Any, ctx: str, victims: Sequence[str], missing: Sequence[str]
           ) -> np.ndarray | None:
    """The optional prior per pairing ``{V: {M: w, "*": w}}`` (weights >= 0, default 1, the
    ``*`` weight > 0) as ``ln(w(V, M) / w(V, *))`` float64 ``(n_victims, n_missing)``. The
    prior of an assignment is the product of its pairings' weights."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise DVIError(f"{ctx}: 'prior' must be an object victim -> {{missing person: weight}}")
    out = np.zeros((len(victims), len(missing)))
    col = {m: j for j, m in enumerate(missing)}
    for vid, row in spec.items():
        if vid not in victims or not isinstance(row, dict):
            raise DVIError(f"{ctx}: prior for unknown victim {vid!r} (or not an object)")
        w = {}
        for m, x in row.items():
            if (m != NOT_MISSING and m not in col) or not isinstance(x, int | float) or x < 0:
                raise DVIError(f"{ctx}, victim {vid!r}: prior weight of {m!r} must be a "
                               "number >= 0 for a known missing person or '*'")
            w[m] = float(x)
        star = w.get(NOT_MISSING, 1.0)
        if star <= 0:
            raise DVIError(f"{ctx}, victim {vid!r}: the prior weight of '*' must be > 0")
        v = victims.index(vid)
        with np.errstate(divide="ignore"):
            for m, x in w.items():
                if m != NOT_MISSING:
                    out[v, col[m]] = np.log(x / star)
            for m in col:
                if m not in w:
                    out[v, col[m]] = -np.log(star)
    return out
