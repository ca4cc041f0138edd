"""The Rules of Combination: a general engine driven by the qualification's data.

Nested groups with minimum/maximum units (or sub-groups) and credits, total credits, a
minimum of credits at or above a level, and barred pairs. A candidate is judged on the best
valid combination of the units they hold: the engine searches the combinations that respect
every maximum and every bar, and keeps the one with the fewest unmet rules, then the most credits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, product
from typing import Any


@dataclass(frozen=True)
class UnitInfo:
    urn: str
    level: int
    credits: int
    group: str


@dataclass(frozen=True)
class Group:
    code: str
    title: str
    mandatory: bool
    min_units: int | None = None
    max_units: int | None = None
    min_groups: int | None = None
    max_groups: int | None = None
    min_credits: int | None = None
    max_credits: int | None = None
    children: tuple[Group, ...] = ()
    units: tuple[str, ...] = ()  # for a group of units
    under: frozenset[str] = frozenset()  # every unit in the group and its sub-groups

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def capped(self) -> bool:
        """Limits that more units can break; max_groups cannot tell all units from some."""
        return self.max_units is not None or self.max_credits is not None


@dataclass(frozen=True)
class Rules:
    root: Group
    units: Mapping[str, UnitInfo]
    barred: tuple[tuple[str, str], ...]
    total_credits: int
    level: int | None = None
    credits_at_level: int | None = None


@dataclass(frozen=True)
class Judgement:
    achieved: bool
    counted: frozenset[str]
    credits: int
    credits_at_level: int
    unmet: tuple[str, ...] = field(default_factory=tuple)


def build(
    tree: Mapping[str, Any],
    units: Sequence[UnitInfo],
    barred: Sequence[Sequence[str]],
    total_credits: int,
    level: int | None,
    credits_at_level: int | None,
) -> Rules:
    """Rules from the stored group tree (as in qualification.yaml) and the units' facts."""
    by_group: dict[str, list[str]] = {}
    for unit in units:
        by_group.setdefault(unit.group, []).append(unit.urn)

    def group(node: Mapping[str, Any]) -> Group:
        children = tuple(group(child) for child in node.get("groups") or [])
        own = tuple(by_group.get(node["code"], [])) if not children else ()
        return Group(
            code=node["code"],
            title=node["title"],
            mandatory=node["mandatory"],
            min_units=node.get("min_units"),
            max_units=node.get("max_units"),
            min_groups=node.get("min_groups"),
            max_groups=node.get("max_groups"),
            min_credits=node.get("min_credits"),
            max_credits=node.get("max_credits"),
            children=children,
            units=own,
            under=frozenset(own).union(*(c.under for c in children)),
        )

    return Rules(
        root=group(tree),
        units={u.urn: u for u in units},
        barred=tuple((a, b) for a, b in barred),
        total_credits=total_credits,
        level=level,
        credits_at_level=credits_at_level,
    )


def _leaves(group: Group, capped_above: bool = False) -> Iterator[tuple[Group, bool]]:
    if group.is_leaf:
        yield group, capped_above
    for child in group.children:
        yield from _leaves(child, capped_above or group.capped)


def judge(rules: Rules, held: set[str] | frozenset[str]) -> Judgement:
    """Whether the held units achieve the qualification, on their best valid combination."""
    held = frozenset(urn for urn in held if urn in rules.units)
    barred_units = {urn for pair in rules.barred for urn in pair}
    choices = [
        _choices(rules, leaf, held, capped_above, barred_units)
        for leaf, capped_above in _leaves(rules.root)
    ]
    best: tuple[tuple[Any, ...], Judgement] | None = None
    seen: _Seen = {}  # a group's verdict depends only on which of its own units are chosen
    for picks in product(*choices):
        chosen = frozenset().union(*picks)
        if not _within_maxima(rules, rules.root, chosen) or _breaks_a_bar(rules, chosen):
            continue
        judgement = _evaluate(rules, chosen, seen)
        key = (
            len(judgement.unmet),
            -judgement.credits,
            -judgement.credits_at_level,
            -len(chosen),
            sorted(chosen),
        )
        if best is None or key < best[0]:
            best = (key, judgement)
    assert best is not None  # the empty combination always respects every maximum
    return best[1]


def _choices(
    rules: Rules, leaf: Group, held: frozenset[str], capped_above: bool, barred_units: set[str]
) -> list[frozenset[str]]:
    mine = sorted(urn for urn in leaf.units if urn in held)
    everything = frozenset(mine)
    # Taking every held unit of an uncapped, unbarred group is never worse than taking some.
    if not capped_above and not (everything & barred_units) and _fits(rules, leaf, everything):
        return [everything, frozenset()] if mine else [frozenset()]
    return [
        frozenset(subset)
        for size in range(len(mine), -1, -1)
        for subset in combinations(mine, size)
        if _fits(rules, leaf, frozenset(subset))
    ]


def _fits(rules: Rules, group: Group, chosen: frozenset[str]) -> bool:
    credits = sum(rules.units[u].credits for u in chosen)
    return (group.max_units is None or len(chosen) <= group.max_units) and (
        group.max_credits is None or credits <= group.max_credits
    )


def _within_maxima(rules: Rules, group: Group, chosen: frozenset[str]) -> bool:
    if group.is_leaf:
        return True  # a leaf's own maxima were applied when its choices were made
    mine = chosen & group.under
    credits = sum(rules.units[u].credits for u in mine)
    used = sum(1 for child in group.children if chosen & child.under)
    if group.max_credits is not None and credits > group.max_credits:
        return False
    if group.max_groups is not None and used > group.max_groups:
        return False
    return all(_within_maxima(rules, child, chosen) for child in group.children)


def _breaks_a_bar(rules: Rules, chosen: frozenset[str]) -> bool:
    return any(a in chosen and b in chosen for a, b in rules.barred)


# (group, the chosen units under it) -> (achieved, what it appended to the unmet rules)
_Seen = dict[tuple[int, frozenset[str]], tuple[bool, tuple[str, ...]]]


def _evaluate(rules: Rules, chosen: frozenset[str], seen: _Seen | None = None) -> Judgement:
    credits = sum(rules.units[u].credits for u in chosen)
    at_level = sum(
        rules.units[u].credits
        for u in chosen
        if rules.level is None or rules.units[u].level >= rules.level
    )
    unmet: list[str] = []
    if credits < rules.total_credits:
        unmet.append(f"{rules.total_credits} credits needed; {credits} counted")
    if (
        rules.level is not None
        and rules.credits_at_level is not None
        and at_level < rules.credits_at_level
    ):
        unmet.append(
            f"{at_level} credits at Level {rules.level} or above; {rules.credits_at_level} needed"
        )
    _group_unmet(rules, rules.root, chosen, unmet, seen if seen is not None else {}, True)
    return Judgement(not unmet, chosen, credits, at_level, tuple(unmet))


def _group_unmet(
    rules: Rules,
    group: Group,
    chosen: frozenset[str],
    unmet: list[str],
    seen: _Seen,
    is_root: bool = False,
) -> bool:
    """Append this group's unmet rules; True when the group is achieved. `seen` keeps each
    group's verdict by the units chosen under it: judge() asks again for most of them."""
    mine = chosen & group.under
    key = (id(group), mine)
    known = seen.get(key)
    if known is None:
        mine_unmet: list[str] = []
        achieved = _group_verdict(rules, group, chosen, mine, mine_unmet, seen, is_root)
        known = seen[key] = (achieved, tuple(mine_unmet))
    unmet.extend(known[1])
    return known[0]


def _group_verdict(
    rules: Rules,
    group: Group,
    chosen: frozenset[str],
    mine: frozenset[str],
    unmet: list[str],
    seen: _Seen,
    is_root: bool,
) -> bool:
    if not group.mandatory and not mine:
        return False  # an optional group left unused asks nothing
    before = len(unmet)
    name = f"Group {group.code}"
    credits = sum(rules.units[u].credits for u in mine)
    if group.is_leaf:
        if group.min_units is not None and len(mine) < group.min_units:
            if group.min_units >= len(group.units):
                missing = [u for u in group.units if u not in mine]
                unmet.append(f"{name}: {', '.join(missing)} not yet achieved")
            else:
                unmet.append(
                    f"{name}: at least {group.min_units} units needed; {len(mine)} counted"
                )
    else:
        achieved = 0
        for child in group.children:
            if _group_unmet(rules, child, chosen, unmet, seen) or child.mandatory:
                achieved += 1  # an unmet mandatory child reports itself; do not count it twice
        if group.min_groups is not None and achieved < group.min_groups:
            titles = " or ".join(c.code for c in group.children if not c.mandatory)
            unmet.append(
                f"{name}: units from {group.min_groups - achieved} more of groups {titles} needed"
            )
    # The root's credit minimum is the qualification's total, said once already; a group that
    # needs all its units has said which are missing, and the credits follow from them.
    skip_credits = (is_root and group.min_credits == rules.total_credits) or (
        group.is_leaf and len(unmet) > before and (group.min_units or 0) >= len(group.units)
    )
    if group.min_credits is not None and credits < group.min_credits and not skip_credits:
        unmet.append(f"{name}: at least {group.min_credits} credits needed; {credits} counted")
    return len(unmet) == before


def left_out(rules: Rules, counted: frozenset[str], urn: str) -> str | None:
    """Why a held unit is not in the best combination (None when it is): barred with a unit
    that counts, a maximum it would break (the innermost group's first), or a rule it would
    leave unmet (an optional group it would open without completing)."""
    if urn in counted:
        return None
    if urn not in rules.units:
        return "not a unit of this qualification"
    for a, b in rules.barred:
        other = b if a == urn else a if b == urn else None
        if other is not None and other in counted:
            return f"barred with {other}, which counts instead"
    with_it = counted | {urn}
    for group in reversed(list(_groups_holding(rules.root, urn))):
        name = f"Group {group.code}"
        mine = with_it & group.under
        credits = sum(rules.units[u].credits for u in mine)
        if group.is_leaf and group.max_units is not None and len(mine) > group.max_units:
            return f"{name} counts at most {_count(group.max_units, 'unit')}"
        if group.max_credits is not None and credits > group.max_credits:
            return f"{name} counts at most {_count(group.max_credits, 'credit')}"
        used = sum(1 for child in group.children if with_it & child.under)
        if group.max_groups is not None and used > group.max_groups:
            return (
                f"{name} counts units from at most {_count(group.max_groups, 'group')} of its own"
            )
    # A rule unmet before stays the same rule when only its counts move ("16 credits needed;
    # 13 counted" is the rule "16 credits needed; 15 counted" was): compared without figures.
    before = {_shape(reason) for reason in _evaluate(rules, counted).unmet}
    added = [r for r in _evaluate(rules, with_it).unmet if _shape(r) not in before]
    if added:
        return f"counting it would leave a rule unmet ({added[0]})"
    return "not needed by the best combination"


def _shape(reason: str) -> str:
    return re.sub(r"\d+", "#", reason)


def _groups_holding(group: Group, urn: str) -> Iterator[Group]:
    """The groups from the root down to the leaf that holds the unit."""
    if urn in group.under:
        yield group
        for child in group.children:
            yield from _groups_holding(child, urn)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
