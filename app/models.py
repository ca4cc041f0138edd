"""Every ORM model, imported once so that Base.metadata is complete (Alembic, tests)."""

from app.auth.models import ApiToken, LoginThrottle
from app.banks.models import Item, ItemVersion
from app.candidates.models import Candidate, UnitResult
from app.centres.models import Centre, Invigilator
from app.counters import Counter
from app.db import Base
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
from app.stats.models import ItemExclusion
from app.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiToken",
    "Attempt",
    "Base",
    "Candidate",
    "Centre",
    "Counter",
    "Criterion",
    "Incident",
    "Invigilator",
    "Item",
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
    "TestSpec",
    "Unit",
    "UnitResult",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
