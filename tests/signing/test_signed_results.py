"""Every result in the feeds carries a JWS that verifies against the published JWKS, by two
independent verifiers; keys rotate without breaking what they signed; keys are sealed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import secretbox
from app.clock import MovableClock
from app.marking.models import Result
from app.signing import service as signing
from app.signing.models import SigningKey
from tests.signing import verify
from tests.sittings.conftest import Room, code


def sit(room: Room, session: dict[str, Any], number: str, right: int) -> None:
    """Sign in, answer the first `right` questions correctly and the rest wrongly, submit."""
    room.client.cookies.clear()
    csrf, _ = room.sign_in(number, code(session, number))
    keys = room.keys()
    for q in room.attempt()["items"]:
        ids = [o["id"] for o in q["options"]]
        key = keys[ids[0]]
        choice = key if q["position"] <= right else next(i for i in ids if i != key)
        assert room.answer(csrf, q["position"], choice, 1).status_code == 200
    room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
    room.client.cookies.clear()


def jwks(room: Room) -> dict[str, Any]:
    response = room.client.get("/.well-known/jwks.json")  # no authentication
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=300"
    return dict(response.json())


def corrections(room: Room) -> list[dict[str, Any]]:
    response = room.client.get("/api/v1/results/corrections", headers=room.admin())
    assert response.status_code == 200
    return list(response.json()["corrections"])


def test_every_result_and_correction_verifies_against_the_jwks(room: Room) -> None:
    session = room.open_session(["N001", "N002", "N003"])
    for number, right in (("N001", 0), ("N002", 7), ("N003", 10)):
        sit(room, session, number, right)
    results = room.results()["results"]
    assert len(results) == 3
    keys = jwks(room)
    assert [k["alg"] for k in keys["keys"]] == ["ES256"]
    for result in results:
        assert verify.both(result, keys) == keys["keys"][0]["kid"]
    assert any(r["percent"] % 1 for r in results)  # a fractional percent was signed too

    staff = room.invigilate()
    room.act(staff, session["id"], "candidates/N002/void", {"reason": "Notes found: ä ✓"})
    room.client.cookies.clear()
    (correction,) = corrections(room)
    assert correction["result"]["voided"] is True
    verify.both(correction["result"], jwks(room))
    # the result, as the results feed now shows it, is signed as it now stands
    now_shown = next(r for r in room.results()["results"] if r["candidate_number"] == "N002")
    assert now_shown["voided"] is True and now_shown["signature"] != results[1]["signature"]
    verify.both(now_shown, jwks(room))
    verify.both(results[1], jwks(room))  # the signature pulled before still verifies what it said


def test_the_signing_key_is_published_before_the_first_result(room: Room) -> None:
    """A verifier is set up before results arrive: the set was empty until the first result
    was signed, and an integrator's first fetch cached 'no keys' for five minutes."""
    first = jwks(room)["keys"]
    assert len(first) == 1 and first[0]["alg"] == "ES256" and "d" not in first[0]
    assert jwks(room)["keys"] == first  # made once
    session = room.open_session(["N001"])
    sit(room, session, "N001", 3)
    (result,) = room.results()["results"]
    assert verify.both(result, {"keys": first}) == first[0]["kid"]


def test_a_changed_result_no_longer_verifies(room: Room, db: Session) -> None:
    """What the signature is for: a result edited in the database is caught."""
    session = room.open_session(["N001"])
    sit(room, session, "N001", 3)
    db.execute(update(Result).values(score=Result.score + 5, outcome="pass"))
    (result,) = room.results()["results"]
    with pytest.raises(AssertionError, match="payload"):
        verify.with_joserfc(result, jwks(room))
    with pytest.raises(AssertionError):
        verify.with_cryptography(result, jwks(room))


def test_rotation_keeps_old_results_verifiable(room: Room, db: Session) -> None:
    session = room.open_session(["N001", "N002"])
    sit(room, session, "N001", 4)
    (first,) = room.results()["results"]
    old_kid = verify.both(first, jwks(room))

    new_key = signing.rotate(db, room.clock.now())
    unused = signing.rotate(db, room.clock.now())  # retired before it signed anything
    assert unused.kid != new_key.kid
    sit(room, session, "N002", 9)
    first_again, second = room.results()["results"]
    keys = jwks(room)
    published = {k["kid"] for k in keys["keys"]}
    # the old key stays while a result names it; the signing key is there; a retired key that
    # signed nothing is not
    assert published == {old_kid, unused.kid}
    assert verify.both(first_again, keys) == old_kid
    assert verify.both(second, keys) == unused.kid
    assert first_again["signature"] == first["signature"]  # stable across rotation

    info = {k.kid: k for k in signing.list_keys(db)}
    assert info[old_kid].signatures == 1 and info[old_kid].published
    assert info[new_key.kid].signatures == 0 and not info[new_key.kid].published
    assert {k["kid"] for k in signing.archive_jwks(db)["keys"]} == {
        old_kid,
        new_key.kid,
        unused.kid,
    }


def test_private_keys_are_sealed_and_need_the_configured_key(db: Session) -> None:
    clock = MovableClock()
    _, kid = signing.sign(db, {"a": 1}, clock.now())
    stored = db.scalar(select(SigningKey).where(SigningKey.kid == kid))
    assert stored is not None
    assert "PRIVATE KEY" not in stored.private_key and stored.private_key.startswith("v1.")
    assert "d" not in stored.public_jwk  # only the public half is published
    assert secretbox.current().open(stored.private_key, purpose="signing-key", name=kid)
    other = secretbox.SecretBox("another-key-encryption-key-0123456789abcdef")
    with pytest.raises(secretbox.SecretUnreadable, match="EXAMHALL_KEY_ENCRYPTION_KEY"):
        other.open(stored.private_key, purpose="signing-key", name=kid)
    with pytest.raises(secretbox.SecretUnreadable):  # bound to its row: not usable as another
        secretbox.current().open(stored.private_key, purpose="signing-key", name="other")


def test_results_recorded_before_signing_are_signed_by_the_backfill(
    room: Room, db: Session
) -> None:
    session = room.open_session(["N001"])
    sit(room, session, "N001", 5)
    db.execute(update(Result).values(signature=None, signing_kid=None))
    (unsigned,) = room.results()["results"]
    assert unsigned["signature"] is None
    from app.marking import service as marking

    assert marking.sign_unsigned(db, room.clock.now()) == 1
    (signed,) = room.results()["results"]
    verify.both(signed, jwks(room))
