"""A cut on the scale as each paper's raw pass mark; the percent the contract reports."""

from __future__ import annotations

from fractions import Fraction as F

from app.calibration import scale
from app.marking.scoring import raw_pass_mark, reported_percent
from app.standards import passmarks


def test_every_item_calibrated_uses_the_papers_own_difficulties() -> None:
    calibrated = {1: 0.0, 2: 0.0, 3: 0.0, 4: 0.0}
    mark = passmarks.paper_pass_mark(0.0, F(50), [1, 2, 3, 4], calibrated)
    assert mark == passmarks.PaperMark(2, 0, "scale", (0.0,) * 4)  # exactly 2.0: 2, not 3


def test_an_easier_paper_needs_more_marks_than_a_harder_one() -> None:
    calibrated = {i: -1.5 for i in range(10)} | {i: 1.5 for i in range(10, 20)}
    easy = passmarks.paper_pass_mark(0.5, F(60), list(range(10)), calibrated)
    hard = passmarks.paper_pass_mark(0.5, F(60), list(range(10, 20)), calibrated)
    # by hand: 10 / (1 + e^-2) = 8.81 -> 9; 10 / (1 + e^1) = 2.69 -> 3
    assert (easy.pass_mark, hard.pass_mark) == (9, 3)
    assert easy.pass_mark > hard.pass_mark


def test_a_few_uncalibrated_items_take_the_banks_mean_difficulty() -> None:
    calibrated = {1: -1.0, 2: 1.0, 3: 0.5, 9: -0.5}  # mean 0
    mark = passmarks.paper_pass_mark(0.0, F(50), [1, 2, 3, 4], calibrated)
    expected = scale.raw_cut(0.0, [-1.0, 1.0, 0.5, 0.0])
    assert mark == passmarks.PaperMark(expected, 1, "scale", (-1.0, 1.0, 0.5, 0.0))


def test_too_many_uncalibrated_items_fall_back_to_the_cuts_percentage() -> None:
    calibrated = {1: -1.0, 2: 1.0}
    # 2 of 4 unknown (more than a quarter): 65 % of 4 = 2.6 -> 3
    mark = passmarks.paper_pass_mark(3.0, F(65), [1, 2, 3, 4], calibrated)
    assert mark == passmarks.PaperMark(3, 0, "percent")
    # no calibration at all
    assert passmarks.paper_pass_mark(0.0, F(65), [1, 2], {}).by == "percent"


def test_percent_pass_mark_is_exact() -> None:
    assert passmarks.percent_pass_mark(F(65), 20) == 13  # exactly 13, not 14
    assert passmarks.percent_pass_mark(F(200, 3), 3) == 2
    assert passmarks.percent_pass_mark(F(0), 10) == 0


def test_reported_percent_gives_the_same_outcome_as_the_raw_mark() -> None:
    assert reported_percent(13, 20) == 65
    assert reported_percent(19, 30) == 63  # 63.33 % needed: 63 tells pass from fail
    for n in range(1, 101):
        for k in range(n + 1):
            p = reported_percent(k, n)
            assert all((100 * s >= p * n) == (s >= k) for s in range(n + 1)), (k, n)


def test_the_units_percent_as_a_raw_mark() -> None:
    assert raw_pass_mark(65, 20) == 13
    assert raw_pass_mark(67, 3) == 3  # 2 of 3 is 66.67 %: short of 67
    assert raw_pass_mark(66, 3) == 2
    for n in range(1, 61):
        for p in range(101):
            k = raw_pass_mark(p, n)
            assert all((100 * s >= p * n) == (s >= k) for s in range(n + 1)), (p, n)


def test_mark_with_a_papers_own_raw_pass_mark() -> None:
    from app.marking.scoring import Line, mark

    def paper(correct: int, total: int) -> list[Line]:
        return [Line(1, "k", "k" if n < correct else "x") for n in range(total)]

    # the unit's 70 % would fail 19 of 30; the paper's own mark of 19 passes it
    assert not mark(paper(19, 30), 70).passed
    marks = mark(paper(19, 30), 70, pass_mark=19)
    assert (marks.passed, marks.pass_mark, marks.pass_mark_percent) == (True, 19, 63)
    assert not mark(paper(18, 30), 70, pass_mark=19).passed
    # without one, the unit's percent and its raw equivalent
    marks = mark(paper(14, 20), 70)
    assert (marks.passed, marks.pass_mark, marks.pass_mark_percent) == (True, 14, 70)


def test_marked_again_without_an_item_the_same_cut_asks_less() -> None:
    built = {"by": "scale", "theta": 0.0, "percent": "50", "b": [-1.0, 0.0, 1.0, 0.0]}
    # all four: 0.731 + 0.5 + 0.269 + 0.5 = 2.0 -> 2; without the easiest: 1.269 -> 2
    assert passmarks.remarked_pass_mark(built, [1, 2, 3, 4]) == 2
    assert passmarks.remarked_pass_mark(built, [2, 3, 4]) == scale.raw_cut(0.0, [0.0, 1.0, 0.0])
    # without the hardest: 1.731 -> 2; without two: 0.731 + 0.5 = 1.231 -> 2; one item -> 1
    assert passmarks.remarked_pass_mark(built, [1]) == 1
    by_percent = {"by": "percent", "theta": 0.0, "percent": "65", "b": None}
    assert passmarks.remarked_pass_mark(by_percent, list(range(1, 20))) == 13  # 12.35 -> 13
    assert passmarks.remarked_pass_mark(by_percent, list(range(1, 21))) == 13  # exactly 13


def test_many_papers_at_once_agree_with_one_at_a_time() -> None:
    import random

    rng = random.Random(7)
    calibrated = {v: rng.gauss(0, 1.2) for v in range(1, 61)}
    papers = [rng.sample(range(1, 70), rng.choice([10, 15])) for _ in range(300)]
    many = passmarks.Papers(papers, calibrated)
    for theta, percent in ((-0.7, F(55)), (0.0, F(65)), (1.3, F(80))):
        one_by_one = [
            passmarks.paper_pass_mark(theta, percent, p, calibrated).pass_mark for p in papers
        ]
        assert many.pass_marks(theta, percent) == one_by_one
    assert many.pass_marks(None, F(65)) == [
        passmarks.percent_pass_mark(F(65), len(p)) for p in papers
    ]
    # some papers hold more than a quarter of unknown items (ids 61..69): they go by the percent
    assert any(passmarks.paper_difficulties(p, calibrated) is None for p in papers)


def test_a_whole_mark_cut_stays_that_mark_on_the_reference_items() -> None:
    import random

    worst = 0.0
    for seed in range(500):
        rng = random.Random(seed)
        b = [rng.gauss(0, 1.5) for _ in range(rng.choice([15, 20, 40, 60, 100]))]
        k = rng.randint(1, len(b) - 1)
        theta = passmarks.cut_theta(F(k), b)
        worst = max(worst, abs(scale.expected_score(theta, b) - k))
        assert scale.raw_cut(theta, b) == k
        # and a fractional cut rounds up
        assert scale.raw_cut(passmarks.cut_theta(F(2 * k - 1, 2), b), b) == k
    assert worst < 1e-12
