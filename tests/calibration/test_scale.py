"""The Rasch scale's pure functions, against figures worked by hand."""

import math

import pytest

from app.calibration import scale


def test_probability_is_the_logistic_of_theta_minus_b() -> None:
    assert scale.probability(0.0, 0.0) == pytest.approx(0.5)
    assert scale.probability(1.0, 0.0) == pytest.approx(1 / (1 + math.exp(-1)))


def test_expected_score_and_its_inverse_agree() -> None:
    bs = [-1.0, 0.0, 1.0]
    assert scale.expected_score(0.0, bs) == pytest.approx(1.5)  # symmetric about 0
    theta = scale.theta_for_score(2.2, bs)
    assert scale.expected_score(theta, bs) == pytest.approx(2.2, abs=1e-9)


def test_extreme_scores_sit_at_the_ends_of_the_range() -> None:
    assert scale.theta_for_score(0, [0.0, 0.5]) == scale.THETA_MIN
    assert scale.theta_for_score(2, [0.0, 0.5]) == scale.THETA_MAX


def test_raw_cut_rounds_up_but_not_an_exact_whole_mark() -> None:
    assert scale.raw_cut(0.0, [-1.0, 0.0, 1.0]) == 2  # expected 1.5 -> 2
    assert scale.raw_cut(0.0, [0.0, 0.0]) == 1  # expected exactly 1.0 stays 1
    # An easier paper needs more marks for the same standard.
    easy, hard = [-1.0] * 10, [1.0] * 10
    assert scale.raw_cut(0.5, easy) > scale.raw_cut(0.5, hard)


def test_standard_error_is_one_over_root_information() -> None:
    bs = [0.0] * 4
    assert scale.information(0.0, bs) == pytest.approx(1.0)
    assert scale.standard_error(0.0, bs) == pytest.approx(1.0)
