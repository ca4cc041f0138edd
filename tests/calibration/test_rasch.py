"""The estimator against an independent one, and against simulated sittings with known truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq, minimize
from scipy.special import expit
from scipy.stats import norm

from app.calibration import measures, rasch, scale


def simulate(
    rng: np.random.Generator,
    b: np.ndarray,
    thetas: np.ndarray,
    per_paper: int,
    items: np.ndarray | None = None,
) -> rasch.Responses:
    """Each person sits a random `per_paper` of `items` (default all): a randomised paper."""
    pool = np.arange(len(b)) if items is None else items
    person, item, x = [], [], []
    for k, theta in enumerate(thetas):
        chosen = rng.choice(pool, size=per_paper, replace=False)
        person += [k] * per_paper
        item += chosen.tolist()
        x += (rng.random(per_paper) < expit(theta - b[chosen])).astype(int).tolist()
    return rasch.Responses.of(person, item, x, len(thetas), len(b))


# -- an independent estimator: the marginal likelihood summed on a fine grid, maximised by BFGS


GRID = np.linspace(-9, 9, 721)


def marginal_nll(params: np.ndarray, data: rasch.Responses, n_items: int) -> float:
    """-log L with b_0..b_{k-2} free, b_{k-1} = -sum(others) (centred), mu, log sigma; dense
    right/wrong indicator tables and a rectangular grid (no sparse algebra, no Gauss-Hermite)."""
    b = np.append(params[: n_items - 1], -params[: n_items - 1].sum())
    mu, sigma = params[n_items - 1], math.exp(params[n_items])
    density = norm.pdf(GRID, mu, sigma) * (GRID[1] - GRID[0])
    right = np.zeros((data.n_persons, n_items))
    wrong = np.zeros((data.n_persons, n_items))
    right[data.person, data.item] = data.x == 1
    wrong[data.person, data.item] = data.x == 0
    probs = expit(GRID[:, None] - b[None, :])
    loglik = right @ np.log(probs).T + wrong @ np.log(1 - probs).T  # persons x grid
    return -float(np.sum(np.log(np.exp(loglik) @ density)))


@pytest.fixture(scope="module")
def small() -> rasch.Responses:
    rng = np.random.default_rng(7)
    b = np.array([-1.2, -0.4, 0.0, 0.3, 0.8, 1.5])
    return simulate(rng, b, rng.normal(0.2, 1.0, 300), per_paper=4)


def test_mml_agrees_with_an_independent_marginal_likelihood(small: rasch.Responses) -> None:
    k = small.n_items
    fit = minimize(
        marginal_nll, np.zeros(k + 1), args=(small, k), method="BFGS", options={"gtol": 1e-7}
    )
    assert np.max(np.abs(fit.jac)) < 1e-3  # at the maximum (BFGS may stop on precision)
    b_ref = np.append(fit.x[: k - 1], -fit.x[: k - 1].sum())
    ours = rasch.calibrate(small)
    assert ours.converged
    assert np.allclose(ours.b, b_ref, atol=2e-3)
    assert ours.mu == pytest.approx(fit.x[k - 1], abs=2e-3)
    assert ours.sigma == pytest.approx(math.exp(fit.x[k]), abs=5e-3)
    # Standard errors: the XPD against the inverse Hessian of the same likelihood (both are
    # consistent estimates of the same covariance; they agree to sampling error)
    hessian = _numerical_hessian(lambda v: marginal_nll(v, small, k), fit.x)
    cov = np.linalg.inv(hessian)[: k - 1, : k - 1]
    jac = np.vstack([np.eye(k - 1), -np.ones(k - 1)])  # b_k = -sum(others)
    se_ref = np.sqrt(np.diag(jac @ cov @ jac.T))
    assert np.allclose(ours.se, se_ref, rtol=0.2)


def _numerical_hessian(f: object, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    fn = f
    n = len(x)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * h, np.eye(n)[j] * h
            value = (
                fn(x + e_i + e_j) - fn(x + e_i - e_j) - fn(x - e_i + e_j) + fn(x - e_i - e_j)  # type: ignore[operator]
            ) / (4 * h * h)
            out[i, j] = out[j, i] = value
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_small_calibration_has_standard_errors_of_the_right_size(seed: int) -> None:
    """81 candidates, 66 items, papers of 20 (a console trial's unit): the XPD information,
    a sum of 81 outer products in 67 dimensions, was near singular and its SEs 2.5 to 3 times
    too large (median 1.2-1.4, the z-scores' spread 0.3-0.46), hiding every drift. Each item's
    model information gives them the right size: z-scores spread about 1."""
    rng = np.random.default_rng(seed)
    b = rng.normal(0, 1, 66)
    b -= b.mean()
    cal = rasch.calibrate(simulate(rng, b, rng.normal(0.5, 1.0, 81), per_paper=20))
    ok = np.array([e is None for e in cal.extreme])
    z = (cal.b - b)[ok] / cal.se[ok]
    assert float(np.median(cal.se[ok])) < 0.7
    assert 0.7 < float(np.std(z)) < 1.35
    assert float(np.mean(np.abs(z) < 2)) >= 0.85


def test_a_two_item_test_gives_the_conditional_log_odds() -> None:
    """A hand-checked case: with two items, those who got exactly one right did so on item 1
    in n10 cases and on item 2 in n01; the Rasch model's conditional estimate of b2 - b1 is
    log(n10 / n01), and with many persons MML agrees (here 60 vs 20: log 3)."""
    person, item, x = [], [], []
    patterns = [(1, 0)] * 60 + [(0, 1)] * 20 + [(1, 1)] * 50 + [(0, 0)] * 50
    for k, (x1, x2) in enumerate(patterns):
        person += [k, k]
        item += [0, 1]
        x += [x1, x2]
    cal = rasch.calibrate(rasch.Responses.of(person, item, x, len(patterns), 2))
    assert cal.b[1] - cal.b[0] == pytest.approx(math.log(3), abs=0.02)
    assert cal.b[0] + cal.b[1] == pytest.approx(0.0, abs=1e-9)  # centred


def test_simulated_difficulties_are_recovered_within_their_standard_errors() -> None:
    rng = np.random.default_rng(2026)
    b = rng.normal(0, 1, 80)
    b -= b.mean()
    data = simulate(rng, b, rng.normal(0.4, 1.1, 2000), per_paper=30)
    cal = rasch.calibrate(data)
    z = (cal.b - b) / cal.se
    assert np.mean(np.abs(z) < 2) >= 0.9
    assert np.corrcoef(cal.b, b)[0, 1] > 0.95
    assert 0.7 < np.std(z) < 1.3  # the SEs are the right size, not merely large
    assert cal.mu == pytest.approx(0.4, abs=0.1)
    assert cal.sigma == pytest.approx(1.1, abs=0.1)


def test_items_all_right_or_all_wrong_get_bounded_flagged_estimates() -> None:
    rng = np.random.default_rng(3)
    b = np.linspace(-1.5, 1.5, 12)
    data = simulate(rng, b, rng.normal(0, 1, 400), per_paper=8)
    x = data.x.copy()
    x[data.item == 0] = 1  # everyone right
    x[data.item == 11] = 0  # everyone wrong
    data = rasch.Responses(data.person, data.item, x, data.n_persons, data.n_items)
    cal = rasch.calibrate(data)
    assert cal.extreme[0] == "all_right" and cal.extreme[11] == "all_wrong"
    assert all(e is None for e in cal.extreme[1:11])
    assert np.isfinite(cal.b).all() and np.isfinite(cal.se).all()
    assert cal.b[0] < cal.b[1:11].min() and cal.b[11] > cal.b[1:11].max()
    assert cal.b[1:11].mean() == pytest.approx(0.0, abs=1e-9)  # centred on the estimable ones


def wle_by_root(xs: np.ndarray, bs: np.ndarray) -> float:
    """Warm's estimate by bracketing the root of its estimating equation, person by person."""

    def g(t: float) -> float:
        p = expit(t - bs)
        info = float(np.sum(p * (1 - p)))
        j = float(np.sum(p * (1 - p) * (1 - 2 * p)))
        return float(np.sum(xs - p)) + j / (2 * info)

    return float(brentq(g, -10, 10, xtol=1e-12))


def test_wle_matches_a_root_finder_and_is_finite_for_zero_and_perfect_scores() -> None:
    bs = np.array([-1.0, -0.3, 0.2, 0.9, 1.4])
    patterns = [np.array(p) for p in ([0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 0, 1, 0, 0])]
    person = np.repeat(np.arange(3), 5)
    item = np.tile(np.arange(5), 3)
    x = np.concatenate(patterns)
    theta, se = rasch.wle(rasch.Responses.of(person, item, x, 3, 5), bs)
    for k, pattern in enumerate(patterns):
        assert theta[k] == pytest.approx(wle_by_root(pattern, bs), abs=1e-8)
        p = expit(theta[k] - bs)
        assert se[k] == pytest.approx(1 / math.sqrt(np.sum(p * (1 - p))), abs=1e-9)
    assert theta[0] < -2 and theta[1] > 2  # finite, and where they belong


def test_reliability_agrees_with_an_independent_computation_and_the_truth() -> None:
    rng = np.random.default_rng(11)
    b = rng.normal(0, 1, 60)
    b -= b.mean()
    truth = rng.normal(0, 1.2, 1500)
    data = simulate(rng, b, truth, per_paper=30)
    cal = rasch.calibrate(data)
    theta, se = rasch.wle(data, cal.b)
    # by hand, person by person
    thetas, ses = [], []
    for k in range(data.n_persons):
        mine = data.person == k
        bs, xs = cal.b[data.item[mine]], data.x[mine]
        t = wle_by_root(xs, bs)
        p = expit(t - bs)
        thetas.append(t)
        ses.append(1 / math.sqrt(np.sum(p * (1 - p))))
    t_arr, s_arr = np.array(thetas), np.array(ses)
    by_hand = (np.var(t_arr, ddof=1) - np.mean(s_arr**2)) / np.var(t_arr, ddof=1)
    ours = measures.separation_reliability(theta, se)
    assert ours == pytest.approx(by_hand, abs=1e-6)
    # and the simulation's own: the squared correlation of the estimates with the truth
    assert ours == pytest.approx(np.corrcoef(theta, truth)[0, 1] ** 2, abs=0.04)
    marginal = measures.marginal_reliability(cal.sigma, se)
    assert marginal == pytest.approx(1.2**2 / (1.2**2 + np.mean(s_arr**2)), abs=0.03)


def test_anchoring_recovers_a_known_shift_and_flags_only_the_planted_drift() -> None:
    rng = np.random.default_rng(5)
    b = np.concatenate([rng.normal(0, 1, 60), rng.normal(1.0, 1, 20)])  # new items harder
    first_items, second_items = np.arange(60), np.arange(20, 80)
    first = simulate(rng, b, rng.normal(0, 1, 1500), 25, first_items)
    run1 = rasch.calibrate(first)
    scale1 = b - b[first_items].mean()  # run 1's scale: centred on its own items
    assert np.corrcoef(run1.b[first_items], scale1[first_items])[0, 1] > 0.97

    drifted = b.copy()
    drifted[30] += 1.2  # the planted item: harder now (say, its picture failed to load)
    second = simulate(rng, drifted, rng.normal(0.5, 1, 1500), 25, second_items)
    free = rasch.calibrate(second)
    common = np.arange(20, 60)
    link = measures.link_mean_mean(
        run1.b[common].tolist(),
        run1.se[common].tolist(),
        free.b[common].tolist(),
        free.se[common].tolist(),
    )
    known = b[second_items].mean() - b[first_items].mean()  # free run 2 is centred there
    assert link.shift == pytest.approx(known, abs=0.1)
    assert [int(common[j]) for j, d in enumerate(link.drift) if d] == [30]
    anchors = {int(common[j]): (run1.b[common[j]], run1.se[common[j]]) for j in link.stable}
    run2 = rasch.calibrate(second, anchors)
    new = np.arange(60, 80)
    z = (run2.b[new] - scale1[new]) / run2.se[new]
    assert np.mean(np.abs(z) < 2) >= 0.85
    assert run2.mu == pytest.approx(0.5 - b[first_items].mean(), abs=0.12)
    assert run2.b[30] - scale1[30] == pytest.approx(1.2, abs=0.4)  # re-estimated, not held


def test_live_health_flags_a_leaked_item_and_nothing_else() -> None:
    rng = np.random.default_rng(9)
    b = rng.normal(0, 1, 60)
    b -= b.mean()
    data = simulate(rng, b, rng.normal(0, 1, 600), per_paper=25)
    x = data.x.copy()
    x[data.item == 17] = 1  # leaked: everyone right
    data = rasch.Responses(data.person, data.item, x, data.n_persons, data.n_items)
    theta, _ = rasch.wle(data, b)
    fit = rasch.item_fit(data, b, theta)
    flags, critical = measures.health_flags(fit.n, fit.z, fit.infit, fit.infit_z, 30)
    flagged = {k: f for k, f in enumerate(flags) if f}
    assert set(flagged) == {17}
    assert "easier" in flagged[17]
    assert critical == pytest.approx(norm.ppf(1 - 0.01 / 120))


def test_infit_and_outfit_match_their_definitions() -> None:
    bs = np.array([0.0, 1.0])
    theta = np.array([-0.5, 0.5, 1.5])
    person = np.array([0, 0, 1, 1, 2, 2])
    item = np.array([0, 1, 0, 1, 0, 1])
    x = np.array([1, 0, 0, 1, 1, 1])
    fit = rasch.item_fit(rasch.Responses.of(person, item, x, 3, 2), bs, theta)
    p = expit(theta - bs[0])
    xs = x[item == 0]
    w = p * (1 - p)
    assert fit.outfit[0] == pytest.approx(np.mean((xs - p) ** 2 / w))
    assert fit.infit[0] == pytest.approx(np.sum((xs - p) ** 2) / np.sum(w))
    assert fit.z[0] == pytest.approx((xs.sum() - p.sum()) / math.sqrt(w.sum()))


def test_the_cut_precision_of_a_paper_worked_by_hand() -> None:
    bs = np.array([-1.0, 0.0, 1.0])
    # raw pass mark 2 of 3: the cut is where P(-1)+P(0)+P(1) = 2
    cut = brentq(lambda t: float(np.sum(expit(t - bs))) - 2, -5, 5)
    p = expit(cut - bs)
    info = float(np.sum(p * (1 - p)))
    two = rasch.Responses.of([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2], [1, 1, 0, 1, 1, 1], 2, 3)
    theta = np.array([cut + 0.1, cut + 5.0])
    se = np.array([1.0, 1.0])
    raw = np.array([2, 2])
    got = measures.cut_precision(two, bs, raw, theta, se)
    assert got is not None and got.papers == 2
    assert got.theta_cut == pytest.approx(cut, abs=1e-8)
    assert got.sem_logit == pytest.approx(1 / math.sqrt(info))
    assert got.sem_raw == pytest.approx(math.sqrt(info))
    assert got.in_doubt == 0.5  # 0.1 from the cut is in doubt, 5.0 is not
    standard_set = measures.cut_precision(two, bs, raw, theta, se, np.array([np.nan, cut + 4.9]))
    assert standard_set is not None and standard_set.in_doubt == 1.0


def test_every_papers_cut_matches_the_scales_inverse_characteristic_curve() -> None:
    rng = np.random.default_rng(12)
    b = rng.normal(0, 1.3, 50)
    data = simulate(rng, b, rng.normal(0, 1, 200), per_paper=25)
    raw = rng.integers(0, 26, 200)
    got = measures.paper_thetas(data, b, raw.astype(float))
    for k in range(200):
        bs = b[data.item[data.person == k]].tolist()
        assert got[k] == pytest.approx(scale.theta_for_score(float(raw[k]), bs), abs=1e-7)


def test_raw_pass_mark_is_the_least_score_marking_passes() -> None:
    assert measures.raw_pass_mark(50, 25) == 13  # 12.5 -> 13
    assert measures.raw_pass_mark(60, 20) == 12  # exactly 12 stays 12
    assert measures.raw_pass_mark(70, 30) == 21
    assert measures.raw_pass_mark(np.array([50, 60]), np.array([25, 20])).tolist() == [13, 12]
