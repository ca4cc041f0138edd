"""Marking as a pure rule, with cases that tell an exact comparison from a rounded one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.marking.scoring import Line, mark


def lines(correct: int, total: int, outcome: int = 1) -> list[Line]:
    return [Line(outcome, "k", "k" if n < correct else "x") for n in range(total)]


@pytest.mark.parametrize(
    ("correct", "total", "pass_mark", "percent", "passed"),
    [
        # 66.666...% rounds to 66.67, and to 67 at whole percent: only an exact comparison fails it.
        (2, 3, 67, Decimal("66.67"), False),
        (2, 3, 66, Decimal("66.67"), True),
        (67, 100, 67, Decimal("67.00"), True),  # exactly at the pass mark passes
        (66, 100, 67, Decimal("66.00"), False),
        (14, 20, 70, Decimal("70.00"), True),
        (13, 20, 70, Decimal("65.00"), False),
        (1, 8, 13, Decimal("12.50"), False),  # 12.5 would round up to 13 at whole percent
        (5, 6, 83, Decimal("83.33"), True),  # 83.33 >= 83
        (0, 3, 0, Decimal("0.00"), True),  # a pass mark of 0 is passed by anyone
        (0, 0, 50, Decimal("0.00"), False),  # an empty paper never passes
    ],
)
def test_the_pass_mark_compares_the_exact_fraction(
    correct: int, total: int, pass_mark: int, percent: Decimal, passed: bool
) -> None:
    marks = mark(lines(correct, total), pass_mark)
    assert (marks.score, marks.max_score, marks.percent, marks.passed) == (
        correct,
        total,
        percent,
        passed,
    )


def test_percent_rounds_half_up_to_two_places() -> None:
    # 1/8 = 12.5 exactly; 1/16 = 6.25; 1/32 = 3.125 -> 3.13 (half up, not banker's 3.12)
    assert mark(lines(1, 32), 50).percent == Decimal("3.13")
    assert mark(lines(2, 3), 50).percent == Decimal("66.67")
    assert mark(lines(1, 3), 50).percent == Decimal("33.33")


def test_an_unanswered_question_scores_nothing_and_counts_in_the_total() -> None:
    marks = mark([Line(1, "k", None), Line(1, "k", "k"), Line(2, "k", None)], 50)
    assert (marks.score, marks.max_score, marks.passed) == (1, 3, False)


def test_marks_by_learning_outcome_add_up() -> None:
    paper = [*lines(2, 3, outcome=2), *lines(1, 2, outcome=1), *lines(0, 1, outcome=3)]
    marks = mark(paper, 50)
    assert marks.by_outcome == ((1, 1, 2), (2, 2, 3), (3, 0, 1))
    assert sum(s for _, s, _ in marks.by_outcome) == marks.score == 3
