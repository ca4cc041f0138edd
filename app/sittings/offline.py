"""The exam page offline: its service worker (static/js/exam-sw.js) and which pages it may keep.

The worker is served as /exam/sw.js so that its scope covers the exam's pages (and the sign-in
page, which tells it to forget). Its version is a hash of the files it holds, so a release that
changes any of them installs a new worker, which replaces its cache of them whole.
"""

from __future__ import annotations

import hashlib
from functools import cache

from app.sittings.models import Attempt
from app.sittings.status import AttemptStatus
from app.web import STATIC_DIR

WORKER = STATIC_DIR / "js" / "exam-sw.js"
HELD = ("css/base.css", "css/exam.css", "js/exam.js", "js/exam-sw.js")
#: Names the attempt a page belongs to, on pages the worker may keep for that attempt.
HEADER = "X-Examhall-Offline"
SCOPE = "/exam"


@cache
def worker() -> str:
    """The worker's script, stamped with the version of the files it holds."""
    digest = hashlib.sha256()
    for name in HELD:
        digest.update((STATIC_DIR / name).read_bytes())
    return WORKER.read_text(encoding="utf-8").replace("__VERSION__", digest.hexdigest()[:16], 1)


def keep_headers(attempt: Attempt) -> dict[str, str]:
    """The header that lets the worker keep this page for offline use: only while the paper
    is open (never a paused page, which hides the paper, nor a finished one)."""
    if attempt.status in (AttemptStatus.IN_PROGRESS, AttemptStatus.NOT_STARTED):
        return {HEADER: str(attempt.id)}
    return {}
