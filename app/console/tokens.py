"""API tokens for machine clients: created here (the value shown once) and revoked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import tokens
from app.console.deps import ConsoleDep, ConsoleUser, Renewing, base_context, see
from app.console.forms import posted
from app.deps import ClockDep, DbDep
from app.errors import AppError
from app.web import render

router = APIRouter(prefix="/tokens", route_class=Renewing)


def _page(request: Request, db: Any, user: ConsoleUser, **extra: Any) -> Response:
    done = request.query_params.get("done")
    context = base_context(
        user,
        "tokens",
        tokens=tokens.list_tokens(db),
        scopes=tokens.SCOPES,
        created=None,
        error=None,
        values={},
        message="Token revoked." if done == "revoked" else None,
    )
    context.update(extra)
    status = 422 if context["error"] else 201 if context["created"] else 200
    # The page that shows a new token's value must not be kept by the browser or a proxy.
    return render(
        request,
        "console/tokens.html",
        context,
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("", response_class=HTMLResponse)
def list_tokens(request: Request, user: ConsoleDep, db: DbDep) -> Response:
    user.require("tokens:manage")
    return _page(request, db, user)


@router.post("", response_class=HTMLResponse)
async def create(request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep) -> Response:
    user.require("tokens:manage")
    values, form = await posted(request, user)
    scopes = [str(s) for s in form.getlist("scopes")]
    try:
        with db.begin_nested():
            token, plaintext = tokens.create_token(db, values.get("name", ""), scopes, clock.now())
    except AppError as exc:
        return _page(request, db, user, error=exc.detail, values=values)
    return _page(request, db, user, created=(token, plaintext))


@router.post("/{token_id}/revoke", response_class=HTMLResponse)
async def revoke(
    token_id: int, request: Request, user: ConsoleDep, db: DbDep, clock: ClockDep
) -> Response:
    user.require("tokens:manage")
    await posted(request, user)
    tokens.revoke_by_id(db, token_id, clock.now())
    return see("/console/tokens?done=revoked")
