"""Moodle XML (<quiz>): multichoice questions with one answer, categories, tags, idnumber,
HTML in CDATA, and pictures embedded as base64 <file>s referred to by @@PLUGINFILE@@/name."""

from __future__ import annotations

import base64
import binascii
import posixpath
import urllib.parse

from lxml import etree

from app.interchange import formats, safexml, text
from app.interchange.model import Choice, Media, Question, Reading, Skipped, Unreadable
from app.interchange.safexml import child, children

PLUGINFILE = "@@PLUGINFILE@@/"
MAX_FILE_BYTES = 10 * 1024 * 1024

#: every other Moodle question type, and why it cannot be a single-answer item
OTHER_KINDS = {
    "truefalse": "a true/false question has two fixed answers, not three to five options",
    "essay": "an essay is marked by a person, not by a key",
    "shortanswer": "a short answer is typed, not chosen",
    "numerical": "a numerical answer is typed, not chosen",
    "matching": "matching pairs several answers",
    "match": "matching pairs several answers",
    "cloze": "an embedded-answers (cloze) question holds several answers",
    "multianswer": "an embedded-answers (cloze) question holds several answers",
    "description": "a description is not a question",
    "calculated": "a calculated answer is typed, not chosen",
    "calculatedsimple": "a calculated answer is typed, not chosen",
    "calculatedmulti": "calculated options change from candidate to candidate",
    "ddwtos": "drag and drop into text places several answers",
    "gapselect": "select missing words places several answers",
    "ddimageortext": "drag and drop onto an image places several answers",
    "ddmarker": "drag and drop markers places several answers",
    "randomsamatch": "random short-answer matching pairs several answers",
    "ordering": "an ordering question orders several items",
}


def read(root: etree._Element, source: str) -> Reading:
    """Every question of a <quiz> document."""
    reading = Reading()
    category: str | None = None
    for question in children(root, "question"):
        kind = (question.get("type") or "").strip()
        if kind == "category":
            category = formats.category_path(_text(child(question, "category")))
            continue
        name = text.html_text(_text(child(question, "name")))
        idnumber = text.collapse(_text(child(question, "idnumber")))
        source_id = name or idnumber or f"question at line {safexml.line(question)}"
        line = safexml.line(question)
        if kind != "multichoice":
            reason = OTHER_KINDS.get(kind, f"Moodle question type {kind!r} is not supported")
            reading.skipped.append(Skipped(source, source_id, kind or "unknown", reason, line))
            continue
        result = _multichoice(question, source, source_id, line, reading)
        if isinstance(result, Skipped):
            reading.skipped.append(result)
            continue
        result.category = category
        result.identifiers = [x for x in (idnumber, name) if x]
        result.tags = [
            text.collapse(_text(child(tag, "text")))
            for tags in children(question, "tags")
            for tag in children(tags, "tag")
        ]
        reading.questions.append(result)
    return reading


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    inner = child(element, "text")
    target = inner if inner is not None else element
    if inner is not None:
        return "".join(str(t) for t in target.itertext())
    return str(target.text or "")


def _files(element: etree._Element | None, source: str) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if element is None:
        return out
    for f in children(element, "file"):
        name = f.get("name") or ""
        if (f.get("encoding") or "base64") != "base64":
            raise Unreadable(source, f"file {name!r}: only base64 files are read", safexml.line(f))
        raw = "".join((f.text or "").split())
        if len(raw) * 3 // 4 > MAX_FILE_BYTES:
            raise Unreadable(source, f"file {name!r} is larger than 10 MB", safexml.line(f))
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Unreadable(source, f"file {name!r} is not valid base64", safexml.line(f)) from exc
        path = (f.get("path") or "/").strip("/")
        out[posixpath.join(path, name) if path else name] = data
    return out


def _legacy_image(question: etree._Element, source: str) -> tuple[str, bytes] | None:
    name = _text(child(question, "image")).strip()
    encoded = "".join(_text(child(question, "image_base64")).split())
    if not name or not encoded:
        return None
    line = safexml.line(question)
    if len(encoded) * 3 // 4 > MAX_FILE_BYTES:
        raise Unreadable(source, f"image {name!r} is larger than 10 MB", line)
    try:
        return name, base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Unreadable(source, f"image {name!r} is not valid base64", line) from exc


def _multichoice(
    question: etree._Element, source: str, source_id: str, line: int | None, reading: Reading
) -> Question | Skipped:
    def skip(kind: str, reason: str) -> Skipped:
        return Skipped(source, source_id, kind, reason, line)

    single = _text(child(question, "single")).strip().lower()
    if single in ("false", "0"):
        return skip("multiple response", "Moodle multichoice with more than one answer allowed")
    questiontext = child(question, "questiontext")
    fmt = (questiontext.get("format") if questiontext is not None else None) or "html"
    stem_markup = _text(questiontext)
    stem = formats.plain(stem_markup, fmt)
    answers = children(question, "answer")
    choices: list[Choice] = []
    fractions: list[float] = []
    texts = [(stem_markup, fmt)]
    for answer in answers:
        answer_fmt = answer.get("format") or fmt
        markup = _text(answer)
        texts.append((markup, answer_fmt))
        try:
            fractions.append(float(answer.get("fraction") or "0"))
        except ValueError:
            return skip("multichoice", f"answer grade {answer.get('fraction')!r} is not a number")
        choices.append(
            Choice(None, formats.plain(markup, answer_fmt), formats.rich(markup, answer_fmt))
        )
        for src, _alt in text.html_images(markup):
            reading.notes.append(f"{source}: {source_id}: image {src} in an answer is not kept")
    full = [i for i, f in enumerate(fractions) if f >= 100 - 1e-6]
    partial = [f for f in fractions if 1e-6 < f < 100 - 1e-6]
    if partial:
        shown = ", ".join(f"{f:g}%" for f in partial)
        return skip(
            "partial credit", f"answers worth {shown}: partial credit on a single-answer question"
        )
    if not full:
        return skip("no correct option", "no answer is worth 100%")
    if len(full) > 1:
        return skip("multichoice", f"{len(full)} answers are worth 100%; a single answer has one")
    lost = next(filter(None, (formats.lost(m, f) for m, f in texts)), None)
    if any(not c.text for c in choices):
        return skip("multichoice", "an answer has no text (an image or media only)")
    if not stem:
        return skip("multichoice", "the question has no text")
    result = Question(
        source=source,
        source_id=source_id,
        stem=stem,
        choices=choices,
        key=full[0],
        stem_html=formats.rich(stem_markup, fmt),
        line=line,
        feedback=formats.plain(_text(child(question, "generalfeedback")), fmt) or None,
        format="moodle",
        lost=lost[1] if lost else None,
    )
    files = _files(questiontext, source)
    legacy = _legacy_image(question, source)  # Moodle 1.9's <image> and <image_base64>
    if legacy is not None:
        result.media.append(Media(posixpath.basename(legacy[0]), legacy[1], None))
    for src, alt in text.html_images(stem_markup):
        name = urllib.parse.unquote(src.removeprefix(PLUGINFILE))
        data = files.get(name)
        if data is None:
            reading.notes.append(f"{source}: {source_id}: image {src!r} not found in the file")
            continue
        result.media.append(Media(posixpath.basename(name), data, alt))
    return result
