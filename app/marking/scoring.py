"""Marking: a pure function of the frozen paper and the answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Line:
    outcome: int
    key: str
    answer: str | None


@dataclass(frozen=True)
class Marks:
    score: int
    max_score: int
    percent: Decimal  # rounded to 2 places, for reporting
    passed: bool  # from the exact fraction, never the rounded percent
    by_outcome: tuple[tuple[int, int, int], ...]  # (number, score, max_score)
    pass_mark: int  # the raw marks the paper needed
    pass_mark_percent: int  # the same as the whole percent the contract reports


def raw_pass_mark(pass_mark_percent: int, max_score: int) -> int:
    """The least score whose exact percentage reaches the pass mark: ceil(P x n / 100)."""
    return -(-pass_mark_percent * max_score // 100)


def reported_percent(pass_mark: int, max_score: int) -> int:
    """`pass_mark_percent` for a paper's own raw pass mark k of n: floor(100 k / n), the
    greatest whole percent P for which "100 s / n >= P" holds exactly when s >= k on any paper
    of at most 100 items (each mark is worth at least one percent); on a longer paper, the whole
    percent just below, with `pass_mark` exact beside it."""
    return (100 * pass_mark) // max_score if max_score > 0 else 0


def mark(lines: Sequence[Line], pass_mark_percent: int, pass_mark: int | None = None) -> Marks:
    """One mark per correct single-response item; pass when at or above the pass mark: the
    paper's own raw pass mark when it has one (a standard-set cut), else the unit's percent."""
    score = sum(1 for line in lines if line.answer is not None and line.answer == line.key)
    max_score = len(lines)
    outcomes: dict[int, list[int]] = {}
    for line in lines:
        tally = outcomes.setdefault(line.outcome, [0, 0])
        tally[0] += int(line.answer is not None and line.answer == line.key)
        tally[1] += 1
    exact = Decimal(100 * score) / Decimal(max_score) if max_score else Decimal(0)
    if pass_mark is None:
        needed, reported = raw_pass_mark(pass_mark_percent, max_score), pass_mark_percent
    else:
        needed, reported = pass_mark, reported_percent(pass_mark, max_score)
    return Marks(
        score=score,
        max_score=max_score,
        percent=exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        passed=max_score > 0 and score >= needed,
        by_outcome=tuple((n, s, m) for n, (s, m) in sorted(outcomes.items())),
        pass_mark=needed,
        pass_mark_percent=reported,
    )
