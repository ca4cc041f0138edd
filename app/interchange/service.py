"""The interchange workflow the CLI drives: import sources into a bank file; export a unit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.banks.schemas import URN_PATTERN
from app.interchange import bankfile, mapping, sources, splice, units
from app.interchange.model import Reading, Unreadable


@dataclass
class ImportReport:
    reading: Reading
    items: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    out: Path | None = None  # None: nothing was written (no question could be imported)

    def as_json(self) -> dict[str, Any]:
        """The contract's document: imported (as written) and skipped, in source order."""
        imported = []
        for question, item in zip(self.reading.questions, self.items, strict=True):
            entry: dict[str, Any] = {
                "source": question.source,
                "source_id": question.source_id,
                "stem": item["stem"],
                "options": [{"id": o["id"], "text": o["text"]} for o in item["options"]],
                "key": item["key"],
                "item_id": item["id"],
                "criterion": item.get("criterion"),
            }
            if question.line:
                entry["line"] = question.line
            imported.append(entry)
        skipped = []
        for s in self.reading.skipped:
            row: dict[str, Any] = {
                "source": s.source,
                "source_id": s.source_id,
                "kind": s.kind,
                "reason": s.reason,
            }
            if s.line:
                row["line"] = s.line
            skipped.append(row)
        return {"imported": imported, "skipped": skipped}


def import_bank(
    paths: list[Path], *, unit: str, out: Path, fmt: str = "auto", map_file: Path | None = None
) -> ImportReport:
    """Read every source, then write one unit bank file; any unreadable source, nothing written."""
    if not re.match(URN_PATTERN, unit):
        raise Unreadable("--unit", f"{unit!r} is not a unit URN like D/601/7644")
    criteria, unknown_unit = units.criteria(unit, out)
    rules = mapping.load(map_file, unit) if map_file else None
    reading = sources.read_sources(paths, fmt)
    found = bankfile.existing(out, unit)
    document, original = found if found else (None, None)
    kept = [] if document is None else list(document.get("items") or [])
    previous = {
        str(i.get("id")): {str(o.get("text")): str(o.get("id")) for o in i.get("options") or []}
        for i in kept
    }  # importing again keeps each option's id
    built = bankfile.build(reading.questions, unit, rules, set(), criteria, previous)
    reading.questions, reading.skipped = built.questions, [*reading.skipped, *built.skipped]
    notes = [*reading.notes, *built.notes, *([unknown_unit] if unknown_unit else [])]
    if not built.items and document is not None:  # nothing to add: the bank stays as it is
        return ImportReport(reading, [], notes, None)
    if not built.items:
        notes.append(f"{out}: no question could be imported; the bank is written with no items")
    fresh = {item["id"]: item for item in built.items}
    ids = {i.get("id") for i in kept}
    # importing again replaces an item where it stands; new ones follow the last
    items = [fresh.get(i.get("id"), i) for i in kept]
    items += [i for i in built.items if i["id"] not in ids]
    if document is None or original is None:
        document = {"unit": unit, "test_spec": bankfile.default_test_spec(), "items": items}
        text = bankfile.render(document)
    else:
        document = {**document, "items": items}
        spliced = splice.put(original, built.items, bankfile.dump)
        if spliced is not None and splice.reads_as(spliced, document):
            bankfile.render(document)  # the schema reads it
            text = spliced
        else:
            text = bankfile.render(document)
            notes.append(f"{out}: written whole (its layout did not allow adding items as text)")
    bankfile.write(out, text, built.files)
    return ImportReport(reading, built.items, notes, out)
