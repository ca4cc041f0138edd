"""Item statistics per unit: the tables, their pictures (inline SVG with the numbers beside
them), CSV and JSON downloads of every table, and excluding an item version (administrators)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.centres import service as centres
from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import posted
from app.deps import ClockDep, DbDep
from app.errors import AppError, Invalid, NotFound
from app.marking import service as marking
from app.paths import unit_urn
from app.qualifications import service as qualifications
from app.staff.roles import Permission
from app.stats import charts, exclusion, service, tables
from app.stats.schemas import ExcludeIn, UnitStats
from app.web import csv_download, render

router = APIRouter(prefix="/statistics", route_class=Renewing)
# The option choices give away each item's options and, by who chose them, its key: they are
# for the roles that read the banks (a results officer reads the item-level figures only).
OPTIONS: Permission = "banks:view"


def without_options(stats: UnitStats) -> UnitStats:
    items = [i.model_copy(update={"options": []}) for i in stats.items]
    return stats.model_copy(update={"items": items})


FILTERS = ("centre", "from", "to")


def _filters(request: Request) -> dict[str, str]:
    q = request.query_params
    return {k: q.get(k, "")[:20].strip() for k in FILTERS}


def _stats(db: Any, urn: str, filters: dict[str, str]) -> UnitStats:
    return service.item_statistics(
        db,
        unit=urn,
        centre=filters["centre"] or None,
        within=service.window(filters["from"] or None, filters["to"] or None),
    )


@router.get("", response_class=HTMLResponse)
def choose(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    """Pick a unit (and a centre and dates); its statistics are a page of their own."""
    user.require("stats:view")
    filters = _filters(request)
    unit = request.query_params.get("unit", "")[:20].strip()
    if unit:
        query = urlencode({k: v for k, v in filters.items() if v})
        return see(f"/console/statistics/{unit.replace('/', '-')}" + (f"?{query}" if query else ""))
    context = base_context(
        user,
        "statistics",
        units=qualifications.examinable_units(db),
        centres=[c for c, _ in centres.all_centres(db)],
        filters=filters,
    )
    return render(request, "console/statistics_choose.html", context)


def _page(request: Request, db: Any, user: ConsoleUser, unit: str, **extra: Any) -> Response:
    urn = unit_urn(unit)
    unit_row = qualifications.get_unit(db, urn)
    filters = _filters(request)
    stats, error = None, extra.pop("error", None)
    status = int(extra.pop("status_code", 200))
    try:
        stats = _stats(db, urn, filters)
    except NotFound:
        raise
    except AppError as exc:
        error, status = exc.detail, exc.status
    query = urlencode({k: v for k, v in filters.items() if v})
    done = request.query_params.get("remarked")
    context = base_context(
        user,
        "statistics",
        unit=unit_row,
        unit_path=unit,
        stats=stats,
        error=error,
        filters=filters,
        query=query,
        centres=[c for c, _ in centres.all_centres(db)],
        tables=tables.TABLES,
        histogram=charts.histogram(stats.distribution) if stats else None,
        scatter=charts.scatter(stats.items) if stats else None,
        charts=charts,
        exclusions=exclusion.exclusions(db, unit_row.id),
        show_options=user.can(OPTIONS),
        preview=None,
        values={},
        errors={},
        message=(
            f"Excluded: {done} result{'s' if done != '1' else ''} marked again."
            if done is not None and done.isdigit()
            else None
        ),
    )
    context.update(extra)
    return render(
        request,
        "console/statistics.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/{unit}", response_class=HTMLResponse)
def unit_statistics(unit: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("stats:view")
    return _page(request, db, user, unit)


@router.get("/{unit}/{name}")
def download(unit: str, name: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    """One table as CSV or JSON (`items.csv`, `options.json` ...), or everything as
    `statistics.json` (what the API gives)."""
    user.require("stats:view")
    if name in ("exclude", "preview"):  # a form's page, reloaded or bookmarked at its address
        return see(f"/console/statistics/{unit}")
    table, _, fmt = name.partition(".")
    if fmt not in ("csv", "json") or (table not in tables.TABLES and name != "statistics.json"):
        raise NotFound(f"No download {name}.")
    if table == "options":
        user.require(OPTIONS)
    stats = _stats(db, unit_urn(unit), _filters(request))
    if not user.can(OPTIONS):
        stats = without_options(stats)
    filename = f"{unit}-{name}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if name == "statistics.json":
        return Response(
            stats.model_dump_json(indent=2), media_type="application/json", headers=disposition
        )
    if fmt == "json":
        body = json.dumps(tables.as_records(stats, table), indent=2, ensure_ascii=False)  # type: ignore[arg-type]
        return Response(body, media_type="application/json", headers=disposition)
    return csv_download(tables.as_csv(stats, table), filename)  # type: ignore[arg-type]


@router.post("/{unit}/preview", response_class=HTMLResponse)
async def preview_exclusion(unit: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    """What excluding the chosen version would do, before anything is done: how many results
    are marked again and whose outcome changes. Changes nothing; the form keeps what was typed."""
    user.require("items:exclude")
    values, _ = await posted(request, user)
    item_id, _, version = values.get("item", "").partition("|")
    version_id = (
        exclusion.version_id(db, item_id, int(version)) if item_id and version.isdigit() else None
    )
    if version_id is None:
        errors = {"item": "Choose the item version to preview."}
        return _page(request, db, user, unit, errors=errors, values=values, status_code=422)
    changes = marking.exclusion_preview(db, version_id)
    preview = Preview(f"{item_id} version {version}", changes)
    values = {k: v for k, v in values.items() if k != "confirm"}
    return _page(request, db, user, unit, values=values, preview=preview)


@dataclass(frozen=True)
class Preview:
    name: str
    results: list[marking.Remarking]

    @property
    def counted(self) -> list[marking.Remarking]:
        return [r for r in self.results if not r.voided]

    @property
    def to_fail(self) -> list[str]:
        return self._turned("pass", "fail")

    @property
    def to_pass(self) -> list[str]:
        return self._turned("fail", "pass")

    def _turned(self, was: str, becomes: str) -> list[str]:
        return [
            r.candidate_number
            for r in self.counted
            if (r.outcome, r.would_outcome) == (was, becomes)
        ]


@router.post("/{unit}/exclude", response_class=HTMLResponse)
async def exclude(
    unit: str, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    """Exclude an item version from marking: the reason is required (the API's own schema
    reads it) and the consequence confirmed; every result that held it is marked again."""
    user.require("items:exclude")
    values, _ = await posted(request, user)
    errors: dict[str, str] = {}
    item_id, _, version = values.get("item", "").partition("|")
    if not item_id or not version.isdigit():
        errors["item"] = "Choose the item version to exclude."
    try:
        body = ExcludeIn.model_validate({"reason": values.get("reason", "")})
    except ValidationError:
        errors["reason"] = (
            "Give the reason for excluding this item version (up to 1000 characters)."
        )
    if values.get("confirm") != "yes":
        errors["confirm"] = "Confirm that every result that held it is to be marked again."
    if errors:
        return _page(
            request,
            db,
            user,
            unit,
            errors=errors,
            values=values,
            status_code=Invalid.status,
        )
    try:
        with db.begin_nested():
            _, changed = exclusion.exclude(
                db,
                item_id=item_id,
                version=int(version),
                reason=body.reason,
                actor=user.actor(),
                now=clock.now(),
            )
    except AppError as exc:
        return _page(
            request, db, user, unit, error=exc.detail, values=values, status_code=exc.status
        )
    query = urlencode({**{k: v for k, v in _filters(request).items() if v}, "remarked": changed})
    return see(f"/console/statistics/{unit}?{query}")
