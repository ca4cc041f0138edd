"""The pages' filters for times: exact, never rounded to something the clock will not show."""

from __future__ import annotations

import pytest

from app.web import minutes_seconds, minutes_words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (2700, "45 minutes"),
        (60, "1 minute"),
        (2250, "37 minutes 30 seconds"),  # 30 minutes + 25 %: was "38 minutes"
        (225, "3 minutes 45 seconds"),  # was "4 minutes" beside a clock at 3:45
        (61, "1 minute 1 second"),
        (0, "0 minutes"),
    ],
)
def test_a_time_allowed_is_said_exactly(seconds: int, words: str) -> None:
    assert minutes_words(seconds) == words


def test_the_clock_and_the_words_agree() -> None:
    assert minutes_seconds(2250) == "37:30"
