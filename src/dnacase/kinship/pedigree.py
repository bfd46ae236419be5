"""Pedigrees: persons with sex and parents, validated, plus builders for recorded relationships.

A :class:`Pedigree` holds ``n`` persons as parallel arrays:

* ``ids``: tuple of ``n`` unique str;
* ``sex``: int8 array ``(n,)``: 1 = male, 2 = female, 0 = unknown (allowed only for non-parents);
* ``father``, ``mother``: int32 arrays ``(n,)`` of parent indices, ``-1`` for a founder.
  A non-founder has both parents (a missing parent is an untyped founder you add).

Validation raises :class:`PedigreeError` naming the person: duplicate id, unknown parent,
only one parent given, a father who is not male or a mother who is not female, a person
who is their own ancestor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

MALE, FEMALE, UNKNOWN = 1, 2, 0
_SEX_CODES = {"M": MALE, "F": FEMALE, "U": UNKNOWN, 1: MALE, 2: FEMALE, 0: UNKNOWN, None: UNKNOWN}


class PedigreeError(ValueError):
    """An invalid pedigree; the message names the person concerned."""


def sex_code(sex: object, who: str = "?") -> int:
    """Map ``"M"``/``"F"``/``"U"`` (or 1/2/0) to the int code; error naming ``who`` otherwise."""
    key = sex.upper() if isinstance(sex, str) else sex
    if key not in _SEX_CODES:
        raise PedigreeError(f"person {who!r}: sex must be 'M', 'F' or 'U', got {sex!r}")
    return _SEX_CODES[key]


@dataclass(frozen=True, eq=False)
class Pedigree:
    """An immutable, validated pedigree (see module docstring for the array layout)."""

    ids: tuple[str, ...]
    sex: np.ndarray
    father: np.ndarray
    mother: np.ndarray
    _index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ids = tuple(str(i) for i in self.ids)
        n = len(ids)
        sex = np.asarray(self.sex, dtype=np.int8).reshape(-1)
        fa = np.asarray(self.father, dtype=np.int32).reshape(-1)
        mo = np.asarray(self.mother, dtype=np.int32).reshape(-1)
        if not (sex.size == fa.size == mo.size == n):
            raise PedigreeError("ids, sex, father and mother must have the same length")
        index: dict[str, int] = {}
        for i, pid in enumerate(ids):
            if not pid:
                raise PedigreeError(f"person #{i + 1} has an empty id")
            if pid in index:
                raise PedigreeError(f"duplicate person id {pid!r}")
            index[pid] = i
        for i, pid in enumerate(ids):
            f, m = int(fa[i]), int(mo[i])
            if (f < 0) != (m < 0):
                raise PedigreeError(
                    f"person {pid!r} has only one parent; give both (add an untyped founder)"
                )
            if f >= n or m >= n or f < -1 or m < -1:
                raise PedigreeError(f"person {pid!r} has a parent index out of range")
            if f >= 0:
                if f == i or m == i:
                    raise PedigreeError(f"person {pid!r} is their own parent")
                if sex[f] != MALE:
                    raise PedigreeError(f"father {ids[f]!r} of {pid!r} is not male")
                if sex[m] != FEMALE:
                    raise PedigreeError(f"mother {ids[m]!r} of {pid!r} is not female")
            if sex[i] not in (MALE, FEMALE, UNKNOWN):
                raise PedigreeError(f"person {pid!r} has invalid sex code {int(sex[i])}")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "sex", sex)
        object.__setattr__(self, "father", fa)
        object.__setattr__(self, "mother", mo)
        object.__setattr__(self, "_index", index)
        self._check_acyclic()

    def _check_acyclic(self) -> None:
        state = np.zeros(len(self.ids), dtype=np.int8)  # 0 new, 1 on stack, 2 done
        for start in range(len(self.ids)):
            if state[start]:
                continue
            stack = [(start, 0)]
            while stack:
                node, k = stack.pop()
                if k == 0:
                    if state[node] == 2:
                        continue
                    state[node] = 1
                parents = [int(p) for p in (self.father[node], self.mother[node]) if p >= 0]
                if k < len(parents):
                    stack.append((node, k + 1))
                    p = parents[k]
                    if state[p] == 1:
                        raise PedigreeError(f"person {self.ids[p]!r} is their own ancestor")
                    if state[p] == 0:
                        stack.append((p, 0))
                else:
                    state[node] = 2

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, object]]) -> Pedigree:
        """Build from dicts ``{"id", "father", "mother", "sex"}`` (parents by id or None)."""
        recs = list(records)
        ids = [str(r.get("id", "")) for r in recs]
        pos: dict[str, int] = {}
        for i, pid in enumerate(ids):
            if pid in pos:
                raise PedigreeError(f"duplicate person id {pid!r}")
            pos[pid] = i
        n = len(recs)
        sex = np.zeros(n, dtype=np.int8)
        fa = np.full(n, -1, dtype=np.int32)
        mo = np.full(n, -1, dtype=np.int32)
        for i, r in enumerate(recs):
            sex[i] = sex_code(r.get("sex"), ids[i])
            for key, arr in (("father", fa), ("mother", mo)):
                par = r.get(key)
                if par is None:
                    continue
                if str(par) not in pos:
                    raise PedigreeError(f"person {ids[i]!r}: unknown {key} {par!r}")
                arr[i] = pos[str(par)]
        return cls(tuple(ids), sex, fa, mo)

    def to_records(self) -> list[dict[str, object]]:
        """Inverse of :meth:`from_records`."""
        sx = {MALE: "M", FEMALE: "F", UNKNOWN: "U"}
        return [
            {
                "id": self.ids[i],
                "father": self.ids[self.father[i]] if self.father[i] >= 0 else None,
                "mother": self.ids[self.mother[i]] if self.mother[i] >= 0 else None,
                "sex": sx[int(self.sex[i])],
            }
            for i in range(len(self.ids))
        ]

    # ----- queries ------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def index(self, pid: str) -> int:
        """Index of person ``pid``; :class:`PedigreeError` if absent."""
        try:
            return self._index[pid]
        except KeyError:
            raise PedigreeError(f"person {pid!r} is not in the pedigree") from None

    def __contains__(self, pid: object) -> bool:
        return pid in self._index

    @property
    def founders(self) -> np.ndarray:
        """Indices (int64) of persons without parents."""
        return np.flatnonzero(self.father < 0)

    def children(self, i: int) -> np.ndarray:
        """Indices of the children of person ``i``."""
        return np.flatnonzero((self.father == i) | (self.mother == i))

    def topological_order(self) -> list[int]:
        """Person indices with every parent before its children."""
        n = len(self.ids)
        order: list[int] = []
        done = np.zeros(n, dtype=bool)
        while len(order) < n:
            for i in range(n):
                if done[i]:
                    continue
                f, m = self.father[i], self.mother[i]
                if f < 0 or (done[f] and done[m]):
                    done[i] = True
                    order.append(i)
        return order

    def has_loop(self) -> bool:
        """True when the marriage graph has a cycle (e.g. cousin marriage or two brothers
        married to two sisters): then peeling needs loop conditioning (done exactly here)."""
        # union-find over persons + nuclear-family nodes; an edge that joins two already
        # connected nodes closes a loop.
        n = len(self.ids)
        parent = list(range(n))
        fams: dict[tuple[int, int], int] = {}

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        def union(a: int, b: int) -> bool:
            ra, rb = find(a), find(b)
            if ra == rb:
                return False
            parent[ra] = rb
            return True

        for i in range(n):
            f, m = int(self.father[i]), int(self.mother[i])
            if f < 0:
                continue
            key = (f, m)
            if key not in fams:
                fams[key] = len(parent)
                parent.append(len(parent))
                if not union(fams[key], f) or not union(fams[key], m):
                    return True
            if not union(fams[key], i):
                return True
        return False

    def structure_key(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Hashable key of the structure (parents and sex), ids excluded."""
        return (tuple(self.father.tolist()), tuple(self.mother.tolist()), tuple(self.sex.tolist()))

    def with_person(
        self, pid: str, sex: object = "U", father: str | None = None, mother: str | None = None
    ) -> Pedigree:
        """A new pedigree with one more person."""
        recs = self.to_records()
        recs.append({"id": pid, "father": father, "mother": mother, "sex": sex})
        return Pedigree.from_records(recs)


def unrelated(ids: Sequence[str], sex: Sequence[object] | None = None) -> Pedigree:
    """A pedigree of unrelated founders."""
    sexes = list(sex) if sex is not None else ["U"] * len(ids)
    return Pedigree.from_records(
        [
            {"id": i, "father": None, "mother": None, "sex": s}
            for i, s in zip(ids, sexes, strict=True)
        ]
    )


# ----- relationship builder ----------------------------------------------------------------

#: Relationship names accepted by :meth:`PedigreeBuilder.add_relative` ("R is the missing
#: person's <relationship>"). Each maps to a path of generated, untyped connecting persons.
RELATIONSHIPS: tuple[str, ...] = (
    "father", "mother", "parent",
    "son", "daughter", "child",
    "brother", "sister", "full-sibling",
    "paternal-half-sibling", "maternal-half-sibling", "half-sibling",
    "paternal-grandfather", "paternal-grandmother", "maternal-grandfather",
    "maternal-grandmother", "grandparent",
    "grandchild", "grandson", "granddaughter",
    "paternal-uncle", "paternal-aunt", "maternal-uncle", "maternal-aunt", "uncle", "aunt",
    "nephew", "niece",
    "paternal-first-cousin", "maternal-first-cousin", "first-cousin",
    "great-grandchild", "first-cousin-once-removed",
    "spouse", "unrelated",
)  # fmt: skip


class PedigreeBuilder:
    """Build a pedigree around one central person (usually the missing person) from statements
    such as "R1 is the missing person's brother".

    Connecting persons (parents, grandparents, spouses...) are created untyped with ids
    ``<center>.FA``, ``<center>.MO``, ``<center>.FA.FA``... and are shared between relatives:
    a brother and a sister of the same center are full siblings of each other. Relatives that
    need a new intermediate person (nephew, cousin, grandchild...) get one of their own unless
    ``via`` names an existing person (e.g. the nephew's parent is the typed sister ``"S1"``).

    Example::

        b = PedigreeBuilder("MP", sex="M")
        b.add_relative("R1", "brother")
        b.add_relative("R2", "mother")
        ped = b.build()
    """

    def __init__(self, center: str, sex: str = "U") -> None:
        self.center = center
        self._recs: dict[str, dict[str, object]] = {}
        self._count = 0
        self._add(center, sex, None, None)

    # -- low-level
    def _add(self, pid: str, sex: object, father: str | None, mother: str | None) -> str:
        if pid in self._recs:
            raise PedigreeError(f"duplicate person id {pid!r}")
        sex_code(sex, pid)
        self._recs[pid] = {"id": pid, "father": father, "mother": mother, "sex": sex}
        return pid

    def _fresh(self, base: str) -> str:
        self._count += 1
        pid = f"{base}#{self._count}"
        while pid in self._recs:
            self._count += 1
            pid = f"{base}#{self._count}"
        return pid

    def _set_sex(self, pid: str, sex: str) -> None:
        cur = str(self._recs[pid]["sex"]).upper()
        if cur in ("U", "NONE"):
            self._recs[pid]["sex"] = sex
        elif cur != sex:
            raise PedigreeError(f"person {pid!r} must be {sex} here but is recorded as {cur}")

    def parents_of(self, pid: str) -> tuple[str, str]:
        """Ids of the father and mother of ``pid``, creating untyped founders if needed."""
        rec = self._recs[pid]
        if rec["father"] is None:
            fa = self._add(f"{pid}.FA", "M", None, None)
            mo = self._add(f"{pid}.MO", "F", None, None)
            rec["father"], rec["mother"] = fa, mo
        return str(rec["father"]), str(rec["mother"])

    def add_child(
        self, pid: str, parent: str, other_parent: str | None = None, sex: str = "U"
    ) -> str:
        """Add ``pid`` as a child of ``parent`` (and ``other_parent``, or a new untyped spouse
        of the right sex)."""
        psex = str(self._recs[parent]["sex"]).upper()
        if other_parent is None:
            if psex == "U":
                self._set_sex(parent, "M")
                psex = "M"
            other_parent = self._add(
                self._fresh(f"{parent}.SP"), "F" if psex == "M" else "M", None, None
            )
        osex = str(self._recs[other_parent]["sex"]).upper()
        if psex == "U":
            psex = "F" if osex == "M" else "M"
            self._set_sex(parent, psex)
        if osex == "U":
            osex = "F" if psex == "M" else "M"
            self._set_sex(other_parent, osex)
        fa, mo = (parent, other_parent) if psex == "M" else (other_parent, parent)
        return self._add(pid, sex, fa, mo)

    def _new_sibling(self, of: str, base: str, sex: str = "U", half: str | None = None) -> str:
        fa, mo = self.parents_of(of)
        if half == "paternal":
            mo = self._add(self._fresh(f"{fa}.SP"), "F", None, None)
        elif half == "maternal":
            fa = self._add(self._fresh(f"{mo}.SP"), "M", None, None)
        return self._add(self._fresh(base) if base.startswith(of) else base, sex, fa, mo)

    # -- statements
    def add_relative(
        self, pid: str, relationship: str, sex: str | None = None, via: str | None = None
    ) -> str:
        """Record that ``pid`` is the center's ``relationship`` (see :data:`RELATIONSHIPS`).

        ``via`` names the connecting person for relationships that pass through one
        (nephew/niece: the sibling parent; first cousin: the uncle or aunt; grandchild: the
        child; child: the other parent). Returns ``pid``.
        """
        rel = relationship.lower().replace("_", "-").replace(" ", "-")
        if rel not in RELATIONSHIPS:
            raise PedigreeError(f"unknown relationship {relationship!r} for {pid!r}")
        c = self.center
        implied = {
            "father": "M",
            "mother": "F",
            "son": "M",
            "daughter": "F",
            "brother": "M",
            "sister": "F",
            "grandson": "M",
            "granddaughter": "F",
            "nephew": "M",
            "niece": "F",
            "paternal-grandfather": "M",
            "maternal-grandfather": "M",
            "paternal-grandmother": "F",
            "maternal-grandmother": "F",
            "paternal-uncle": "M",
            "maternal-uncle": "M",
            "uncle": "M",
            "paternal-aunt": "F",
            "maternal-aunt": "F",
            "aunt": "F",
        }
        s = sex or implied.get(rel, "U")
        if rel in implied and sex is not None and sex.upper() != implied[rel]:
            raise PedigreeError(f"{pid!r}: a {rel} must be {implied[rel]}, got {sex}")
        if rel in ("father", "mother", "parent"):
            fa, mo = self.parents_of(c)
            target = fa if (rel == "father" or (rel == "parent" and s == "M")) else mo
            if rel == "parent" and s == "U":
                raise PedigreeError(f"{pid!r}: give the sex of a parent")
            return self._rename(target, pid)
        if rel in ("son", "daughter", "child"):
            return self.add_child(pid, c, via, s)
        if rel in ("brother", "sister", "full-sibling"):
            fa, mo = self.parents_of(c)
            return self._add(pid, s, fa, mo)
        if rel.endswith("half-sibling"):
            side = "maternal" if rel.startswith("maternal") else "paternal"
            fa, mo = self.parents_of(c)
            if side == "paternal":
                return self._add(pid, s, fa, self._add(self._fresh(f"{fa}.SP"), "F", None, None))
            return self._add(pid, s, self._add(self._fresh(f"{mo}.SP"), "M", None, None), mo)
        if rel.endswith(("grandfather", "grandmother", "grandparent")):
            fa, mo = self.parents_of(c)
            side = fa if rel.startswith("paternal") or rel == "grandparent" else mo
            gfa, gmo = self.parents_of(side)
            if rel == "grandparent":
                if s == "U":
                    raise PedigreeError(f"{pid!r}: give the sex of a grandparent")
                return self._rename(gfa if s == "M" else gmo, pid)
            return self._rename(gfa if rel.endswith("grandfather") else gmo, pid)
        if rel in ("grandchild", "grandson", "granddaughter"):
            mid = via or self.add_child(self._fresh(f"{c}.CH"), c)
            return self.add_child(pid, mid, None, s)
        if rel == "great-grandchild":
            ch = self.add_child(self._fresh(f"{c}.CH"), c)
            gch = self.add_child(self._fresh(f"{ch}.CH"), ch)
            return self.add_child(pid, gch, None, s)
        if rel.endswith(("uncle", "aunt")):
            fa, mo = self.parents_of(c)
            side = mo if rel.startswith("maternal") else fa
            gfa, gmo = self.parents_of(side)
            return self._add(pid, s, gfa, gmo)
        if rel in ("nephew", "niece"):
            sib = via or self._new_sibling(c, f"{c}.SIB")
            return self.add_child(pid, sib, None, s)
        if rel.endswith("first-cousin"):
            mid = via
            if mid is None:
                fa, mo = self.parents_of(c)
                side = mo if rel.startswith("maternal") else fa
                mid = self._new_sibling(side, f"{side}.SIB")
            return self.add_child(pid, mid, None, s)
        if rel == "first-cousin-once-removed":
            fa, _ = self.parents_of(c)
            aunt = via or self._new_sibling(fa, f"{fa}.SIB")
            cousin = self.add_child(self._fresh(f"{aunt}.CH"), aunt)
            return self.add_child(pid, cousin, None, s)
        if rel == "spouse":
            return self._add(pid, s, None, None)
        return self._add(pid, s, None, None)  # unrelated

    def _rename(self, old: str, new: str) -> str:
        if old == new:
            return new
        if new in self._recs:
            raise PedigreeError(f"duplicate person id {new!r}")
        recs: dict[str, dict[str, object]] = {}
        for k, r in self._recs.items():
            r2 = dict(r)
            r2["id"] = new if k == old else k
            for key in ("father", "mother"):
                if r2[key] == old:
                    r2[key] = new
            recs[new if k == old else k] = r2
        self._recs = recs
        return new

    def build(self) -> Pedigree:
        """The validated :class:`Pedigree`."""
        return Pedigree.from_records(self._recs.values())


def relationship_pedigree(
    relationship: str, a: str = "A", b: str = "B", sex_a: str = "U", sex_b: str | None = None
) -> Pedigree:
    """Pedigree in which ``b`` is ``a``'s ``relationship`` (plus untyped connecting persons);
    ``"unrelated"`` gives two founders. Used for pairwise hypothesis tests."""
    bld = PedigreeBuilder(a, sex_a)
    bld.add_relative(b, relationship, sex_b)
    return bld.build()
