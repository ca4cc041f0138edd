"""Standard setting's two costs: impact data over a unit's results, and the per-paper pass marks
computed while a room is scheduled.

    .venv/bin/python bench/standards.py [--results 10000] [--judges 8] [--papers 200]

A temporary SQLite database built by the migrations holds F/503/0358's bank (calibrated: every
live version a difficulty), a signed-off cut, and --results results of 15-item randomised papers
written directly (as tests/calibration does: sitting thousands through the API would take
minutes). Times app.standards.service.impact (an Angoff exercise with --judges judges: each
judge's cut and the panel's put on the scale, then every result's own paper's raw mark for each)
and app.standards.service.paper_pass_marks for --papers papers (what scheduling a room adds).
Targets: impact under 2 s for 10,000 results; pass marks under 1 ms per paper. The CPU time
beside the wall time tells a slow computation from a busy machine.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from datetime import UTC, datetime
from typing import Any

from _common import QUAL_DIR, sqlite_url, table, verdict, workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--judges", type=int, default=8)
    parser.add_argument("--papers", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="profile impact()")
    args = parser.parse_args()

    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from app.banks.models import Item, ItemVersion
    from app.banks.service import load_dir
    from app.calibration.models import CalibrationRun, ItemDifficulty
    from app.candidates.models import Candidate
    from app.centres import service as centres
    from app.db import make_engine
    from app.marking.models import Result
    from app.migrate import upgrade
    from app.qualifications.models import Unit
    from app.sittings.models import Attempt, PaperItem, Sitting
    from app.standards import service
    from app.standards.schemas import JudgementIn

    now = datetime(2026, 12, 1, 9, tzinfo=UTC)
    rng = random.Random(15)
    with workspace() as tmp:
        url = sqlite_url(tmp)
        upgrade(url)
        banks = tmp / "banks" / QUAL_DIR.name
        (banks / "units").mkdir(parents=True)
        shutil.copy(QUAL_DIR / "qualification.yaml", banks)
        shutil.copy(QUAL_DIR / "units" / "F-503-0358.yaml", banks / "units")
        engine = make_engine(url)
        with Session(engine) as db, db.begin():
            load_dir(db, tmp / "banks", now)
            centre = centres.create_centre(db, "B0001", "Bench", now)
            unit = db.scalars(select(Unit).where(Unit.urn == "F/503/0358")).one()
            versions = list(
                db.scalars(
                    select(ItemVersion.id)
                    .join(Item, Item.id == ItemVersion.item_id)
                    .where(Item.unit_id == unit.id, Item.status == "live")
                )
            )
            run = CalibrationRun(
                unit_id=unit.id, created_at=now, window_to=now, method="bench", n_candidates=1
            )
            db.add(run)
            db.flush()
            b = {v: rng.gauss(0, 1) for v in versions}
            db.add_all(
                ItemDifficulty(run_id=run.id, item_version_id=v, b=x, se=0.1, n=100)
                for v, x in b.items()
            )
            sitting = Sitting(
                centre_id=centre.id,
                unit_id=unit.id,
                status="closed",
                access_code="BENCH",
                scheduled_start=now,
                duration_minutes=25,
                pass_mark_percent=70,
                pool={},
                created_at=now,
            )
            db.add(sitting)
            db.flush()
            db.execute(
                insert(Candidate),
                [
                    {
                        "candidate_number": f"B{n:06d}",
                        "centre_id": centre.id,
                        "first_name": "B",
                        "last_name": "B",
                        "extra_time_percent": 0,
                        "created_at": now,
                    }
                    for n in range(args.results)
                ],
            )
            people = list(db.scalars(select(Candidate.id).order_by(Candidate.id)))
            db.execute(
                insert(Attempt),
                [
                    {
                        "sitting_id": sitting.id,
                        "candidate_id": c,
                        "status": "submitted",
                        "access_code": f"A{c}",
                        "seed": c,
                        "allowed_seconds": 1500,
                        "paused_seconds": 0,
                        "submitted_at": now,
                    }
                    for c in people
                ],
            )
            attempts = list(db.execute(select(Attempt.id, Attempt.candidate_id)))
            lines: list[dict[str, Any]] = []
            results: list[dict[str, Any]] = []
            for seq, (attempt_id, candidate_id) in enumerate(attempts, start=1):
                paper = rng.sample(versions, 15)
                score = rng.randint(3, 15)
                lines += [
                    {
                        "attempt_id": attempt_id,
                        "position": p,
                        "item_version_id": v,
                        "option_order": [],
                        "answer_seq": -1,
                        "flagged": False,
                    }
                    for p, v in enumerate(paper, start=1)
                ]
                results.append(
                    {
                        "seq": seq,
                        "attempt_id": attempt_id,
                        "candidate_id": candidate_id,
                        "centre_id": centre.id,
                        "unit_id": unit.id,
                        "sitting_id": sitting.id,
                        "score": score,
                        "max_score": 15,
                        "percent": round(100 * score / 15, 2),
                        "pass_mark_percent": 70,
                        "outcome": "fail",
                        "by_learning_outcome": [],
                        "submitted_at": now,
                        "submitted_by": "candidate",
                        "recorded_at": now,
                    }
                )
            db.execute(insert(PaperItem), lines)
            db.execute(insert(Result), results)
            exercise = service.create_exercise(
                db,
                unit=unit.urn,
                method="angoff",
                title="Bench",
                items=None,
                actor="bench",
                now=now,
            )
            ref = [s.item_version_id for s in exercise.items]
            for j in range(args.judges):
                judge = service.add_judge(
                    db, exercise.id, name=f"J{j}", staff_username=None, now=now
                )
                p = {v: f"0.{rng.randint(40, 80)}" for v in ref}
                body = JudgementIn.model_validate({"judge_id": judge.id, "probabilities": p})
                service.record_judgement(db, exercise.id, body, actor="bench", now=now)
            service.sign_off(
                db, exercise.id, rationale="bench", round_=None, actor="bench", now=now
            )
            started, cpu = time.perf_counter(), time.process_time()
            if args.profile:
                import cProfile
                import pstats

                with cProfile.Profile() as profile:
                    impact = service.impact(db, exercise.id)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
            else:
                impact = service.impact(db, exercise.id)
            impact_s = time.perf_counter() - started
            impact_cpu = time.process_time() - cpu
            papers = [rng.sample(versions, 15) for _ in range(args.papers)]
            started = time.perf_counter()
            marks = service.paper_pass_marks(db, unit.id, papers)
            marks_s = time.perf_counter() - started
            assert marks is not None and impact.panel is not None
        engine.dispose()
    per_paper_ms = 1000 * marks_s / args.papers
    print(
        table(
            ["measure", "figure", "target", ""],
            [
                [
                    f"impact: {args.results:,} results, {args.judges} judges + panel",
                    f"{impact_s:.2f} s ({impact_cpu:.2f} s CPU)",
                    "< 2 s",
                    verdict(impact_s < 2),
                ],
                [
                    f"pass marks: {args.papers} papers",
                    f"{per_paper_ms:.3f} ms per paper",
                    "< 1 ms",
                    verdict(per_paper_ms < 1),
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
