"""Time the service itself was down is given back to every candidate whose clock ran.

Every worker of every instance beats (writes the time into one row) every few seconds. When a
beat finds the last one older than DOWN_AFTER, nothing was serving in between: each attempt
that was running then gets the whole gap back (rounded up, in the candidate's favour),
journalled, and shown on the register as time credited. A worker's first beat runs before it
serves anything, so no request or sweep can time an attempt out on time it never had.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.sittings import lifecycle, repository
from app.sittings.models import Attempt, ServiceBeat
from app.sittings.status import AttemptStatus

BEAT_EVERY = timedelta(seconds=5)
# Longer than a beat interval plus a slow round: a gap this long means nothing was serving.
DOWN_AFTER = timedelta(seconds=20)


def beat(db: Session, now: datetime, down_after: timedelta = DOWN_AFTER) -> int:
    """Record that the service is up; credit any downtime (a gap longer than `down_after`,
    never when that is zero) since the last beat. Returns how many attempts were credited."""
    row = repository.last_beat(db)
    if row is None:
        db.add(ServiceBeat(id=1, beat_at=now))
        db.flush()
        return 0
    down_since, gap = row.beat_at, now - row.beat_at
    row.beat_at = max(row.beat_at, now)
    if not down_after or gap <= down_after:
        return 0
    seconds = math.ceil(gap.total_seconds())
    credited = 0
    running = lifecycle.lock_all(
        db, Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.deadline_at > down_since
    )
    for attempt in running:
        reason = f"the service was down from {down_since.isoformat()} for {seconds} s"
        credited += lifecycle.credit(db, attempt, now, seconds=seconds, reason=reason)
    return credited
