"""Item statistics for one unit with 10,000 results: how long the computation takes.

    .venv/bin/python bench/stats.py [--results 10000] [--runs 3] [--backend sqlite|postgres|both]

Builds its own database (SQLite in a temporary directory; on PostgreSQL `EXAMHALL_BENCH_DB`
beside the one EXAMHALL_TEST_POSTGRES_URL names, dropped afterwards). Papers come from the real
assembler over the unit's live pool (F/503/0358: 15 questions from 42 items, randomised;
app.sittings.scheduling.build_papers), in sittings of 500; answers follow a Rasch model
(abilities N(0, 1), difficulties N(-0.5, 1), 5 % omitted, answers 5-90 s apart), and attempts,
answers and results are inserted in bulk: the setup is not what is timed.
Timed: app.stats.service.item_statistics over every result (one streamed query, numpy), the
median of --runs runs, each in a fresh transaction. Target: under 2 s. Beside the wall time:
this process's CPU time (on SQLite that includes the database's own work; on PostgreSQL the
server's is not in it) and the load average, because on a shared machine the wall time
measures the neighbours as much as the code.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

from _common import (
    ROOT,
    drop_postgres,
    fresh_postgres,
    postgres_base_url,
    sqlite_url,
    table,
    verdict,
    workspace,
)

TARGET_SECONDS = 2.0
UNIT = "F/503/0358"
PER_SITTING = 500


def build(url: str, results: int, work: object) -> None:
    """The unit's bank, a centre, and `results` submitted results on randomised papers."""
    import numpy as np
    from sqlalchemy import insert

    from app.candidates.models import Candidate
    from app.centres import service as centres
    from app.clock import MovableClock
    from app.db import make_engine, make_sessionmaker, unit_of_work
    from app.marking.models import Result
    from app.marking.scoring import Line, mark
    from app.migrate import upgrade
    from app.qualifications import service as qualifications
    from app.sittings import scheduling
    from app.sittings.models import Attempt, PaperItem, Sitting
    from tests.sittings.conftest import load_units

    upgrade(url)
    engine = make_engine(url)
    clock = MovableClock()
    rng = np.random.default_rng(2026)
    seq = 0
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        load_units(db, clock, work, "F-503-0358.yaml")  # type: ignore[arg-type]
        centre_id = centres.create_centre(db, "B1", "Bench", clock.now()).id
        unit = qualifications.get_unit(db, UNIT)
        unit_id, pool_and_exposure = unit.id, scheduling.pool_of(db, unit)
        quotas = scheduling.quotas_for(unit)
    pool, exposure = pool_and_exposure
    versions = {item.version_id: item for item in pool}
    keys = {}
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        from app.banks.models import ItemVersion

        for version_id in versions:
            version = db.get(ItemVersion, version_id)
            assert version is not None
            keys[version_id] = version.key
    difficulty = {vid: float(rng.normal(-0.5, 1.0)) for vid in versions}
    for start in range(0, results, PER_SITTING):
        count = min(PER_SITTING, results - start)
        seeds = [int(s) for s in rng.integers(0, 2**31 - 1, count)]
        # the real assembler, exposure accumulating across the sitting as scheduling does
        papers = scheduling.build_papers(pool, quotas, exposure, seeds)
        for db in unit_of_work(make_sessionmaker(engine), write=True):
            now = clock.now()
            sitting = Sitting(
                centre_id=centre_id,
                unit_id=unit_id,
                status="closed",
                access_code=f"BENCH{start}",
                scheduled_start=now,
                duration_minutes=60,
                pass_mark_percent=70,
                pool={},
                created_at=now,
            )
            db.add(sitting)
            db.flush()
            candidate_ids = list(
                db.scalars(
                    insert(Candidate).returning(Candidate.id, sort_by_parameter_order=True),
                    [
                        {
                            "candidate_number": f"B{n:06d}",
                            "centre_id": centre_id,
                            "first_name": "Bench",
                            "last_name": str(n),
                            "created_at": now,
                        }
                        for n in range(start, start + count)
                    ],
                )
            )
            attempt_ids = list(
                db.scalars(
                    insert(Attempt).returning(Attempt.id, sort_by_parameter_order=True),
                    [
                        {
                            "sitting_id": sitting.id,
                            "candidate_id": cid,
                            "status": "submitted",
                            "access_code": f"C{n:07d}",
                            "seed": seeds[n],
                            "allowed_seconds": 3600,
                            "paused_seconds": 0,
                            "started_at": now,
                            "submitted_at": now + timedelta(hours=1),
                            "submitted_by": "candidate",
                        }
                        for n, cid in enumerate(candidate_ids)
                    ],
                )
            )
            lines_rows, result_rows = [], []
            for attempt_id, candidate_id, paper in zip(
                attempt_ids, candidate_ids, papers, strict=True
            ):
                theta = float(rng.normal())
                moment = now
                lines = []
                for position, line in enumerate(paper, start=1):
                    item, key = versions[line.version_id], keys[line.version_id]
                    moment += timedelta(seconds=int(rng.integers(5, 90)))
                    answer = None
                    if rng.random() >= 0.05:
                        p = 1 / (1 + np.exp(-(theta - difficulty[line.version_id])))
                        wrong = [o for o in item.option_ids if o != key]
                        answer = key if rng.random() < p else wrong[int(rng.integers(len(wrong)))]
                    lines_rows.append(
                        {
                            "attempt_id": attempt_id,
                            "position": position,
                            "item_version_id": line.version_id,
                            "option_order": list(line.option_order),
                            "answer": answer,
                            "answer_seq": position if answer else -1,
                            "answered_at": moment if answer else None,
                            "flagged": False,
                        }
                    )
                    lines.append(Line(item.outcome, key, answer))
                marks = mark(lines, 70)
                seq += 1
                result_rows.append(
                    {
                        "seq": seq,
                        "attempt_id": attempt_id,
                        "candidate_id": candidate_id,
                        "centre_id": centre_id,
                        "unit_id": unit_id,
                        "sitting_id": sitting.id,
                        "score": marks.score,
                        "max_score": marks.max_score,
                        "percent": float(marks.percent),
                        "pass_mark_percent": 70,
                        "outcome": "pass" if marks.passed else "fail",
                        "by_learning_outcome": [],
                        "started_at": now,
                        "submitted_at": moment,
                        "submitted_by": "candidate",
                        "recorded_at": moment,
                        "voided": False,
                    }
                )
            db.execute(insert(PaperItem), lines_rows)
            db.execute(insert(Result), result_rows)
        clock.advance(hours=1)
    engine.dispose()


def time_it(url: str, runs: int) -> tuple[list[float], list[float], int, int]:
    from app.db import make_engine, make_sessionmaker, transaction
    from app.stats import service

    engine = make_engine(url)
    seconds, cpu, candidates, items = [], [], 0, 0
    for _ in range(runs):
        with transaction(make_sessionmaker(engine)) as db:
            started, used = time.perf_counter(), time.process_time()
            report = service.item_statistics(db, unit=UNIT)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
            candidates, items = report.candidates, len(report.items)
    engine.dispose()
    return seconds, cpu, candidates, items


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is missed")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    base = postgres_base_url()
    if "postgres" in backends and not base:
        print("(no EXAMHALL_TEST_POSTGRES_URL: PostgreSQL skipped)")
        backends.remove("postgres")
    rows, ok = [], True
    for backend in backends:
        with workspace() as work:
            url = sqlite_url(work) if backend == "sqlite" else fresh_postgres(base)
            try:
                started = time.perf_counter()
                build(url, args.results, work)
                setup = time.perf_counter() - started
                seconds, cpu, candidates, items = time_it(url, args.runs)
            finally:
                if backend == "postgres":
                    drop_postgres(base)
        median = statistics.median(seconds)
        print(f"{backend}: runs {seconds}, CPU {cpu}", flush=True)
        passed = median < TARGET_SECONDS and candidates == args.results
        ok &= passed
        rows.append(
            (
                backend,
                candidates,
                items,
                f"{setup:.0f}",
                " ".join(f"{s:.2f}" for s in seconds),
                f"{median:.2f}",
                f"{statistics.median(cpu):.2f}",
                f"{os.getloadavg()[0]:.1f}",
                verdict(passed),
            )
        )
    print(
        table(
            (
                "backend",
                "results",
                "items",
                "setup s",
                "runs s",
                "median s",
                "our CPU s",
                "load",
                f"< {TARGET_SECONDS} s",
            ),
            rows,
        )
    )
    print(f"(from {ROOT.name}; target: under {TARGET_SECONDS} s for {args.results} results)")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    raise SystemExit(main())
