"""The attempt's lifecycle: the one owner of every transition of an attempt's status.

Every transition takes a `Locked` attempt, which only `lock` and `lock_all` hand out: the
attempt's row is locked (SELECT ... FOR UPDATE, re-read as it is now) before anything is
checked. Each transition then checks, refuses before it changes anything, and changes. So a
save racing a close, a submit, a timeout or a pause either lands before it (and the result
counts it) or is refused after it: never acknowledged after the end, and a result always
equals the stored answers, because marking reads them under the same lock.

    not_started --begin_reading--> not_started, reading (the exam page's instructions)
    not_started --admit (approval)--> reading (asked at the exam page) | in_progress (JSON API)
    not_started --start (Start pressed, or the reading limit ran out)--> in_progress
    in_progress <--pause/resume--> paused
    in_progress <--start_break/end_break--> paused, on a rest break
    in_progress | paused --submit (candidate, invigilator, timeout)--> submitted
    any but voided --void--> voided

The journal's event names are the transitions' names.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, NewType

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from app.db import Work
from app.errors import Conflict, Invalid, NotFound
from app.journal import service as journal
from app.marking import service as marking
from app.sittings import devices, repository, timing
from app.sittings.models import Attempt, Sitting
from app.sittings.status import FINISHED, UNDER_WAY, AttemptStatus, SubmittedBy

S = AttemptStatus

#: An attempt whose row this transaction holds locked: the only kind a transition accepts.
Locked = NewType("Locked", Attempt)


class AttemptOver(Conflict):
    code = "attempt-submitted"


class AttemptPaused(Conflict):
    code = "attempt-paused"


class AttemptNotStarted(Conflict):
    code = "attempt-not-started"


class PastDeadline(Conflict):
    code = "past-deadline"


class AttemptVoided(Conflict):
    code = "attempt-voided"


def lock(db: Session, attempt_id: int) -> Locked | None:
    """The attempt, row-locked until the transaction ends, read as it is now."""
    attempt = repository.lock_attempt(db, attempt_id)
    return None if attempt is None else Locked(attempt)


def lock_all(
    db: Session, *where: ColumnElement[bool], limit: int | None = None, skip_locked: bool = False
) -> list[Locked]:
    """Every matching attempt, locked in id order before any is changed (see repository)."""
    attempts = repository.lock_attempts(db, *where, limit=limit, skip_locked=skip_locked)
    return [Locked(a) for a in attempts]


def relock(db: Session, attempt: Attempt) -> Locked:
    """Lock an attempt read earlier in this transaction, refreshing it from its row."""
    locked = lock(db, attempt.id)
    assert locked is not None  # attempts are never deleted while a request reads them
    return locked


def record(
    db: Session, attempt: Attempt, now: datetime, actor: str, event: str, data: dict[str, Any]
) -> None:
    """Append an event to the attempt's journal chain."""
    record_on(db, attempt.id, attempt.sitting_id, now, actor, event, data)


def record_on(
    db: Work,
    attempt_id: int,
    sitting_id: int,
    now: datetime,
    actor: str,
    event: str,
    data: dict[str, Any],
    head: journal.Head | None = None,
) -> None:
    """`record` for an attempt locked as plain columns (the quiet paths), not as an object;
    `head`: the attempt's journal head read with its lock."""
    chain = journal.attempt_chain(attempt_id)
    journal.append(db, chain, sitting_id, now, actor, event, data, head=head)


# --- the clock ------------------------------------------------------------------------------


def start(db: Session, attempt: Locked, now: datetime, *, actor: str = "candidate") -> bool:
    """Start the candidate's clock; True if it started now (False if it already had)."""
    if attempt.status != S.NOT_STARTED:
        return False
    attempt.status, attempt.reading_until = S.IN_PROGRESS, None
    timing.started(attempt, now)
    record(db, attempt, now, actor, "started", {"allowed_seconds": attempt.allowed_seconds})
    return True


def begin_reading(db: Session, attempt: Locked, now: datetime, *, until: datetime) -> bool:
    """Signed in at the exam page (and admitted): the candidate reads the instructions, and
    their clock starts when they press Start, or at `until` (the session's reading limit) at
    the latest."""
    if attempt.status != S.NOT_STARTED or attempt.reading_until is not None:
        return False
    attempt.reading_until = until
    record(db, attempt, now, "candidate", "reading", {"until": until.isoformat()})
    return True


def _start_or_read(db: Session, attempt: Locked, now: datetime, reading: timedelta | None) -> None:
    if reading is None:
        start(db, attempt, now)
    else:
        begin_reading(db, attempt, now, until=now + reading)


def ask_admission(
    db: Session,
    attempt: Locked,
    now: datetime,
    *,
    approval: bool,
    reading: timedelta | None = None,
) -> None:
    """The first sign-in: the clock starts now (a client of the JSON API) or after the
    instructions (`reading`: the exam page, see begin_reading), or, where the invigilator
    approves each admission, once they have (the candidate's page waits, saying so)."""
    if attempt.admitted_at is not None:
        _start_or_read(db, attempt, now, reading)
        return
    if not approval:
        attempt.admitted_at = now
        _start_or_read(db, attempt, now, reading)
        return
    if reading is not None:
        # Asked at the exam page: once admitted, the instructions come first (see admit).
        attempt.reads_instructions = True
    if attempt.admission_requested_at is None:
        attempt.admission_requested_at = now
        record(db, attempt, now, "candidate", "admission_requested", {})


def admit(db: Session, attempt: Locked, now: datetime, *, actor: str) -> bool:
    """The invigilator approves a candidate's first sign-in. At the exam page the candidate
    then reads the instructions and their clock starts at Start (or at the session's reading
    limit), as without approval; a client of the JSON API starts now."""
    if attempt.admitted_at is not None:
        return False
    if attempt.status != S.NOT_STARTED:
        raise Conflict(f"This candidate is {_named(attempt.status)}; there is nothing to admit.")
    if attempt.admission_requested_at is None:
        raise Conflict("This candidate has not signed in yet: admit them once they have.")
    attempt.admitted_at = now
    record(db, attempt, now, actor, "admitted", {})
    if attempt.reads_instructions:
        sitting = db.get(Sitting, attempt.sitting_id)
        assert sitting is not None
        begin_reading(db, attempt, now, until=now + timedelta(minutes=sitting.reading_minutes))
    else:
        start(db, attempt, now, actor=actor)
    return True


def sign_out(db: Session, attempt: Locked, now: datetime) -> None:
    """The candidate signs out: their cookie stops working at once, everywhere, and the paper
    is free for their next sign-in (their code still admits them)."""
    attempt.admission += 1
    attempt.device_hash, attempt.page_seen_at = None, None
    record(db, attempt, now, "candidate", "signed_out", {})


def settle(db: Session, attempt: Locked, now: datetime) -> bool:
    """Start the clock of a candidate whose reading time ran out (from that moment); submit an
    attempt whose time ran out (beyond the grace for saves in flight). True if submitted."""
    if timing.reading_over(attempt, now):
        at = attempt.reading_until
        assert at is not None
        attempt.status, attempt.reading_until = S.IN_PROGRESS, None
        timing.started(attempt, at)
        data = {"allowed_seconds": attempt.allowed_seconds, "by": "reading_limit"}
        record(db, attempt, now, "system", "started", {**data, "at": at.isoformat()})
    if timing.expired(attempt, now, timing.GRACE):
        _finish(db, attempt, SubmittedBy.TIMEOUT, now, "system")
        return True
    return False


def pause(db: Session, attempt: Locked, now: datetime, *, actor: str, room: bool = False) -> bool:
    """Stop one candidate's clock; False if it was already paused."""
    settle(db, attempt, now)
    if attempt.status == S.PAUSED:
        return False
    if attempt.status != S.IN_PROGRESS:
        raise Conflict(
            "Only a candidate who is sitting the exam can be paused; "
            f"this one is {_named(attempt.status)}."
        )
    attempt.status = S.PAUSED
    timing.paused(attempt, now)
    record(db, attempt, now, actor, "paused", {"room": True} if room else {})
    return True


def resume(db: Session, attempt: Locked, now: datetime, *, actor: str, room: bool = False) -> bool:
    """Restart a paused clock; False if it was already running."""
    if attempt.status == S.IN_PROGRESS:
        return False
    if attempt.status != S.PAUSED:
        raise Conflict(
            f"Only a paused candidate can be resumed; this one is {_named(attempt.status)}."
        )
    if attempt.break_started_at is not None:
        return end_break(db, attempt, now, actor=actor)
    attempt.status = S.IN_PROGRESS
    timing.resumed(attempt, now)
    data: dict[str, Any] = {"paused_seconds": attempt.paused_seconds}
    if room:
        data["room"] = True
    record(db, attempt, now, actor, "resumed", data)
    return True


class NoRestBreaks(Conflict):
    code = "no-rest-breaks"


def start_break(db: Session, attempt: Locked, now: datetime, *, actor: str, arranged: bool) -> bool:
    """A supervised rest break (JCQ access arrangement `rest_breaks`, which the caller has
    looked up: `arranged`): the paper is hidden and the clock stops until the break ends.
    False if a break is under way already."""
    settle(db, attempt, now)
    if attempt.break_started_at is not None:
        return False
    if not arranged:
        raise NoRestBreaks("Rest breaks are not among this candidate's access arrangements.")
    if attempt.status != S.IN_PROGRESS:
        raise Conflict(
            "A rest break can start only while the exam is running; "
            f"this one is {_named(attempt.status)}."
        )
    attempt.status, attempt.break_started_at = S.PAUSED, now
    timing.paused(attempt, now)
    record(db, attempt, now, actor, "rest_break_started", {})
    return True


def end_break(db: Session, attempt: Locked, now: datetime, *, actor: str) -> bool:
    """End a rest break: the clock runs again. False if there was none (a candidate cannot
    end the invigilator's pause this way)."""
    if attempt.break_started_at is None:
        if attempt.status == S.PAUSED:
            raise AttemptPaused("Your exam is paused by the invigilator; wait for them.")
        return False
    seconds = _close_break(attempt, now)
    attempt.status = S.IN_PROGRESS
    timing.resumed(attempt, now)
    record(db, attempt, now, actor, "rest_break_ended", {"seconds": seconds})
    return True


def _close_break(attempt: Locked, now: datetime) -> int:
    seconds = timing.break_seconds(attempt, now)
    attempt.rest_break_seconds += seconds
    attempt.break_started_at = None
    return seconds


def add_time(
    db: Session, attempt: Locked, now: datetime, *, actor: str, minutes: int, reason: str
) -> None:
    settle(db, attempt, now)
    if attempt.status == S.SUBMITTED:
        raise AttemptOver("This candidate's exam is already submitted.")
    if attempt.status == S.VOIDED:
        raise AttemptVoided("This candidate's exam has been voided.")
    timing.add_time(attempt, minutes * 60)
    record(db, attempt, now, actor, "time_added", {"minutes": minutes, "reason": reason})


def credit(db: Session, attempt: Locked, now: datetime, *, seconds: int, reason: str) -> bool:
    """Give back time the candidate could not use through no fault of theirs (the service was
    down): the clock moves on by that much. False when the attempt is not under way."""
    if attempt.status not in UNDER_WAY or seconds <= 0:
        return False
    timing.add_time(attempt, seconds)
    attempt.credited_seconds += seconds
    record(db, attempt, now, "system", "time_credited", {"seconds": seconds, "reason": reason})
    return True


# --- answers --------------------------------------------------------------------------------


def _writable(attempt: Locked, now: datetime, grace: timedelta) -> None:
    if attempt.status == S.SUBMITTED:
        raise AttemptOver("This exam has been submitted; answers can no longer change.")
    if attempt.status == S.PAUSED:
        raise AttemptPaused("Your exam is paused by the invigilator; answers are not being taken.")
    if attempt.status == S.VOIDED:
        raise AttemptVoided("This exam has been stopped by the invigilator.")
    if attempt.status != S.IN_PROGRESS:
        raise AttemptNotStarted("This exam has not started.")
    if timing.expired(attempt, now, grace):
        raise PastDeadline("Time is up for this exam.")


def save(
    db: Session, attempt: Locked, now: datetime, *, position: int, option_id: str | None, seq: int
) -> datetime:
    """Store an answer if its seq is newer; a replay or older retry is acknowledged, ignored.
    Returns when the stored answer was saved."""
    _writable(attempt, now, timing.GRACE)
    db.flush()  # the attempt's pending writes go first: every path locks it before a line
    line = repository.line_to_save(db, attempt.id, position)
    return _store(db, attempt.id, attempt.sitting_id, now, position, option_id, seq, line)


def save_quiet(
    db: Work,
    attempt_id: int,
    admission: int,
    now: datetime,
    *,
    position: int,
    option_id: str | None,
    seq: int,
) -> datetime | None:
    """The usual autosave, decided on the attempt's row locked as plain columns (no ORM
    object): a running attempt within its time, this sign-in still current, its presence not
    due. None otherwise, and nothing done: the caller then takes the full path (`save` on the
    attempt from `service.load`), which locks the same row again, settles and refuses."""
    state = repository.lock_saving(db, attempt_id, position)
    if not _quiet(state, admission, now, timing.GRACE):
        return None
    assert state is not None
    line = None if state.line_id is None else (state.line_id, state.option_order or [])
    return _store(db, attempt_id, state.sitting_id, now, position, option_id, seq, line, state.head)


def _quiet(
    state: repository.Running | None, admission: int, now: datetime, grace: timedelta
) -> bool:
    """Whether a change may go ahead on the attempt's locked row without settling or noting
    anything first (see save_quiet)."""
    return not (
        state is None
        or state.head is None  # no chain yet (it opens with the paper): the full path's case
        or state.status != S.IN_PROGRESS
        or admission < state.admission
        or timing.expired(state, now, grace)
        or state.last_seen_at is None
        or now - state.last_seen_at >= devices.SEEN_EVERY
    )


def _store(
    db: Work,
    attempt_id: int,
    sitting_id: int,
    now: datetime,
    position: int,
    option_id: str | None,
    seq: int,
    line: tuple[int, list[str]] | None,
    head: journal.Head | None = None,
) -> datetime:
    """The answer's write, on a writable attempt locked by the caller: the line (id, option
    order; None: the paper has no such position), then the attempt's journal (`head`: as the
    caller read it with the lock)."""
    if line is None:
        raise NotFound(f"There is no question {position} on this paper.")
    line_id, options = line
    if option_id is not None and option_id not in options:
        raise Invalid(f"{option_id!r} is not an option of question {position}.")
    noted = repository.Noted(attempt_id, sitting_id, head)
    if repository.save_answer(db, line_id, position, option_id, seq, now, noted):
        return now
    # A replay or an older retry: the stored answer's time.
    return repository.saved_at(db, line_id) or now


def flag(db: Session, attempt: Locked, now: datetime, *, position: int, flagged: bool) -> None:
    _writable(attempt, now, timedelta(0))
    db.flush()  # the attempt's pending writes go first: every path locks it before a line
    _set_flag(db, attempt.id, attempt.sitting_id, now, position, flagged)


def flag_quiet(
    db: Work, attempt_id: int, admission: int, now: datetime, *, position: int, flagged: bool
) -> bool:
    """`flag` on the attempt's row as plain columns, as save_quiet: False, nothing done, when
    the caller must take the full path."""
    state = repository.lock_running(db, attempt_id)
    if not _quiet(state, admission, now, timedelta(0)):
        return False
    assert state is not None
    _set_flag(db, attempt_id, state.sitting_id, now, position, flagged, state.head)
    return True


def _set_flag(
    db: Work,
    attempt_id: int,
    sitting_id: int,
    now: datetime,
    position: int,
    flagged: bool,
    head: journal.Head | None = None,
) -> None:
    noted = repository.Noted(attempt_id, sitting_id, head)
    if repository.set_flag(db, position, flagged, now, noted) is None:
        raise NotFound(f"There is no question {position} on this paper.")


# --- the end --------------------------------------------------------------------------------


def submit(
    db: Session,
    attempt: Locked,
    now: datetime,
    *,
    by: SubmittedBy = SubmittedBy.CANDIDATE,
    actor: str = "candidate",
) -> None:
    """Submit as it stands, once; a second submit changes nothing."""
    if settle(db, attempt, now) or attempt.status in FINISHED:
        return
    if by == SubmittedBy.CANDIDATE and attempt.status == S.PAUSED:
        raise AttemptPaused("Your exam is paused by the invigilator; it cannot be submitted now.")
    if attempt.status == S.NOT_STARTED:
        if by == SubmittedBy.CANDIDATE:
            raise AttemptNotStarted("This exam has not started.")
        return  # closing the room: an absent candidate has nothing to submit
    _finish(db, attempt, by, now, actor)


def _finish(db: Session, attempt: Locked, by: SubmittedBy, now: datetime, actor: str) -> None:
    """Submit and record the result from the answers as stored, under the attempt's lock."""
    deadline = attempt.deadline_at
    late = deadline is not None and now > deadline
    attempt.submitted_by = SubmittedBy.TIMEOUT if late else by
    attempt.submitted_at = deadline if late and deadline else now
    if attempt.break_started_at is not None:  # the break's length counts to the end
        seconds = _close_break(attempt, now)
        record(db, attempt, now, actor, "rest_break_ended", {"seconds": seconds})
    attempt.status, attempt.paused_at, attempt.deadline_at = S.SUBMITTED, None, None
    devices.clear_flags(attempt)
    sitting = db.get(Sitting, attempt.sitting_id)
    assert sitting is not None
    result = marking.record(db, attempt, sitting, attempt.candidate_id, now)
    record(
        db,
        attempt,
        now,
        actor,
        "submitted",
        {"by": attempt.submitted_by, "at": attempt.submitted_at.isoformat()},
    )
    marked: dict[str, Any] = {
        "score": result.score,
        "max_score": result.max_score,
        "outcome": result.outcome,
    }
    excluded = marking.left_out(db, attempt.id)  # positions of excluded item versions
    if excluded:
        marked["excluded"] = excluded
    record(db, attempt, now, "system", "marked", marked)


def sweep(
    db: Session,
    now: datetime,
    sitting_id: int | None = None,
    *,
    limit: int | None = None,
    skip_locked: bool = False,
) -> int:
    """Start every clock whose reading time ran out; submit every attempt whose time ran out,
    whether or not anything touches it again (the background sweeper: at most `limit` of each,
    passing over attempts a request holds). Returns how many were submitted."""
    reading_over = repository.reading_over_before(now, sitting_id)
    for attempt in lock_all(db, *reading_over, limit=limit, skip_locked=skip_locked):
        settle(db, attempt, now)
    where = repository.expired_before(now - timing.GRACE, sitting_id)
    return sum(
        settle(db, attempt, now)
        for attempt in lock_all(db, *where, limit=limit, skip_locked=skip_locked)
    )


def sweep_lag(db: Session, now: datetime) -> float:
    """Seconds since the longest-waiting timed-out attempt became due for the sweeper (0: none)."""
    oldest = repository.oldest_overdue(db, now - timing.GRACE)
    return 0.0 if oldest is None else max(0.0, (now - oldest - timing.GRACE).total_seconds())


def void(db: Session, attempt: Locked, now: datetime, *, actor: str, reason: str) -> bool:
    """Stop an attempt for good (malpractice): any result stays on record but no longer counts."""
    if attempt.status == S.VOIDED:
        return False
    previous = attempt.status
    attempt.status, attempt.voided_at, attempt.void_reason = S.VOIDED, now, reason
    attempt.deadline_at, attempt.paused_at, attempt.break_started_at = None, None, None
    devices.clear_flags(attempt)
    marking.void(db, attempt.id, reason, now)
    record(db, attempt, now, actor, "voided", {"reason": reason, "was": previous})
    return True


def readmit(
    db: Session,
    attempt: Locked,
    now: datetime,
    *,
    actor: str,
    reason: str,
    next_sign_in: bool = False,
) -> None:
    """Let a candidate carry on on another computer (see devices.readmit): one whose exam is
    under way, or who has signed in and not started (reading the instructions, or waiting to
    be admitted), whose computer holds the paper as much."""
    settle(db, attempt, now)
    signed_in = attempt.status == S.NOT_STARTED and attempt.device_hash is not None
    if attempt.status not in UNDER_WAY and not signed_in:
        raise Conflict(
            "Only a candidate who has signed in and not finished can be re-admitted; "
            f"this one is {_named(attempt.status)}"
            + (" and has not signed in." if attempt.status == S.NOT_STARTED else ".")
        )
    released, kept_for = devices.readmit(attempt, now, next_sign_in=next_sign_in)
    data = {
        "reason": reason,
        "released": devices.fingerprint(released),
        "kept_for": devices.fingerprint(kept_for),
    }
    record(db, attempt, now, actor, "readmitted", data)


def _named(status: str) -> str:
    return status.replace("_", " ")


def credit_rounding(seconds: float) -> int:
    """Time given back is rounded up to whole seconds: in the candidate's favour."""
    return max(0, math.ceil(seconds))
