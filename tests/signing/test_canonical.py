"""The signed bytes: RFC 8785 canonical JSON of the result, exactly as the feed shows it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.marking.schemas import OutcomeScore, ResultBody
from app.signing.service import canonical


def test_numbers_take_their_shortest_form() -> None:
    # 2 of 3 is 66.67 after rounding; a whole percent has no ".0"; tiny and huge use exponents
    assert canonical({"p": 66.67}) == b'{"p":66.67}'
    assert canonical({"p": 100.0, "q": 0.0, "r": -0.0}) == b'{"p":100,"q":0,"r":0}'
    assert canonical({"p": 1e21, "q": 1e-7, "r": 0.1 + 0.2}) == (
        b'{"p":1e+21,"q":1e-7,"r":0.30000000000000004}'
    )


def test_keys_are_sorted_by_utf16_code_units_and_text_is_raw_utf8() -> None:
    # U+1F600 is a surrogate pair (D83D ...) and sorts before U+FB01 in UTF-16, after it in
    # code points: the canonical order is UTF-16's
    payload = {"\ufb01": 1, "\U0001f600": 2, "b": 3, "a": 4}
    assert canonical(payload) == '{"a":4,"b":3,"\U0001f600":2,"\ufb01":1}'.encode()
    assert (
        canonical({"n": 'Zoë \u2028 "q" \\ \t'}) == '{"n":"Zoë \u2028 \\"q\\" \\\\ \\t"}'.encode()
    )


def test_nested_objects_and_arrays_keep_array_order() -> None:
    assert canonical({"z": [{"b": 1, "a": 2}, 3], "a": None, "m": True}) == (
        b'{"a":null,"m":true,"z":[{"a":2,"b":1},3]}'
    )


def test_non_finite_numbers_cannot_be_signed() -> None:
    with pytest.raises(Exception):  # noqa: B017 (the library's own error type)
        canonical({"p": float("nan")})


def test_the_feed_json_of_a_result_canonicalises_to_the_signed_bytes() -> None:
    """What a verifier does (parse the feed's JSON, drop `signature`, canonicalise) gives
    exactly the bytes the service signed, floats and times included."""
    body = ResultBody(
        attempt_id=7,
        candidate_number="N001",
        centre="C0042",
        unit="F/503/0358",
        session_id=3,
        score=2,
        max_score=3,
        percent=66.67,
        pass_mark_percent=70,
        outcome="fail",
        started_at=datetime(2026, 6, 1, 9, 0, 0, 123456, tzinfo=UTC),
        submitted_at=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
        submitted_by="candidate",
        by_learning_outcome=[OutcomeScore(number=1, score=2, max_score=3)],
        voided=False,
    )
    signed = canonical(body.model_dump(mode="json"))
    as_served = json.loads(body.model_dump_json())  # what the feed's client parses
    assert canonical(as_served) == signed
    assert b'"percent":66.67' in signed
    assert b'"started_at":"2026-06-01T09:00:00.123456Z"' in signed
    assert b'"submitted_at":"2026-06-01T10:00:00Z"' in signed
