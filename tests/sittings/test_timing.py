"""The clock's pure rules (app.sittings.timing), on plain rows: no database, no app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from app.sittings import timing
from app.sittings.status import AttemptStatus

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@dataclass
class Row:
    status: str
    allowed_seconds: int = 3600
    paused_seconds: int = 0
    started_at: datetime | None = START
    paused_at: datetime | None = None
    deadline_at: datetime | None = None


@pytest.mark.parametrize(
    ("minutes", "percent", "seconds"),
    [
        (45, 0, 2700),
        (45, 25, 3375),  # exact
        (1, 7, 65),  # 64.2 s: a part of a second is given, never taken away
        (60, 33, 4788),
    ],
)
def test_allowed_time_rounds_up_to_the_second(minutes: int, percent: int, seconds: int) -> None:
    assert timing.allowed_seconds(minutes, percent) == seconds


def test_remaining_time_while_running_counts_a_started_second_as_left() -> None:
    row = Row(AttemptStatus.IN_PROGRESS)
    assert timing.remaining_seconds(row, START) == 3600
    assert timing.remaining_seconds(row, START + timedelta(milliseconds=400)) == 3600
    assert timing.remaining_seconds(row, START + timedelta(seconds=1)) == 3599
    assert timing.remaining_seconds(row, START + timedelta(hours=2)) == 0  # never negative


def test_a_pause_stops_the_clock_where_it_was() -> None:
    paused = Row(AttemptStatus.PAUSED, paused_seconds=60, paused_at=START + timedelta(minutes=10))
    later = START + timedelta(minutes=50)
    assert timing.remaining_seconds(paused, later) == 3600 - 540
    assert timing.shown_deadline(paused, later) == later + timedelta(seconds=3060)


@pytest.mark.parametrize("status", [AttemptStatus.SUBMITTED, AttemptStatus.VOIDED])
def test_a_finished_paper_has_no_time_left(status: AttemptStatus) -> None:
    """A voided paper showed its clock still counting down (a new user's trial: 1,201 s left
    and no deadline): nobody may use that time."""
    row = Row(status)
    assert timing.remaining_seconds(row, START + timedelta(minutes=5)) == 0
    assert timing.shown_deadline(row, START + timedelta(minutes=5)) is None


def test_a_paper_not_started_has_all_its_time() -> None:
    row = Row(AttemptStatus.NOT_STARTED, allowed_seconds=4500, started_at=None)
    assert timing.remaining_seconds(row, START + timedelta(days=1)) == 4500
