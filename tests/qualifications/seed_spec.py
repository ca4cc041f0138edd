"""An independent reader of the specification seed text, used to check the bank data.

Deliberately separate from the application's loader: it reads the published text the way a
person would, so a transcription error in question_banks/ shows up as a disagreement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

URN = r"[A-Z]/\d{3}/\d{4}"
UNIT_ROW = re.compile(rf"^({URN})\t(.+?)\t(\d)\t(\d+)\t(\d+)\s*$")
GROUP_HEADING = re.compile(r"^Group (A|B\d) ")
UNIT_HEADING = re.compile(rf"Unit: ({URN}) : ([^*\n]+)")
CRITERION = re.compile(r"^(\d\d)\.(\d\d)\t(.+?)\s*$")
ROC_ROW = re.compile(r"^[└ ]*(\w+)\) (.+?)\t(Yes|No)\t(\d+)\t(\d+)\t(\d+)\t(\d+)\t(\d+)\s*$")
BARRED_ROW = re.compile(rf"\(({URN})\)\t.*\(({URN})\)")


@dataclass
class SeedOutcome:
    number: int
    title: str
    criteria: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class SeedUnit:
    urn: str
    title: str
    level: int
    glh: int
    credits: int
    group: str
    outcomes: list[SeedOutcome] = field(default_factory=list)


@dataclass
class SeedSpec:
    code: str
    title: str
    total_credits: int
    min_credits_at_level: int
    units: dict[str, SeedUnit]
    roc_rows: list[tuple[str, str, bool, int, int, int, int, int]]
    barred: list[tuple[str, str]]


def _field(text: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\s*:\s*(.+?)\s*$", text, re.M)
    assert match, name
    return match.group(1)


def read_seed(path: Path) -> SeedSpec:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    units: dict[str, SeedUnit] = {}
    group = ""
    for line in lines:
        if heading := GROUP_HEADING.match(line):
            group = heading.group(1)
        elif row := UNIT_ROW.match(line):
            urn, title, level, glh, credits = row.groups()
            units[urn] = SeedUnit(urn, title, int(level), int(glh), int(credits), group)
    roc_rows: list[tuple[str, str, bool, int, int, int, int, int]] = []
    for line in lines:
        if row := ROC_ROW.match(line):
            code, name, mandatory, *numbers = row.groups()
            n = [int(x) for x in numbers]
            roc_rows.append((code, name, mandatory == "Yes", n[0], n[1], n[2], n[3], n[4]))
    barred = [m.groups() for line in lines if (m := BARRED_ROW.search(line))]

    # The unit texts: split at each "Unit: URN : Title" marker.
    markers = list(UNIT_HEADING.finditer(text))
    for i, marker in enumerate(markers):
        urn = marker.group(1)
        end = (
            markers[i + 1].start()
            if i + 1 < len(markers)
            else text.index("Barred Units", marker.end())
        )
        body = text[marker.end() : end]
        body = body.replace("**", "\n")
        unit = units[urn]
        pending_title: str | None = None
        for raw in body.splitlines():
            line = raw.strip()
            if (
                not line
                or line.startswith("Assessment Criterion")
                or re.match(r"^[A-Z][\w ]+\t?: ", raw)
            ):
                continue
            if line.startswith("Qualification Framework") or line.startswith(
                "Qualification Specification"
            ):
                break
            if crit := CRITERION.match(raw.rstrip()):
                lo, ac, crit_text = crit.groups()
                if not unit.outcomes or unit.outcomes[-1].number != int(lo):
                    assert pending_title is not None, (urn, raw)
                    unit.outcomes.append(SeedOutcome(int(lo), pending_title))
                    pending_title = None
                unit.outcomes[-1].criteria.append((f"{lo}.{ac}", crit_text))
            else:
                pending_title = line
    return SeedSpec(
        code=re.search(r"^(\d{3}/\d{4}/\d)$", text, re.M).group(1),  # type: ignore[union-attr]
        title=_field(text, "Title"),
        total_credits=int(_field(text, "Total Credits")),
        min_credits_at_level=int(_field(text, "Min Credits at/above Level")),
        units=units,
        roc_rows=roc_rows,
        barred=barred,  # type: ignore[arg-type]
    )
