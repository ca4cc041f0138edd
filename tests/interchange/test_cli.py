"""`examhall banks import` and `banks export` as a user runs them: the contract's --json
document, exit codes, the bank file written, mapping, and validate/load agreeing on drafts."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy.orm import Session

from app.banks.schemas import UnitBankFile
from app.banks.service import BankProblems, check, load_dir
from app.cli import main
from app.clock import MovableClock
from app.config import get_settings
from tests.banks import builder

FIXTURES = Path(__file__).parent.parent / "fixtures" / "interop"
BANKS = Path(__file__).resolve().parents[2] / "question_banks"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_report_is_exactly_the_contract_document(tmp_path: Path) -> None:
    out = tmp_path / "D-601-7644.yaml"
    code, stdout, stderr = run(
        "banks", "import", str(FIXTURES / "qti21/qtiworks_WebDeveloperTest1/template_test1.xml"),
        "--unit", "D/601/7644", "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    document = json.loads(stdout)  # stdout is one JSON document and nothing else
    assert set(document) == {"imported", "skipped"}
    first = document["imported"][0]
    assert {"source", "source_id", "stem", "options", "key"} <= set(first)
    assert first["source"].endswith("question1.xml")
    assert first["stem"].startswith("Question 1 From what you have learned")
    assert [o["text"] for o in first["options"]] == [".xml", ".php", ".html"]
    key_text = next(o["text"] for o in first["options"] if o["id"] == first["key"])
    assert key_text == ".html"
    assert all(set(s) >= {"source", "source_id", "kind", "reason"} for s in document["skipped"])
    assert [s["kind"] for s in document["skipped"]] == [
        "multiple response",
        "composite",
        "multiple response",
    ]
    # the file holds the same items, as drafts, with the same ids and keys
    bank = yaml.safe_load(out.read_text())
    assert bank["unit"] == "D/601/7644"
    assert [i["status"] for i in bank["items"]] == ["draft"] * 6
    assert [(i["stem"], i["key"]) for i in bank["items"]] == [
        (row["stem"], row["key"]) for row in document["imported"]
    ]
    assert (out.parent / bank["items"][3]["images"][0]["file"]).is_file()


def test_an_unreadable_source_exits_non_zero_and_writes_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<quiz>\n<question type='multichoice'>\n</quiz>\n")
    out = tmp_path / "bank.yaml"
    code, stdout, stderr = run(
        "banks", "import", str(FIXTURES / "gift/moodle_questions.gift.txt"), str(broken),
        "--unit", "D/601/7644", "--out", str(out), "--json",
    )  # fmt: skip
    assert code != 0
    # with --json, stdout is one JSON document on failure too; the message stays on stderr
    assert json.loads(stdout) == {
        "error": {
            "source": str(broken),
            "line": 3,
            "message": json.loads(stdout)["error"]["message"],
        }
    }
    assert json.loads(stdout)["error"]["message"] in stderr
    assert f"{broken}:3:" in stderr and "nothing was written" in stderr
    assert not out.exists()


def test_json_failure_without_a_line_and_for_an_output(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, stdout, _ = run(
        "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"), "--unit", "D/601/7644",
        "--out", str(tmp_path / "file" / "b.yaml"), "--json",
    )  # fmt: skip
    assert code == 1
    error = json.loads(stdout)["error"]
    assert error["source"] == str(tmp_path / "file" / "b.yaml") and error["line"] is None
    assert error["message"].startswith("cannot be written")


def test_a_missing_source_is_named(tmp_path: Path) -> None:
    code, _, stderr = run(
        "banks", "import", str(tmp_path / "nope.zip"), "--unit", "D/601/7644",
        "--out", str(tmp_path / "b.yaml"),
    )  # fmt: skip
    assert code != 0 and "nope.zip" in stderr


def test_importing_again_replaces_rather_than_duplicates(tmp_path: Path) -> None:
    out = tmp_path / "D-601-7644.yaml"
    args = ["banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"),
            "--unit", "D/601/7644", "--out", str(out), "--json"]  # fmt: skip
    first = json.loads(run(*args)[1])
    second = json.loads(run(*args)[1])
    assert first == second
    assert len(yaml.safe_load(out.read_text())["items"]) == 4


def _mapping(tmp_path: Path, rules: list[dict[str, Any]], unit: str | None = None) -> Path:
    path = tmp_path / "map.yaml"
    body: dict[str, Any] = {"map": rules}
    if unit:
        body["unit"] = unit
    path.write_text(yaml.safe_dump(body))
    return path


def test_mapping_gives_criteria_most_specific_first(tmp_path: Path) -> None:
    source = tmp_path / "q.gift"
    source.write_text(
        "$CATEGORY: $course$/top/Law\n\n"
        "::L1:: Which act gives the statement of terms? {=ERA 1996 ~HSWA 1974 ~DPA 2018}\n\n"
        "$CATEGORY: $course$/top/Law/Privacy\n\n"
        "::P1:: Which law covers personal data? {=DPA 2018 ~ERA 1996 ~HSWA 1974}\n\n"
        "// [tag:safety]\n"
        "::P2:: Which law covers safety at work? {=HSWA 1974 ~ERA 1996 ~DPA 2018}\n\n"
        "::P3:: Which one names this rule? {=by id ~not ~neither}\n"
    )
    mapping = _mapping(
        tmp_path,
        [
            {"category": "Law", "criterion": "01.01"},
            {"category": "Law/Privacy", "criterion": "02.01"},
            {"tag": "safety", "criterion": "03.01"},
            {"id": "P3", "criterion": "04.01"},
        ],
        unit="D/601/7644",
    )
    out = tmp_path / "D-601-7644.yaml"
    code, _, stderr = run(
        "banks", "import", str(source), "--unit", "D/601/7644", "--out", str(out),
        "--map", str(mapping), "--json",
    )  # fmt: skip
    assert code == 0, stderr
    items = yaml.safe_load(out.read_text())["items"]
    assert [(i["source"]["id"], i.get("criterion")) for i in items] == [
        ("L1", "01.01"),
        ("P1", "02.01"),
        ("P2", "03.01"),
        ("P3", "04.01"),
    ]
    assert [i["status"] for i in items] == ["draft"] * 4
    assert "4 imported as drafts (4 with a criterion)" in stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("map:\n  - category: X\n    criterion: '1.1'\n", "map.0.criterion"),
        ("map:\n  - category: X\n    tag: y\n    criterion: '01.01'\n", "exactly one of"),
        ("unit: A/100/0001\nmap:\n  - id: X\n    criterion: '01.01'\n", "not D/601/7644"),
        ("map: [\n", "not valid YAML"),
    ],
)
def test_a_bad_mapping_file_is_refused_with_its_line(
    tmp_path: Path, content: str, message: str
) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(content)
    code, _, stderr = run(
        "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"), "--unit", "D/601/7644",
        "--out", str(tmp_path / "b.yaml"), "--map", str(mapping),
    )  # fmt: skip
    assert code != 0 and message in stderr and f"{mapping}:" in stderr
    assert not (tmp_path / "b.yaml").exists()


def test_validate_and_load_agree_on_imported_drafts(
    db: Session, tmp_path: Path, clock: MovableClock
) -> None:
    """Every imported draft without a criterion is named by validate; load refuses exactly
    when validate does, and loads once the author has finished the items."""
    root = builder.write(tmp_path / "banks")
    out = next(root.rglob("A-100-0001.yaml"))
    code, stdout, _ = run(
        "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"),
        "--unit", builder.UNIT_A, "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0
    imported = [row["item_id"] for row in json.loads(stdout)["imported"]]
    _, problems = check(root)
    messages = [p.message for p in problems]
    for item_id in imported:
        assert f"{item_id}: needs a criterion before it can be loaded" in " ".join(messages)
    with pytest.raises(BankProblems):
        load_dir(db, root, clock.now())
    # the author finishes the drafts: criterion, four options, a why for each distractor...
    bank = yaml.safe_load(out.read_text())
    drafts = [item for item in bank["items"] if item["id"] in imported]
    for n, item in enumerate(drafts):
        item["criterion"] = "01.01"
        item["stem"] = f"Finished draft {n}: which of these is the best answer here?"
        while len(item["options"]) < 4:
            extra = len(item["options"])
            item["options"].append({"id": f"zq{'abcdefgh'[n]}{'pqrs'[extra]}", "text": f"x{extra}"})
        for option in item["options"]:
            if option["id"] != item["key"]:
                option["why"] = "It is not the best answer."
        item["rationale"] = "The source says so."
    out.write_text(yaml.safe_dump(bank, sort_keys=False, allow_unicode=True))
    _, problems = check(root)
    assert problems == []
    reports = load_dir(db, root, clock.now())
    assert sum(len(r.added) for r in reports) == 24 + len(imported)


def test_export_then_import_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("EXAMHALL_ENV", "development")
    get_settings.cache_clear()
    try:
        banks = tmp_path / "qb"
        shutil.copytree(BANKS, banks)
        assert run("db", "upgrade")[0] == 0
        assert run("banks", "load", str(banks))[0] == 0
        package = tmp_path / "D-601-7644.zip"
        code, _, stderr = run(
            "banks", "export", "D/601/7644", "--format", "qti3", "--out", str(package)
        )
        assert code == 0, stderr
        code, stdout, stderr = run(
            "banks", "import", str(package), "--unit", "D/601/7644",
            "--out", str(tmp_path / "back.yaml"), "--json",
        )  # fmt: skip
        assert code == 0, stderr
        document = json.loads(stdout)
        source = yaml.safe_load((banks / "600-8065-6/units/D-601-7644.yaml").read_text())
        live = [i for i in source["items"] if i["status"] == "live"]
        assert document["skipped"] == []
        assert [
            (r["stem"], r["options"], r["key"], r["criterion"]) for r in document["imported"]
        ] == [
            (
                " ".join(i["stem"].split()),
                [{"id": o["id"], "text": o["text"]} for o in i["options"]],
                i["key"],
                i["criterion"],
            )
            for i in sorted(live, key=lambda i: i["id"])
        ]
        assert run("banks", "export", "Z/999/9999", "--out", str(tmp_path / "z.zip"))[0] != 0
        for out in _unwritable_outs(tmp_path):  # one line naming the path, nothing left
            before = sorted(tmp_path.rglob("*"))
            result = CliRunner().invoke(main, ["banks", "export", "D/601/7644", "--out", str(out)])
            assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and str(out) in lines[0] and "cannot be written" in lines[0]
            assert sorted(tmp_path.rglob("*")) == before
    finally:
        get_settings.cache_clear()


def _unwritable_outs(tmp_path: Path) -> list[Path]:
    (tmp_path / "real.yaml").write_text("a file, not a folder\n")
    outs = [tmp_path / "real.yaml" / "x.yaml"]  # FileExistsError / NotADirectoryError
    if Path("/proc/self").is_dir():
        outs.append(Path("/proc/x.yaml"))  # the folder exists; its .tmp cannot be made
    return outs


def test_an_out_that_cannot_be_written_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    source = tmp_path / "src" / "item.xml"
    source.parent.mkdir()
    picture_item = FIXTURES / "qti21/qtiworks_WebDeveloperTest1"
    shutil.copytree(picture_item, source.parent, dirs_exist_ok=True)  # an item with a picture
    for out in _unwritable_outs(tmp_path):
        before = sorted(tmp_path.rglob("*"))
        result = CliRunner().invoke(
            main,
            ["banks", "import", str(source.parent), "--unit", "D/601/7644", "--out", str(out)],
        )
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)  # no traceback
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and str(out) in lines[0], lines
        assert "Not a directory" in lines[0] or "No such file" in lines[0] or "exists" in lines[0]
        assert sorted(tmp_path.rglob("*")) == before  # nothing left behind, media neither


def test_a_question_too_long_for_a_bank_item_is_skipped_and_the_rest_imported(
    tmp_path: Path,
) -> None:
    source = tmp_path / "q.gift"
    source.write_text(
        f"::Long stem:: {'word ' * 801}? {{=a ~b ~c}}\n\n"
        f"::Long option:: Which? {{=a ~{'b' * 601} ~c}}\n\n"
        "::Fine:: Which is fine? {=this ~not this ~nor this}\n"
    )
    out = tmp_path / "bank.yaml"
    code, stdout, stderr = run(
        "banks", "import", str(source), "--unit", "D/601/7644", "--out", str(out), "--json"
    )
    assert code == 0, stderr
    document = json.loads(stdout)
    assert [row["source_id"] for row in document["imported"]] == ["Fine"]
    assert [(s["source"], s["source_id"], s["kind"], s["reason"]) for s in document["skipped"]] == [
        (str(source), "Long stem", "too long", "stem longer than 4,000 characters"),
        (str(source), "Long option", "too long", "option 2 longer than 600 characters"),
    ]
    assert "configuration" not in stderr
    assert [i["source"]["id"] for i in yaml.safe_load(out.read_text())["items"]] == ["Fine"]


def test_an_existing_bank_file_that_is_not_valid_is_named_not_a_configuration_error(
    tmp_path: Path,
) -> None:
    out = tmp_path / "bank.yaml"
    out.write_text(
        "unit: D/601/7644\ntest_spec: {items: 1, duration_minutes: 1, pass_mark_percent: 50,"
        " reasoning: x}\nitems:\n  - id: X1\n    status: draft\n    stem: Which?\n"
        "    options: [{id: aaaa, text: a}, {id: bbbb, text: b}]\n    key: zzzz\n"
    )
    before = out.read_text()
    code, _, stderr = run(
        "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"), "--unit", "D/601/7644",
        "--out", str(out),
    )  # fmt: skip
    assert code == 1
    assert "configuration" not in stderr and f"{out}:4:" in stderr and "key" in stderr, stderr
    assert out.read_text() == before


def _nothing_sources(tmp_path: Path) -> list[Path]:
    empty = tmp_path / "empty.gift"
    empty.write_text("// only a comment\n\n$CATEGORY: x\n")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.md").write_text("no questions here\n")
    package = tmp_path / "readme.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("README.txt", "")
    return [empty, folder, package]


def test_a_source_with_no_questions_at_all_is_refused_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "bank.yaml"
    for source in _nothing_sources(tmp_path):
        code, _, stderr = run(
            "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"), str(source),
            "--unit", "D/601/7644", "--out", str(out),
        )  # fmt: skip
        assert code == 1, stderr
        assert f"{source}: no questions found" in stderr
        assert not out.exists()


def test_only_skipped_questions_write_an_empty_bank_and_leave_an_existing_one(
    tmp_path: Path,
) -> None:
    """The contract: exit 0 when the sources were read, and a unit bank file written; with
    every question skipped it holds no items (and says so); an existing bank is left as is."""
    source = tmp_path / "q.gift"
    source.write_text("::E:: Write an essay. {}\n")
    out = tmp_path / "bank.yaml"
    args = ("banks", "import", str(source), "--unit", "D/601/7644", "--out", str(out), "--json")
    code, stdout, stderr = run(*args)
    assert code == 0
    assert [s["kind"] for s in json.loads(stdout)["skipped"]] == ["essay"]
    assert yaml.safe_load(out.read_text())["items"] == []
    assert "0 imported" in stderr and "no question could be imported" in stderr
    out.write_text(out.read_text() + "# a reviewer's note\n")
    before = out.read_bytes()
    code, _, stderr = run(*args)
    assert code == 0 and out.read_bytes() == before
    assert "nothing was written" in stderr


def test_a_unit_in_no_qualification_is_imported_with_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "bank.yaml"
    code, stdout, stderr = run(
        "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"), "--unit", "Z/999/9999",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert code == 0 and len(json.loads(stdout)["imported"]) == 4
    assert yaml.safe_load(out.read_text())["unit"] == "Z/999/9999"
    assert "Z/999/9999 is not a unit of any qualification" in stderr
    assert "qualification.yaml" in stderr and "banks validate" in stderr


def test_the_criterion_survives_export_then_import(tmp_path: Path) -> None:
    """Export writes the criterion as the item's label; importing into a unit that has that
    criterion gives it back (and only then)."""
    from app.interchange import export

    root = builder.write(tmp_path / "banks")
    out = next(root.rglob("A-100-0001.yaml"))
    items = [
        export.ExportItem(
            id=f"A1000001-10{n}",
            criterion=criterion,
            stem=f"Which answer is the right one for question {n}?",
            options=[(f"aa{n + 2}b", "Right"), (f"cc{n + 2}d", "Wrong"), (f"ee{n + 2}f", "Nor")],
            key=f"aa{n + 2}b",
        )
        for n, criterion in enumerate(["01.02", "02.01", "09.09"])
    ]
    package = tmp_path / "A.zip"
    package.write_bytes(export.package(builder.UNIT_A, items))
    code, stdout, stderr = run(
        "banks", "import", str(package), "--unit", builder.UNIT_A, "--out", str(out), "--json"
    )
    assert code == 0, stderr
    got = [
        (r["item_id"], r["stem"], r["options"], r["key"], r["criterion"])
        for r in json.loads(stdout)["imported"]
    ]
    assert got == [
        (i.id, i.stem, [{"id": o, "text": t} for o, t in i.options], i.key, c)
        for i, c in zip(items, ["01.02", "02.01", None], strict=True)  # 09.09: not of this unit
    ]
    written = {i["id"]: i.get("criterion") for i in yaml.safe_load(out.read_text())["items"]}
    assert [written[i.id] for i in items] == ["01.02", "02.01", None]


def test_option_ids_are_unpredictable_yet_stable_when_importing_again(tmp_path: Path) -> None:
    """Fresh option ids come from a random source, not from the item id (which anyone can
    work out): they cannot tell the key's position in the source. Importing again into the
    same bank file keeps each option's id (matched by its text), so nothing churns."""
    source = FIXTURES / "gift/giftpegjs/mc5.gift"

    def ids(out: Path) -> list[list[str]]:
        code, stdout, stderr = run(
            "banks", "import", str(source), "--unit", "D/601/7644", "--out", str(out), "--json"
        )
        assert code == 0, stderr
        return [[o["id"] for o in row["options"]] for row in json.loads(stdout)["imported"]]

    first, elsewhere = ids(tmp_path / "a.yaml"), ids(tmp_path / "b.yaml")
    assert first != elsewhere  # same items, same item ids, other option ids
    assert ids(tmp_path / "a.yaml") == first
    # an option whose text changed gets a fresh id; the others keep theirs
    changed = tmp_path / "c.gift"
    changed.write_text(source.read_text().replace("~Jefferson", "~Lincoln"))
    out = tmp_path / "a.yaml"
    _, stdout, _ = run(
        "banks", "import", str(changed), "--unit", "D/601/7644", "--out", str(out), "--json"
    )
    again = [[o["id"] for o in row["options"]] for row in json.loads(stdout)["imported"]]
    assert again[1:] == first[1:]
    assert again[0][0] == first[0][0] and again[0][2] == first[0][2]
    assert again[0][1] != first[0][1]


def test_importing_into_a_bank_file_appends_and_leaves_the_rest_byte_for_byte(
    tmp_path: Path,
) -> None:
    banks = tmp_path / "qb"
    shutil.copytree(BANKS / "600-8065-6", banks / "600-8065-6")
    out = banks / "600-8065-6/units/D-601-7644.yaml"
    before = out.read_text(encoding="utf-8")
    assert "\n# " in before or "  # " in before or before.startswith("#")  # it has comments
    args = ["banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"),
            "--unit", "D/601/7644", "--out", str(out), "--json"]  # fmt: skip
    code, stdout, stderr = run(*args)
    assert code == 0, stderr
    after = out.read_text(encoding="utf-8")
    assert after.startswith(before)  # every existing byte, comments included, untouched
    added = yaml.safe_load(after)["items"][len(yaml.safe_load(before)["items"]) :]
    assert [i["id"] for i in added] == [r["item_id"] for r in json.loads(stdout)["imported"]]
    assert yaml.safe_load(after) == {
        **yaml.safe_load(before),
        "items": yaml.safe_load(before)["items"] + added,
    }
    UnitBankFile.model_validate(yaml.safe_load(after))
    # importing the same again replaces those items in place: the file does not change
    assert run(*args)[0] == 0
    assert out.read_text(encoding="utf-8") == after


def test_a_bank_file_whose_layout_does_not_allow_adding_text_is_written_whole_and_said(
    tmp_path: Path,
) -> None:
    out = tmp_path / "bank.yaml"
    out.write_text(
        "unit: D/601/7644\n# placeholders\ntest_spec: {items: 1, duration_minutes: 1,"
        " pass_mark_percent: 50, reasoning: x}\nitems: []\n"
    )
    code, _, stderr = run(
        "banks", "import", str(FIXTURES / "gift/giftpegjs/mc5.gift"), "--unit", "D/601/7644",
        "--out", str(out),
    )  # fmt: skip
    assert code == 0 and "written whole" in stderr
    assert len(yaml.safe_load(out.read_text())["items"]) == 4
