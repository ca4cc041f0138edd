"""The awarding body's routes for candidates, unit results and achievement."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from app.auth.deps import AdminToken, ResultsToken
from app.candidates import service
from app.candidates.models import Candidate
from app.candidates.schemas import (
    AchievementOut,
    CandidateIn,
    CandidateOut,
    HeldUnit,
    ImportOut,
    UnitResultIn,
    UnitResultOut,
)
from app.deps import ClockDep, DbDep
from app.errors import UnsupportedMediaType

router = APIRouter(prefix="/api/v1/candidates", tags=["awarding body"])


def _out(candidate: Candidate) -> CandidateOut:
    return CandidateOut(
        candidate_number=candidate.candidate_number,
        centre=candidate.centre.code,
        first_name=candidate.first_name,
        last_name=candidate.last_name,
        extra_time_percent=candidate.extra_time_percent,
        rest_breaks=candidate.rest_breaks,
    )


@router.post("", status_code=201, response_model=CandidateOut)
def create_candidate(body: CandidateIn, db: DbDep, clock: ClockDep, _: AdminToken) -> CandidateOut:
    return _out(service.create_candidate(db, clock.now(), **body.model_dump()))


# What a CSV upload may be labelled as: its own type, and what tools send for a file of text
# (curl --data-binary's form type among them). JSON or a multipart form is not a CSV file.
CSV_TYPES = frozenset(
    {
        "text/csv",
        "application/csv",
        "application/vnd.ms-excel",  # what Windows often calls a .csv file
        "text/plain",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
    }
)


@router.post(
    "/import",
    status_code=201,
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "candidate_number,centre,first_name,last_name,extra_time_percent,"
                    "rest_breaks\nC0042-0001,C0042,Ada,Lovelace,25,no\n",
                }
            },
        }
    },
)
async def import_candidates(
    request: Request, db: DbDep, clock: ClockDep, _: AdminToken
) -> ImportOut:
    """Register every candidate in a CSV file (columns candidate_number, centre, first_name,
    last_name, and optionally extra_time_percent, rest_breaks), or none: a file with any
    problem is refused with 422 and `errors: [{row, column, message}]` for every one."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"This route takes a CSV file, sent as Content-Type text/csv; the request had "
            f"Content-Type {media}."
        )
    data = await request.body()
    # The checks and inserts run off the event loop, like every other route's database work.
    imported = await run_in_threadpool(service.import_csv, db, clock.now(), data)
    return ImportOut(imported=len(imported), candidates=[_out(c) for c in imported])


@router.get("/{candidate_number}", response_model=CandidateOut)
def get_candidate(candidate_number: str, db: DbDep, _: AdminToken) -> CandidateOut:
    return _out(service.get_candidate(db, candidate_number))


@router.post("/{candidate_number}/unit-results", status_code=201, response_model=UnitResultOut)
def record_unit_result(
    candidate_number: str, body: UnitResultIn, db: DbDep, clock: ClockDep, _: AdminToken
) -> UnitResultOut:
    result, unit, candidate = service.record_unit_result(
        db, clock.now(), candidate_number, body.unit, body.method, body.achieved_on
    )
    return UnitResultOut(
        candidate_number=candidate.candidate_number,
        unit=unit.urn,
        outcome=result.outcome,
        method=result.method,
        achieved_on=result.achieved_on,
    )


@router.get("/{candidate_number}/achievement", response_model=AchievementOut)
def get_achievement(
    candidate_number: str,
    db: DbDep,
    _: ResultsToken,
    qualification: str | None = Query(
        default=None, description="code, e.g. 600/8065/6 or 600-8065-6"
    ),
) -> AchievementOut:
    code = qualification.replace("-", "/") if qualification else None
    a = service.achievement(db, candidate_number, code)
    return AchievementOut(
        qualification=a.qualification.code,
        achieved=a.achieved,
        credits=a.credits,
        credits_at_level_3=a.credits_at_level,
        units=[
            HeldUnit(
                unit=h.unit.urn,
                level=h.unit.level,
                credits=h.unit.credits,
                group=h.group,
                method=h.method,
                counted=h.counted,
                not_counted_because=h.not_counted_because,
            )
            for h in a.units
        ],
        unmet=a.unmet,
    )
