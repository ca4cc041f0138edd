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
    first = attempt.status == "not_started" and attempt.reading_until is None
    if first and exclusive:
        # The exam page: the candidate reads the instructions first, and the clock starts when
        # they press Start (or when the session's reading limit runs out).
        attempt.reading_until = now + timedelta(minutes=sitting.reading_minutes)
    elif attempt.status == "not_started":
        timing.start(attempt, now)  # a client of the JSON API starts at once, as ever
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
    """Start the clock of a candidate whose reading time ran out; submit an attempt whose time
    ran out (beyond the grace for saves in flight)."""
    if timing.reading_over(attempt, now):
        assert attempt.reading_until is not None
        at = attempt.reading_until
        timing.start(attempt, at)
        record(db, attempt, now, "system", "started", {"by": "reading_limit", "at": at.isoformat()})
    if timing.expired(attempt, now, timing.GRACE):
        _finalise(db, attempt, "timeout", now, "system")


def _finalise(db: Session, attempt: Attempt, by: str, now: datetime, actor: str) -> None:
    """Submit as it stands and record the result, in this transaction."""
    deadline = attempt.deadline_at
    late = deadline is not None and now > deadline
    attempt.submitted_by = "timeout" if late else by
    attempt.submitted_at = deadline if late and deadline else now
    if attempt.break_started_at is not None:
        seconds = timing.end_break(attempt, now)
        record(db, attempt, now, actor, "rest_break_ended", {"seconds": seconds})
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


def seen(db: Session, attempt: Attempt, now: datetime) -> None:
    """Note that the candidate's page is alive; a long silence while the clock ran is lost time."""
    last = attempt.last_seen_at
    if last is not None and now - last < SEEN_EVERY:
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
    seq: int


@dataclass(frozen=True)
class AttemptView:
    attempt: Attempt
    unit: Unit
    candidate: Candidate
    deadline: datetime | None
    remaining_seconds: int
    questions: list[Question]


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
    questions = []
    for line, version in rows:
        texts = {o["id"]: o["text"] for o in version.options}
        questions.append(
            Question(
                line.position,
                version.stem,
                [(oid, texts[oid]) for oid in line.option_order],
                line.answer,
                line.flagged,
                line.answered_at,
                line.answer_seq,
            )
        )
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


def sweep(db: Session, now: datetime, sitting_id: int | None = None) -> int:
    """Submit every attempt whose time ran out, whether or not anything touches it again."""
    for attempt in repository.lock_reading_over(db, now, sitting_id):
        settle(db, attempt, now)
    count = 0
    for attempt in repository.lock_expired(db, now - timing.GRACE, sitting_id):
        if timing.expired(attempt, now, timing.GRACE):
            _finalise(db, attempt, "timeout", now, "system")
            count += 1
    return count


class NoRestBreaks(Conflict):
    code = "no-rest-breaks"


def start(db: Session, attempt: Attempt, now: datetime) -> Attempt:
    """The candidate has read the instructions and pressed Start: their clock starts now.
    The caller holds the attempt's row lock; starting twice changes nothing."""
    if attempt.status != "not_started":
        return attempt
    timing.start(attempt, now)
    record(db, attempt, now, "candidate", "started", {"by": "candidate"})
    return attempt


def start_break(db: Session, attempt: Attempt, now: datetime, actor: str = "candidate") -> None:
    """A supervised rest break for a candidate with that access arrangement: the paper is
    hidden and the clock stops until the break ends. The caller holds the row lock."""
    if attempt.break_started_at is not None:
        return
    candidate = db.get(Candidate, attempt.candidate_id)
    assert candidate is not None
    if not candidate.rest_breaks:
        raise NoRestBreaks("Rest breaks are not among this candidate's access arrangements.")
    if attempt.status != "in_progress":
        raise Conflict(
            "A rest break can start only while the exam is running; "
            f"this one is {attempt.status.replace('_', ' ')}."
        )
    timing.start_break(attempt, now)
    record(db, attempt, now, actor, "rest_break_started", {})


def end_break(db: Session, attempt: Attempt, now: datetime, actor: str = "candidate") -> None:
    """End a rest break: the clock runs again. The caller holds the row lock."""
    if attempt.break_started_at is None:
        if attempt.status == "paused":
            raise AttemptPaused("Your exam is paused by the invigilator; wait for them.")
        return
    seconds = timing.end_break(attempt, now)
    record(db, attempt, now, actor, "rest_break_ended", {"seconds": seconds})


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
