"""Simulated sittings with a known generating model: Rasch responses on randomised papers,
built by the real assembly and marked by the real submit path (lifecycle), so every answer,
result and journal entry is what the service itself would write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import tokens
from app.banks.models import Item, ItemVersion
from app.candidates import service as candidates
from app.centres import service as centres
from app.clock import MovableClock
from app.sittings import lifecycle, scheduling
from app.sittings.models import PaperItem, Sitting
from app.sittings.status import SittingStatus
from tests.sittings.conftest import load_units

UNIT = "F/503/0358"
UNIT_PATH = "F-503-0358"
# P(correct) for an item given the candidate's ability: the planted items' own curves.
Curve = Callable[[float], float]


@dataclass
class Simulation:
    db: Session
    clock: MovableClock
    token: str
    rng: np.random.Generator
    difficulty: dict[str, float] = field(default_factory=dict)
    planted: dict[str, Curve] = field(default_factory=dict)
    omit_rate: float = 0.05
    count: int = 0
    prefix: str = "S"
    attempts: list[int] = field(default_factory=list)

    def candidates(self, centre: str, how_many: int) -> list[str]:
        numbers = []
        for _ in range(how_many):
            self.count += 1
            number = f"{self.prefix}{self.count:05d}"
            candidates.create_candidate(
                self.db,
                self.clock.now(),
                candidate_number=number,
                centre=centre,
                first_name="Sim",
                last_name=str(self.count),
            )
            numbers.append(number)
        self.db.flush()
        return numbers

    def schedule(self, centre: str, how_many: int) -> Sitting:
        """A sitting of `how_many` new candidates at the centre, papers built, open."""
        db, now = self.db, self.clock.now()
        numbers = self.candidates(centre, how_many)
        sitting = scheduling.schedule(
            db,
            now,
            centre=centre,
            unit=UNIT,
            scheduled_start=now,
            candidate_numbers=numbers,
            duration_minutes=None,
        )
        sitting.status = SittingStatus.OPEN
        db.flush()
        return sitting

    def sit(self, centre: str, how_many: int) -> list[int]:
        """A sitting of `how_many` new candidates at the centre, each answering by the model
        and submitting now; the attempts' ids."""
        return self.answer(self.schedule(centre, how_many))

    def answer(self, sitting: Sitting) -> list[int]:
        """Every candidate of the sitting answers by the model and submits."""
        db = self.db
        ids = []
        for attempt in list(sitting.attempts):
            theta = float(self.rng.normal(0.0, 1.0))
            locked = lifecycle.lock(db, attempt.id)
            assert locked is not None
            lifecycle.start(db, locked, self.clock.now())
            lines = db.execute(
                select(PaperItem.position, Item.external_id, ItemVersion.key, ItemVersion.options)
                .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
                .join(Item, Item.id == ItemVersion.item_id)
                .where(PaperItem.attempt_id == attempt.id)
                .order_by(PaperItem.position)
            ).all()
            for seq, (position, item_id, key, options) in enumerate(lines, start=1):
                self.clock.advance(seconds=float(self.rng.integers(5, 90)))
                if self.rng.random() < self.omit_rate:
                    continue
                curve = self.planted.get(item_id)
                p = curve(theta) if curve else float(expit(theta - self.difficulty[item_id]))
                if self.rng.random() < p:
                    answer = key
                else:
                    wrong = [o["id"] for o in options if o["id"] != key]
                    answer = wrong[int(self.rng.integers(0, len(wrong)))]
                lifecycle.save(
                    db, locked, self.clock.now(), position=position, option_id=answer, seq=seq
                )
            lifecycle.submit(db, locked, self.clock.now())
            ids.append(attempt.id)
        db.flush()
        self.attempts.extend(ids)
        return ids


def make_simulation(db: Session, clock: MovableClock, tmp_path: Path, seed: int = 7) -> Simulation:
    load_units(db, clock, tmp_path, "F-503-0358.yaml")
    _, token = tokens.create_token(db, "ab", [tokens.ADMIN], clock.now())
    centres.create_centre(db, "C0042", "Leeds", clock.now())
    centres.create_centre(db, "C0099", "York", clock.now())
    rng = np.random.default_rng(seed)
    ids = db.scalars(select(Item.external_id).order_by(Item.external_id)).all()
    difficulty = {i: float(rng.normal(-0.5, 1.0)) for i in ids}
    db.flush()
    return Simulation(db, clock, token, rng, difficulty)


@pytest.fixture
def sim(db: Session, clock: MovableClock, tmp_path: Path) -> Simulation:
    return make_simulation(db, clock, tmp_path)
