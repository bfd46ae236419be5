import pytest

from dnacase.domain import relationships as rels
from dnacase.domain.errors import DomainError


def test_vocabulary_is_consistent() -> None:
    assert len(rels.CODES) == len(set(rels.CODES))
    for rel in rels.VOCABULARY:
        assert rel.implied_sex in (None, "M", "F")
        for via in rel.via:
            assert via in rels.BY_CODE, (rel.code, via)
        if rel.needs_via:
            assert rel.via_label and rel.via_kind


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("mẹ", "mother"), ("Me", "mother"), ("MOTHER", "mother"), ("bố", "father"),
        ("anh trai", "full_brother"), ("em gái", "full_sister"),
        ("Ông nội", "paternal_grandfather"),
        ("bà ngoại", "maternal_grandmother"), ("cậu", "maternal_uncle"), ("dì", "maternal_aunt"),
        ("cô", "paternal_aunt"), ("vợ", "spouse"), ("con gái", "daughter"),
        ("full brother", "full_brother"), ("paternal_half_sister", "paternal_half_sister"),
        ("anh họ", "first_cousin"),
    ],
)
def test_parse_relationship_accepts_vietnamese_and_english(text: str, code: str) -> None:
    assert rels.parse_relationship(text) == code


def test_unknown_relationship_is_refused_with_choices() -> None:
    with pytest.raises(DomainError, match="not recognised"):
        rels.parse_relationship("hàng xóm")
    with pytest.raises(DomainError, match="unknown relationship 'uncle'"):
        rels.get("uncle")
