"""Webhooks: receivers of signed results (list, add, delete), each one's deliveries and their
attempts, and a replay. The sending itself is app/webhooks (the outbox and its worker)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import posted
from app.deps import ClockDep, DbDep, SettingsDep
from app.errors import AppError, Invalid
from app.web import render
from app.webhooks import service as webhooks

router = APIRouter(prefix="/webhooks", route_class=Renewing)
STATUSES = ("pending", "delivered", "failed", "cancelled")


def _page(request: Request, db: Any, user: ConsoleUser, **extra: Any) -> Response:
    done = request.query_params.get("done")
    context = base_context(
        user,
        "webhooks",
        hooks=webhooks.list_active(db),
        events=webhooks.EVENTS,
        created=None,
        error=None,
        values={},
        message="Webhook deleted: nothing more will be sent to it." if done == "deleted" else None,
    )
    status = int(extra.pop("status_code", 200))
    context.update(extra)
    return render(
        request,
        "console/webhooks.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("", response_class=HTMLResponse)
def list_webhooks(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("webhooks:manage")
    return _page(request, db, user)


@router.post("", response_class=HTMLResponse)
async def create(
    request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    user.require("webhooks:manage")
    values, form = await posted(request, user)
    events = [str(e) for e in form.getlist("events")]
    try:
        with db.begin_nested():
            if not events:
                raise Invalid.field("events", "Choose at least one event.")
            hook, secret = webhooks.create(
                db,
                url=values.get("url", "")[:2000],
                events=events,
                now=clock.now(),
                allow_private=settings.webhook_allow_private,
            )
    except AppError as exc:
        return _page(request, db, user, error=exc.detail, values=values, status_code=exc.status)
    return _page(request, db, user, created=(hook, secret), status_code=201)


@router.post("/{webhook_id}/delete", response_class=HTMLResponse)
async def delete(
    webhook_id: int, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    user.require("webhooks:manage")
    await posted(request, user)
    webhooks.delete(db, webhook_id, clock.now())
    return see("/console/webhooks?done=deleted")


@router.get("/{webhook_id}", response_class=HTMLResponse)
def deliveries(webhook_id: int, request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("webhooks:manage")
    status = request.query_params.get("status", "")
    before = request.query_params.get("before", "")
    rows, older = webhooks.deliveries(
        db,
        webhook_id,
        status=status if status in STATUSES else None,
        before=int(before) if before.isdigit() else None,
    )
    hook = next((h for h in webhooks.list_active(db) if h.id == webhook_id), None)
    context = base_context(
        user,
        "webhooks",
        webhook_id=webhook_id,
        hook=hook,
        rows=rows,
        older=older,
        status=status,
        statuses=STATUSES,
    )
    return render(request, "console/webhook.html", context)


@router.get("/{webhook_id}/deliveries/{delivery_id}", response_class=HTMLResponse)
def delivery(
    webhook_id: int, delivery_id: int, request: Request, user: ConsoleDep, db: DbDep
) -> Response:
    user.require("webhooks:manage")
    view = webhooks.delivery(db, webhook_id, delivery_id)
    context = base_context(
        user,
        "webhooks",
        webhook_id=webhook_id,
        view=view,
        active=any(h.id == webhook_id for h in webhooks.list_active(db)),
        message="Queued to be sent again now." if request.query_params.get("done") else None,
    )
    return render(request, "console/delivery.html", context)


@router.post("/{webhook_id}/deliveries/{delivery_id}/replay", response_class=HTMLResponse)
async def replay(
    webhook_id: int,
    delivery_id: int,
    request: Request,
    user: ConsoleDep,
    db: DbDep,
    clock: ClockDep,
) -> Response:
    user.require("webhooks:manage")
    await posted(request, user)
    webhooks.replay(db, webhook_id, delivery_id, clock.now())
    return see(f"/console/webhooks/{webhook_id}/deliveries/{delivery_id}?done=replayed")
