"""The candidate sign-in's throttle rules: only failures are counted, exactly, per key."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from app.auth import throttle
from app.auth.models import LoginThrottle
from app.clock import MovableClock
from app.errors import Throttled

LIMIT = throttle.Limit("device:10.0.0.1:abc", failures=3, window_seconds=600, lockout_seconds=60)


def test_a_right_guess_writes_nothing(db: Session, clock: MovableClock) -> None:
    now = clock.now()
    assert throttle.refuse_locked(now, throttle.read(db, LIMIT.key)) == {}
    assert db.get(LoginThrottle, LIMIT.key) is None


def test_the_limit_th_failure_is_answered_and_locks_the_key(
    db: Session, clock: MovableClock
) -> None:
    now = clock.now()
    for _ in range(LIMIT.failures):
        throttle.refuse_locked(
            now, throttle.read(db, LIMIT.key)
        )  # not locked: each guess is checked
        throttle.fail(db, now, LIMIT)
    row = db.get(LoginThrottle, LIMIT.key)
    assert row is not None and row.failures == 3
    with pytest.raises(Throttled) as refused:
        throttle.refuse_locked(now, throttle.read(db, LIMIT.key))
    assert refused.value.headers["Retry-After"] == "60"
    # 59 s later still locked, 60 s later open again (exact, not rounded).
    with pytest.raises(Throttled):
        throttle.refuse_locked(now + timedelta(seconds=59), throttle.read(db, LIMIT.key))
    assert (
        throttle.refuse_locked(now + timedelta(seconds=60), throttle.read(db, LIMIT.key))[
            LIMIT.key
        ].failures
        == 3
    )


def test_a_guess_that_finds_the_key_spent_is_refused_not_answered(
    db: Session, clock: MovableClock
) -> None:
    """Concurrent guesses all read the key open; under its row lock, those past the limit are
    refused (429) instead of being told whether their code was right."""
    now = clock.now()
    for _ in range(LIMIT.failures):
        throttle.fail(db, now, LIMIT)
    with pytest.raises(Throttled):
        throttle.fail(db, now, LIMIT)
    row = db.get(LoginThrottle, LIMIT.key)
    assert row is not None and row.failures == 3  # the refused guess is not counted again


def test_after_the_lockout_within_the_window_one_more_guess_locks_again(
    db: Session, clock: MovableClock
) -> None:
    now = clock.now()
    for _ in range(LIMIT.failures):
        throttle.fail(db, now, LIMIT)
    later = now + timedelta(seconds=61)  # lockout over, window (600 s) not
    with pytest.raises(Throttled):
        throttle.fail(db, later, LIMIT)
    with pytest.raises(Throttled):
        throttle.refuse_locked(later, throttle.read(db, LIMIT.key))


def test_a_new_window_starts_the_count_again(db: Session, clock: MovableClock) -> None:
    now = clock.now()
    throttle.fail(db, now, LIMIT)
    throttle.fail(db, now, LIMIT)
    fresh = now + timedelta(seconds=600)
    throttle.fail(db, fresh, LIMIT)
    row = db.get(LoginThrottle, LIMIT.key)
    assert row is not None and row.failures == 1 and row.locked_until is None
    throttle.fail(db, fresh, LIMIT)  # room left in the new window: answered, not refused
