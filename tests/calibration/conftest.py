"""A unit with a bank of many items, and results written straight into the database.

Sitting thousands of papers through the API would take minutes; the calibration reads only
results, attempts and their paper items, so the tests write those rows as marking would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app import counters
from app.banks.models import Item, ItemVersion
from app.banks.service import load_dir
from app.candidates.models import Candidate
from app.centres import service as centres
from app.clock import MovableClock
from app.marking.models import Result
from app.qualifications.models import Unit
from app.sittings.models import Attempt, PaperItem, Sitting
from tests.banks import builder


@dataclass
class Bank:
    unit_id: int
    urn: str
    versions: list[int]  # item_version ids, in bank order
    keys: dict[int, str]  # item_version id -> key
    wrong: dict[int, str]  # item_version id -> a wrong option


@pytest.fixture
def bank(db: Session, clock: MovableClock, tmp_path: Path) -> Bank:
    return make_bank(db, clock.now(), tmp_path)


def make_bank(
    db: Session, now: datetime, tmp_path: Path, per_criterion: int = 20, items: int = 20
) -> Bank:
    """Unit A of the test qualification with 3 x per_criterion live items (papers of `items`),
    and centre C0042."""
    if db.scalars(select(Unit).where(Unit.urn == builder.UNIT_A)).first() is None:
        units = builder.banks()
        units[builder.UNIT_A] = builder.unit_bank(builder.UNIT_A, per_criterion, items)
        load_dir(db, builder.write(tmp_path, units=units), now)
    if centres.find_centre(db, "C0042") is None:
        centres.create_centre(db, "C0042", "Leeds", now)
    db.flush()
    unit = db.scalars(select(Unit).where(Unit.urn == builder.UNIT_A)).one()
    rows = db.execute(
        select(ItemVersion)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.unit_id == unit.id)
        .order_by(Item.external_id)
    ).scalars()
    versions = list(rows)
    return Bank(
        unit_id=unit.id,
        urn=unit.urn,
        versions=[v.id for v in versions],
        keys={v.id: v.key for v in versions},
        wrong={v.id: next(o["id"] for o in v.options if o["id"] != v.key) for v in versions},
    )


_counter = {"n": 0}


def record(
    db: Session,
    bank: Bank,
    papers: list[list[tuple[int, int | None]]],
    at: datetime,
    pass_mark_percent: int = 50,
) -> None:
    """One sitting at `at` in which candidate k sat papers[k]: (item_version_id, 1 | 0 | None
    for omitted) per position; each gets a result marked as marking would. Rows go in by
    bulk inserts: a simulated sitting has thousands."""
    centre = centres.get_centre(db, "C0042")
    sitting = Sitting(
        centre_id=centre.id,
        unit_id=bank.unit_id,
        status="closed",
        access_code="X",
        scheduled_start=at,
        duration_minutes=60,
        pass_mark_percent=pass_mark_percent,
        pool={},
        created_at=at,
        opened_at=at,
        closed_at=at,
    )
    db.add(sitting)
    db.flush()
    first = _counter["n"] + 1
    _counter["n"] += len(papers)
    numbers = range(first, first + len(papers))
    candidates = [
        Candidate(
            candidate_number=f"S{n:07d}",
            centre_id=centre.id,
            first_name="Sim",
            last_name=f"Ulated{n}",
            extra_time_percent=0,
            created_at=at,
        )
        for n in numbers
    ]
    db.add_all(candidates)
    db.flush()
    attempts = [
        Attempt(
            sitting_id=sitting.id,
            candidate_id=c.id,
            status="submitted",
            access_code=f"A{n}",
            seed=n,
            allowed_seconds=3600,
            paused_seconds=0,
            submitted_at=at,
        )
        for n, c in zip(numbers, candidates, strict=True)
    ]
    db.add_all(attempts)
    db.flush()
    rows = []
    for attempt, paper in zip(attempts, papers, strict=True):
        for position, (version, x) in enumerate(paper, start=1):
            answer = None if x is None else (bank.keys[version] if x == 1 else bank.wrong[version])
            rows.append(
                {
                    "attempt_id": attempt.id,
                    "position": position,
                    "item_version_id": version,
                    "option_order": [],
                    "answer": answer,
                    "answer_seq": position,
                    "answered_at": None if x is None else at,
                    "flagged": False,
                }
            )
    db.execute(insert(PaperItem), rows)
    results = []
    # Numbered from the service's own counter: a live server shares this database.
    first_seq = counters.next_values(db, "results", len(papers))
    for n, (attempt, paper) in enumerate(zip(attempts, papers, strict=True)):
        score = sum(1 for _, x in paper if x == 1)
        results.append(
            Result(
                seq=first_seq + n,
                attempt_id=attempt.id,
                candidate_id=attempt.candidate_id,
                centre_id=centre.id,
                unit_id=bank.unit_id,
                sitting_id=sitting.id,
                score=score,
                max_score=len(paper),
                percent=round(100 * score / len(paper), 2),
                pass_mark_percent=pass_mark_percent,
                outcome="pass" if 100 * score >= pass_mark_percent * len(paper) else "fail",
                by_learning_outcome=[],
                started_at=at,
                submitted_at=at,
                submitted_by="candidate",
                recorded_at=at + timedelta(minutes=1),
            )
        )
    db.add_all(results)
    db.flush()


def simulate(
    rng: np.random.Generator,
    bank: Bank,
    b: np.ndarray,
    thetas: np.ndarray,
    per_paper: int,
    items: list[int] | None = None,
) -> list[list[tuple[int, int | None]]]:
    """Randomised papers: each candidate sits `per_paper` of the items (indices into bank)."""
    pool = np.arange(len(b)) if items is None else np.asarray(items)
    papers: list[list[tuple[int, int | None]]] = []
    for theta in thetas:
        chosen = rng.choice(pool, size=per_paper, replace=False)
        p = 1.0 / (1.0 + np.exp(-(theta - b[chosen])))
        x = (rng.random(per_paper) < p).astype(int)
        papers.append([(bank.versions[i], int(v)) for i, v in zip(chosen, x, strict=True)])
    return papers
