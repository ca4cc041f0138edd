"""The question banks, read-only: qualifications, units, and every item's versions with keys."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.banks import service as banks
from app.console.deps import ConsoleDep, Renewing, base_context
from app.deps import DbDep
from app.paths import unit_urn
from app.qualifications import service as qualifications
from app.web import render

router = APIRouter(prefix="/banks", route_class=Renewing)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("banks:view")
    context = base_context(
        user,
        "banks",
        qualifications=qualifications.all_qualifications(db),
        counts=banks.item_counts(db),
    )
    return render(request, "console/banks.html", context)


@router.get("/{unit}", response_class=HTMLResponse)
def unit_items(unit: str, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("banks:view")
    found, items, refs = banks.unit_items(db, unit_urn(unit))
    status = request.query_params.get("status", "")
    shown = [i for i in items if not status or i.status == status]
    context = base_context(
        user, "banks", unit=found, items=shown, all_count=len(items), refs=refs, status=status
    )
    return render(request, "console/bank.html", context, headers={"Cache-Control": "no-store"})
