"""Paper assembly: a pure function of the pool, the spec's quotas, prior exposure and a seed.

Each learning outcome gets its quota; within an outcome, criteria are taken round-robin (one item
per criterion until every criterion is used), enemies never share a paper, and among equally good
items the less exposed is preferred. Item order and option order are shuffled. The same inputs
always give the same paper, so a stored seed rebuilds it.

Pretest items (unscored, being calibrated) are placed after the scored ones: up to the spec's
number, from the unit's pretest pool, never an enemy of an item already on the paper, the less
exposed first (so a sitting's papers spread them and each gets responses), then shuffled in
among the scored items. Nothing in a PaperLine but `pretest` tells them apart, and that never
leaves the server. With no pretest items asked for, the random stream is used exactly as before
(old sittings rebuild from their seeds unchanged).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.errors import Conflict

RETRIES = 20


@dataclass(frozen=True)
class PoolItem:
    version_id: int
    item_id: str
    outcome: int
    criterion: str
    enemies: frozenset[str]
    option_ids: tuple[str, ...]


@dataclass(frozen=True)
class PaperLine:
    version_id: int
    option_order: tuple[str, ...]
    pretest: bool = False


class AssemblyError(Conflict):
    code = "paper-assembly-failed"


def assemble(
    pool: Sequence[PoolItem],
    quotas: Mapping[int, int],
    exposure: Mapping[int, int],
    seed: int,
    pretest_pool: Sequence[PoolItem] = (),
    pretest_items: int = 0,
) -> list[PaperLine]:
    """A paper meeting the quotas, with up to `pretest_items` unscored items from
    `pretest_pool` shuffled in; AssemblyError if the pool cannot meet the quotas (the validator
    prevents it). Fewer pretest items than asked is never an error."""
    rng = random.Random(seed)
    by_outcome: dict[int, dict[str, list[PoolItem]]] = defaultdict(lambda: defaultdict(list))
    for item in sorted(pool, key=lambda i: i.version_id):
        by_outcome[item.outcome][item.criterion].append(item)
    for _ in range(RETRIES):
        chosen = _try(rng, by_outcome, quotas, exposure)
        if chosen is not None:
            extra = pick_pretest(rng, chosen, pretest_pool, pretest_items, exposure)
            unscored = {i.version_id for i in extra}
            chosen += extra
            rng.shuffle(chosen)
            return [
                PaperLine(
                    i.version_id,
                    tuple(rng.sample(i.option_ids, len(i.option_ids))),
                    i.version_id in unscored,
                )
                for i in chosen
            ]
    raise AssemblyError(
        "The bank cannot meet this unit's test specification (too few compatible items)."
    )


def _try(
    rng: random.Random,
    by_outcome: Mapping[int, Mapping[str, list[PoolItem]]],
    quotas: Mapping[int, int],
    exposure: Mapping[int, int],
) -> list[PoolItem] | None:
    chosen: list[PoolItem] = []
    ids: set[str] = set()
    banned: set[str] = set()
    for outcome in sorted(quotas):
        need = quotas[outcome]
        criteria = sorted(by_outcome.get(outcome, {}))
        while need > 0:
            rng.shuffle(criteria)
            progress = False
            for criterion in criteria:
                if need == 0:
                    break
                options = _compatible(by_outcome[outcome][criterion], ids, banned)
                if not options:
                    continue
                pick = _least_exposed(rng, options, exposure)
                chosen.append(pick)
                ids.add(pick.item_id)
                banned |= pick.enemies
                need -= 1
                progress = True
            if not progress:
                return None
    return chosen


def _compatible(items: Sequence[PoolItem], ids: set[str], banned: set[str]) -> list[PoolItem]:
    """The items that may join a paper holding `ids`: not on it, no enemy either way."""
    return [
        i
        for i in items
        if i.item_id not in ids and i.item_id not in banned and not (i.enemies & ids)
    ]


def _least_exposed(
    rng: random.Random, options: Sequence[PoolItem], exposure: Mapping[int, int]
) -> PoolItem:
    """One of the options on the fewest papers so far, at random."""
    least = min(exposure.get(i.version_id, 0) for i in options)
    return rng.choice([i for i in options if exposure.get(i.version_id, 0) == least])


def pick_pretest(
    rng: random.Random,
    scored: Sequence[PoolItem],
    pool: Sequence[PoolItem],
    count: int,
    exposure: Mapping[int, int],
) -> list[PoolItem]:
    """Up to `count` pretest items for a paper already holding `scored`: each time, one of the
    least exposed of those still compatible (not on the paper, no enemy either way), chosen at
    random. No draw from `rng` when none is asked for or none fits."""
    ids = {i.item_id for i in scored}
    banned = set().union(*(i.enemies for i in scored)) if scored else set()
    picked: list[PoolItem] = []
    candidates = sorted(pool, key=lambda i: i.version_id)
    while len(picked) < count:
        options = _compatible(candidates, ids, banned)
        if not options:
            break
        pick = _least_exposed(rng, options, exposure)
        picked.append(pick)
        ids.add(pick.item_id)
        banned |= pick.enemies
    return picked
