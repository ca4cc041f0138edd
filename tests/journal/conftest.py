"""The journal tests sit exams in the same room as the sitting tests."""

from tests.sittings.conftest import room

__all__ = ["room"]
