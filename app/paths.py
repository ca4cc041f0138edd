"""Units and qualifications in URL paths: their codes with '/' written as '-'."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path

from app.errors import NotFound

_URN = re.compile(r"^[A-Za-z]-\d{3}-\d{4}$")
_QUAL = re.compile(r"^\d{3}-\d{4}-\d$")


def unit_urn(segment: str) -> str:
    """'D-601-7644' -> 'D/601/7644'; anything else is a 404."""
    if not _URN.match(segment):
        raise NotFound(f"No unit {segment}: write a URN with '-' for '/', e.g. D-601-7644.")
    return segment.replace("-", "/").upper()


def qualification_code(segment: str) -> str:
    if not _QUAL.match(segment):
        raise NotFound(
            f"No qualification {segment}: write its code with '-' for '/', e.g. 600-8065-6."
        )
    return segment.replace("-", "/")


# Integer path parameters, bounded so that no client value overflows a database integer.
SessionId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the session's id")]
Position = Annotated[int, Path(ge=1, le=1000, description="a question's position on the paper")]
