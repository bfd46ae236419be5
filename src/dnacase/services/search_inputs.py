"""What a search reads: family pedigrees with their typed relatives, and remains profiles.

This module is the one boundary between the search and where genotypes are stored. A
:class:`ProfileSource` returns the *current* profile version of each relative and each remains
(allele names per locus, the version id, kits and QC flags). Sources:

* :class:`DatabaseProfileSource` (the default): the current ``autosomal_STR`` profile versions
  of the profile import (:mod:`dnacase.models.profiles`); the version id is ``profile:<id>``;
  profiles held by QC (``single_source`` false) are left out; open QC flags travel along;
* :class:`StaticProfileSource`: given mappings (tests, benchmarks, other services);
* :class:`WideTableProfileSource`: a wide lab table (``SampleName`` = kit barcode, one column
  per locus with ``"a,b"`` cells, e.g. the demo's ``fixtures/demo/genotypes_globalfiler.csv``),
  kits mapped to relatives / remains through the collected samples. Used until the profile
  import's tables (profile versions) are wired in: the version id is then
  ``"<barcode>@<sha256 of the row>"`` so a changed genotype gives a new version.

Lineage haplotypes (mtDNA, Y-STR) for the search's lineage filter come from the optional
``lineage_profiles(session, kind, ids)`` method of a source (``kind`` ``"reference"`` or
``"remains"``), returning ``{subject id: LineageInput}``; a source without it has none.
:class:`DatabaseProfileSource` reads the current single-source ``mtDNA`` and ``Y_STR`` profile
versions; :class:`StaticProfileSource` takes ``relative_lineage`` / ``remains_lineage``.

:func:`gather_inputs` builds each missing person's family pedigree (the registry's recorded
relationships, :func:`dnacase.domain.family.build_family_pedigree`) and keeps the families with
at least one typed relative. Families whose recorded relationships contradict are skipped and
listed in ``SearchInputs.skipped`` with the reason (never silently).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dnacase.domain.errors import PedigreeContradiction
from dnacase.domain.family import (
    FamilyMember,
    FamilyPedigree,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.kinship.lineage import MtHaplotype, YHaplotype
from dnacase.kinship.markers import NOT_ALLELES
from dnacase.models.families import FamilyRelationship, Relative
from dnacase.models.kits import Kit, Sample
from dnacase.models.registry import MissingPerson, Remains

__all__ = [
    "DatabaseProfileSource",
    "FamilyInput",
    "LineageInput",
    "ProfileInput",
    "ProfileSource",
    "RemainsInput",
    "SearchInputs",
    "StaticProfileSource",
    "WideTableProfileSource",
    "gather_inputs",
    "parse_wide_table",
    "source_from_spec",
]

NOT_A_LOCUS = frozenset({"samplename", "sample", "kit", "amel", "amelogenin", "sample name"})


MAX_IN = 5000  # larger id sets are filtered in Python (asyncpg allows 32,767 parameters)


def _where_in(stmt: Any, column: Any, ids: set[int] | set[int | None]) -> Any:
    """``stmt`` filtered by ``column IN ids`` when the set is small; otherwise unfiltered (the
    caller filters the rows)."""
    if len(ids) <= MAX_IN:
        return stmt.where(column.in_(ids))
    return stmt


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """One current profile version: ``alleles`` maps locus name -> two allele names (a locus
    absent = untyped); ``version`` identifies the profile version (provenance).
    ``one_allele``: loci with one called allele (written ``(a, a)`` in ``alleles``) and how
    to read them (:func:`dnacase.services.profiles.one_allele_loci`: ``"peak"`` or
    ``"off_ladder"``); ``dropout``: the sample's allele dropout probability
    (:mod:`dnacase.services.dropout`; 0: a single peak is a homozygote)."""

    version: str
    alleles: Mapping[str, tuple[str, str]]
    kits: tuple[str, ...] = ()
    qc_flags: tuple[str, ...] = ()
    one_allele: Mapping[str, str] = field(default_factory=dict)
    dropout: float = 0.0


@dataclass(frozen=True, slots=True)
class LineageInput:
    """Lineage haplotypes of one person or remains (None: not typed); ``version`` lists the
    profile versions they come from (provenance)."""

    mt: MtHaplotype | None = None
    y: YHaplotype | None = None
    version: str = ""


def lineage_from_loci(marker_type: str, loci: Mapping[str, Any], sample: str = ""
                      ) -> MtHaplotype | YHaplotype | None:
    """Haplotype of a stored ``mtDNA`` or ``Y_STR`` profile version's ``loci`` JSON (see
    :mod:`dnacase.models.profiles`); raises ``LineageDataError`` naming the sample."""
    if marker_type == "mtDNA":
        rng = " ".join(f"{a}-{b}" for a, b in loci.get("ranges") or [])
        return MtHaplotype.from_notation(list(loci.get("variants") or []), rng, sample=sample)
    if marker_type == "Y_STR":
        cells = {locus: list(v.get("alleles") or []) or None for locus, v in loci.items()
                 if isinstance(v, Mapping) and v.get("type", "Y_STR") == "Y_STR"}
        return YHaplotype.from_cells(cells, sample=sample)
    return None


class ProfileSource(Protocol):
    """Where current profile versions come from (see module doc)."""

    async def relative_profiles(
        self, session: AsyncSession, relative_ids: Iterable[int]
    ) -> dict[int, ProfileInput]: ...

    async def remains_profiles(
        self, session: AsyncSession, remains_ids: Iterable[int] | None = None
    ) -> dict[int, ProfileInput]: ...


@dataclass(slots=True)
class StaticProfileSource:
    """Profiles given as ``{relative_id: ProfileInput}`` and ``{remains_id: ProfileInput}``."""

    relatives: dict[int, ProfileInput] = field(default_factory=dict)
    remains: dict[int, ProfileInput] = field(default_factory=dict)
    relative_lineage: dict[int, LineageInput] = field(default_factory=dict)
    remains_lineage: dict[int, LineageInput] = field(default_factory=dict)

    async def lineage_profiles(self, session: AsyncSession, kind: str,
                               ids: Iterable[int]) -> dict[int, LineageInput]:
        table = self.relative_lineage if kind == "reference" else self.remains_lineage
        return {i: table[i] for i in ids if i in table}

    async def relative_profiles(
        self, session: AsyncSession, relative_ids: Iterable[int]
    ) -> dict[int, ProfileInput]:
        return {i: self.relatives[i] for i in relative_ids if i in self.relatives}

    async def remains_profiles(
        self, session: AsyncSession, remains_ids: Iterable[int] | None = None
    ) -> dict[int, ProfileInput]:
        if remains_ids is None:
            return dict(self.remains)
        return {i: self.remains[i] for i in remains_ids if i in self.remains}


def parse_wide_table(data: bytes, filename: str) -> dict[str, ProfileInput]:
    """Wide lab table -> ``{sample name: ProfileInput}``.

    Cells are ``"a,b"``, or ``"a"`` / ``"a,a"`` for one peak (``one_allele`` "peak": a
    homozygote, or a dropout under the sample's dropout probability), or ``"a,OL"`` (one
    called allele plus one unknown allele, ``one_allele`` "off_ladder"); empty cells are
    untyped. Raises ``ValueError`` naming the file, line, sample and locus for a malformed
    cell.
    """
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or header[0].strip().lower() not in ("samplename", "sample name", "sample"):
        raise ValueError(f"{filename}: line 1: the first column must be SampleName")
    kit_col = next((i for i, h in enumerate(header) if h.strip().lower() == "kit"), None)
    loci = [(i, h.strip()) for i, h in enumerate(header) if h.strip().lower() not in NOT_A_LOCUS]
    out: dict[str, ProfileInput] = {}
    for line_no, row in enumerate(reader, start=2):
        if not row or not row[0].strip():
            continue
        name = row[0].strip()
        alleles: dict[str, tuple[str, str]] = {}
        one: dict[str, str] = {}
        for i, locus in loci:
            cell = row[i].strip() if i < len(row) else ""
            if not cell:
                continue
            parts = [p.strip() for p in cell.split(",") if p.strip()]
            called = [p for p in parts if p.upper() not in NOT_ALLELES]
            if len(parts) == 2 and len(called) == 1:
                one[locus] = "off_ladder"
                parts = called * 2
            elif len(set(parts)) == 1:
                one[locus] = "peak"
                parts = parts[:1] * 2
            if len(parts) != 2:
                raise ValueError(
                    f"{filename}: line {line_no}: sample {name}, locus {locus}: expected one or "
                    f"two alleles, got {cell!r}"
                )
            alleles[locus] = (parts[0], parts[1])
        digest = hashlib.sha256(",".join(row).encode()).hexdigest()[:16]
        kit = (row[kit_col].strip(),) if kit_col is not None and kit_col < len(row) else ()
        out[name] = ProfileInput(f"{name}@{digest}", alleles, kit, one_allele=one)
    return out


class WideTableProfileSource:
    """Profiles from a wide lab table keyed by kit barcode (see module doc)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()
        self.by_barcode = parse_wide_table(self.path.read_bytes(), str(self.path))

    def spec(self) -> dict[str, str]:
        """How to reopen this source (stored with a run, see :func:`source_from_spec`)."""
        return {"kind": "wide_table", "path": str(self.path)}

    async def _samples(self, session: AsyncSession, kind: str) -> list[tuple[str, int]]:
        """``(barcode, subject id)`` of the profiled samples in the table; their profiles
        get the sample's dropout probability (:mod:`dnacase.services.dropout`)."""
        from dnacase.services.dropout import sample_dropout

        col = Sample.relative_id if kind == "reference" else Sample.remains_id
        rows = await session.execute(
            select(Kit.barcode, col, Sample).join(Kit, Kit.id == Sample.kit_id).where(
                Sample.kind == kind, Kit.state == "profiled"
            ).order_by(Kit.id)
        )
        out = []
        for b, i, sample in rows:
            if b in self.by_barcode:
                d = sample_dropout(sample)
                if self.by_barcode[b].dropout != d:
                    self.by_barcode[b] = replace(self.by_barcode[b], dropout=d)
                out.append((b, int(i)))
        return out

    async def relative_profiles(
        self, session: AsyncSession, relative_ids: Iterable[int]
    ) -> dict[int, ProfileInput]:
        wanted = set(relative_ids)
        return {i: self.by_barcode[b] for b, i in await self._samples(session, "reference")
                if i in wanted}

    async def remains_profiles(
        self, session: AsyncSession, remains_ids: Iterable[int] | None = None
    ) -> dict[int, ProfileInput]:
        wanted = None if remains_ids is None else set(remains_ids)
        return {i: self.by_barcode[b] for b, i in await self._samples(session, "remains")
                if wanted is None or i in wanted}


class DatabaseProfileSource:
    """Current autosomal STR profile versions from the database (see module doc)."""

    def spec(self) -> dict[str, str]:
        return {"kind": "database"}

    async def _current(self, session: AsyncSession, kind: str,
                       ids: set[int] | None) -> dict[int, ProfileInput]:
        from dnacase.models.profiles import Profile, ProfileQCFlag
        from dnacase.services.dropout import sample_dropout
        from dnacase.services.profiles import one_allele_loci, pairs_for_kinship

        col = Sample.relative_id if kind == "reference" else Sample.remains_id
        q = select(col, Profile, Sample).join(Sample, Sample.id == Profile.sample_id).where(
            Sample.kind == kind, Profile.status == "current",
            Profile.marker_type == "autosomal_STR", Profile.single_source.is_(True),
        ).order_by(Profile.id)
        if ids is not None:
            q = _where_in(q, col, ids)
        rows = [(int(i), p, s) for i, p, s in (await session.execute(q)).all()
                if ids is None or i in ids]
        flags: dict[int, list[str]] = {}
        pids = {p.id for _i, p, _s in rows}
        if rows:
            for pid, kind_, msg in await session.execute(_where_in(select(
                    ProfileQCFlag.profile_id, ProfileQCFlag.kind, ProfileQCFlag.message).where(
                    ProfileQCFlag.status == "open"), ProfileQCFlag.profile_id, pids)):
                if pid in pids:
                    flags.setdefault(pid, []).append(f"{kind_}: {msg}")
        out: dict[int, ProfileInput] = {}
        for subject, prof, sample in rows:  # later (higher id) profiles of a subject win
            out[subject] = ProfileInput(
                f"profile:{prof.id}", pairs_for_kinship(prof.loci or {}),
                (prof.typing_kit,) if prof.typing_kit else (),
                tuple(flags.get(prof.id, ())), one_allele_loci(prof.loci or {}),
                sample_dropout(sample))
        return out

    async def relative_profiles(
        self, session: AsyncSession, relative_ids: Iterable[int]
    ) -> dict[int, ProfileInput]:
        return await self._current(session, "reference", set(relative_ids))

    async def lineage_profiles(self, session: AsyncSession, kind: str,
                               ids: Iterable[int]) -> dict[int, LineageInput]:
        """Current single-source mtDNA and Y-STR haplotypes of references or remains."""
        from dnacase.models.profiles import Profile

        wanted = set(ids)
        col = Sample.relative_id if kind == "reference" else Sample.remains_id
        q = select(col, Profile).join(Sample, Sample.id == Profile.sample_id).where(
            Sample.kind == kind, Profile.status == "current",
            Profile.marker_type.in_(("mtDNA", "Y_STR")), Profile.single_source.is_(True),
        ).order_by(Profile.id)
        found: dict[int, dict[str, Any]] = {}
        for subject, prof in (await session.execute(_where_in(q, col, wanted))).all():
            if subject not in wanted:
                continue
            hap = lineage_from_loci(prof.marker_type, prof.loci or {},
                                    prof.name_in_file or f"profile {prof.id}")
            slot = found.setdefault(int(subject), {})
            slot["mt" if prof.marker_type == "mtDNA" else "y"] = hap
            slot.setdefault("versions", []).append(f"profile:{prof.id}")
        return {i: LineageInput(v.get("mt"), v.get("y"), ",".join(v["versions"]))
                for i, v in found.items()}

    async def remains_profiles(
        self, session: AsyncSession, remains_ids: Iterable[int] | None = None
    ) -> dict[int, ProfileInput]:
        return await self._current(session, "remains",
                                   None if remains_ids is None else set(remains_ids))


@dataclass(slots=True)
class FamilyInput:
    """A family to search: the pedigree (node ids ``mp:<id>``, ``rel:<relative id>``, ...) and
    the typed relatives' profiles by node id."""

    missing_person_id: int
    pedigree: FamilyPedigree
    profiles: dict[str, ProfileInput]
    relative_ids: dict[str, int]

    @property
    def missing_node(self) -> str:
        return self.pedigree.missing_id


@dataclass(slots=True)
class RemainsInput:
    remains_id: int
    profile: ProfileInput


@dataclass(slots=True)
class SearchInputs:
    """Families with at least one typed relative, remains with a profile, and the families
    skipped (``(missing_person_id, reason)``)."""

    families: list[FamilyInput]
    remains: list[RemainsInput]
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def profile_versions(self) -> dict[str, dict[str, str]]:
        """``{"relatives": {relative id: version}, "remains": {remains id: version}}``."""
        rel: dict[str, str] = {}
        for fam in self.families:
            for node, prof in fam.profiles.items():
                rel[str(fam.relative_ids[node])] = prof.version
        return {
            "relatives": dict(sorted(rel.items(), key=lambda kv: int(kv[0]))),
            "remains": {str(r.remains_id): r.profile.version for r in self.remains},
        }


async def gather_inputs(
    session: AsyncSession,
    source: ProfileSource,
    *,
    missing_person_id: int | None = None,
    remains_id: int | None = None,
) -> SearchInputs:
    """Families (all missing persons still missing, or one) and remains (all, or one)."""
    q = select(FamilyRelationship).order_by(FamilyRelationship.missing_person_id,
                                            FamilyRelationship.id)
    if missing_person_id is not None:
        q = q.where(FamilyRelationship.missing_person_id == missing_person_id)
    links = list((await session.execute(q)).scalars())
    by_mp: dict[int, list[FamilyRelationship]] = {}
    for link in links:
        by_mp.setdefault(link.missing_person_id, []).append(link)
    rel_ids = {lk.relative_id for lk in links} | {lk.via_relative_id for lk in links
                                                  if lk.via_relative_id}
    relatives = {r.id: r for r in (await session.execute(_where_in(
        select(Relative), Relative.id, rel_ids))).scalars() if r.id in rel_ids}
    profiles = await source.relative_profiles(session, sorted(rel_ids))
    mps = {m.id: m for m in (await session.execute(_where_in(
        select(MissingPerson), MissingPerson.id, set(by_mp)))).scalars() if m.id in by_mp}
    families: list[FamilyInput] = []
    skipped: list[tuple[int, str]] = []
    for mp_id in sorted(by_mp):
        mp = mps[mp_id]
        if missing_person_id is None and mp.status != "missing":
            continue
        fam_links = by_mp[mp_id]
        typed_ids = {lk.relative_id for lk in fam_links if lk.relative_id in profiles}
        if not typed_ids:
            continue
        members = [FamilyMember(str(lk.relative_id), relatives[lk.relative_id].full_name,
                                relatives[lk.relative_id].sex, lk.relative_id in typed_ids)
                   for lk in fam_links]
        recorded = [RecordedRelationship(str(lk.relative_id), lk.relationship,
                                         str(lk.via_relative_id) if lk.via_relative_id else None)
                    for lk in fam_links]
        try:
            ped = build_family_pedigree(MissingPersonInfo(str(mp.id), mp.full_name, mp.sex),
                                        members, recorded)
        except PedigreeContradiction as exc:
            skipped.append((mp_id, str(exc)))
            continue
        node_profiles = {f"rel:{rid}": profiles[rid] for rid in sorted(typed_ids)}
        families.append(FamilyInput(mp_id, ped, node_profiles,
                                    {f"rel:{rid}": rid for rid in sorted(typed_ids)}))
    rq = select(Remains.id).order_by(Remains.id)
    if remains_id is not None:
        rq = rq.where(Remains.id == remains_id)
    rids = [int(i) for i in (await session.execute(rq)).scalars()]
    rprof = await source.remains_profiles(session, rids)
    remains = [RemainsInput(i, rprof[i]) for i in rids if i in rprof]
    from dnacase.services.reassociation import apply_groups  # re-associated remains: one

    remains = await apply_groups(session, source, remains)  # consensus profile per group
    return SearchInputs(families, remains, skipped)


def source_from_spec(spec: Mapping[str, str] | None) -> ProfileSource | None:
    """Reopen the profile source a run recorded (``None`` if it cannot be reopened)."""
    if not spec:
        return None
    if spec.get("kind") == "database":
        return DatabaseProfileSource()
    if spec.get("kind") == "wide_table" and Path(spec.get("path", "")).is_file():
        return WideTableProfileSource(Path(spec["path"]))
    return None
