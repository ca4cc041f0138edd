"""The Rasch scale: pure functions of ability (theta) and item difficulties (b), in logits.

These are the shared vocabulary of calibration (app/calibration), reliability (app/stats) and
standard setting (app/standards): a cut is a theta; a paper's raw pass mark is the score its own
items' test characteristic curve gives at that theta.

    P(correct | theta, b) = 1 / (1 + exp(-(theta - b)))
    TCC(theta) = sum_i P_i(theta)                 (expected raw score on the paper)
    I(theta)   = sum_i P_i(theta) (1 - P_i(theta))  (test information); SE(theta) = 1 / sqrt(I)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import brentq
from scipy.special import expit

# Abilities are searched for in this range of logits: far beyond any real candidate, finite so
# that a perfect or zero score still has an answer (the boundary).
THETA_MIN, THETA_MAX = -10.0, 10.0


def probability(theta: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """P(correct) for every pairing of theta (rows) and b (columns) as broadcasting gives."""
    return np.asarray(expit(np.asarray(theta, float) - np.asarray(b, float)), dtype=np.float64)


def expected_score(theta: float, difficulties: Sequence[float]) -> float:
    """The test characteristic curve: expected raw score on items `difficulties` at `theta`."""
    return float(probability(theta, np.asarray(difficulties, float)).sum())


def information(theta: float, difficulties: Sequence[float]) -> float:
    """Test information at `theta`."""
    p = probability(theta, np.asarray(difficulties, float))
    return float((p * (1.0 - p)).sum())


def standard_error(theta: float, difficulties: Sequence[float]) -> float:
    """The standard error of measurement (in logits) of an ability estimate at `theta`."""
    info = information(theta, difficulties)
    return math.inf if info <= 0 else 1.0 / math.sqrt(info)


def theta_for_score(score: float, difficulties: Sequence[float]) -> float:
    """The theta at which the expected raw score on these items equals `score` (the inverse
    TCC). Scores of 0 and of every item have no finite answer: the search range's ends."""
    n = len(difficulties)
    if n == 0:
        raise ValueError("a paper with no items has no scale")
    if score <= expected_score(THETA_MIN, difficulties):
        return THETA_MIN
    if score >= expected_score(THETA_MAX, difficulties):
        return THETA_MAX
    return float(
        brentq(lambda t: expected_score(t, difficulties) - score, THETA_MIN, THETA_MAX, xtol=1e-10)
    )


def raw_cut(theta_cut: float, difficulties: Sequence[float]) -> int:
    """The raw pass mark a paper needs for the cut `theta_cut`: the expected score at the cut,
    rounded up to a whole mark (a candidate must reach the standard, not fall just short of it).
    A tolerance of 1e-9 keeps an expected score of exactly k from becoming k + 1."""
    expected = expected_score(theta_cut, difficulties)
    return max(0, min(len(difficulties), math.ceil(expected - 1e-9)))
