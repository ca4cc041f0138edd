"""Standard setting: exercises, their panels and rounds, impact data (a table and a chart), and
the signed-off cut. Forms are checked by the API's own schemas (app/standards/schemas.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import posted
from app.console.problems import form_errors
from app.deps import ClockDep, DbDep
from app.errors import AppError, Invalid
from app.qualifications import service as qualifications
from app.schemas import FORM
from app.staff.roles import Permission
from app.standards import chart, methods, service
from app.standards.schemas import ExerciseIn, JudgeIn, JudgementIn, SignOffIn
from app.web import render

Action = Literal["judges", "judgements", "rounds", "sign-off"]
router = APIRouter(prefix="/standards", route_class=Renewing)
ExerciseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
PERMISSION: Permission = "standards:manage"
DONE = {  # by the form that was done
    "judge": "Judge added to the panel.",
    "judgement": "Judgement recorded.",
    "round": "The next round is open: the panel's earlier rounds stay as they were.",
    "signed": "Signed off: the cut is the unit's standard for every paper built from now on.",
}


def _list(request: Request, db: Any, user: ConsoleUser, **extra: Any) -> Response:
    context = base_context(
        user,
        "standards",
        exercises=service.all_exercises(db),
        units=qualifications.examinable_units(db),
        methods=service.METHODS,
        errors={},
        values={},
    )
    status = int(extra.pop("status_code", 200))
    context.update(extra)
    return render(request, "console/standards.html", context, status_code=status)


@router.get("", response_class=HTMLResponse)
def list_exercises(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require(PERMISSION)
    return _list(request, db, user)


@router.post("", response_class=HTMLResponse)
async def create(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    user.require(PERMISSION)
    values, _ = await posted(request, user)
    try:
        with db.begin_nested():
            body = form_errors(
                ExerciseIn, {"method": values.get("method", ""), "title": values.get("title", "")}
            )
            exercise = service.create_exercise(
                db,
                unit=values.get("unit", "")[:20],
                method=body.method,
                title=body.title,
                items=None,
                actor=user.actor(),
                now=clock.now(),
            )
    except AppError as exc:
        return _list(
            request, db, user, errors=_by_field(exc), values=values, status_code=exc.status
        )
    return see(f"/console/standards/{exercise.id}")


def _by_field(exc: AppError, default: str = "form") -> dict[str, str]:
    fields = exc.extra.get("errors") or [{"field": default, "message": exc.detail}]
    return {str(f["field"]): str(f["message"]) for f in fields}


def _page(request: Request, db: Any, user: ConsoleUser, exercise_id: int, **extra: Any) -> Response:
    exercise = service.exercise_of(db, exercise_id)
    shown = request.query_params.get("round", "")
    round_ = int(shown) if shown.isdigit() and 1 <= int(shown) <= exercise.round else None
    impact = service.impact(db, exercise.id, round_)
    judgements = service.judgements_of(db, exercise, impact.round)
    done = request.query_params.get("done", "")
    context = base_context(
        user,
        "standards",
        exercise=exercise,
        unit=service.unit_urn_of(db, exercise),
        items=service.reference_items(db, exercise),
        judges=service.judges_of(db, exercise),
        judged={j.judge_id for j, _ in judgements},
        impact=impact,
        chart=_chart(impact),
        cut=service.cut_of_exercise(db, exercise),
        cut_in_force=service.current_cut(db, exercise.unit_id),
        cells=methods.CELLS,
        entries=service.unit_chain_entries(db, exercise.unit_id),
        message=DONE.get(done),
        errors={},
        values={},
        form=None,
    )
    status = int(extra.pop("status_code", 200))
    context.update(extra)
    return render(
        request,
        "console/standard.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _chart(impact: service.Impact) -> chart.Chart:
    cuts = [
        (c.who, float(c.percent), float(c.pass_rate), c.who == "panel")
        for c in [*impact.judges, *([impact.panel] if impact.panel else [])]
        if c.percent is not None and c.pass_rate is not None
    ]
    box = impact.box
    return chart.build(
        [(c, float(r)) for c, r in impact.curve],
        cuts,
        (float(box.k_min), float(box.k_max), float(box.f_min), float(box.f_max)) if box else None,
    )


@router.get("/{exercise_id}", response_class=HTMLResponse)
def exercise_page(
    exercise_id: ExerciseId, request: Request, user: ConsoleDep, db: DbDep
) -> Response:
    user.require(PERMISSION)
    return _page(request, db, user, exercise_id)


async def _act(
    request: Request,
    user: ConsoleUser,
    db: Any,
    exercise_id: int,
    work: Callable[[dict[str, str]], object],
    *,
    form: str,
    field: str,
) -> Response:
    """One of the exercise page's forms: CSRF-checked, done in a savepoint, back to the page;
    refused, the page again with the problem named and nothing changed."""
    user.require(PERMISSION)
    values, _ = await posted(request, user)
    try:
        with db.begin_nested():
            work(values)
    except AppError as exc:
        return _page(
            request,
            db,
            user,
            exercise_id,
            errors=_by_field(exc, field),
            values=values,
            form=form,
            status_code=exc.status,
        )
    return see(f"/console/standards/{exercise_id}?done={form}")


@router.get("/{exercise_id}/{action}", response_class=HTMLResponse, include_in_schema=False)
def back_to_the_exercise(exercise_id: ExerciseId, action: Action) -> Response:
    """A refused form's page is shown at the form's address: reloaded or bookmarked there, the
    address is the exercise's page (it was a 405)."""
    return see(f"/console/standards/{exercise_id}")


@router.post("/{exercise_id}/judges", response_class=HTMLResponse)
async def add_judge(
    exercise_id: ExerciseId, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    def work(values: dict[str, str]) -> object:
        fields = {k: values.get(k) or None for k in ("name", "staff_username")}
        body = form_errors(JudgeIn, fields)
        return service.add_judge(
            db, exercise_id, name=body.name, staff_username=body.staff_username, now=clock.now()
        )

    return await _act(request, user, db, exercise_id, work, form="judge", field="name")


def _shown_round(values: dict[str, str]) -> int | None:
    """The round the page showed when its form was filled in (a hidden field)."""
    shown = values.get("round", "")
    return int(shown) if shown.isdigit() and len(shown) < 6 else None


def judgement_form(
    values: dict[str, str], method: str, items: list[tuple[int, str, int, str, str]]
) -> JudgementIn:
    """The judgement form as the API's body, or Invalid naming each field to correct by the
    item it is for, linked to its own input (the API's messages name version ids)."""
    errors: list[dict[str, str]] = []
    if method in ("angoff", "ebel"):
        prefix, what = ("p-", "a probability") if method == "angoff" else ("cat-", "a category")
        for version_id, external, version, _, _ in items:
            if not values.get(f"{prefix}{version_id}", "").strip():
                errors.append(
                    {
                        "field": f"{prefix}{version_id}",
                        "message": f"{external} v{version}: give {what}.",
                    }
                )
    try:
        body = JudgementIn.model_validate(judgement_fields(values), context=FORM)
    except ValidationError as exc:
        names = {str(v): f"{e} v{n}" for v, e, n, _, _ in items}
        for e in exc.errors():
            loc = [str(part) for part in e["loc"]]
            errors.append(_judgement_error(loc, names, str(e["msg"])))
    if errors:
        raise Invalid("Some fields need correcting.", extra={"errors": errors})
    return body


def _judgement_error(loc: list[str], names: dict[str, str], message: str) -> dict[str, str]:
    if len(loc) >= 2 and loc[0] == "probabilities":
        item = names.get(loc[1], loc[1])
        return {
            "field": f"p-{loc[1]}",
            "message": f"{item}: give a probability from 0 to 1, with a point (0.65), not a"
            " percentage.",
        }
    if len(loc) >= 2 and loc[0] == "percentages":
        return {
            "field": f"pct-{loc[1].replace('/', '-')}",  # the input's id
            "message": f"{loc[1].replace('/', ', ').capitalize()}: give a percentage from 0 to"
            " 100 (65, with a point for a fraction: 62.5).",
        }
    if loc and loc[0] in ("k_min", "k_max", "f_min", "f_max"):
        return {"field": loc[0], "message": "Give a percentage from 0 to 100 (65, or 62.5)."}
    return {"field": loc[0] if loc else "form", "message": message}


def judgement_fields(values: dict[str, str]) -> dict[str, Any]:
    """The judgement form as the API's JudgementIn body: p-<version> (Angoff), cat-<version>
    and pct-<cell> (Ebel), k_min ... f_max (Hofstee); blank fields left out."""
    body: dict[str, Any] = {"judge_id": values.get("judge_id", "")}
    if values.get("round"):  # the round the page showed: a judgement for it, or a 409
        body["round"] = values["round"]
    for prefix, name in (("p-", "probabilities"), ("cat-", "categories"), ("pct-", "percentages")):
        given = {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix) and v}
        if given:
            body[name] = given
    for name in ("k_min", "k_max", "f_min", "f_max"):
        if values.get(name):
            body[name] = values[name]
    return body


@router.post("/{exercise_id}/judgements", response_class=HTMLResponse)
async def record_judgement(
    exercise_id: ExerciseId, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    def work(values: dict[str, str]) -> object:
        exercise = service.exercise_of(db, exercise_id)
        body = judgement_form(values, exercise.method, service.reference_items(db, exercise))
        return service.record_judgement(db, exercise_id, body, actor=user.actor(), now=clock.now())

    return await _act(request, user, db, exercise_id, work, form="judgement", field="form")


@router.post("/{exercise_id}/rounds", response_class=HTMLResponse)
async def next_round(
    exercise_id: ExerciseId, request: Request, user: ConsoleDep, db: DbDep
) -> Response:
    def work(values: dict[str, str]) -> object:
        return service.next_round(db, exercise_id, after=_shown_round(values))

    return await _act(request, user, db, exercise_id, work, form="round", field="round")


@router.post("/{exercise_id}/sign-off", response_class=HTMLResponse)
async def sign_off(
    exercise_id: ExerciseId, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    def work(values: dict[str, str]) -> object:
        body = form_errors(SignOffIn, {"rationale": values.get("rationale", "")})
        if values.get("confirm") != "yes":  # it cannot be undone: said, and confirmed
            raise Invalid.field(
                "confirm",
                "Confirm that this cut becomes the unit's standard (it cannot be undone).",
            )
        return service.sign_off(
            db,
            exercise_id,
            rationale=body.rationale,
            round_=_shown_round(values),  # the cut the page showed, whatever opened since
            actor=user.actor(),
            now=clock.now(),
        )

    return await _act(request, user, db, exercise_id, work, form="signed", field="rationale")
