"""Read a bank directory: every qualification.yaml and its units/*.yaml, with file and line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.banks import yamlfile
from app.banks.schemas import QualificationFile, UnitBankFile

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str
    # A cue found by a heuristic of item quality (app/banks/cues.py): `banks validate` fails on it,
    # but it does not stop `banks load`, since the bank is still sound to deliver.
    review: bool = False

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {'review: ' if self.review else ''}{self.message}"


@dataclass
class Parsed:
    path: Path
    lines: dict[tuple[str, ...], int]

    def problem(self, loc: tuple[Any, ...], message: str, *, review: bool = False) -> Problem:
        return Problem(self.path, yamlfile.line_of(self.lines, loc), message, review)


@dataclass
class UnitBank(Parsed):
    model: UnitBankFile


@dataclass
class QualificationBank(Parsed):
    model: QualificationFile
    units: list[UnitBank] = field(default_factory=list)


@dataclass
class BankSet:
    root: Path
    qualifications: list[QualificationBank] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# The largest unit bank today is ~80 KB; this leaves room for 50 times that, and no more.
MAX_FILE_BYTES = 4_000_000


def _parse(
    path: Path, kind: type[M], problems: list[Problem]
) -> tuple[M, dict[tuple[str, ...], int]] | None:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(
                Problem(path, 1, f"too large: {size} bytes (a bank file may be {MAX_FILE_BYTES})")
            )
            return None
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, 1, f"cannot read: {exc}"))
        return None
    try:
        data, lines, duplicates = yamlfile.load(text)
    except yamlfile.YamlError as exc:
        problems.append(Problem(path, exc.line, f"not valid YAML: {exc.message}"))
        return None
    problems.extend(Problem(path, line, msg) for line, msg in duplicates)
    try:
        return kind.model_validate(data), lines
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = ".".join(str(p) for p in loc) or "(file)"
            problems.append(Problem(path, yamlfile.line_of(lines, loc), f"{where}: {error['msg']}"))
        return None


def read_dir(root: Path) -> BankSet:
    """Parse every bank file under root; problems collect rather than stop the reading."""
    bank = BankSet(root)
    if not root.is_dir():
        bank.problems.append(
            Problem(root, 1, "not a folder: give the folder of bank files (question_banks)")
        )
        return bank
    specs = sorted(root.rglob("qualification.yaml"))
    if not specs:
        bank.problems.append(Problem(root, 1, "no qualification.yaml found"))
    for spec_path in specs:
        parsed = _parse(spec_path, QualificationFile, bank.problems)
        unit_paths = sorted((spec_path.parent / "units").glob("*.yaml"))
        if parsed is None:
            continue
        qualification = QualificationBank(spec_path, parsed[1], parsed[0])
        for unit_path in unit_paths:
            unit = _parse(unit_path, UnitBankFile, bank.problems)
            if unit is not None:
                qualification.units.append(UnitBank(unit_path, unit[1], unit[0]))
        bank.qualifications.append(qualification)
    return bank
