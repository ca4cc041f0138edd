"""Results signed before the signed payload gained `pass_mark`: their stored signatures no
longer match the results the feed shows; `examhall results re-sign` verifies each against the
bytes it was made over and signs again the ones that say exactly what the result says now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.journal import audit
from app.journal import service as journal
from app.marking import repository, resign
from app.marking.models import Result, ResultCorrection
from app.marking.service import body
from app.signing import service as signing
from tests.signing import verify
from tests.signing.test_keys_cli import database, run
from tests.signing.test_signed_results import corrections, jwks, sit
from tests.sittings.conftest import Room

__all__ = ["database"]


def sign_as_before(db: Session, result: Result, now: Any) -> str:
    """The signature a result got before `pass_mark` joined the payload."""
    payload = body(result, *repository.names(db, result)).model_dump(mode="json")
    del payload["pass_mark"]
    token, kid = signing.sign(db, payload, now)
    result.signature, result.signing_kid = token, kid
    return token


def test_differences_are_changed_or_removed_members_never_added_ones() -> None:
    assert resign.differences({"score": 3}, {"score": 3, "pass_mark": 11}) == []
    assert resign.differences({"score": 3, "x": 1}, {"score": 4}) == ["score", "x"]
    assert resign.differences({"percent": 73.33}, {"percent": 73.33}) == []


def test_old_signatures_fail_as_served_and_verify_again_once_re_signed(
    room: Room, db: Session
) -> None:
    session = room.open_session(["N001", "N002"])
    sit(room, session, "N001", 11)
    sit(room, session, "N002", 4)
    now = room.clock.now()
    results = list(db.scalars(select(Result).order_by(Result.seq)))
    old = [sign_as_before(db, r, now) for r in results]
    db.flush()
    served = room.results()["results"]
    # the problem: the JWS still verifies, but its payload is not the result as now shown
    for result in served:
        with pytest.raises(AssertionError, match="payload"):
            verify.with_joserfc(result, jwks(room))
        assert signing.verified_payload(db, result["signature"]) is not None

    report = resign.resign(db, now)
    assert (report.checked, len(report.resigned), report.refused) == (2, 2, [])
    for result in room.results()["results"]:
        verify.both(result, jwks(room))
        assert result["signature"] not in old
        assert result["pass_mark"] is not None
    for result in results:
        entries = journal.chain_entries(db, journal.attempt_chain(result.attempt_id))
        resigned = [e.data for e in entries if e.event == resign.RESIGNED]
        assert [r["added"] for r in resigned] == [["pass_mark"]]
    assert audit.audit(db, session["id"]) == []
    # idempotent: nothing more to do, and the signatures stay as they are
    before = [r["signature"] for r in room.results()["results"]]
    again = resign.resign(db, now)
    assert (again.checked, again.resigned, again.refused) == (2, [], [])
    assert [r["signature"] for r in room.results()["results"]] == before


def test_a_result_changed_since_it_was_signed_is_refused_and_left_alone(
    room: Room, db: Session
) -> None:
    session = room.open_session(["N001"])
    sit(room, session, "N001", 4)
    result = db.scalars(select(Result)).one()
    sign_as_before(db, result, room.clock.now())
    db.flush()
    db.execute(update(Result).values(score=Result.score + 9, outcome="pass"))
    db.expire_all()
    stored = db.scalars(select(Result)).one().signature
    report = resign.resign(db, room.clock.now())
    assert report.resigned == []
    ((_, why),) = report.refused
    assert "outcome" in why and "score" in why
    assert db.scalars(select(Result)).one().signature == stored

    assert stored is not None
    db.execute(update(Result).values(signature=stored[:-4] + "AAAA"))  # not a valid signature
    db.expire_all()
    ((_, why),) = resign.resign(db, room.clock.now()).refused
    assert why == "its signature does not verify"


def test_an_old_correction_still_verifies_as_served(room: Room, db: Session) -> None:
    session = room.open_session(["N001"])
    sit(room, session, "N001", 4)
    staff = room.invigilate()
    room.act(staff, session["id"], "candidates/N001/void", {"reason": "Notes found"})
    room.client.cookies.clear()
    result = db.scalars(select(Result)).one()
    correction = db.scalars(select(ResultCorrection)).one()
    # as a correction signed before pass_mark was kept: its snapshot has no such member
    correction.signature = sign_as_before(db, result, room.clock.now())
    db.flush()
    (served,) = corrections(room)
    assert "pass_mark" not in served["result"]  # served exactly as signed
    verify.both(served["result"], jwks(room))
    # a correction made now carries the member, and verifies too
    correction.signature = signing.sign(
        db, body(result, *repository.names(db, result)).model_dump(mode="json"), room.clock.now()
    )[0]
    db.flush()
    (served,) = corrections(room)
    assert "pass_mark" in served["result"]
    verify.both(served["result"], jwks(room))


def test_the_command_on_an_empty_install(database: str, tmp_path: Path) -> None:
    assert run("db", "upgrade")[0] == 0
    code, _, err = run("results", "re-sign")
    assert code == 0 and "checked 0 results: signed 0 again, 0 refused" in err
