"""An independent computation of every item statistic: plain Python loops over the rows read
back from the database, with scipy for the correlations. Written apart from app/stats (no
numpy grouping, no shared helpers) so that a mistake in one does not repeat in the other."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from scipy import stats as scipy_stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.centres.models import Centre
from app.marking.models import Result
from app.sittings.models import PaperItem
from app.stats.models import ItemExclusion


@dataclass
class Line:
    result_id: int
    version_id: int
    answer: str | None
    answered_at: datetime | None
    correct: int
    scored: bool = True  # counts towards the paper's score: not excluded, not pretest


@dataclass
class Paper:
    result_id: int
    started_at: datetime | None
    lines: list[Line]
    total: int = 0  # scored items right
    scored: int = 0  # scored items


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2 or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    return float(scipy_stats.pearsonr(xs, ys).statistic)


def _point_biserial(chose: list[int], ys: list[float]) -> float | None:
    if len(set(chose)) < 2 or len(set(ys)) < 2:
        return None
    return float(scipy_stats.pointbiserialr(chose, ys).statistic)


def reference(
    db: Session,
    unit_id: int,
    *,
    centre: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> dict[str, Any]:
    versions = {
        v.id: (item.external_id, v)
        for v, item in db.execute(
            select(ItemVersion, Item)
            .join(Item, Item.id == ItemVersion.item_id)
            .where(Item.unit_id == unit_id)
        ).all()
    }
    excluded = set(db.scalars(select(ItemExclusion.item_version_id)))
    papers: list[Paper] = []
    for result, code in db.execute(
        select(Result, Centre.code)
        .join(Centre, Centre.id == Result.centre_id)
        .where(Result.unit_id == unit_id)
        .order_by(Result.id)
    ).all():
        if result.voided or (centre and code != centre):
            continue
        if (start and result.submitted_at < start) or (end and result.submitted_at >= end):
            continue
        lines = []
        for p in db.scalars(
            select(PaperItem)
            .where(PaperItem.attempt_id == result.attempt_id)
            .order_by(PaperItem.position)
        ):
            key = versions[p.item_version_id][1].key
            scored = p.item_version_id not in excluded and not p.pretest
            lines.append(
                Line(
                    result.id,
                    p.item_version_id,
                    p.answer,
                    p.answered_at,
                    int(p.answer == key),
                    scored,
                )
            )
        paper = Paper(result.id, result.started_at, lines)
        for line in lines:
            if line.scored:
                paper.scored += 1
                paper.total += line.correct
        papers.append(paper)

    gaps: dict[tuple[int, int], float] = {}
    for paper in papers:
        answered = sorted(
            (line for line in paper.lines if line.answered_at is not None),
            key=lambda line: line.answered_at,  # type: ignore[arg-type,return-value]
        )
        previous = paper.started_at
        for line in answered:
            assert line.answered_at is not None
            if previous is not None:
                gaps[(paper.result_id, line.version_id)] = (
                    line.answered_at - previous
                ).total_seconds()
            previous = line.answered_at

    by_version: dict[int, list[tuple[Paper, Line]]] = defaultdict(list)
    for paper in papers:
        for line in paper.lines:
            by_version[line.version_id].append((paper, line))

    items = {}
    for version_id, rows in by_version.items():
        item_id, version = versions[version_id]
        n = len(rows)
        with_rest = [
            (
                paper,
                line,
                (paper.total - line.correct * line.scored) / (paper.scored - line.scored),
            )
            for paper, line in rows
            if paper.scored - line.scored > 0
        ]
        xs = [float(line.correct) for _, line, _ in with_rest]
        rests = [rest for _, _, rest in with_rest]
        ranked = sorted(with_rest, key=lambda t: (t[2], t[0].result_id))
        k = int((Decimal(27) * len(ranked) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        upper_lower = (
            (sum(t[1].correct for t in ranked[-k:]) - sum(t[1].correct for t in ranked[:k])) / k
            if k
            else None
        )
        options = []
        for option in version.options:
            choosers = [paper for paper, line in rows if line.answer == option["id"]]
            indicator = [int(line.answer == option["id"]) for _, line, _ in with_rest]
            options.append(
                {
                    "id": option["id"],
                    "text": option["text"],
                    "chosen": len(choosers),
                    "is_key": option["id"] == version.key,
                    "point_biserial": _point_biserial(indicator, rests),
                    "mean_percent": statistics.mean(100 * p.total / p.scored for p in choosers)
                    if choosers
                    else None,
                }
            )
        seconds = [
            gaps[(paper.result_id, version_id)]
            for paper, _ in rows
            if (paper.result_id, version_id) in gaps
        ]
        items[(item_id, version.version)] = {
            "n": n,
            "facility": sum(line.correct for _, line in rows) / n,
            "discrimination": _pearson(xs, rests),
            "upper_lower": upper_lower,
            "omit_rate": sum(line.answer is None for _, line in rows) / n,
            "median_seconds": statistics.median(seconds) if seconds else None,
            "options": options,
            "excluded": version_id in excluded,
            "pretest_n": sum(not line.scored and version_id not in excluded for _, line in rows),
        }
    percents = [100 * p.total / p.scored for p in papers if p.scored]
    bands = [0] * 10
    for value in percents:
        bands[min(9, int(value // 10))] += 1
    return {
        "candidates": len(papers),
        "items": items,
        "mean_percent": statistics.mean(percents) if percents else None,
        "sd_percent": statistics.stdev(percents) if len(percents) > 1 else None,
        "median_percent": statistics.median(percents) if percents else None,
        "bands": bands,
    }


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
