"""Turn what was read into bank items, and write the unit bank file (and its pictures)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.banks import yamlfile
from app.banks.schemas import ITEM_ID_PATTERN, OPTION_ID_PATTERN, ItemFile, UnitBankFile
from app.interchange import output
from app.interchange.mapping import Mapping
from app.interchange.model import Question, Skipped, Unreadable

#: examhall's own QTI exports name a choice `opt-<option id>`, so a round trip keeps the ids
EXPORT_OPTION_PREFIX = "opt-"
#: and an item whose id does not start with a letter `item-<id>` (a QTI identifier must)
EXPORT_ITEM_PREFIX = "item-"
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no l, o, 0, 1: nothing to misread
MEDIA_DIR = "media"
IMAGE_TYPES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpg", b"GIF8": "gif", b"RIFF": "webp"}

_OPTION = re.compile(OPTION_ID_PATTERN)
_ITEM = re.compile(ITEM_ID_PATTERN)


def compact(urn: str) -> str:
    return urn.replace("/", "")


def item_id(question: Question, unit: str, taken: set[str]) -> str:
    """A stable id: the source's own when it is an id of this unit, else unit + source id."""
    prefix = compact(unit) + "-"
    raw = question.source_id.removeprefix(EXPORT_ITEM_PREFIX)
    if raw.startswith(prefix) and _ITEM.match(raw):
        candidate = raw
    else:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", question.source_id).strip("-._")[:40]
        if not slug:
            slug = hashlib.sha256(question.stem.encode()).hexdigest()[:8]
        candidate = prefix + slug
    unique, n = candidate, 2
    while unique in taken:
        unique, n = f"{candidate}-{n}", n + 1
    taken.add(unique)
    return unique


def option_ids(question: Question, previous: dict[str, str] | None = None) -> list[str]:
    """The source's ids when they are examhall's own (a round trip); else the ids the same
    options (by text) had in the bank file when importing again; else fresh random ids.
    Random, not derived from anything a reader knows (the item id is easy to work out), so
    that no id tells the option's position in the source, where the key is often first."""
    own = [
        (c.source_id or "").removeprefix(EXPORT_OPTION_PREFIX)
        for c in question.choices
        if (c.source_id or "").startswith(EXPORT_OPTION_PREFIX)
    ]
    whole = len(own) == len(question.choices) and len(set(own)) == len(own)
    if whole and all(_OPTION.match(i) for i in own):
        return own
    previous = previous or {}
    reused = any(c.text in previous for c in question.choices)
    while True:
        ids: list[str] = []
        for choice in question.choices:
            known = previous.get(choice.text)
            ids.append(known if known and known not in ids else _fresh())
        # fresh ids in ascending order would read as the source's order: draw again
        if len(set(ids)) == len(ids) and (reused or ids != sorted(ids)):
            return ids


def _fresh() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(4))


def _image_name(item: str, n: int, data: bytes) -> str:
    ext = next((e for magic, e in IMAGE_TYPES.items() if data.startswith(magic)), "")
    return f"{item}-{n}.{ext}" if ext else ""


@dataclass
class Built:
    """What the questions make: the bank items (one per question kept, in order), the picture
    files to write beside the bank, notes, and the questions that cannot be bank items."""

    questions: list[Question] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def misfit(item: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, reason) when an item is beyond what a bank item may be (the schema's limits)."""
    try:
        ItemFile.model_validate(item)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc, ctx = tuple(error["loc"]), error.get("ctx") or {}
        if error["type"] == "string_too_long":
            what = f"option {int(loc[1]) + 1}" if loc[0] == "options" else "stem"
            what = "rich stem" if loc[0] == "stem_html" else what
            return ("too long", f"{what} longer than {ctx['max_length']:,} characters")
        if loc in (("options",), ("images",)) and "actual_length" in ctx:
            n, what = ctx["actual_length"], str(loc[0]).rstrip("s")
            limit = ctx.get("max_length", ctx.get("min_length"))
            more = "more" if error["type"] == "too_long" else "fewer"
            plural = "" if n == 1 else "s"
            return (str(loc[0]), f"{n} {what}{plural}: a bank item has no {more} than {limit}")
        return ("not a bank item", f"{'.'.join(str(p) for p in loc)}: {error['msg']}")
    return None


def build(
    questions: list[Question],
    unit: str,
    mapping: Mapping | None,
    existing_ids: set[str],
    criteria: frozenset[str] = frozenset(),
    previous: dict[str, dict[str, str]] | None = None,
) -> Built:
    """The bank items and their pictures; a question beyond a bank item's limits is skipped.
    An item's criterion is the mapping's, else its source's label when the unit has it.
    `previous`: for each item already in the bank file, its option ids by option text."""
    taken = set(existing_ids)
    built = Built()
    for q in questions:
        files: dict[str, bytes] = {}
        notes: list[str] = []
        ident = item_id(q, unit, taken)
        ids = option_ids(q, (previous or {}).get(ident))
        item: dict[str, Any] = {"id": ident, "status": "draft"}
        criterion = mapping.criterion_for(q) if mapping else None
        if criterion is None and q.label in criteria:
            criterion = q.label  # an examhall export's label: the criterion, kept round trip
        if criterion:
            item["criterion"] = criterion
        item["stem"] = q.stem
        if q.lost:
            notes.append(
                f"{q.source}: {q.source_id}: {q.lost} (imported without it, as a draft to"
                " complete before it goes live)"
            )
        if q.stem_html:
            item["stem_html"] = q.stem_html
        images = []
        for n, media in enumerate(q.media, start=1):
            name = _image_name(ident, n, media.data)
            if not name:
                notes.append(f"{q.source}: {q.source_id}: {media.name} is not a picture; not kept")
                continue
            path = f"{MEDIA_DIR}/{name}"
            files[path] = media.data
            image: dict[str, Any] = {"file": path}
            if media.alt and media.alt.strip():
                image["alt"] = media.alt.strip()
            images.append(image)
        if images:
            item["images"] = images
        item["options"] = [{"id": i, "text": c.text} for i, c in zip(ids, q.choices, strict=True)]
        item["key"] = ids[q.key]
        if q.feedback:
            item["rationale"] = q.feedback
        source: dict[str, Any] = {"format": q.format, "file": q.source, "id": q.source_id}
        if q.category:
            source["category"] = q.category
        if q.tags:
            source["tags"] = list(q.tags)
        item["source"] = source
        if problem := misfit(item):
            built.skipped.append(Skipped(q.source, q.source_id, *problem, q.line))
            continue
        built.questions.append(q)
        built.items.append(item)
        built.files.update(files)
        built.notes.extend(notes)
    return built


def default_test_spec() -> dict[str, Any]:
    return {
        "items": 20,
        "duration_minutes": 30,
        "pass_mark_percent": 70,
        "coverage": "proportional",
        "reasoning": "Written by examhall banks import: placeholders for the awarding body to set "
        "(items per paper, time and pass mark) before any item of this bank goes live.",
    }


def existing(out: Path, unit: str) -> tuple[dict[str, Any], str] | None:
    """The bank file already at `out` and its text (its items are kept, imported ones added)."""
    if not out.exists():
        return None
    try:
        content = out.read_text(encoding="utf-8")
        data, lines, _ = yamlfile.load(content)
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(str(out), f"the existing bank file cannot be read: {exc}") from exc
    except yamlfile.YamlError as exc:
        raise Unreadable(
            str(out), f"the existing bank file is not valid YAML: {exc.message}", exc.line
        ) from exc
    if not isinstance(data, dict) or data.get("unit") != unit:
        raise Unreadable(str(out), f"exists and is not a bank file of {unit}")
    try:
        UnitBankFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        raise Unreadable(
            str(out),
            f"the existing bank file is not valid ({'.'.join(str(p) for p in loc)}: "
            f"{error['msg'].removeprefix('Value error, ')}): correct it first "
            "(`examhall banks validate` lists its problems)",
            yamlfile.line_of(lines, loc),
        ) from exc
    return data, content


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = ">" if len(value) > 80 and "\n" not in value and value == value.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(value: object) -> str:
    """YAML as examhall writes bank files."""
    return yaml.dump(
        value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )


def render(document: dict[str, Any]) -> str:
    UnitBankFile.model_validate(document)  # what we write, the schema reads
    return "# yaml-language-server: $schema=../../schema/unit-bank.schema.json\n" + dump(document)


def write(out: Path, text: str, files: dict[str, bytes]) -> None:
    """The bank file and its pictures; the bank file last and atomically (replace)."""
    output.write_all(out, text.encode("utf-8"), files)
