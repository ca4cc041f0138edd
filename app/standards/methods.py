"""Standard-setting methods as pure functions: a panel's judgements in, a cut out.

Every figure is an exact fraction (judgements are entered as decimals, read exactly), so a
panel whose expected score is exactly 13 marks gets a pass mark of 13, never 14 from a float
that came out at 13.000000000000002. The README's "Standard setting" section gives each formula.

- Modified Angoff: judge j says, for each reference item i, the probability p_ij that a minimally
  competent candidate answers it right. Judge j's cut is the expected raw score sum_i p_ij; the
  panel's is the mean of the judges' cuts (equal to sum_i of the mean p_i).
- Ebel: judge j puts each item in a cell of the difficulty x relevance grid and says, for each
  cell c, the percentage q_jc of its items a minimally competent candidate gets right. Judge j's
  cut is sum_c n_jc q_jc / 100 (n_jc: items j put in c); the panel's is the mean.
- Hofstee: judge j gives the lowest and highest acceptable cut (k_min, k_max, percent) and the
  lowest and highest acceptable fail rate (f_min, f_max, percent). The panel's are the means. The
  cut is where the line from (k_min, f_max) to (k_max, f_min) meets the observed fail-rate curve
  F(c) = 100 x #{results with percent < c} / N; without a meeting inside the box, the box's edge.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

DIFFICULTIES = ("easy", "medium", "hard")
RELEVANCES = ("essential", "important", "acceptable", "questionable")
CELLS = tuple(f"{d}/{r}" for d in DIFFICULTIES for r in RELEVANCES)


def mean(values: Iterable[Fraction]) -> Fraction:
    values = list(values)
    if not values:
        raise ValueError("no judgements to take the mean of")
    return sum(values, Fraction(0)) / len(values)


def angoff_judge(probabilities: Iterable[Fraction]) -> Fraction:
    """One judge's Angoff cut: the expected raw score of a minimally competent candidate."""
    return sum(probabilities, Fraction(0))


def angoff_panel(judges: Sequence[Sequence[Fraction]]) -> Fraction:
    """The panel's Angoff cut: the mean of the judges' expected raw scores."""
    return mean(angoff_judge(p) for p in judges)


def ebel_judge(cells: Iterable[str], percentages: Mapping[str, Fraction]) -> Fraction:
    """One judge's Ebel cut: each item worth its cell's expected percentage of a mark."""
    return sum((percentages[c] / 100 for c in cells), Fraction(0))


def ebel_grid(cells: Iterable[str]) -> dict[str, int]:
    """How many items a judge put in each cell of the grid (every cell, zero or not)."""
    grid = dict.fromkeys(CELLS, 0)
    for cell in cells:
        grid[cell] += 1
    return grid


@dataclass(frozen=True)
class Hofstee:
    """A judge's (or the panel's) bounds, in percent."""

    k_min: Fraction
    k_max: Fraction
    f_min: Fraction
    f_max: Fraction

    def line(self, c: Fraction) -> Fraction:
        """The fail rate the diagonal of the box allows at cut c."""
        slope = (self.f_max - self.f_min) / (self.k_max - self.k_min)
        return self.f_max - slope * (c - self.k_min)

    def cut_for_fail_rate(self, fail: Fraction) -> Fraction:
        """Where the diagonal reaches this fail rate (the line's inverse)."""
        slope = (self.f_max - self.f_min) / (self.k_max - self.k_min)
        return self.k_min + (self.f_max - fail) / slope


def hofstee_panel(judges: Sequence[Hofstee]) -> Hofstee:
    return Hofstee(
        mean(j.k_min for j in judges),
        mean(j.k_max for j in judges),
        mean(j.f_min for j in judges),
        mean(j.f_max for j in judges),
    )


def fail_rate(cut: Fraction, percents: Sequence[Fraction]) -> Fraction:
    """F(c): the percentage of results below the cut (they would fail)."""
    if not percents:
        return Fraction(0)
    return Fraction(100 * sum(1 for p in percents if p < cut), len(percents))


def _fail_rate_at_or_below(cut: Fraction, percents: Sequence[Fraction]) -> Fraction:
    return Fraction(100 * sum(1 for p in percents if p <= cut), len(percents))


def hofstee_cut(box: Hofstee, percents: Sequence[Fraction]) -> Fraction:
    """The cut (percent) where the box's diagonal meets the observed fail-rate curve.

    The curve is a staircase rising with c; the diagonal falls. The cut is the least c in
    [k_min, k_max] at which the curve (taking each step's upper value at its own c) reaches the
    diagonal: on a flat stretch the point where the diagonal comes down to it, at a step the
    step's own c. A curve above the whole diagonal gives k_min; one below it, k_max."""
    if not percents:
        raise ValueError("no results: the Hofstee method needs the observed fail rates")
    if box.k_min >= box.k_max or box.f_min >= box.f_max:
        raise ValueError("each minimum must be below its maximum")
    start = box.k_min
    level = _fail_rate_at_or_below(start, percents)
    if level >= box.line(start):
        return start
    for step in sorted({p for p in percents if box.k_min < p <= box.k_max}):
        meets = box.cut_for_fail_rate(level)  # on the flat stretch [start, step)
        if meets < step:
            return meets
        level = _fail_rate_at_or_below(step, percents)
        if level >= box.line(step):
            return step
        start = step
    return min(box.cut_for_fail_rate(level), box.k_max)


def pass_rate(passes: Iterable[bool]) -> Fraction | None:
    """The percentage passing, or None with nobody to count."""
    flags = list(passes)
    return Fraction(100 * sum(flags), len(flags)) if flags else None


def whole_marks(expected: Fraction, items: int) -> int:
    """The raw pass mark for an exact expected score: rounded up (reaching the standard, not
    falling just short of it), and never past the paper's length."""
    return max(0, min(items, math.ceil(expected)))


def as_fraction(value: float | int | str | Fraction) -> Fraction:
    """A judgement as an exact fraction: 0.65 is 13/20, not the float's binary approximation."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)
