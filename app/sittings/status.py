"""The named states of a sitting and of an attempt. `lifecycle` is the one owner of the
attempt's transitions; everything else reads these names (templates and scripts included,
through the Jinja globals and the values the API gives)."""

from __future__ import annotations

from enum import StrEnum


class SittingStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class AttemptStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"
    VOIDED = "voided"


UNDER_WAY = frozenset({AttemptStatus.IN_PROGRESS, AttemptStatus.PAUSED})
FINISHED = frozenset({AttemptStatus.SUBMITTED, AttemptStatus.VOIDED})


class SubmittedBy(StrEnum):
    CANDIDATE = "candidate"
    TIMEOUT = "timeout"
    INVIGILATOR = "invigilator"
