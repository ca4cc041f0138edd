"""The candidate's clock, kept by the server: duration x (1 + extra time) + time added, paused time
excluded. Pure functions of an attempt and 'now'."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from app.sittings.models import Attempt

# Saves already in flight when the clock reaches zero are still taken for this long (the contract
# allows up to 30 s; a short grace lets "timeout" show everywhere almost at once).
GRACE = timedelta(seconds=5)


def allowed_seconds(duration_minutes: int, extra_time_percent: int) -> int:
    return math.ceil(duration_minutes * 60 * (100 + extra_time_percent) / 100)


def running_deadline(attempt: Attempt) -> datetime | None:
    if attempt.started_at is None or attempt.status != "in_progress":
        return None
    return attempt.started_at + timedelta(seconds=attempt.allowed_seconds + attempt.paused_seconds)


def remaining_seconds(attempt: Attempt, now: datetime) -> int:
    if attempt.status == "submitted":
        return 0
    if attempt.started_at is None:
        return attempt.allowed_seconds
    until = attempt.paused_at if attempt.status == "paused" and attempt.paused_at else now
    used = (until - attempt.started_at).total_seconds() - attempt.paused_seconds
    return max(0, math.ceil(attempt.allowed_seconds - used))


def shown_deadline(attempt: Attempt, now: datetime) -> datetime | None:
    """When time runs out: fixed while running; while paused, if resumed now."""
    if attempt.status == "in_progress":
        return attempt.deadline_at
    if attempt.status == "paused":
        return now + timedelta(seconds=remaining_seconds(attempt, now))
    return None


def start(attempt: Attempt, now: datetime) -> None:
    attempt.started_at = now
    attempt.status, attempt.reading_until = "in_progress", None
    attempt.deadline_at = running_deadline(attempt)


def reading_over(attempt: Attempt, now: datetime) -> bool:
    """Signed in and still on the instructions when the session's reading limit ran out."""
    return (
        attempt.status == "not_started"
        and attempt.reading_until is not None
        and now >= attempt.reading_until
    )


def pause(attempt: Attempt, now: datetime) -> None:
    attempt.status, attempt.paused_at, attempt.deadline_at = "paused", now, None


def resume(attempt: Attempt, now: datetime) -> None:
    assert attempt.paused_at is not None
    attempt.paused_seconds += math.ceil((now - attempt.paused_at).total_seconds())
    attempt.status, attempt.paused_at = "in_progress", None
    attempt.deadline_at = running_deadline(attempt)


def start_break(attempt: Attempt, now: datetime) -> None:
    pause(attempt, now)
    attempt.break_started_at = now


def end_break(attempt: Attempt, now: datetime) -> int:
    """End a rest break (and the pause it is); returns its length in seconds."""
    assert attempt.break_started_at is not None
    seconds = math.ceil((now - attempt.break_started_at).total_seconds())
    attempt.rest_break_seconds += seconds
    attempt.break_started_at = None
    if attempt.status == "paused":
        resume(attempt, now)
    return seconds


WARNING_MINUTES = (30, 10, 5, 1)


def warnings(allowed_seconds: int) -> list[int]:
    """The times (in minutes left) at which a candidate is told how long is left: only those
    within the last quarter of the time allowed, so a short paper is not told "5 minutes
    left" a minute after it began."""
    return [m for m in WARNING_MINUTES if m * 60 * 4 <= allowed_seconds]


def add_time(attempt: Attempt, seconds: int) -> None:
    attempt.allowed_seconds += seconds
    attempt.deadline_at = running_deadline(attempt)


def expired(attempt: Attempt, now: datetime, grace: timedelta = timedelta(0)) -> bool:
    return (
        attempt.status == "in_progress"
        and attempt.deadline_at is not None
        and now > attempt.deadline_at + grace
    )
