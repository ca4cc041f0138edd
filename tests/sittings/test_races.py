"""The attempt lifecycle under fire: saves racing the end of an attempt on real concurrent
connections (PostgreSQL is where they interleave; SQLite runs them too, serially).

What must hold whatever the interleaving: no save acknowledged after the attempt was submitted
or while it was paused, exactly one result per attempt, every result equal to the answers
stored, and every acknowledged save stored."""

from __future__ import annotations

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.banks.models import ItemVersion
from app.db import make_sessionmaker, transaction
from app.journal import service as journal
from app.journal.models import JournalEntry
from app.marking.models import Result
from app.marking.scoring import Line, mark
from app.sittings import lifecycle
from app.sittings.models import Attempt, PaperItem
from tests.factories import PASSWORD
from tests.sittings.test_concurrency import N, fresh, live, signed_in

__all__ = ["fresh", "live"]  # fixtures, used by name

Pair = tuple[TestClient, str]


def _staff(app: FastAPI) -> tuple[TestClient, dict[str, str]]:
    staff = TestClient(app)
    login = {"centre": "C1", "username": "ann", "password": PASSWORD}
    csrf = staff.post("/api/v1/auth/invigilator", json=login).json()["csrf_token"]
    return staff, {"X-CSRF-Token": csrf}


class Saver:
    """Saves answers in a loop until told to stop; remembers what was acknowledged."""

    def __init__(self, pair: Pair) -> None:
        self.client, self.csrf = pair
        items = self.client.get("/api/v1/attempt").json()["items"]
        self.options = {q["position"]: [o["id"] for o in q["options"]] for q in items}
        self.acked: list[tuple[int, int, str]] = []  # (position, seq, option)
        self.refused: set[int] = set()
        self.unexpected: list[str] = []
        self.seq = itertools.count(1)

    def run(self, stop: threading.Event, start: threading.Barrier) -> None:
        start.wait()
        positions = itertools.cycle(sorted(self.options))
        while not stop.is_set():
            position = next(positions)
            seq = next(self.seq)
            option = self.options[position][seq % len(self.options[position])]
            response = self.client.put(
                f"/api/v1/attempt/answers/{position}",
                json={"option_id": option, "seq": seq},
                headers={"X-CSRF-Token": self.csrf},
            )
            if response.status_code == 200:
                self.acked.append((position, seq, option))
            else:
                self.refused.add(response.status_code)
                if response.status_code != 409:
                    self.unexpected.append(response.text)
                if response.json().get("type", "").endswith(("attempt-submitted", "past-deadline")):
                    return  # over: nothing more to save


def _check_every_attempt(fresh: Engine, savers: dict[int, Saver]) -> None:
    """The invariants, read back from the database on a fresh connection."""
    assert [s.unexpected for s in savers.values() if s.unexpected] == []
    maker = make_sessionmaker(fresh)
    with maker() as db:
        results = {r.attempt_id: r for r in db.scalars(select(Result))}
        assert len(results) == len(set(results))
        for attempt_id, saver in savers.items():
            attempt = db.get(Attempt, attempt_id)
            assert attempt is not None
            lines = {
                p.position: p
                for p in db.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt_id))
            }
            # Every acknowledged save is stored (a later seq may have replaced it).
            for position, seq, _ in saver.acked:
                assert lines[position].answer_seq >= seq, (attempt_id, position, seq)
            chain = list(
                db.scalars(
                    select(JournalEntry)
                    .where(JournalEntry.chain == f"attempt:{attempt_id}")
                    .order_by(JournalEntry.seq)
                )
            )
            events = [e.event for e in chain]
            if "submitted" in events:
                after_end = events[events.index("submitted") :]
                assert "answer_saved" not in after_end, (attempt_id, events[-8:])
            paused = False
            for event in events:
                if event == "paused":
                    paused = True
                elif event == "resumed":
                    paused = False
                elif event == "answer_saved":
                    assert not paused, (attempt_id, events)
            if attempt.status == "submitted":
                result = results[attempt_id]
                versions = {
                    v.id: v
                    for v in db.scalars(
                        select(ItemVersion).where(
                            ItemVersion.id.in_([p.item_version_id for p in lines.values()])
                        )
                    )
                }
                expected = mark(
                    [Line(0, versions[p.item_version_id].key, p.answer) for p in lines.values()],
                    result.pass_mark_percent,
                )
                assert (result.score, result.max_score) == (expected.score, expected.max_score)
                marked = next(e for e in chain if e.event == "marked")
                assert marked.data["score"] == result.score


def test_saves_racing_submit_pause_and_close_are_never_acknowledged_after_the_end(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    app, codes, _ = live
    staff, header = _staff(app)
    pairs = [signed_in(app, f"K{n:03d}", codes) for n in range(N)]
    savers = {n + 1: Saver(pair) for n, pair in enumerate(pairs)}  # K000 has attempt 1 ...
    stop = threading.Event()
    start = threading.Barrier(N + 1)
    threads = [threading.Thread(target=s.run, args=(stop, start)) for s in savers.values()]
    for thread in threads:
        thread.start()
    start.wait()
    try:
        # A third submit themselves, a third are paused (some resumed), the rest are closed.
        for n in range(0, N, 3):
            client, csrf = pairs[n]
            done = client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
            assert done.status_code == 200, done.text
        for n in range(1, N, 3):
            url = f"/api/v1/sessions/1/candidates/K{n:03d}/pause"
            assert staff.post(url, headers=header).status_code == 200
        for n in range(1, N, 6):
            url = f"/api/v1/sessions/1/candidates/K{n:03d}/resume"
            assert staff.post(url, headers=header).status_code == 200
        closed = staff.post("/api/v1/sessions/1/close", headers=header)
        assert closed.status_code == 200, closed.text
    finally:
        stop.set()
    for thread in threads:
        thread.join(30)
    assert all(not t.is_alive() for t in threads)
    assert sum(len(s.acked) for s in savers.values()) > N  # the race really ran
    _check_every_attempt(fresh, savers)


def test_a_room_pause_racing_the_close_is_never_journalled_after_it(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    """A review: the room's pause read the session open, a close committed, and the pause was
    journalled after the close. The sitting's row is locked first by both."""
    app, codes, _ = live
    for n in range(4):
        signed_in(app, f"K{n:03d}", codes)
    staffs = [_staff(app) for _ in range(3)]
    start = threading.Barrier(len(staffs) + 1)

    def pause_and_resume(pair: tuple[TestClient, dict[str, str]]) -> set[int]:
        client, header = pair
        start.wait()
        seen = set()
        for action in ("pause", "resume") * 6:
            seen.add(client.post(f"/api/v1/sessions/1/{action}", headers=header).status_code)
        return seen

    closer, header = _staff(app)
    with ThreadPoolExecutor(len(staffs)) as pool:
        futures = [pool.submit(pause_and_resume, pair) for pair in staffs]
        start.wait()
        assert closer.post("/api/v1/sessions/1/close", headers=header).status_code == 200
        statuses = set().union(*(f.result() for f in futures))
    assert statuses <= {200, 409}, statuses
    with fresh.connect() as conn:
        events = conn.scalars(
            select(JournalEntry.event)
            .where(JournalEntry.chain == "sitting:1")
            .order_by(JournalEntry.seq)
        ).all()
    after = events[events.index("session_closed") + 1 :]
    assert not {"room_paused", "room_resumed"} & set(after), events


def test_saves_racing_a_timeout_stop_at_the_deadline(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    app, codes, _ = live
    pairs = [signed_in(app, f"K{n:03d}", codes) for n in range(N // 2)]
    savers = {n + 1: Saver(pair) for n, pair in enumerate(pairs)}
    stop = threading.Event()
    start = threading.Barrier(len(savers) + 1)
    threads = [threading.Thread(target=s.run, args=(stop, start)) for s in savers.values()]
    for thread in threads:
        thread.start()
    start.wait()
    clock = app.state.clock
    clock.advance(hours=3)  # past every deadline and its grace
    maker = make_sessionmaker(fresh)

    def sweep() -> int:
        with transaction(maker) as db:
            return lifecycle.sweep(db, clock.now())

    try:
        with ThreadPoolExecutor(2) as pool:
            swept = sum(pool.map(lambda _: sweep(), range(2)))
    finally:
        stop.set()
    for thread in threads:
        thread.join(30)
    assert swept <= len(savers)
    with maker() as db:
        statuses = set(db.scalars(select(Attempt.status).where(Attempt.id.in_(list(savers)))))
        timed_out = set(db.scalars(select(Result.submitted_by)))
    assert statuses == {"submitted"} and timed_out == {"timeout"}
    _check_every_attempt(fresh, savers)


def test_fifty_submits_of_one_attempt_at_once_make_one_result(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    app, codes, _ = live
    clients = [signed_in(app, "K000", codes) for _ in range(50)]
    Saver(clients[0])  # reads the paper: the attempt is under way
    barrier = threading.Barrier(len(clients))

    def submit(pair: Pair) -> Any:
        client, csrf = pair
        barrier.wait()
        return client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        assert set(pool.map(submit, clients)) == {200}
    with make_sessionmaker(fresh)() as db:
        assert len(list(db.scalars(select(Result)))) == 1


class Returner:
    """Signs in again and again on the device that holds the paper (the quiet sign-in), from a
    client of its own so the saver's ticket stays its own."""

    def __init__(self, app: FastAPI, pair: Pair, number: str, code: str) -> None:
        self.client = TestClient(app)
        device = pair[0].cookies.get("examhall_device")
        assert device
        self.client.cookies.set("examhall_device", device)
        self.body = {"candidate_number": number, "access_code": code}
        self.acked = 0
        self.unexpected: list[str] = []

    def run(self, stop: threading.Event, start: threading.Barrier) -> None:
        start.wait()
        while not stop.is_set():
            response = self.client.post("/api/v1/auth/candidate", json=self.body)
            if response.status_code == 200:
                self.acked += 1
            elif response.status_code != 409:  # the session closed
                self.unexpected.append(response.text)


def test_returning_sign_ins_racing_saves_pause_submit_and_close_keep_every_chain(
    live: tuple[FastAPI, dict[str, str], str], fresh: Engine
) -> None:
    app, codes, _ = live
    staff, header = _staff(app)
    numbers = [f"K{n:03d}" for n in range(N // 2)]
    pairs = [signed_in(app, number, codes) for number in numbers]
    savers = {n + 1: Saver(pair) for n, pair in enumerate(pairs)}
    returners = [Returner(app, pair, n, codes[n]) for pair, n in zip(pairs, numbers, strict=True)]
    stop = threading.Event()
    workers: list[Saver | Returner] = [*savers.values(), *returners]
    start = threading.Barrier(len(workers) + 1)
    threads = [threading.Thread(target=w.run, args=(stop, start)) for w in workers]
    for thread in threads:
        thread.start()
    start.wait()
    try:
        client, csrf = pairs[0]
        assert client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).is_success
        for number in numbers[1:3]:
            url = f"/api/v1/sessions/1/candidates/{number}/pause"
            assert staff.post(url, headers=header).status_code == 200
        url = f"/api/v1/sessions/1/candidates/{numbers[1]}/resume"
        assert staff.post(url, headers=header).status_code == 200
        assert staff.post("/api/v1/sessions/1/close", headers=header).status_code == 200
    finally:
        stop.set()
    for thread in threads:
        thread.join(30)
    assert all(not t.is_alive() for t in threads)
    assert [r.unexpected for r in returners if r.unexpected] == []
    assert all(r.acked > 0 for r in returners)  # the race really ran
    _check_every_attempt(fresh, savers)
    with make_sessionmaker(fresh)() as db:
        assert journal.verify(db)[1] == []
        signed = db.scalars(select(JournalEntry.data).where(JournalEntry.event == "signed_in"))
        returning = [d for d in signed if d["first"] is False]
    assert len(returning) == sum(r.acked for r in returners)  # each acknowledged, once
