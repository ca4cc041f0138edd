"""The candidates CSV reader on its own: every problem found, with its row and column."""

from __future__ import annotations

from app.candidates.importer import parse

HEADER = "candidate_number,centre,first_name,last_name,extra_time_percent,rest_breaks\n"


def problems(text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    return [(p.row, p.column) for p in parse(data).problems]


def test_a_clean_file_reads_every_row() -> None:
    parsed = parse(
        ("\ufeff" + HEADER + "A1,C1,Ada,Lovelace,25%,yes\nA2,C1,Alan,Turing,,\n\n").encode()
    )
    assert parsed.problems == []
    assert [
        (n, r.candidate_number, r.extra_time_percent, r.rest_breaks) for n, r in parsed.rows
    ] == [
        (2, "A1", 25, True),
        (3, "A2", 0, False),
    ]


def test_only_the_required_columns_are_needed_in_any_order() -> None:
    parsed = parse(b"last_name,first_name,centre,candidate_number\nHopper,Grace,C1,G1\n")
    assert parsed.problems == [] and parsed.rows[0][1].last_name == "Hopper"


def test_every_bad_row_and_column_is_reported() -> None:
    text = HEADER + (
        "A1,C1,Ada,Lovelace,0,no\n"  # fine
        "bad number!,C1,Bob,Smith,0,no\n"  # row 3: number
        "A3,C1,,Jones,ten,maybe\n"  # row 4: first name, extra time, rest breaks
        "A1,C1,Ada,Again,0,no\n"  # row 5: repeats row 2
        "A5,C1,Too,Few\n"  # row 6: cell count
        "A6,C1,Way,Over,201,no\n"  # row 7: extra time out of range
    )
    assert problems(text) == [
        (3, "candidate_number"),
        (4, "extra_time_percent"),
        (4, "rest_breaks"),
        (4, "first_name"),
        (5, "candidate_number"),
        (6, ""),
        (7, "extra_time_percent"),
    ]


def test_header_problems_stop_before_the_rows() -> None:
    assert problems("candidate_number,centre,first_name,surname\nA1,C1,Ada,L\n") == [
        (1, "last_name"),
        (1, "surname"),
    ]
    assert problems("candidate_number,centre,first_name,last_name,centre\n") == [(1, "centre")]
    assert problems("") == [(1, "")]
    assert problems(HEADER) == [(2, "")]  # a header and nothing else


def test_a_file_that_is_not_utf8_is_refused_whole_naming_its_row_and_the_fix() -> None:
    data = HEADER.encode() + b"A1,C1,Fran\xe7ois,Roux,0,no\n"  # Windows-1252
    assert problems(data) == [(2, "")]
    assert "save it as CSV UTF-8" in parse(data).problems[0].message


def test_excels_unicode_text_utf16_with_its_mark_is_read() -> None:
    """Excel's "Unicode text" is UTF-16 with a byte-order mark (a new user's trial was told
    "not UTF-8 text (byte 0)")."""
    text = HEADER + "A1,C1,François,Roux,0,no\n"
    for encoding in ("utf-16", "utf-16-be"):
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = b"\xfe\xff" + data
        parsed = parse(data)
        assert parsed.problems == [], encoding
        assert parsed.rows[0][1].first_name == "François"
