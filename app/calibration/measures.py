"""Pure figures made from a calibration: linking and drift, reliability, the cut's precision,
and live item health. Formulas in README.md, "Calibration"."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from app.calibration import scale
from app.calibration.rasch import FloatArray, IntArray, Responses

T = TypeVar("T", int, IntArray)

# Drift: a common item's linked free estimate moved from its anchor by more than chance
# (DRIFT_SES joint standard errors) and by more than matters in practice (DRIFT_LOGITS).
DRIFT_SES = 2.0
DRIFT_LOGITS = 0.5
# Linking needs this many stable common items; fewer and the scales cannot be tied safely.
MIN_LINK_ITEMS = 3
# Pass/fail in doubt: the ability estimate within this many SEs of the cut (95 %).
DOUBT_Z = 1.959963984540054
# Live health: an item is judged only with this many responses, and flagged when beyond the
# two-sided normal quantile for a family-wise rate of HEALTH_ALPHA over the items judged. 1 %,
# not 5 %: the console looks again and again during a window, and every look is a new chance
# of a false alarm.
HEALTH_MIN_N = 30
HEALTH_ALPHA = 0.01
INFIT_BAND = (0.7, 1.3)


@dataclass(frozen=True)
class Link:
    shift: float  # added to the new free estimates to put them on the old scale
    stable: list[int]  # indices (into the arrays given) of the common items linked on
    drift: list[bool]  # per common item


def link_mean_mean(
    old_b: Sequence[float], old_se: Sequence[float], new_b: Sequence[float], new_se: Sequence[float]
) -> Link:
    """Mean-mean linking of a free calibration to the anchor scale on the common items, with
    drifting items left out one at a time (the largest standardised departure first) until
    every remaining item agrees: shift = mean(old b - new b) over the stable items."""
    ob, os_, nb, ns = (np.asarray(v, float) for v in (old_b, old_se, new_b, new_se))
    joint = np.sqrt(os_**2 + ns**2)
    stable = np.ones(len(ob), dtype=bool)
    while True:
        if stable.sum() == 0:
            shift = 0.0
            break
        shift = float(np.mean(ob[stable] - nb[stable]))
        moved = np.abs(nb + shift - ob)
        drifting = (moved > DRIFT_SES * joint) & (moved > DRIFT_LOGITS)
        worst = np.where(stable & drifting, moved / joint, -1.0)
        if worst.max() < 0:
            break
        stable[int(worst.argmax())] = False
    moved = np.abs(nb + shift - ob)
    drift = (moved > DRIFT_SES * joint) & (moved > DRIFT_LOGITS)
    return Link(shift, [int(i) for i in np.flatnonzero(stable & ~drift)], drift.tolist())


def separation_reliability(theta: FloatArray, se: FloatArray) -> float | None:
    """Person separation reliability (Wright & Masters): (var(theta) - mean(SE^2)) / var(theta)
    over the persons with a finite estimate; None with fewer than two."""
    ok = np.isfinite(theta) & np.isfinite(se)
    if ok.sum() < 2:
        return None
    observed = float(np.var(theta[ok], ddof=1))
    if observed <= 0:
        return 0.0
    return max(0.0, (observed - float(np.mean(se[ok] ** 2))) / observed)


def marginal_reliability(sigma: float, se: FloatArray) -> float | None:
    """The model's reliability for the population: sigma^2 / (sigma^2 + mean(SE^2)), with sigma
    the MML estimate of the abilities' spread."""
    ok = np.isfinite(se)
    if not ok.any():
        return None
    error = float(np.mean(se[ok] ** 2))
    return sigma**2 / (sigma**2 + error)


def raw_pass_mark(pass_mark_percent: T, max_score: T) -> T:
    """The least whole score marking passes: 100 * score >= pass_mark_percent * max_score
    (integers, or integer arrays element by element)."""
    return -((-pass_mark_percent * max_score) // 100)


@dataclass(frozen=True)
class CutPrecision:
    theta_cut: float  # median over papers of the cut on the logit scale
    sem_logit: float  # median over papers of 1 / sqrt(I(theta_cut))
    sem_raw: float  # median over papers of sqrt(I(theta_cut)): the raw score's SE at the cut
    in_doubt: float  # proportion of candidates with |theta - cut| < 1.96 SE
    papers: int


def cut_precision(
    data: Responses,
    b: FloatArray,
    raw_pass: IntArray,
    theta: FloatArray,
    se: FloatArray,
    theta_cut: FloatArray | None = None,
) -> CutPrecision | None:
    """The pass mark's precision over the window's papers. Each candidate's paper has its own
    cut on the logit scale: `theta_cut` where given (a standard-set cut; NaN where not),
    otherwise the theta at which the expected score on the paper's calibrated items is its
    raw pass mark (the inverse test characteristic curve, solved for every paper at once)."""
    m = data.n_persons
    cut = paper_thetas(data, b, raw_pass.astype(float))
    if theta_cut is not None:
        cut = np.where(np.isfinite(theta_cut), theta_cut, cut)
    ok = np.isfinite(b[data.item])
    p = expit(cut[data.person[ok]] - b[data.item[ok]])
    info = np.bincount(data.person[ok], weights=p * (1 - p), minlength=m)
    use = (np.bincount(data.person[ok], minlength=m) > 0) & np.isfinite(theta)
    if not use.any():
        return None
    with np.errstate(divide="ignore"):
        sem_logit = np.where(info > 0, 1 / np.sqrt(info), np.inf)
    doubt = np.abs(theta - cut) < DOUBT_Z * se
    return CutPrecision(
        theta_cut=float(np.median(cut[use])),
        sem_logit=float(np.median(sem_logit[use])),
        sem_raw=float(np.median(np.sqrt(info[use]))),
        in_doubt=float(np.mean(doubt[use])),
        papers=int(use.sum()),
    )


def paper_thetas(data: Responses, b: FloatArray, score: FloatArray) -> FloatArray:
    """For every person, the theta at which their items' expected score is score[person]
    (scale.theta_for_score for all papers at once: Newton on sum P - score, steps clipped to
    one logit, within the scale's range; a score of 0 or of every item gives the range's end)."""
    ok = np.isfinite(b[data.item])
    person, bi = data.person[ok], b[data.item[ok]]
    m = data.n_persons
    n = np.bincount(person, minlength=m).astype(float)
    theta = np.zeros(m)
    for _ in range(200):
        p = expit(theta[person] - bi)
        gap = np.bincount(person, weights=p, minlength=m) - score
        slope = np.bincount(person, weights=p * (1 - p), minlength=m)
        step = np.clip(gap / np.maximum(slope, 1e-12), -1.0, 1.0)
        theta = np.clip(theta - step, scale.THETA_MIN, scale.THETA_MAX)
        if float(np.max(np.abs(step), initial=0.0)) < 1e-12:
            break
    theta = np.where(score <= 0, scale.THETA_MIN, theta)
    return np.where(score >= n, scale.THETA_MAX, theta)


def health_z(
    observed: FloatArray, expected: FloatArray, variance: FloatArray, se_b: FloatArray
) -> FloatArray:
    """The standardised departure of an item's total right from what its calibrated b predicts,
    counting the calibration's own error: the expected total moves by -sum P(1-P) per logit of
    b, so var(O - E) = V + V^2 se_b^2 with V = sum P(1-P). (Without the second term an item
    calibrated on a few hundred candidates and watched on as many is flagged by chance.)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (observed - expected) / np.sqrt(variance + variance**2 * se_b**2)
    return np.asarray(z, dtype=np.float64)


def critical_z(judged: int, alpha: float = HEALTH_ALPHA) -> float:
    """The two-sided Bonferroni critical value for `judged` items at family-wise `alpha`."""
    return float(norm.ppf(1 - alpha / (2 * max(judged, 1))))


def health_flags(
    n: IntArray, z: FloatArray, infit: FloatArray, infit_z: FloatArray, min_n: int
) -> tuple[list[list[str]], float]:
    """Per item the flags of live health, and the critical z used:

    easier: the item's total right exceeds what its b predicts for these candidates (z >= c):
            a leaked item, or a key now widely known;
    harder: fewer right than predicted (z <= -c): a broken item, a wrong key, changed content;
    underfit: infit above its band and infit z >= c: discriminates less than the model says
            (guessing, ambiguity);
    overfit: infit below its band and infit z <= -c: more than the model says (a cue, or a
            leak to the able only).
    Items with fewer than `min_n` responses are not judged."""
    judged = n >= min_n
    c = critical_z(int(judged.sum()))
    flags: list[list[str]] = []
    for k in range(len(n)):
        f: list[str] = []
        if judged[k]:
            if z[k] >= c:
                f.append("easier")
            elif z[k] <= -c:
                f.append("harder")
            if infit[k] > INFIT_BAND[1] and infit_z[k] >= c:
                f.append("underfit")
            elif infit[k] < INFIT_BAND[0] and infit_z[k] <= -c:
                f.append("overfit")
        flags.append(f)
    return flags, c


def information_curve(
    difficulties: Sequence[float], lo: float = -4.0, hi: float = 4.0, points: int = 33
) -> list[tuple[float, float, float]]:
    """(theta, information, SE) at evenly spaced abilities for a paper of these items."""
    out = []
    for theta in np.linspace(lo, hi, points):
        info = scale.information(float(theta), difficulties)
        out.append((float(theta), info, 1 / math.sqrt(info) if info > 0 else math.inf))
    return out
