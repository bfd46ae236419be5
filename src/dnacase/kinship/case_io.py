"""Read and validate kinship cases in the oracle JSON format (see ``CASE_SCHEMA``).

Validation is two-stage: the JSON Schema (structure, types), then semantic checks that name
the case, person and locus: unknown or wrong-sex parents, a person who is their own ancestor,
duplicate ids, ``missing`` not in the pedigree, the POI inside the pedigree, genotypes for
unknown persons or loci, allele names that are not alleles ("OL"), alleles absent from the
frequency table (allowed only with ``n_individuals``: 5/2N policy, reported in the notes).

Allele dropout: ``"dropout": {"PERSON": d}`` gives a person's dropout probability per allele
copy (``0 <= d < 1``); such a person's one-peak genotype may be written ``["a"]`` or
``["a", "a"]`` (both mean "one peak a", summed over the true genotypes, :mod:`.peaks`). A
one-allele genotype of a person without a dropout probability is refused.

Linked markers: a marker may carry ``"chromosome"`` with ``"cm_male"`` and ``"cm_female"``
(or ``"position_mb"``, GRCh38); the case's LR is then the linked one
(:func:`.linkage.lr.linked_missing_person_lr`, :mod:`.linkage.positions` for what is refused).

Silent alleles: a marker's optional ``"null_allele": q`` adds a silent allele of frequency
``q`` (:func:`.peaks.add_null_allele`); every one-peak genotype at that marker is then summed
over ``{a, a}`` and ``{a, null}`` (and, under dropout, ``{a, x}``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .case_schema import CASE_SCHEMA
from .lineage.schema import LINEAGE_SCHEMA, LINEAGE_SCHEMA_ID
from .linkage.lr import linked_missing_person_lr
from .linkage.positions import MarkerPositions, marker_positions
from .lr import LRResult, missing_person_lr
from .markers import Locus, MarkerError, add_missing_alleles, encode_genotype
from .mutation import MutationModel, MutationModelError, SexSpecificMutation
from .peaks import NULL_ALLELE, add_null_allele, dropout_weights
from .pedigree import Pedigree, PedigreeError

__all__ = ["Case", "CaseError", "error_json", "load_cases", "parse_case", "result_json"]


class CaseError(ValueError):
    """Invalid case input; the message names the case and, where relevant, person and locus."""


@dataclass
class Case:
    """A parsed case: ``references`` int32 ``(n_persons, n_loci, 2)`` in pedigree order (the
    missing person untyped), ``poi_genotype`` int32 ``(n_loci, 2)``; ``notes`` list policies
    applied while reading (e.g. minimum allele frequency); ``dropout``: person id -> allele
    dropout probability (a person with ``d > 0`` has its ``(a, a)`` genotypes read as one
    peak a, :mod:`.peaks`)."""

    id: str
    loci: list[Locus]
    pedigree: Pedigree
    missing: str
    poi: str
    references: np.ndarray
    poi_genotype: np.ndarray
    notes: list[str] = field(default_factory=list)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    dropout: dict[str, float] = field(default_factory=dict)
    linkage: MarkerPositions | None = None

    def peaks(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        """One-allele weights ``(references (P, L, 2), POI (L, 2))`` from ``dropout`` (None
        where nobody has ``d > 0``): persons with ``d > 0`` read ``(a, a)`` as one peak."""
        ref_w = poi_w = None
        for pid, d in self.dropout.items():
            if d <= 0:
                continue
            w = np.broadcast_to(dropout_weights(d), (len(self.loci), 2))
            if pid == self.poi:
                poi_w = np.array(w)
            else:
                if ref_w is None:
                    ref_w = np.full((len(self.pedigree), len(self.loci), 2), np.nan)
                ref_w[self.pedigree.index(pid)] = w
        return ref_w, poi_w

    def compute(self, max_clique: int | None = None) -> LRResult:
        """Missing-person LR (log10, per locus); ``max_clique``: the complexity limit
        (:func:`.lr.missing_person_lr`)."""
        if self.linkage is not None:
            return linked_missing_person_lr(self.pedigree, self.missing, self.loci,
                                            self.references, self.poi_genotype, *self.linkage,
                                            notes=self.notes)
        ref_w, poi_w = self.peaks()
        notes = list(self.notes)
        if self.dropout:
            notes.append("allele dropout probability per allele copy: " + ", ".join(
                f"{p} {d:g}" for p, d in sorted(self.dropout.items())))
        return missing_person_lr(
            self.pedigree, self.missing, self.loci, self.references, self.poi_genotype, notes,
            max_clique, ref_peaks=ref_w, poi_peaks=poi_w,
        )  # fmt: skip


_FAST: Any = None
_CASE_V: Any = None


def _local_schema(uri: str) -> Any:
    """The referenced lineage schema from the package, never from the network."""
    if uri.split("#")[0] != LINEAGE_SCHEMA_ID:
        raise CaseError(f"schema reference to an unknown document: {uri}")
    return copy.deepcopy(LINEAGE_SCHEMA)


def _registry() -> Any:
    from referencing import Registry, Resource

    return Registry().with_resource(LINEAGE_SCHEMA_ID, Resource.from_contents(LINEAGE_SCHEMA))


def _marker_key(m: Any) -> tuple:
    """What the schema checks of a marker definition (``TypeError`` if unhashable)."""
    if not isinstance(m, dict) or not isinstance(m.get("frequencies"), dict):
        raise TypeError("not a marker object")
    key = (m.get("name"), tuple(m["frequencies"].items()), repr(m.get("mutation")),
           m.get("n_individuals"), tuple(sorted(m)),
           tuple(repr(m.get(f)) for f in ("chromosome", "cm_male", "cm_female", "position_mb")))
    hash(key)
    return key


def _distinct_markers(obj: Any) -> Any:
    """The same input with every marker definition already seen in an earlier case left out
    (cases of one file usually share their frequency tables), for the fast schema check; the
    input itself when it is not shaped for that (the full check then reports it)."""
    if not isinstance(obj, list):
        return obj
    seen: set[tuple] = set()
    out = []
    try:
        for case in obj:
            markers = case.get("markers") if isinstance(case, dict) else None
            if not isinstance(markers, list) or not markers:
                return obj
            keep = []
            for m in markers:
                key = _marker_key(m)
                if key not in seen:
                    seen.add(key)
                    keep.append(m)
            out.append({**case, "markers": keep or markers[:1]})
    except TypeError:
        return obj
    return out


def _schema_errors(obj: Any) -> None:
    """Validate against :data:`CASE_SCHEMA`: a compiled validator (fastjsonschema) for speed,
    then jsonschema on the failing case only, for the clearest message."""
    global _FAST, _CASE_V
    import fastjsonschema
    import jsonschema

    if not isinstance(obj, list | dict):
        raise CaseError("input must be a case object or an array of cases")
    if _FAST is None:
        _FAST = fastjsonschema.compile(  # it rewrites $refs in place
            copy.deepcopy(CASE_SCHEMA), handlers={"https": _local_schema}
        )
    try:
        _FAST(_distinct_markers(obj))
        return
    except fastjsonschema.JsonSchemaException as fast_exc:
        fast_msg = str(fast_exc)
    if _CASE_V is None:
        sub = {
            "$schema": CASE_SCHEMA["$schema"],
            "$id": "urn:dnacase:kinship-case",
            **CASE_SCHEMA["$defs"]["case"],
            "$defs": CASE_SCHEMA["$defs"],
        }
        _CASE_V = jsonschema.validators.validator_for(CASE_SCHEMA)(sub, registry=_registry())
    cases = obj if isinstance(obj, list) else [obj]
    for k, case in enumerate(cases):
        errs = sorted(_CASE_V.iter_errors(case), key=lambda e: list(e.absolute_path))
        if errs:
            e = errs[0]
            cid = case.get("id") if isinstance(case, dict) else None
            where = "/".join(str(p) for p in e.absolute_path) or "(case)"
            raise CaseError(f"case {cid!r} (#{k + 1}): at {where}: {e.message}")
    raise CaseError(f"input does not match the case schema: {fast_msg}")


def _mutation(spec: Any, ctx: str) -> MutationModel | SexSpecificMutation | None:
    try:
        if spec is None:
            return None
        if "female" in spec or "male" in spec:
            f = spec.get("female")
            m = spec.get("male")
            return SexSpecificMutation(
                None
                if f is None
                else MutationModel(f["model"], f["rate"], f.get("range"), f.get("rate2")),
                None
                if m is None
                else MutationModel(m["model"], m["rate"], m.get("range"), m.get("rate2")),
            )
        return MutationModel(spec["model"], spec["rate"], spec.get("range"), spec.get("rate2"))
    except (MutationModelError, KeyError, TypeError) as exc:
        raise CaseError(f"{ctx}: invalid mutation model: {exc}") from exc


def _base_locus(m: Mapping[str, Any], ctx: str) -> Locus:
    """The locus of a marker definition as given (frequency table, mutation model)."""
    lctx = f"{ctx}, locus {m['name']}"
    mut = _mutation(m.get("mutation"), lctx)
    try:
        loc = Locus.from_mapping(str(m["name"]), m["frequencies"], mut)
        loc.matrices()
    except MarkerError as exc:
        raise CaseError(f"{ctx}: {exc}") from exc
    except MutationModelError as exc:
        raise CaseError(f"{lctx}: {exc}") from exc
    return loc


def _absent_alleles(
    loc: Locus, ctx: str, genos: Mapping[str, Mapping[str, Sequence[str]]], used: set[str]
) -> list[str]:
    """Alleles of ``used`` missing from the table (off-ladder calls refused, naming who)."""
    absent = []
    for a in sorted(used):
        try:
            loc.allele_index(a)
        except MarkerError as exc:
            if a.upper() in ("OL", "OFF-LADDER", "?"):
                who = [p for p, pr in genos.items() if a in pr.get(loc.name, [])]
                raise CaseError(f"{ctx}, person {who[0]!r}: {exc}") from exc
            absent.append(a)
    return absent


def _with_absent(
    loc: Locus,
    absent: list[str],
    n_ind: int | None,
    ctx: str,
    genos: Mapping[str, Mapping[str, Sequence[str]]],
) -> tuple[Locus, list[str]]:
    """The 5/2N minimum-frequency policy for ``absent`` alleles, and its notes."""
    lctx = f"{ctx}, locus {loc.name}"
    if n_ind is None:
        who = [p for p, pr in genos.items() if set(pr.get(loc.name, [])) & set(absent)]
        raise CaseError(
            f"{lctx}, person {who[0]!r}: allele {absent[0]!r} is not in the frequency "
            "table (give the marker's n_individuals, or --n-individuals, to apply the "
            "5/2N minimum-frequency policy)"
        )
    try:
        new, added = add_missing_alleles(loc, absent, int(n_ind))
        new.matrices()
    except MarkerError as exc:
        raise CaseError(f"{ctx}: {exc}") from exc
    except MutationModelError as exc:
        raise CaseError(f"{lctx}: {exc}") from exc
    return new, added


def parse_case(
    obj: Mapping[str, Any],
    default_n_individuals: int | None = None,
    validate_schema: bool = True,
    locus_cache: dict[tuple, Any] | None = None,
) -> Case:
    """Parse and validate one case object. ``default_n_individuals`` enables the 5/2N policy
    for markers without ``n_individuals``. ``locus_cache`` (shared by the cases of one file)
    reuses one :class:`Locus` for identical marker definitions, so their frequency tables and
    mutation matrices are built once."""
    if validate_schema:
        _schema_errors(obj)
    cid = str(obj["id"])
    ctx = f"case {cid!r}"
    try:
        ped = Pedigree.from_records(obj["pedigree"])
    except PedigreeError as exc:
        raise CaseError(f"{ctx}: pedigree: {exc}") from exc
    missing, poi = str(obj["missing"]), str(obj["poi"])
    if missing not in ped:
        raise CaseError(f"{ctx}: the missing person {missing!r} is not in the pedigree")
    if poi in ped:
        raise CaseError(f"{ctx}: the POI {poi!r} must not be a pedigree member")
    genos: Mapping[str, Mapping[str, Sequence[str]]] = obj["genotypes"]
    for pid in genos:
        if pid != poi and pid not in ped:
            raise CaseError(f"{ctx}, person {pid!r}: has genotypes but is not in the pedigree")
    if genos.get(missing):
        raise CaseError(f"{ctx}, person {missing!r}: the missing person must be untyped")
    dropout = _dropout(obj, ctx, ped, poi)
    try:
        linkage = marker_positions(obj["markers"], any(d > 0 for d in dropout.values()))
    except ValueError as exc:
        raise CaseError(f"{ctx}: {exc}") from exc
    names = [str(m["name"]) for m in obj["markers"]]
    seen: set[str] = set()
    for nm in names:
        if nm in seen:
            raise CaseError(f"{ctx}, locus {nm}: marker listed twice")
        seen.add(nm)
    for pid, prof in genos.items():
        for loc in prof:
            if loc not in seen:
                raise CaseError(f"{ctx}, person {pid!r}, locus {loc}: not among the case's markers")
    loci: list[Locus] = []
    notes: list[str] = []
    cache: dict[tuple, Any] = {} if locus_cache is None else locus_cache
    for m in obj["markers"]:
        name = str(m["name"])
        key = (name, tuple(m["frequencies"].items()), json.dumps(m.get("mutation"), sort_keys=True),
               m.get("null_allele"))
        loc = cache.get(key)
        if loc is None:
            loc = cache[key] = _with_null(_base_locus(m, ctx), m.get("null_allele"), ctx)
        used = {str(a).strip() for prof in genos.values() for a in prof.get(name, [])}
        absent = _absent_alleles(loc, ctx, genos, used)
        if absent:
            n_ind = m.get("n_individuals", default_n_individuals)
            key2 = (key, n_ind, tuple(absent))
            hit = cache.get(key2)
            if hit is None:
                hit = cache[key2] = _with_absent(loc, absent, n_ind, ctx, genos)
            loc = hit[0]
            notes += hit[1]
        loci.append(loc)
    refs = np.full((len(ped), len(loci), 2), -1, dtype=np.int32)
    poi_g = np.full((len(loci), 2), -1, dtype=np.int32)
    for pid, prof in genos.items():
        for j, loc in enumerate(loci):
            if loc.name not in prof:
                continue
            pair = list(prof[loc.name])
            if len(pair) == 1:
                if pid not in dropout:
                    raise CaseError(
                        f"{ctx}, person {pid!r}, locus {loc.name}: one allele given "
                        f"({pair[0]!r}) but no dropout probability for this person: write a "
                        f'homozygote as ["{pair[0]}", "{pair[0]}"] or give "dropout": '
                        f'{{"{pid}": d}}'
                    )
                pair = pair * 2  # one peak a, read under the person's dropout probability
            try:
                gt = encode_genotype(loc, pair, pid)
            except MarkerError as exc:
                raise CaseError(f"{ctx}, person {pid!r}: {exc}") from exc
            if pid == poi:
                poi_g[j] = gt
            else:
                refs[ped.index(pid), j] = gt
    return Case(cid, loci, ped, missing, poi, refs, poi_g, notes, obj, dropout, linkage)


def _with_null(loc: Locus, q: float | None, ctx: str) -> Locus:
    """The locus with a silent allele of frequency ``q`` (``"null_allele"``), or as is."""
    if q is None:
        return loc
    if NULL_ALLELE in loc.alleles:
        raise CaseError(f"{ctx}, locus {loc.name}: allele name {NULL_ALLELE!r} is reserved for "
                        "the silent allele")
    return add_null_allele(loc, float(q))


def _dropout(obj: Mapping[str, Any], ctx: str, ped: Pedigree, poi: str) -> dict[str, float]:
    """The case's ``dropout`` map, checked: known persons, ``0 <= d < 1``."""
    out: dict[str, float] = {}
    for pid, d in (obj.get("dropout") or {}).items():
        if pid != poi and pid not in ped:
            raise CaseError(f"{ctx}, person {pid!r}: dropout given for an unknown person")
        if not (isinstance(d, int | float) and 0 <= d < 1):
            raise CaseError(f"{ctx}, person {pid!r}: dropout probability must be in [0, 1), "
                            f"got {d!r}")
        out[str(pid)] = float(d)
    return out


def load_cases(source: str | Path | Any, default_n_individuals: int | None = None) -> list[Case]:
    """Read a case file (path) or an already-decoded JSON value: one case or an array."""
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CaseError(f"{path}: cannot read: {exc.strerror}") from exc
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CaseError(
                f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from exc
    else:
        obj = source
    _schema_errors(obj)
    items = obj if isinstance(obj, list) else [obj]
    ids: set[str] = set()
    out = []
    locus_cache: dict[tuple, Any] = {}
    for item in items:
        if item["id"] in ids:
            raise CaseError(f"case {item['id']!r}: duplicate case id")
        ids.add(item["id"])
        out.append(parse_case(item, default_n_individuals, False, locus_cache))
    return out


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else float(x)


def result_json(case: Case, res: LRResult) -> dict[str, Any]:
    """The CLI output object: ``{"id", "lr", "log10_lr", "loci", "inconsistent"}``.

    ``lr`` is 0.0 and ``log10_lr`` null when excluded; ``lr`` is null (``log10_lr`` finite)
    when the LR is outside the double range. ``loci`` maps locus -> log10 LR (null for 0)."""
    x = res.log10_lr
    return {
        "id": case.id,
        "lr": res.lr,
        "log10_lr": _num(x),
        "loci": {k: _num(v) for k, v in res.per_locus().items()},
        "inconsistent": list(res.inconsistent),
    }


def error_json(case: Case, message: str) -> dict[str, Any]:
    """The CLI output object of a case that could not be computed: ``{"id", "error"}``, the
    message naming the locus and the reason (e.g. the complexity limit, or references that
    are impossible on the pedigree)."""
    return {"id": case.id, "error": message}
