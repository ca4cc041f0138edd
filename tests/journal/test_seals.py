"""What `journal verify` proves: the attacks of issue 10, each against the database directly.

Hash chains alone catch an edited entry; these need more: an edited score or stored answer
(caught by recomputing from the journal), a chain rewritten with fresh hashes, deleted or cut
short (caught by the seals, keyed outside the database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.journal import audit, seals
from app.journal import service as journal
from app.journal.models import JournalEntry, JournalHead, JournalSeal
from app.marking.models import Result
from app.sittings.models import PaperItem
from tests.conftest import make_settings
from tests.journal.test_journal import run_a_sitting
from tests.sittings.conftest import Room

KEY = seals.key_of(make_settings("sqlite://"))


def sat_and_sealed(room: Room, db: Session) -> dict[str, Any]:
    ran = run_a_sitting(room)
    assert seals.seal(db, KEY, room.clock.now()) is not None
    assert audit.verify(db, KEY)[1] == []  # intact to begin with
    return ran


def problems(db: Session) -> str:
    return "\n".join(str(b) for b in audit.verify(db, KEY)[1])


def test_an_edited_score_is_caught_by_recomputing_the_result(room: Room, db: Session) -> None:
    ran = sat_and_sealed(room, db)
    db.execute(update(Result).where(Result.attempt_id == ran["attempt_id"]).values(score=19))
    assert journal.verify(db)[1] == []  # the chains alone see nothing
    assert "does not follow from the journalled answers" in problems(db)


def test_an_edited_stored_answer_is_caught(room: Room, db: Session) -> None:
    ran = sat_and_sealed(room, db)
    line = db.scalar(
        select(PaperItem).where(
            PaperItem.attempt_id == ran["attempt_id"], PaperItem.answer.is_not(None)
        )
    )
    assert line is not None
    other = next(o for o in line.option_order if o != line.answer)
    db.execute(update(PaperItem).where(PaperItem.id == line.id).values(answer=other))
    assert f"question {line.position}: stored answer {other!r}" in problems(db)


def _rewrite(db: Session, chain: str, change: Any) -> None:
    """What an attacker with database access does: change entries and recompute every hash
    from there on, and the head, so that the chain verifies again."""
    entries = list(
        db.scalars(
            select(JournalEntry).where(JournalEntry.chain == chain).order_by(JournalEntry.seq)
        )
    )
    prev = journal.GENESIS
    for entry in entries:
        change(entry)
        entry.prev_hash = prev
        entry.hash = journal.digest(
            chain, entry.seq, entry.at, entry.actor, entry.event, dict(entry.data), prev
        )
        prev = entry.hash
    db.execute(update(JournalHead).where(JournalHead.chain == chain).values(hash=prev))
    db.flush()


def test_a_history_rewritten_with_fresh_hashes_is_caught_by_the_seals(
    room: Room, db: Session
) -> None:
    ran = sat_and_sealed(room, db)
    chain = journal.attempt_chain(ran["attempt_id"])

    def no_pause(entry: JournalEntry) -> None:
        if entry.event == "paused":
            entry.actor = "system"  # "the pause was the system's doing, not the invigilator's"

    _rewrite(db, chain, no_pause)
    assert journal.verify(db)[1] == []  # the chains verify again
    assert "history rewritten" in problems(db)


def test_a_deleted_chain_is_caught(room: Room, db: Session) -> None:
    ran = sat_and_sealed(room, db)
    chain = journal.attempt_chain(ran["attempt_id"])
    db.execute(delete(JournalEntry).where(JournalEntry.chain == chain))
    db.execute(delete(JournalHead).where(JournalHead.chain == chain))
    found = problems(db)
    assert f"{chain} #" in found and "that entry is gone" in found


def test_a_truncated_chain_is_caught(room: Room, db: Session) -> None:
    ran = sat_and_sealed(room, db)
    chain = journal.attempt_chain(ran["attempt_id"])
    head = db.get(JournalHead, chain)
    assert head is not None
    keep = head.seq - 3
    last = db.scalar(
        select(JournalEntry).where(JournalEntry.chain == chain, JournalEntry.seq == keep)
    )
    assert last is not None
    db.execute(delete(JournalEntry).where(JournalEntry.chain == chain, JournalEntry.seq > keep))
    db.execute(
        update(JournalHead).where(JournalHead.chain == chain).values(seq=keep, hash=last.hash)
    )
    assert journal.verify(db)[1] == []  # a consistent, shorter chain
    assert "that entry is gone" in problems(db)


def test_a_seal_forged_without_the_key_is_caught(room: Room, db: Session) -> None:
    sat_and_sealed(room, db)
    seal = db.scalar(select(JournalSeal).order_by(JournalSeal.id.desc()))
    assert seal is not None
    forged = seals.mac_of(
        b"a guess", prev_mac=seal.prev_mac, sealed_at=seal.sealed_at, heads=seal.heads
    )
    db.execute(update(JournalSeal).where(JournalSeal.id == seal.id).values(mac=forged))
    assert "forged" in problems(db)


def test_seals_cover_only_what_moved_and_chain_to_each_other(room: Room, db: Session) -> None:
    ran = sat_and_sealed(room, db)
    assert seals.seal(db, KEY, room.clock.now()) is None  # nothing moved since
    session = room.open_session(["N003"])
    second = seals.seal(db, KEY, room.clock.now())
    assert second is not None
    assert journal.sitting_chain(session["id"]) in second.heads
    assert journal.attempt_chain(ran["attempt_id"]) not in second.heads  # it did not move
    first = db.scalar(
        select(JournalSeal).where(JournalSeal.id < second.id).order_by(JournalSeal.id.desc())
    )
    assert first is not None and second.prev_mac == first.mac
    assert audit.verify(db, KEY)[1] == []
