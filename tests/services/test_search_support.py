"""A small synthetic world for the search and review tests (no real person's data).

Families of a few shapes are recorded through the models; genotypes are simulated along each
family's pedigree (the same pedigree the search builds) on a few loci of NIST 1036 Asian.
Some remains carry a missing person's genotype (``truth``), others are unrelated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dnacase.domain.family import (
    FamilyMember,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.formats.frequencies import load_frequency_table
from dnacase.kinship import Locus, random_profiles, simulate_genotypes
from dnacase.models.families import FamilyRelationship, Relative
from dnacase.models.registry import Cemetery, Grave, MissingPerson, Remains
from dnacase.services.search_inputs import ProfileInput, StaticProfileSource

LOCI = ("D3S1358", "vWA", "D16S539", "CSF1PO", "TPOX", "D8S1179", "D21S11", "D18S51",
        "TH01", "FGA", "D5S818", "D13S317", "D7S820", "D2S1338")
SHAPES: tuple[tuple[tuple[str, str, str | None], ...], ...] = (
    (("mother", "F", None), ("full_brother", "M", None)),
    (("full_sister", "F", None), ("full_brother", "M", None), ("full_sister", "F", None)),
    (("spouse", "F", None), ("son", "M", None), ("daughter", "F", None)),
    (("father", "M", None), ("mother", "F", None)),
    (("full_brother", "M", None), ("nephew", "M", "0")),
    (("mother", "F", None), ("full_sister", "F", None)),
)


def panel_loci() -> list[Locus]:
    table = load_frequency_table("nist1036_asian")
    out = []
    for name in LOCI:
        al = table.alleles(name)
        p = np.array([table.frequencies[name][a] for a in al])
        out.append(Locus(name, al, p / p.sum()))
    return out


@dataclass
class World:
    mp_ids: list[int]
    remains_ids: list[int]
    truth: dict[int, int | None]  # remains id -> missing person id
    source: StaticProfileSource
    grave_of: dict[int, int] = field(default_factory=dict)
    relatives: dict[int, list[int]] = field(default_factory=dict)


def _profile(loci: list[Locus], g: np.ndarray, version: str) -> ProfileInput:
    alleles = {loc.name: (loc.alleles[int(g[j, 0])], loc.alleles[int(g[j, 1])])
               for j, loc in enumerate(loci) if g[j, 0] >= 0}
    return ProfileInput(version, alleles, ("Identifiler",))


async def build_world(session: Any, *, n_families: int = 6, n_unrelated: int = 3,
                      seed: int = 7, identified_ids: int = 0) -> World:
    """Insert families, a cemetery with graves and remains; return ids, truth and profiles."""
    rng = np.random.default_rng(seed)
    loci = panel_loci()
    cem = Cemetery(name="Nghĩa trang thử nghiệm", name_key="nghia trang thu nghiem",
                   province="Quảng Trị")
    session.add(cem)
    await session.flush()
    source = StaticProfileSource()
    mp_ids: list[int] = []
    remains_ids: list[int] = []
    truth: dict[int, int | None] = {}
    grave_of: dict[int, int] = {}
    relatives_of: dict[int, list[int]] = {}
    for fi in range(n_families):
        shape = SHAPES[fi % len(SHAPES)]
        mp = MissingPerson(registry_number=f"T-{fi:04d}", full_name=f"Liệt sĩ Thử {fi}",
                           name_key=f"liet si thu {fi}", sex="M", unit="E320",
                           death_place="Quảng Trị", death_date="1972")
        session.add(mp)
        await session.flush()
        mp_ids.append(mp.id)
        rel_ids: list[int] = []
        for k, (_code, sex, _via) in enumerate(shape):
            r = Relative(full_name=f"Người thân {fi}-{k}", name_key=f"nguoi than {fi} {k}",
                         sex=sex)
            session.add(r)
            await session.flush()
            rel_ids.append(r.id)
        for k, (code, _sex, via) in enumerate(shape):
            session.add(FamilyRelationship(
                missing_person_id=mp.id, relative_id=rel_ids[k], relationship=code,
                via_relative_id=rel_ids[int(via)] if via is not None else None))
        await session.flush()
        relatives_of[mp.id] = rel_ids
        ped = build_family_pedigree(
            MissingPersonInfo(str(mp.id), mp.full_name, "M"),
            [FamilyMember(str(rid), f"r{rid}", shape[k][1], True)
             for k, rid in enumerate(rel_ids)],
            [RecordedRelationship(str(rid), shape[k][0],
                                  str(rel_ids[int(shape[k][2])]) if shape[k][2] else None)
             for k, rid in enumerate(rel_ids)])
        kped = ped.to_kinship()
        sim = simulate_genotypes(kped, loci, rng, 1)[0]
        for rid in rel_ids:
            source.relatives[rid] = _profile(loci, sim[kped.index(f"rel:{rid}")], f"rel{rid}v1")
        grave = Grave(cemetery_id=cem.id, plot="A", row="1", number=str(fi + 1))
        session.add(grave)
        await session.flush()
        rem = Remains(grave_id=grave.id, recovery_date=dt.date(2023, 5, 1))
        session.add(rem)
        await session.flush()
        g = sim[kped.index(f"mp:{mp.id}")].copy()
        g[rng.integers(len(loci))] = -1  # one locus failed on the bone sample
        source.remains[rem.id] = _profile(loci, g, f"rem{rem.id}v1")
        remains_ids.append(rem.id)
        truth[rem.id] = mp.id
        grave_of[rem.id] = grave.id
    for u, g in enumerate(random_profiles(loci, rng, n_unrelated)):
        grave = Grave(cemetery_id=cem.id, plot="B", row="1", number=str(u + 1))
        session.add(grave)
        await session.flush()
        rem = Remains(grave_id=grave.id)
        session.add(rem)
        await session.flush()
        source.remains[rem.id] = _profile(loci, g, f"rem{rem.id}v1")
        remains_ids.append(rem.id)
        truth[rem.id] = None
        grave_of[rem.id] = grave.id
    # more missing persons in the registry without relatives (they count in the flat prior)
    for k in range(20):
        session.add(MissingPerson(registry_number=f"X-{k:04d}", full_name=f"Chưa tìm {k}",
                                  name_key=f"chua tim {k}"))
    await session.flush()
    return World(mp_ids, remains_ids, truth, source, grave_of, relatives_of)
