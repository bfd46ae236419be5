from __future__ import annotations

import numpy as np
import pytest

from dnacase.kinship import Pedigree, PedigreeBuilder, PedigreeError, relationship_pedigree


def rec(i, f=None, m=None, s="M"):
    return {"id": i, "father": f, "mother": m, "sex": s}


def test_valid_pedigree_arrays():
    ped = Pedigree.from_records([rec("FA"), rec("MO", s="F"), rec("C", "FA", "MO", "F")])
    assert ped.ids == ("FA", "MO", "C")
    assert ped.father.tolist() == [-1, -1, 0] and ped.mother.tolist() == [-1, -1, 1]
    assert ped.sex.dtype == np.int8 and ped.father.dtype == np.int32
    assert ped.founders.tolist() == [0, 1]
    assert ped.children(0).tolist() == [2]
    assert ped.topological_order()[-1] == 2
    assert not ped.has_loop()
    assert Pedigree.from_records(ped.to_records()).structure_key() == ped.structure_key()


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([rec("A"), rec("A")], "duplicate person id 'A'"),
        ([rec("C", "X", "Y")], "unknown father 'X'"),
        ([rec("F", s="F"), rec("M", s="F"), rec("C", "F", "M")], "father 'F' of 'C' is not male"),
        ([rec("F"), rec("M"), rec("C", "F", "M")], "mother 'M' of 'C' is not female"),
        ([rec("F"), rec("C", "F", None)], "only one parent"),
        ([rec("A", "B", "M0"), rec("B", "A", "M0"), rec("M0", s="F")], "own ancestor"),
        ([rec("A", s="X")], "sex must be"),
    ],
)
def test_validation_errors_name_the_person(records, message):
    with pytest.raises(PedigreeError, match=message):
        Pedigree.from_records(records)


def test_builder_shares_connecting_persons():
    b = PedigreeBuilder("MP", "M")
    b.add_relative("R1", "brother")
    b.add_relative("R2", "sister")
    b.add_relative("R3", "mother")
    ped = b.build()
    r1, r2, r3, mp = (ped.index(x) for x in ("R1", "R2", "R3", "MP"))
    assert ped.mother[r1] == ped.mother[r2] == ped.mother[mp] == r3
    assert ped.father[r1] == ped.father[mp]
    assert ped.sex[r1] == 1 and ped.sex[r2] == 2


def test_builder_relationships():
    b = PedigreeBuilder("MP", "F")
    b.add_relative("S1", "sister")
    b.add_relative("N1", "nephew", via="S1")
    b.add_relative("C1", "child")
    b.add_relative("C2", "child", via=None)
    b.add_relative("U1", "paternal-uncle")
    b.add_relative("K1", "first-cousin", via="U1")
    b.add_relative("GF", "maternal-grandfather")
    ped = b.build()
    assert ped.ids[ped.mother[ped.index("N1")]] == "S1"
    assert ped.ids[ped.mother[ped.index("C1")]] == "MP"
    assert ped.ids[ped.father[ped.index("K1")]] == "U1"
    mo = ped.mother[ped.index("MP")]
    assert ped.ids[ped.father[mo]] == "GF"
    assert ped.father[ped.index("U1")] == ped.father[ped.father[ped.index("MP")]]
    with pytest.raises(PedigreeError, match="unknown relationship"):
        b.add_relative("Z", "second cousin twice removed")
    with pytest.raises(PedigreeError, match="must be M"):
        PedigreeBuilder("MP").add_relative("Z", "brother", sex="F")


def test_relationship_pedigree_loop_detection():
    assert not relationship_pedigree("first-cousin").has_loop()
    ped = Pedigree.from_records(
        [
            rec("F"),
            rec("M1", s="F"),
            rec("M2", s="F"),
            rec("C1", "F", "M1"),
            rec("C2", "F", "M2", "F"),
            rec("X", "C1", "C2"),
        ]
    )
    assert ped.has_loop()
