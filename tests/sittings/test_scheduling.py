"""Scheduling: papers built up front, to the spec, reproducible, different for neighbours."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item
from app.sittings.models import PaperItem, Sitting
from app.sittings.scheduling import rebuild
from tests.sittings.conftest import Room, code


def papers(db: Session, session_id: int) -> list[list[tuple[int, tuple[str, ...]]]]:
    sitting = db.get(Sitting, session_id)
    assert sitting is not None
    out = []
    for attempt in sitting.attempts:
        rows = db.scalars(
            select(PaperItem).where(PaperItem.attempt_id == attempt.id).order_by(PaperItem.position)
        )
        out.append([(r.item_version_id, tuple(r.option_order)) for r in rows])
    return out


def test_every_paper_is_built_at_scheduling_and_rebuilds_from_its_seed(
    room: Room, db: Session
) -> None:
    session = room.schedule([f"N{n:03d}" for n in range(1, 7)])
    built = papers(db, session["id"])
    assert [len(p) for p in built] == [15] * 6
    sitting = db.get(Sitting, session["id"])
    assert sitting is not None
    rebuilt = [
        [(line.version_id, line.option_order) for line in paper] for paper in rebuild(db, sitting)
    ]
    assert rebuilt == built


def test_neighbours_papers_differ(room: Room, db: Session) -> None:
    session = room.schedule([f"N{n:03d}" for n in range(1, 7)])
    built = papers(db, session["id"])
    assert len({tuple(p) for p in built}) == 6
    assert len({tuple(v for v, _ in p) for p in built}) == 6  # not just reordered: other items


def test_exposure_is_counted(room: Room, db: Session) -> None:
    session = room.schedule([f"N{n:03d}" for n in range(1, 7)])
    used = Counter(v for p in papers(db, session["id"]) for v, _ in p)
    assert sum(i.exposure for i in db.scalars(select(Item))) == sum(used.values()) == 90


def test_bad_schedules_are_refused(room: Room) -> None:
    def post(**changes: object) -> int:
        body = {
            "centre": "C0042",
            "unit": "F/503/0358",
            "scheduled_start": "2026-06-01T09:00:00Z",
            "candidates": ["N001"],
            **changes,
        }
        return room.client.post("/api/v1/sessions", json=body, headers=room.admin()).status_code

    assert post(unit="D/601/7644") == 422  # a unit with no bank here: no test spec
    assert post(unit="Z/999/9999") == 404
    assert post(centre="NOPE") == 404
    assert post(candidates=["Y001"]) == 422  # registered at another centre
    assert post(candidates=["N001", "N001"]) == 422
    assert post(candidates=["N001", "n001"]) == 422  # one candidate, in two cases
    assert post(candidates=["NOBODY"]) == 404
    assert post(candidates=[]) == 422
    assert post(scheduled_start="2026-06-01T09:00:00") == 422  # no time zone
    assert post(scheduled_start="0001-01-01T00:00:00+14:00") == 422  # before year 1 in UTC
    assert post(scheduled_start="9999-12-31T23:59:59-14:00") == 422  # after year 9999 in UTC
    # A typing slip, not an exam (a new user's trial scheduled and started both).
    assert post(scheduled_start="9999-12-31T23:59:59Z") == 422
    assert post(scheduled_start="0001-01-01T00:00:00Z") == 422
    assert post(scheduled_start="2100-01-01T00:00:00Z") == 422
    assert post(scheduled_start="1999-12-31T23:59:59Z") == 422
    assert post(scheduled_start="2099-12-31T23:59:59Z") == 201  # the last day is a day
    assert post(duration_minutes=0) == 422
    assert post() == 201


def test_duration_override(room: Room) -> None:
    session = room.open_session(["N001"], duration_minutes=45)
    room.sign_in("N001", code(session, "N001"))
    assert room.attempt()["remaining_seconds"] == 45 * 60


def test_papers_rebuild_even_after_the_bank_and_spec_change(room: Room, db: Session) -> None:
    session = room.schedule([f"N{n:03d}" for n in range(1, 5)])
    built = papers(db, session["id"])
    for item in db.scalars(select(Item)):
        item.enemies = []  # an edited bank
    sitting = db.get(Sitting, session["id"])
    assert sitting is not None
    from app.qualifications.models import TestSpec

    for spec in db.scalars(select(TestSpec)):
        spec.items = 10  # and a changed test spec
    db.flush()
    rebuilt = [
        [(line.version_id, line.option_order) for line in paper] for paper in rebuild(db, sitting)
    ]
    assert rebuilt == built
