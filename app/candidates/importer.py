"""Reading a candidates CSV: every bad row and column is reported, and nothing is imported
until the whole file is clean (the service checks what needs the database)."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.candidates.schemas import CandidateIn
from app.schemas import FORM

REQUIRED = ("candidate_number", "centre", "first_name", "last_name")
OPTIONAL = ("extra_time_percent", "rest_breaks")
MAX_BYTES = 2_000_000
MAX_ROWS = 10_000
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number: the header is row 1
    column: str  # "" when the problem is the whole row or file
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Parsed:
    rows: list[tuple[int, CandidateIn]]
    problems: list[RowProblem]


def parse(data: bytes) -> Parsed:
    """Every row as a candidate, and every problem found without the database."""
    if len(data) > MAX_BYTES:
        return Parsed([], [RowProblem(0, "", f"The file is larger than {MAX_BYTES:,} bytes.")])
    try:
        # UTF-16 with its byte-order mark is Excel's "Unicode text"; UTF-8 (with or without
        # the mark) its "CSV UTF-8" and every other tool's.
        utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        text = data.decode("utf-16") if utf16 else data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return Parsed(
            [],
            [
                RowProblem(
                    row,
                    "",
                    "The file is not UTF-8 text (as a spreadsheet saved in another encoding is):"
                    " save it as CSV UTF-8 and upload it again.",
                )
            ],
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        return Parsed([], [RowProblem(1, "", f"The header cannot be read: {exc}.")])
    problems = _header_problems(header)
    if problems:
        return Parsed([], problems)
    rows: list[tuple[int, CandidateIn]] = []
    seen: dict[str, int] = {}
    try:
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue  # blank lines, often at the end of a spreadsheet export
            if number - 1 > MAX_ROWS:
                problems.append(RowProblem(number, "", f"More than {MAX_ROWS:,} rows."))
                break
            found = _row(number, header, record)
            if isinstance(found, list):
                problems.extend(found)
                continue
            key = found.candidate_number.lower()
            if key in seen:
                problems.append(
                    RowProblem(
                        number, "candidate_number", f"Repeats row {seen[key]}'s candidate number."
                    )
                )
            else:
                seen[key] = number
                rows.append((number, found))
    except csv.Error as exc:
        problems.append(RowProblem(reader.line_num, "", f"The row cannot be read: {exc}."))
    if not rows and not problems:
        problems.append(RowProblem(2, "", "The file has a header but no candidates."))
    return Parsed(rows, problems)


def _header_problems(header: list[str]) -> list[RowProblem]:
    if not header:
        return [
            RowProblem(
                1, "", f"The file is empty: the first row names the columns {', '.join(REQUIRED)}."
            )
        ]
    problems = [
        RowProblem(1, name, "This column is missing.") for name in REQUIRED if name not in header
    ]
    problems += [
        RowProblem(1, name or f"#{i + 1}", "This column is not one we know.")
        for i, name in enumerate(header)
        if name not in REQUIRED + OPTIONAL
    ]
    problems += [
        RowProblem(1, name, "This column appears twice.")
        for i, name in enumerate(header)
        if name and name in header[:i]
    ]
    return problems


def _row(number: int, header: list[str], record: list[str]) -> CandidateIn | list[RowProblem]:
    if len(record) != len(header):
        return [
            RowProblem(number, "", f"It has {len(record)} cells; the header has {len(header)}.")
        ]
    values: dict[str, Any] = {name: cell.strip() for name, cell in zip(header, record, strict=True)}
    problems: list[RowProblem] = []
    if "extra_time_percent" in values:
        raw = values["extra_time_percent"].rstrip("%").strip() or "0"
        if raw.isdigit():
            values["extra_time_percent"] = int(raw)
        else:
            problems.append(
                RowProblem(number, "extra_time_percent", "Give a whole number, 0 to 200.")
            )
            del values["extra_time_percent"]
    if "rest_breaks" in values:
        flag = values["rest_breaks"].lower()
        if flag in _TRUE | _FALSE:
            values["rest_breaks"] = flag in _TRUE
        else:
            problems.append(RowProblem(number, "rest_breaks", "Write yes or no."))
            del values["rest_breaks"]
    try:
        candidate = CandidateIn.model_validate(values, context=FORM)
    except ValidationError as exc:
        for error in exc.errors():
            column = str(error["loc"][0]) if error["loc"] else ""
            problems.append(RowProblem(number, column, _message(column, error)))
        return problems
    return problems or candidate


def _message(column: str, error: Any) -> str:
    kind = str(error.get("type", ""))
    if kind in ("missing", "string_too_short"):
        return "This cell is empty."
    if column == "candidate_number" and kind == "string_pattern_mismatch":
        return "Use letters, digits and hyphens (at most 40), starting with a letter or digit."
    if column == "extra_time_percent":
        return "Give a whole number, 0 to 200."
    return str(error.get("msg", "This value is not valid."))
