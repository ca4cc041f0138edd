"""The standard-setting methods against cases worked by hand, exact where floats would not be."""

from __future__ import annotations

import math
from fractions import Fraction as F

import pytest

from app.standards import methods
from app.standards.methods import Hofstee


def fs(*values: str) -> list[F]:
    return [F(v) for v in values]


def test_angoff_judge_and_panel_are_expected_scores_and_their_mean() -> None:
    judges = [
        fs("0.6", "0.7", "0.8", "0.5"),
        fs("0.5", "0.6", "0.7", "0.4"),
        fs("0.7", "0.8", "0.9", "0.6"),
    ]
    assert [methods.angoff_judge(j) for j in judges] == [F("2.6"), F("2.2"), F("3.0")]
    assert methods.angoff_panel(judges) == F("2.6")  # (2.6 + 2.2 + 3.0) / 3
    # the same as the sum of each item's mean probability
    per_item = [sum(col, F(0)) / 3 for col in zip(*judges, strict=True)]
    assert sum(per_item, F(0)) == F("2.6")


def test_angoff_exact_where_floats_round_up_a_whole_mark() -> None:
    # Twenty items judged 0.65: exactly 13 marks. In floats the sum is 13.000000000000002 and
    # rounding it up would ask for 14.
    assert math.ceil(sum([0.65] * 20)) == 14  # the near miss this guards against
    panel = methods.angoff_panel([[methods.as_fraction(0.65)] * 20])
    assert panel == 13
    assert methods.whole_marks(panel, 20) == 13
    # 2.6 of 4 needs 3; nothing rounds it down to 2.
    assert methods.whole_marks(F("2.6"), 4) == 3


def test_as_fraction_reads_the_decimal_written_not_the_binary_float() -> None:
    assert methods.as_fraction(0.1) == F(1, 10)
    assert methods.as_fraction("0.35") == F(7, 20)
    assert methods.as_fraction(F(1, 3)) == F(1, 3)


def test_ebel_grid_and_cut() -> None:
    cells = [
        "easy/essential",
        "easy/essential",
        "medium/essential",
        "medium/essential",
        "hard/important",
        "medium/questionable",
    ]
    grid = methods.ebel_grid(cells)
    assert grid["easy/essential"] == 2 and grid["medium/essential"] == 2
    assert grid["hard/important"] == 1 and grid["medium/questionable"] == 1
    assert sum(grid.values()) == 6 and len(grid) == 12
    percentages = dict.fromkeys(methods.CELLS, F(50))
    percentages.update(
        {
            "easy/essential": F(90),
            "medium/essential": F(70),
            "hard/important": F(40),
            "medium/questionable": F(0),
        }
    )
    # 2 x 0.9 + 2 x 0.7 + 1 x 0.4 + 1 x 0 = 3.6
    assert methods.ebel_judge(cells, percentages) == F("3.6")


def test_hofstee_panel_is_the_mean_of_each_bound() -> None:
    panel = methods.hofstee_panel(
        [Hofstee(F(50), F(70), F(10), F(50)), Hofstee(F(40), F(60), F(0), F(30))]
    )
    assert panel == Hofstee(F(45), F(65), F(5), F(40))


BOX = Hofstee(F(50), F(70), F(10), F(50))  # diagonal: f = 50 - 2 (c - 50)


def test_hofstee_meets_on_a_flat_stretch() -> None:
    percents = fs("40", "50", "60", "70", "80")
    # F(c) with c in (50, 60] is 40% (40 and 50 below or at 50); 50 - 2 (c - 50) = 40 at c = 55.
    cut = methods.hofstee_cut(BOX, percents)
    assert cut == 55
    assert methods.fail_rate(cut, percents) == 40 == BOX.line(cut)


def test_hofstee_meets_at_a_step() -> None:
    box = Hofstee(F(50), F(70), F(0), F(40))  # f = 40 - 2 (c - 50)
    percents = fs("50", "60", "60", "60", "80")
    # Flat at 20% until 60 (the diagonal would reach 20 only at 60); at 60 the curve jumps to 80%.
    assert methods.hofstee_cut(box, percents) == 60
    assert methods.fail_rate(F(60), percents) == 20  # those at 60 pass


def test_hofstee_without_a_meeting_takes_the_box_edge() -> None:
    assert methods.hofstee_cut(BOX, fs("90", "95")) == 70  # curve under the diagonal: k_max
    assert methods.hofstee_cut(BOX, fs("10", "20")) == 50  # curve over it: k_min


def test_hofstee_exact_fraction_cut() -> None:
    box = Hofstee(F(40), F(70), F(0), F(30))  # f = 30 - (c - 40)
    percents = fs("20", "60", "75", "80", "85", "90")  # 1 of 6 below 60: 50/3 %
    cut = methods.hofstee_cut(box, percents)
    assert cut == F(40) + F(30) - F(50, 3) == F(160, 3)  # 53 1/3, not 53.33
    assert methods.fail_rate(cut, percents) == box.line(cut) == F(50, 3)


def test_hofstee_refuses_an_empty_box_or_no_results() -> None:
    with pytest.raises(ValueError):
        methods.hofstee_cut(BOX, [])
    with pytest.raises(ValueError):
        methods.hofstee_cut(Hofstee(F(60), F(60), F(0), F(10)), fs("50"))


def test_pass_rate() -> None:
    assert methods.pass_rate([True, False, True]) == F(200, 3)
    assert methods.pass_rate([]) is None
