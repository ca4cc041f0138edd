"""`banks validate`: each rule has a case that breaks it, and every problem names file and line."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.banks.reader import Problem
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


def test_the_real_banks_load() -> None:
    bank, problems = check(ROOT / "question_banks")
    assert [str(p) for p in problems if not p.review] == []
    assert bank.qualifications and bank.qualifications[0].model.code == "600/8065/6"


# Units whose items have been reviewed against the item-quality checks of issue 16 (app/banks/
# cues.py). Each must be clean of review findings too; the list grows until it is every unit.
REVIEWED = sorted(p.stem for p in (ROOT / "question_banks" / "600-8065-6" / "units").glob("*.yaml"))


@functools.cache
def real_problems() -> list[Problem]:
    return check(ROOT / "question_banks")[1]


def test_every_unit_is_reviewed() -> None:
    assert len(REVIEWED) == 14


@pytest.mark.parametrize("unit", REVIEWED)
def test_reviewed_units_are_clean(unit: str) -> None:
    problems = real_problems()
    assert [str(p) for p in problems if p.file.stem == unit] == []


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
    found = problems_for(tmp_path, bank)
    assert any("items.0.status" in p for p in found)


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
        (lambda b: b["items"][0].pop("criterion"), "needs a criterion before it can be loaded"),
        (lambda b: b["items"][0].update(stem="Which?"), "a stem of at least 10 characters"),
        (
            lambda b: b["items"][0].update(
                options=[o for o in b["items"][0]["options"] if o["id"] == b["items"][0]["key"]]
                + [o for o in b["items"][0]["options"] if o["id"] != b["items"][0]["key"]][:1]
            ),
            "2 options; an item has 3 to 5",
        ),
        # a missing rationale is no longer a schema error (an imported draft has none), but
        # the validator refuses it, so nothing without one can be loaded
        (lambda b: b["items"][0].pop("rationale"), "needs a rationale"),
        (lambda b: b["items"][0].update(rationale=" "), "needs a rationale"),
        (
            lambda b: b["items"][0].update(stem_html="<p onclick='x()'>Hi</p><script>x()</script>"),
            "attribute 'onclick' on <p> is not allowed in rich text",
        ),
        (
            lambda b: b["items"][0].update(stem_html="<p>Hi <a href='http://x'>x</a></p>"),
            "<a> is not allowed in rich text",
        ),
        (
            lambda b: b["items"][0].update(images=[{"file": "media/nope.png", "alt": "A chart"}]),
            "picture media/nope.png is not there",
        ),
        (
            lambda b: b["items"][0].update(images=[{"file": "media/nope.png"}]),
            "picture media/nope.png needs alt text",
        ),
        (
            lambda b: b["items"][0].update(images=[{"file": "../secret.png", "alt": "x"}]),
            "images.0.file: String should match pattern",
        ),
        (
            lambda b: b["items"][0].update(images=[{"file": "media/../../secret.png", "alt": "x"}]),
            "picture media/../../secret.png is not there",
        ),
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
    assert any("duplicate key 'unit'" in str(p) for p in check(tmp_path)[1])


def test_an_empty_directory_is_a_problem(tmp_path: Path) -> None:
    assert [p.message for p in check(tmp_path)[1]] == ["no qualification.yaml found"]


def test_published_json_schemas_are_current() -> None:
    from app.banks.service import json_schemas

    for name, text in json_schemas().items():
        published = ROOT / "question_banks" / "schema" / name
        assert published.read_text() == text, f"run `examhall banks schema` to refresh {name}"


def test_pictures_beside_the_bank_with_alt_text_are_clean_and_none_may_escape(
    tmp_path: Path,
) -> None:
    folder = tmp_path / builder.CODE.replace("/", "-")
    (folder / "units" / "media").mkdir(parents=True)
    (folder / "units" / "media" / "chart.png").write_bytes(builder.PNG)
    (folder / "units" / "media" / "page.png").write_bytes(b"<svg onload='x()'/>")
    (folder / "secret.png").write_bytes(builder.PNG)  # exists, but outside the bank's folder
    bank = builder.unit_bank(builder.UNIT_A)
    bank["items"][0]["images"] = [{"file": "media/chart.png", "alt": "A bar chart of calls"}]
    bank["items"][0]["stem_html"] = (
        "<p>Look at <em>the chart</em>:</p><ul><li>calls</li></ul>"
        "<table><tr><th scope='col'>H<sub>2</sub>O</th></tr><tr><td>x<sup>2</sup></td></tr></table>"
    )
    assert problems_for(tmp_path, bank) == []
    bank["items"][0]["images"] = [{"file": "media/../../secret.png", "alt": "x"}]
    assert any(
        "picture media/../../secret.png is not there" in p for p in problems_for(tmp_path, bank)
    )
    bank["items"][0]["images"] = [{"file": "media/page.png", "alt": "x"}]
    assert any("is not a PNG, JPEG, GIF or WebP picture" in p for p in problems_for(tmp_path, bank))


def _distractors(item: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in item["options"] if o["id"] != item["key"]]


def _key(item: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in item["options"] if o["id"] == item["key"])


def test_absolutes_ratio_per_unit(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)  # 12 items: 12 keys, 36 distractors
    for item in bank["items"][:4]:  # 4 keys of 12 (33.3%) carry an absolute
        _key(item)["text"] += " always"
    # 15 distractors of 36 (41.7%) is 1.25 times 33.3%: within 1.3 times
    distractors = [o for item in bank["items"] for o in _distractors(item)]
    for option in distractors[:15]:
        option["text"] += " never"
    assert not [p for p in problems_for(tmp_path, bank) if "absolute" in p]
    # 16 of 36 (44.4%) is 1.33 times: over
    distractors[15]["text"] += " only"
    [problem] = [p for p in problems_for(tmp_path, bank) if "absolute" in p]
    assert "44.4% of distractors (16 of 36) and 33.3% of keys (4 of 12)" in problem
    assert "avoiding the absolute finds the key" in problem
    assert "review: " in problem and f"{bank['items'][0]['id']}/" in problem


def test_absolutes_only_in_keys_are_the_reverse_cue(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)  # 12 items
    for item in bank["items"][:2]:  # 2 keys of 12 against no distractor (floored at 1 of 12)
        _key(item)["text"] += " always"
    [problem] = [p for p in problems_for(tmp_path, bank) if "absolute" in p]
    assert "the absolute points at the key" in problem
    _distractors(bank["items"][5])[0]["text"] += " never"
    _distractors(bank["items"][6])[0]["text"] += " only"  # 2 of 36 (5.6%): 16.7% is 3x that
    assert [p for p in problems_for(tmp_path, bank) if "absolute" in p]
    for item in bank["items"][7:10]:  # 5 of 36 (13.9%): 16.7% is 1.2 times that
        _distractors(item)[0]["text"] += " every day"
    assert not [p for p in problems_for(tmp_path, bank) if "absolute" in p]


def test_absolutes_with_no_key_to_compare_count_one(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    distractors = [o for item in bank["items"] for o in _distractors(item)]
    for option in distractors[:3]:  # 3 of 36 = 8.3%, under 1.3 x 1 of 12 = 10.8%
        option["text"] += " every time"
    assert not [p for p in problems_for(tmp_path, bank) if "absolute" in p]
    distractors[3]["text"] += " at all"  # 4 of 36 = 11.1%: over
    [problem] = [p for p in problems_for(tmp_path, bank) if "absolute" in p]
    assert "(4 of 36) and 0.0% of keys (0 of 12)" in problem


def test_the_key_alone_echoing_the_stem_is_reported_at_the_item(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    item = bank["items"][5]
    item["stem"] = "Nia must keep the caller informed about a delayed parcel. What should she do?"
    _key(item)["text"] = "Tell the caller when the delayed parcel will come"
    [problem] = [p for p in problems_for(tmp_path, bank) if "repeats the stem" in p]
    assert f"{item['id']}: only the key repeats the stem's 'delayed, parcel'" in problem
    path = tmp_path / "999-0000-1/units/A-100-0001.yaml"
    line = int(problem.split(":")[1])
    assert "stem:" in path.read_text().splitlines()[line - 1]
    _distractors(item)[0]["text"] = "Say the parcel is lost and offer a refund"
    _distractors(item)[1]["text"] = "Say sorry that it is delayed"
    assert not [p for p in problems_for(tmp_path, bank) if "repeats the stem" in p]


def test_final_punctuation_within_an_item_and_across_a_unit(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    bank["items"][0]["options"][1]["text"] += "."
    found = problems_for(tmp_path, bank)
    assert any("-000: some options end with a full stop and some do not" in p for p in found)
    for item in bank["items"][:5]:  # 5 of 12 items end with full stops: against the unit
        for option in item["options"]:
            option["text"] = option["text"].rstrip(".") + "."
    found = [p for p in problems_for(tmp_path, bank) if "full stop" in p]
    assert len(found) == 5
    assert all("but most items of this unit have no final full stop" in p for p in found)
    for item in bank["items"][5:7]:  # now 7 of 12 end with full stops: the other 5 are out
        for option in item["options"]:
            option["text"] += "."
    found = [p for p in problems_for(tmp_path, bank) if "full stop" in p]
    assert len(found) == 5
    assert all("do not end with a full stop, but most items" in p for p in found)


def test_near_duplicates_across_units_are_reported_on_both_sides(tmp_path: Path) -> None:
    banks = builder.banks()
    a, b = banks[builder.UNIT_A]["items"][2], banks[builder.UNIT_B]["items"][7]
    b["stem"] = a["stem"].replace("Question", "Item")
    _key(b)["text"] = _key(a)["text"]
    builder.write(tmp_path, units=banks)
    found = [str(p) for p in check(tmp_path)[1] if "near duplicate" in p.message]
    assert len(found) == 2
    assert any(
        f"{a['id']}: near duplicate of {b['id']} in unit {builder.UNIT_B}" in p for p in found
    )
    assert any(
        f"{b['id']}: near duplicate of {a['id']} in unit {builder.UNIT_A}" in p for p in found
    )
    banks[builder.UNIT_A]["items"][2]["stem"] = "Question about something else entirely: which?"
    builder.write(tmp_path, units=banks)
    assert not [p for p in check(tmp_path)[1] if "near duplicate" in p.message]


def test_review_findings_are_not_blocking_problems(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)
    bank["items"][0]["options"][1]["text"] += "."
    builder.write(
        tmp_path, units={builder.UNIT_A: bank, builder.UNIT_B: builder.unit_bank(builder.UNIT_B)}
    )
    problems = check(tmp_path)[1]
    assert problems and all(p.review for p in problems)
    bank["items"][0]["key"] = "zzzz"
    builder.write(
        tmp_path, units={builder.UNIT_A: bank, builder.UNIT_B: builder.unit_bank(builder.UNIT_B)}
    )
    assert any(not p.review for p in check(tmp_path)[1])


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


def test_a_strategy_that_finds_keys_more_than_1_4_times_chance_is_reported(
    tmp_path: Path,
) -> None:
    bank = builder.unit_bank(builder.UNIT_A, per_criterion=8)  # 24 items, options of one length

    def shortest_key(count: int) -> list[str]:
        for item in bank["items"][:count]:
            _key(item)["text"] = "Ok P"
        return [p for p in problems_for(tmp_path, bank) if "finds the key" in p]

    # Key shortest in 3 items, every option tied in the other 21: (3 + 21/4) / 24 = 34.4 %
    assert shortest_key(3) == []
    # In 4: (4 + 20/4) / 24 = 37.5 %, over 1.4 times a chance of 25 % (35 %)
    [problem] = shortest_key(4)
    assert "'pick the shortest' finds the key in 38% of live items (chance 25%; at most 35%)" in (
        problem
    )
    assert "review: " in problem and bank["items"][0]["id"] in problem
    assert bank["items"][4]["id"] not in problem  # a tie is not a find


def test_too_few_items_for_a_strategy_share_are_not_judged(tmp_path: Path) -> None:
    bank = builder.unit_bank(builder.UNIT_A)  # 12 items
    for item in bank["items"]:
        _key(item)["text"] = "Ok P"
    assert not [p for p in problems_for(tmp_path, bank) if "finds the key" in p]
