"""The Rules of Combination engine: every subset of the 14 units against a deliberately simple
reference, then readable named cases for each rule."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from app.banks.reader import read_dir
from app.qualifications.rules import Rules, UnitInfo, build, judge, left_out

ROOT = Path(__file__).resolve().parents[2]

D, F358, L363 = "D/601/7644", "F/503/0358", "L/503/0363"
F411, K399, Y396 = "F/503/0411", "K/503/0399", "Y/503/0396"
T373, Y365, F389, L377 = "T/503/0373", "Y/503/0365", "F/503/0389", "L/503/0377"
J393, M386, J409, M405 = "J/503/0393", "M/503/0386", "J/503/0409", "M/503/0405"


@pytest.fixture(scope="module")
def rules() -> Rules:
    [q] = read_dir(ROOT / "question_banks").qualifications
    m = q.model
    units = [UnitInfo(u.urn, u.level, u.credits, u.group) for u in m.units]
    level = m.min_credits_at_or_above_level
    assert level is not None
    return build(
        m.rules_of_combination.model_dump(),
        units,
        m.barred,
        m.total_credits,
        level.level,
        level.credits,
    )


def reference_valid(rules: Rules, chosen: frozenset[str]) -> bool:
    """The structure requirements as the specification states them, written out plainly."""
    u = rules.units
    credits = sum(u[x].credits for x in chosen)
    level3 = sum(u[x].credits for x in chosen if u[x].level >= 3)
    group_a = {D, F358, L363}
    optional = chosen - group_a
    one_of = [
        {T373, Y365},
        {F389, L377},
        {J393, M386},
        {J409, M405},
    ]  # B2..B5: at most one unit each
    barred = [(Y365, T373), (L377, F389), (M386, J393), (M405, J409)]
    return (
        group_a <= chosen
        and credits >= 16
        and level3 >= 12
        and sum(u[x].credits for x in optional) >= 7
        and all(len(chosen & g) <= 1 for g in one_of)
        and not any(a in chosen and b in chosen for a, b in barred)
    )


def test_every_subset_of_the_units_against_the_reference(rules: Rules) -> None:
    urns = sorted(rules.units)
    assert len(urns) == 14
    subsets = [frozenset(c) for n in range(len(urns) + 1) for c in combinations(urns, n)]
    assert len(subsets) == 16_384
    valid = [s for s in subsets if reference_valid(rules, s)]
    credits = {s: sum(rules.units[x].credits for x in s) for s in valid}
    mismatches = []
    for held in subsets:
        fits = [s for s in valid if s <= held]
        judgement = judge(rules, held)
        expected = bool(fits)
        if judgement.achieved != expected:
            mismatches.append((sorted(held), judgement.unmet))
            continue
        assert judgement.counted <= held
        if expected:
            assert reference_valid(rules, judgement.counted)
            assert judgement.credits == max(credits[s] for s in fits)
        else:
            assert judgement.unmet, sorted(held)
    assert mismatches == []


def test_group_a_and_enough_optional_credits_achieve(rules: Rules) -> None:
    j = judge(rules, {D, F358, L363, K399, Y396})
    assert j.achieved and j.credits == 17 and j.credits_at_level == 17 and j.unmet == ()


def test_a_missing_mandatory_unit_is_named(rules: Rules) -> None:
    j = judge(rules, {D, F358, K399, Y396, T373})
    assert not j.achieved
    assert "Group A: L/503/0363 not yet achieved" in j.unmet


def test_too_few_credits_at_level_3(rules: Rules) -> None:
    j = judge(rules, {D, F358, L363, F411, Y365, L377})
    assert j.credits == 16 and j.credits_at_level == 9
    assert j.unmet == ("9 credits at Level 3 or above; 12 needed",)


def test_too_few_credits_overall_and_in_group_b(rules: Rules) -> None:
    j = judge(rules, {D, F358, L363, Y396})
    assert "16 credits needed; 12 counted" in j.unmet
    assert "Group B: at least 7 credits needed; 3 counted" in j.unmet


def test_barred_units_never_both_count_and_the_better_one_is_kept(rules: Rules) -> None:
    j = judge(rules, {D, F358, L363, T373, Y365, J409})
    assert j.achieved
    assert T373 in j.counted and Y365 not in j.counted
    assert j.credits == 17


def test_barred_units_alone_cannot_make_up_the_credits(rules: Rules) -> None:
    # 9 + 4 + 3 would be 16, but T/503/0373 and Y/503/0365 are barred: only one counts.
    j = judge(rules, {D, F358, L363, T373, Y365})
    assert not j.achieved
    assert j.credits == 13


def test_no_units_lists_every_rule(rules: Rules) -> None:
    j = judge(rules, set())
    assert not j.achieved and j.counted == frozenset()
    assert j.unmet[0] == "16 credits needed; 0 counted"
    assert "Group A: D/601/7644, F/503/0358, L/503/0363 not yet achieved" in j.unmet


def test_units_of_other_qualifications_are_ignored(rules: Rules) -> None:
    assert judge(rules, {"Z/999/9999"}).credits == 0


def test_an_optional_group_with_a_minimum_must_meet_it_when_used() -> None:
    # Invented rules: group O needs 2 units if used at all; one unit of O alone cannot count.
    units = [
        UnitInfo("A/000/0001", 2, 5, "M"),
        UnitInfo("B/000/0002", 2, 2, "O"),
        UnitInfo("C/000/0003", 2, 2, "O"),
    ]
    tree = {
        "code": "R",
        "title": "root",
        "mandatory": True,
        "min_groups": 1,
        "max_groups": None,
        "min_credits": 5,
        "max_credits": None,
        "groups": [
            {"code": "M", "title": "m", "mandatory": True, "min_units": 1, "max_units": None},
            {"code": "O", "title": "o", "mandatory": False, "min_units": 2, "max_units": None},
        ],
    }
    rules = build(tree, units, [], 5, None, None)
    j = judge(rules, {"A/000/0001", "B/000/0002"})
    assert j.achieved and j.counted == {"A/000/0001"}
    assert left_out(rules, j.counted, "B/000/0002") == (
        "counting it would leave a rule unmet (Group O: C/000/0003 not yet achieved)"
    )
    assert judge(rules, {"A/000/0001", "B/000/0002", "C/000/0003"}).credits == 9


def test_a_unit_left_out_says_why(rules: Rules) -> None:
    """The console's 'Counted: No' said nothing of why: each reason from the rules' data."""
    j = judge(rules, {D, F358, L363, T373, Y365, J409})
    assert left_out(rules, j.counted, T373) is None  # counted
    assert left_out(rules, j.counted, Y365) == f"barred with {T373}, which counts instead"
    assert left_out(rules, j.counted, "Z/999/9999") == "not a unit of this qualification"


def test_a_unit_over_a_groups_maximum_says_which_maximum() -> None:
    units = [UnitInfo(f"U/000/000{i}", 3, 3, "O") for i in range(1, 4)]
    tree = {
        "code": "R",
        "title": "root",
        "mandatory": True,
        "min_credits": 6,
        "groups": [
            {"code": "O", "title": "o", "mandatory": True, "min_units": 1, "max_units": 2},
        ],
    }
    rules = build(tree, units, [], 6, None, None)
    j = judge(rules, {u.urn for u in units})
    assert j.achieved and len(j.counted) == 2
    [out] = {u.urn for u in units} - j.counted
    assert left_out(rules, j.counted, out) == "Group O counts at most 2 units"
    uncapped = {"code": "O", "title": "o", "mandatory": True, "min_units": 1}
    by_credits = build({**tree, "max_credits": 7, "groups": [uncapped]}, units, [], 6, None, None)
    k = judge(by_credits, {u.urn for u in units})
    [out] = {u.urn for u in units} - k.counted
    assert left_out(by_credits, k.counted, out) == "Group R counts at most 7 credits"


def test_the_reason_is_the_rule_a_unit_would_break_not_a_count_it_moves() -> None:
    """A review: the total's line ("100 credits needed; 20 counted") changes its figures when a
    unit is added, and was given as the reason, though counting the unit helps it."""
    units = [
        UnitInfo("A/000/0001", 3, 10, "A"),
        *(UnitInfo(f"B/000/000{i}", 3, 10, "B") for i in (1, 2, 3)),
    ]
    tree = {
        "code": "R",
        "title": "root",
        "mandatory": True,
        "min_credits": 100,
        "groups": [
            {"code": "A", "title": "a", "mandatory": True, "min_units": 1},
            {"code": "B", "title": "b", "mandatory": False, "min_units": 2},
        ],
    }
    rules = build(tree, units, [], 100, None, None)
    j = judge(rules, {"A/000/0001", "B/000/0001"})
    assert j.counted == {"A/000/0001"}
    assert left_out(rules, j.counted, "B/000/0001") == (
        "counting it would leave a rule unmet (Group B: at least 2 units needed; 1 counted)"
    )
