"""app.db.bare_then_full: a hot path's quiet case on a bare Core connection, committed when it
answers; the full path in a Session joined to the same transaction when it declines; errors
keep what they say to keep. On migrated databases, both backends; and the candidate's save and
flag take the bare case when nothing else is due."""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, Table, event, func, insert, select
from sqlalchemy.orm import Session

from app.auth.models import LoginThrottle
from app.db import Bare, bare_then_full, make_sessionmaker
from app.errors import AppError, NotFound, Throttled
from app.journal.models import JournalHead
from app.sittings.devices import SEEN_EVERY
from tests.sittings.test_concurrency import fresh, live, signed_in  # noqa: F401  (fixtures)

_heads = cast(Table, JournalHead.__table__)


def _open(db: Bare | Session, chain: str) -> None:
    db.connection().execute(insert(_heads).values(chain=chain, seq=0, hash="0" * 64))


def _chains(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(_heads.c.chain)))


@pytest.fixture
def sessions(fresh: Engine) -> Iterator[list[Session]]:  # noqa: F811
    """Every Session that begins a transaction while the test runs."""
    begun: list[Session] = []

    def note(session: Session, *_: object) -> None:
        begun.append(session)

    event.listen(Session, "after_begin", note)
    yield begun
    event.remove(Session, "after_begin", note)


def test_a_quiet_answer_is_committed_without_a_session(
    fresh: Engine,  # noqa: F811
    sessions: list[Session],
) -> None:
    def quiet(db: Bare) -> str:
        _open(db, "quiet")
        return "quiet"

    def full(db: Session) -> str:
        raise AssertionError("the full path ran")

    assert bare_then_full(make_sessionmaker(fresh), quiet, full) == "quiet"
    assert _chains(fresh) == {"quiet"}
    assert sessions == []


def test_a_declined_quiet_case_hands_its_transaction_to_the_full_path(
    fresh: Engine,  # noqa: F811
    sessions: list[Session],
) -> None:
    def quiet(db: Bare) -> str | None:
        _open(db, "read")  # stands for the row lock and the reads the full path relies on
        return None

    def full(db: Session) -> str:
        _open(db, "full")
        return "full"

    assert bare_then_full(make_sessionmaker(fresh), quiet, full) == "full"
    assert _chains(fresh) == {"read", "full"}
    assert len(sessions) == 1


def test_a_failing_full_path_keeps_nothing_of_either(fresh: Engine) -> None:  # noqa: F811
    def quiet(db: Bare) -> str | None:
        _open(db, "read")
        return None

    def full(db: Session) -> str:
        _open(db, "full")
        raise NotFound("no such question")

    with pytest.raises(NotFound):
        bare_then_full(make_sessionmaker(fresh), quiet, full)
    assert _chains(fresh) == set()  # one transaction: the quiet case's part went with it


@pytest.mark.parametrize(
    "error", [NotFound("no such question"), Throttled("wait", retry_after=5)], ids=["404", "429"]
)
def test_a_refusal_in_the_quiet_case_keeps_what_the_error_says_to_keep(
    fresh: Engine,  # noqa: F811
    error: AppError,
) -> None:
    def quiet(db: Bare) -> str:
        _open(db, "refused")
        raise error

    def full(db: Session) -> str:
        raise AssertionError("the full path ran")

    with pytest.raises(type(error)):
        bare_then_full(make_sessionmaker(fresh), quiet, full)
    assert error.commit == isinstance(error, Throttled)  # one of each kind
    assert _chains(fresh) == ({"refused"} if error.commit else set())


def test_a_crash_in_the_quiet_case_keeps_nothing(fresh: Engine) -> None:  # noqa: F811
    def quiet(db: Bare) -> str:
        _open(db, "crashed")
        raise RuntimeError("boom")

    def full(db: Session) -> str:
        raise AssertionError("the full path ran")

    with pytest.raises(RuntimeError):
        bare_then_full(make_sessionmaker(fresh), quiet, full)
    assert _chains(fresh) == set()


def test_saves_and_flags_take_the_bare_case_until_presence_is_due(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    sessions: list[Session],
) -> None:
    app, codes, _ = live
    client, csrf = signed_in(app, "K000", codes)
    headers = {"X-CSRF-Token": csrf}
    paper = client.get("/api/v1/attempt", headers=headers).json()
    option = paper["items"][0]["options"][0]["id"]

    def save(seq: int) -> None:
        body = {"option_id": option, "seq": seq}
        response = client.put("/api/v1/attempt/answers/1", json=body, headers=headers)
        assert response.status_code == 200, response.text

    save(1)  # the paper load noted the candidate as seen: nothing else is due
    flagged = client.put("/api/v1/attempt/flags/2", json={"flagged": True}, headers=headers)
    assert flagged.status_code == 200
    sessions.clear()
    save(2)
    assert client.put(
        "/api/v1/attempt/flags/2", json={"flagged": False}, headers=headers
    ).is_success
    assert sessions == []  # neither opened an ORM Session
    app.state.clock.advance(seconds=SEEN_EVERY.total_seconds())
    save(3)  # presence is due: the full path notes it
    assert len(sessions) == 1
    paper = client.get("/api/v1/attempt", headers=headers).json()
    first, second = paper["items"][0], paper["items"][1]
    assert (first["answer"], first["seq"], second["flagged"]) == (option, 3, False)


def test_a_returning_sign_in_opens_no_session_and_a_first_one_does(
    live: tuple[FastAPI, dict[str, str], str],  # noqa: F811
    sessions: list[Session],
) -> None:
    app, codes, _ = live
    client, _ = signed_in(app, "K001", codes)
    assert len(sessions) == 1  # the first sign-in claims the paper: the full path
    sessions.clear()
    body = {"candidate_number": "K001", "access_code": codes["K001"]}
    again = client.post("/api/v1/auth/candidate", json=body)  # the same browser, back again
    assert again.status_code == 200, again.text
    assert sessions == []
    wrong = client.post("/api/v1/auth/candidate", json={**body, "access_code": "WRONG-CODE"})
    assert wrong.status_code == 401
    assert len(sessions) == 1  # a wrong code is counted, and the count is kept
    with make_sessionmaker(app.state.engine)() as db:
        assert db.scalar(select(func.sum(LoginThrottle.failures))) == 2  # the browser, the room
