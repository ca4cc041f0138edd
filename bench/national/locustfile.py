"""A national sitting, candidate by candidate: Locust drives the JSON API as the exam page does.

Each simulated candidate (one Locust user, its own cookies and keep-alive connection):

1. arrives (Locust spawns users at --spawn-rate, so arrivals spread over minutes), signs in
   with its candidate number and access code, and loads its paper;
2. then, until its time runs out, does what the exam page does (static/js/exam.js): it holds
   the room's event stream open (`GET /api/v1/attempt/events`, server-sent events: the clock,
   pauses, time added, the end; the open stream is its presence), and, if the stream drops,
   asks the clock once (`GET /api/v1/attempt/clock` with the page header) and reopens it 2 s
   later, as EventSource does; it saves an answer every ~40 s (uniform 20-60 s; once every
   question has an answer it revisits random ones), flagging one answer in ten; a few reload
   the page (sign-in cookie kept, paper reloaded); SUBMIT_SHARE submit early, the others let
   the clock run out and are submitted by the server's sweeper, which the stream reports.
   EXAMHALL_PAGE=poll plays a browser without EventSource instead: the clock every 10 s;
3. after the end, reads its paper back and checks that every answer the server acknowledged
   (a 200 to the save) is stored, with the latest acknowledged choice for each question. A
   missing one is reported as a failure named "lost answer".

Run against any deployment with a roster of (candidate number, access code) for open sessions:

    locust -f bench/national/locustfile.py --headless --host https://exams.example.org \\
        --users 10000 --spawn-rate 40 --run-time 20m  # with EXAMHALL_ROSTER=roster.csv

bench/national/run.py builds a whole sitting on this machine and runs this file against it.

Environment: EXAMHALL_ROSTER (CSV: candidate_number,access_code[,address]; required),
EXAMHALL_SUBMIT_SHARE (0.2), EXAMHALL_ANSWER_EVERY (40 s mean), EXAMHALL_PAGE (events | poll),
EXAMHALL_HEARTBEAT (10 s, poll mode only), EXAMHALL_RELOAD_SHARE (0.05), EXAMHALL_VERIFY_SPREAD
(60 s: the read-back after the end is spread over this long), EXAMHALL_ARRIVAL_SPREAD (1 s: each
candidate's arrival within Locust's once-a-second batch of users).
"""

from __future__ import annotations

import csv
import functools
import itertools
import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import gevent
from gevent.event import Event
from locust import argument_parser as locust_arguments
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from claims import claim

ROSTER_PATH = os.environ.get("EXAMHALL_ROSTER", "roster.csv")
# Several load balancers (comma-separated base URLs): Locust process k sends its candidates to
# the k-th, as DNS would spread a national sitting's centres between them.
HOSTS = [h for h in os.environ.get("EXAMHALL_HOSTS", "").split(",") if h]
HEARTBEAT = float(os.environ.get("EXAMHALL_HEARTBEAT", "10"))
POLL = os.environ.get("EXAMHALL_PAGE", "events") == "poll"
RECONNECT = 2.0  # the stream's retry: (app/sittings/events.py RETRY_MS)
ANSWER_EVERY = float(os.environ.get("EXAMHALL_ANSWER_EVERY", "40"))
SUBMIT_SHARE = float(os.environ.get("EXAMHALL_SUBMIT_SHARE", "0.2"))
RELOAD_SHARE = float(os.environ.get("EXAMHALL_RELOAD_SHARE", "0.05"))
FLAG_SHARE = 0.1
VERIFY_SPREAD = float(os.environ.get("EXAMHALL_VERIFY_SPREAD", "60"))
# Locust starts floor(spawn rate) users at the same instant once a second (its dispatcher:
# 16 at once at 16.7/s); each candidate waits a random part of that second before it signs in,
# so that arrivals over minutes are a steady stream, not a burst of 16 within a millisecond
# every second: that burst queued the sign-ins behind each other (p50 87 ms inside the server
# against 12 ms with the same arrivals spread, bench/README.md §2). A room's own burst is
# bench/login_storm.py's (--burst).
ARRIVAL_SPREAD = float(os.environ.get("EXAMHALL_ARRIVAL_SPREAD", "1"))
PAGE = {"X-Examhall-Page": "1"}
# Where each process writes its response times by when they happened (run.py's timeline:
# which part of the sitting, arrivals, the seated hours or the end, makes the tail).
TIMES_DIR = os.environ.get("EXAMHALL_TIMES_DIR", "")
TIMES_BIN = 10  # seconds
# With --processes, a file that counts the roster lines taken (claims.py); run.py makes one
# per run. Without it each process takes every N-th line, which may leave one untaken.
CLAIMS = os.environ.get("EXAMHALL_CLAIMS", "")

# Locust's worker (2.47), on each spawn message from its master (about once a second while users
# are spawned, so all through the arrivals), keeps the master's options that are not Locust's
# own with `k not in argument_parser.default_args_dict()` inside a dict comprehension: the
# whole argument parser is built again for each of its ~90 options, each second. py-spy on a
# worker during the 10,000-candidate ramp put 79 % of its CPU there, the load generator taking
# the machine's cores from the servers it measures (bench/README.md §2, session 21). The
# defaults do not change within a process: built once (the callers only test membership).
locust_arguments.default_args_dict = functools.cache(locust_arguments.default_args_dict)

_roster: list[tuple[str, str, str]] = []
_next = itertools.count()
_done = 0
_lock = threading.Lock()
OUTCOME = {"verified": 0, "lost": 0, "acknowledged": 0, "timed_out": 0, "early": 0}
STOP_ANSWERING = 3.0  # seconds before the end: the page stops sending (the server allows 5 s)


def roster() -> list[tuple[str, str, str]]:
    """(candidate number, access code, room address or ""), from the roster file."""
    if not _roster:
        with open(ROSTER_PATH, newline="") as f:
            _roster.extend(
                (r["candidate_number"], r["access_code"], r.get("address") or "")
                for r in csv.DictReader(f)
            )
    return _roster


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument("--roster-offset", type=int, default=0, help="first roster line to use")


def _process(environment: Any) -> tuple[int, int]:
    """(this Locust process's index, how many there are): (0, 1) without --processes."""
    processes = getattr(environment.parsed_options, "processes", None) or 1
    return max(0, getattr(environment.runner, "worker_index", 0)), max(1, processes)


class Candidate(FastHttpUser):
    """One candidate sitting one paper. wait_time is unused: the page's own timers drive it."""

    # A stream may be silent for up to the server's keepalive period (KEEPALIVE_SECONDS, 55 s,
    # in app/sittings/events.py; the state is resent every 50 s): a shorter read timeout drops
    # every quiet stream, which a browser's EventSource never does (tests/system/
    # test_bench_harness.py keeps the two apart).
    network_timeout = 75.0
    connection_timeout = 30.0
    concurrency = 4  # connections per candidate: the stream's and the saves'
    wait_time = constant(0)

    def __init__(self, environment: Any) -> None:
        if HOSTS:
            self.host = HOSTS[_process(environment)[0] % len(HOSTS)]
        super().__init__(environment)

    def on_start(self) -> None:
        people = roster()
        index, processes = _process(self.environment)
        offset = self.environment.parsed_options.roster_offset
        if processes > 1 and CLAIMS:
            n = claim(CLAIMS) + offset  # the next line, whichever process this is
        else:
            with _lock:
                # Or with --processes N, process k takes lines k, k + N, k + 2N, ...
                n = next(_next) * processes + index + offset
        if n >= len(people):
            self.finished()
            raise StopUser()
        self.number, self.code, address = people[n]
        # On one machine every candidate comes from 127.0.0.1; a roster may give each room the
        # address its candidates share (a centre behind its own NAT), sent as X-Forwarded-For
        # for the balancer to pass on (the servers trust it from the balancer only).
        if address:
            self.client.client.default_headers["X-Forwarded-For"] = address
        self.acked: dict[int, tuple[int, str]] = {}  # position -> (seq, option) acknowledged
        # Saves sent later than the acknowledged one whose answer never came (a timeout): the
        # server may hold either choice.
        self.unsure: dict[int, set[str]] = {}
        self.deadline = 0.0
        self.csrf = ""
        self.seq = 0
        self.listener: gevent.Greenlet | None = None
        # Set when the stream changes the status: the page's timers sleep until their next
        # deadline or this, never in a polling loop (10,000 users waking each second cost
        # Locust more CPU than their requests did).
        self.changed = Event()
        self.status = "not_started"
        gevent.sleep(random.uniform(0, ARRIVAL_SPREAD))
        self.sign_in()
        self.load_paper()
        if not POLL:
            self.listener = gevent.spawn(self.listen)

    def on_stop(self) -> None:
        if self.listener is not None:
            self.listener.kill(block=False)

    def listen(self) -> None:
        """The page's EventSource: `state` frames move the clock and the status; a dropped
        stream is a failure, the clock is asked once, and the stream reopens after RECONNECT."""
        while self.status in ("in_progress", "paused", "not_started"):
            event = ""
            try:
                for line in self.stream_lines("/api/v1/attempt/events"):
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "state":
                        state = json.loads(line[6:])
                        self.clock(state["status"], state["remaining_seconds"])
                    elif line.startswith("data: ") and event == "moved":
                        self.fail("events", "the stream said the paper moved to another device")
                        self.status = "moved"
                        self.changed.set()
                        return
                    if self.status == "submitted":
                        return
            except Exception as exc:  # the stream dropped: the page's fallback
                if self.status == "submitted":
                    return
                self.fail("events", f"stream dropped: {exc!r}"[:200])
            if self.status in ("in_progress", "paused"):
                self.heartbeat()
                gevent.sleep(RECONNECT)

    def stream_lines(self, path: str) -> Iterator[str]:
        """Each line of a stream as soon as it arrives. (Locust's iter_lines reads 1 KiB chunks
        and waits for each to fill: a frame would reach the page only with the next ones.)"""
        response = self.client.get(path, name="events", stream=True)
        if response.status_code != 200:
            raise RuntimeError(f"events {response.status_code}")
        raw = response._response  # geventhttpclient's: readline returns a line as it lands
        while line := raw.readline(b"\n"):
            yield line.decode().rstrip("\n")

    def fail(self, name: str, why: str) -> None:
        self.environment.events.request.fire(
            request_type="GET",
            name=name,
            response_time=0,
            response_length=0,
            exception=Exception(why),
            context={},
        )

    def sign_in(self) -> None:
        body = {"candidate_number": self.number, "access_code": self.code}
        with self.client.post(
            "/api/v1/auth/candidate", json=body, name="sign-in", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"sign-in {r.status_code}: {(r.text or '')[:200]}")
                self.finished()
                raise StopUser()
            self.csrf = r.json()["csrf_token"]

    def load_paper(self) -> None:
        with self.client.get("/api/v1/attempt", name="paper", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"paper {r.status_code}")
                self.finished()
                raise StopUser()
            paper = r.json()
        self.options = {i["position"]: [o["id"] for o in i["options"]] for i in paper["items"]}
        self.clock(paper["status"], paper["remaining_seconds"])

    def heartbeat(self) -> None:
        with self.client.get(
            "/api/v1/attempt/clock", headers=PAGE, name="heartbeat", catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"heartbeat {r.status_code}")
                return
            clock = r.json()
        self.clock(clock["status"], clock["remaining_seconds"])

    def clock(self, status: str, remaining: int) -> None:
        if status != getattr(self, "status", status):
            self.changed.set()
        self.status, self.deadline = status, time.monotonic() + remaining

    @property
    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def answer(self) -> None:
        unanswered = [p for p in self.options if p not in self.acked]
        position = random.choice(unanswered or list(self.options))
        option = random.choice(self.options[position])
        self.seq = max(self.seq + 1, int(time.time() * 1000))
        body = {"option_id": option, "seq": self.seq}
        headers = {"X-CSRF-Token": self.csrf}
        with self.client.put(
            f"/api/v1/attempt/answers/{position}",
            json=body,
            headers=headers,
            name="save",
            catch_response=True,
        ) as r:
            if r.status_code == 200:
                self.acked[position] = (self.seq, option)
                self.unsure.pop(position, None)
            else:
                self.unsure.setdefault(position, set()).add(option)
                if r.status_code == 409 and self.remaining <= STOP_ANSWERING + 10:
                    r.success()  # time ran out (the clock we hold is up to 10 s old): refused
                else:
                    r.failure(f"save {r.status_code}: {(r.text or '')[:200]}")
        if random.random() < FLAG_SHARE:
            with self.client.put(
                f"/api/v1/attempt/flags/{position}",
                json={"flagged": True},
                headers=headers,
                name="flag",
                catch_response=True,
            ) as r:
                if r.status_code == 409 and self.remaining <= STOP_ANSWERING + 10:
                    r.success()  # as for a save: the time ran out meanwhile
                elif r.status_code != 200:
                    r.failure(
                        f"flag {r.status_code} with {self.remaining:.0f} s left on the page's"
                        f" clock: {(r.text or '')[:160]}"
                    )

    def submit(self) -> None:
        headers = {"X-CSRF-Token": self.csrf}
        with self.client.post(
            "/api/v1/attempt/submit", headers=headers, name="submit", catch_response=True
        ) as r:
            if r.status_code == 200:
                self.status = r.json()["status"]
            else:
                r.failure(f"submit {r.status_code}")

    def verify(self) -> None:
        with self.client.get("/api/v1/attempt", name="verify", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"verify {r.status_code}")
                return
            stored = {i["position"]: i["answer"] for i in r.json()["items"]}
            lost = [
                p
                for p, (_, option) in self.acked.items()
                if stored.get(p) != option and stored.get(p) not in self.unsure.get(p, set())
            ]
            with _lock:
                OUTCOME["acknowledged"] += len(self.acked)
                OUTCOME["lost" if lost else "verified"] += 1
            if lost:
                r.failure(f"lost answer: positions {lost}")

    @task
    def sit(self) -> None:
        """The exam page's timers, until the attempt is submitted; then the check."""
        now = time.monotonic()
        # Without a stream (EXAMHALL_PAGE=poll) the page asks the clock every HEARTBEAT s.
        next_beat = now + random.uniform(0, HEARTBEAT) if POLL else float("inf")
        next_answer = now + random.uniform(5, 2 * ANSWER_EVERY)
        early = random.random() < SUBMIT_SHARE
        reloads = random.random() < RELOAD_SHARE
        asked = 0.0  # when the page last asked the clock for want of word from the stream
        while self.status == "in_progress" or self.status == "paused":
            # Woken at the next timer, or as soon as the stream changes the status; without
            # word from the stream 30 s past the end, the page asks the clock.
            overdue = max(self.deadline + 30, asked + 10) if not POLL else float("inf")
            wake = min(next_beat, next_answer, overdue)
            self.changed.wait(max(0.0, wake - time.monotonic()))
            self.changed.clear()
            now = time.monotonic()
            if now >= overdue and self.status != "submitted":
                self.heartbeat()  # 30 s past the end and the stream has said nothing
                asked = now
            if now >= next_beat:
                self.heartbeat()
                next_beat = now + HEARTBEAT
            answering = self.status == "in_progress" and self.remaining > STOP_ANSWERING
            if now >= next_answer and answering:
                self.answer()
                next_answer = now + random.uniform(ANSWER_EVERY / 2, ANSWER_EVERY * 1.5)
                if reloads and random.random() < 0.1:
                    self.load_paper()  # the candidate pressed reload
                if early and len(self.acked) == len(self.options) and random.random() < 0.3:
                    self.submit()
                    with _lock:
                        OUTCOME["early"] += 1
            elif now >= next_answer:
                next_answer = now + 1.0  # paused, or the last seconds: look again in a second
        if self.status == "submitted" and not early:
            with _lock:
                OUTCOME["timed_out"] += 1
        # The read-back is the harness's audit, not the page's traffic: spread over
        # VERIFY_SPREAD s so that it does not stand in for a burst the page never sends.
        gevent.sleep(random.uniform(0, VERIFY_SPREAD))
        self.verify()
        self.finished()
        raise StopUser()

    def finished(self) -> None:
        """The last candidate out ends the test (Locust would idle until --run-time). With
        --processes a worker cannot know it holds the last one (the master hands users out as
        they spawn): --run-time ends those runs."""
        global _done
        if _process(self.environment)[1] > 1:
            return
        with _lock:
            _done += 1
            last = _done >= self.environment.parsed_options.num_users
        if last:
            gevent.spawn_later(1, self.environment.runner.quit)


# (wall-clock bin, response time in ms rounded as Locust rounds) -> requests
_times: defaultdict[int, Counter[int]] = defaultdict(Counter)


def rounded(ms: float) -> int:
    """Locust's own rounding of a response time (stats.py): exact below 100 ms, then to 10 ms
    below 1 s, to 100 ms below 10 s, then to 1 s, so a timeline agrees with Locust's table."""
    if ms < 100:
        return round(ms)
    return int(round(ms, -1 if ms < 1000 else -2 if ms < 10_000 else -3))


@events.request.add_listener
def _time(response_time: float, **_: Any) -> None:
    if TIMES_DIR:
        _times[int(time.time()) // TIMES_BIN][rounded(response_time)] += 1


@events.quitting.add_listener
def _report(environment: Any, **_: Any) -> None:
    if TIMES_DIR and _times:
        with open(os.path.join(TIMES_DIR, f"times-{os.getpid()}.json"), "w") as f:
            json.dump({TIMES_BIN * b: dict(c) for b, c in _times.items()}, f)
    print(
        "NATIONAL-OUTCOME "
        + " ".join(f"{k}={v}" for k, v in OUTCOME.items())
        + f" users_started={min(next(_next), len(roster()))}"
    )
