"""Reading console forms and filters: CSRF-checked posts, dates and whole numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import Request
from starlette.datastructures import FormData

from app.auth import cookies
from app.console.deps import ConsoleUser
from app.errors import Invalid
from app.sittings.schemas import FIRST_START, LAST_START


async def posted(request: Request, user: ConsoleUser) -> tuple[dict[str, str], FormData]:
    """The posted form, refused (403) without the session's CSRF token: its single values
    stripped, and the raw form for lists and files."""
    values = await cookies.signed_form(request, user.csrf)
    return values, await request.form()


def day(value: str, name: str) -> date | None:
    """An ISO date from a filter (YYYY-MM-DD), or None when blank."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field(name, f"Write the {name} date as YYYY-MM-DD.") from exc


def day_range(start: str, end: str) -> tuple[datetime | None, datetime | None]:
    """From the start of one day to the end of another (both inclusive), in UTC."""
    first, last = day(start, "from"), day(end, "to")
    if first and last and last < first:
        raise Invalid.field("to", "The 'to' date is before the 'from' date.")
    return (
        datetime.combine(first, time(), UTC) if first else None,
        datetime.combine(last, time(), UTC) + timedelta(days=1) if last else None,
    )


def moment(value: str, name: str) -> datetime:
    """A date and time from a datetime-local field, read as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise Invalid.field(name, "Give the date and time as YYYY-MM-DD HH:MM (UTC).") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
        inside = FIRST_START <= parsed < LAST_START  # the API's bounds for a sitting's start
    except OverflowError:  # year 1 or 9999 with an offset
        inside = False
    if not inside:
        raise Invalid.field(
            name, f"Give a date between the years {FIRST_START.year} and {LAST_START.year - 1}."
        )
    return parsed


def whole(value: str, name: str, low: int, high: int, default: int | None = None) -> int:
    if not value and default is not None:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise Invalid.field(name, f"Give a whole number from {low} to {high}.")
    return int(value)
