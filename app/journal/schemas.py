from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    chain: str
    seq: int
    at: datetime
    actor: str
    event: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class JournalOut(BaseModel):
    session_id: int
    verified: bool
    problems: list[str]
    entries: list[EntryOut]
