"""Results: recorded once with the submission, numbered in commit order, pulled by cursor."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app import counters
from app.clock import as_utc, rfc3339
from app.errors import BadRequest, Invalid
from app.marking import repository
from app.marking.models import Result, ResultCorrection
from app.marking.schemas import OutcomeScore, ResultBody, ResultOut
from app.marking.scoring import Line, Marks, mark
from app.signing import service as signing
from app.sittings.models import Attempt, Sitting
from app.standards import passmarks
from app.webhooks import service as webhooks

MAX_PAGE = 1000


def record(
    db: Session, attempt: Attempt, sitting: Sitting, candidate_id: int, now: datetime
) -> Result:
    """Mark a just-submitted attempt and write its result, signed, with a `result.recorded`
    delivery queued for every subscribed webhook: all in the caller's transaction (which holds
    the attempt's lock), so a rolled-back submission leaves neither result nor delivery."""
    assert attempt.submitted_at is not None and attempt.submitted_by is not None
    marks = _marks(db, attempt, sitting.pass_mark_percent, lock=True)
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
        pass_mark_percent=marks.pass_mark_percent,
        pass_mark=marks.pass_mark,
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
    webhooks.enqueue(db, webhooks.RESULT_RECORDED, _sign(db, result, now), now)
    return result


def _marks(
    db: Session, attempt: Attempt, pass_mark_percent: int, *, lock: bool, also: int | None = None
) -> Marks:
    """The paper marked from its stored answers, leaving out its unscored pretest items and
    excluded item versions, against its own raw pass mark where it was built under a
    standard-set cut (app/standards; computed then on the scored items alone), else the
    unit's percent of the scored items.

    On recording (`lock`), the paper's versions are locked first, so an exclusion either
    commits before this reads the exclusions (and is left out here) or waits for this result
    (and re-marks it). A re-marking holds the result's row instead, and takes no version
    locks: two exclusions of different versions never wait on each other's version."""
    if lock:
        repository.lock_paper_versions(db, attempt.id)
    excluded = set(repository.excluded_positions(db, attempt.id))
    if also is not None:  # as if that version were excluded too (a preview)
        excluded |= set(repository.positions_of(db, attempt.id, also))
    left_out = excluded | set(repository.pretest_positions(db, attempt.id))
    rows = repository.marking_lines(db, attempt.id)
    kept = [position for position, *_ in rows if position not in left_out]
    lines = [
        Line(outcome, key, answer)
        for position, outcome, key, answer in rows
        if position not in left_out
    ]
    return mark(lines, pass_mark_percent, _paper_pass_mark(db, attempt, kept, bool(excluded)))


def _paper_pass_mark(db: Session, attempt: Attempt, kept: list[int], excluded: bool) -> int | None:
    """The paper's own raw pass mark: as built, or, with items excluded since, the same cut on
    the items that still count (from what its `paper_built` entry journalled)."""
    if attempt.pass_mark is None:
        return None
    if not excluded:
        return attempt.pass_mark
    built = repository.built_paper(db, attempt.id)
    return passmarks.remarked_pass_mark(built, kept) if built else attempt.pass_mark


def left_out(db: Session, attempt_id: int) -> list[int]:
    """Positions of an attempt's paper that marking leaves out (their version is excluded)."""
    return repository.excluded_positions(db, attempt_id)


def remark(db: Session, result: Result, *, reason: str, now: datetime) -> bool:
    """Mark a recorded result again from its stored answers, leaving out every excluded item
    version (the caller holds the result's row lock: see lock_results_holding); if anything
    changed, publish it as a `remarked` correction. A voided result stays voided. True if it
    changed."""
    attempt = db.get(Attempt, result.attempt_id)
    assert attempt is not None
    marks = _marks(db, attempt, result.pass_mark_percent, lock=False)
    outcome = "pass" if marks.passed else "fail"
    by_outcome = [{"number": n, "score": s, "max_score": m} for n, s, m in marks.by_outcome]
    now_stands = (
        marks.score,
        marks.max_score,
        float(marks.percent),
        outcome,
        by_outcome,
        marks.pass_mark,
        marks.pass_mark_percent,
    )
    stood = (
        result.score,
        result.max_score,
        float(result.percent),
        result.outcome,
        result.by_learning_outcome,
        result.pass_mark,
        result.pass_mark_percent,
    )
    if stood == now_stands:
        return False
    result.score, result.max_score = marks.score, marks.max_score
    result.percent, result.outcome = float(marks.percent), outcome
    result.by_learning_outcome = by_outcome
    # The marks the paper needed follow its scored items (the same percent, or the same cut).
    result.pass_mark, result.pass_mark_percent = marks.pass_mark, marks.pass_mark_percent
    correct(db, result, kind="remarked", reason=reason, now=now)
    return True


@dataclass(frozen=True)
class Remarking:
    """What excluding an item version would do to one result (nothing is changed)."""

    candidate_number: str
    score: tuple[int, int]  # (score, max score) now
    would_be: tuple[int, int]
    outcome: str
    would_outcome: str
    voided: bool


def exclusion_preview(db: Session, version_id: int) -> list[Remarking]:
    """Every result whose paper held the version, marked again as if it were excluded, from a
    read alone: what an administrator sees before confirming (outcomes that would change)."""
    out = []
    for result, number in repository.results_holding(db, version_id):
        attempt = db.get(Attempt, result.attempt_id)
        assert attempt is not None
        marks = _marks(db, attempt, result.pass_mark_percent, lock=False, also=version_id)
        out.append(
            Remarking(
                number,
                (result.score, result.max_score),
                (marks.score, marks.max_score),
                result.outcome,
                "pass" if marks.passed else "fail",
                result.voided,
            )
        )
    return out


def body(r: Result, candidate_number: str, centre: str, unit: str) -> ResultBody:
    """The result as the feed shows it and as it is signed (times in UTC, as read back)."""
    return ResultBody(
        attempt_id=r.attempt_id,
        candidate_number=candidate_number,
        centre=centre,
        unit=unit,
        session_id=r.sitting_id,
        score=r.score,
        max_score=r.max_score,
        percent=float(r.percent),
        pass_mark_percent=r.pass_mark_percent,
        pass_mark=r.pass_mark,
        outcome=r.outcome,
        started_at=as_utc(r.started_at) if r.started_at else None,
        submitted_at=as_utc(r.submitted_at),
        submitted_by=r.submitted_by,
        by_learning_outcome=[OutcomeScore(**o) for o in r.by_learning_outcome],
        voided=r.voided,
        rest_break_seconds=r.rest_break_seconds,
    )


def out(r: Result, candidate_number: str, centre: str, unit: str) -> ResultOut:
    """The result with the signature stored when it last changed."""
    return ResultOut(**body(r, candidate_number, centre, unit).model_dump(), signature=r.signature)


def _sign(db: Session, result: Result, now: datetime) -> dict[str, Any]:
    """Sign the result as it now stands and store the signature; the signed result as JSON."""
    payload = body(result, *repository.names(db, result)).model_dump(mode="json")
    result.signature, result.signing_kid = signing.sign(db, payload, now)
    return {**payload, "signature": result.signature}


def lock_results_holding(db: Session, version_id: int) -> list[Result]:
    """Every recorded result (voided or not) whose paper held this item version, row-locked in
    id order, read as they now stand."""
    return repository.lock_results_holding(db, version_id)


def signed_snapshot(correction: ResultCorrection) -> ResultOut | None:
    """The result as a correction left it: the payload of its signature."""
    if correction.signature is None:
        return None
    payload = json.loads(base64.urlsafe_b64decode(_padded(correction.signature.split(".")[1])))
    return ResultOut(**payload, signature=correction.signature)


def _padded(text: str) -> str:
    return text + "=" * (-len(text) % 4)


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


def results_of(db: Session, candidate_id: int) -> list[tuple[Result, str]]:
    """The candidate's results, latest first, each with its unit's URN."""
    return repository.of_candidate(db, candidate_id)


def exam_passes(db: Session, candidate_id: int) -> list[Result]:
    return repository.exam_passes(db, candidate_id)


def result_of(db: Session, attempt_id: int) -> Result | None:
    return repository.for_attempt(db, attempt_id)


def void(db: Session, attempt_id: int, reason: str, now: datetime) -> None:
    """A voided attempt's result stays on record, marked void, and no longer counts; the
    corrections feed tells pullers who already have it."""
    # Row-locked: a re-marking of this result (an exclusion) ends before this reads it.
    result = repository.for_attempt(db, attempt_id, lock=True)
    if result is None or result.voided:
        return
    result.voided = True
    correct(db, result, kind="voided", reason=reason, now=now)


def correct(db: Session, result: Result, *, kind: str, reason: str, now: datetime) -> None:
    """Publish a change already made to a recorded result: sign it as it now stands, add it to
    the corrections feed with that signature, and queue `result.corrected` for every subscribed
    webhook, in this transaction. Every change to a recorded result goes through here."""
    data = _sign(db, result, now)
    correction = ResultCorrection(
        seq=counters.next_value(db, "result_corrections"),
        result_id=result.id,
        kind=kind,
        reason=reason,
        recorded_at=now,
        signature=result.signature,
        signing_kid=result.signing_kid,
    )
    db.add(correction)
    webhooks.enqueue(
        db,
        webhooks.RESULT_CORRECTED,
        data,
        now,
        extra={"correction": {"kind": kind, "reason": reason, "recorded_at": rfc3339(now)}},
    )


def sign_unsigned(db: Session, now: datetime) -> int:
    """Sign results (and their corrections) recorded before signing existed; how many."""
    signed = 0
    for result in repository.unsigned_results(db):
        _sign(db, result, now)
        signed += 1
    for correction, result in repository.unsigned_corrections(db):
        if result.signature is None:
            _sign(db, result, now)
        correction.signature, correction.signing_kid = result.signature, result.signing_kid
        signed += 1
    return signed


OUTCOMES = ("pass", "fail", "void")


def search(
    db: Session,
    *,
    centre: str | None = None,
    unit: str | None = None,
    submitted_from: datetime | None = None,
    submitted_to: datetime | None = None,
    outcome: str | None = None,
    limit: int | None = 500,
    offset: int = 0,
) -> tuple[list[tuple[Result, str, str, str, str]], int]:
    """Results for the console and its CSV export (limit None: all of them), from the
    offset-th in recording order."""
    if outcome and outcome not in OUTCOMES:
        raise Invalid.field("outcome", f"outcome is one of {', '.join(OUTCOMES)}.")
    return repository.search(
        db,
        centre=centre,
        unit=unit,
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        outcome=outcome,
        limit=limit,
        offset=offset,
    )
