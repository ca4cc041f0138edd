"""A question whose content a bank item cannot hold (maths, drawings, sound, video, embedded
frames) is never imported with that content silently gone: it is imported (the contract imports
every single-answer question) and what it lost is said, for its author to complete the draft."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from app.interchange.model import Reading
from app.interchange.sources import read_path

FIXTURES = Path(__file__).parent.parent / "fixtures" / "interop"
MATHML = (
    "<p>Area: <m:math><m:msup><m:mi>x</m:mi><m:mn>2</m:mn></m:msup></m:math> H<sub>2</sub>O</p>"
)


def _moodle(tmp_path: Path, stem: str, answer: str = "Right") -> Reading:
    path = tmp_path / "q.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n<question type="multichoice">\n'
        "<name><text>Q1</text></name>\n"
        f'<questiontext format="html"><text><![CDATA[{stem}]]></text></questiontext>\n'
        "<single>true</single>\n"
        f'<answer fraction="100" format="html"><text><![CDATA[{answer}]]></text></answer>\n'
        '<answer fraction="0"><text>Wrong</text></answer>\n'
        '<answer fraction="0"><text>Also wrong</text></answer>\n'
        "</question>\n</quiz>\n",
        encoding="utf-8",
    )
    return read_path(path, "auto")


def _qti(tmp_path: Path, body: str, choice: str = "Right") -> Reading:
    path = tmp_path / "item.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" '
        'xmlns:m="http://www.w3.org/1998/Math/MathML" identifier="I1" title="I1">\n'
        '<qti-response-declaration identifier="RESPONSE" cardinality="single" '
        'base-type="identifier"><qti-correct-response><qti-value>A</qti-value>'
        "</qti-correct-response></qti-response-declaration>\n"
        f"<qti-item-body>{body}\n"
        '<qti-choice-interaction response-identifier="RESPONSE" max-choices="1">\n'
        f'<qti-simple-choice identifier="A">{choice}</qti-simple-choice>\n'
        '<qti-simple-choice identifier="B">Wrong</qti-simple-choice>\n'
        '<qti-simple-choice identifier="C">Also wrong</qti-simple-choice>\n'
        "</qti-choice-interaction></qti-item-body>\n"
        '<qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/'
        'rptemplates/match_correct.xml"/>\n</qti-assessment-item>\n',
        encoding="utf-8",
    )
    return read_path(path, "auto")


def _lost(reading: Reading) -> str:
    """What the one question read lost (imported all the same, nothing skipped)."""
    assert reading.skipped == []
    (question,) = reading.questions
    assert question.lost is not None
    return question.lost


def test_mathml_in_a_moodle_stem_is_imported_and_said(tmp_path: Path) -> None:
    lost = _lost(_moodle(tmp_path, MATHML))
    assert lost == "MathML cannot be kept: write the maths as text or a picture"


def test_mathml_in_a_gift_stem_is_imported_and_said(tmp_path: Path) -> None:
    path = tmp_path / "q.gift"
    path.write_text(f"::M:: [html]{MATHML.replace(':', chr(92) + ':')} {{=a ~b ~c}}\n")
    assert _lost(read_path(path, "auto")).startswith("MathML cannot be kept")


def test_mathml_in_a_qti_stem_or_choice_is_imported_and_said(tmp_path: Path) -> None:
    body = "<p>Area: <m:math><m:mi>x</m:mi></m:math></p>"
    assert _lost(_qti(tmp_path, body)).startswith("MathML")
    plain = "<p>Which is the area?</p>"
    assert _lost(_qti(tmp_path, plain, "x <m:math><m:mi>x</m:mi></m:math>")).startswith("MathML")


@pytest.mark.parametrize(
    "markup",
    [
        '<p>Listen <audio src="a.mp3" controls></audio> who speaks?</p>',
        '<p>Watch <video src="a.mp4"></video> what happens?</p>',
        '<p>Look <iframe src="https://example.org/x"></iframe> what is it?</p>',
        '<p>See <object data="x.swf" type="application/x-shockwave-flash"></object> this?</p>',
        '<p>See <embed src="x.swf"> this?</p>',
        '<p>Shape: <svg><circle r="4"/><text>r = 4</text></svg> what is its area?</p>',
    ],
)
def test_media_whose_content_would_vanish_is_said(tmp_path: Path, markup: str) -> None:
    assert "cannot be kept" in _lost(_moodle(tmp_path, markup))


def test_media_in_an_answer_is_said(tmp_path: Path) -> None:
    assert "audio" in _lost(_moodle(tmp_path, "<p>Which?</p>", 'x<audio src="a.mp3"></audio>'))


def test_sound_linked_from_a_moodle_stem_is_said_with_its_name() -> None:
    reading = read_path(FIXTURES / "moodle_xml/moodle_format_xml_multichoice.xml", "auto")
    assert "bonjour.mp3" in _lost(reading)


def test_sound_linked_from_a_gift_stem_is_said_with_its_name() -> None:
    reading = read_path(FIXTURES / "gift/moodle_questions_in_category.gift.txt", "auto")
    (greeting,) = reading.questions
    assert greeting.source_id == "Greeting" and "bonjour.mp3" in (greeting.lost or "")


def test_what_was_lost_reaches_stderr_beside_the_imported_draft(tmp_path: Path) -> None:
    from app.interchange import service

    _moodle(tmp_path, MATHML)  # writes tmp_path / "q.xml"
    source = tmp_path / "q.xml"
    report = service.import_bank([source], unit="D/601/7644", out=tmp_path / "bank.yaml")
    assert [i["stem"] for i in report.items] == ["Area: H2O"]
    assert any("MathML cannot be kept" in n and "imported without it" in n for n in report.notes)


def test_an_ordinary_link_and_a_picture_are_still_imported(tmp_path: Path) -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()
    path = tmp_path / "q.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n<question type="multichoice">\n'
        "<name><text>Q1</text></name>\n"
        '<questiontext format="html"><text><![CDATA[<p>See <a href="https://example.org/law">'
        'the act</a> and <img src="@@PLUGINFILE@@/p.png" alt="a plan">: which?</p>]]></text>'
        f'<file name="p.png" encoding="base64">{png}</file></questiontext>\n'
        '<answer fraction="100"><text>Right</text></answer>\n'
        '<answer fraction="0"><text>Wrong</text></answer>\n'
        "</question>\n</quiz>\n",
        encoding="utf-8",
    )
    reading = read_path(path, "auto")
    assert [q.stem for q in reading.questions] == ["See the act and : which?"]
    assert reading.skipped == []
    # the link's words stay; where it pointed is said, for the author to decide
    assert (reading.questions[0].lost or "").startswith(
        "the link to https://example.org/law cannot be kept"
    )


def test_a_linked_document_is_said_with_its_name(tmp_path: Path) -> None:
    """A trial's Moodle question linking to a PDF lost the PDF with nothing said."""
    stem = '<p>Read <a href="@@PLUGINFILE@@/policy.pdf">the policy</a>: which rule applies?</p>'
    lost = _lost(_moodle(tmp_path, stem))
    assert lost.startswith("the link to policy.pdf cannot be kept")
    assert "its words stay" in lost


def test_a_link_does_not_hide_maths_after_it(tmp_path: Path) -> None:
    stem = '<p>See <a href="https://example.org/law">the act</a>. ' + MATHML[3:]
    assert _lost(_moodle(tmp_path, stem)).startswith("MathML cannot be kept")
