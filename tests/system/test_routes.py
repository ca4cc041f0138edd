"""The app's routes in the order Starlette tries them: the candidate's hot routes first (each
route before the chosen one costs a regex on every request), and no route shadowed by an
earlier one, whatever the order of the routers (app/main.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, compile_path

from app.main import create_app
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app as served (no database is touched: only its routes are read)."""
    return create_app(make_settings(f"sqlite:///{tmp_path_factory.mktemp('routes')}/x.db"))


def walk(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """(full path, route) of every route, in the order they are tried. An included router
    (FastAPI keeps it whole) is walked in place, under its prefix."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from walk(included.routes, prefix + (getattr(context, "prefix", "") or ""))
            continue
        path = getattr(route, "path", None)
        if path is not None:
            yield prefix + path, route


def _flat(routes: Sequence[BaseRoute]) -> Iterator[tuple[str, set[str]]]:
    """(full path, methods) of every route, in the order they are tried."""
    for path, route in walk(routes):
        yield path, set(getattr(route, "methods", None) or {"GET"})


def _sample(path: str) -> str:
    """A request path the route answers: each parameter given a plain value."""
    return re.sub(r"\{[^}]+\}", "1", re.sub(r"\{[^}:]+:path\}", "a/b", path))


def _shadowed(app: FastAPI) -> list[str]:
    routes = list(_flat(app.router.routes))
    shadowed = []
    for i, (path, methods) in enumerate(routes):
        sample = _sample(path)
        for earlier, earlier_methods in routes[:i]:
            regex = compile_path(earlier)[0]
            if methods & earlier_methods and regex.match(sample):
                shadowed.append(f"{sorted(methods)} {path} <- {earlier}")
    return shadowed


def test_no_route_is_shadowed_by_an_earlier_one(app: FastAPI) -> None:
    assert len(list(_flat(app.router.routes))) > 100  # the walk found the included routes
    assert _shadowed(app) == []


def test_a_shadowed_route_is_found() -> None:
    """The check itself: a parameter route included before a fixed one hides it."""
    first, second = APIRouter(prefix="/api"), APIRouter(prefix="/api")
    first.add_api_route("/things/{thing}", lambda thing: thing, methods=["GET"])
    second.add_api_route("/things/new", lambda: "new", methods=["GET", "POST"])
    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    assert _shadowed(app) == ["['GET', 'POST'] /api/things/new <- /api/things/{thing}"]


def test_the_candidates_hot_routes_are_tried_first(app: FastAPI) -> None:
    order = [(path, method) for path, methods in _flat(app.router.routes) for method in methods]
    hot = [
        ("/api/v1/auth/candidate", "POST"),
        ("/api/v1/attempt", "GET"),
        ("/api/v1/attempt/answers/{position}", "PUT"),
        ("/api/v1/attempt/flags/{position}", "PUT"),
        ("/api/v1/attempt/clock", "GET"),
        ("/api/v1/attempt/events", "GET"),
    ]
    assert max(order.index(route) for route in hot) < 16
