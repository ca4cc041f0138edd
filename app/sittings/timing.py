"""The candidate's clock, kept by the server: duration x (1 + extra time) + time added, paused time
excluded. Pure functions of an attempt and 'now'."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Protocol

from app.sittings.models import Attempt
from app.sittings.status import FINISHED, AttemptStatus

# Saves already in flight when the clock reaches zero are still taken for this long (the contract
# allows up to 30 s; a short grace lets "timeout" show everywhere almost at once).
GRACE = timedelta(seconds=5)


class Clocked(Protocol):
    """What the clock reads of an attempt: an Attempt, or the heartbeat's plain row of it."""

    @property
    def status(self) -> str: ...
    @property
    def allowed_seconds(self) -> int: ...
    @property
    def paused_seconds(self) -> int: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def paused_at(self) -> datetime | None: ...
    @property
    def deadline_at(self) -> datetime | None: ...


def allowed_seconds(duration_minutes: int, extra_time_percent: int) -> int:
    return math.ceil(duration_minutes * 60 * (100 + extra_time_percent) / 100)


def running_deadline(attempt: Clocked) -> datetime | None:
    if attempt.started_at is None or attempt.status != AttemptStatus.IN_PROGRESS:
        return None
    return attempt.started_at + timedelta(seconds=attempt.allowed_seconds + attempt.paused_seconds)


def remaining_seconds(attempt: Clocked, now: datetime) -> int:
    if attempt.status in FINISHED:  # submitted or voided: no time is left to anyone
        return 0
    if attempt.started_at is None:
        return attempt.allowed_seconds
    until = (
        attempt.paused_at if attempt.status == AttemptStatus.PAUSED and attempt.paused_at else now
    )
    used = (until - attempt.started_at).total_seconds() - attempt.paused_seconds
    return max(0, math.ceil(attempt.allowed_seconds - used))


def shown_deadline(attempt: Clocked, now: datetime) -> datetime | None:
    """When time runs out: fixed while running; while paused, if resumed now."""
    if attempt.status == AttemptStatus.IN_PROGRESS:
        return attempt.deadline_at
    if attempt.status == AttemptStatus.PAUSED:
        return now + timedelta(seconds=remaining_seconds(attempt, now))
    return None


# The clock's side of lifecycle's transitions (which alone set the status, then call these).


def started(attempt: Attempt, now: datetime) -> None:
    attempt.started_at = now
    attempt.deadline_at = running_deadline(attempt)


def paused(attempt: Attempt, now: datetime) -> None:
    attempt.paused_at, attempt.deadline_at = now, None


def resumed(attempt: Attempt, now: datetime) -> None:
    assert attempt.paused_at is not None
    attempt.paused_seconds += math.ceil((now - attempt.paused_at).total_seconds())
    attempt.paused_at = None
    attempt.deadline_at = running_deadline(attempt)


def add_time(attempt: Attempt, seconds: int) -> None:
    attempt.allowed_seconds += seconds
    attempt.deadline_at = running_deadline(attempt)


def expired(attempt: Clocked, now: datetime, grace: timedelta = timedelta(0)) -> bool:
    return (
        attempt.status == AttemptStatus.IN_PROGRESS
        and attempt.deadline_at is not None
        and now > attempt.deadline_at + grace
    )


class Reading(Protocol):
    """What says whether the reading time is over: an Attempt, or a plain row of it."""

    @property
    def status(self) -> str: ...
    @property
    def reading_until(self) -> datetime | None: ...


def reading_over(attempt: Reading, now: datetime) -> bool:
    """Signed in and still on the instructions when the session's reading limit ran out."""
    return (
        attempt.status == AttemptStatus.NOT_STARTED
        and attempt.reading_until is not None
        and now >= attempt.reading_until
    )


def break_seconds(attempt: Attempt, now: datetime) -> int:
    """How long the rest break under way has lasted (whole seconds, rounded up)."""
    assert attempt.break_started_at is not None
    return math.ceil((now - attempt.break_started_at).total_seconds())


WARNING_MINUTES = (30, 10, 5, 1)


def warnings(allowed_seconds: int) -> list[int]:
    """The times (in minutes left) at which a candidate is told how long is left: only those
    within the last quarter of the time allowed, so a short paper is not told "5 minutes
    left" a minute after it began."""
    return [m for m in WARNING_MINUTES if m * 60 * 4 <= allowed_seconds]
