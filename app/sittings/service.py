"""The candidate's side of a sitting: sign-in, the paper, answers, flags, submission, timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import throttle
from app.banks.models import ItemVersion
from app.candidates.models import Candidate
from app.config import Settings
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.journal import service as journal
from app.marking import service as marking
from app.ops import metrics
from app.qualifications.models import Unit
from app.sittings import devices, repository, timing
from app.sittings.devices import DISCONNECTED_AFTER, SEEN_EVERY
from app.sittings.models import Attempt, PaperItem, Sitting
from app.sittings.scheduling import normalise_code
from app.sittings.tickets import Ticket

REFUSALS_LOGGED_EVERY = timedelta(minutes=1)


class SessionNotOpen(Conflict):
    code = "session-not-open"


class AttemptOver(Conflict):
    code = "attempt-submitted"


class AttemptPaused(Conflict):
    code = "attempt-paused"


class PastDeadline(Conflict):
    code = "past-deadline"


class CandidateCredentials(Unauthorized):
    code = "invalid-credentials"
    commit = True  # count the failure


def login(
    db: Session,
    settings: Settings,
    now: datetime,
    *,
    candidate_number: str,
    access_code: str,
    address: str,
    device: str,
    user_agent: str = "",
    exclusive: bool = False,
) -> Attempt:
    """The attempt this candidate may sit with this code, on this device (see devices;
    `exclusive` for the exam's own sign-in form); the clock starts at the first sign-in."""
    account = throttle.account_key("candidate", candidate_number)
    where = throttle.address_key(address)
    throttle.check(db, now, account, where)
    matches = repository.for_login(db, candidate_number.strip(), normalise_code(access_code))
    if not matches:
        throttle.record_failures(db, settings, now, account, where)
        raise CandidateCredentials("Candidate number or access code not recognised.")
    attempt, sitting = next(((a, s) for a, s in matches if s.status == "open"), matches[0])
    if sitting.status == "scheduled":
        raise SessionNotOpen(
            "This session has not started yet: wait for your invigilator to start it."
        )
    if sitting.status == "closed":
        raise SessionNotOpen("This session has closed.")
    throttle.clear(db, account)
    if attempt.status == "voided":
        raise SessionNotOpen("Your exam has been stopped by the invigilator. Speak to them.")
    attempt = repository.lock_attempt(db, attempt.id) or attempt
    settle(db, attempt, now)
    device_hash = devices.digest(device)
    where_from = {
        "address": address,
        "device": devices.fingerprint(device_hash),
        "user_agent": user_agent[:200],
    }
    readmitted = attempt.readmitted_at is not None
    refused_before, refused_at = attempt.refused_device_hash, attempt.refused_sign_in_at
    try:
        moved_from = devices.claim(attempt, device_hash, now, exclusive=exclusive)
    except devices.OpenElsewhere:
        # A device retrying within a minute of its last refusal is not journalled again.
        recent = refused_at is not None and now - refused_at < REFUSALS_LOGGED_EVERY
        if not (recent and refused_before == device_hash):
            held = {"held_by": devices.fingerprint(attempt.device_hash)}
            record(db, attempt, now, "candidate", "sign_in_refused", {**where_from, **held})
        raise
    first = attempt.status == "not_started"
    if first:
        timing.start(attempt, now)
    event: dict[str, Any] = {"first": first, **where_from}
    if moved_from is not None or readmitted:
        event.update(moved_from=devices.fingerprint(moved_from), readmitted=readmitted)
    record(db, attempt, now, "candidate", "signed_in", event)
    seen(db, attempt, now)
    return attempt


def record(
    db: Session, attempt: Attempt, now: datetime, actor: str, event: str, data: dict[str, Any]
) -> None:
    """Append an event to the attempt's journal chain."""
    journal.append(
        db, journal.attempt_chain(attempt.id), attempt.sitting_id, now, actor, event, data
    )


def settle(db: Session, attempt: Attempt, now: datetime) -> None:
    """Submit an attempt whose time ran out (beyond the grace for saves in flight)."""
    if timing.expired(attempt, now, timing.GRACE):
        _finalise(db, attempt, "timeout", now, "system")


def _finalise(db: Session, attempt: Attempt, by: str, now: datetime, actor: str) -> None:
    """Submit as it stands and record the result, in this transaction."""
    deadline = attempt.deadline_at
    late = deadline is not None and now > deadline
    attempt.submitted_by = "timeout" if late else by
    attempt.submitted_at = deadline if late and deadline else now
    attempt.status, attempt.paused_at, attempt.deadline_at = "submitted", None, None
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
    record(
        db,
        attempt,
        now,
        "system",
        "marked",
        {"score": result.score, "max_score": result.max_score, "outcome": result.outcome},
    )


def load(db: Session, ticket: Ticket, now: datetime, *, lock: bool = False) -> Attempt:
    """The signed-in candidate's attempt, settled against the clock."""
    attempt_id = ticket.attempt_id
    attempt = (
        repository.lock_attempt(db, attempt_id) if lock else repository.attempt(db, attempt_id)
    )
    if attempt is None:
        raise Unauthorized("This sign-in is no longer valid; sign in again.")
    devices.admitted(attempt, ticket.admission)
    settle(db, attempt, now)
    seen(db, attempt, now)
    return attempt


def presence_due(last_seen_at: datetime | None, now: datetime) -> bool:
    """Whether seeing the candidate now changes what is stored (see devices.SEEN_EVERY)."""
    return last_seen_at is None or now - last_seen_at >= SEEN_EVERY


def quiet(attempt: timing.Clocked, last_seen_at: datetime | None, now: datetime) -> bool:
    """Loading the attempt now writes nothing: no timeout to submit, no presence due."""
    return not timing.expired(attempt, now, timing.GRACE) and not presence_due(last_seen_at, now)


@dataclass(frozen=True)
class ClockView:
    status: str
    remaining_seconds: int
    deadline: datetime | None


def _clock_view(attempt: timing.Clocked, now: datetime) -> ClockView:
    return ClockView(
        attempt.status, timing.remaining_seconds(attempt, now), timing.shown_deadline(attempt, now)
    )


def heartbeat_read(db: Session, ticket: Ticket, now: datetime, page: bool) -> ClockView | None:
    """The heartbeat, answered from one read when it changes nothing (the usual case: see
    devices.SEEN_EVERY); None when it must write (presence due, or time ran out)."""
    state = repository.clock_state(db, ticket.attempt_id)
    if state is None:
        raise Unauthorized("This sign-in is no longer valid; sign in again.")
    devices.admitted(state, ticket.admission)
    if not quiet(state, state.last_seen_at, now) or (
        page and devices.page_report_due(state, ticket.device_hash, now)
    ):
        return None
    metrics.HEARTBEATS.labels("no").inc()
    return _clock_view(state, now)


def heartbeat_write(db: Session, ticket: Ticket, now: datetime, page: bool) -> ClockView:
    """The heartbeat that writes: presence, or the submission of an attempt out of time."""
    attempt = load(db, ticket, now)
    if page:
        devices.page_seen(attempt, ticket.device_hash, now)
    metrics.HEARTBEATS.labels("yes").inc()
    return _clock_view(attempt, now)


def seen(db: Session, attempt: Attempt, now: datetime) -> None:
    """Note that the candidate's page is alive; a long silence while the clock ran is lost time."""
    last = attempt.last_seen_at
    if not presence_due(last, now):
        return
    if attempt.status == "in_progress" and last is not None and now - last > DISCONNECTED_AFTER:
        gap = int((now - max(last, attempt.started_at or last)).total_seconds())
        attempt.lost_seconds += gap
        record(db, attempt, now, "system", "reconnected", {"silent_seconds": gap})
    attempt.last_seen_at = now


@dataclass(frozen=True)
class Question:
    position: int
    stem: str
    options: list[tuple[str, str]]  # (id, text) in this candidate's order
    answer: str | None
    flagged: bool
    saved_at: datetime | None


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    unit: Unit
    candidate: Candidate
    deadline: datetime | None
    remaining_seconds: int
    questions: list[Question]


@dataclass(frozen=True)
class PaperView:
    """The paper as the JSON API serves it: read with two Core queries, no ORM objects."""

    status: str
    unit: str
    unit_title: str
    deadline: datetime | None
    remaining_seconds: int
    questions: list[Question]


def paper_read(db: Session, ticket: Ticket, now: datetime) -> PaperView | None:
    """The paper from a read transaction, or None when loading it must write something."""
    head = repository.paper_head(db, ticket.attempt_id)
    if head is None:
        raise Unauthorized("This sign-in is no longer valid; sign in again.")
    state, urn, title = head
    devices.admitted(state, ticket.admission)
    if not quiet(state, state.last_seen_at, now):
        return None
    return _paper(db, ticket.attempt_id, state, urn, title, now)


def paper_write(db: Session, ticket: Ticket, now: datetime) -> PaperView:
    """The paper after what loading it writes (presence, or a submission on timeout)."""
    load(db, ticket, now)
    db.flush()
    head = repository.paper_head(db, ticket.attempt_id)
    assert head is not None
    return _paper(db, ticket.attempt_id, *head, now)


def _paper(
    db: Session, attempt_id: int, state: timing.Clocked, urn: str, title: str, now: datetime
) -> PaperView:
    questions = [
        Question(
            line.position,
            line.stem,
            _ordered(line.options, line.option_order),
            line.answer,
            line.flagged,
            line.answered_at,
        )
        for line in repository.paper_lines(db, attempt_id)
    ]
    return PaperView(
        state.status,
        urn,
        title,
        timing.shown_deadline(state, now),
        timing.remaining_seconds(state, now),
        questions,
    )


def _ordered(options: list[dict[str, Any]], order: list[str]) -> list[tuple[str, str]]:
    """(id, text) in this candidate's order."""
    texts = {o["id"]: o["text"] for o in options}
    return [(oid, texts[oid]) for oid in order]


def view(db: Session, attempt: Attempt, now: datetime) -> AttemptView:
    """The paper as the candidate sees it: never the key."""
    sitting = db.get(Sitting, attempt.sitting_id)
    candidate = db.get(Candidate, attempt.candidate_id)
    assert sitting is not None and candidate is not None
    unit = db.get(Unit, sitting.unit_id)
    assert unit is not None
    rows = db.execute(
        select(PaperItem, ItemVersion)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .where(PaperItem.attempt_id == attempt.id)
        .order_by(PaperItem.position)
    )
    questions = [
        Question(
            line.position,
            version.stem,
            _ordered(version.options, line.option_order),
            line.answer,
            line.flagged,
            line.answered_at,
        )
        for line, version in rows
    ]
    return AttemptView(
        attempt,
        unit,
        candidate,
        timing.shown_deadline(attempt, now),
        timing.remaining_seconds(attempt, now),
        questions,
    )


def _writable(attempt: Attempt, now: datetime, grace: timedelta) -> None:
    if attempt.status == "submitted":
        raise AttemptOver("This exam has been submitted; answers can no longer change.")
    if attempt.status == "paused":
        raise AttemptPaused("Your exam is paused by the invigilator; answers are not being taken.")
    if attempt.status == "voided":
        raise AttemptOver("This exam has been stopped by the invigilator.")
    if attempt.status != "in_progress":
        raise Conflict("This exam has not started.")
    if timing.expired(attempt, now, grace):
        raise PastDeadline("Time is up for this exam.")


def _line(db: Session, attempt: Attempt, position: int) -> PaperItem:
    line = repository.paper_item(db, attempt.id, position)
    if line is None:
        raise NotFound(f"There is no question {position} on this paper.")
    return line


def save_answer(
    db: Session, attempt: Attempt, now: datetime, position: int, option_id: str | None, seq: int
) -> datetime:
    """Store an answer if its seq is newer; a replay or older retry is acknowledged, ignored."""
    _writable(attempt, now, timing.GRACE)
    # Write what is pending on the attempt (last seen) now, as the ORM's autoflush would: every
    # path locks the attempt row before a paper line, so two requests never deadlock.
    db.flush()
    line = repository.line_to_save(db, attempt.id, position)
    if line is None:
        raise NotFound(f"There is no question {position} on this paper.")
    line_id, options = line
    if option_id is not None and option_id not in options:
        raise Invalid(f"{option_id!r} is not an option of question {position}.")
    if repository.save_answer(db, line_id, option_id, seq, now):
        record(
            db,
            attempt,
            now,
            "candidate",
            "answer_saved",
            {"position": position, "option_id": option_id, "seq": seq},
        )
        return now
    # A replay or an older retry: the stored answer's time, read after the update waited for
    # any save of the same line still in flight.
    return repository.saved_at(db, line_id) or now


def set_flag(db: Session, attempt: Attempt, now: datetime, position: int, flagged: bool) -> None:
    _writable(attempt, now, timedelta(0))
    line = _line(db, attempt, position)
    if line.flagged != flagged:
        line.flagged = flagged
        record(db, attempt, now, "candidate", "flagged", {"position": position, "flagged": flagged})


def submit(
    db: Session, attempt: Attempt, now: datetime, by: str = "candidate", actor: str = "candidate"
) -> Attempt:
    """Submit once; a second submit changes nothing. The caller holds the attempt's row lock."""
    if attempt.status in ("submitted", "voided"):
        return attempt
    if by == "candidate" and attempt.status == "paused":
        raise AttemptPaused("Your exam is paused by the invigilator; it cannot be submitted now.")
    if attempt.status == "not_started":
        raise Conflict("This exam has not started.")
    _finalise(db, attempt, by, now, actor)
    return attempt


def sweep(
    db: Session,
    now: datetime,
    sitting_id: int | None = None,
    *,
    limit: int | None = None,
    skip_locked: bool = False,
) -> int:
    """Submit every attempt whose time ran out (at most `limit`), whether or not anything
    touches it again."""
    count = 0
    expired = repository.lock_expired(
        db, now - timing.GRACE, sitting_id, limit=limit, skip_locked=skip_locked
    )
    for attempt in expired:
        if timing.expired(attempt, now, timing.GRACE):
            _finalise(db, attempt, "timeout", now, "system")
            count += 1
    return count


def sweep_lag(db: Session, now: datetime) -> float:
    """Seconds since the longest-waiting timed-out attempt became due for the sweeper (0: none)."""
    oldest = repository.oldest_overdue(db, now - timing.GRACE)
    return 0.0 if oldest is None else max(0.0, (now - oldest - timing.GRACE).total_seconds())


TEXT_SIZES = ("100", "125", "150", "200")
SCHEMES = ("default", "contrast", "cream", "yellow")


def set_display(db: Session, attempt: Attempt, text_size: str, scheme: str) -> dict[str, str]:
    """A candidate's display preferences; kept on their profile for every sitting."""
    if text_size not in TEXT_SIZES or scheme not in SCHEMES:
        raise Invalid("Choose a text size and a colour scheme from the lists.")
    candidate = db.get(Candidate, attempt.candidate_id)
    assert candidate is not None
    candidate.display = {"text_size": text_size, "scheme": scheme}
    return candidate.display


def next_seq(db: Session, attempt: Attempt, position: int) -> int:
    """For plain form posts: one more than the stored seq, so the post always applies."""
    return _line(db, attempt, position).answer_seq + 1
