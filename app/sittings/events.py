"""Room events for the exam page: pause, resume, rest breaks, time added, close, re-admission
and the start of the clock reach the page within about a second, over server-sent events.

Why a push and not a poll (bench/room_events.py measures both): a page polling every 2 s
makes 15 requests per 30 s, so a national sitting of 10,000 candidates costs 5,000 requests
a second, each a signed-cookie check and a database read. Here each worker keeps one stream
per open exam page and ONE loop that asks the database, once a second, which of the attempts
its pages show changed (the Feed below: one query however many are open, usually returning
nothing), and writes their presence every PRESENCE_SECONDS in one statement. The streams
cost memory, not requests: a page's steady state is its answers and nothing else. State lives
in the database, so any worker or instance can hold any page's stream; a change made on one
worker reaches a stream held by another at its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.db import bare_read, hint_write, transaction
from app.deps import in_thread
from app.errors import Unauthorized
from app.sittings import devices, repository, service, tickets, timing
from app.sittings.deps import ticket_of

log = logging.getLogger("examhall.events")
router = APIRouter(prefix="/api/v1", tags=["candidate"])

POLL_SECONDS = 1.0  # how soon a change reaches the page (plus the page's own handling)
PRESENCE_SECONDS = 15.0  # well inside devices.DISCONNECTED_AFTER (45 s)
# A comment line when a page has been sent nothing this long: inside a proxy's idle timeout
# (nginx's proxy_read_timeout is 60 s, see the README) whatever the resync period; longer than
# the default resync (50 s), so that it is never needed then, and no extra write is spent.
KEEPALIVE_SECONDS = 55.0
RETRY_MS = 2000  # EventSource reconnects this soon after a dropped stream
# Streams opened at once, per worker: each takes a connection of the requests' pool for its
# first read, outside the request cap (a stream is not counted against it: it is open for the
# whole sitting), as the sweeper, the room's loop and the webhook worker do; this bounds the
# openings' share of the connections beyond the cap to one (the pool keeps app.db.POOL_SPARE,
# 2, beyond the cap: when all of these are busy at once, one waits). An opening costs about
# 2 ms of CPU, so one at a time opens a few hundred a second on an idle worker (fewer when a
# slow one waits for a lock: they queue behind it); when a room's pages all reconnect at once
# (a network back, a balancer restarted) the rest wait on the event loop, costing nothing.
# Unbounded on the hot paths' threads (whose bound is the cap's upper bound), every opening of
# a reconnection storm could wait for the pool's connections ahead of the saves; the
# 10,000-candidate run that had that fell over with its streams dropping and its pools full,
# though what it queued was not measured (bench/README.md §2, session 21).
OPENING_AT_ONCE = 1


class PageState(timing.Clocked, Protocol):
    """What a page's state is computed from: an Attempt, or the room loop's row of it."""

    @property
    def break_started_at(self) -> datetime | None: ...
    @property
    def reading_until(self) -> datetime | None: ...
    @property
    def admission(self) -> int: ...


def state_of(attempt: PageState, now: datetime) -> dict[str, object]:
    """What the page follows: the same fields as GET /api/v1/attempt's state."""
    deadline = timing.shown_deadline(attempt, now)
    return {
        "status": attempt.status,
        "remaining_seconds": timing.remaining_seconds(attempt, now),
        "deadline": deadline.isoformat() if deadline else None,
        "on_break": attempt.break_started_at is not None,
        "reading_until": attempt.reading_until.isoformat() if attempt.reading_until else None,
        "allowed_seconds": attempt.allowed_seconds,
        "admission": attempt.admission,
    }


def frame(event: str, data: dict[str, object]) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@dataclass(eq=False)
class Subscriber:
    attempt_id: int
    device_hash: str | None
    admission: int
    # (frame, the admission it was built under): a stream compares the admission without
    # parsing the frame again
    queue: asyncio.Queue[tuple[str, int]] = field(default_factory=asyncio.Queue)


class RoomEvents:
    """One per worker: the open exam pages, and the loop that tells them what changed."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.subscribers: dict[int, set[Subscriber]] = {}
        self.seen: dict[int, tuple[object, ...]] = {}  # attempt id -> last fingerprint sent
        # What changed in the database since the last poll (one of the two feeds below)
        self.feed: Feed = Compare() if app.state.engine.dialect.name == "postgresql" else Cursor()
        # The pages whose presence is written on each turn (attempt id % presence_every):
        # turn -> attempt id -> its streams' devices, kept as pages open and close, so that
        # a second's turn reads its own pages, not every open page's.
        self.by_turn: dict[int, dict[int, set[Subscriber]]] = {}
        self.task: asyncio.Task[None] | None = None
        self.opening = asyncio.Semaphore(OPENING_AT_ONCE)
        self.polls = 0  # for tests and the benchmark
        # Every page is sent its state again each resync_every polls, changed or not: the page
        # counts down from its last frame by its own monotonic clock (performance.now()), and
        # this keeps it true to the server's clock without a request (settings:
        # page_resync_seconds, 50 by default: a resync frame is most of an open page's cost,
        # bench/hotpaths.py's page steady state; a change is sent at once whatever this is).
        resync = app.state.settings.page_resync_seconds
        self.resync_every = max(1, round(resync / POLL_SECONDS))
        self.presence_every = max(1, round(PRESENCE_SECONDS / POLL_SECONDS))

    async def open(self, ticket: tickets.Ticket) -> tuple[str, tuple[object, ...]]:
        """A page's stream opening (_open), OPENING_AT_ONCE at a time, on the hot paths'
        threads: its first frame and the fingerprint of the state it shows."""
        async with self.opening:
            return await in_thread(_open, self.app, ticket)

    def subscribe(self, sub: Subscriber, fingerprint: tuple[object, ...]) -> None:
        self.add(sub, fingerprint)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.run())

    def add(self, sub: Subscriber, fingerprint: tuple[object, ...]) -> None:
        """Follow this page from now on (its state as last sent: `fingerprint`), and have the
        next poll read its attempt again (a change may have been read between the stream's
        first read and now). Another page of the same attempt already open here (a second
        tab, a reload) that was sent another state: the next read sends all of them the
        state as it is then."""
        subs = self.subscribers.setdefault(sub.attempt_id, set())
        subs.add(sub)
        seen = self.seen.setdefault(sub.attempt_id, fingerprint)
        if seen != fingerprint:
            self.seen[sub.attempt_id] = ()  # matches no state: sent at the next read
        turn = self.by_turn.setdefault(sub.attempt_id % self.presence_every, {})
        turn[sub.attempt_id] = subs
        self.feed.add(sub.attempt_id)  # last: a poll that sees it finds it in seen

    def unsubscribe(self, sub: Subscriber) -> None:
        subs = self.subscribers.get(sub.attempt_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.attempt_id]
                self.seen.pop(sub.attempt_id, None)
                self.by_turn.get(sub.attempt_id % self.presence_every, {}).pop(sub.attempt_id, None)
                self.feed.remove(sub.attempt_id)

    async def run(self) -> None:
        while self.subscribers:
            await asyncio.sleep(POLL_SECONDS)
            try:
                frames = await run_in_threadpool(self.tick)
                for attempt_id, sent in frames.items():
                    for sub in list(self.subscribers.get(attempt_id, ())):
                        sub.queue.put_nowait(sent)
            except Exception:  # a busy database: try again at the next tick
                log.exception("room events poll failed")
        self.feed.reset()  # no poll runs now, and a page that opens later is read afresh

    def tick(self) -> dict[int, tuple[str, int]]:
        """A second's work, in one trip to a worker thread: the poll, then the presence of the
        pages whose turn it is (each page's every PRESENCE_SECONDS). The poll's frames are
        sent even when the presence write fails (the feed has moved past their changes)."""
        frames = self.poll()
        try:
            self.present(turn=self.polls % self.presence_every)
        except Exception:  # a busy database: the next turn's write, or this page's next one
            log.exception("room events presence write failed")
        return frames

    def poll(self) -> dict[int, tuple[str, int]]:
        """One query for every attempt with an open page: a frame for each one that changed;
        and each page's resync, every resync_every polls, so each clock stays true. The resyncs
        are spread over the polls (by attempt id), never all at once: every page's frame in
        one burst held the worker's event loop for about half a second every resync period at
        5,000 pages a worker, and each request that came then waited (bench/national: the
        tail at 10,000 candidates)."""
        self.polls += 1
        now = self.app.state.clock.now()
        out: dict[int, tuple[str, int]] = {}
        # list() first: the loop's thread opens and closes pages while this runs.
        due = self.due(list(self.subscribers))
        with transaction(self.app.state.sessionmaker, write=False) as db:
            # Only the pages the database finds changed: usually none (first: see Feed).
            rows, done = self.feed.changed(db)
            if due:  # after: on PostgreSQL a later statement may read newer rows, never older
                rows += repository.page_states(db, due)
        resync = set(due)
        for row in rows:
            if row.id not in self.seen:  # no page of it open here (or closed since)
                continue
            print_ = repository.fingerprint(row)
            if self.seen.get(row.id) == print_ and row.id not in resync:
                continue
            self.seen[row.id] = print_
            out[row.id] = (frame("state", state_of(row, now)), row.admission)
        done()
        return out

    def due(self, attempt_ids: list[int]) -> list[int]:
        """The pages whose resync falls on this poll: a 1/resync_every share of them, by id, so
        that each page has one every resync_every polls."""
        turn = self.polls % self.resync_every
        return [i for i in attempt_ids if i % self.resync_every == turn]

    def present(self, turn: int | None = None) -> None:
        """The open pages are present: one statement, instead of a heartbeat from each. With a
        `turn`, only the pages whose turn it is (by attempt id, as the resyncs): one in
        presence_every each second, not every page at once, whose write held thousands of rows
        locked together, and each save on one of them waited for it."""
        if turn is None:
            pages = list(self.subscribers.values())  # list(): the loop's thread changes them
        else:
            pages = list(self.by_turn.get(turn, {}).values())
        pairs = [
            (s.attempt_id, s.device_hash) for subs in pages for s in tuple(subs) if s.device_hash
        ]
        if pairs:  # a hint: written again within PRESENCE_SECONDS, not worth an fsync
            with hint_write(self.app.state.sessionmaker) as work:
                repository.mark_pages_seen(work, pairs, self.app.state.clock.now())


Done = Callable[[], None]


class Feed(Protocol):
    """What changed in the database since the last poll, for the room's loop.

    `changed` is the poll's first statement: it notes which pages are open before it reads
    (so its read is newer than each of those pages' own first read), and returns only their
    rows, with `done`, which the poll calls once it has made their frames: the feed moves on
    only then (a poll that fails reads the same changes again at the next)."""

    def add(self, attempt_id: int) -> None:
        """A page of this attempt opened here: read it at the next poll."""

    def remove(self, attempt_id: int) -> None:
        """The attempt's last page here closed."""

    def reset(self) -> None:
        """The loop stopped (no page open): start afresh when it runs again."""

    def changed(self, db: Session) -> tuple[list[repository.PageRow], Done]: ...


class Cursor:
    """SQLite: the changes past the last number read (repository.pages_changed_since: its
    writes are serial, so that is every change), and each page opened since the last poll read
    once, in the same snapshot (a change made between its stream's first read and the page
    joining here may be numbered below the cursor already)."""

    def __init__(self) -> None:
        self.since: int | None = None
        self.open: set[int] = set()
        # attempt id -> when it joined (a count): read at the next poll, and kept for the one
        # after if it left and joined again while that poll ran
        self.fresh: dict[int, int] = {}
        self._joined = itertools.count()
        self._lock = threading.Lock()  # the loop's thread opens pages while a poll runs

    def add(self, attempt_id: int) -> None:
        with self._lock:
            self.open.add(attempt_id)
            self.fresh[attempt_id] = next(self._joined)

    def remove(self, attempt_id: int) -> None:
        with self._lock:
            self.open.discard(attempt_id)
            self.fresh.pop(attempt_id, None)

    def reset(self) -> None:
        self.since = None  # not thousands of old changes read when the loop starts again

    def changed(self, db: Session) -> tuple[list[repository.PageRow], Done]:
        with self._lock:
            fresh, open_now = dict(self.fresh), set(self.open)
        rows: list[repository.PageRow] = []
        if self.since is None:
            since = repository.last_page_seq(db)
        else:
            changed, since = repository.pages_changed_since(db, self.since)
            rows = [row for row in changed if row.id in open_now]
        if fresh:
            rows += repository.page_states(db, list(fresh))

        def done() -> None:
            self.since = since
            with self._lock:
                for attempt_id, joined in fresh.items():
                    if self.fresh.get(attempt_id) == joined:
                        del self.fresh[attempt_id]

        return rows, done


class Compare:
    """PostgreSQL: each open page's number against the one last read (repository.changed_pages:
    numbers there are not in commit order, so no cursor); a new page's, NOT_READ, differs."""

    def __init__(self) -> None:
        self.seqs: dict[int, int] = {}
        self._param: dict[str, object] | None = None  # rebuilt only when the pages change
        self._lock = threading.Lock()

    def add(self, attempt_id: int) -> None:
        with self._lock:
            self.seqs[attempt_id] = repository.NOT_READ
            self._param = None

    def remove(self, attempt_id: int) -> None:
        with self._lock:
            if self.seqs.pop(attempt_id, None) is not None:
                self._param = None

    def reset(self) -> None:
        """Nothing to forget: the numbers are the open pages'."""

    def changed(self, db: Session) -> tuple[list[repository.PageRow], Done]:
        with self._lock:
            if self._param is None:
                self._param = repository.seen_seqs(self.seqs)
            seen, asked = self._param, dict(self.seqs)
        changed = repository.changed_pages(db, seen)

        def done() -> None:
            with self._lock:
                for row, seq in changed:
                    # still open, and not opened again since (then it is read again)
                    if row.id in asked and self.seqs.get(row.id) == asked[row.id]:
                        self.seqs[row.id] = seq
                        self._param = None

        return [row for row, _ in changed], done


def hub(app: FastAPI) -> RoomEvents:
    found = getattr(app.state, "room_events", None)
    if found is None:
        found = app.state.room_events = RoomEvents(app)
    return found


def _open(app: FastAPI, ticket: tickets.Ticket) -> tuple[str, tuple[object, ...]]:
    """The page's stream opens: its first state, and it counts as the page reporting. Usually
    one narrow read on a bare connection, and when the page's presence is due (the first
    opening after a sign-in, a reopening after devices.SEEN_EVERY) that presence as a hint, as
    the room's loop writes it (an UPDATE that waits for no disk, and touches the attempt only
    while this device holds it and it is not over). Anything else that opening the page
    writes (the candidate's presence after a silence, the clock's end, the reading time's)
    takes the full path. The full path for every opening cost a first opening 2.89 ms of the
    server's CPU against 2.33 this way, about a quarter of a candidate's arrival
    (bench/README.md §2, session 21)."""
    factory, now = app.state.sessionmaker, app.state.clock.now()
    page = bare_read(factory, lambda db: repository.opening_page(db, ticket.attempt_id))
    if page is None:
        raise Unauthorized(service.SIGNED_OUT)
    devices.admitted(page, ticket.admission)
    if not service.quiet(page, page.last_seen_at, now) or timing.reading_over(page, now):
        return _open_full(app, ticket)
    if ticket.device_hash is not None and devices.page_report_due(page, ticket.device_hash, now):
        with hint_write(factory) as work:
            repository.mark_pages_seen(work, [(page.id, ticket.device_hash)], now)
    return frame("state", state_of(page, now)), repository.fingerprint(page)


def _open_full(app: FastAPI, ticket: tickets.Ticket) -> tuple[str, tuple[object, ...]]:
    """Opening the page in a write transaction: the attempt loaded as service.load loads it
    (settled when its time is up, presence noted, lost time counted), its page seen."""
    with transaction(app.state.sessionmaker) as db:
        now = app.state.clock.now()
        attempt = service.load(db, ticket, now)
        devices.page_seen(attempt, ticket.device_hash, now)
        db.flush()
        return frame("state", state_of(attempt, now)), repository.fingerprint(attempt)


@router.get(
    "/attempt/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}},
        **{
            status: {"description": why, "content": {"application/problem+json": {}}}
            for status, why in (
                (401, "Not signed in, or the paper moved to another device"),
                (403, "Another kind of caller"),
            )
        },
    },
)
async def attempt_events(request: Request) -> StreamingResponse:
    """Server-sent events for the exam page: `state` ({status, remaining_seconds, deadline,
    on_break, reading_until, allowed_seconds}) at once and whenever it changes, and `moved`
    when the paper has moved to another device. The open stream is the page's presence."""
    app = request.app
    # The candidate's own check: 401 without a sign-in, 403 for another kind of caller.
    ticket = ticket_of(request, app.state.settings)
    events = hub(app)
    first, fingerprint = await events.open(ticket)
    sub = Subscriber(ticket.attempt_id, ticket.device_hash, ticket.admission)
    events.subscribe(sub, fingerprint)

    async def stream() -> AsyncIterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n\n" + first
            while True:
                try:
                    async with asyncio.timeout(KEEPALIVE_SECONDS):  # no task per frame
                        text, admission = await sub.queue.get()
                except TimeoutError:
                    text, admission = ": keepalive\n\n", sub.admission
                if admission > sub.admission:  # the paper was given to a later sign-in
                    yield frame("moved", {})
                    return
                yield text
        finally:
            events.unsubscribe(sub)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def close_all(app: FastAPI) -> None:
    events: RoomEvents | None = getattr(app.state, "room_events", None)
    if events is not None and events.task is not None:
        events.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await events.task
