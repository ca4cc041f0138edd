from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.banks.service import load_dir
from app.clock import MovableClock
from tests.factories import admin_token

ROOT = Path(__file__).resolve().parents[2]
QUAL = ROOT / "question_banks" / "600-8065-6"


@pytest.fixture
def qualification(db: Session, clock: MovableClock, tmp_path: Path) -> None:
    """600/8065/6 loaded with one unit's bank (F/503/0358); the others have no items."""
    target = tmp_path / "banks" / "600-8065-6"
    (target / "units").mkdir(parents=True)
    shutil.copy(QUAL / "qualification.yaml", target)
    shutil.copy(QUAL / "units" / "F-503-0358.yaml", target / "units")
    load_dir(db, tmp_path / "banks", clock.now())


@pytest.fixture
def token(db: Session, clock: MovableClock) -> str:
    return admin_token(db, clock.now())
