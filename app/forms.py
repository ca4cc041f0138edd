"""HTML forms parsed by the same pydantic schemas as the JSON API, so a page and the API
accept and refuse exactly the same things."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from app.auth import cookies
from app.errors import Invalid
from app.schemas import FORM

M = TypeVar("M", bound=BaseModel)


async def parse(
    request: Request, csrf: str, model: type[M], messages: dict[str, str] | None = None
) -> M:
    """The posted form as `model`, refused (403) without the session's CSRF token, and as a
    422 naming the first field at fault (in words from `messages` where given)."""
    form = await cookies.signed_form(request, csrf)
    return validated(form, model, messages)


def validated(
    values: Mapping[str, str], model: type[M], messages: dict[str, str] | None = None
) -> M:
    """Form values (a posted form, or a confirmation page's query) as `model`, or a 422 naming
    the first field at fault."""
    data = {name: value for name, value in values.items() if name in model.model_fields}
    try:
        return model.model_validate(data, context=FORM)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = (messages or {}).get(field) or f"{field.replace('_', ' ')}: {first['msg']}."
        raise Invalid.field(field, message) from None
