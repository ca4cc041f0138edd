"""Candidates: search, access arrangements, achievement, and the CSV upload."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.candidates import importer
from app.candidates import service as candidates
from app.centres import service as centres
from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import posted, whole
from app.deps import ClockDep, DbDep
from app.errors import AppError, Invalid, NotFound
from app.marking import service as marking
from app.web import render

router = APIRouter(prefix="/candidates", route_class=Renewing)
SHOWN = 200


@router.get("", response_class=HTMLResponse)
def search(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("candidates:view")
    text = request.query_params.get("q", "")[:100].strip()
    centre = request.query_params.get("centre", "")[:20].strip()
    rows, total = candidates.search(db, text=text, centre=centre or None, limit=SHOWN)
    context = base_context(
        user,
        "candidates",
        rows=rows,
        total=total,
        shown=SHOWN,
        q=text,
        centre=centre,
        centres=[c for c, _ in centres.all_centres(db)],
    )
    return render(request, "console/candidates.html", context)


def _upload_page(request: Request, user: ConsoleUser, **extra: Any) -> Response:
    context = base_context(
        user,
        "candidates",
        required=importer.REQUIRED,
        optional=importer.OPTIONAL,
        problems=[],
        summary=None,
        imported=[],
        max_rows=importer.MAX_ROWS,
    )
    context.update(extra)
    status = 422 if context["problems"] else 200
    return render(request, "console/upload.html", context, status_code=status)


@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request, user: ConsoleDep) -> Response:
    user.require("candidates:edit")
    return _upload_page(request, user)


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    user.require("candidates:edit")
    _, form = await posted(request, user)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return _upload_page(
            request,
            user,
            summary="Choose a CSV file to upload.",
            problems=[importer.RowProblem(0, "", "No file was chosen.")],
        )
    data = await file.read(importer.MAX_BYTES + 1)
    try:
        with db.begin_nested():  # all or nothing, even inside this request
            imported = await run_in_threadpool(candidates.import_csv, db, clock.now(), data)
    except candidates.ImportRefused as exc:
        return _upload_page(
            request, user, summary=exc.detail, problems=exc.problems, filename=file.filename
        )
    return _upload_page(
        request,
        user,
        imported=imported,
        filename=file.filename,
        message=f"Imported {len(imported)} candidate{'s' if len(imported) != 1 else ''} "
        f"from {file.filename}.",
    )


def _candidate_page(
    request: Request, db: Any, user: ConsoleUser, number: str, **extra: Any
) -> Response:
    candidate = candidates.get_candidate(db, number)
    achievement, achievement_error, results = None, None, []
    if user.can("results:view"):
        results = marking.results_of(db, candidate.id)
        try:
            achievement = candidates.achievement(db, candidate.candidate_number)
        except (NotFound, AppError) as exc:
            achievement_error = exc.detail
    context = base_context(
        user,
        "candidates",
        candidate=candidate,
        achievement=achievement,
        achievement_error=achievement_error,
        results=results,
        error=None,
        message=request.query_params.get("done") and "Access arrangements saved.",
    )
    context.update(extra)
    status = 422 if context["error"] else 200
    return render(request, "console/candidate.html", context, status_code=status)


@router.get("/{number}", response_class=HTMLResponse)
def candidate_page(number: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("candidates:view")
    return _candidate_page(request, db, user, number)


@router.post("/{number}", response_class=HTMLResponse)
async def save_arrangements(number: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("candidates:edit")
    values, _ = await posted(request, user)
    try:
        with db.begin_nested():
            extra = whole(values.get("extra_time_percent", ""), "extra_time_percent", 0, 200, 0)
            if values.get("rest_breaks", "no") not in ("yes", "no"):
                raise Invalid.field("rest_breaks", "Choose yes or no.")
            candidates.update_arrangements(
                db, number, extra_time_percent=extra, rest_breaks=values.get("rest_breaks") == "yes"
            )
    except Invalid as exc:
        return _candidate_page(request, db, user, number, error=exc.detail)
    return see(f"/console/candidates/{number}?done=1")
