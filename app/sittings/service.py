"""The candidate's side of a sitting: sign-in, the paper as they see it, display preferences.
Every change of the attempt's state goes through `lifecycle`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session

from app.auth import throttle
from app.candidates.models import Candidate
from app.config import Settings
from app.db import Work
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.journal import service as journal
from app.ops import metrics
from app.qualifications.models import Unit
from app.sittings import devices, lifecycle, repository, timing
from app.sittings.devices import DISCONNECTED_AFTER, SEEN_EVERY
from app.sittings.models import Attempt, AttemptClock, Sitting
from app.sittings.scheduling import normalise_code
from app.sittings.status import AttemptStatus, SittingStatus
from app.sittings.tickets import Ticket

REFUSALS_LOGGED_EVERY = timedelta(minutes=1)
SIGNED_OUT = "This sign-in is no longer valid; sign in again."


class SessionNotOpen(Conflict):
    code = "session-not-open"


class AwaitingAdmission(Conflict):
    code = "awaiting-admission"


class CandidateCredentials(Unauthorized):
    code = "invalid-credentials"
    commit = True  # keep the guess counted


def _guess_limits(
    settings: Settings, address: str, device_hash: str | None
) -> tuple[throttle.Limit, throttle.Limit]:
    """Where a candidate's wrong guesses are counted: this browser at this address, and the
    address as a circuit breaker. Never the candidate number: a neighbour's wrong guesses must
    not lock the real candidate out. A right code is refused only by the address's breaker
    (login_read): a browser's own count, or the count that every browser without our device
    cookie shares at an address, holds back wrong guesses only, so neither a neighbour's
    guesses nor a candidate's own typing mistakes keep the code's owner out. The bound on
    guessing is the breaker's: candidate_address_failures wrong codes a window per address,
    against a code space of 31^8 or more (scheduling's alphabet)."""
    window, lockout = settings.login_window_seconds, settings.login_lockout_seconds
    return (
        throttle.Limit(
            throttle.device_key(address, device_hash),
            settings.candidate_device_failures,
            window,
            lockout,
        ),
        throttle.Limit(
            throttle.address_key("candidate", address),
            settings.candidate_address_failures,
            window,
            lockout,
        ),
    )


@dataclass(frozen=True)
class SignIn:
    """What a candidate's sign-in found in its read: the attempt their code opens (None for a
    wrong code), and where its guesses are counted (see `login`)."""

    attempt_id: int | None
    device_hash: str
    browser: throttle.Limit
    room: throttle.Limit
    state: repository.Returning | None = None  # the attempt's row, locked, as the lookup read it


def login_read(
    db: Work,
    settings: Settings,
    now: datetime,
    *,
    candidate_number: str,
    access_code: str,
    address: str,
    device: str,
    device_presented: bool = True,
) -> SignIn:
    """The read half of a sign-in: writes nothing; the attempts the code opens are locked as
    they are read (login_quiet decides on that row). Refuses (429) while its room (address)
    is locked out; a browser's own lock refuses its wrong codes only (login_write)."""
    device_hash = devices.digest(device)
    # A browser without our device cookie is counted with every other such request from its
    # address: dropping the cookie buys no fresh wrong guesses.
    browser, room = _guess_limits(settings, address, device_hash if device_presented else None)
    found = repository.for_login(
        db, candidate_number.strip(), normalise_code(access_code), room.key
    )
    matches = found.matches
    # The keys came with the lookup; a code that opens nothing reads them alone. Only the
    # room's breaker refuses here; a wrong code from a locked browser is refused once its
    # failure is counted on the room (login_write), so that the breaker bounds every guess.
    keys = found.keys if matches else throttle.read(db, room.key)
    throttle.refuse_locked(now, {room.key: keys[room.key]} if room.key in keys else {})
    # The open sitting's attempt if there is one, else the latest (its status is explained).
    chosen = next(((a, s) for a, s in matches if s.sitting_status == SittingStatus.OPEN), None)
    attempt_id, state = chosen or (matches[0] if matches else (None, None))
    return SignIn(attempt_id, device_hash, browser, room, state)


def _where_from(address: str, device_hash: str, user_agent: str) -> dict[str, Any]:
    """Where a sign-in came from, as its journal entry records it."""
    return {
        "address": address,
        "device": devices.fingerprint(device_hash),
        "user_agent": user_agent[:200],
    }


@dataclass(frozen=True)
class SignedIn:
    """A sign-in's outcome where no ORM object was loaded (login_quiet)."""

    id: int
    admission: int
    admitted_at: datetime | None


def login_quiet(
    db: Work, now: datetime, found: SignIn, *, address: str, user_agent: str = ""
) -> SignedIn | None:
    """The usual sign-in, decided on the attempt's row locked as plain columns (no ORM object,
    as lifecycle.save_quiet): a returning candidate's own device, on a running paper within its
    time, in an open session, with no wrong guesses counted against the browser, seen within
    DISCONNECTED_AFTER (no lost time to count). Journalled and seen as login_write would; None
    otherwise, and nothing done: the caller then takes login_write, which locks the same row
    again and decides everything."""
    if found.attempt_id is None:
        return None
    state = found.state
    if (
        state is None
        or state.sitting_status != SittingStatus.OPEN
        or state.status != AttemptStatus.IN_PROGRESS
        or state.device_hash != found.device_hash
        or state.readmitted_at is not None
        or timing.expired(state, now, timing.GRACE)
        or state.last_seen_at is None
        or now - state.last_seen_at > DISCONNECTED_AFTER  # seen() counts the time lost
    ):
        return None
    event = {"first": False, **_where_from(address, found.device_hash, user_agent)}
    attempt_id, sitting_id = found.attempt_id, state.sitting_id
    lifecycle.record_on(
        db, attempt_id, sitting_id, now, "candidate", "signed_in", event, state.head
    )
    if presence_due(state.last_seen_at, now):
        repository.mark_seen(db, attempt_id, now)
    return SignedIn(attempt_id, state.admission, state.admitted_at)


def login_write(
    db: Session,
    now: datetime,
    found: SignIn,
    *,
    address: str,
    user_agent: str = "",
    exclusive: bool = False,
) -> Attempt:
    """The write half: a wrong code is counted (CandidateCredentials, committed); a right one
    claims the attempt for this device, journalled. One short write transaction."""
    if found.attempt_id is None:
        # The room's address is shared by every candidate in it: never held locked across a
        # sign-in, only counted when a guess fails (a circuit breaker), first, so that a
        # locked browser's guesses count too (keys in one order: address, then device, as
        # throttle.reserve sorts them). This browser's own count is exact: counted under its
        # row lock, so concurrent guesses cannot pass it; past it they are answered 429.
        throttle.count(db, now, found.room)
        throttle.fail(db, now, found.browser)
        raise CandidateCredentials("Candidate number or access code not recognised.")
    locked = lifecycle.lock(db, found.attempt_id)
    assert locked is not None  # attempts are never deleted
    if found.state is not None:  # its journal's head, read with its row: no second read
        journal.remember(db, journal.attempt_chain(found.attempt_id), found.state.head)
    sitting = db.get(Sitting, locked.sitting_id)
    assert sitting is not None
    if sitting.status == SittingStatus.SCHEDULED:
        raise SessionNotOpen(
            "This session has not started yet: wait for your invigilator to start it."
        )
    if sitting.status == SittingStatus.CLOSED:
        raise SessionNotOpen("This session has closed.")
    if locked.status == AttemptStatus.VOIDED:
        raise SessionNotOpen("Your exam has been stopped by the invigilator. Speak to them.")
    lifecycle.settle(db, locked, now)
    device_hash = found.device_hash
    where_from = _where_from(address, device_hash, user_agent)
    readmitted = locked.readmitted_at is not None
    refused_before, refused_at = locked.refused_device_hash, locked.refused_sign_in_at
    try:
        moved_from = devices.claim(locked, device_hash, now, exclusive=exclusive)
    except devices.OpenElsewhere:
        # A device retrying within a minute of its last refusal is not journalled again.
        recent = refused_at is not None and now - refused_at < REFUSALS_LOGGED_EVERY
        if not (recent and refused_before == device_hash):
            held = {"held_by": devices.fingerprint(locked.device_hash)}
            lifecycle.record(
                db, locked, now, "candidate", "sign_in_refused", {**where_from, **held}
            )
        raise
    first = locked.status == AttemptStatus.NOT_STARTED
    event: dict[str, Any] = {"first": first, **where_from}
    if moved_from is not None or readmitted:
        event.update(moved_from=devices.fingerprint(moved_from), readmitted=readmitted)
    lifecycle.record(db, locked, now, "candidate", "signed_in", event)
    if first:
        # The exam page (exclusive) reads the instructions first; the JSON API starts at once.
        reading = timedelta(minutes=sitting.reading_minutes) if exclusive else None
        lifecycle.ask_admission(
            db, locked, now, approval=sitting.approve_admission, reading=reading
        )
    seen(db, locked, now)
    return locked


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
    device_presented: bool = True,
) -> Attempt:
    """The attempt that this candidate's own code opens, on this device (see devices;
    `exclusive` for the exam's own sign-in form), in one transaction. The first sign-in starts
    the clock, or, where the invigilator approves admissions, asks for approval. The JSON route
    tries login_quiet between the two halves: see the API."""
    found = login_read(
        db,
        settings,
        now,
        candidate_number=candidate_number,
        access_code=access_code,
        address=address,
        device=device,
        device_presented=device_presented,
    )
    return login_write(db, now, found, address=address, user_agent=user_agent, exclusive=exclusive)


def load(db: Session, ticket: Ticket, now: datetime, *, lock: bool = False) -> Attempt:
    """The signed-in candidate's attempt, settled against the clock. Settling or noting lost
    time locks the attempt first, as every transition does."""
    attempt: Attempt | None = (
        lifecycle.lock(db, ticket.attempt_id) if lock else repository.attempt(db, ticket.attempt_id)
    )
    if attempt is None:
        raise Unauthorized(SIGNED_OUT)
    devices.admitted(attempt, ticket.admission)
    if timing.expired(attempt, now, timing.GRACE) or timing.reading_over(attempt, now):
        attempt = lifecycle.relock(db, attempt) if not lock else attempt
        lifecycle.settle(db, lifecycle.Locked(attempt), now)
    seen(db, attempt, now)
    return attempt


def require_admitted(attempt: Attempt | AttemptClock) -> None:
    if attempt.admitted_at is None and attempt.status == AttemptStatus.NOT_STARTED:
        raise AwaitingAdmission(
            "Your invigilator has yet to admit you: stay on this page, it opens by itself."
        )


class Admitted(Protocol):
    @property
    def admitted_at(self) -> datetime | None: ...


def admission_state(attempt: Admitted) -> str:
    return "awaiting_approval" if attempt.admitted_at is None else "admitted"


def presence_due(last_seen_at: datetime | None, now: datetime) -> bool:
    """Whether seeing the candidate now changes what is stored (see devices.SEEN_EVERY)."""
    return last_seen_at is None or now - last_seen_at >= SEEN_EVERY


def quiet(attempt: timing.Clocked, last_seen_at: datetime | None, now: datetime) -> bool:
    """Loading the attempt now writes nothing: no timeout to submit, no presence due."""
    return not timing.expired(attempt, now, timing.GRACE) and not presence_due(last_seen_at, now)


@dataclass(frozen=True)
class ClockView:
    status: str
    admission: str
    remaining_seconds: int
    deadline: datetime | None


def _clock_view(attempt: Attempt | AttemptClock, now: datetime) -> ClockView:
    return ClockView(
        attempt.status,
        admission_state(attempt),
        timing.remaining_seconds(attempt, now),
        timing.shown_deadline(attempt, now),
    )


def heartbeat_read(db: Session, ticket: Ticket, now: datetime, page: bool) -> ClockView | None:
    """The heartbeat, answered from one read when it changes nothing (the usual case: see
    devices.SEEN_EVERY); None when it must write (presence due, or time ran out)."""
    state = repository.clock_state(db, ticket.attempt_id)
    if state is None:
        raise Unauthorized(SIGNED_OUT)
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
    if (
        attempt.status == AttemptStatus.IN_PROGRESS
        and last is not None
        and now - last > DISCONNECTED_AFTER
    ):
        locked = lifecycle.relock(db, attempt)
        last = locked.last_seen_at or last
        if now - last > DISCONNECTED_AFTER and locked.status == AttemptStatus.IN_PROGRESS:
            gap = int((now - max(last, locked.started_at or last)).total_seconds())
            locked.lost_seconds += gap
            lifecycle.record(db, locked, now, "system", "reconnected", {"silent_seconds": gap})
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
    stem_html: str | None = None  # rich text as stored; cleaned again where it is rendered
    images: tuple[tuple[str, str], ...] = ()  # (sha256, alt)


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
    allowed_seconds: int
    on_break: bool
    rest_breaks: bool
    reading_until: datetime | None
    questions: list[Question]


def paper_read(db: Session, ticket: Ticket, now: datetime) -> PaperView | None:
    """The paper from a read transaction, or None when loading it must write something."""
    head = repository.paper_head(db, ticket.attempt_id)
    if head is None:
        raise Unauthorized(SIGNED_OUT)
    state = head.clock
    devices.admitted(state, ticket.admission)
    if not quiet(state, state.last_seen_at, now) or (
        head.reading_until is not None
        and state.status == AttemptStatus.NOT_STARTED
        and now >= head.reading_until
    ):
        return None  # something to write: presence, a timeout, or the reading time's end
    require_admitted(state)
    return _paper(db, ticket.attempt_id, head, now)


def paper_write(db: Session, ticket: Ticket, now: datetime) -> PaperView:
    """The paper after what loading it writes (presence, or a submission on timeout)."""
    require_admitted(load(db, ticket, now))
    db.flush()
    head = repository.paper_head(db, ticket.attempt_id)
    assert head is not None
    return _paper(db, ticket.attempt_id, head, now)


def _paper(db: Session, attempt_id: int, head: repository.PaperHead, now: datetime) -> PaperView:
    state = head.clock
    questions = [
        Question(
            line.position,
            line.text.stem,
            [(oid, line.text.texts[oid]) for oid in line.option_order],
            line.answer,
            line.flagged,
            line.answered_at,
            line.answer_seq,
            line.text.stem_html,
            line.text.images,
        )
        for line in repository.paper_lines(db, attempt_id)
    ]
    return PaperView(
        state.status,
        head.urn,
        head.title,
        timing.shown_deadline(state, now),
        timing.remaining_seconds(state, now),
        state.allowed_seconds,
        head.break_started_at is not None,
        head.rest_breaks,
        head.reading_until,
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
    questions = [
        Question(
            line.position,
            version.stem,
            _ordered(version.options, line.option_order),
            line.answer,
            line.flagged,
            line.answered_at,
            line.answer_seq,
            version.stem_html,
            tuple((i["sha256"], i["alt"]) for i in version.images or ()),
        )
        for line, version in repository.paper_with_versions(db, attempt.id)
    ]
    return AttemptView(
        attempt,
        unit,
        candidate,
        timing.shown_deadline(attempt, now),
        timing.remaining_seconds(attempt, now),
        questions,
    )


def start_break(
    db: Session, attempt: lifecycle.Locked, now: datetime, actor: str = "candidate"
) -> bool:
    """A supervised rest break, for a candidate with that access arrangement."""
    candidate = db.get(Candidate, attempt.candidate_id)
    assert candidate is not None
    return lifecycle.start_break(db, attempt, now, actor=actor, arranged=candidate.rest_breaks)


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
    line = repository.paper_item(db, attempt.id, position)
    if line is None:
        raise NotFound(f"There is no question {position} on this paper.")
    return line.answer_seq + 1


def picture(db: Session, attempt: Attempt, sha256: str) -> tuple[str, bytes]:
    """A picture on this candidate's own paper (content type, bytes); NotFound otherwise."""
    found = repository.paper_picture(db, attempt.id, sha256)
    if found is None:
        raise NotFound("No such picture on this paper.")
    return found
