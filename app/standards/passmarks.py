"""A standard-set cut on the calibrated scale, turned into each paper's own raw pass mark.

Pure functions: the service reads the cut and the difficulties; these decide the marks.

A paper's raw pass mark is the expected score of a candidate at the cut on its own items,
rounded up (app/calibration/scale.raw_cut): an easier paper needs more marks, a harder one fewer.

An item version with no calibration yet (new, or edited since) takes the mean difficulty of the
unit's calibrated versions (what is known of the bank: the best single guess for an item no one
has yet answered) as long as at most a quarter of the paper is guessed. A paper with more than
that, or a unit with no calibration at all, is held to the cut's own percentage of the reference
items instead (the panel's standard as a share of a paper), applied to this paper's length.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.calibration import scale

# At most this share of a paper's items may be given the bank's mean difficulty.
MAX_IMPUTED_SHARE = Fraction(1, 4)


@dataclass(frozen=True)
class PaperMark:
    pass_mark: int  # raw marks needed
    imputed: int  # items given the bank's mean difficulty
    by: str  # "scale" (the paper's own difficulties) or "percent" (the cut's percentage)
    difficulties: tuple[float, ...] | None = None  # by position, as used ("scale" only)


def bank_mean(calibrated: Mapping[int, float]) -> float | None:
    return sum(calibrated.values()) / len(calibrated) if calibrated else None


def paper_difficulties(
    version_ids: Sequence[int], calibrated: Mapping[int, float], mean: float | None = None
) -> tuple[list[float], int] | None:
    """The paper's item difficulties with the uncalibrated ones imputed (the bank's mean, found
    here unless given), and how many were; None when too many are unknown to rely on the scale."""
    mean = bank_mean(calibrated) if mean is None else mean
    if mean is None or not version_ids:
        return None
    missing = sum(1 for v in version_ids if v not in calibrated)
    if missing > MAX_IMPUTED_SHARE * len(version_ids):
        return None
    return [calibrated.get(v, mean) for v in version_ids], missing


def cut_theta(raw: Fraction, difficulties: Sequence[float]) -> float:
    """The cut on the scale: the theta at which the reference items' expected score is `raw`
    (scale.theta_for_score), polished by one Newton step so that a whole-mark cut on a paper
    like the reference set stays that mark (raw_cut's tolerance is 1e-9; the search's 1e-10 in
    theta can leave up to about 3e-10 in the score, this leaves about 1e-14)."""
    theta = scale.theta_for_score(float(raw), difficulties)
    if scale.THETA_MIN < theta < scale.THETA_MAX:
        info = scale.information(theta, difficulties)
        if info > 0:
            theta += (float(raw) - scale.expected_score(theta, difficulties)) / info
    return theta


def percent_pass_mark(percent: Fraction, items: int) -> int:
    """The least whole score whose exact percentage reaches `percent`: ceil(percent x n / 100)."""
    return max(0, min(items, math.ceil(percent * items / 100)))


def paper_pass_mark(
    theta: float, percent: Fraction, version_ids: Sequence[int], calibrated: Mapping[int, float]
) -> PaperMark:
    """The raw pass mark of one paper for the cut (theta on the scale, `percent` of the
    reference items), by its own items' difficulties where they are known well enough."""
    known = paper_difficulties(version_ids, calibrated)
    if known is None:
        return PaperMark(percent_pass_mark(percent, len(version_ids)), 0, "percent")
    difficulties, imputed = known
    return PaperMark(scale.raw_cut(theta, difficulties), imputed, "scale", tuple(difficulties))


def remarked_pass_mark(built: Mapping[str, Any], kept: Sequence[int]) -> int:
    """The raw pass mark of a paper marked again without some of its items (an item excluded),
    from what its `paper_built` journal entry recorded (`theta`, `percent`, `by` and the
    difficulties `b` by position) and the positions `kept` (1-based): the same cut on the items
    that still count, never a recalibration since."""
    if built.get("by") == "scale":
        b = built["b"]
        return scale.raw_cut(float(built["theta"]), [float(b[p - 1]) for p in kept])
    return percent_pass_mark(Fraction(str(built["percent"])), len(kept))


class Papers:
    """Many papers' pass marks for one cut after another (impact data): each paper's
    difficulties are looked up once, as arrays, then every cut is one vectorised test
    characteristic curve per paper length. The same rule as paper_pass_mark, paper by paper."""

    def __init__(self, papers: Sequence[Sequence[int]], calibrated: Mapping[int, float]) -> None:
        self.lengths = [len(p) for p in papers]
        self.by_percent: list[int] = []
        self.groups: list[tuple[NDArray[np.int64], NDArray[np.float64]]] = []
        mean = bank_mean(calibrated)
        by_length: dict[int, list[int]] = {}
        for n, paper in enumerate(papers):
            if mean is None or not paper:
                self.by_percent.append(n)
            else:
                by_length.setdefault(len(paper), []).append(n)
        if not by_length:
            return
        top = max(max(calibrated), max(max(papers[n]) for ns in by_length.values() for n in ns))
        lookup = np.full(top + 1, np.nan)
        lookup[list(calibrated)] = list(calibrated.values())
        for length, rows in by_length.items():
            b = lookup[np.array([papers[n] for n in rows], dtype=np.int64)]
            unknown = np.isnan(b)
            # missing <= share x length, in whole numbers
            share = MAX_IMPUTED_SHARE
            usable = unknown.sum(axis=1) * share.denominator <= share.numerator * length
            b[unknown] = mean
            index = np.array(rows, dtype=np.int64)
            self.by_percent += index[~usable].tolist()
            if usable.any():
                self.groups.append((index[usable], b[usable]))

    def pass_marks(self, theta: float | None, percent: Fraction) -> list[int]:
        """Each paper's raw pass mark, in order; theta None: every paper by the percent."""
        if theta is None:
            return [percent_pass_mark(percent, m) for m in self.lengths]
        marks = [0] * len(self.lengths)
        for n in self.by_percent:
            marks[n] = percent_pass_mark(percent, self.lengths[n])
        for rows, b in self.groups:
            expected = scale.probability(theta, b).sum(axis=1)
            needed = np.clip(np.ceil(expected - 1e-9), 0, b.shape[1]).astype(int)
            for n, k in zip(rows.tolist(), needed.tolist(), strict=True):
                marks[n] = int(k)
        return marks
