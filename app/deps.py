"""Request-scoped dependencies shared by every domain: settings, clock, database session."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.config import MAX_REQUEST_CAP, Settings
from app.db import Bare, bare_then_full, read_then_write, unit_of_work

T = TypeVar("T")
P = ParamSpec("P")

# The hot paths' threads, made as they are needed: no more are busy at once than the requests
# let through the cap (app.limits), so the bound is the cap's own upper bound and the pool is
# never a second, hidden queue behind it; beside them, /readyz's checks (uncapped: one thread
# a check, for milliseconds, or at most app.db.PROBE_WAIT waiting for its connection).
_hot_pool = ThreadPoolExecutor(MAX_REQUEST_CAP, thread_name_prefix="examhall-hot")


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`fn` on a thread of the hot paths' pool, in a copy of this request's context (its
    request id): what starlette's run_in_threadpool does, through asyncio's executor rather
    than anyio's worker threads, whose capacity limiter and cancel scope cost a quarter as
    much again as the hop itself (bench/README.md §1, session 19). As there, a request that is
    cancelled while its work runs ends only when the work has: its slot of the cap, and its
    answer, are not given up while its transaction may still commit."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    work = _hot_pool.submit(call)
    future = asyncio.wrap_future(work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await _finished(work, future)
        raise


async def _finished(work: Future[Any], future: asyncio.Future[Any]) -> None:
    """Wait for `work` to end, however often the waiter is cancelled meanwhile; work that has
    not started is dropped at once, as anyio drops a wait for its limiter."""
    if work.cancel():
        return
    while not future.done():
        try:
            await asyncio.wait([future])
        except asyncio.CancelledError:
            continue


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


class Database:
    """The hot paths' way to the database: the whole unit of work (begin, every query, commit)
    runs in ONE call on the thread pool, the request's only thread hop; the rest of the request
    (cookie, parsing, the response) stays on the event loop. A sync dependency or route costs
    a hop each, and a `DbDep` two (open and close), with the connection held across them."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    async def read_or_write(
        self, read: Callable[[Session], T | None], write: Callable[[Session], T]
    ) -> T:
        """`read` in a read transaction, and `write` only if `read` returns None (see
        app.db.read_then_write): on SQLite, a heartbeat that changes nothing takes no lock."""
        return await in_thread(read_then_write, self.factory, read, write)

    async def write_quiet(
        self, quiet: Callable[[Bare], T | None], full: Callable[[Session], T]
    ) -> T:
        """`quiet` on a bare connection and, only when it returns None, `full` in a Session
        joined to the same write transaction (app.db.bare_then_full): one thread hop."""
        return await in_thread(bare_then_full, self.factory, quiet, full)


@dataclass(frozen=True, slots=True)
class Call:
    """What a hot path takes of the app, as ONE dependency: FastAPI solves every dependency
    of a route, and every one of theirs, on each request (the settings, the clock and the
    database as dependencies of their own were three solves a save), so the candidate's routes
    ask for this instead (app.sittings.deps.CandidateDep)."""

    settings: Settings
    clock: Clock
    database: Database


def call_of(request: Request) -> Call:
    """Read from the app's state on each request: tests swap its settings and sessionmaker."""
    state = request.app.state
    return Call(state.settings, state.clock, Database(state.sessionmaker))


async def get_call(request: Request) -> Call:
    return call_of(request)


def address_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def user_agent_of(request: Request) -> str:
    """What the browser says it is, for the journal's record of sign-ins."""
    return request.headers.get("user-agent", "")[:200]


async def client_address(request: Request) -> str:
    return address_of(request)


async def user_agent(request: Request) -> str:
    return user_agent_of(request)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
ClockDep = Annotated[Clock, Depends(get_clock)]
# scope="function": the transaction commits before the response is sent, so a 200 means stored.
DbDep = Annotated[Session, Depends(get_db, scope="function")]
AddressDep = Annotated[str, Depends(client_address)]
UserAgentDep = Annotated[str, Depends(user_agent)]
CallDep = Annotated[Call, Depends(get_call)]
