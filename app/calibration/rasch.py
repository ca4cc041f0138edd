"""Rasch calibration from sparse responses: marginal maximum likelihood by EM (pure numpy).

Every candidate sat a different randomised paper, so the responses are a sparse persons x
items table: only the (person, item) pairs that were on a paper exist. The estimator:

- **MML-EM** (Bock & Aitkin, 1981) for the item difficulties b_i, with the candidates'
  abilities a normal population N(mu, sigma^2) integrated out on Gauss-Hermite quadrature.
  Consistent with many persons and few items each (JML is not: its difficulties are biased by
  a factor near (L-1)/L on short papers), and it needs no person to have a finite score.
- Identification: a first calibration is **centred on its items** (mean b = 0; mu free); an
  anchored calibration holds the anchor items at given values (mu free).
- **Standard errors** from the empirical cross-product (XPD) of the persons' marginal score
  vectors, in the constrained parameterisation (centred items: Cov(Cb) = C Cov(b) C'). XPD is
  a sum of one outer product per person: with fewer than XPD_PERSONS_PER_PARAMETER persons a
  parameter it is near singular and its inverse inflated (81 persons, 66 items: SEs about three
  times too large, which hid every drift), so a small calibration takes each item's model
  information instead, sum over its takers of E_posterior[P (1 - P)] (as the extremes do).
- **Items answered all right or all wrong** have no finite MML estimate: they are left out of
  the EM and given a bounded estimate afterwards, as if half a response had gone the other
  way (n - 0.5 or 0.5 right), with its information-based SE; they are marked `extreme`.
- **Persons**: Warm's weighted likelihood estimate (WLE) of theta with SE = 1/sqrt(I): finite
  for zero and perfect scores, nearly unbiased on short papers.

All arrays are in long format: one entry per response (person index, item index, score).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.special import expit, log_expit, logsumexp

from app.calibration.scale import THETA_MAX, THETA_MIN

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NODES = 41  # Gauss-Hermite points; abilities are smooth, 41 is ample for |theta| < 6 sigma
TOLERANCE = 1e-6  # largest change in any b (logits) between EM cycles at convergence
MAX_CYCLES = 2000
# Persons whose score vectors are summed at once for the standard errors: bounds the memory
# of the XPD to CHUNK x items floats whatever the number of candidates.
CHUNK = 4096
# Below this many persons for each parameter, the XPD information is too noisy to invert
XPD_PERSONS_PER_PARAMETER = 10


@dataclass(frozen=True)
class Responses:
    """Long-format responses: person[k] answered item[k] with score x[k] (0 or 1)."""

    person: IntArray
    item: IntArray
    x: IntArray
    n_persons: int
    n_items: int

    @staticmethod
    def of(person: object, item: object, x: object, n_persons: int, n_items: int) -> Responses:
        return Responses(
            np.asarray(person, dtype=np.int64),
            np.asarray(item, dtype=np.int64),
            np.asarray(x, dtype=np.int64),
            n_persons,
            n_items,
        )

    def item_counts(self) -> tuple[IntArray, IntArray]:
        """(responses, right) per item."""
        n = np.bincount(self.item, minlength=self.n_items).astype(np.int64)
        r = np.bincount(self.item, weights=self.x, minlength=self.n_items).astype(np.int64)
        return n, r

    def person_counts(self) -> tuple[IntArray, IntArray]:
        """(items taken, right) per person."""
        n = np.bincount(self.person, minlength=self.n_persons).astype(np.int64)
        r = np.bincount(self.person, weights=self.x, minlength=self.n_persons).astype(np.int64)
        return n, r


@dataclass(frozen=True)
class Calibration:
    """Difficulties on the run's scale; NaN b for an item nobody answered."""

    b: FloatArray
    se: FloatArray
    n: IntArray
    right: IntArray
    extreme: list[str | None]  # per item: "all_right" | "all_wrong" | None
    anchored: NDArray[np.bool_]
    mu: float
    sigma: float
    cycles: int
    converged: bool


def _matrices(data: Responses) -> tuple[sparse.csr_matrix, sparse.csr_matrix]:
    shape = (data.n_persons, data.n_items)
    ones = np.ones(len(data.x))
    taken = sparse.csr_matrix((ones, (data.person, data.item)), shape=shape)
    right = sparse.csr_matrix((data.x.astype(float), (data.person, data.item)), shape=shape)
    return taken, right


def _posterior(
    taken: sparse.csr_matrix,
    right: sparse.csr_matrix,
    b: FloatArray,
    nodes: FloatArray,
    log_weights: FloatArray,
) -> tuple[FloatArray, float]:
    """Each person's posterior over the nodes (persons x nodes) and the marginal log-likelihood.

    log L_p(q) = sum_i [x_pi log P_iq + (1 - x_pi) log(1 - P_iq)] over the items p took
               = right_p . (log P_q - log Q_q) + taken_p . log Q_q
    """
    eta = nodes[:, None] - b[None, :]  # nodes x items
    log_p, log_q = log_expit(eta), log_expit(-eta)
    loglik = right @ (log_p - log_q).T + taken @ log_q.T  # persons x nodes
    joint = loglik + log_weights[None, :]
    marginal = logsumexp(joint, axis=1)
    return np.exp(joint - marginal[:, None]), float(marginal.sum())


def _quadrature(mu: float, sigma: float) -> tuple[FloatArray, FloatArray]:
    z, w = np.polynomial.hermite_e.hermegauss(NODES)
    return mu + sigma * z, np.log(w / w.sum())


def calibrate(
    data: Responses, anchors: Mapping[int, tuple[float, float]] | None = None
) -> Calibration:
    """Difficulties of every item answered at least once. `anchors` (item -> (b, se)) hold
    those items fixed; without anchors the free items are centred (mean b = 0)."""
    anchors = dict(anchors or {})
    n, right_count = data.item_counts()
    extreme: list[str | None] = [
        None if 0 < r < k else ("all_right" if k > 0 and r == k else ("all_wrong" if k else None))
        for k, r in zip(n.tolist(), right_count.tolist(), strict=True)
    ]
    anchored = np.zeros(data.n_items, dtype=bool)
    for i in anchors:
        anchored[i] = True
    free = np.array(
        [extreme[i] is None and n[i] > 0 and not anchored[i] for i in range(data.n_items)]
    )
    used = free | anchored
    if not free.any() and not anchored.any():
        raise ValueError("no item has both right and wrong answers: nothing to calibrate")

    # EM over the informative items only; extreme items' responses are dropped from it.
    keep = used[data.item]
    sub = Responses(data.person[keep], data.item[keep], data.x[keep], data.n_persons, data.n_items)
    taken, right = _matrices(sub)
    taken_t, right_t = taken.T.tocsr(), right.T.tocsr()

    b = np.zeros(data.n_items)
    if free.any():  # start from the log-odds of failure, centred
        f = (right_count[free] + 0.5) / (n[free] + 1.0)
        b[free] = np.log((1 - f) / f)
        b[free] -= b[free].mean()
    for i, (value, _) in anchors.items():
        b[i] = value
    mu, sigma = 0.0, 1.0
    if anchors:
        mu = float(np.mean([v for v, _ in anchors.values()]))
    converged, cycles = False, 0
    for _ in range(MAX_CYCLES):
        cycles += 1
        nodes, log_w = _quadrature(mu, sigma)
        post, _ = _posterior(taken, right, b, nodes, log_w)
        expected_right = np.asarray(right_t @ post)  # items x nodes
        expected_taken = np.asarray(taken_t @ post)
        new_b = b.copy()
        for _ in range(3):  # Newton on sum_q (r_iq - n_iq P_iq(b)) = 0, every free item at once
            p = expit(nodes[None, :] - new_b[:, None])
            gradient = (expected_right - expected_taken * p).sum(axis=1)
            hessian = (expected_taken * p * (1 - p)).sum(axis=1)
            step = np.where(hessian > 0, gradient / np.maximum(hessian, 1e-12), 0.0)
            new_b[free] -= np.clip(step[free], -1.0, 1.0)
        weights = post.sum(axis=0)
        total = weights.sum()
        mu_new = float(weights @ nodes / total)
        sigma_new = float(math.sqrt(max(weights @ (nodes - mu_new) ** 2 / total, 1e-4)))
        if not anchors:  # the Rasch model is unchanged by adding c to every b and to mu
            shift = float(new_b[free].mean())
            new_b[free] -= shift
            mu_new -= shift
        change = float(np.max(np.abs(new_b - b))) if free.any() else 0.0
        change = max(change, abs(mu_new - mu), abs(sigma_new - sigma))
        b, mu, sigma = new_b, mu_new, sigma_new
        if change < TOLERANCE:
            converged = True
            break

    se = np.full(data.n_items, np.nan)
    se[free] = _standard_errors(taken, right, b, mu, sigma, free, centred=not anchors)
    for i, (_, anchor_se) in anchors.items():
        se[i] = anchor_se
    b_out = np.where(used, b, np.nan)
    _bounded_extremes(data, b_out, se, extreme, anchored, mu, sigma, taken, right)
    return Calibration(
        b=b_out,
        se=se,
        n=n,
        right=right_count,
        extreme=extreme,
        anchored=anchored,
        mu=mu,
        sigma=sigma,
        cycles=cycles,
        converged=converged,
    )


def _standard_errors(
    taken: sparse.csr_matrix,
    right: sparse.csr_matrix,
    b: FloatArray,
    mu: float,
    sigma: float,
    free: NDArray[np.bool_],
    *,
    centred: bool,
) -> FloatArray:
    """SEs of the free items' b from the XPD information sum_p s_p s_p', with the person's
    marginal score s_p = d log L_p / d(theta-parameters), persons taken CHUNK at a time.

    Parameters: the free b's, and the population's log sigma; plus mu when items are anchored
    (when centred, mu is absorbed: b' = b - mu are the free parameters, then re-centred)."""
    nodes, log_w = _quadrature(mu, sigma)
    idx = np.flatnonzero(free)
    k = len(idx)
    extra = 1 if centred else 2
    if taken.shape[0] < XPD_PERSONS_PER_PARAMETER * (k + extra):
        return _model_standard_errors(taken, right, b, nodes, log_w, idx)
    info = np.zeros((k + extra, k + extra))
    p_nodes = expit(nodes[:, None] - b[None, idx])  # nodes x free items
    z = (nodes - mu) / sigma
    for start in range(0, taken.shape[0], CHUNK):
        t, r = taken[start : start + CHUNK], right[start : start + CHUNK]
        post, _ = _posterior(t, r, b, nodes, log_w)
        # d/db_i log P(x | theta) = -(x - P): expected over the posterior
        scores_b = (t[:, idx].multiply(post @ p_nodes)).toarray() - r[:, idx].toarray()
        cols = [scores_b, (post @ (z**2 - 1.0))[:, None]]
        if not centred:
            cols.append((post @ z / sigma)[:, None])
        s = np.hstack(cols)
        info += s.T @ s
    try:
        cov = np.linalg.inv(info)[:k, :k]
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)[:k, :k]
    if centred:
        c = np.eye(k) - 1.0 / k
        cov = c @ cov @ c.T
    return np.asarray(np.sqrt(np.maximum(np.diag(cov), 0.0)), dtype=np.float64)


def _model_standard_errors(
    taken: sparse.csr_matrix,
    right: sparse.csr_matrix,
    b: FloatArray,
    nodes: FloatArray,
    log_w: FloatArray,
    idx: NDArray[np.intp],
) -> FloatArray:
    """Each item's SE from its own model information: 1 / sqrt(sum over the persons who took
    it of E_posterior[P (1 - P)]), persons CHUNK at a time."""
    pq = expit(nodes[:, None] - b[None, idx])
    pq = pq * (1.0 - pq)  # nodes x free items
    information = np.zeros(len(idx))
    for start in range(0, taken.shape[0], CHUNK):
        t, r = taken[start : start + CHUNK], right[start : start + CHUNK]
        post, _ = _posterior(t, r, b, nodes, log_w)
        information += np.asarray(t[:, idx].multiply(post @ pq).sum(axis=0)).ravel()
    with np.errstate(divide="ignore"):
        return np.asarray(1.0 / np.sqrt(information), dtype=np.float64)


def _bounded_extremes(
    data: Responses,
    b: FloatArray,
    se: FloatArray,
    extreme: list[str | None],
    anchored: NDArray[np.bool_],
    mu: float,
    sigma: float,
    taken: sparse.csr_matrix,
    right: sparse.csr_matrix,
) -> None:
    """An all-right (all-wrong) item: the b at which the candidates who took it would be
    expected to get n - 0.5 (0.5) right, abilities from their posteriors on the other items."""
    todo = [i for i, e in enumerate(extreme) if e is not None and not anchored[i]]
    if not todo:
        return
    nodes, log_w = _quadrature(mu, sigma)
    post, _ = _posterior(taken, right, np.nan_to_num(b), nodes, log_w)
    for i in todo:
        who = data.person[data.item == i]
        weights = post[who].sum(axis=0)  # expected persons at each node
        n = len(who)
        target = n - 0.5 if extreme[i] == "all_right" else 0.5
        lo, hi = THETA_MIN * 2, THETA_MAX * 2
        for _ in range(200):  # expected right falls as b rises: bisect
            mid = (lo + hi) / 2
            if float(weights @ expit(nodes - mid)) > target:
                lo = mid
            else:
                hi = mid
        b[i] = (lo + hi) / 2
        p = expit(nodes - b[i])
        information = float(weights @ (p * (1 - p)))
        se[i] = 1.0 / math.sqrt(information) if information > 0 else math.inf


def wle(data: Responses, b: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Warm's weighted likelihood estimates of every person's theta and their SEs, from the
    items with a finite b. Solves sum(x - P) + J / (2 I) = 0 by Newton, all persons at once:
    I = sum P(1-P), J = sum P(1-P)(1-2P). SE = 1 / sqrt(I)."""
    ok = np.isfinite(b[data.item])
    person, x, bi = data.person[ok], data.x[ok].astype(float), b[data.item[ok]]
    m = data.n_persons
    taken = np.bincount(person, minlength=m)
    raw = np.bincount(person, weights=x, minlength=m)
    theta = np.log((raw + 0.5) / (taken - raw + 0.5))  # a start with the right sign
    for _ in range(100):
        p = expit(theta[person] - bi)
        w = p * (1 - p)
        info = np.bincount(person, weights=w, minlength=m)
        j = np.bincount(person, weights=w * (1 - 2 * p), minlength=m)
        dj = np.bincount(person, weights=w * (1 - 6 * p + 6 * p * p), minlength=m)
        resid = np.bincount(person, weights=x - p, minlength=m)
        safe = np.maximum(info, 1e-12)
        g = resid + j / (2 * safe)
        dg = -info + (dj * safe - j * j) / (2 * safe**2)
        step = np.clip(g / np.where(dg < -1e-12, -dg, safe), -1.0, 1.0)
        theta = np.clip(theta + step, THETA_MIN, THETA_MAX)
        if float(np.max(np.abs(step), initial=0.0)) < 1e-10:
            break
    p = expit(theta[person] - bi)
    info = np.bincount(person, weights=p * (1 - p), minlength=m)
    se = np.where(info > 0, 1.0 / np.sqrt(np.maximum(info, 1e-300)), np.inf)
    theta = np.where(taken > 0, theta, np.nan)
    return theta, se


@dataclass(frozen=True)
class Fit:
    """Per item: responses, observed and expected right, standardised residual of the total,
    infit and outfit mean squares and infit's Wilson-Hilferty z (NaN without responses)."""

    n: IntArray
    observed: FloatArray
    expected: FloatArray
    variance: FloatArray  # sum P(1-P): the binomial variance of the item's total right
    z: FloatArray
    infit: FloatArray
    outfit: FloatArray
    infit_z: FloatArray


def item_fit(data: Responses, b: FloatArray, theta: FloatArray) -> Fit:
    """Residual fit of each item to the Rasch model given persons' theta (Wright & Masters):

    W = P(1-P), z_pi = (x - P)/sqrt(W); outfit = mean z^2; infit = sum (x-P)^2 / sum W;
    q^2 = sum (C - W^2) / (sum W)^2 with C = P(1-P)^4 + (1-P)P^4;
    infit z = (infit^(1/3) - 1)(3/q) + q/3; total z = (sum x - sum P) / sqrt(sum W)."""
    ok = np.isfinite(b[data.item]) & np.isfinite(theta[data.person])
    item, x = data.item[ok], data.x[ok].astype(float)
    p = expit(theta[data.person[ok]] - b[item])
    w = p * (1 - p)
    k = data.n_items

    def total(values: FloatArray) -> FloatArray:
        return np.asarray(np.bincount(item, weights=values, minlength=k), dtype=np.float64)

    n = np.bincount(item, minlength=k).astype(np.int64)
    sw = total(w)
    with np.errstate(divide="ignore", invalid="ignore"):
        infit = total((x - p) ** 2) / sw
        outfit = total((x - p) ** 2 / w) / n
        q = np.sqrt(total(p * (1 - p) ** 4 + (1 - p) * p**4 - w**2)) / sw
        infit_z = (np.cbrt(infit) - 1.0) * (3.0 / q) + q / 3.0
        observed, expected = total(x), total(p)
        z = (observed - expected) / np.sqrt(sw)
    none = n == 0
    for a in (infit, outfit, infit_z, z):
        a[none] = np.nan
    return Fit(n, observed, expected, sw, z, infit, outfit, infit_z)
