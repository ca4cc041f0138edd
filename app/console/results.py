"""Results: filtered by centre, unit, date and outcome; exported as CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.centres import service as centres
from app.console.deps import ConsoleDep, Renewing, base_context
from app.console.forms import day_range
from app.deps import ClockDep, DbDep
from app.errors import AppError, Invalid
from app.invigilation.reports import to_csv
from app.marking import service as marking
from app.qualifications import service as qualifications
from app.sittings import lifecycle
from app.web import csv_download, render

router = APIRouter(prefix="/results", route_class=Renewing)
PAGE = 100  # results a page; the CSV has every one
COLUMNS = (
    "attempt_id",
    "session_id",
    "candidate_number",
    "candidate_name",
    "centre",
    "unit",
    "score",
    "max_score",
    "percent",
    "pass_mark_percent",
    "outcome",
    "voided",
    "started_at",
    "submitted_at",
    "submitted_by",
)


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "")[:20].strip() for k in ("centre", "unit", "from", "to", "outcome")}


def _page(request: Request) -> int:
    """The page asked for (1 when none); a page that is not a whole number from 1 is refused."""
    raw = request.query_params.get("page", "").strip()
    if not raw:
        return 1
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise Invalid.field("page", "The page is a whole number from 1.")
    return int(raw)


def _search(
    db: Any, filters: dict[str, str], limit: int | None, offset: int = 0
) -> tuple[list[Any], int]:
    start, end = day_range(filters["from"], filters["to"])
    return marking.search(
        db,
        centre=filters["centre"] or None,
        unit=filters["unit"] or None,
        submitted_from=start,
        submitted_to=end,
        outcome=filters["outcome"] or None,
        limit=limit,
        offset=offset,
    )


@router.get("", response_class=HTMLResponse)
def results(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    user.require("results:view")
    lifecycle.sweep(db, clock.now())  # results of papers whose time ran out appear at once
    filters = _filters(request)
    rows: list[Any] = []
    total, page, pages, error = 0, 1, 1, None
    try:
        page = _page(request)
        rows, total = _search(db, filters, PAGE, (page - 1) * PAGE)
        pages = max(1, -(-total // PAGE))
        if page > pages:  # past the end (the filters narrowed, or a typed address): the last
            page = pages
            rows, total = _search(db, filters, PAGE, (page - 1) * PAGE)
    except AppError as exc:
        error = exc.detail
    query = urlencode({k: v for k, v in filters.items() if v})
    context = base_context(
        user,
        "results",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        size=PAGE,
        first=(page - 1) * PAGE + 1,
        filters=filters,
        error=error,
        export_query=query,
        centres=[c for c, _ in centres.all_centres(db)],
        units=qualifications.examinable_units(db),
        outcomes=marking.OUTCOMES,
    )
    return render(request, "console/results.html", context, status_code=422 if error else 200)


@router.get(".csv")
def export(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    """Every result matching the filters (no page limit), safe to open in a spreadsheet."""
    user.require("results:view")
    lifecycle.sweep(db, clock.now())
    rows, _ = _search(db, _filters(request), None)
    lines = [
        (
            r.attempt_id,
            r.sitting_id,
            number,
            name,
            centre,
            unit,
            r.score,
            r.max_score,
            f"{r.percent:.2f}",
            r.pass_mark_percent,
            r.outcome,
            "yes" if r.voided else "no",
            _time(r.started_at),
            _time(r.submitted_at),
            r.submitted_by,
        )
        for r, number, name, centre, unit in rows
    ]
    stamp = clock.now().strftime("%Y%m%d-%H%M%S")
    return csv_download(to_csv(COLUMNS, lines), f"results-{stamp}.csv")


def _time(value: datetime | None) -> str:
    return value.isoformat() if value else ""
