"""Pretest items in assembly, as pure rules: how many, which, where; old papers unchanged."""

from __future__ import annotations

import random

from app.papers.assembly import PoolItem, assemble, pick_pretest
from app.sittings.scheduling import Pretest, build_papers


def item(version_id: int, outcome: int = 1, criterion: str = "01.01", *enemies: str) -> PoolItem:
    return PoolItem(
        version_id, f"I{version_id}", outcome, criterion, frozenset(enemies), ("a1", "b2", "c3")
    )


SCORED = [item(v, 1 + v % 2, f"0{1 + v % 2}.0{1 + v % 3}") for v in range(1, 21)]
QUOTAS = {1: 4, 2: 4}
PRETEST = [item(v, 1, "01.01") for v in range(101, 111)]


def test_a_paper_carries_exactly_n_pretest_items_when_enough_exist() -> None:
    for seed in range(50):
        paper = assemble(SCORED, QUOTAS, {}, seed, PRETEST, 3)
        assert len(paper) == 8 + 3
        unscored = [line for line in paper if line.pretest]
        assert len(unscored) == 3
        assert {line.version_id for line in unscored} <= {p.version_id for p in PRETEST}
        assert all(line.version_id <= 20 for line in paper if not line.pretest)
        assert len({line.version_id for line in paper}) == len(paper)


def test_never_more_than_the_pool_has() -> None:
    paper = assemble(SCORED, QUOTAS, {}, 7, PRETEST[:2], 5)
    assert sum(line.pretest for line in paper) == 2
    assert sum(not line.pretest for line in paper) == 8
    assert sum(line.pretest for line in assemble(SCORED, QUOTAS, {}, 7, [], 5)) == 0


def test_enemies_keep_apart_either_way() -> None:
    scored = [item(1, 1, "01.01"), item(2, 2, "02.01")]
    # P101 is an enemy of scored I1; scored I2 names P102 its enemy; P103 and P104 are enemies
    pool = [
        item(101, 1, "01.01", "I1"),
        item(102),
        item(103, 1, "01.01", "I104"),
        item(104, 1, "01.01", "I103"),
    ]
    scored = [scored[0], PoolItem(2, "I2", 2, "02.01", frozenset({"I102"}), ("a1", "b2"))]
    for seed in range(30):
        picked = pick_pretest(random.Random(seed), scored, pool, 4, {})
        ids = {p.item_id for p in picked}
        assert ids in ({"I103"}, {"I104"})  # the only compatible set: one of the two enemies


def test_pretest_items_are_spread_over_a_sittings_papers() -> None:
    # 10 pretest items, 2 a paper, 5 papers: the least exposed go first, so each is used once
    papers = build_papers(SCORED, QUOTAS, {}, list(range(5)), Pretest(PRETEST, 2))
    used = [line.version_id for paper in papers for line in paper if line.pretest]
    assert sorted(used) == [p.version_id for p in PRETEST]


def test_pretest_items_are_shuffled_among_the_scored_ones() -> None:
    positions = set()
    for seed in range(40):
        paper = assemble(SCORED, QUOTAS, {}, seed, PRETEST, 3)
        positions |= {n for n, line in enumerate(paper) if line.pretest}
        assert all(len(line.option_order) == 3 for line in paper)  # options shuffled alike
    assert positions == set(range(11))  # every position, first and last included, is used


def test_without_pretest_items_a_seed_builds_the_paper_it_always_did() -> None:
    # No draw from the random stream when none are asked for: old sittings rebuild unchanged.
    for seed in range(20):
        plain = assemble(SCORED, QUOTAS, {}, seed)
        assert assemble(SCORED, QUOTAS, {}, seed, PRETEST, 0) == plain
        assert assemble(SCORED, QUOTAS, {}, seed, [], 3) == plain
        assert not any(line.pretest for line in plain)
