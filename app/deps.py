"""Request-scoped dependencies shared by every domain: settings, clock, database session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.clock import Clock
from app.config import Settings
from app.db import unit_of_work


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_db(request: Request) -> Iterator[Session]:
    # Every request may write (a GET can submit an attempt whose time ran out, or note that a
    # candidate was seen), so on SQLite each takes the write lock at BEGIN rather than fail to
    # upgrade a read snapshot later. PostgreSQL ignores the flag.
    yield from unit_of_work(request.app.state.sessionmaker, write=True)


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def user_agent(request: Request) -> str:
    """What the browser says it is, for the journal's record of sign-ins."""
    return request.headers.get("user-agent", "")[:200]


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# scope="function": the transaction commits before the response is sent, so a 200 means stored.
DbDep = Annotated[Session, Depends(get_db, scope="function")]
AddressDep = Annotated[str, Depends(client_address)]
UserAgentDep = Annotated[str, Depends(user_agent)]
