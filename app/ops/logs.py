"""Structured logs: one JSON object a line, each carrying the id of the request it belongs to."""

from __future__ import annotations

import json
import logging
import time
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# LogRecord attributes that are not extra fields of the message.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",  # written first, from the record or the context
}


# One encoder for every line: json.dumps with options builds a new one on each call.
_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


class JsonFormatter(logging.Formatter):
    """{"ts", "level", "logger", "msg", "request_id", ...extra fields, "exc"}.

    It formats every request's access line, on the event loop: the timestamp's text is kept
    for the second it names (bench/README.md §1, session 19)."""

    def __init__(self) -> None:
        super().__init__()
        self._last: tuple[int, str] = (-1, "")  # (second, its text): one attribute, read once

    def _ts(self, created: float, msecs: float) -> str:
        second = int(created)
        last = self._last
        if last[0] != second:  # threads that race here each make the right pair
            last = self._last = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{last[1]}.{int(msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self._ts(record.created, record.msecs),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = vars(record)
        rid = fields.get("request_id") or request_id.get()
        if rid:
            entry["request_id"] = rid
        for key, value in fields.items():
            if key not in _STANDARD:
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _encode(entry)


def config(level: str = "info", fmt: str = "json") -> dict[str, Any]:
    """A logging.config.dictConfig for the server (uvicorn's loggers included)."""
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "default",
        "stream": "ext://sys.stderr",
    }
    logger = {"handlers": ["default"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"default": handler},
        "loggers": {"uvicorn": logger, "uvicorn.error": logger, "examhall": logger},
    }
