"""`banks validate`: each rule has a case that breaks it, and every problem names file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.banks.service import check
from tests.banks import builder

ROOT = Path(__file__).resolve().parents[2]


def problems_for(
    tmp_path: Path, unit_a: dict[str, Any] | None = None, qual: dict[str, Any] | None = None
) -> list[str]:
    banks = builder.banks()
    if unit_a is not None:
        banks[builder.UNIT_A] = unit_a
    builder.write(tmp_path, qual, banks)
    _, problems = check(tmp_path)
    return [str(p) for p in problems]


def test_the_built_bank_is_clean(tmp_path: Path) -> None:
    assert problems_for(tmp_path) == []


def test_the_real_banks_are_clean() -> None:
    bank, problems = check(ROOT / "question_banks")
    assert [str(p) for p in problems] == []
    assert bank.qualifications and bank.qualifications[0].model.code == "600/8065/6"


def test_a_problem_names_the_file_and_line(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    bank["items"][2]["criterion"] = "09.09"
    [problem] = [p for p in problems_for(tmp_path, bank) if "09.09" in p]
    path = tmp_path / "999-0000-1/units/A-100-0001.yaml"
    lines = path.read_text().splitlines()
    file_part, line, message = problem.split(":", 2)
    assert file_part == str(path)
    assert "09.09" in lines[int(line) - 1] and "criterion" in lines[int(line) - 1]
    assert "has no criterion 09.09" in message


def test_schema_errors_are_reported_with_their_field(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    bank["items"][0]["status"] = "published"
    del bank["items"][1]["rationale"]
    found = problems_for(tmp_path, bank)
    assert any("items.0.status" in p for p in found)
    assert any("items.1.rationale: Field required" in p for p in found)


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        (lambda b: b["items"][0].update(key="zzzz"), "is not one of the option ids"),
        (
            lambda b: b["items"][0]["options"][1].update(text=b["items"][0]["options"][0]["text"]),
            "same text",
        ),
        (lambda b: b["items"][1].update(stem=b["items"][0]["stem"]), "same stem as"),
        (
            lambda b: b["items"][0]["options"][1].update(text="All of the above"),
            "all/none of the above",
        ),
        (
            lambda b: b["items"][0].update(stem="Which of these is not a good idea here?"),
            "negative 'not'",
        ),
        (lambda b: [o.pop("why", None) for o in b["items"][0]["options"]], "needs a 'why'"),
        (lambda b: b["items"][0]["options"][0].update(id="a"), "should match pattern"),
        (lambda b: b["items"][0].update(enemies=["nobody"]), "enemy nobody"),
        (lambda b: b["items"][1].update(id=b["items"][0]["id"]), "is used twice"),
        (
            lambda b: [i.update(status="draft") for i in b["items"] if i["criterion"] == "02.01"],
            "criterion 02.01 has 0 live items",
        ),
        (lambda b: b["test_spec"].update(items=6), "at least 15 are needed"),
        (lambda b: b["test_spec"].update(outcome_items={1: 1, 2: 1}), "add up to 2, not 4"),
    ],
)
def test_each_rule_catches_its_fault(tmp_path: Path, break_it: Any, expected: str) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    break_it(bank)
    found = problems_for(tmp_path, bank)
    assert any(expected in p for p in found), found


def test_enemies_that_make_an_outcome_unfillable_are_caught(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    outcome_two = [i for i in bank["items"] if i["criterion"] == "02.01"]
    for item in outcome_two:  # every item of outcome 2 is an enemy of every other
        item["enemies"] = [o["id"] for o in outcome_two if o is not item]
    bank["test_spec"]["outcome_items"] = {1: 2, 2: 2}
    assert any("learning outcome 2 needs 2 items" in p for p in problems_for(tmp_path, bank))


def test_key_position_and_length_balance(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A, per_criterion=8)
    for item in bank["items"]:
        item["key"] = item["options"][0]["id"]
        for j, option in enumerate(item["options"]):
            option["why"] = None if j == 0 else "wrong"
        item["options"][0]["text"] += " which is much the longest option of all"
    found = problems_for(tmp_path, bank)
    assert any("the key is option 1 in 100% of items" in p for p in found)
    assert any("the key is the longest option in 100%" in p for p in found)


def test_qualification_rules(tmp_path: Path) -> None:
    qual = builder.qualification()
    qual["units"][1]["group"] = "NOPE"
    qual["barred"] = [[builder.UNIT_A, "Z/999/9999"]]
    qual["units"][0]["learning_outcomes"][1]["criteria"][0]["ref"] = "01.03"
    found = problems_for(tmp_path, qual=qual)
    assert any("NOPE is not a group of units" in p for p in found)
    assert any("barred unit Z/999/9999" in p for p in found)
    assert any("criterion 01.03 filed under outcome 2" in p for p in found)


def test_unit_file_for_a_unit_outside_the_qualification(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    bank["unit"] = "Q/999/0000"
    assert any("Q/999/0000 is not a unit of 999/0000/1" in p for p in problems_for(tmp_path, bank))


def test_broken_yaml_and_duplicate_keys(tmp_path: Path) -> None:
    builder.write(tmp_path)
    path = tmp_path / "999-0000-1/units/A-100-0001.yaml"
    path.write_text("unit: A/100/0001\nunit: A/100/0001\ntest_spec: [unclosed\n")
    found = [str(p) for p in check(tmp_path)[1]]
    assert any(p.startswith(f"{path}:") and "not valid YAML" in p for p in found)
    path.write_text(yaml.safe_dump(builder.unit_bank(builder.UNIT_A)) + "unit: A/100/0001\n")
    assert any("duplicate key 'unit'" in p for p in check(tmp_path)[1] for p in [str(p)])


def test_an_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert [p.message for p in check(tmp_path)[1]] == ["no qualification.yaml found"]


def test_published_json_schemas_are_current() -> None:
    from app.banks.service import json_schemas

    for name, text in json_schemas().items():
        published = ROOT / "question_banks" / "schema" / name
        assert published.read_text() == text, f"run `examhall banks schema` to refresh {name}"


def test_an_alias_bomb_is_refused_at_once_with_its_line(tmp_path: Path) -> None:
    """A "billion laughs": nine levels of nine aliases. Refused, not expanded."""
    builder.write(tmp_path, None, builder.banks())
    path = tmp_path / "999-0000-1/units/A-100-0001.yaml"
    levels = ['a0: &a0 ["lol"]'] + [
        f"a{n}: &a{n} [{', '.join(f'*a{n - 1}' for _ in range(9))}]" for n in range(1, 10)
    ]
    path.write_text("\n".join(levels) + "\n")
    import time

    started = time.monotonic()
    _, found = check(tmp_path)
    assert time.monotonic() - started < 5
    [problem] = [str(p) for p in found if "A-100-0001" in str(p)]
    assert problem.startswith(f"{path}:2:") and "aliases" in problem


def test_an_oversized_bank_file_is_refused_unread(tmp_path: Path) -> None:
    from app.banks import reader

    builder.write(tmp_path, None, builder.banks())
    path = tmp_path / "999-0000-1/units/A-100-0001.yaml"
    with path.open("a") as f:
        f.write("#" * (reader.MAX_FILE_BYTES + 1))
    _, found = check(tmp_path)
    assert any("too large" in str(p) and "A-100-0001" in str(p) for p in found)
