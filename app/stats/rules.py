"""The flags an item version's figures raise: pure rules with their thresholds.

The contract's two flags hold at any n: `insufficient_data` (n < 30) and
`negative_discrimination` (discrimination < 0). The review flags beside them only once n
reaches MIN_N, where a figure is steady enough to act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIN_N = 30
LOW_FACILITY = 0.20  # below: most candidates fail it (a miskey, or content not taught)
HIGH_FACILITY = 0.95  # above: it tells candidates apart hardly at all
LOW_DISCRIMINATION = 0.15  # 0 <= r below this: it barely follows the rest of the paper
MIN_CHOOSERS = 5  # a distractor's point-biserial counts only when this many chose it


@dataclass(frozen=True)
class OptionFigures:
    is_key: bool
    chosen: int
    point_biserial: float | None


def item_flags(
    *,
    n: int,
    facility: float | None,
    discrimination: float | None,
    options: Sequence[OptionFigures],
    excluded: bool = False,
    pretest: bool = False,
) -> list[str]:
    """The flags of one item version, in a fixed order."""
    flags = []
    if n < MIN_N:
        flags.append("insufficient_data")
    if discrimination is not None and discrimination < 0:
        flags.append("negative_discrimination")
    if n >= MIN_N:
        if facility is not None and facility < LOW_FACILITY:
            flags.append("low_facility")
        if facility is not None and facility > HIGH_FACILITY:
            flags.append("high_facility")
        if discrimination is not None and 0 <= discrimination < LOW_DISCRIMINATION:
            flags.append("low_discrimination")
        distractors = [o for o in options if not o.is_key]
        if any(o.chosen == 0 for o in distractors):
            flags.append("distractor_unchosen")
        if any(
            o.chosen >= MIN_CHOOSERS and o.point_biserial is not None and o.point_biserial > 0
            for o in distractors
        ):
            flags.append("distractor_positive")
    if excluded:
        flags.append("excluded")
    if pretest:  # sat unscored somewhere: its figures judge it before it goes live
        flags.append("pretest")
    return flags


def form_flags(candidates: int) -> list[str]:
    """A KR-20 over fewer than MIN_N candidates is too unsteady to quote."""
    return ["insufficient_data"] if candidates < MIN_N else []
