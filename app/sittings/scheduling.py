"""Scheduling a session: every candidate's paper is built now, not when 200 press Start at once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.banks.models import Item, ItemVersion
from app.candidates import service as candidates
from app.centres import service as centres
from app.errors import Invalid
from app.journal import service as journal
from app.papers.assembly import PaperLine, PoolItem, assemble
from app.papers.spec import outcome_quotas
from app.qualifications import service as qualifications
from app.qualifications.models import Criterion, LearningOutcome, Unit
from app.sittings import repository, timing
from app.sittings.models import Attempt, PaperItem, Sitting
from app.sittings.status import AttemptStatus, SittingStatus
from app.standards import service as standards
from app.stats.models import ItemExclusion

# Read aloud and copied from a board: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
# A candidate's own code: 31^8 (about 8.5 x 10^11) possibilities, so guessing one at the rate
# the sign-in throttle allows would take longer than any exam lasts by many orders of magnitude.
PERSONAL_CODE_LENGTH = 8


def new_access_code(db: Session) -> str:
    """The sitting's name in the room: unique among sittings not yet closed."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not repository.code_in_use(db, code):
            return code


def personal_codes(count: int) -> list[str]:
    """One code per candidate, distinct within the sitting."""
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(PERSONAL_CODE_LENGTH)))
    return list(codes)


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _pool(db: Session, *where: Any) -> tuple[list[PoolItem], dict[int, int]]:
    rows = db.execute(
        select(Item, ItemVersion, Criterion.ref, LearningOutcome.number)
        .join(Item, Item.id == ItemVersion.item_id)
        .join(Criterion, Criterion.id == ItemVersion.criterion_id)
        .join(LearningOutcome, LearningOutcome.id == Criterion.outcome_id)
        .where(*where)
        .order_by(ItemVersion.id)
    )
    pool, exposure = [], {}
    for item, version, ref, outcome in rows:
        options = tuple(o["id"] for o in version.options)
        pool.append(
            PoolItem(version.id, item.external_id, outcome, ref, frozenset(item.enemies), options)
        )
        exposure[version.id] = item.exposure
    return pool, exposure


def pool_of(db: Session, unit: Unit, status: str = "live") -> tuple[list[PoolItem], dict[int, int]]:
    """The unit's items of `status` (live: scored; pretest: unscored) at their current
    versions, not excluded, and each version's exposure so far."""
    return _pool(
        db,
        Item.unit_id == unit.id,
        Item.status == status,
        ItemVersion.version == Item.current_version,
        # An excluded version (a faulty item found after a sitting) goes on no new paper.
        ItemVersion.id.not_in(select(ItemExclusion.item_version_id)),
    )


@dataclass(frozen=True)
class Pretest:
    """The unscored items a sitting's papers may carry, and how many each paper asks for."""

    pool: list[PoolItem] = field(default_factory=list)
    count: int = 0


def pretest_of(db: Session, unit: Unit) -> tuple[Pretest, dict[int, int]]:
    """The unit's pretest pool and its exposure, when its test spec asks for pretest items."""
    count = unit.test_spec.pretest_items if unit.test_spec is not None else 0
    if count <= 0:
        return Pretest(), {}
    pool, exposure = pool_of(db, unit, "pretest")
    return Pretest(pool, count), exposure


def quotas_for(unit: Unit) -> dict[int, int]:
    spec = unit.test_spec
    if spec is None:
        raise Invalid(f"Unit {unit.urn} has no test specification: it cannot be examined here.")
    explicit = {int(k): v for k, v in spec.outcome_items.items()} if spec.outcome_items else None
    return outcome_quotas(spec.items, {o.number: len(o.criteria) for o in unit.outcomes}, explicit)


def build_papers(
    pool: list[PoolItem],
    quotas: dict[int, int],
    exposure: dict[int, int],
    seeds: list[int],
    pretest: Pretest | None = None,
) -> list[list[PaperLine]]:
    """Papers for the seeds in order; each one sees the exposure the ones before it added (so
    pretest items are spread over the sitting's papers: the least exposed go first)."""
    pretest = pretest or Pretest()
    seen = dict(exposure)
    papers = []
    for seed in seeds:
        paper = assemble(pool, quotas, seen, seed, pretest.pool, pretest.count)
        for line in paper:
            seen[line.version_id] = seen.get(line.version_id, 0) + 1
        papers.append(paper)
    return papers


# How long a candidate may read the instructions before the clock starts anyway, unless the
# session says otherwise.
DEFAULT_READING_MINUTES = 5


def schedule(
    db: Session,
    now: datetime,
    *,
    centre: str,
    unit: str,
    scheduled_start: datetime,
    candidate_numbers: list[str],
    duration_minutes: int | None,
    approve_admission: bool = False,
    reading_minutes: int | None = None,
    actor: str = "awarding-body",
) -> Sitting:
    """Schedule a sitting and build every candidate's paper."""
    centre_row = centres.get_centre(db, centre)
    unit_row = qualifications.get_unit(db, unit)
    quotas = quotas_for(unit_row)
    assert unit_row.test_spec is not None
    if len({n.lower() for n in candidate_numbers}) != len(candidate_numbers):
        raise Invalid("A candidate is listed twice.")
    people = [candidates.get_candidate(db, n) for n in candidate_numbers]
    strangers = [p.candidate_number for p in people if p.centre_id != centre_row.id]
    if strangers:
        raise Invalid(f"Not registered at {centre_row.code}: {', '.join(strangers)}.")
    duration = duration_minutes or unit_row.test_spec.duration_minutes
    pool, exposure = pool_of(db, unit_row)
    pretest, pretest_exposure = pretest_of(db, unit_row)
    exposure = {**exposure, **pretest_exposure}
    sitting = Sitting(
        centre_id=centre_row.id,
        unit_id=unit_row.id,
        status=SittingStatus.SCHEDULED,
        access_code=new_access_code(db),
        approve_admission=approve_admission,
        scheduled_start=scheduled_start,
        duration_minutes=duration,
        reading_minutes=DEFAULT_READING_MINUTES if reading_minutes is None else reading_minutes,
        pass_mark_percent=unit_row.test_spec.pass_mark_percent,
        pool=_snapshot(pool, exposure, quotas, pretest),
        created_at=now,
    )
    db.add(sitting)
    db.flush()
    journal.open_chain(db, journal.sitting_chain(sitting.id), sitting.id)
    journal.append(
        db,
        journal.sitting_chain(sitting.id),
        sitting.id,
        now,
        actor,
        "session_scheduled",
        {
            "centre": centre_row.code,
            "unit": unit_row.urn,
            "scheduled_start": scheduled_start.isoformat(),
            "duration_minutes": duration,
            "reading_minutes": sitting.reading_minutes,
            "approve_admission": approve_admission,
            "candidates": [p.candidate_number for p in people],
        },
    )
    seeds = [secrets.randbits(31) for _ in people]
    papers = build_papers(pool, quotas, exposure, seeds, pretest)
    # Under a standard-set cut each paper's own raw pass mark is fixed now, with the paper: the
    # candidate's standard cannot move with a recalibration between building and marking. It
    # reads the scored items only: a pretest item never counts towards the pass mark.
    marks = standards.paper_pass_marks(
        db,
        unit_row.id,
        [[line.version_id for line in paper if not line.pretest] for paper in papers],
    )
    used: dict[int, int] = {}
    codes = personal_codes(len(people))
    for n, (person, seed, paper, code) in enumerate(zip(people, seeds, papers, codes, strict=True)):
        own = marks[n] if marks else None
        attempt = Attempt(
            sitting_id=sitting.id,
            candidate_id=person.id,
            status=AttemptStatus.NOT_STARTED,
            access_code=code,
            seed=seed,
            allowed_seconds=timing.allowed_seconds(duration, person.extra_time_percent),
            paused_seconds=0,
            pass_mark=own.pass_mark if own else None,
        )
        db.add(attempt)
        db.flush()
        journal.open_chain(db, journal.attempt_chain(attempt.id), sitting.id)
        built: dict[str, object] = {
            "candidate": person.candidate_number,
            "seed": seed,
            "allowed_seconds": attempt.allowed_seconds,
            "items": [line.version_id for line in paper],
        }
        unscored = [p for p, line in enumerate(paper, start=1) if line.pretest]
        if unscored:
            # the positions marking leaves out, so the journal audit re-derives the same marks
            built["pretest"] = unscored
        if own:
            built.update(own.journalled(scored_positions(paper), len(paper)))
        journal.append(
            db, journal.attempt_chain(attempt.id), sitting.id, now, actor, "paper_built", built
        )
        for position, line in enumerate(paper, start=1):
            db.add(
                PaperItem(
                    attempt_id=attempt.id,
                    position=position,
                    item_version_id=line.version_id,
                    option_order=list(line.option_order),
                    answer_seq=-1,
                    flagged=False,
                    pretest=line.pretest,
                )
            )
            used[line.version_id] = used.get(line.version_id, 0) + 1
    _count_exposure(db, used)
    db.flush()
    return sitting


def _count_exposure(db: Session, used: dict[int, int]) -> None:
    versions = db.execute(
        select(ItemVersion.id, ItemVersion.item_id).where(ItemVersion.id.in_(used))
    )
    items = {item_id: used[version_id] for version_id, item_id in versions}
    for item in db.scalars(select(Item).where(Item.id.in_(items))):
        item.exposure += items[item.id]


def scored_positions(paper: list[PaperLine]) -> list[int] | None:
    """The 1-based positions of the scored items, or None when every item is scored."""
    if not any(line.pretest for line in paper):
        return None
    return [p for p, line in enumerate(paper, start=1) if not line.pretest]


def _snapshot(
    pool: list[PoolItem], exposure: dict[int, int], quotas: dict[int, int], pretest: Pretest
) -> dict[str, Any]:
    """What assembly saw: each version's exposure and enemies, and the quotas (and the pretest
    pool and count, when asked for). With the seeds, enough to rebuild every paper even after
    the bank or the test spec has changed."""
    snapshot: dict[str, Any] = {
        "quotas": {str(k): v for k, v in quotas.items()},
        "items": {
            str(i.version_id): [exposure.get(i.version_id, 0), sorted(i.enemies)] for i in pool
        },
    }
    if pretest.count:
        snapshot["pretest"] = {
            "count": pretest.count,
            "items": {
                str(i.version_id): [exposure.get(i.version_id, 0), sorted(i.enemies)]
                for i in pretest.pool
            },
        }
    return snapshot


def rebuild(db: Session, sitting: Sitting) -> list[list[PaperLine]]:
    """Every paper of the sitting, rebuilt from the stored snapshot and seeds (audit, tests)."""
    pool, exposure = _from_snapshot(db, sitting.pool["items"])
    quotas = {int(k): v for k, v in sitting.pool["quotas"].items()}
    pretest = Pretest()
    if "pretest" in sitting.pool:
        extra, extra_exposure = _from_snapshot(db, sitting.pool["pretest"]["items"])
        pretest = Pretest(extra, int(sitting.pool["pretest"]["count"]))
        exposure.update(extra_exposure)
    return build_papers(pool, quotas, exposure, [a.seed for a in sitting.attempts], pretest)


def _from_snapshot(
    db: Session, items: dict[str, list[Any]]
) -> tuple[list[PoolItem], dict[int, int]]:
    pool = [
        replace(item, enemies=frozenset(items[str(item.version_id)][1]))
        for item in pool_of_versions(db, [int(v) for v in items])
    ]
    return pool, {int(k): v[0] for k, v in items.items()}


def pool_of_versions(db: Session, version_ids: list[int]) -> list[PoolItem]:
    return _pool(db, ItemVersion.id.in_(version_ids))[0]


def codes_of(db: Session, sitting: Sitting) -> list[tuple[str, str]]:
    """(candidate number, personal code) for every candidate of the sitting."""
    return [(c.candidate_number, a.access_code) for a, c in repository.attempts_of(db, sitting.id)]
