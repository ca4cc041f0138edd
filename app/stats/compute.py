"""Classical item statistics: pure numpy over one row per (result, paper position).

Every paper is its own set of items, so each figure is computed over the candidates whose paper
held the item version (`n`). A candidate's score counts scored items only: a version excluded
from marking, or an item sat as an unscored pretest item on that paper, is still described (its
own figures), but never counts toward anyone's score.

    x      item score: 1 if the chosen option is the key, else 0 (an omission scores 0)
    T, K   the candidate's score and number of scored items on their paper
    rest   (T - x*s) / (K - s): the fraction right on the OTHER scored items of the paper
           (s = 1 if this item is scored, else 0); undefined when no other item is scored
    facility        mean of x
    discrimination  Pearson r(x, rest) over the candidates whose rest is defined
    upper_lower     mean x of the top k minus the bottom k candidates ranked by rest
                    (k = round(0.27 m), ties broken by result id)
    point_biserial  per option: Pearson r(chose it, rest); the key's equals discrimination
    mean_percent    per option: mean of 100 T / K of those who chose it
    KR-20           per group of candidates who sat exactly the same scored items
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

UPPER_LOWER_FRACTION = 0.27
# Below this, a sum of squared deviations is rounding noise: the variance is zero.
_TINY = 1e-12
# A sum of products no larger than this share of the sum of their sizes is rounding noise:
# the correlation is exactly zero (x = [1, 0, 0, 0] against y = [6, 0, 11, 7] / 19 gave
# -3.9e-17, a "negative discrimination" for an item that has none). By Cauchy-Schwarz the
# sizes' sum is at most sqrt(Sxx Syy), so a correlation snapped to 0 was under 1e-9.
_NOISE = 1e-9

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]


@dataclass(frozen=True)
class Responses:
    """One row per paper position of every result in the analysis, grouped by result.

    row_result: index of the row's result (0..R-1), non-decreasing
    row_version: index of the row's item version (0..V-1)
    row_option: index of the chosen option in the version's options; -1 omitted, -2 an
        answer that is none of its options (scores 0, counted as chosen by no option)
    row_seconds: seconds from the previous answer on the paper (or the start) to this one;
        NaN when unanswered or the times are unknown
    version_key: index of each version's key among its options
    version_options: how many options each version has
    version_scored: False for a version excluded from marking
    row_pretest: True where the row's item was an unscored pretest item on that paper (None:
        no pretest rows)
    """

    row_result: Ints
    row_version: Ints
    row_option: Ints
    row_seconds: Floats
    version_key: Ints
    version_options: Ints
    version_scored: Bools
    row_pretest: Bools | None = None

    def row_scored(self) -> Bools:
        """Per row: does it count towards the candidate's score (s)?"""
        scored = self.version_scored[self.row_version]
        return scored if self.row_pretest is None else scored & ~self.row_pretest

    @property
    def results(self) -> int:
        return int(self.row_result[-1]) + 1 if len(self.row_result) else 0

    @property
    def versions(self) -> int:
        return len(self.version_key)


@dataclass(frozen=True)
class ItemFigures:
    """Per version (arrays of length V; NaN where a figure is undefined)."""

    n: Ints
    facility: Floats
    discrimination: Floats
    upper_lower: Floats
    omit_rate: Floats
    median_seconds: Floats
    chosen: Ints  # V x max options
    point_biserial: Floats  # V x max options
    mean_percent: Floats  # V x max options


@dataclass(frozen=True)
class Form:
    """Candidates who sat exactly the same scored items, and KR-20 over them."""

    candidates: int
    items: int
    mean_score: float
    sd_score: float  # population SD of the raw score (the variance KR-20 uses)
    kr20: float  # NaN when undefined (fewer than 2 items or no score variance)
    sem: float  # in raw marks: sd_score * sqrt(1 - kr20)


@dataclass(frozen=True)
class Figures:
    items: ItemFigures
    percent: Floats  # each result's 100 T / K (NaN when K = 0)
    forms: list[Form]


def item_scores(r: Responses) -> Floats:
    """x per row."""
    return np.asarray(r.row_option == r.version_key[r.row_version], dtype=np.float64)


def candidate_totals(r: Responses, x: Floats) -> tuple[Floats, Floats]:
    """(T, K) per result: score and number of scored items."""
    s = r.row_scored().astype(np.float64)
    total = np.bincount(r.row_result, weights=x * s, minlength=r.results)
    count = np.bincount(r.row_result, weights=s, minlength=r.results)
    return total.astype(np.float64), count.astype(np.float64)


def rest_fraction(r: Responses, x: Floats, total: Floats, count: Floats) -> Floats:
    """Each row's fraction right on the other scored items of its paper (NaN: none)."""
    s = r.row_scored().astype(np.float64)
    others = count[r.row_result] - s
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = (total[r.row_result] - x * s) / others
    rest[others <= 0] = np.nan
    return rest


def grouped_pearson(group: Ints, x: Floats, y: Floats, groups: int) -> Floats:
    """Pearson r(x, y) within each group, from centred sums (NaN: a variance is zero or the
    group has fewer than two rows)."""
    n = np.bincount(group, minlength=groups).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.bincount(group, weights=x, minlength=groups) / n
        my = np.bincount(group, weights=y, minlength=groups) / n
    dx, dy = x - mx[group], y - my[group]
    sxx = np.bincount(group, weights=dx * dx, minlength=groups)
    syy = np.bincount(group, weights=dy * dy, minlength=groups)
    sxy = np.bincount(group, weights=dx * dy, minlength=groups)
    sizes = np.bincount(group, weights=np.abs(dx * dy), minlength=groups)
    out = np.full(groups, np.nan)
    ok = (sxx > _TINY) & (syy > _TINY)
    out[ok] = _snapped(sxy, sizes)[ok] / np.sqrt(sxx[ok] * syy[ok])
    return np.asarray(np.clip(out, -1.0, 1.0), dtype=np.float64)


def _snapped(total: NDArray[Any], sizes: NDArray[Any]) -> Floats:
    """`total`, with what is rounding noise next to the sum of its terms' sizes made 0."""
    return np.asarray(np.where(np.abs(total) <= _NOISE * sizes, 0.0, total), dtype=np.float64)


def upper_lower_k(m: Ints) -> Ints:
    """Size of each of the upper and lower groups: 27 % of m, rounded half up."""
    return np.asarray(np.floor(UPPER_LOWER_FRACTION * m + 0.5), dtype=np.int64)


def grouped_upper_lower(group: Ints, x: Floats, rank_by: Floats, tie: Ints, groups: int) -> Floats:
    """Mean x of each group's top k minus its bottom k, ranked by `rank_by` then `tie`."""
    order = np.lexsort((tie, rank_by, group))
    g = group[order]
    m = np.bincount(group, minlength=groups)
    start = np.concatenate(([0], np.cumsum(m)[:-1]))
    rank = np.arange(len(g)) - start[g]
    k = upper_lower_k(m)
    lower = rank < k[g]
    upper = rank >= (m - k)[g]
    xs = x[order]
    out = np.full(groups, np.nan)
    ok = k > 0
    top = np.bincount(g, weights=xs * upper, minlength=groups)
    bottom = np.bincount(g, weights=xs * lower, minlength=groups)
    out[ok] = (top[ok] - bottom[ok]) / k[ok]
    return out


def grouped_median(group: Ints, values: Floats, groups: int) -> Floats:
    """The median of each group's finite values (NaN: none)."""
    keep = np.isfinite(values)
    g, v = group[keep], values[keep]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    m = np.bincount(g, minlength=groups)
    start = np.concatenate(([0], np.cumsum(m)[:-1]))
    out = np.full(groups, np.nan)
    ok = m > 0
    low = start[ok] + (m[ok] - 1) // 2
    high = start[ok] + m[ok] // 2
    out[ok] = (v[low] + v[high]) / 2.0
    return out


def kr20(scores: Floats) -> float:
    """KR-20 of a candidates x items matrix of 0/1 scores: k/(k-1) (1 - sum p q / var X), with
    the population variance of the total X (NaN: fewer than 2 items or no variance)."""
    k = scores.shape[1]
    if k < 2 or scores.shape[0] < 2:
        return math.nan
    totals = scores.sum(axis=1)
    variance = float(totals.var())
    if variance <= _TINY:
        return math.nan
    p = scores.mean(axis=0)
    return float(k / (k - 1) * (1.0 - float((p * (1.0 - p)).sum()) / variance))


def forms(r: Responses, x: Floats, min_candidates: int = 2) -> list[Form]:
    """Groups of at least `min_candidates` results whose papers held the same scored versions,
    largest first, with KR-20 and its SEM."""
    scored = r.row_scored()
    rows = np.flatnonzero(scored)
    if not len(rows):
        return []
    order = rows[np.lexsort((r.row_version[rows], r.row_result[rows]))]
    res, ver, xs = r.row_result[order], r.row_version[order], x[order]
    lengths = np.bincount(res)  # scored items on each paper (results are 0..R-1)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    found = []
    for k in np.unique(lengths[lengths > 0]).tolist():
        # papers of k scored items as rows of a matrix; identical rows are one form
        of_length = np.flatnonzero(lengths == k)
        cells = starts[of_length][:, None] + np.arange(k)[None, :]
        papers, scores = ver[cells], xs[cells]
        _, form_of, sizes = np.unique(papers, axis=0, return_inverse=True, return_counts=True)
        form_of = form_of.reshape(-1)
        for form in np.flatnonzero(sizes >= min_candidates).tolist():
            matrix = scores[form_of == form]
            totals = matrix.sum(axis=1)
            reliability = kr20(matrix)
            sd = float(totals.std())
            sem = sd * math.sqrt(1.0 - reliability) if math.isfinite(reliability) else math.nan
            found.append(Form(len(matrix), k, float(totals.mean()), sd, reliability, sem))
    return sorted(found, key=lambda f: (-f.candidates, -f.items))


def analyse(r: Responses) -> Figures:
    """Every figure of every item version and of the unit, from the rows."""
    versions, width = r.versions, max(1, int(r.version_options.max(initial=1)))
    x = item_scores(r)
    total, count = candidate_totals(r, x)
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = np.where(count > 0, 100.0 * total / count, np.nan)
    rest = rest_fraction(r, x, total, count)
    defined = np.isfinite(rest)
    v, vd, xd, restd = r.row_version, r.row_version[defined], x[defined], rest[defined]

    n = np.bincount(v, minlength=versions)
    with np.errstate(invalid="ignore", divide="ignore"):
        facility = np.bincount(v, weights=x, minlength=versions) / n
        omit_rate = np.bincount(v, weights=(r.row_option == -1), minlength=versions) / n
    discrimination = grouped_pearson(vd, xd, restd, versions)
    upper_lower = grouped_upper_lower(vd, xd, restd, r.row_result[defined], versions)
    median_seconds = grouped_median(v, r.row_seconds, versions)

    chose = r.row_option >= 0
    cell = v[chose] * width + r.row_option[chose]
    chosen = np.bincount(cell, minlength=versions * width).reshape(versions, width)
    row_percent = percent[r.row_result[chose]]
    finite = np.isfinite(row_percent)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_percent = (
            np.bincount(cell[finite], weights=row_percent[finite], minlength=versions * width)
            / np.bincount(cell[finite], minlength=versions * width)
        ).reshape(versions, width)
    point_biserial = _option_point_biserial(r, defined, restd, versions, width)
    unused = np.arange(width)[None, :] >= r.version_options[:, None]
    for table in (mean_percent, point_biserial):
        table[unused] = np.nan
    return Figures(
        items=ItemFigures(
            n=n,
            facility=facility,
            discrimination=discrimination,
            upper_lower=upper_lower,
            omit_rate=omit_rate,
            median_seconds=median_seconds,
            chosen=chosen,
            point_biserial=point_biserial,
            mean_percent=mean_percent,
        ),
        percent=percent,
        forms=forms(r, x),
    )


def _option_point_biserial(
    r: Responses, defined: Bools, rest: Floats, versions: int, width: int
) -> Floats:
    """r(chose option j, rest) per version and option, over rows whose rest is defined:
    (S_j - c_j mean) / sqrt(c_j (1 - c_j / m) S_yy), S_j the rest summed over choosers."""
    v, option = r.row_version[defined], r.row_option[defined]
    m = np.bincount(v, minlength=versions).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(v, weights=rest, minlength=versions) / m
    dev = rest - mean[v]
    syy = np.bincount(v, weights=dev * dev, minlength=versions)
    chose = option >= 0
    cell = v[chose] * width + option[chose]
    c = np.bincount(cell, minlength=versions * width).reshape(versions, width).astype(float)
    sums = np.bincount(cell, weights=dev[chose], minlength=versions * width)
    sizes = np.bincount(cell, weights=np.abs(dev[chose]), minlength=versions * width)
    s = _snapped(sums, sizes).reshape(versions, width)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = c * (1.0 - c / m[:, None]) * syy[:, None]
    out = np.full((versions, width), np.nan)
    ok = (c > 0) & (spread > _TINY)
    out[ok] = s[ok] / np.sqrt(spread[ok])
    return np.asarray(np.clip(out, -1.0, 1.0), dtype=np.float64)
