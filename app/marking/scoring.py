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


def mark(lines: Sequence[Line], pass_mark_percent: int) -> Marks:
    """One mark per correct single-response item; pass when at or above the pass mark."""
    score = sum(1 for line in lines if line.answer is not None and line.answer == line.key)
    max_score = len(lines)
    outcomes: dict[int, list[int]] = {}
    for line in lines:
        tally = outcomes.setdefault(line.outcome, [0, 0])
        tally[0] += int(line.answer is not None and line.answer == line.key)
        tally[1] += 1
    exact = Decimal(100 * score) / Decimal(max_score) if max_score else Decimal(0)
    return Marks(
        score=score,
        max_score=max_score,
        percent=exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        passed=max_score > 0 and 100 * score >= pass_mark_percent * max_score,
        by_outcome=tuple((n, s, m) for n, (s, m) in sorted(outcomes.items())),
    )
