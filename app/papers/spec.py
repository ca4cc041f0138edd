"""How a paper spreads over a unit's learning outcomes: the coverage rule of a test spec."""

from __future__ import annotations

from collections.abc import Mapping

from app.errors import Invalid


def outcome_quotas(
    items: int, criteria_per_outcome: Mapping[int, int], explicit: Mapping[int, int] | None = None
) -> dict[int, int]:
    """Items per learning outcome: explicit when given, else in proportion to each outcome's
    criteria by largest remainder, with at least one item per outcome while items allow."""
    if explicit:
        if set(explicit) != set(criteria_per_outcome):
            raise Invalid("outcome_items must name every learning outcome, and only those")
        if sum(explicit.values()) != items:
            raise Invalid(f"outcome_items add up to {sum(explicit.values())}, not {items}")
        return dict(explicit)
    outcomes = sorted(criteria_per_outcome)
    total = sum(criteria_per_outcome.values())
    if not outcomes or total == 0:
        raise Invalid("a unit needs learning outcomes with criteria")
    floor_each = 1 if items >= len(outcomes) else 0
    quotas = {o: floor_each for o in outcomes}
    remaining = items - floor_each * len(outcomes)
    shares = {o: remaining * criteria_per_outcome[o] / total for o in outcomes}
    for o in outcomes:
        quotas[o] += int(shares[o])
    left = items - sum(quotas.values())
    # Largest remainder first; ties go to the outcome with more criteria, then the earlier one.
    order = sorted(
        outcomes, key=lambda o: (-(shares[o] - int(shares[o])), -criteria_per_outcome[o], o)
    )
    for o in order[:left]:
        quotas[o] += 1
    return quotas
