"""Every ORM model, imported once so that Base.metadata is complete (Alembic, tests)."""

from app.auth.models import ApiToken, LoginThrottle
from app.banks.models import Item, ItemVersion
from app.calibration.models import CalibrationRun, ItemDifficulty
from app.candidates.models import Candidate, UnitResult
from app.centres.models import Centre, Invigilator
from app.counters import Counter
from app.db import Base
from app.idempotency.models import IdempotentRequest
from app.invigilation.models import Incident
from app.journal.models import JournalEntry, JournalHead
from app.marking.models import Result, ResultCorrection
from app.qualifications.models import (
    Criterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    TestSpec,
    Unit,
)
from app.signing.models import SigningKey
from app.sittings.models import Attempt, PaperItem, Sitting
from app.staff.models import StaffAccount
from app.standards.models import (
    StandardExercise,
    StandardItem,
    StandardJudge,
    StandardJudgement,
    UnitCut,
)
from app.stats.models import ItemExclusion
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiToken",
    "Attempt",
    "Base",
    "CalibrationRun",
    "Candidate",
    "Centre",
    "Counter",
    "Criterion",
    "IdempotentRequest",
    "Incident",
    "Invigilator",
    "Item",
    "ItemDifficulty",
    "ItemExclusion",
    "ItemVersion",
    "JournalEntry",
    "JournalHead",
    "LearningOutcome",
    "LoginThrottle",
    "PaperItem",
    "Qualification",
    "QualificationUnit",
    "Result",
    "ResultCorrection",
    "SigningKey",
    "Sitting",
    "StaffAccount",
    "StandardExercise",
    "StandardItem",
    "StandardJudge",
    "StandardJudgement",
    "TestSpec",
    "Unit",
    "UnitCut",
    "UnitResult",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
