from hypothesis import given
from hypothesis import strategies as st

from dnacase.domain.names import clean_text, like_pattern, matches, name_key


def test_name_key_strips_vietnamese_diacritics_and_d_bar() -> None:
    assert name_key("Nguyễn Văn Đức") == "nguyen van duc"
    assert name_key("ĐẶNG THỊ HỒNG") == "dang thi hong"
    assert name_key("  Lê   Thị\tBình ") == "le thi binh"
    assert name_key("Trần-Văn  Ơn.") == "tran van on"


def test_precomposed_and_decomposed_forms_give_one_key() -> None:
    composed = "Nguy\u1ec5n"  # ễ precomposed
    decomposed = "Nguye\u0302\u0303n"  # e + circumflex + tilde
    assert composed != decomposed
    assert clean_text(decomposed) == composed
    assert name_key(composed) == name_key(decomposed) == "nguyen"


def test_search_matches_with_or_without_diacritics() -> None:
    name = "Nguyễn Văn Đức"
    assert matches("nguyen van duc", name)
    assert matches("Nguyễn Đức", name)
    assert matches("DUC", name)
    assert not matches("duc nguyen", name)  # order of words matters
    assert not matches("dung", name)


def test_like_pattern_joins_words() -> None:
    assert like_pattern("Nguyễn  Đức") == "%nguyen%duc%"
    assert like_pattern("") == "%"


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệ ĐÂ", max_size=30))
def test_name_key_is_ascii_idempotent(text: str) -> None:
    key = name_key(text)
    assert key.isascii()
    assert name_key(key) == key
    assert matches(text, text)
