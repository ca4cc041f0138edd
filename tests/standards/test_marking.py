"""A standard-set cut through scheduling, sitting, submission and marking: each paper's own raw
pass mark, fixed when it is built; units without a cut marked exactly as before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calibration import scale
from app.journal import audit
from app.journal import service as journal
from app.marking.models import Result
from app.sittings.models import Attempt, PaperItem
from app.standards import passmarks
from tests.sittings.conftest import code
from tests.standards.conftest import PATH_URN, Room, calibrate, exclude, live_versions, unit_id


def set_cut(room: Room, db: Session, probability: str = "0.6") -> dict[str, Any]:
    """An Angoff panel of one on the default reference set, signed off."""
    admin = room.admin()
    exercise = room.client.post(
        f"/api/v1/units/{PATH_URN}/standard-exercises",
        json={"method": "angoff", "title": "Panel"},
        headers=admin,
    ).json()
    base = f"/api/v1/standard-exercises/{exercise['id']}"
    judge = room.client.post(f"{base}/judges", json={"name": "Ann"}, headers=admin).json()
    probabilities = {str(i["item_version_id"]): probability for i in exercise["items"]}
    body = {"judge_id": judge["id"], "probabilities": probabilities}
    assert room.client.post(f"{base}/judgements", json=body, headers=admin).status_code == 201
    signed = room.client.post(f"{base}/sign-off", json={"rationale": "Agreed"}, headers=admin)
    assert signed.status_code == 200, signed.text
    return dict(signed.json())


def paper_marks(db: Session, session_id: int) -> dict[int, tuple[int | None, list[int]]]:
    """attempt id -> (its stored pass mark, its paper's item version ids)."""
    attempts = db.scalars(select(Attempt).where(Attempt.sitting_id == session_id)).all()
    return {
        a.id: (
            a.pass_mark,
            list(
                db.scalars(
                    select(PaperItem.item_version_id)
                    .where(PaperItem.attempt_id == a.id)
                    .order_by(PaperItem.position)
                )
            ),
        )
        for a in attempts
    }


def sit(room: Room, session: dict[str, Any], number: str, correct: int) -> dict[str, Any]:
    """Sign in, answer exactly `correct` questions right and the rest wrong, submit; the result."""
    keys = room.keys()
    room.client.cookies.clear()
    csrf, attempt_id = room.sign_in(number, code(session, number))
    for n, item in enumerate(room.attempt()["items"]):
        key = keys[item["options"][0]["id"]]
        wrong = next(o["id"] for o in item["options"] if o["id"] != key)
        saved = room.answer(csrf, item["position"], key if n < correct else wrong, 1)
        assert saved.status_code == 200, saved.text
    submitted = room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    assert submitted.status_code == 200
    room.client.cookies.clear()
    results = room.results()["results"]
    return next(r for r in results if r["attempt_id"] == attempt_id)


def test_each_paper_gets_the_raw_mark_its_own_items_give_the_cut(room: Room, db: Session) -> None:
    versions = live_versions(db)
    b = {v: (-2.0 if n % 2 else 2.0) for n, v in enumerate(versions)}
    calibrate(db, unit_id(db), b, room.clock.now())
    cut = set_cut(room, db)
    session = room.schedule(["N001", "N002", "N003", "N004", "N005", "N006"])
    marks = paper_marks(db, session["id"])
    for attempt_id, (pass_mark, items) in marks.items():
        assert pass_mark == scale.raw_cut(cut["theta"], [b[v] for v in items])
        # the journal holds what it takes to mark the paper again without an item
        built = next(
            e.data
            for e in journal.chain_entries(db, journal.attempt_chain(attempt_id))
            if e.event == "paper_built"
        )
        assert (built["pass_mark"], built["cut"], built["by"]) == (pass_mark, cut["id"], "scale")
        assert built["b"] == [b[v] for v in items]
        kept = list(range(2, len(items) + 1))
        assert passmarks.remarked_pass_mark(built, kept) == scale.raw_cut(
            cut["theta"], [b[v] for v in items[1:]]
        )
    # more easy items, never fewer marks needed
    by_easy = sorted((sum(b[v] < 0 for v in items), m) for m, items in marks.values())
    assert [m for _, m in by_easy] == sorted(m for _, m in by_easy)  # type: ignore[type-var]


def test_an_easier_paper_needs_more_marks_end_to_end(room: Room, db: Session) -> None:
    versions = live_versions(db)
    unit = unit_id(db)
    calibrate(db, unit, {v: -2.0 for v in versions}, room.clock.now())
    cut = set_cut(room, db)  # 60 % of 15 reference items at b = -2: 9 marks
    assert cut["percent"] == 60.0
    # by hand: 15 / (1 + e^-(theta + 2)) = 9  ->  theta = ln(1.5) - 2
    assert abs(cut["theta"] - (-1.594534892)) < 1e-6
    # the bank recalibrated as easier (b = -3) for one sitting, harder (b = 0) for the next
    calibrate(db, unit, {v: -3.0 for v in versions}, room.clock.now())
    easy = room.open_session(["N001", "N002"])
    calibrate(db, unit, {v: 0.0 for v in versions}, room.clock.now())
    hard = room.open_session(["N003", "N004", "N005"])
    # 15 / (1 + e^-1.4055) = 12.05 -> 13;  15 / (1 + e^1.5945) = 2.53 -> 3
    assert {m for m, _ in paper_marks(db, easy["id"]).values()} == {13}
    assert {m for m, _ in paper_marks(db, hard["id"]).values()} == {3}
    # marked by those marks, fixed when the papers were built (the bank moved since)
    passed = sit(room, easy, "N001", 13)
    assert (passed["outcome"], passed["pass_mark"], passed["pass_mark_percent"]) == ("pass", 13, 86)
    failed = sit(room, easy, "N002", 12)
    assert (failed["outcome"], failed["pass_mark"], failed["percent"]) == ("fail", 13, 80.0)
    low = sit(room, hard, "N003", 3)  # 20 %: a pass on this paper, far below the unit's 70 %
    assert (low["outcome"], low["pass_mark"], low["pass_mark_percent"]) == ("pass", 3, 20)
    assert sit(room, hard, "N004", 2)["outcome"] == "fail"
    # the journal recomputes every result, pass mark and all
    for session in (easy, hard):
        assert audit.audit(db, session["id"]) == []


def test_a_tampered_pass_mark_shows_in_the_audit(room: Room, db: Session) -> None:
    calibrate(db, unit_id(db), {v: 0.0 for v in live_versions(db)}, room.clock.now())
    set_cut(room, db)
    session = room.open_session(["N001"])
    sit(room, session, "N001", 5)
    result = db.scalars(select(Result)).one()
    result.pass_mark, result.outcome = 5, "pass"
    db.flush()
    assert audit.audit(db, session["id"]) != []


def test_a_unit_without_a_cut_is_marked_as_it_always_was(room: Room, db: Session) -> None:
    # calibrated, but no standard set: the unit's 70 % applies to every paper
    calibrate(db, unit_id(db), {v: 0.0 for v in live_versions(db)}, room.clock.now())
    session = room.open_session(["N001", "N002"])
    assert {m for m, _ in paper_marks(db, session["id"]).values()} == {None}
    passed = sit(room, session, "N001", 11)  # 73.33 % >= 70 %
    assert (passed["outcome"], passed["pass_mark_percent"], passed["pass_mark"]) == ("pass", 70, 11)
    failed = sit(room, session, "N002", 10)  # 66.67 %
    assert (failed["outcome"], failed["pass_mark_percent"]) == ("fail", 70)
    assert audit.audit(db, session["id"]) == []


def test_papers_without_enough_calibration_hold_to_the_cuts_percentage(
    room: Room, db: Session
) -> None:
    versions = live_versions(db)
    calibrate(db, unit_id(db), {v: 0.0 for v in versions}, room.clock.now())
    set_cut(room, db, "0.6")  # 60 %
    # a new calibration knows only two items: every paper is mostly unknown
    calibrate(db, unit_id(db), {v: 0.0 for v in versions[:2]}, room.clock.now())
    session = room.schedule(["N001"])
    assert {m for m, _ in paper_marks(db, session["id"]).values()} == {9}  # 60 % of 15


def test_an_exclusion_remarks_a_cut_paper_against_the_same_cut_on_its_kept_items(
    room: Room, db: Session
) -> None:
    versions = live_versions(db)
    # very easy and middling items: leaving out an easy one takes almost a whole mark away
    b = {v: (-4.0 if n % 2 else 1.0) for n, v in enumerate(versions)}
    calibrate(db, unit_id(db), b, room.clock.now())
    cut = set_cut(room, db)
    numbers = [f"N{n:03d}" for n in range(1, 7)]
    session = room.open_session(numbers)
    results = {r["attempt_id"]: r for r in (sit(room, session, n, 8) for n in numbers)}

    def moving(items: list[int], built: int | None) -> int | None:
        """A position whose item's absence moves the cut's raw mark, so that the test tells
        the same cut on the kept items from the mark the paper was built with (a paper has
        one unless all its easy items sit just so: six papers make that vanishingly rare)."""
        return next(
            (
                i
                for i in range(len(items))
                if scale.raw_cut(cut["theta"], [b[v] for v in items[:i] + items[i + 1 :]]) != built
            ),
            None,
        )

    attempt_id, built_mark, items, index = next(
        (a, mark, items, i)
        for a, (mark, items) in paper_marks(db, session["id"]).items()
        if (i := moving(items, mark)) is not None
    )
    before = results[attempt_id]
    assert (before["max_score"], before["pass_mark"]) == (len(items), built_mark)
    done = exclude(room, db, items[index])
    assert done.status_code == 200, done.text
    db.expire_all()
    result = db.scalars(select(Result).where(Result.attempt_id == attempt_id)).one()
    expected_mark = scale.raw_cut(cut["theta"], [b[v] for v in items[:index] + items[index + 1 :]])
    score = 8 - (index < 8)  # the first 8 positions were answered right
    assert (result.score, result.max_score) == (score, len(items) - 1)
    assert result.pass_mark == expected_mark  # the same cut on the kept items, not the built mark
    assert result.pass_mark_percent == 100 * expected_mark // (len(items) - 1)
    assert result.outcome == ("pass" if score >= expected_mark else "fail")
    assert audit.audit(db, session["id"]) == []
