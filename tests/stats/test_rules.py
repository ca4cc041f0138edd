"""The pure rules and formulas, directly: cases that tell the right formula from a near miss."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats as scipy_stats

from app.errors import Invalid
from app.stats import compute, rules, service
from app.stats.compute import Responses

Opt = rules.OptionFigures


def flags(**overrides: object) -> list[str]:
    values: dict[str, object] = {
        "n": 100,
        "facility": 0.6,
        "discrimination": 0.4,
        "options": [Opt(True, 60, 0.4), Opt(False, 20, -0.2), Opt(False, 20, -0.3)],
    }
    values.update(overrides)
    return rules.item_flags(**values)  # type: ignore[arg-type]


def test_a_good_item_raises_no_flag() -> None:
    assert flags() == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"n": 29}, ["insufficient_data"]),
        ({"n": 30}, []),
        ({"discrimination": -0.0001}, ["negative_discrimination"]),
        ({"discrimination": 0.0}, ["low_discrimination"]),
        ({"discrimination": 0.1499}, ["low_discrimination"]),
        ({"discrimination": 0.15}, []),
        ({"discrimination": None}, []),
        ({"n": 5, "discrimination": -0.5}, ["insufficient_data", "negative_discrimination"]),
        ({"n": 5, "facility": 0.01, "discrimination": 0.01}, ["insufficient_data"]),
        ({"facility": 0.1999}, ["low_facility"]),
        ({"facility": 0.2}, []),
        ({"facility": 0.95}, []),
        ({"facility": 0.9501}, ["high_facility"]),
        (
            {"options": [Opt(True, 80, 0.4), Opt(False, 20, -0.2), Opt(False, 0, None)]},
            ["distractor_unchosen"],
        ),
        # a key chosen by nobody is not a distractor problem
        ({"options": [Opt(True, 0, None), Opt(False, 100, 0.0)]}, []),
        (
            {"options": [Opt(True, 60, 0.4), Opt(False, 5, 0.01), Opt(False, 35, -0.3)]},
            ["distractor_positive"],
        ),
        ({"options": [Opt(True, 60, 0.4), Opt(False, 4, 0.3), Opt(False, 36, -0.3)]}, []),
        ({"options": [Opt(True, 60, 0.4), Opt(False, 5, 0.0), Opt(False, 35, -0.3)]}, []),
        ({"excluded": True}, ["excluded"]),
    ],
)
def test_item_flags(overrides: dict[str, object], expected: list[str]) -> None:
    assert flags(**overrides) == expected


def test_form_flags() -> None:
    assert rules.form_flags(29) == ["insufficient_data"]
    assert rules.form_flags(30) == []


@pytest.mark.parametrize(
    ("m", "k"), [(0, 0), (1, 0), (2, 1), (10, 3), (50, 14), (100, 27), (37, 10)]
)
def test_upper_lower_group_size_is_27_percent_rounded_half_up(m: int, k: int) -> None:
    # 50 x 0.27 = 13.5 -> 14 (floor would give 13); 37 x 0.27 = 9.99 -> 10
    assert compute.upper_lower_k(np.array([m]))[0] == k


def test_kr20_equals_cronbach_alpha_on_binary_items() -> None:
    rng = np.random.default_rng(3)
    theta = rng.normal(size=200)
    b = rng.normal(size=12)
    scores = (rng.random((200, 12)) < 1 / (1 + np.exp(-(theta[:, None] - b)))).astype(float)
    k = scores.shape[1]
    alpha = k / (k - 1) * (1 - scores.var(axis=0, ddof=1).sum() / scores.sum(axis=1).var(ddof=1))
    assert compute.kr20(scores) == pytest.approx(alpha, rel=1e-12)
    assert 0.5 < compute.kr20(scores) < 1


def test_kr20_by_hand() -> None:
    # 4 candidates, 3 items: totals 3, 2, 1, 0 -> var 1.25; p = .75 .5 .25 -> sum pq = .625
    scores = np.array([[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 0, 0]], float)
    assert compute.kr20(scores) == pytest.approx(1.5 * (1 - 0.625 / 1.25))
    assert math.isnan(compute.kr20(np.ones((5, 3))))  # no variance
    assert math.isnan(compute.kr20(np.array([[1.0], [0.0]])))  # one item


def test_grouped_pearson_and_median_match_scipy_and_statistics() -> None:
    rng = np.random.default_rng(5)
    group = rng.integers(0, 4, 400)
    x = (rng.random(400) < 0.5).astype(float)
    y = x * 0.3 + rng.random(400)
    r = compute.grouped_pearson(group, x, y, 5)
    for g in range(4):
        assert r[g] == pytest.approx(scipy_stats.pearsonr(x[group == g], y[group == g])[0])
        median = compute.grouped_median(group, y, 5)[g]
        assert median == pytest.approx(float(np.median(y[group == g])))
    assert math.isnan(r[4])  # empty group
    constant = compute.grouped_pearson(np.zeros(5, np.int64), np.ones(5), np.arange(5.0), 1)
    assert math.isnan(constant[0])


def _responses(rows: list[tuple[int, int, int]], keys: list[int], scored: list[bool]) -> Responses:
    """rows: (result, version, option chosen)."""
    a = np.array(rows, np.int64)
    return Responses(
        row_result=a[:, 0],
        row_version=a[:, 1],
        row_option=a[:, 2],
        row_seconds=np.full(len(rows), np.nan),
        version_key=np.array(keys, np.int64),
        version_options=np.full(len(keys), 3, np.int64),
        version_scored=np.array(scored, bool),
    )


def test_rest_leaves_out_the_item_itself_and_excluded_items() -> None:
    # one candidate, three items (keys option 0): right, right, wrong; the third excluded
    r = _responses([(0, 0, 0), (0, 1, 0), (0, 2, 1)], [0, 0, 0], [True, True, False])
    x = compute.item_scores(r)
    total, count = compute.candidate_totals(r, x)
    assert (total[0], count[0]) == (2, 2)
    rest = compute.rest_fraction(r, x, total, count)
    # items 0 and 1: the other scored item (1/1); the excluded item: both scored items (2/2)
    assert list(rest) == [1.0, 1.0, 1.0]
    alone = _responses([(0, 0, 0), (0, 1, 1)], [0, 0], [True, False])
    x = compute.item_scores(alone)
    rest = compute.rest_fraction(alone, x, *compute.candidate_totals(alone, x))
    assert math.isnan(rest[0]) and rest[1] == 1.0


def test_forms_group_identical_papers_only() -> None:
    # results 0-2 sat versions {0, 1}; result 3 sat {0, 2}: one form of three
    rows = [(0, 0, 0), (0, 1, 0), (1, 1, 1), (1, 0, 0), (2, 0, 1), (2, 1, 1), (3, 0, 0), (3, 2, 0)]
    r = _responses(rows, [0, 0, 0], [True, True, True])
    forms = compute.forms(r, compute.item_scores(r))
    assert len(forms) == 1
    form = forms[0]
    assert (form.candidates, form.items) == (3, 2)
    # totals 2, 1, 0: population SD sqrt(2/3); p = 2/3, 1/3
    assert form.sd_score == pytest.approx(math.sqrt(2 / 3))
    assert form.kr20 == pytest.approx(2 * (1 - (2 / 9 + 2 / 9) / (2 / 3)))
    assert form.sem == pytest.approx(math.sqrt(2 / 3) * math.sqrt(1 - form.kr20))


def test_seconds_since_previous_orders_answers_by_time() -> None:
    result = np.array([0, 0, 0, 1, 1])
    elapsed = np.array([30.0, 10.0, np.nan, 50.0, 20.0])
    gaps = service.seconds_since_previous(result, elapsed)
    assert list(gaps[:2]) == [20.0, 10.0] and math.isnan(gaps[2])
    assert list(gaps[3:]) == [30.0, 20.0]


def test_option_indices() -> None:
    version = np.array([1, 0, 1, 0, 1, 0])
    answer = np.array(["b", "x", "", "y", "a", "zz"])
    got = service.option_indices(version, answer, [["x", "y"], ["a", "b", "c"]])
    assert list(got) == [1, 0, -1, 1, 0, -2]


def test_distribution_bands() -> None:
    bands = service.distribution(np.array([0.0, 9.99, 10.0, 69.99, 70.0, 100.0]))
    assert [b.candidates for b in bands] == [2, 1, 0, 0, 0, 0, 1, 1, 0, 1]
    assert (bands[-1].from_percent, bands[-1].to_percent) == (90, 100)


def test_window() -> None:
    june = datetime(2026, 6, 1, tzinfo=UTC)
    assert service.window("2026-06-01", "2026-06-01") == service.Window(
        june, datetime(2026, 6, 2, tzinfo=UTC)
    )
    assert service.window("2026-06-01T10:00:00+01:00", None).start == datetime(
        2026, 6, 1, 9, tzinfo=UTC
    )
    assert service.window("", " ") == service.Window(None, None)
    # RFC 3339 (5.6) allows a lower-case t and z
    assert service.window("2026-06-01t09:00:00z", None).start == june.replace(hour=9)
    # the last day there is, whole: no end (its end of day is past datetime.max)
    assert service.window(None, "9999-12-31") == service.Window(None, None)
    for edge in (("0001-01-01T00:00:00+01:00", None), (None, "9999-12-31T23:59:59-01:00")):
        with pytest.raises(Invalid, match="outside the years"):  # was an OverflowError: a 500
            service.window(*edge)
    for bad in (("2026-06-01T09:00", None), ("soon", None), (None, "10000-01-01")):
        with pytest.raises(Invalid):
            service.window(*bad)
    with pytest.raises(Invalid, match="%2B"):  # "+01:00" unencoded in a URL reads " 01:00"
        service.window("2026-06-01T10:00:00 01:00", None)
    with pytest.raises(Invalid):
        service.window("2026-06-02", "2026-06-01")


def test_forms_of_different_lengths_and_exclusions() -> None:
    # results 0, 1: versions {0, 1, 2}; results 2, 3: {0, 1}; result 4: {0, 1, 2} with
    # version 2 answered differently: forms are sets of scored versions, not of answers
    rows = [
        (0, 0, 0), (0, 1, 0), (0, 2, 1),
        (1, 2, 0), (1, 0, 1), (1, 1, 0),
        (2, 0, 0), (2, 1, 1),
        (3, 1, 0), (3, 0, 0),
        (4, 0, 1), (4, 1, 1), (4, 2, 1),
    ]  # fmt: skip
    r = _responses(rows, [0, 0, 0], [True, True, True])
    forms = compute.forms(r, compute.item_scores(r))
    assert [(f.candidates, f.items) for f in forms] == [(3, 3), (2, 2)]
    # excluding version 2 makes every paper the same two scored items
    r = _responses(rows, [0, 0, 0], [True, True, False])
    forms = compute.forms(r, compute.item_scores(r))
    assert [(f.candidates, f.items) for f in forms] == [(5, 2)]
    x = compute.item_scores(r)
    totals = [2, 1, 1, 2, 0]  # right on versions 0 and 1, result by result
    assert forms[0].mean_score == pytest.approx(sum(totals) / 5)
    assert forms[0].sd_score == pytest.approx(float(np.std(totals)))
    assert len(x) == len(rows)


def test_a_correlation_that_is_exactly_zero_is_zero_not_rounding_noise() -> None:
    # x against y/19: the covariance is exactly 0 (Fraction arithmetic), float sums gave
    # -3.9e-17, which flagged "negative_discrimination" on an item that has none.
    x, y = [1, 0, 0, 0], [6, 0, 11, 7]
    mx, my = Fraction(sum(x), 4), Fraction(sum(y), 4 * 19)
    assert sum((a - mx) * (Fraction(b, 19) - my) for a, b in zip(x, y, strict=True)) == 0
    r = compute.grouped_pearson(np.zeros(4, np.int64), np.array(x, float), np.array(y) / 19, 1)
    assert r[0] == 0.0
    # the same through the whole analysis: item 0 and 19 others, candidate c right on y[c]
    # of the others, so the rest fraction is y/19; the key's point-biserial agrees
    rows = [(c, 0, 0 if x[c] else 1) for c in range(4)]
    rows += [(c, v, 0 if v <= y[c] else 1) for c in range(4) for v in range(1, 20)]
    figures = compute.analyse(_responses(rows, [0] * 20, [True] * 20)).items
    assert figures.discrimination[0] == 0.0
    assert figures.point_biserial[0][0] == 0.0
    # a small true correlation is kept: 1e-9 of the terms' sizes is far below any real one
    near = compute.grouped_pearson(
        np.zeros(4, np.int64), np.array([1.0, 0, 0, 0]), np.array([7.0, 0, 11, 7]) / 19, 1
    )
    assert near[0] > 0
