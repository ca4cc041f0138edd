"""The coverage rule and paper assembly as pure functions, tested directly."""

from __future__ import annotations

from collections import Counter

import pytest

from app.errors import Invalid
from app.papers.assembly import AssemblyError, PoolItem, assemble
from app.papers.spec import outcome_quotas


def test_quotas_follow_the_criteria_by_largest_remainder() -> None:
    # 20 items over outcomes with 6, 2, 4, 4, 3, 2 criteria (D/601/7644): one each first, then
    # 14 more in proportion: 4, 1.33, 2.67, 2.67, 2, 1.33 -> floors 4,1,2,2,2,1 (12); the two
    # largest remainders (0.67, 0.67) go to outcomes 3 and 4.
    quotas = outcome_quotas(20, {1: 6, 2: 2, 3: 4, 4: 4, 5: 3, 6: 2})
    assert quotas == {1: 5, 2: 2, 3: 4, 4: 4, 5: 3, 6: 2}
    assert sum(quotas.values()) == 20


def test_quota_ties_go_to_the_outcome_with_more_criteria_then_the_earlier() -> None:
    # 3 items, outcomes with 1, 1 and 2 criteria: one each, nothing left over.
    assert outcome_quotas(3, {1: 1, 2: 1, 3: 2}) == {1: 1, 2: 1, 3: 1}
    # 4 items: one each, then shares 0.25, 0.25, 0.5: outcome 3 has the largest remainder.
    assert outcome_quotas(4, {1: 1, 2: 1, 3: 2}) == {1: 1, 2: 1, 3: 2}
    # 5 items: shares 0.5, 0.5, 1.0 -> outcome 3 gets 1 by floor; the one left is a tie of
    # remainders (0.5, 0.5) between equal outcomes: the earlier wins.
    assert outcome_quotas(5, {1: 1, 2: 1, 3: 2}) == {1: 2, 2: 1, 3: 2}


def test_fewer_items_than_outcomes_gives_no_floor() -> None:
    assert outcome_quotas(2, {1: 5, 2: 1, 3: 1}) == {1: 2, 2: 0, 3: 0}


def test_explicit_quotas_must_cover_every_outcome_and_add_up() -> None:
    assert outcome_quotas(4, {1: 3, 2: 1}, {1: 1, 2: 3}) == {1: 1, 2: 3}
    with pytest.raises(Invalid, match="add up to 3"):
        outcome_quotas(4, {1: 3, 2: 1}, {1: 1, 2: 2})
    with pytest.raises(Invalid, match="every learning outcome"):
        outcome_quotas(4, {1: 3, 2: 1}, {1: 4})


def _pool() -> list[PoolItem]:
    items = []
    version = 0
    for outcome, criteria in ((1, ("01.01", "01.02", "01.03")), (2, ("02.01", "02.02"))):
        for criterion in criteria:
            for _ in range(3):
                version += 1
                enemies = frozenset({"I-2"}) if version == 1 else frozenset()
                items.append(
                    PoolItem(
                        version, f"I-{version}", outcome, criterion, enemies, ("a", "b", "c", "d")
                    )
                )
    return items


def test_a_paper_meets_its_quotas_round_robin_without_enemies() -> None:
    pool = _pool()
    by_version = {i.version_id: i for i in pool}
    for seed in range(50):
        paper = assemble(pool, {1: 3, 2: 2}, {}, seed)
        chosen = [by_version[line.version_id] for line in paper]
        assert Counter(i.outcome for i in chosen) == {1: 3, 2: 2}
        # Round robin: three items from outcome 1 use its three criteria, one each.
        assert sorted(i.criterion for i in chosen if i.outcome == 1) == ["01.01", "01.02", "01.03"]
        ids = {i.item_id for i in chosen}
        assert not ({"I-1", "I-2"} <= ids)  # enemies never share a paper
        assert all(sorted(line.option_order) == ["a", "b", "c", "d"] for line in paper)


def test_the_same_seed_gives_the_same_paper_and_another_seed_another() -> None:
    pool = _pool()
    assert assemble(pool, {1: 3, 2: 2}, {}, 7) == assemble(pool, {1: 3, 2: 2}, {}, 7)
    papers = {tuple(assemble(pool, {1: 3, 2: 2}, {}, seed)) for seed in range(20)}
    assert len(papers) > 10


def test_the_least_exposed_item_of_a_criterion_is_preferred() -> None:
    pool = _pool()
    # Outcome 2, criterion 02.01 holds versions 10, 11, 12: expose 10 and 11 heavily.
    exposure = {10: 50, 11: 40, 12: 0}
    for seed in range(20):
        chosen = {line.version_id for line in assemble(pool, {1: 3, 2: 2}, exposure, seed)}
        assert not ({10, 11} & chosen)


def test_a_pool_that_cannot_meet_the_quotas_is_refused() -> None:
    pool = [i for i in _pool() if i.outcome == 1][:2]
    with pytest.raises(AssemblyError):
        assemble(pool, {1: 3}, {}, 1)
