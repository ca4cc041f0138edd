"""Small, valid bank directories built in code, for tests to load or to break on purpose.

The qualification is invented (999/0000/1) with units of its own: nothing of 600/8065/6.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import yaml

CODE = "999/0000/1"
UNIT_A = "A/100/0001"
UNIT_B = "B/100/0002"


def qualification() -> dict[str, Any]:
    def unit(urn: str, group: str, level: int, credits: int) -> dict[str, Any]:
        return {
            "urn": urn,
            "title": f"Unit {urn}",
            "level": level,
            "glh": 10,
            "credits": credits,
            "group": group,
            "learning_outcomes": [
                {
                    "number": 1,
                    "title": "Know one thing",
                    "criteria": [
                        {"ref": "01.01", "text": "Describe one"},
                        {"ref": "01.02", "text": "Describe two"},
                    ],
                },
                {
                    "number": 2,
                    "title": "Know another",
                    "criteria": [{"ref": "02.01", "text": "Explain three"}],
                },
            ],
        }

    return {
        "code": CODE,
        "title": "Test Certificate",
        "awarding_organisation": "Test AO",
        "level": 2,
        "total_credits": 5,
        "min_credits_at_or_above_level": {"level": 2, "credits": 3},
        "rules_of_combination": {
            "code": "ALL",
            "title": "All",
            "mandatory": True,
            "min_groups": 1,
            "max_groups": None,
            "min_credits": 5,
            "max_credits": None,
            "groups": [
                {
                    "code": "M",
                    "title": "Mandatory",
                    "mandatory": True,
                    "min_units": 1,
                    "max_units": 1,
                    "min_credits": None,
                    "max_credits": None,
                },
                {
                    "code": "O",
                    "title": "Optional",
                    "mandatory": False,
                    "min_units": 1,
                    "max_units": None,
                    "min_credits": None,
                    "max_credits": None,
                },
            ],
        },
        "barred": [],
        "units": [unit(UNIT_A, "M", 2, 3), unit(UNIT_B, "O", 1, 2)],
    }


def item(prefix: str, n: int, criterion: str, rng: random.Random) -> dict[str, Any]:
    ids: list[str] = []
    while len(ids) < 4 or ids == sorted(ids):
        ids = [
            "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(4))
            for _ in range(4)
        ]
    key_at = n % 4

    def word() -> str:  # made-up words, so that no two items share a scenario by accident
        return "".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))

    texts = [f"{word()} {word()} {c}" for c in "PQRS"]
    options = [{"id": i, "text": t} for i, t in zip(ids, texts, strict=True)]
    for j, option in enumerate(options):
        if j != key_at:
            option["why"] = "Plausible but wrong."
    return {
        "id": f"{prefix}-{n:03d}",
        "criterion": criterion,
        "status": "live",
        "stem": f"Question {n} about {word()} {word()} {word()}: which is best?",
        "options": options,
        "key": ids[key_at],
        "rationale": "Because it is.",
    }


def unit_bank(urn: str, per_criterion: int = 4, items: int = 4) -> dict[str, Any]:
    rng = random.Random(urn)
    prefix = urn.replace("/", "")
    criteria = ["01.01", "01.02", "02.01"]
    bank = [item(prefix, i, criteria[i % 3], rng) for i in range(per_criterion * 3)]
    return {
        "unit": urn,
        "test_spec": {
            "items": items,
            "duration_minutes": 10,
            "pass_mark_percent": 50,
            "coverage": "proportional",
            "reasoning": "Small, for tests.",
        },
        "items": bank,
    }


def write(
    root: Path, qual: dict[str, Any] | None = None, units: dict[str, dict[str, Any]] | None = None
) -> Path:
    folder = root / CODE.replace("/", "-")
    (folder / "units").mkdir(parents=True, exist_ok=True)
    (folder / "qualification.yaml").write_text(
        yaml.safe_dump(qual or qualification(), sort_keys=False)
    )
    for urn, bank in (
        units if units is not None else {UNIT_A: unit_bank(UNIT_A), UNIT_B: unit_bank(UNIT_B)}
    ).items():
        (folder / "units" / f"{urn.replace('/', '-')}.yaml").write_text(
            yaml.safe_dump(bank, sort_keys=False)
        )
    return root


def banks() -> dict[str, dict[str, Any]]:
    return {UNIT_A: unit_bank(UNIT_A), UNIT_B: unit_bank(UNIT_B)}


def clone(value: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(value)


#: a real 2x2 PNG, for items that show a picture
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x02\x00\x00\x00\x02\x08\x02\x00\x00"
    b"\x00\xfd\xd4\x9as\x00\x00\x00\x10IDATx\x9cc\xf8\xcf\xc0\x00D\x0c\x10\n\x00\x1f\xee"
    b"\x03\xfd\x8b_\x14\xd4\x00\x00\x00\x00IEND\xaeB`\x82"
)
