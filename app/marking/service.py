"""Results: recorded once with the submission, numbered in commit order, pulled by cursor."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy.orm import Session

from app import counters
from app.errors import BadRequest, Invalid
from app.marking import repository
from app.marking.models import Result, ResultCorrection
from app.marking.scoring import Line, mark
from app.sittings.models import Attempt, Sitting

MAX_PAGE = 1000


def record(
    db: Session, attempt: Attempt, sitting: Sitting, candidate_id: int, now: datetime
) -> Result:
    """Mark a just-submitted attempt and write its result (the caller holds the attempt's lock)."""
    assert attempt.submitted_at is not None and attempt.submitted_by is not None
    marks = mark(
        [Line(*row) for row in repository.lines(db, attempt.id)], sitting.pass_mark_percent
    )
    result = Result(
        seq=counters.next_value(db, "results"),
        attempt_id=attempt.id,
        candidate_id=candidate_id,
        centre_id=sitting.centre_id,
        unit_id=sitting.unit_id,
        sitting_id=sitting.id,
        score=marks.score,
        max_score=marks.max_score,
        percent=float(marks.percent),
        pass_mark_percent=sitting.pass_mark_percent,
        outcome="pass" if marks.passed else "fail",
        by_learning_outcome=[
            {"number": n, "score": s, "max_score": m} for n, s, m in marks.by_outcome
        ],
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        submitted_by=attempt.submitted_by,
        recorded_at=now,
        rest_break_seconds=attempt.rest_break_seconds,
    )
    db.add(result)
    db.flush()
    return result


RESULTS, CORRECTIONS = "r1", "c1"  # cursor kinds: one feed's cursor is refused by the other


def encode_cursor(seq: int, kind: str = RESULTS) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str = RESULTS) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != kind or not value.isdigit() or len(value) > 18:
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not one this service gave out.") from exc


def results_page(
    db: Session, after: str | None, limit: int, centre: str | None, unit: str | None
) -> tuple[list[tuple[Result, str, str, str]], str | None]:
    """A page of results in recording order, and the cursor to pass back for the next one."""
    _check_limit(limit)
    start = decode_cursor(after) if after else 0
    rows = repository.page(db, start, limit, centre, unit)
    next_cursor = encode_cursor(rows[-1][0].seq) if rows else after
    return rows, next_cursor


def corrections_page(
    db: Session, after: str | None, limit: int, centre: str | None, unit: str | None
) -> tuple[list[tuple[ResultCorrection, Result, str, str, str]], str | None]:
    """A page of corrections to results already recorded, in the order they were made."""
    _check_limit(limit)
    start = decode_cursor(after, CORRECTIONS) if after else 0
    rows = repository.corrections(db, start, limit, centre, unit)
    next_cursor = encode_cursor(rows[-1][0].seq, CORRECTIONS) if rows else after
    return rows, next_cursor


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid.field("limit", f"limit must be between 1 and {MAX_PAGE}.")


def exam_passes(db: Session, candidate_id: int) -> list[Result]:
    return repository.exam_passes(db, candidate_id)


def result_of(db: Session, attempt_id: int) -> Result | None:
    return repository.for_attempt(db, attempt_id)


def void(db: Session, attempt_id: int, reason: str, now: datetime) -> None:
    """A voided attempt's result stays on record, marked void, and no longer counts; the
    corrections feed tells pullers who already have it."""
    result = repository.for_attempt(db, attempt_id)
    if result is None or result.voided:
        return
    result.voided = True
    db.add(
        ResultCorrection(
            seq=counters.next_value(db, "result_corrections"),
            result_id=result.id,
            kind="voided",
            reason=reason,
            recorded_at=now,
        )
    )
