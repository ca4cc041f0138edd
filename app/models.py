"""Every ORM model, imported once so that Base.metadata is complete (Alembic, tests)."""

from app.auth.models import ApiToken, LoginThrottle
from app.centres.models import Centre, Invigilator
from app.db import Base

__all__ = ["ApiToken", "Base", "Centre", "Invigilator", "LoginThrottle"]
