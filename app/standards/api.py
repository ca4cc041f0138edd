"""Standard setting (admin): exercises, judges, judgements by round, impact data, sign-off."""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from app.auth.deps import AdminToken
from app.deps import ClockDep, DbDep
from app.paths import unit_urn
from app.standards import service
from app.standards.models import StandardExercise, StandardJudge, UnitCut
from app.standards.schemas import (
    CurvePoint,
    CutImpactOut,
    CutOut,
    ExerciseIn,
    ExerciseOut,
    HofsteeOut,
    ImpactOut,
    JudgeIn,
    JudgementIn,
    JudgementOut,
    JudgeOut,
    ReferenceItemOut,
    SignOffIn,
)

router = APIRouter(prefix="/api/v1", tags=["standard setting"])

ExerciseId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the exercise's id")]
ACTOR = "awarding-body"


def cut_out(cut: UnitCut, unit: str) -> CutOut:
    return CutOut(
        id=cut.id,
        unit=unit,
        theta=cut.theta,
        percent=float(Fraction(cut.percent)),
        method=cut.method,
        exercise_id=cut.exercise_id,
        decided_by=cut.decided_by,
        decided_at=cut.decided_at,
        rationale=cut.rationale,
        superseded=cut.superseded,
    )


def judge_out(judge: StandardJudge, username: str | None) -> JudgeOut:
    return JudgeOut(id=judge.id, name=judge.name, staff_username=username)


def exercise_out(db: Session, exercise: StandardExercise) -> ExerciseOut:
    unit = service.unit_urn_of(db, exercise)
    cut = service.cut_of_exercise(db, exercise)
    return ExerciseOut(
        id=exercise.id,
        unit=unit,
        method=exercise.method,
        title=exercise.title,
        round=exercise.round,
        items=[
            ReferenceItemOut(item_version_id=v, item=e, version=n, criterion=r, stem=s)
            for v, e, n, r, s in service.reference_items(db, exercise)
        ],
        judges=[judge_out(j, u) for j, u in service.judges_of(db, exercise)],
        created_at=exercise.created_at,
        created_by=exercise.created_by,
        signed_off_at=exercise.signed_off_at,
        signed_off_by=exercise.signed_off_by,
        rationale=exercise.rationale,
        cut=cut_out(cut, unit) if cut else None,
    )


def impact_out(data: service.Impact) -> ImpactOut:
    def one(c: service.CutImpact) -> CutImpactOut:
        return CutImpactOut(
            who=c.who,
            raw=None if c.raw is None else float(c.raw),
            percent=None if c.percent is None else float(c.percent),
            theta=c.theta,
            pass_rate=None if c.pass_rate is None else float(c.pass_rate),
        )

    box = data.box
    return ImpactOut(
        exercise_id=data.exercise.id,
        round=data.round,
        method=data.exercise.method,
        results=data.results,
        basis="scale" if data.basis == "scale" else "percent",
        judges=[one(c) for c in data.judges],
        panel=one(data.panel) if data.panel else None,
        hofstee=HofsteeOut(
            k_min=float(box.k_min),
            k_max=float(box.k_max),
            f_min=float(box.f_min),
            f_max=float(box.f_max),
        )
        if box
        else None,
        curve=[CurvePoint(cut_percent=c, pass_rate=float(r)) for c, r in data.curve],
    )


@router.post("/units/{unit}/standard-exercises", status_code=201, response_model=ExerciseOut)
def create_exercise(
    unit: str, body: ExerciseIn, db: DbDep, clock: ClockDep, _: AdminToken
) -> ExerciseOut:
    """A panel's exercise for the unit by one method, with the reference items it judges."""
    exercise = service.create_exercise(
        db,
        unit=unit_urn(unit),
        method=body.method,
        title=body.title,
        items=body.items,
        actor=ACTOR,
        now=clock.now(),
    )
    return exercise_out(db, exercise)


@router.get("/units/{unit}/standard-exercises", response_model=list[ExerciseOut])
def list_exercises(unit: str, db: DbDep, _: AdminToken) -> list[ExerciseOut]:
    return [exercise_out(db, e) for e in service.exercises_of(db, unit_urn(unit))]


@router.get("/units/{unit}/cuts", response_model=list[CutOut])
def list_cuts(unit: str, db: DbDep, _: AdminToken) -> list[CutOut]:
    """The unit's standard-set cuts, oldest first; the one not superseded is in force."""
    urn = unit_urn(unit)
    return [cut_out(c, urn) for c in service.cuts_of(db, urn)]


@router.get("/standard-exercises/{exercise_id}", response_model=ExerciseOut)
def get_exercise(exercise_id: ExerciseId, db: DbDep, _: AdminToken) -> ExerciseOut:
    return exercise_out(db, service.exercise_of(db, exercise_id))


@router.post("/standard-exercises/{exercise_id}/judges", status_code=201, response_model=JudgeOut)
def add_judge(
    exercise_id: ExerciseId, body: JudgeIn, db: DbDep, clock: ClockDep, _: AdminToken
) -> JudgeOut:
    judge = service.add_judge(
        db, exercise_id, name=body.name, staff_username=body.staff_username, now=clock.now()
    )
    return judge_out(judge, body.staff_username.lower() if body.staff_username else None)


@router.post(
    "/standard-exercises/{exercise_id}/judgements", status_code=201, response_model=JudgementOut
)
def record_judgement(
    exercise_id: ExerciseId, body: JudgementIn, db: DbDep, clock: ClockDep, _: AdminToken
) -> JudgementOut:
    """A judge's whole judgement in the current round; recorded again, it replaces theirs."""
    row = service.record_judgement(db, exercise_id, body, actor=ACTOR, now=clock.now())
    return JudgementOut(
        judge_id=row.judge_id, round=row.round, data=row.data, recorded_at=row.recorded_at
    )


@router.post("/standard-exercises/{exercise_id}/rounds", response_model=ExerciseOut)
def next_round(exercise_id: ExerciseId, db: DbDep, _: AdminToken) -> ExerciseOut:
    """Open the next round (after the panel has seen this one's impact data)."""
    return exercise_out(db, service.next_round(db, exercise_id))


@router.get("/standard-exercises/{exercise_id}/impact", response_model=ImpactOut)
def impact(
    exercise_id: ExerciseId,
    db: DbDep,
    _: AdminToken,
    round: int | None = Query(default=None, ge=1, le=1000),
) -> ImpactOut:
    """The pass rate each judge's cut and the panel's would give on the results so far."""
    return impact_out(service.impact(db, exercise_id, round))


@router.post("/standard-exercises/{exercise_id}/sign-off", response_model=CutOut)
def sign_off(
    exercise_id: ExerciseId, body: SignOffIn, db: DbDep, clock: ClockDep, _: AdminToken
) -> CutOut:
    """Decide: the panel's cut in the round becomes the unit's cut on the calibrated scale;
    papers scheduled from now on get their own raw pass marks from it."""
    cut = service.sign_off(
        db, exercise_id, rationale=body.rationale, round_=body.round, actor=ACTOR, now=clock.now()
    )
    return cut_out(cut, service.unit_urn_of(db, service.exercise_of(db, exercise_id)))
