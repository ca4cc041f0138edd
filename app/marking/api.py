"""The awarding body pulls results by cursor, in the order they were recorded."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from app.auth.deps import ResultsToken
from app.centres import service as centres
from app.deps import ClockDep, DbDep
from app.marking import service
from app.marking.schemas import CorrectionOut, CorrectionsPage, ResultsPage
from app.paths import unit_urn
from app.qualifications import service as qualifications
from app.sittings import lifecycle

router = APIRouter(prefix="/api/v1", tags=["awarding body"])


PAGE = Query(
    default=100, description="1 to 1000", json_schema_extra={"minimum": 1, "maximum": 1000}
)


@router.get("/results", response_model=ResultsPage)
def list_results(
    db: DbDep,
    clock: ClockDep,
    _: ResultsToken,
    after: str | None = Query(default=None, max_length=100),
    limit: int = PAGE,
    centre: str | None = Query(default=None, max_length=20),
    unit: str | None = Query(default=None, max_length=20),
) -> ResultsPage:
    """Results in the order they were recorded (not by `submitted_at`): pass `next_cursor`
    back as `after` and a puller never misses or repeats one. On an empty page `next_cursor` is
    the `after` given. Each result carries `signature` (see ResultOut). A result changed later
    (voided, re-marked) is not repeated here: /api/v1/results/corrections carries the change.
    `centre` (any case) and `unit` (D/601/7644 or D-601-7644) filter; an unknown one is a
    404."""
    lifecycle.sweep(db, clock.now())  # timed-out attempts appear without waiting for the sweeper
    code, urn = _filters(db, centre, unit)
    rows, cursor = service.results_page(db, after, limit, code, urn)
    return ResultsPage(
        results=[service.out(r, number, c, u) for r, number, c, u in rows], next_cursor=cursor
    )


# Unset members left out: a correction's result is served exactly as it was signed, so one
# signed before a member was added (pass_mark) still verifies as stored, without the member.
@router.get(
    "/results/corrections", response_model=CorrectionsPage, response_model_exclude_unset=True
)
def list_corrections(
    db: DbDep,
    _: ResultsToken,
    after: str | None = Query(default=None, max_length=100),
    limit: int = PAGE,
    centre: str | None = Query(default=None, max_length=20),
    unit: str | None = Query(default=None, max_length=20),
) -> CorrectionsPage:
    """Changes to results already recorded (a result voided after an appeal or for
    malpractice), by their own cursor, so a puller who has the result can act on it. Each
    correction's `result` is the result as that correction left it, signed then."""
    code, urn = _filters(db, centre, unit)
    rows, cursor = service.corrections_page(db, after, limit, code, urn)
    return CorrectionsPage(
        corrections=[
            CorrectionOut(
                kind=k.kind,
                reason=k.reason,
                recorded_at=k.recorded_at,
                result=service.signed_snapshot(k) or service.out(r, number, c, u),
            )
            for k, r, number, c, u in rows
        ],
        next_cursor=cursor,
    )


def _filters(db: Session, centre: str | None, unit: str | None) -> tuple[str | None, str | None]:
    """The centre's code and the unit's URN as stored, or 404 for either unknown: a filter
    with a typo in it answers that, not an empty feed a puller would wait on for ever. The
    centre's code in any case (as everywhere), the URN written either way (D/601/7644 or
    D-601-7644)."""
    code = centres.get_centre(db, centre).code if centre else None
    urn = qualifications.get_unit(db, unit_urn(unit.replace("/", "-"))).urn if unit else None
    return code, urn
