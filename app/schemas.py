"""The base of every request body: unknown fields and control characters are refused here,
once, rather than reaching a database that may store them (SQLite) or fail on them (PostgreSQL)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check(value: Any, where: str) -> None:
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError(f"{where or 'a value'} contains a control character")
    if isinstance(value, dict):
        for key, item in value.items():
            _check(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]")


# A form's fields are all text: validating one with FORM lets "5" be read as 5 and "on" as
# true, as HTML can send nothing else (forms.parse, console.problems.form_errors).
FORM: dict[str, bool] = {"form": True}


def _from_form(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("form"))


def _json_number(value: Any, info: ValidationInfo) -> Any:
    # bool first: True is an int to Python, and pydantic's lax mode reads "5" as 5; a JSON
    # client sending either has a bug it should hear of, not a value silently changed.
    if isinstance(value, bool) or (isinstance(value, str) and not _from_form(info)):
        raise PydanticCustomError("number_type", "Input should be a JSON number")
    return value


def _json_boolean(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, bool) and not _from_form(info):
        raise PydanticCustomError("bool_type", "Input should be true or false")
    return value


# Request bodies' numbers and flags: in JSON, only a JSON number (a whole one for Whole: 5.0
# and 5.5 are refused by int's own check) or true/false; in a form, text as HTML sends it.
# For an optional one with bounds: Annotated[int, Field(ge=.., le=..), JSON_NUMBER] | None (the
# bounds before the check, or the published schema says "ge" for "minimum").
JSON_NUMBER = BeforeValidator(_json_number)
Whole = Annotated[int, JSON_NUMBER]
Flag = Annotated[bool, BeforeValidator(_json_boolean)]


NO_CONTROL_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


def _say_no_control_characters(schema: Any) -> None:
    """Write the rule into the published schema too: every string property without a pattern
    of its own gets one that excludes control characters, so a client (or a fuzzer) reading
    the OpenAPI knows what the validator below will refuse."""
    if isinstance(schema, dict):
        if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
            schema["pattern"] = NO_CONTROL_PATTERN
            # Swagger UI makes an example up from a pattern: this one gave junk such as
            # "4<6\L%}&DB?W" on /docs (a new user's trial); a field without an example of its
            # own shows Swagger's usual "string" instead.
            schema.setdefault("examples", ["string"])
        for value in schema.values():
            _say_no_control_characters(value)
    elif isinstance(schema, list):
        for value in schema:
            _say_no_control_characters(value)


class Input(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=lambda schema, _: _say_no_control_characters(schema.get("properties")),
    )

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        _check(data, "")
        return data


# Free text that must say something: surrounding spaces are trimmed before the length check.
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is a valid RFC 3339 time before year 1 UTC
        raise ValueError("the time is outside the range of dates that can be stored") from None


# A moment in time, with its zone, as UTC: every time a client sends comes through here.
Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]


# Bidirectional embeddings, overrides and isolates: in a name they reorder what a register or a
# slip prints around it ("Trojan Source"); nobody's name needs them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _visible(value: str) -> str:
    if _BIDI_CONTROLS.search(value):
        raise PydanticCustomError(
            "bidi_control",
            "Text direction controls (U+202A to U+202E, U+2066 to U+2069) are not allowed",
        )
    # A letter, digit, mark, punctuation or symbol: a name of zero-width or format characters
    # alone (U+200B, a soft hyphen, a byte order mark) prints blank on a register and a slip.
    if not any(unicodedata.category(c)[0] in "LNPSM" for c in value):
        raise PydanticCustomError("not_visible", "Give a name with at least one visible character")
    return value


# A person's or a place's name: printed on registers, slips and certificates.
Visible = AfterValidator(_visible)
