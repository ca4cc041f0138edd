"""The invigilator's side: the register, starting and closing, pausing, time, incidents.

Every query is scoped to the invigilator's own centre: another centre's session is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth.deps import StaffUser
from app.candidates.models import Candidate
from app.centres import service as centres
from app.errors import Conflict, NotFound
from app.invigilation import repository as records
from app.invigilation.models import Incident
from app.journal import service as journal
from app.qualifications.models import Unit
from app.sittings import devices, lifecycle, repository, timing
from app.sittings import service as sittings
from app.sittings.models import Attempt, Sitting
from app.sittings.status import AttemptStatus, SittingStatus, SubmittedBy

CATEGORIES = ("illness", "disturbance", "technical", "suspected_malpractice", "fire_alarm", "other")


def actor(staff: StaffUser) -> str:
    return f"invigilator:{staff.centre_code}/{staff.username}"


def _log(
    db: Session,
    staff: StaffUser,
    sitting: Sitting,
    now: datetime,
    event: str,
    data: dict[str, object],
) -> None:
    journal.append(
        db, journal.sitting_chain(sitting.id), sitting.id, now, actor(staff), event, dict(data)
    )


def get_sitting(db: Session, staff: StaffUser, sitting_id: int) -> Sitting:
    sitting = repository.sitting_at_centre(db, sitting_id, staff.centre_id)
    if sitting is None:
        raise NotFound(f"No session {sitting_id} at your centre.")
    return sitting


def sittings_of(db: Session, staff: StaffUser) -> list[tuple[Sitting, str]]:
    """The centre's sessions, each with its unit's URN."""
    out = []
    for sitting in repository.sittings_at_centre(db, staff.centre_id):
        unit = db.get(Unit, sitting.unit_id)
        assert unit is not None
        out.append((sitting, unit.urn))
    return out


@dataclass(frozen=True)
class RegisterLine:
    candidate: Candidate
    attempt: Attempt
    answered: int
    total: int
    remaining_seconds: int
    disconnected: bool
    device: str | None  # the fingerprint of the device holding the paper

    @property
    def shown_status(self) -> str:
        """The status as the room sees it: `reading` (signed in, on the instructions, clock
        not started) and `on_break` (a rest break) beside the attempt's own statuses."""
        a = self.attempt
        if a.status == AttemptStatus.NOT_STARTED and a.reading_until is not None:
            return "reading"
        if a.status == AttemptStatus.NOT_STARTED and a.admission_requested_at and not a.admitted_at:
            return "awaiting_approval"
        if a.status == AttemptStatus.PAUSED and a.break_started_at is not None:
            return "on_break"
        return str(a.status)

    @property
    def needs_attention(self) -> bool:
        a = self.attempt
        return (
            self.disconnected
            or a.refused_sign_in_at is not None
            or a.readmitted_at is not None
            or a.status == AttemptStatus.PAUSED
            or self.shown_status == "awaiting_approval"
        )


@dataclass(frozen=True)
class Register:
    sitting: Sitting
    unit: Unit
    centre_code: str
    lines: list[RegisterLine]


def register(db: Session, staff: StaffUser, sitting_id: int, now: datetime) -> Register:
    """The live register, after submitting any attempt whose time has run out."""
    return register_of(db, get_sitting(db, staff, sitting_id), staff.centre_code, now)


def register_for_awarding_body(db: Session, sitting_id: int, now: datetime) -> Register:
    """Any centre's register, read-only, for the awarding body's console."""
    sitting = repository.sitting(db, sitting_id)
    if sitting is None:
        raise NotFound(f"No session {sitting_id}.")
    centre = centres.get_centre_by_id(db, sitting.centre_id)
    return register_of(db, sitting, centre.code, now)


def register_of(db: Session, sitting: Sitting, centre_code: str, now: datetime) -> Register:
    lifecycle.sweep(db, now, sitting.id)
    counts = repository.answered_counts(db, sitting.id)
    unit = db.get(Unit, sitting.unit_id)
    assert unit is not None
    lines = [
        RegisterLine(
            candidate,
            attempt,
            *counts.get(attempt.id, (0, 0)),
            timing.remaining_seconds(attempt, now),
            _disconnected(attempt, now),
            devices.fingerprint(attempt.device_hash),
        )
        for attempt, candidate in repository.attempts_of(db, sitting.id)
    ]
    return Register(sitting, unit, centre_code, lines)


def admission(attempt: Attempt) -> str:
    if attempt.admitted_at is not None:
        return "admitted"
    return "awaiting_approval" if attempt.admission_requested_at else "not_signed_in"


STATUS_ORDER = (
    "in_progress",
    "paused",
    "on_break",
    "reading",
    "not_started",
    "submitted",
    "voided",
)


def filtered_lines(lines: list[RegisterLine], shown: str) -> list[RegisterLine]:
    """The register's filter: a status as the room sees it, `attention` or `all`."""
    if shown == "all":
        return lines
    if shown == "attention":
        return [line for line in lines if line.needs_attention]
    return [line for line in lines if line.shown_status == shown]


def sorted_lines(lines: list[RegisterLine], sort: str) -> list[RegisterLine]:
    if sort == "status":
        return sorted(lines, key=lambda line: STATUS_ORDER.index(line.shown_status))
    if sort == "remaining":
        return sorted(lines, key=lambda line: line.remaining_seconds)
    return sorted(lines, key=lambda line: line.candidate.candidate_number)


def status_counts(lines: list[RegisterLine]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.shown_status] = counts.get(line.shown_status, 0) + 1
    return counts


def _disconnected(attempt: Attempt, now: datetime) -> bool:
    last = attempt.last_seen_at
    return (
        attempt.status == AttemptStatus.IN_PROGRESS
        and last is not None
        and now - last > devices.DISCONNECTED_AFTER
    )


def start(db: Session, staff: StaffUser, sitting_id: int, now: datetime) -> None:
    """Open the session: candidates can sign in from now until it closes."""
    sitting = get_sitting(db, staff, sitting_id)
    if sitting.status == SittingStatus.CLOSED:
        raise Conflict("This session is closed; it cannot be started again.")
    if sitting.status == SittingStatus.SCHEDULED:
        sitting.status, sitting.opened_at = SittingStatus.OPEN, now
        _log(db, staff, sitting, now, "session_started", {})


def close(db: Session, staff: StaffUser, sitting_id: int, now: datetime) -> None:
    """Close the session, submitting every attempt in progress or paused as it stands."""
    sitting = get_sitting(db, staff, sitting_id)
    db.refresh(sitting, with_for_update={"key_share": True})  # the sitting, then its attempts
    if sitting.status == SittingStatus.CLOSED:
        return
    for locked in lifecycle.lock_all(db, Attempt.sitting_id == sitting.id):
        lifecycle.submit(db, locked, now, by=SubmittedBy.INVIGILATOR, actor=actor(staff))
    sitting.status, sitting.closed_at = SittingStatus.CLOSED, now
    _log(db, staff, sitting, now, "session_closed", {})


def _attempt(
    db: Session,
    staff: StaffUser,
    sitting_id: int,
    candidate_number: str,
    *,
    while_open: bool = True,
) -> lifecycle.Locked:
    """One candidate's attempt in a session at the invigilator's centre, locked. Once the
    session is closed only a void and an incident may still name a candidate (`while_open`
    False): adding time, pausing, admitting or moving a paper in a closed room is refused."""
    sitting = get_sitting(db, staff, sitting_id)
    if while_open and sitting.status == SittingStatus.CLOSED:
        raise sittings.SessionNotOpen(
            f"Session {sitting_id} is closed: only a void or an incident can still be recorded."
        )
    found = repository.attempt_in_sitting(db, sitting.id, candidate_number)
    if found is None:
        raise NotFound(f"Candidate {candidate_number} is not in session {sitting_id}.")
    return lifecycle.relock(db, found)


def pause(
    db: Session, staff: StaffUser, sitting_id: int, candidate_number: str, now: datetime
) -> None:
    """Stop one candidate's clock (fire alarm, illness); their saves are refused until resumed."""
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    lifecycle.pause(db, attempt, now, actor=actor(staff))


def resume(
    db: Session, staff: StaffUser, sitting_id: int, candidate_number: str, now: datetime
) -> None:
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    lifecycle.resume(db, attempt, now, actor=actor(staff))


def add_time(
    db: Session,
    staff: StaffUser,
    sitting_id: int,
    candidate_number: str,
    minutes: int,
    now: datetime,
    reason: str = "",
) -> None:
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    lifecycle.add_time(db, attempt, now, actor=actor(staff), minutes=minutes, reason=reason)


def admit(
    db: Session, staff: StaffUser, sitting_id: int, candidate_number: str, now: datetime
) -> None:
    """Approve a candidate's first sign-in (sessions that approve admissions)."""
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    lifecycle.admit(db, attempt, now, actor=actor(staff))


def record_incident(
    db: Session,
    staff: StaffUser,
    sitting_id: int,
    candidate_number: str | None,
    category: str,
    note: str,
    now: datetime,
) -> tuple[Incident, str | None]:
    sitting = get_sitting(db, staff, sitting_id)
    candidate_id = None
    if candidate_number:
        found = _attempt(db, staff, sitting.id, candidate_number, while_open=False)
        candidate_id = found.candidate_id
    incident = Incident(
        sitting_id=sitting.id,
        candidate_id=candidate_id,
        invigilator_id=staff.invigilator_id,
        category=category,
        note=note,
        created_at=now,
    )
    db.add(incident)
    db.flush()
    _log(
        db,
        staff,
        sitting,
        now,
        "incident",
        {"candidate": candidate_number, "category": category, "note": note},
    )
    return incident, candidate_number


def _open_sitting(db: Session, staff: StaffUser, sitting_id: int, verb: str) -> Sitting:
    """A room acts only while its session is open (a closed room's journal took a pause after
    its close; a scheduled one has no clock running)."""
    sitting = get_sitting(db, staff, sitting_id)
    # A close waits, or has ended: read as it is now. NO KEY UPDATE: a candidate's journal
    # entry checks its key (FOR KEY SHARE) under its attempt's lock, which FOR UPDATE would
    # make wait for a close that waits for that attempt (a deadlock).
    db.refresh(sitting, with_for_update={"key_share": True})
    if sitting.status != SittingStatus.OPEN:
        state = "closed" if sitting.status == SittingStatus.CLOSED else "not started yet"
        raise sittings.SessionNotOpen(
            f"Session {sitting_id} is {state}: the room cannot be {verb}."
        )
    return sitting


def pause_room(db: Session, staff: StaffUser, sitting_id: int, now: datetime) -> int:
    """Stop every running clock in the room at once (a fire alarm); returns how many."""
    sitting = _open_sitting(db, staff, sitting_id, "paused")
    paused = 0
    for locked in lifecycle.lock_all(db, Attempt.sitting_id == sitting.id):
        lifecycle.settle(db, locked, now)
        if locked.status == AttemptStatus.IN_PROGRESS:
            paused += lifecycle.pause(db, locked, now, actor=actor(staff), room=True)
    _log(db, staff, sitting, now, "room_paused", {"candidates": paused})
    return paused


def resume_room(db: Session, staff: StaffUser, sitting_id: int, now: datetime) -> int:
    """Restart every paused clock in the room."""
    sitting = _open_sitting(db, staff, sitting_id, "resumed")
    resumed = 0
    for locked in lifecycle.lock_all(db, Attempt.sitting_id == sitting.id):
        # A candidate on a rest break stays on it: the break ends when they or you end it.
        if locked.status == AttemptStatus.PAUSED and locked.break_started_at is None:
            resumed += lifecycle.resume(db, locked, now, actor=actor(staff), room=True)
    _log(db, staff, sitting, now, "room_resumed", {"candidates": resumed})
    return resumed


def start_break(
    db: Session, staff: StaffUser, sitting_id: int, candidate_number: str, now: datetime
) -> None:
    """A supervised rest break, started by the invigilator for a candidate with that
    arrangement: the paper is hidden and the clock stops until the break ends."""
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    sittings.start_break(db, attempt, now, actor(staff))


def end_break(
    db: Session, staff: StaffUser, sitting_id: int, candidate_number: str, now: datetime
) -> None:
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    if not lifecycle.end_break(db, attempt, now, actor=actor(staff)):
        raise Conflict(f"Candidate {candidate_number} is not on a rest break.")


# The journal events the printed register reports for each candidate, in words.
HISTORY_EVENTS = {
    "signed_in": "Signed in",
    "sign_in_refused": "Sign-in refused (paper open on another computer)",
    "started": "Clock started",
    "paused": "Paused",
    "resumed": "Resumed",
    "rest_break_started": "Rest break started",
    "rest_break_ended": "Rest break ended",
    "time_added": "Time added",
    "readmitted": "Re-admitted on another computer",
    "reconnected": "Reconnected after a silence",
    "voided": "Voided",
    "submitted": "Submitted",
}


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    what: str
    detail: str
    by: str


def _detail(event: str, data: dict[str, object]) -> str:
    if event == "time_added":
        reason = str(data.get("reason") or "") or "no reason given"
        return f"{data.get('minutes')} min: {reason}"
    if event == "rest_break_ended":
        return f"{data.get('seconds')} s"
    if event == "reconnected":
        return f"silent {data.get('silent_seconds')} s"
    if event in ("readmitted", "voided"):
        return str(data.get("reason") or "")
    if event == "started":
        return "reading time ran out" if data.get("by") == "reading_limit" else ""
    if event == "submitted":
        return f"by {data.get('by')}"
    if event in ("paused", "resumed") and data.get("room"):
        return "whole room"
    if event == "signed_in" and not data.get("first"):
        return "again"
    return ""


def histories(db: Session, staff: StaffUser, sitting_id: int) -> dict[int, list[HistoryLine]]:
    """For the printed register: each attempt's pauses, breaks, time added (with reasons),
    refused sign-ins, re-admissions and the rest, from the journal, by attempt id."""
    sitting = get_sitting(db, staff, sitting_id)
    out: dict[int, list[HistoryLine]] = {}
    for entry in journal.entries(db, sitting.id):
        kind, _, ident = entry.chain.partition(":")
        if kind != "attempt" or entry.event not in HISTORY_EVENTS:
            continue
        by = entry.actor.split(":", 1)[-1] if entry.actor.startswith("invigilator:") else ""
        line = HistoryLine(
            entry.at, HISTORY_EVENTS[entry.event], _detail(entry.event, entry.data), by
        )
        out.setdefault(int(ident), []).append(line)
    return out


def readmit(
    db: Session,
    staff: StaffUser,
    sitting_id: int,
    candidate_number: str,
    reason: str,
    now: datetime,
    *,
    next_sign_in: bool = False,
) -> None:
    """Let a candidate carry on on another computer: the device holding the paper is signed out
    at once, and the paper is kept for the computer whose sign-in was refused (if none was, or
    with `next_sign_in`, for the candidate's next sign-in on any computer)."""
    attempt = _attempt(db, staff, sitting_id, candidate_number)
    lifecycle.readmit(
        db, attempt, now, actor=actor(staff), reason=reason, next_sign_in=next_sign_in
    )


def void(
    db: Session,
    staff: StaffUser,
    sitting_id: int,
    candidate_number: str,
    reason: str,
    now: datetime,
) -> None:
    """Void an attempt (e.g. malpractice): it stops, and any result is kept but no longer counts.
    Malpractice may come to light after the session closed: a void is taken then too."""
    attempt = _attempt(db, staff, sitting_id, candidate_number, while_open=False)
    lifecycle.void(db, attempt, now, actor=actor(staff), reason=reason)


@dataclass(frozen=True)
class IncidentView:
    incident: Incident
    candidate_number: str | None
    recorded_by: str


def incidents(db: Session, staff: StaffUser, sitting_id: int) -> list[IncidentView]:
    """The session's incidents in the order they were recorded."""
    return incidents_of(db, get_sitting(db, staff, sitting_id))


def incidents_of(db: Session, sitting: Sitting) -> list[IncidentView]:
    """A sitting's incidents in order (the awarding body's console reads any centre's)."""
    rows = records.incidents_at(db, sitting.centre_id, sitting.id)
    return [IncidentView(i, number, username) for i, number, username in rows]
