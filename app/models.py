"""Every ORM model, imported once so that Base.metadata is complete (Alembic, tests)."""

from app.auth.models import ApiToken, LoginThrottle
from app.banks.models import Item, ItemVersion
from app.candidates.models import Candidate, UnitResult
from app.centres.models import Centre, Invigilator
from app.db import Base
from app.qualifications.models import (
    Criterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    TestSpec,
    Unit,
)

__all__ = [
    "ApiToken",
    "Base",
    "Candidate",
    "Centre",
    "Criterion",
    "Invigilator",
    "Item",
    "ItemVersion",
    "LearningOutcome",
    "LoginThrottle",
    "Qualification",
    "QualificationUnit",
    "TestSpec",
    "Unit",
    "UnitResult",
]
