"""The unit an import is for, as the qualification files give it: it must be a unit of one,
and its criteria are the only ones an imported item may take from its source (a QTI label).

The qualification looked in is the one whose folder holds --out (question_banks/<code>/units/
<unit>.yaml), then every qualification under ./question_banks, where `banks validate` looks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

BANKS = Path("question_banks")
SPEC = "qualification.yaml"


def _specs(out: Path) -> list[Path]:
    found: list[Path] = []
    for folder in out.resolve().parents:
        if (folder / SPEC).is_file():
            found.append(folder / SPEC)
            break
    if BANKS.is_dir():
        found.extend(sorted(BANKS.rglob(SPEC)))
    unique: dict[Path, Path] = {}
    for spec in found:
        unique.setdefault(spec.resolve(), spec)
    return list(unique.values())


def _units(spec: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []  # `banks validate` names a broken qualification file; here it has no units
    units = data.get("units") if isinstance(data, dict) else None
    return [u for u in units if isinstance(u, dict)] if isinstance(units, list) else []


def criteria(unit: str, out: Path) -> tuple[frozenset[str], str | None]:
    """The criterion refs of `unit`, and a note when no qualification has it (the import goes
    on: the contract lets a bank be imported for any unit, and `banks validate` refuses it
    until its unit is in a qualification)."""
    specs = _specs(out)
    for spec in specs:
        for entry in _units(spec):
            if entry.get("urn") == unit:
                return frozenset(
                    str(c.get("ref"))
                    for outcome in entry.get("learning_outcomes") or []
                    if isinstance(outcome, dict)
                    for c in outcome.get("criteria") or []
                    if isinstance(c, dict)
                ), None
    looked = ", ".join(str(s) for s in specs) or f"none beside --out or under ./{BANKS}"
    return frozenset(), (
        f"--unit {unit} is not a unit of any qualification (looked in: {looked}): the bank is "
        f"written, but `banks validate` and `banks load` will refuse it until {unit} is the "
        f"`urn:` of an entry under `units:` in a {SPEC} (question_banks/<code>/{SPEC}); no "
        "criterion was taken from the sources"
    )
