"""Form fields checked by the same pydantic models as the JSON API, with messages for people."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import Invalid
from app.schemas import FORM

M = TypeVar("M", bound=BaseModel)

_PLAIN = {
    "string_too_short": "Fill this in.",
    "missing": "Fill this in.",
    "string_pattern_mismatch": (
        "Use letters, digits and - _ . @ only, starting with a letter or digit."
    ),
}


def form_errors(model: type[M], values: dict[str, Any]) -> M:
    """The form as the API model, or Invalid naming each field that is wrong."""
    try:
        return model.model_validate(values, context=FORM)
    except ValidationError as exc:
        errors = [
            {
                "field": str(e["loc"][0]) if e["loc"] else "form",
                "message": _PLAIN.get(str(e["type"]), str(e["msg"])),
            }
            for e in exc.errors()
        ]
        raise Invalid("Some fields need correcting.", extra={"errors": errors}) from exc
