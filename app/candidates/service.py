"""Candidates, the units they hold, and whether they have achieved a qualification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.candidates import importer, repository
from app.candidates.importer import RowProblem
from app.candidates.models import Candidate, UnitResult
from app.centres import service as centres
from app.errors import BadRequest, Conflict, Invalid, NotFound
from app.marking import service as marking
from app.qualifications import service as qualifications
from app.qualifications.models import Qualification, Unit
from app.qualifications.rules import judge, left_out


def create_candidate(
    db: Session,
    now: datetime,
    *,
    candidate_number: str,
    centre: str,
    first_name: str,
    last_name: str,
    extra_time_percent: int = 0,
    rest_breaks: bool = False,
) -> Candidate:
    """Register a candidate at a centre; candidate numbers are unique, whatever their case."""
    centre_row = centres.get_centre(db, centre)
    existing = repository.by_number(db, candidate_number)
    if existing is not None:
        same = existing.candidate_number == candidate_number
        raise Conflict(
            f"Candidate {candidate_number} already exists."
            if same
            else f"Candidate {existing.candidate_number} already exists: candidate numbers are"
            f" the same whatever the case of their letters, so {candidate_number} is taken."
        )
    candidate = Candidate(
        candidate_number=candidate_number,
        centre_id=centre_row.id,
        first_name=first_name,
        last_name=last_name,
        extra_time_percent=extra_time_percent,
        rest_breaks=rest_breaks,
        display={},
        created_at=now,
    )
    db.add(candidate)
    db.flush()
    return candidate


def get_candidate(db: Session, candidate_number: str) -> Candidate:
    candidate = repository.by_number(db, candidate_number)
    if candidate is None:
        raise NotFound(f"No candidate {candidate_number}.")
    return candidate


def find_candidate(db: Session, candidate_number: str) -> Candidate | None:
    return repository.by_number(db, candidate_number)


def record_unit_result(
    db: Session, now: datetime, candidate_number: str, urn: str, method: str, achieved_on: date
) -> tuple[UnitResult, Unit, Candidate]:
    """Record a unit achieved outside an exam here (e.g. by portfolio); with the unit and the
    candidate (their number as registered, whatever case it was asked in)."""
    candidate = get_candidate(db, candidate_number)
    unit = qualifications.get_unit(db, urn)
    if achieved_on > now.date():
        raise Invalid.field("achieved_on", "achieved_on is in the future.")
    if repository.unit_result(db, candidate.id, unit.id, method) is not None:
        raise Conflict(f"{candidate.candidate_number} already holds {unit.urn} by {method}.")
    result = UnitResult(
        candidate_id=candidate.id,
        unit_id=unit.id,
        outcome="pass",
        method=method,
        achieved_on=achieved_on,
        created_at=now,
    )
    db.add(result)
    db.flush()
    return result, unit, candidate


@dataclass(frozen=True)
class Held:
    unit: Unit
    method: str
    achieved_on: date


def held_units(db: Session, candidate: Candidate) -> dict[str, Held]:
    """Every unit the candidate holds, by URN, with how and when it was first achieved."""
    held: dict[str, Held] = {}
    for passed in marking.exam_passes(db, candidate.id):
        exam_unit = db.get(Unit, passed.unit_id)
        assert exam_unit is not None
        day = passed.submitted_at.date()
        if exam_unit.urn not in held or day < held[exam_unit.urn].achieved_on:
            held[exam_unit.urn] = Held(exam_unit, "exam", day)
    for result in repository.unit_results(db, candidate.id):
        unit = db.get(Unit, result.unit_id)
        assert unit is not None
        known = held.get(unit.urn)
        if known is None or result.achieved_on < known.achieved_on:
            held[unit.urn] = Held(unit, result.method, result.achieved_on)
    return held


@dataclass(frozen=True)
class HeldView:
    unit: Unit
    group: str
    method: str
    counted: bool
    not_counted_because: str | None = None  # the rules' reason, when not counted


@dataclass(frozen=True)
class Achievement:
    qualification: Qualification
    achieved: bool
    credits: int
    credits_at_level: int
    units: list[HeldView]
    unmet: list[str]


def _choose_qualification(db: Session, code: str | None, held: dict[str, Held]) -> Qualification:
    if code:
        return qualifications.get_qualification(db, code)
    loaded = qualifications.all_qualifications(db)
    if not loaded:
        raise NotFound("No qualification is loaded.")
    if len(loaded) == 1:
        return loaded[0]
    scored = sorted(loaded, key=lambda q: -sum(m.unit.urn in held for m in q.memberships))
    if sum(m.unit.urn in held for m in scored[0].memberships) == sum(
        m.unit.urn in held for m in scored[1].memberships
    ):
        raise BadRequest("Several qualifications fit: name one with ?qualification=.")
    return scored[0]


def achievement(
    db: Session, candidate_number: str, qualification_code: str | None = None
) -> Achievement:
    """Judge the candidate's units against the qualification's Rules of Combination."""
    candidate = get_candidate(db, candidate_number)
    held = held_units(db, candidate)
    qualification = _choose_qualification(db, qualification_code, held)
    groups = {m.unit.urn: m.group_code for m in qualification.memberships}
    rules = qualifications.rules_of(qualification)
    judgement = judge(rules, set(held))
    units = [
        HeldView(
            h.unit,
            groups.get(urn) or qualifications.group_of(h.unit) or "",
            h.method,
            urn in judgement.counted,
            left_out(rules, judgement.counted, urn),
        )
        for urn, h in sorted(held.items())
    ]
    return Achievement(
        qualification,
        judgement.achieved,
        judgement.credits,
        judgement.credits_at_level,
        units,
        list(judgement.unmet),
    )


class ImportRefused(Invalid):
    """A candidates file with problems: nothing was imported."""

    code = "import-refused"

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            f"Nothing was imported: {len(problems)} problem{'s' if len(problems) != 1 else ''} "
            "in the file.",
            extra={
                "errors": [
                    {"row": p.row, "column": p.column, "message": p.message} for p in problems
                ]
            },
        )
        self.problems = problems


def import_csv(db: Session, now: datetime, data: bytes) -> list[Candidate]:
    """Register every candidate in a CSV file, or none: ImportRefused lists every problem."""
    parsed = importer.parse(data)
    problems = list(parsed.problems)
    codes = {row.centre.lower() for _, row in parsed.rows}
    known = {code: centres.find_centre(db, code) for code in codes}
    taken = repository.existing_numbers(db, [row.candidate_number for _, row in parsed.rows])
    for number, row in parsed.rows:
        if known[row.centre.lower()] is None:
            problems.append(RowProblem(number, "centre", f"No centre {row.centre}."))
        if row.candidate_number.lower() in taken:
            problems.append(
                RowProblem(
                    number, "candidate_number", f"{row.candidate_number} is registered already."
                )
            )
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: (p.row, p.column)))
    return [create_candidate(db, now, **row.model_dump()) for _, row in parsed.rows]


def update_arrangements(
    db: Session, candidate_number: str, *, extra_time_percent: int, rest_breaks: bool
) -> Candidate:
    """Change a candidate's access arrangements; papers already scheduled keep their time."""
    if not 0 <= extra_time_percent <= 200:
        raise Invalid.field("extra_time_percent", "Extra time is a whole number from 0 to 200.")
    candidate = get_candidate(db, candidate_number)
    candidate.extra_time_percent, candidate.rest_breaks = extra_time_percent, rest_breaks
    db.flush()
    return candidate


def search(
    db: Session, *, text: str | None, centre: str | None, limit: int = 200
) -> tuple[list[Candidate], int]:
    """Candidates matching a number or name, optionally at one centre; and how many match."""
    centre_id = centres.get_centre(db, centre).id if centre else None
    return repository.search(
        db, text=(text or "").strip() or None, centre_id=centre_id, limit=limit
    )


def at_centre(db: Session, centre: str) -> list[Candidate]:
    return repository.at_centre(db, centres.get_centre(db, centre).id)
