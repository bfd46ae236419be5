"""Build a family pedigree from the relationships staff recorded.

Staff record each relative's relationship to the missing person ("mother", "nephew through the
brother Văn Bình", ...). :func:`build_family_pedigree` turns those records into a pedigree:
persons with sexes and parents, the missing person marked, and the untyped connecting persons
the relationships imply created as needed (the common parents of full siblings, the other
parent of a half-sibling, the father of the missing person for a paternal grandfather, ...).

Contradictions are refused with a :class:`PedigreeContradiction` whose message names the
persons: one person recorded with two different relationships, a sex that contradicts the
relationship, two different mothers (or fathers, or grandparents in one slot), a relationship
through a relative who is not recorded or not of the right kind.

The result is plain data (:class:`FamilyPedigree`); :meth:`FamilyPedigree.as_records` gives
``(id, sex, father, mother)`` rows for the kinship engine.

Sex codes: ``"M"`` male, ``"F"`` female, ``"U"`` unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dnacase.domain import relationships as rels
from dnacase.domain.errors import N_, PedigreeContradiction

_SEX_WORD = {"M": N_("male"), "F": N_("female"), "U": N_("of unknown sex")}


@dataclass(frozen=True, slots=True)
class MissingPersonInfo:
    """The missing person at the centre of the family."""

    key: str
    name: str
    sex: str = "M"


@dataclass(frozen=True, slots=True)
class FamilyMember:
    """A recorded relative. ``typed`` is true when a sample or profile exists for them."""

    key: str
    name: str
    sex: str = "U"
    typed: bool = False


@dataclass(frozen=True, slots=True)
class RecordedRelationship:
    """One recorded relationship: *relative* is *code* of the missing person (through *via*)."""

    relative: str
    code: str
    via: str | None = None


@dataclass(slots=True)
class PedigreeNode:
    """A person of the family pedigree.

    ``placeholder`` persons were created by the builder to connect recorded persons (they have
    no name and are never typed). ``generation`` counts from the missing person (parents -1).
    ``relative_key`` is the key of the recorded relative, ``None`` for the missing person and
    placeholders.
    """

    id: str
    sex: str
    generation: int
    name: str = ""
    father: str | None = None
    mother: str | None = None
    relationship: str | None = None
    relative_key: str | None = None
    missing: bool = False
    typed: bool = False
    placeholder: bool = False
    description: str = ""


@dataclass(slots=True)
class FamilyPedigree:
    """The pedigree of one missing person's family; ``nodes`` lists parents before children."""

    missing_id: str
    nodes: list[PedigreeNode] = field(default_factory=list)

    def node(self, node_id: str) -> PedigreeNode:
        """Return the node with *node_id* (KeyError if absent)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    @property
    def ids(self) -> list[str]:
        """Node ids in order (parents before children)."""
        return [node.id for node in self.nodes]

    def children_of(self, node_id: str) -> list[PedigreeNode]:
        """Nodes whose father or mother is *node_id*, in pedigree order."""
        return [n for n in self.nodes if node_id in (n.father, n.mother)]

    def couples(self) -> list[tuple[str, str]]:
        """Pairs ``(father_id, mother_id)`` of parents with common children, then childless
        couples recorded as spouses of the missing person, each pair once."""
        pairs: dict[tuple[str, str], None] = {}
        for n in self.nodes:
            if n.father is not None and n.mother is not None:
                pairs[(n.father, n.mother)] = None
        missing = self.node(self.missing_id)
        for n in self.nodes:
            if n.relationship == "spouse":
                pair = (self.missing_id, n.id) if missing.sex != "F" else (n.id, self.missing_id)
                if pair not in pairs and (pair[1], pair[0]) not in pairs:
                    pairs[pair] = None
        return list(pairs)

    def as_records(self) -> list[tuple[str, str, str | None, str | None]]:
        """Return ``(id, sex, father_id, mother_id)`` for every person, parents first."""
        return [(n.id, n.sex, n.father, n.mother) for n in self.nodes]

    def to_kinship(self) -> Any:
        """Return the :class:`dnacase.kinship.pedigree.Pedigree` of this family (same ids)."""
        from dnacase.kinship.pedigree import Pedigree

        return Pedigree.from_records(
            {"id": n.id, "sex": n.sex, "father": n.father, "mother": n.mother}
            for n in self.nodes
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description of the pedigree."""
        return {
            "missing_id": self.missing_id,
            "persons": [
                {
                    "id": n.id,
                    "name": n.name,
                    "sex": n.sex,
                    "father": n.father,
                    "mother": n.mother,
                    "relationship": n.relationship,
                    "relative_key": n.relative_key,
                    "missing": n.missing,
                    "typed": n.typed,
                    "placeholder": n.placeholder,
                    "generation": n.generation,
                }
                for n in self.nodes
            ],
        }


# Processing order: every slot a recorded person fills is filled before any placeholder for it
# could be created, and every "via" relative is placed before the relatives through it.
_ORDER = (
    "mother", "father",
    "paternal_grandfather", "paternal_grandmother", "maternal_grandfather", "maternal_grandmother",
    "full_brother", "full_sister",
    "paternal_half_brother", "paternal_half_sister",
    "maternal_half_brother", "maternal_half_sister",
    "paternal_uncle", "paternal_aunt", "maternal_uncle", "maternal_aunt",
    "spouse", "son", "daughter", "grandson", "granddaughter", "nephew", "niece", "first_cousin",
)
assert set(_ORDER) == set(rels.CODES), "every relationship needs a place in the build order"


class _Builder:
    def __init__(self, missing: MissingPersonInfo, members: Sequence[FamilyMember]) -> None:
        self.missing = missing
        self.members = {m.key: m for m in members}
        self.nodes: dict[str, PedigreeNode] = {}
        self.code_of: dict[str, str] = {}
        self.mid = f"mp:{missing.key}"
        self.nodes[self.mid] = PedigreeNode(
            id=self.mid, sex=missing.sex, generation=0, name=missing.name, missing=True
        )

    # -- helpers ---------------------------------------------------------------------------
    def name(self, node_id: str) -> str:
        node = self.nodes[node_id]
        if node.placeholder:
            return node.description
        return node.name or node.id

    def rid(self, key: str) -> str:
        return f"rel:{key}"

    def placeholder(self, node_id: str, sex: str, generation: int, description: str) -> str:
        if node_id not in self.nodes:
            self.nodes[node_id] = PedigreeNode(
                id=node_id, sex=sex, generation=generation, placeholder=True,
                description=description,
            )
        return node_id

    def parent(self, child_id: str, role: str) -> str:
        """Return the father/mother of *child_id*, creating a placeholder if none is known."""
        child = self.nodes[child_id]
        current = child.father if role == "father" else child.mother
        if current is not None:
            return current
        pid = self.placeholder(
            f"{role}-of:{child_id}", "M" if role == "father" else "F", child.generation - 1,
            f"{role} of {self.name(child_id)}",
        )
        self.set_parent(child_id, role, pid, what=role)
        return pid

    def set_parent(self, child_id: str, role: str, parent_id: str, *, what: str) -> None:
        child = self.nodes[child_id]
        current = child.father if role == "father" else child.mother
        if current is not None and current != parent_id:
            raise PedigreeContradiction(
                N_("%(child)s already has a %(role)s recorded (%(current)s); %(person)s cannot "
                   "also be recorded as %(what)s"),
                labels=("role", "what"), child=self.name(child_id), role=role,
                current=self.name(current), person=self.name(parent_id), what=what,
                field="relationship",
            )
        parent = self.nodes[parent_id]
        needed = "M" if role == "father" else "F"
        if parent.sex not in (needed, "U"):
            raise PedigreeContradiction(
                N_("%(person)s is %(sex)s and cannot be the %(role)s of %(child)s"),
                labels=("sex", "role"), person=self.name(parent_id), sex=_SEX_WORD[parent.sex],
                role=role, child=self.name(child_id),
                field="sex",
            )
        parent.sex = needed
        if role == "father":
            child.father = parent_id
        else:
            child.mother = parent_id

    def add_relative(self, member: FamilyMember, code: str, sex: str) -> str:
        rel = rels.BY_CODE[code]
        node_id = self.rid(member.key)
        self.nodes[node_id] = PedigreeNode(
            id=node_id, sex=sex, generation=rel.generation, name=member.name,
            relationship=code, relative_key=member.key, typed=member.typed,
        )
        return node_id

    def via_node(self, member: FamilyMember, code: str, via: str | None) -> str | None:
        rel = rels.BY_CODE[code]
        label = rel.label
        if via is None:
            if rel.needs_via:
                raise PedigreeContradiction(
                    N_("%(person)s is recorded as %(label)s: name the relative they are "
                       "related through (%(wanted)s)"),
                    labels=("label", "wanted"), person=member.name, label=label,
                    wanted=rel.via_kind,
                    field="via",
                )
            return None
        if not rel.takes_via:
            raise PedigreeContradiction(
                N_("%(person)s is recorded as %(label)s, which does not go through another "
                   "relative; remove the 'through' relative"),
                labels=("label",), person=member.name, label=label,
                field="via",
            )
        if via == member.key:
            raise PedigreeContradiction(
                N_("%(person)s cannot be related through themselves"), field="via",
                person=member.name,
            )
        wanted = rel.via_kind
        if via not in self.members or via not in self.code_of:
            who = self.members[via].name if via in self.members else via
            raise PedigreeContradiction(
                N_("%(person)s is recorded as %(label)s through %(via)s, but %(via)s is not "
                   "recorded as %(wanted)s of %(missing)s"),
                labels=("label", "wanted"), person=member.name, label=label, via=who,
                wanted=wanted,
                missing=self.missing.name,
                field="via",
            )
        via_code = self.code_of[via]
        if via_code not in rel.via:
            raise PedigreeContradiction(
                N_("%(person)s is recorded as %(label)s through %(via)s, who is recorded as "
                   "%(via_label)s, not as %(wanted)s"),
                labels=("label", "via_label", "wanted"), person=member.name, label=label,
                via=self.members[via].name, via_label=rels.BY_CODE[via_code].label,
                wanted=wanted,
                field="via",
            )
        return self.rid(via)

    def join_child(self, child_id: str, parent_id: str, other_id: str | None) -> None:
        """Make *parent_id* and *other_id* (or a placeholder) the parents of *child_id*."""
        parent = self.nodes[parent_id]
        if parent.sex == "U":
            if other_id is not None and self.nodes[other_id].sex in ("M", "F"):
                parent.sex = "F" if self.nodes[other_id].sex == "M" else "M"
            else:
                raise PedigreeContradiction(
                    N_("the sex of %(person)s must be known to record %(child)s as their child"),
                    person=self.name(parent_id), child=self.name(child_id),
                    field="sex",
                )
        role = "father" if parent.sex == "M" else "mother"
        other_role = "mother" if role == "father" else "father"
        self.set_parent(child_id, role, parent_id, what=role)
        if other_id is None:
            child = self.nodes[child_id]
            other_id = self.placeholder(
                f"{other_role}-of:{child_id}", "M" if other_role == "father" else "F",
                child.generation - 1, f"{other_role} of {self.name(child_id)}",
            )
        self.set_parent(child_id, other_role, other_id, what=other_role)

    # -- the build -------------------------------------------------------------------------
    def build(self, records: Sequence[RecordedRelationship]) -> FamilyPedigree:
        by_person: dict[str, RecordedRelationship] = {}
        for rec in records:
            rels.get(rec.code)
            if rec.relative not in self.members:
                raise PedigreeContradiction(
                    N_("relationship %(code)s refers to relative %(relative)r, who is not "
                       "recorded in this family"),
                    code=rec.code, relative=rec.relative,
                    field="relative",
                )
            earlier = by_person.get(rec.relative)
            if earlier is not None and earlier != rec:
                name = self.members[rec.relative].name
                first, second = rels.BY_CODE[earlier.code].label, rels.BY_CODE[rec.code].label
                if earlier.code == rec.code:
                    raise PedigreeContradiction(
                        N_("%(person)s is recorded twice as %(first)s of %(missing)s, through "
                           "different relatives"),
                        labels=("first",), person=name, first=first,
                        missing=self.missing.name,
                        field="via",
                    )
                raise PedigreeContradiction(
                    N_("%(person)s is recorded both as %(first)s and as %(second)s of "
                       "%(missing)s; one person has one relationship"),
                    labels=("first", "second"), person=name, first=first, second=second,
                    missing=self.missing.name,
                    field="relationship",
                )
            by_person[rec.relative] = rec
        ordered = sorted(by_person.values(), key=lambda r: _ORDER.index(r.code))
        spouses = [r.relative for r in ordered if r.code == "spouse"]

        for rec in ordered:
            member = self.members[rec.relative]
            rel = rels.BY_CODE[rec.code]
            sex = member.sex if member.sex in ("M", "F") else "U"
            if rel.implied_sex is not None:
                if sex not in ("U", rel.implied_sex):
                    raise PedigreeContradiction(
                        N_("%(person)s is recorded as %(label)s of %(missing)s, but as %(sex)s"),
                        labels=("label", "sex"), person=member.name, label=rel.label,
                        missing=self.missing.name, sex=_SEX_WORD[sex],
                        field="sex",
                    )
                sex = rel.implied_sex
            via = self.via_node(member, rec.code, rec.via)
            nid = self.add_relative(member, rec.code, sex)
            self.code_of[rec.relative] = rec.code
            self.place(nid, rec.code, via, spouses)
        return self.result()

    def place(self, nid: str, code: str, via: str | None, spouses: list[str]) -> None:
        m = self.mid
        if code in ("mother", "father"):
            self.set_parent(m, code, nid, what=code)
        elif code.startswith(("paternal_grand", "maternal_grand")):
            line = "father" if code.startswith("paternal") else "mother"
            role = "father" if code.endswith("father") else "mother"
            self.set_parent(self.parent(m, line), role, nid, what=rels.BY_CODE[code].label)
        elif code in ("full_brother", "full_sister"):
            self.set_parent(nid, "father", self.parent(m, "father"), what="father")
            self.set_parent(nid, "mother", self.parent(m, "mother"), what="mother")
        elif code.startswith(("paternal_half", "maternal_half")):
            shared = "father" if code.startswith("paternal") else "mother"
            self.set_parent(nid, shared, self.parent(m, shared), what=shared)
            self.parent(nid, "mother" if shared == "father" else "father")
        elif code in ("paternal_uncle", "paternal_aunt", "maternal_uncle", "maternal_aunt"):
            line = self.parent(m, "father" if code.startswith("paternal") else "mother")
            self.set_parent(nid, "father", self.parent(line, "father"), what="father")
            self.set_parent(nid, "mother", self.parent(line, "mother"), what="mother")
        elif code == "spouse":
            me, spouse = self.nodes[m], self.nodes[nid]
            if me.sex in ("M", "F") and spouse.sex == me.sex:
                raise PedigreeContradiction(
                    N_("%(person)s is recorded as spouse (the other parent of the children) but "
                       "is %(sex)s, like %(missing)s"),
                    labels=("sex",), person=spouse.name, sex=_SEX_WORD[spouse.sex],
                    missing=me.name,
                    field="sex",
                )
            if spouse.sex == "U" and me.sex in ("M", "F"):
                spouse.sex = "F" if me.sex == "M" else "M"
        elif code in ("son", "daughter"):
            other = via
            if other is None and len(spouses) == 1:
                other = self.rid(spouses[0])
            elif other is None and len(spouses) > 1:
                raise PedigreeContradiction(
                    N_("%(person)s is recorded as %(label)s, and several spouses are recorded: "
                       "name the other parent"),
                    labels=("label",), person=self.name(nid), label=rels.BY_CODE[code].label,
                    field="via",
                )
            self.join_child(nid, m, other)
        else:  # grandchildren, nephews/nieces, cousins: a child of the via relative
            assert via is not None
            self.join_child(nid, via, None)

    def result(self) -> FamilyPedigree:
        # every person has both parents or none: complete the other parent where one is known
        for node in list(self.nodes.values()):
            if (node.father is None) != (node.mother is None):
                self.parent(node.id, "father" if node.father is None else "mother")
        order: list[str] = []
        seen: set[str] = set()

        def visit(node_id: str) -> None:
            if node_id in seen:
                return
            seen.add(node_id)
            node = self.nodes[node_id]
            for parent in (node.father, node.mother):
                if parent is not None:
                    visit(parent)
            order.append(node_id)

        for node_id in self.nodes:
            visit(node_id)
        return FamilyPedigree(self.mid, [self.nodes[i] for i in order])


def build_family_pedigree(
    missing: MissingPersonInfo,
    members: Iterable[FamilyMember],
    relationships: Iterable[RecordedRelationship],
) -> FamilyPedigree:
    """Build the pedigree of *missing*'s family from the recorded *relationships*.

    *members* are the recorded relatives (keys unique); each relationship names a member, a
    relationship code from :mod:`dnacase.domain.relationships` and, where the relationship goes
    through another relative, that relative's key.

    Node ids are ``"mp:<missing key>"`` for the missing person, ``"rel:<relative key>"`` for
    recorded relatives and ``"<role>-of:<node id>"`` for connecting placeholders.

    Raises :class:`PedigreeContradiction` with a user-facing message on any contradiction.
    """
    members = list(members)
    keys = [m.key for m in members]
    if len(set(keys)) != len(keys):
        raise PedigreeContradiction(N_("a relative is listed twice in the family"))
    for member in members:
        if member.sex not in rels.SEXES:
            raise PedigreeContradiction(
                N_("sex of %(person)s must be one of M, F, U (got %(sex)r)"), field="sex",
                person=member.name, sex=member.sex,
            )
    if missing.sex not in rels.SEXES:
        raise PedigreeContradiction(
            N_("sex of %(person)s must be one of M, F, U (got %(sex)r)"), person=missing.name,
            sex=missing.sex,
        )
    return _Builder(missing, members).build(list(relationships))
