"""A window of time from a query's `from` and `to`, as every filter reads them: an RFC 3339
date-time with its offset, or a date (a `from` date at its midnight UTC, a `to` date taking in
the whole day)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from app.errors import Invalid


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None


def window(start: str | None, end: str | None) -> Window:
    """The submission window from `from` and `to`: each an RFC 3339 date-time (with its
    offset) or a date. A date `from` starts at its midnight (UTC); a date `to` takes in the
    whole day; a date-time `to` is exclusive. 422 for anything else, or an empty window."""
    first = _moment(start, "from", end_of_day=False)
    last = _moment(end, "to", end_of_day=True)
    if first is not None and last is not None and last <= first:
        raise Invalid.field("to", "'to' must be after 'from'.")
    return Window(first, last)


def _moment(value: str | None, name: str, *, end_of_day: bool) -> datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip().upper()  # RFC 3339 (5.6) allows a lower-case t and z
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end_of_day and day == date.max:
                return None  # the whole of the last day there is: no end
            moment = datetime.combine(day, time(), UTC)
            return moment + timedelta(days=1) if end_of_day else moment
        parsed = datetime.fromisoformat(text)
    except (ValueError, OverflowError) as exc:
        hint = ""
        if _UNENCODED_PLUS.search(text):  # a URL's + reads as a space
            hint = " In a URL, write the offset's + as %2B (or give the time in UTC, with Z)."
        raise Invalid.field(
            name, f"Give '{name}' as a date (2026-06-01) or an RFC 3339 date-time.{hint}"
        ) from exc
    if parsed.tzinfo is None:
        raise Invalid.field(name, f"Give '{name}' with its UTC offset, e.g. 2026-06-01T09:00:00Z.")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar's end by its offset
        raise Invalid.field(name, f"'{name}' is outside the years this service keeps.") from None


_UNENCODED_PLUS = re.compile(r"\d \d\d:?\d\d$")
