"""The relationship vocabulary: how staff record a relative's relationship to a missing person.

Each :class:`Relationship` has a stable ``code`` (stored in the database and sent in the API), an
English ``label`` that is the message id translated through the Babel catalogue (Vietnamese
first), the sex it implies, and -- for relationships that go through another relative -- the
kinds of relationship that relative must have ("grandchild through a named child", "niece
through a named sibling", "first cousin through a named uncle or aunt").

``vi_terms`` are the Vietnamese words staff write (used to read relationships from imported
files, not to display them); matching ignores diacritics and case.

Sex codes: ``"M"`` male, ``"F"`` female, ``"U"`` unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnacase.domain.errors import N_, DomainError
from dnacase.domain.names import name_key

__all__ = ["N_"]


SEXES: tuple[str, ...] = ("M", "F", "U")


@dataclass(frozen=True, slots=True)
class Relationship:
    """One kind of relationship of a relative to the missing person.

    ``generation`` is the relative's generation counted from the missing person (parents -1,
    children +1). ``via`` lists the relationship codes the named intermediate relative must have;
    empty when no intermediate is needed.
    """

    code: str
    label: str
    group: str
    generation: int
    implied_sex: str | None = None
    via: tuple[str, ...] = ()
    via_label: str = ""
    vi_terms: tuple[str, ...] = ()
    via_required: bool = True
    via_kind: str = ""

    @property
    def needs_via(self) -> bool:
        """True when the relationship must name the relative it goes through."""
        return bool(self.via) and self.via_required

    @property
    def takes_via(self) -> bool:
        """True when the relationship may name a relative it goes through."""
        return bool(self.via)


_PARENTS = ("mother", "father")
_FULL_SIBS = ("full_brother", "full_sister")
_HALF_SIBS = (
    "paternal_half_brother",
    "paternal_half_sister",
    "maternal_half_brother",
    "maternal_half_sister",
)
_CHILDREN = ("son", "daughter")
_UNCLES = ("paternal_uncle", "paternal_aunt", "maternal_uncle", "maternal_aunt")

VOCABULARY: tuple[Relationship, ...] = (
    Relationship("mother", N_("mother"), "parents", -1, "F", vi_terms=("mẹ", "má", "u", "bầm")),
    Relationship("father", N_("father"), "parents", -1, "M", vi_terms=("cha", "bố", "ba", "thầy")),
    Relationship(
        "full_brother", N_("full brother"), "siblings", 0, "M",
        vi_terms=("anh trai", "em trai", "anh ruột", "em trai ruột", "anh trai ruột"),
    ),
    Relationship(
        "full_sister", N_("full sister"), "siblings", 0, "F",
        vi_terms=("chị gái", "em gái", "chị ruột", "em gái ruột", "chị gái ruột"),
    ),
    Relationship(
        "paternal_half_brother", N_("paternal half-brother"), "siblings", 0, "M",
        vi_terms=("anh em trai cùng cha khác mẹ", "anh trai cùng cha khác mẹ",
                  "em trai cùng cha khác mẹ"),
    ),
    Relationship(
        "paternal_half_sister", N_("paternal half-sister"), "siblings", 0, "F",
        vi_terms=("chị em gái cùng cha khác mẹ", "chị gái cùng cha khác mẹ",
                  "em gái cùng cha khác mẹ"),
    ),
    Relationship(
        "maternal_half_brother", N_("maternal half-brother"), "siblings", 0, "M",
        vi_terms=("anh em trai cùng mẹ khác cha", "anh trai cùng mẹ khác cha",
                  "em trai cùng mẹ khác cha"),
    ),
    Relationship(
        "maternal_half_sister", N_("maternal half-sister"), "siblings", 0, "F",
        vi_terms=("chị em gái cùng mẹ khác cha", "chị gái cùng mẹ khác cha",
                  "em gái cùng mẹ khác cha"),
    ),
    Relationship(
        "son", N_("son"), "children", 1, "M", ("spouse",), N_("with the other parent"),
        ("con trai",), via_required=False,
        via_kind=N_("a spouse"),
    ),
    Relationship(
        "daughter", N_("daughter"), "children", 1, "F", ("spouse",), N_("with the other parent"),
        ("con gái",), via_required=False,
        via_kind=N_("a spouse"),
    ),
    Relationship(
        "spouse", N_("spouse (other parent of the children)"), "children", 0,
        vi_terms=("vợ", "chồng", "vợ chồng"),
    ),
    Relationship(
        "grandson", N_("grandson"), "grandchildren", 2, "M", _CHILDREN,
        N_("through the child"), ("cháu nội trai", "cháu ngoại trai", "cháu trai nội/ngoại"),
        via_kind=N_("a son or daughter"),
    ),
    Relationship(
        "granddaughter", N_("granddaughter"), "grandchildren", 2, "F", _CHILDREN,
        N_("through the child"), ("cháu nội gái", "cháu ngoại gái", "cháu gái nội/ngoại"),
        via_kind=N_("a son or daughter"),
    ),
    Relationship(
        "nephew", N_("nephew"), "nephews and nieces", 1, "M", _FULL_SIBS + _HALF_SIBS,
        N_("through the sibling"), ("cháu trai (con của anh chị em)", "cháu trai gọi bằng bác"),
        via_kind=N_("a brother or sister"),
    ),
    Relationship(
        "niece", N_("niece"), "nephews and nieces", 1, "F", _FULL_SIBS + _HALF_SIBS,
        N_("through the sibling"), ("cháu gái (con của anh chị em)", "cháu gái gọi bằng bác"),
        via_kind=N_("a brother or sister"),
    ),
    Relationship(
        "paternal_grandfather", N_("paternal grandfather"), "grandparents", -2, "M",
        vi_terms=("ông nội",),
    ),
    Relationship(
        "paternal_grandmother", N_("paternal grandmother"), "grandparents", -2, "F",
        vi_terms=("bà nội",),
    ),
    Relationship(
        "maternal_grandfather", N_("maternal grandfather"), "grandparents", -2, "M",
        vi_terms=("ông ngoại",),
    ),
    Relationship(
        "maternal_grandmother", N_("maternal grandmother"), "grandparents", -2, "F",
        vi_terms=("bà ngoại",),
    ),
    Relationship(
        "paternal_uncle", N_("paternal uncle (father's full brother)"), "uncles and aunts", -1,
        "M", vi_terms=("bác trai", "chú", "bác (anh của bố)", "chú ruột"),
    ),
    Relationship(
        "paternal_aunt", N_("paternal aunt (father's full sister)"), "uncles and aunts", -1,
        "F", vi_terms=("cô", "bác gái (chị của bố)", "cô ruột"),
    ),
    Relationship(
        "maternal_uncle", N_("maternal uncle (mother's full brother)"), "uncles and aunts", -1,
        "M", vi_terms=("cậu", "bác (anh của mẹ)", "cậu ruột"),
    ),
    Relationship(
        "maternal_aunt", N_("maternal aunt (mother's full sister)"), "uncles and aunts", -1,
        "F", vi_terms=("dì", "bác gái (chị của mẹ)", "dì ruột"),
    ),
    Relationship(
        "first_cousin", N_("first cousin"), "cousins", 0, None, _UNCLES,
        N_("through the uncle or aunt"), ("anh chị em họ", "anh họ", "chị họ", "em họ"),
        via_kind=N_("an uncle or aunt"),
    ),
)

BY_CODE: dict[str, Relationship] = {rel.code: rel for rel in VOCABULARY}
CODES: tuple[str, ...] = tuple(BY_CODE)
GROUPS: tuple[str, ...] = tuple(dict.fromkeys(rel.group for rel in VOCABULARY))

_BY_TERM: dict[str, str] = {}
for _rel in VOCABULARY:
    for _term in (_rel.code.replace("_", " "), _rel.label, *_rel.vi_terms):
        _BY_TERM.setdefault(name_key(_term), _rel.code)


def get(code: str) -> Relationship:
    """Return the relationship with *code*; raise :class:`DomainError` naming the valid codes."""
    try:
        return BY_CODE[code]
    except KeyError:
        raise DomainError(
            N_("unknown relationship %(code)r; choose one of: %(codes)s"),
            field="relationship", code=code, codes=", ".join(CODES),
        ) from None


def parse_relationship(text: str) -> str:
    """Return the code for a relationship written as a code, an English label or a Vietnamese term.

    Matching ignores case and diacritics ("me", "Mẹ" and "mother" all give ``"mother"``).
    Raises :class:`DomainError` when the text is not recognised.
    """
    key = name_key(text)
    code = _BY_TERM.get(key) or _BY_TERM.get(key.replace(" ", ""))
    if code is None:
        raise DomainError(
            N_("relationship %(text)r is not recognised; use one of: %(codes)s"),
            field="relationship", text=text, codes=", ".join(CODES),
        )
    return code
