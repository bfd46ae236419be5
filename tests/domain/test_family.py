import pytest

from dnacase.domain.errors import PedigreeContradiction
from dnacase.domain.family import (
    FamilyMember,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)

MP = MissingPersonInfo("7", "Nguyễn Văn An", "M")


def build(members: list[tuple[str, str, str]], records: list[tuple], missing=MP):
    people = [FamilyMember(key, name, sex, typed=True) for key, name, sex in members]
    recs = [RecordedRelationship(*r) for r in records]
    return build_family_pedigree(missing, people, recs)


def test_mother_and_full_brother_share_parents_with_the_missing_person() -> None:
    ped = build([("m", "Lê Thị Bình", "F"), ("b", "Nguyễn Văn Cường", "M")],
                [("m", "mother"), ("b", "full_brother")])
    mp, mother, brother = ped.node("mp:7"), ped.node("rel:m"), ped.node("rel:b")
    assert mp.missing and not mp.typed
    assert mp.mother == "rel:m" == brother.mother
    assert mp.father == brother.father
    father = ped.node(mp.father)
    assert father.placeholder and father.sex == "M" and not father.typed
    assert mother.generation == -1 and brother.generation == 0
    # parents come before children
    ids = ped.ids
    for node in ped.nodes:
        for parent in (node.father, node.mother):
            if parent:
                assert ids.index(parent) < ids.index(node.id)
    assert len(ped.nodes) == 4


def test_mother_only_gets_an_untyped_father_too() -> None:
    ped = build([("m", "Mẹ", "F")], [("m", "mother")])
    mp = ped.node("mp:7")
    assert mp.mother == "rel:m"
    assert mp.father is not None and ped.node(mp.father).placeholder
    for node in ped.nodes:
        assert (node.father is None) == (node.mother is None), node.id


def test_siblings_only_create_one_pair_of_untyped_parents() -> None:
    ped = build([("a", "A", "M"), ("b", "B", "F"), ("c", "C", "F")],
                [("a", "full_brother"), ("b", "full_sister"), ("c", "full_sister")])
    mp = ped.node("mp:7")
    for key in "abc":
        node = ped.node(f"rel:{key}")
        assert (node.father, node.mother) == (mp.father, mp.mother)
    assert sum(n.placeholder for n in ped.nodes) == 2


def test_half_siblings_share_exactly_one_parent() -> None:
    ped = build([("p", "P", "M"), ("q", "Q", "F")],
                [("p", "paternal_half_brother"), ("q", "maternal_half_sister")])
    mp, p, q = ped.node("mp:7"), ped.node("rel:p"), ped.node("rel:q")
    assert p.father == mp.father and p.mother != mp.mother
    assert q.mother == mp.mother and q.father != mp.father
    assert ped.node(p.mother).placeholder and ped.node(q.father).placeholder


def test_children_with_the_recorded_spouse_and_grandchild_through_a_named_child() -> None:
    ped = build(
        [("w", "Phạm Thị Hoa", "F"), ("s", "Nguyễn Văn Sơn", "M"), ("d", "Nguyễn Thị Dung", "F"),
         ("g", "Nguyễn Văn Giang", "M")],
        [("w", "spouse"), ("s", "son"), ("d", "daughter"), ("g", "grandson", "d")],
    )
    for key in "sd":
        child = ped.node(f"rel:{key}")
        assert (child.father, child.mother) == ("mp:7", "rel:w")
        assert child.generation == 1
    grandson = ped.node("rel:g")
    assert grandson.mother == "rel:d"  # through the daughter: she is his mother
    assert ped.node(grandson.father).placeholder
    assert grandson.generation == 2
    assert ("mp:7", "rel:w") in ped.couples()


def test_child_without_spouse_gets_an_untyped_other_parent() -> None:
    ped = build([("s", "S", "M")], [("s", "son")])
    son = ped.node("rel:s")
    assert son.father == "mp:7"
    assert ped.node(son.mother).placeholder


def test_nephew_through_sister_and_cousin_through_uncle() -> None:
    ped = build(
        [("k", "Chị", "F"), ("n", "Cháu", "M"), ("u", "Chú", "M"), ("c", "Anh họ", "M"),
         ("g", "Ông nội", "M")],
        [("k", "full_sister"), ("n", "nephew", "k"), ("u", "paternal_uncle"),
         ("c", "first_cousin", "u"), ("g", "paternal_grandfather")],
    )
    mp = ped.node("mp:7")
    assert ped.node("rel:n").mother == "rel:k"
    uncle = ped.node("rel:u")
    father = ped.node(mp.father)
    assert (uncle.father, uncle.mother) == (father.father, father.mother)
    assert father.father == "rel:g"
    assert ped.node("rel:c").father == "rel:u"


def test_maternal_grandparents_and_aunt() -> None:
    ped = build([("gm", "Bà ngoại", "F"), ("a", "Dì", "F"), ("m", "Mẹ", "F")],
                [("a", "maternal_aunt"), ("gm", "maternal_grandmother"), ("m", "mother")])
    mother = ped.node("rel:m")
    assert ped.node("mp:7").mother == "rel:m"
    assert mother.mother == "rel:gm" == ped.node("rel:a").mother
    assert mother.father == ped.node("rel:a").father


def test_unknown_sex_is_taken_from_the_relationship() -> None:
    ped = build([("x", "X", "U")], [("x", "mother")])
    assert ped.node("rel:x").sex == "F"


def test_as_records_and_to_dict() -> None:
    ped = build([("m", "M", "F")], [("m", "mother")])
    records = ped.as_records()
    assert ("rel:m", "F", None, None) in records
    assert records[-1][0] == "mp:7"
    data = ped.to_dict()
    assert data["missing_id"] == "mp:7"
    assert {p["id"] for p in data["persons"]} == set(ped.ids)


@pytest.mark.parametrize(
    ("members", "records", "fragment"),
    [
        ([("x", "Lan", "F")], [("x", "mother"), ("x", "full_sister")],
         "Lan is recorded both as mother and as full sister"),
        ([("x", "Hùng", "F")], [("x", "father")], "Hùng is recorded as father of Nguyễn Văn An, "
                                                  "but as female"),
        ([("x", "Lan", "F"), ("y", "Mai", "F")], [("x", "mother"), ("y", "mother")],
         "already has a mother recorded (Lan); Mai cannot also be recorded as mother"),
        ([("x", "A", "M"), ("y", "B", "M")],
         [("x", "paternal_grandfather"), ("y", "paternal_grandfather")],
         "already has a father recorded (A)"),
        ([("n", "Cháu", "F")], [("n", "niece")], "name the relative"),
        ([("n", "Cháu", "F"), ("b", "Bình", "M")], [("n", "niece", "b")],
         "Bình is not recorded as a brother or sister of Nguyễn Văn An"),
        ([("n", "Cháu", "F"), ("s", "Sơn", "M")], [("n", "niece", "s"), ("s", "son")],
         "who is recorded as son, not as a brother or sister"),
        ([("n", "Cháu", "F")], [("n", "niece", "ghost")], "ghost is not recorded"),
        ([("m", "Mẹ", "F"), ("z", "Z", "M")], [("m", "mother", "z"), ("z", "full_brother")],
         "does not go through another relative"),
        ([("w", "Tuấn", "M")], [("w", "spouse")], "Tuấn is recorded as spouse"),
        ([("w", "A", "F"), ("v", "B", "F"), ("s", "S", "M")],
         [("w", "spouse"), ("v", "spouse"), ("s", "son")], "name the other parent"),
        ([("x", "Lan", "F")], [("x", "niece", "x")], "through themselves"),
        ([("x", "N", "M")], [("x", "nephew", "a"), ("x", "nephew", "b")], "recorded twice"),
        ([("x", "A", "M")], [("y", "mother")], "not recorded in this family"),
    ],
)
def test_contradictions_are_refused_with_a_clear_message(members, records, fragment) -> None:
    with pytest.raises(PedigreeContradiction) as info:
        build(members, records)
    assert fragment in str(info.value)


def test_children_need_a_known_sex_of_the_missing_person() -> None:
    mp = MissingPersonInfo("9", "Vô Danh", "U")
    with pytest.raises(PedigreeContradiction, match="sex of Vô Danh must be known"):
        build([("s", "S", "M")], [("s", "son")], missing=mp)
    # ... unless the recorded spouse tells it
    ped = build([("w", "W", "F"), ("s", "S", "M")], [("w", "spouse"), ("s", "son")], missing=mp)
    assert ped.node("mp:9").sex == "M"


def test_same_record_twice_is_harmless() -> None:
    ped = build([("m", "M", "F")], [("m", "mother"), ("m", "mother")])
    assert ped.node("mp:7").mother == "rel:m"


def test_contradiction_messages_translate_template_and_labels() -> None:
    catalogue = {
        "%(person)s is recorded as %(label)s of %(missing)s, but as %(sex)s":
            "%(person)s được ghi là %(label)s của %(missing)s, nhưng giới tính là %(sex)s",
        "father": "cha",
        "female": "nữ",
    }
    with pytest.raises(PedigreeContradiction) as info:
        build([("x", "Hùng", "F")], [("x", "father")])
    err = info.value
    assert err.field == "sex"
    assert err.translated(lambda s: catalogue.get(s, s)) == (
        "Hùng được ghi là cha của Nguyễn Văn An, nhưng giới tính là nữ"
    )
    assert err.translated(lambda s: s) == str(err)


def test_converts_to_the_kinship_pedigree() -> None:
    ped = build(
        [("m", "Mẹ", "F"), ("b", "Anh", "M"), ("n", "Cháu", "F"), ("w", "Vợ", "F"),
         ("s", "Con", "M"), ("g", "Cháu nội", "M")],
        [("m", "mother"), ("b", "full_brother"), ("n", "niece", "b"), ("w", "spouse"),
         ("s", "son"), ("g", "grandson", "s")],
    )
    kin = ped.to_kinship()
    assert list(kin.ids) == ped.ids
    records = {r["id"]: r for r in kin.to_records()}
    for node in ped.nodes:
        assert records[node.id]["father"] == node.father
        assert records[node.id]["mother"] == node.mother
        assert records[node.id]["sex"] == node.sex
