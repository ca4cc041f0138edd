"""The pure reading rules: markup to plain text, markup to the safe subset, GIFT details."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.interchange import gift, text
from app.interchange.model import Question, Skipped


@pytest.mark.parametrize(
    ("markup", "plain"),
    [
        ("<p>a</p><p>b</p>", "a b"),  # blocks separate words
        ("<b>bold</b>er", "bolder"),  # inline elements do not
        ("line<br>break", "line break"),
        ("Tom &amp; Jerry &lt;3 &nbsp; &#8364;5 &eacute;", "Tom & Jerry <3 €5 é"),
        ("  lots \n\t of   space  ", "lots of space"),
        ("<p>x<script>alert(1)</script><style>p{}</style>y</p>", "x y"),
        ("<!-- hidden -->shown", "shown"),
        ("no markup at all", "no markup at all"),
        ("x<m:math><m:mi>y</m:mi></m:math>z", "x z"),  # a prefixed name is no traceback
    ],
)
def test_plain_text(markup: str, plain: str) -> None:
    assert text.html_text(markup) == plain


@pytest.mark.parametrize(
    ("markup", "rich"),
    [
        ("<p>Only a paragraph</p>", None),  # nothing worth keeping beyond the plain text
        ("<p>a<br>b</p>", None),
        ("<p>A <em>word</em></p>", "<p>A <em>word</em></p>"),
        ("<p onclick='x()' style='color:red'>H<sub>2</sub>O</p>", "<p>H<sub>2</sub>O</p>"),
        ("<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>", "<ul><li>a</li><li>b</li></ul>"),
        ("<div><span class='c'>x<strong>y</strong></span></div>", "x<strong>y</strong>"),
        ("<table><tr><th scope='col' onmouseover='x'>h</th></tr></table>",
         '<table><tbody><tr><th scope="col">h</th></tr></tbody></table>'),
        ("<em>a</em><script>b()</script><a href='javascript:c()'>link</a>", "<em>a</em>link"),
        ("<p></p><p><em>x</em></p><p> </p>", "<p><em>x</em></p>"),
    ],
)  # fmt: skip
def test_rich_subset(markup: str, rich: str | None) -> None:
    assert text.rich(markup) == rich


def _one(tmp_path: Path, content: str) -> Question | Skipped:
    source = tmp_path / "q.gift"
    source.write_text(content, encoding="utf-8")
    reading = gift.read(source.read_bytes(), str(source))
    found: list[Question | Skipped] = [*reading.questions, *reading.skipped]
    assert len(found) == 1
    return found[0]


def test_gift_weights_feedback_and_formats(tmp_path: Path) -> None:
    q = _one(
        tmp_path,
        "// comment\n::T1::[markdown]Which is *right*?{\n"
        "  =%100%[plain]<b>this</b> # yes\n  ~%0%that#no\n  ~[html]<i>other</i>\n}\n",
    )
    assert isinstance(q, Question)
    assert q.source_id == "T1" and q.stem == "Which is right?" and q.stem_html is not None
    assert [c.text for c in q.choices] == ["<b>this</b>", "that", "other"]
    assert q.key == 0 and q.line == 2


def test_gift_escapes_and_newlines(tmp_path: Path) -> None:
    q = _one(tmp_path, "::A\\:B:: 2 \\= 1\\+1? Use \\{braces\\}\\n {=yes \\# really ~no ~maybe}\n")
    assert isinstance(q, Question)
    assert q.source_id == "A:B"
    assert q.stem == "2 = 1\\+1? Use {braces}"
    assert [c.text for c in q.choices] == ["yes # really", "no", "maybe"]  # \\# is literal


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ("Q? {=a ~%50%b ~c}", "partial credit"),
        ("Q? {=a =b ~c}", "multichoice"),
        ("Q? {~%50%a ~%50%b ~c}", "multiple response"),
        ("Q? {=a =b}", "shortanswer"),
        ("Q? {TRUE}", "truefalse"),
        ("Q? {#5:1}", "numerical"),
        ("Q? {}", "essay"),
        ("Q? {=a -> b =c -> d}", "matching"),
        ("Just some text.", "description"),
    ],
)
def test_gift_kinds_that_are_skipped(tmp_path: Path, content: str, kind: str) -> None:
    found = _one(tmp_path, content + "\n")
    assert isinstance(found, Skipped) and found.kind == kind and found.reason


def test_gift_with_no_correct_answer_says_so(tmp_path: Path) -> None:
    found = _one(tmp_path, "Q? {~a ~b ~c}\n")
    assert isinstance(found, Skipped)
    assert found.kind == "no correct option"
    assert found.reason == "no answer is marked '=' (correct): there is no correct option"


def _read_gift(tmp_path: Path, content: str) -> tuple[list[Question], list[Skipped]]:
    path = tmp_path / "q.gift"
    path.write_text(content, encoding="utf-8")
    reading = gift.read(path.read_bytes(), str(path))
    return reading.questions, reading.skipped


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("::A:: First {=a ~b ~c}\n::B:: Second {=d ~e ~f}\n", 2),  # the tester's file
        ("First {=a ~b ~c}\nSecond {=d ~e ~f}\n", 2),  # a second answer block
        ("::A:: First {\n=a\n~b\n}\n// a comment\n::B:: Second {=d ~e ~f}\n", 6),
        ("::A:: Just a description\n::B:: Second {=d ~e ~f}\n", 2),
        ("$CATEGORY: x\nFirst {=a ~b ~c}\nSecond {=d ~e ~f}\n", 3),
    ],
)
def test_gift_two_questions_without_a_blank_line_are_refused_not_merged(
    tmp_path: Path, content: str, line: int
) -> None:
    questions, skipped = _read_gift(tmp_path, "::Z:: Before {=x ~y ~z}\n\n" + content)
    assert [q.source_id for q in questions] == ["Z"]  # the rest of the file is read
    assert len(skipped) == 1
    assert skipped[0].line == 3 + (1 if content.startswith("$") else 0)
    assert f"line {line + 2} starts a second question" in skipped[0].reason
    assert "without a blank line between them?" in skipped[0].reason
    assert "First" not in skipped[0].reason


@pytest.mark.parametrize(
    "content",
    [
        "Grant is {~buried =entombed ~living} in Grant's tomb.\n",  # missing word
        "Grant is {\n~buried\n=entombed\n~living\n}\nin Grant's tomb.\n",
        "::T:: Use \\{braces\\} {=a ~b\n~c}\n",  # escaped braces are text
    ],
)
def test_gift_text_after_an_answer_block_is_still_a_missing_word(
    tmp_path: Path, content: str
) -> None:
    questions, skipped = _read_gift(tmp_path, content)
    assert skipped == [] and len(questions) == 1


def test_gift_negative_weight_on_a_wrong_answer_keeps_the_key(tmp_path: Path) -> None:
    q = _one(tmp_path, "Which? {=right ~%-50%wrong ~other}\n")
    assert isinstance(q, Question) and q.choices[q.key].text == "right"


def test_gift_question_right_after_a_category_line_is_not_lost(tmp_path: Path) -> None:
    q = _one(tmp_path, "$CATEGORY: $course$/top/Unit 1: Law\n::L1:: Which act? {=ERA ~DPA ~HSWA}\n")
    assert isinstance(q, Question)
    assert q.category == "Unit 1: Law" and q.source_id == "L1" and q.line == 2


MOODLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Law/Privacy</text></category></question>
  <question type="multichoice">
    <name><text>GDPR basis</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Which is a <em>lawful</em> basis?</p>]]></text>
    </questiontext>
    <idnumber>LAW-7</idnumber>
    <single>true</single>
    <answer fraction="0"><text>Curiosity</text></answer>
    <answer fraction="100"><text>Consent &amp; contract</text></answer>
    <answer fraction="-33.3"><text>Habit</text></answer>
    <tags><tag><text>gdpr</text></tag><tag><text>data</text></tag></tags>
  </question>
</quiz>
"""


def test_moodle_category_tags_idnumber_and_a_negative_wrong_answer(tmp_path: Path) -> None:
    from app.interchange.sources import read_path

    source = tmp_path / "quiz.xml"
    source.write_text(MOODLE, encoding="utf-8")
    reading = read_path(source, "moodle")
    [q] = reading.questions
    assert (q.source_id, q.category, q.tags) == ("GDPR basis", "Law/Privacy", ["gdpr", "data"])
    assert q.identifiers == ["LAW-7", "GDPR basis"] and q.line == 4
    assert q.stem == "Which is a lawful basis?"
    assert q.stem_html == "<p>Which is a <em>lawful</em> basis?</p>"
    assert [c.text for c in q.choices] == ["Curiosity", "Consent & contract", "Habit"]
    assert q.key == 1
