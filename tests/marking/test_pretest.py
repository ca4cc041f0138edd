"""Pretest items end to end: built by the real assembler when a sitting is scheduled, answered
through the candidate API, marked by the real submit path, re-derived by the journal audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.clock import MovableClock
from app.journal import audit
from app.journal import service as journal
from app.marking.models import Result
from app.sittings import scheduling
from app.sittings.models import Attempt, PaperItem, Sitting
from tests.papers.pretest_bank import PREFIX, with_pretest
from tests.sittings.conftest import Room, code, make_room

PER_PAPER = 3
SCORED = 15  # F/503/0358's test spec


@pytest.fixture
def room(client: TestClient, db: Session, clock: MovableClock, tmp_path: Path) -> Room:
    return make_room(client, db, clock, tmp_path, edit=with_pretest(12, PER_PAPER))


def lines(db: Session, attempt_id: int) -> list[tuple[int, bool, str, str]]:
    """(position, pretest, item id, key) of each position of the paper."""
    rows = db.execute(
        select(PaperItem.position, PaperItem.pretest, Item.external_id, ItemVersion.key)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(PaperItem.attempt_id == attempt_id)
        .order_by(PaperItem.position)
    )
    return [(p, bool(t), i, k) for p, t, i, k in rows]


def sit(room: Room, db: Session, session: dict[str, Any], number: str, right: str) -> Any:
    """Answer every question, right where `right` says ("pretest", "scored", "all"), wrong
    elsewhere; submit; the result from the feed and the attempt's id."""
    room.client.cookies.clear()
    csrf, attempt_id = room.sign_in(number, code(session, number))
    paper = {p: (pretest, key) for p, pretest, _, key in lines(db, attempt_id)}
    for question in room.attempt()["items"]:
        pretest, key = paper[question["position"]]
        wanted = right == "all" or (right == "pretest") == pretest
        wrong = next(o["id"] for o in question["options"] if o["id"] != key)
        saved = room.answer(csrf, question["position"], key if wanted else wrong, 1)
        assert saved.status_code == 200, saved.text
    submitted = room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    assert submitted.status_code == 200
    room.client.cookies.clear()
    result = next(r for r in room.results()["results"] if r["attempt_id"] == attempt_id)
    return result, attempt_id


def test_every_paper_carries_exactly_n_pretest_items_spread_over_the_sitting(
    room: Room, db: Session
) -> None:
    session = room.schedule(["N001", "N002", "N003", "N004"])
    attempts = db.scalars(select(Attempt.id).where(Attempt.sitting_id == session["id"])).all()
    used: list[str] = []
    for attempt_id in attempts:
        paper = lines(db, attempt_id)
        assert len(paper) == SCORED + PER_PAPER
        pretest = [item for _, unscored, item, _ in paper if unscored]
        assert len(pretest) == PER_PAPER and all(i.startswith(PREFIX) for i in pretest)
        assert not any(item.startswith(PREFIX) for _, unscored, item, _ in paper if not unscored)
        used += pretest
        built = next(
            e.data
            for e in journal.chain_entries(db, journal.attempt_chain(attempt_id))
            if e.event == "paper_built"
        )
        assert built["pretest"] == [p for p, unscored, _, _ in paper if unscored]
    # 12 pretest items, 3 a paper, 4 papers: the least exposed first, so each is used once
    assert len(set(used)) == len(used) == 12
    # the stored snapshot and seeds rebuild every paper, pretest items and all
    sitting = db.get(Sitting, session["id"])
    assert sitting is not None
    rebuilt = scheduling.rebuild(db, sitting)
    by_attempt = {a.id: n for n, a in enumerate(sitting.attempts)}
    for attempt_id in attempts:
        stored = db.scalars(
            select(PaperItem).where(PaperItem.attempt_id == attempt_id).order_by(PaperItem.position)
        ).all()
        assert [(p.item_version_id, tuple(p.option_order), p.pretest) for p in stored] == [
            (line.version_id, line.option_order, line.pretest)
            for line in rebuilt[by_attempt[attempt_id]]
        ]


def test_a_candidate_sees_no_difference(room: Room, db: Session) -> None:
    session = room.open_session(["N001"])
    room.client.cookies.clear()
    _, attempt_id = room.sign_in("N001", code(session, "N001"))
    body = room.attempt()
    paper = {p: unscored for p, unscored, _, _ in lines(db, attempt_id)}
    shapes = {
        paper[q["position"]]: (tuple(sorted(q)), tuple(sorted(o.keys()) for o in q["options"][:1]))
        for q in body["items"]
    }
    assert set(shapes) == {True, False}
    assert shapes[True] == shapes[False]  # the same members, nothing marking a pretest item
    assert "pretest" not in str(body).lower()
    # the pages: the whole paper, and a pretest question's own page beside a scored one's
    pretest_at = min(p for p, unscored in paper.items() if unscored)
    scored_at = min(p for p, unscored in paper.items() if not unscored)
    for url in ("/exam", f"/exam/q/{pretest_at}", f"/exam/q/{scored_at}"):
        page = room.client.get(url)
        assert page.status_code == 200, url
        assert "pretest" not in page.text.lower()


def test_only_pretest_items_right_scores_nothing(room: Room, db: Session) -> None:
    session = room.open_session(["N001", "N002", "N003"])
    only_pretest, a1 = sit(room, db, session, "N001", "pretest")
    assert (only_pretest["score"], only_pretest["max_score"]) == (0, SCORED)
    assert (only_pretest["percent"], only_pretest["outcome"]) == (0.0, "fail")
    assert sum(o["max_score"] for o in only_pretest["by_learning_outcome"]) == SCORED
    assert sum(o["score"] for o in only_pretest["by_learning_outcome"]) == 0
    only_scored, _ = sit(room, db, session, "N002", "scored")
    assert (only_scored["score"], only_scored["max_score"]) == (SCORED, SCORED)
    assert (only_scored["percent"], only_scored["outcome"]) == (100.0, "pass")
    everything, _ = sit(room, db, session, "N003", "all")
    assert (everything["score"], everything["max_score"]) == (SCORED, SCORED)
    # the unit's 70 % of the 15 scored items, never of the 18 on the paper
    assert (everything["pass_mark"], everything["pass_mark_percent"]) == (11, 70)
    # the result's shape is the contract's, as before
    assert set(only_pretest) == set(everything) and "pretest" not in str(only_pretest)
    # the journal re-derives every mark, pretest positions left out as built
    assert audit.audit(db, session["id"]) == []
    marked = [
        e.data for e in journal.chain_entries(db, journal.attempt_chain(a1)) if e.event == "marked"
    ]
    assert marked[-1]["score"] == 0


def test_a_pretest_flag_changed_in_the_database_shows_in_the_audit(room: Room, db: Session) -> None:
    session = room.open_session(["N001"])
    _, attempt_id = sit(room, db, session, "N001", "pretest")
    line = db.scalars(
        select(PaperItem).where(PaperItem.attempt_id == attempt_id, PaperItem.pretest.is_(True))
    ).first()
    assert line is not None
    line.pretest = False  # as if someone wanted the right pretest answer to count
    result = db.scalars(select(Result).where(Result.attempt_id == attempt_id)).one()
    result.score, result.max_score = 1, SCORED + 1
    db.flush()
    problems = [b.problem for b in audit.audit(db, session["id"])]
    assert any("pretest positions" in p for p in problems)
    assert any("does not follow" in p for p in problems)


def test_excluding_a_pretest_item_changes_no_result(room: Room, db: Session) -> None:
    session = room.open_session(["N001"])
    before, attempt_id = sit(room, db, session, "N001", "pretest")
    _, _, item_id, _ = next(line for line in lines(db, attempt_id) if line[1])
    done = room.client.post(
        f"/api/v1/items/{item_id}/versions/1/exclude",
        json={"reason": "Pretest item found faulty"},
        headers=room.admin(),
    )
    assert done.status_code == 200, done.text
    assert done.json()["remarked"] == 0
    after = next(r for r in room.results()["results"] if r["attempt_id"] == attempt_id)
    assert after == before
    assert audit.audit(db, session["id"]) == []
