"""The single Jinja2 environment, and the itsdangerous serializers (one salt per purpose)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from itsdangerous import URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from app.banks import richtext
from app.sittings.status import AttemptStatus, SittingStatus

# The project tree (templates, static, migrations); a container installs the code elsewhere.
ROOT = Path(os.environ.get("EXAMHALL_HOME") or Path(__file__).resolve().parent.parent)
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["service_name"] = "examhall"


def minutes_seconds(seconds: int) -> str:
    """1:05:09 or 25:00, as the timer shows it."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def minutes_words(seconds: int) -> str:
    """A time allowed, exactly: 25 % extra on 30 minutes is 37 minutes 30 seconds, not 38."""
    minutes, rest = divmod(int(seconds), 60)
    words = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return words + (f" {rest} second{'s' if rest != 1 else ''}" if rest else "")


def clock_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%H:%M:%S UTC")


def date_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")


def rich_text(value: str) -> Markup:
    """Item rich text, cleaned to the safe subset by nh3 right here, where it is rendered:
    the one way bank markup reaches a page (never |safe on anything uncleaned)."""
    return Markup(richtext.clean(value))  # cleaned by the allow-list above


def fraction(value: str) -> Fraction:
    """An exact fraction stored as text ("13/20"), for figures shown to people."""
    return Fraction(value)


_env.filters.update(
    fraction=fraction,
    rich_text=rich_text,
    minutes_seconds=minutes_seconds,
    minutes_words=minutes_words,
    clock_time=clock_time,
    date_time=date_time,
)
# Templates compare states by these names, never by bare strings (AttemptStatus.PAUSED).
_env.globals.update(AttemptStatus=AttemptStatus, SittingStatus=SittingStatus)
templates = Jinja2Templates(env=_env)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, context or {}, status_code=status_code, headers=headers
    )


class Redirect(Exception):
    """Raised by a page or its dependencies to send the browser elsewhere (see app.main)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


@lru_cache(maxsize=64)
def serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    """A signer for one purpose: a value signed for one purpose never verifies for another."""
    return URLSafeTimedSerializer(secret, salt=f"examhall.{purpose}")


def csv_download(text: str, filename: str) -> Response:
    """A CSV file for a person to open: UTF-8 with a byte order mark, which is how Excel knows
    it is UTF-8 (without it, Excel on Windows reads Siobhán as SiobhÃ¡n)."""
    return Response(
        "\ufeff" + text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
