"""Moodle's text formats (shared by Moodle XML and GIFT) read as plain text or rich text."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from app.interchange import text

_MARKDOWN = MarkdownIt("commonmark", {"html": False})
_ROOT = re.compile(r"^\$[a-z]+\$/")


def _as_html(markup: str, fmt: str) -> str | None:
    fmt = fmt.lower()
    if fmt == "markdown":
        rendered: str = _MARKDOWN.render(markup)
        return rendered
    if fmt in ("plain_text", "plain"):
        return None
    return markup  # html, moodle_auto_format, moodle: HTML may appear


def plain(markup: str, fmt: str) -> str:
    """Plain text: markup removed, entities decoded, whitespace collapsed."""
    html = _as_html(markup, fmt)
    return text.collapse(markup) if html is None else text.html_text(html)


def rich(markup: str, fmt: str) -> str | None:
    html = _as_html(markup, fmt)
    return None if html is None else text.rich(html)


def lost(markup: str, fmt: str) -> tuple[str, str] | None:
    """(kind, reason) when the text holds content a bank item cannot keep (text.LOST)."""
    html = _as_html(markup, fmt)
    return None if html is None else text.html_lost(html)


def category_path(path: str) -> str | None:
    """A Moodle category path without its context ($course$/, $system$/) and 'top' level."""
    path = text.collapse(path)
    path = _ROOT.sub("", path)
    path = path.removeprefix("top/") if path != "top" else ""
    return path.strip("/") or None
