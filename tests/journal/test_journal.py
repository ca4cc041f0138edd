"""The journal: every change recorded, tamper-evident, and enough to replay an attempt's answers."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from app.db import Bare, transaction
from app.journal import service as journal
from app.journal.models import JournalEntry, JournalHead
from tests.sittings.conftest import Room, code
from tests.statements import statements

_HEADS = cast(Table, JournalHead.__table__)


def run_a_sitting(room: Room) -> dict[str, object]:
    session = room.open_session(["N001", "N002"])
    csrf, attempt_id = room.sign_in("N001", code(session, "N001"))
    first = room.attempt()["items"][0]["options"]
    room.answer(csrf, 1, first[0]["id"], 1)
    room.answer(csrf, 1, first[0]["id"], 1)  # a replay: acknowledged, not journalled twice
    room.client.put(
        "/api/v1/attempt/flags/2", json={"flagged": True}, headers={"X-CSRF-Token": csrf}
    )
    room.client.cookies.clear()
    staff = room.invigilate()
    room.act(staff, session["id"], "candidates/N001/pause")
    room.act(staff, session["id"], "candidates/N001/resume")
    room.act(staff, session["id"], "candidates/N001/extra-time", {"minutes": 5})
    room.act(
        staff,
        session["id"],
        "incidents",
        {"candidate_number": "N001", "note": "Dropped pen", "category": "disturbance"},
    )
    room.act(staff, session["id"], "close")
    return {"session": session, "attempt_id": attempt_id}


def test_every_change_is_journalled_with_its_actor(room: Room, db: Session) -> None:
    ran = run_a_sitting(room)
    session_id = ran["session"]["id"]  # type: ignore[index]
    events = [(e.chain.split(":")[0], e.event, e.actor) for e in journal.entries(db, session_id)]
    kinds = [event for _, event, _ in events]
    assert kinds.count("paper_built") == 2 and kinds.count("answer_saved") == 1
    for expected in (
        "session_scheduled",
        "session_started",
        "signed_in",
        "flagged",
        "paused",
        "resumed",
        "time_added",
        "incident",
        "submitted",
        "marked",
        "session_closed",
    ):
        assert expected in kinds, expected
    actors = {event: actor for _, event, actor in events}
    assert actors["session_scheduled"] == "awarding-body:ab"
    assert actors["paused"] == "invigilator:C0042/ann"
    assert actors["answer_saved"] == "candidate"
    assert actors["submitted"] == "invigilator:C0042/ann"
    assert journal.verify(db, session_id)[1] == []


def test_the_awarding_body_fetches_a_verified_journal(room: Room) -> None:
    ran = run_a_sitting(room)
    session_id = ran["session"]["id"]  # type: ignore[index]
    response = room.client.get(f"/api/v1/sessions/{session_id}/journal", headers=room.admin())
    assert response.status_code == 200
    body = response.json()
    assert body["verified"] is True and body["problems"] == []
    assert body["entries"][0]["event"] == "session_scheduled"
    assert room.client.get(f"/api/v1/sessions/{session_id}/journal").status_code == 403  # staff
    room.client.cookies.clear()
    assert room.client.get(f"/api/v1/sessions/{session_id}/journal").status_code == 401
    assert (
        room.client.get("/api/v1/sessions/987654/journal", headers=room.admin()).status_code == 404
    )


def test_an_edit_is_detected(room: Room, db: Session) -> None:
    session_id = run_a_sitting(room)["session"]["id"]  # type: ignore[index]
    db.execute(
        update(JournalEntry)
        .where(JournalEntry.event == "answer_saved")
        .values(data={"position": 1, "option_id": "zzzz", "seq": 1})
    )
    breaches = journal.verify(db, session_id)[1]
    assert any("edited" in str(b) for b in breaches)


def test_a_deletion_in_the_middle_or_at_the_end_is_detected(room: Room, db: Session) -> None:
    session_id = run_a_sitting(room)["session"]["id"]  # type: ignore[index]
    db.execute(delete(JournalEntry).where(JournalEntry.event == "flagged"))
    assert any(
        "missing" in str(b) or "does not follow" in str(b)
        for b in journal.verify(db, session_id)[1]
    )


def test_removing_the_last_entry_is_detected(room: Room, db: Session) -> None:
    session_id = run_a_sitting(room)["session"]["id"]  # type: ignore[index]
    last = db.scalar(select(JournalEntry).where(JournalEntry.event == "session_closed"))
    assert last is not None
    db.delete(last)
    db.flush()
    assert any("head says" in str(b) for b in journal.verify(db, session_id)[1])


def test_answers_at_any_moment_are_rebuilt_from_the_journal_alone(room: Room, db: Session) -> None:
    session = room.open_session(["N001"])
    csrf, attempt_id = room.sign_in("N001", code(session, "N001"))
    items = room.attempt()["items"]
    rng = random.Random(7)
    snapshots: list[tuple[datetime, dict[int, str | None]]] = []
    for seq in range(1, 41):
        room.clock.advance(seconds=rng.randint(1, 20))
        q = rng.choice(items)
        choice = rng.choice([None, *[o["id"] for o in q["options"]]])
        assert room.answer(csrf, q["position"], choice, seq).status_code == 200
        if rng.random() < 0.3:  # a stale retry that must change nothing
            room.answer(csrf, q["position"], q["options"][0]["id"], seq - 1)
        state = {
            i["position"]: i["answer"] for i in room.attempt()["items"] if i["answer"] is not None
        }
        snapshots.append((room.clock.now(), state))
    chain = list(
        db.scalars(
            select(JournalEntry).where(JournalEntry.chain == journal.attempt_chain(attempt_id))
        )
    )
    for moment, state in snapshots:
        replayed = {p: a for p, a in journal.answers_at(chain, moment).items() if a is not None}
        assert replayed == state


def test_an_append_given_a_stale_head_reads_the_head_under_its_lock_instead(db: Session) -> None:
    """The hot paths pass the head they read with the attempt's row; an append that came in
    between is not overwritten: the head moves only from the seq given, else the append takes
    the locking path and the chain stays whole."""
    at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    chain = "attempt:999999"
    first = journal.append(db, chain, None, at, "test", "one", {})
    stale = journal.Head(1, first)
    second = journal.append(db, chain, None, at, "test", "two", {}, head=stale)  # fresh: used
    third = journal.append(db, chain, None, at, "test", "three", {}, head=stale)  # stale
    entries = journal.chain_entries(db, chain)
    assert [(e.seq, e.event, e.prev_hash) for e in entries] == [
        (1, "one", journal.GENESIS),
        (2, "two", first),
        (3, "three", second),
    ]
    assert entries[-1].hash == third
    db.rollback()


def test_a_write_and_its_entry_go_together_or_not_at_all(db: Session) -> None:
    """append_after: the entry is appended only when the write changed a row (on PostgreSQL
    in the write's own statement), from the head the caller read, or, if another append came
    between, from the head read under its lock; a write that changes nothing journals nothing."""
    at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    chain, other = "attempt:999998", "attempt:999997"
    journal.append(db, other, None, at, "test", "other", {})  # the row the writes change
    first = journal.append(db, chain, None, at, "test", "one", {})
    write = (
        update(_HEADS)
        .where(_HEADS.c.chain == bindparam("target"))
        .values(hash=bindparam("new_hash"))
    )
    fresh = journal.Head(1, first)

    def after(target: str, label: str, head: journal.Head) -> bool:
        params = {"target": target, "new_hash": label * 64}
        entry = journal.Entry(chain, None, at, "test", label, {})
        return journal.append_after(db, write, params, entry, head=head)

    assert after(other, "a", fresh) is True  # the head as read: used
    assert after(other, "b", fresh) is True  # stale: the locking path
    assert after("attempt:nowhere", "c", fresh) is False  # changed nothing: nothing journalled
    head = db.scalar(select(JournalHead).where(JournalHead.chain == other))
    assert head is not None and head.hash == "b" * 64
    entries = journal.chain_entries(db, chain)
    assert [(e.seq, e.event) for e in entries] == [(1, "one"), (2, "a"), (3, "b")]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    db.rollback()


def test_a_sessions_next_append_starts_from_the_head_its_last_one_left(db: Session) -> None:
    """In a Session, an append knows the head the previous one on its chain left: no locking
    read of the head (a first sign-in journals twice), and the chain is the same as read."""
    at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    chain = "attempt:999996"
    with statements(db.connection().engine) as sent:
        hashes = [journal.append(db, chain, None, at, "test", name, {}) for name in "abc"]
    reads = [s for s in sent if s.lstrip().upper().startswith("SELECT") and "journal_heads" in s]
    assert len(reads) == 1  # the first append's: a chain not seen before
    entries = journal.chain_entries(db, chain)
    assert [(e.seq, e.hash) for e in entries] == [(1, hashes[0]), (2, hashes[1]), (3, hashes[2])]
    assert [e.prev_hash for e in entries] == [journal.GENESIS, *hashes[:2]]
    db.rollback()


def test_a_head_known_from_a_rolled_back_append_is_never_taken_for_the_one_now_there(
    db: Session,
) -> None:
    """A head the Session knows from an append that was rolled back (a savepoint) has the seq
    that a later append elsewhere gives the chain, but not its hash: the move checks both, so
    the next append reads the head under its lock and links to the real one."""
    at = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    chain = "attempt:999995"
    journal.append(db, chain, None, at, "test", "one", {})
    savepoint = db.begin_nested()
    journal.append(db, chain, None, at, "test", "rolled back", {})  # known: (2, its hash)
    savepoint.rollback()
    # Another writer (here a bare connection, which keeps no heads) takes seq 2.
    real = journal.append(Bare(db.connection()), chain, None, at, "test", "two", {})
    third = journal.append(db, chain, None, at, "test", "three", {})
    entries = journal.chain_entries(db, chain)
    assert [(e.seq, e.event) for e in entries] == [(1, "one"), (2, "two"), (3, "three")]
    assert entries[2].prev_hash == real and entries[2].hash == third
    assert third == journal.digest(chain, 3, at, "test", "three", {}, real)
    db.rollback()


def test_a_first_sign_in_journals_from_the_head_read_with_its_attempt(room: Room) -> None:
    """A first sign-in journals twice (signed in, started), both from the head its lookup
    read with the attempt's row: the journal's head is never read again, and the chain links."""
    session = room.open_session(["N001"])
    engine = room.client.app.state.engine  # type: ignore[attr-defined]
    with statements(engine) as sent:
        _, attempt_id = room.sign_in("N001", code(session, "N001"))
    assert [s for s in sent if s.lstrip().upper().startswith("SELECT journal_heads")] == []
    with transaction(room.client.app.state.sessionmaker, write=False) as db:  # type: ignore[attr-defined]
        entries = journal.chain_entries(db, journal.attempt_chain(attempt_id))
    assert [e.event for e in entries[-2:]] == ["signed_in", "started"]
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
