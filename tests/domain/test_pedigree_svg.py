import xml.etree.ElementTree as ET
from itertools import pairwise

from dnacase.domain.family import (
    FamilyMember,
    MissingPersonInfo,
    RecordedRelationship,
    build_family_pedigree,
)
from dnacase.domain.pedigree_svg import draw_pedigree_svg

NS = {"s": "http://www.w3.org/2000/svg"}


def family():
    mp = MissingPersonInfo("1", "Nguyễn Văn <An>", "M")
    members = [
        FamilyMember("m", "Lê Thị Bình", "F", typed=True),
        FamilyMember("b", "Nguyễn Văn Cường", "M", typed=False),
        FamilyMember("n", "Nguyễn Thị Dung", "F", typed=True),
        FamilyMember("w", "Phạm Thị Hoa", "F", typed=True),
        FamilyMember("s", "Nguyễn Văn Sơn", "M", typed=True),
    ]
    records = [
        RecordedRelationship("m", "mother"), RecordedRelationship("b", "full_brother"),
        RecordedRelationship("n", "niece", "b"), RecordedRelationship("w", "spouse"),
        RecordedRelationship("s", "son"),
    ]
    return build_family_pedigree(mp, members, records)


def persons(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("data-id"): g for g in root.iter("{http://www.w3.org/2000/svg}g")
            if "person" in (g.get("class") or "").split()}


def centre(g: ET.Element) -> tuple[float, float]:
    rect = g.find("s:rect", NS)
    if rect is not None:
        return (float(rect.get("x")) + float(rect.get("width")) / 2,
                float(rect.get("y")) + float(rect.get("height")) / 2)
    circle = g.find("s:circle", NS)
    if circle is not None:
        return float(circle.get("cx")), float(circle.get("cy"))
    pts = [tuple(map(float, p.split(","))) for p in g.find("s:polygon", NS).get("points").split()]
    return sum(p[0] for p in pts) / 4, sum(p[1] for p in pts) / 4


def test_svg_is_well_formed_with_one_symbol_per_person() -> None:
    ped = family()
    svg = draw_pedigree_svg(ped, title="Gia đình")
    nodes = persons(svg)
    assert set(nodes) == set(ped.ids)
    assert "&lt;An&gt;" in svg  # names are escaped
    root = ET.fromstring(svg)
    assert root.find("s:title", NS).text == "Gia đình"


def test_standard_symbols_and_marks() -> None:
    ped = family()
    nodes = persons(draw_pedigree_svg(ped))
    assert nodes["mp:1"].find("s:rect", NS) is not None  # male: square
    assert nodes["rel:m"].find("s:circle", NS) is not None  # female: circle
    assert "missing" in nodes["mp:1"].get("class")
    assert "typed" in nodes["rel:m"].get("class")
    assert "typed" not in nodes["rel:b"].get("class")
    father = ped.node("mp:1").father
    assert "placeholder" in nodes[father].get("class")
    assert nodes[father].find("s:rect", NS).get("stroke-dasharray")


def test_unknown_sex_is_a_diamond() -> None:
    mp = MissingPersonInfo("1", "X", "U")
    ped = build_family_pedigree(mp, [], [])
    g = persons(draw_pedigree_svg(ped))["mp:1"]
    assert g.find("s:polygon", NS) is not None


def test_layout_generations_rows_and_no_overlaps() -> None:
    ped = family()
    nodes = persons(draw_pedigree_svg(ped))
    pos = {k: centre(g) for k, g in nodes.items()}
    by_gen: dict[int, list[float]] = {}
    for n in ped.nodes:
        assert pos[n.id][1] == pos[ped.nodes[0].id][1] + (n.generation - ped.nodes[0].generation
                                                         ) * (pos["rel:s"][1] - pos["mp:1"][1])
        by_gen.setdefault(n.generation, []).append(pos[n.id][0])
    for xs in by_gen.values():
        xs.sort()
        assert all(b - a >= 100 for a, b in pairwise(xs))
    # parents above children
    for n in ped.nodes:
        for p in (n.father, n.mother):
            if p:
                assert pos[p][1] < pos[n.id][1]
    # the spouse sits next to the missing person
    assert abs(pos["rel:w"][0] - pos["mp:1"][0]) <= 125


def test_translate_is_applied_to_labels_and_legend() -> None:
    table = {"mother": "mẹ", "missing person": "liệt sĩ", "male": "nam"}
    svg = draw_pedigree_svg(family(), translate=lambda s: table.get(s, s))
    assert ">mẹ<" in svg and ">liệt sĩ<" in svg and ">nam<" in svg


def test_drawing_is_deterministic() -> None:
    assert draw_pedigree_svg(family()) == draw_pedigree_svg(family())


def test_legend_fits_inside_a_small_drawing():
    """A two-person family is narrower than the legend: the drawing widens so no caption is cut."""
    mp = MissingPersonInfo("1", "Bùi Thế Lâm", "M")
    ped = build_family_pedigree(
        mp,
        [FamilyMember("m", "Lê Thị Huệ", "F", typed=True)],
        [RecordedRelationship("m", "mother")],
    )
    root = ET.fromstring(draw_pedigree_svg(ped))
    width = float(root.get("width"))
    legend = next(g for g in root.iter(f"{{{NS['s']}}}g") if g.get("class") == "legend")
    texts = legend.findall("s:text", NS)
    assert texts
    last = texts[-1]
    assert float(last.get("x")) + 6.2 * len(last.text) <= width
