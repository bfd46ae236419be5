# ruff: noqa: E501
from dnacase.formats.registry_csv import (
    parse_grave_list,
    parse_missing_persons,
    parse_partial_date,
)

REGISTRY = """\ufeffSố hồ sơ,Họ tên,Giới tính,Năm sinh,Thôn,Xã,Huyện,Tỉnh,Đơn vị,Ngày hy sinh,Nơi hy sinh,Nơi an táng ban đầu,Trạng thái,Extra
LS-0001,Nguyễn Văn An,nam,1950,Thôn Đông,Xã Yên Lạc,Huyện Yên Định,Thanh Hóa,E209 F312,12/03/1972,Quảng Trị,Cồn Tiên,chưa tìm thấy,x
LS-0002,Trần Thị Bé,F,1952,,,,Nghệ An,,1972-07,,,,
"""


def test_registry_with_vietnamese_headers_and_partial_dates() -> None:
    result = parse_missing_persons(REGISTRY.encode(), file="ls.csv")
    assert result.ok, [str(e) for e in result.errors]
    a, b = result.rows
    assert a.registry_number == "LS-0001" and a.full_name == "Nguyễn Văn An"
    assert a.sex == "M" and a.birth_year == 1950 and a.death_date == "1972-03-12"
    assert a.home_province == "Thanh Hóa" and a.unit == "E209 F312"
    assert a.initial_burial_place == "Cồn Tiên" and a.status == "missing"
    assert b.sex == "F" and b.death_date == "1972-07" and b.birth_year == 1952
    assert [w.column for w in result.warnings] == ["Extra"]
    assert len(result.sha256) == 64
    assert a.line == 2 and b.line == 3


def test_registry_row_errors_name_file_line_and_column() -> None:
    data = (
        "registry_number,full_name,birth_year,death_date,sex\n"
        "A1,Lê Văn Một,19x5,1972,M\n"
        "A2,,1950,31/02/1972,M\n"
        "A1,Lê Văn Ba,1950,1940,Q\n"
    )
    result = parse_missing_persons(data, file="reg.csv")
    messages = [str(e) for e in result.errors]
    assert "reg.csv, line 2, column birth_year: birth year '19x5' is not a year" in messages[0]
    assert any(m.startswith("reg.csv, line 3, column full_name: full name is empty")
               for m in messages)
    assert any("line 3, column death_date" in m and "not a valid day" in m for m in messages)
    assert any("line 4, column sex" in m for m in messages)
    assert any("line 4, column death_date" in m and "before the birth year" in m
               for m in messages)
    assert not result.ok


def test_duplicate_registry_numbers_and_missing_columns() -> None:
    dup = parse_missing_persons("registry_number,full_name\nX,A\nX,B\n", file="r.csv")
    assert [str(e) for e in dup.errors] == [
        "r.csv, line 3, column registry_number: registry number X already appears on line 2"
    ]
    missing = parse_missing_persons("name,birth_year\nA,1950\n", file="r.csv")
    assert len(missing.errors) == 1
    assert "required column registry_number is missing" in str(missing.errors[0])
    empty = parse_missing_persons(b"", file="r.csv")
    assert "empty" in str(empty.errors[0])


def test_non_utf8_file_is_refused_with_a_hint() -> None:
    data = b"registry_number,full_name\nX,Nguy\xea\xde\n"
    result = parse_missing_persons(data, file="old.csv")
    assert "not UTF-8" in str(result.errors[0]) and "line 2" in str(result.errors[0])


GRAVES = """khu;hàng;số mộ;tên trên bia;trạng thái;số hồ sơ
A;1;1;Liệt sĩ Nguyễn Văn An;;
A;1;2;Liệt sĩ vô danh;;
A;1;3;;;
B;2;1;Liệt sĩ Trần Văn Hai;đã xác định;LS-0002
"""


def test_grave_list_semicolon_separated_with_status_derivation() -> None:
    result = parse_grave_list(GRAVES.encode(), file="ntls.csv")
    assert result.ok, [str(e) for e in result.errors]
    statuses = [(r.label, r.status) for r in result.rows]
    assert statuses == [("A-1-1", "named_unconfirmed"), ("A-1-2", "unnamed"),
                        ("A-1-3", "unnamed"), ("B-2-1", "identified")]
    assert result.rows[3].registry_number == "LS-0002"


def test_grave_list_errors() -> None:
    data = (
        "plot,row,number,inscription,status\n"
        "A,1,1,X,\n"
        "A,1,1,Y,\n"
        "A,1,,Z,\n"
        "A,1,4,,identified\n"
        "A,1,5,W,lost\n"
    )
    result = parse_grave_list(data, file="g.csv")
    messages = [str(e) for e in result.errors]
    assert "g.csv, line 4, column number: grave number is empty" in messages
    assert any("line 5, column inscription" in m for m in messages)
    assert any("line 5, column registry_number" in m for m in messages)
    assert any("line 6, column status" in m and "'lost'" in m for m in messages)
    assert "g.csv, line 3, column number: grave A-1-1 already appears on line 2" in messages


def test_partial_dates() -> None:
    assert parse_partial_date("1972") == "1972"
    assert parse_partial_date("3/1972") == "1972-03"
    assert parse_partial_date("1972-3-5") == "1972-03-05"
    assert parse_partial_date("05.03.1972") == "1972-03-05"
    for bad in ("1972-13", "32/01/1972", "abc", "1700"):
        try:
            parse_partial_date(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_blank_lines_are_skipped_and_lines_counted() -> None:
    data = "plot,row,number\n\nA,1,1\n\nA,1,2\n"
    result = parse_grave_list(data, file="g.csv")
    assert [r.line for r in result.rows] == [3, 5]
