"""Every interop fixture read as checked by hand: stems, options, the key the source gives, and
every question that is skipped with its kind. The fixtures are third-party files (see
tests/fixtures/interop/SOURCES.md); the key is the one the source says, even where it looks
wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.interchange.model import Reading, Unreadable
from app.interchange.sources import read_path

FIXTURES = Path(__file__).parent.parent / "fixtures" / "interop"

# (source_id, stem, options in source order, the key's text)
Imported = tuple[str, str, list[str], str]


def read(relative: str, fmt: str = "auto") -> Reading:
    return read_path(FIXTURES / relative, fmt)


def imported(reading: Reading) -> list[Imported]:
    return [
        (q.source_id, q.stem, [c.text for c in q.choices], q.choices[q.key].text)
        for q in reading.questions
    ]


def skipped(reading: Reading) -> list[tuple[str, str]]:
    return [(s.source_id, s.kind) for s in reading.skipped]


# --- QTI 2.1 --------------------------------------------------------------------------------


def test_qti21_choice_with_feedback_custom_processing_key_from_correct_response() -> None:
    reading = read("qti21/qtiworks_choice-feedback.xml")
    assert imported(reading) == [
        (
            "choice",
            "Which of the following colours are blue?",
            ["Blue", "Red", "Yellow", "Green"],
            "Blue",
        )
    ]
    assert reading.questions[0].format == "qti21"


@pytest.mark.parametrize(
    ("name", "source_id"),
    [("qtiworks_choice-min.xml", "choice"), ("qtiworks_ghfrench-01-vaux.xml", "ghfrench-01-vaux")],
)
def test_qti21_multiple_response_is_skipped(name: str, source_id: str) -> None:
    reading = read(f"qti21/{name}")
    assert reading.questions == []
    assert skipped(reading) == [(source_id, "multiple response")]


def test_qti21_test_file_reads_its_items_in_order() -> None:
    reading = read("qti21/qtiworks_WebDeveloperTest1/template_test1.xml")
    assert imported(reading) == [
        (
            "choice",
            "Question 1 From what you have learned so far, what file extension is required in "
            "order to view your webpage in a web browser?",
            [".xml", ".php", ".html"],
            ".html",
        ),
        (
            "choice",
            "Question 2 What is the notation required to create a link to another page?",
            [
                '<a href = "myimage.html">Link to my page</a>',
                '<a = "myimage.html">Link to my page</a>',
                '<a href = "myimage.html">',
                "<a href = Link to my page</a>",
            ],
            '<a href = "myimage.html">Link to my page</a>',
        ),
        (
            "choice",
            "Question 3 What code is required to display an image on your webpage?",
            [
                '<img src = "myimage.jpg" /img src>',
                '<img import = "myimage.jpg" />',
                '<img src = "myimage.jpg" />',
                '<image source = "myimage.jpg" />',
            ],
            '<img src = "myimage.jpg" />',
        ),
        (
            "choice",
            "Question 4 Look at the website directory below: How would you display myimage.jpg "
            "in your webpage if it was stored in the 'images' subdirectory?",
            [
                '<img src = "myimage.jpg" />',
                '<img src = "images" />',
                '<img src = "myimage.jpg/images" />',
                '<img src = "images/myimage.jpg" />',
            ],
            '<img src = "images/myimage.jpg" />',
        ),
        (
            "choice",
            "Question 6 You are setting up a connection to a web server using the file transfer "
            "protocol (FTP). Having specified the server you wish to connect to (e.g. "
            "ugc.ecs.soton.ac.uk for the ECS web server), what information is required to "
            "establish the connection?",
            [
                "Your username for the server (e.g. your University username for the ECS web "
                "server)",
                "The email address you have registered on the server",
                "Your password for the server",
                "The username and password for the server",
            ],
            "The username and password for the server",
        ),
        (
            "choice",
            "Question 7 What folder do you need to upload your homepage to in order to view it "
            "on a web browser through the web server?",
            ["public_html", "public.html", "index_html", "index.html"],
            "public_html",
        ),
    ]
    assert skipped(reading) == [
        ("choiceMultiple", "multiple response"),
        ("inlineChoice", "composite"),
        ("choiceMultiple", "multiple response"),
    ]
    q4 = reading.questions[3]
    assert [(m.name, m.alt) for m in q4.media] == [("directory.jpg", "File Directory")]
    assert (
        q4.media[0].data
        == (FIXTURES / "qti21/qtiworks_WebDeveloperTest1/directory.jpg").read_bytes()
    )


def test_qti21_tao_content_package() -> None:
    reading = read("qti21/tao_PoolingNoReplacement.zip")
    got = imported(reading)
    assert [g[0] for g in got] == [f"Q{n:02d}" for n in range(1, 11)]
    assert got[0] == (
        "Q01",
        "What is TAO?",
        [
            "A metaphysical Chinese concept",
            "A commercial-grade, open-source assessment platform.",
            "A soft drink",
        ],
        "A commercial-grade, open-source assessment platform.",
    )
    assert got[9] == ("Q10", "Who is the most famous plumber of the video game scene?",
                      ["Luigi", "Mario", "Toad"], "Mario")  # fmt: skip
    assert {g[3] for g in got[2:9]} == {
        "Gran Turismo",
        "The Grumman F6F Hellcat",
        "Flying Fortress",
        "The Messerschmitt Me 262",
        "The North American F-86 Sabre",
        "The Mikoyan-Gurevich Mig 15",
        'A "rendez-vous" point for dogfights',
    }
    assert reading.skipped == []
    assert reading.questions[0].source.endswith("tao_PoolingNoReplacement.zip!Q01/qti.xml")


def test_qti21_test_whose_items_are_missing_is_unreadable_with_its_line() -> None:
    with pytest.raises(Unreadable) as caught:
        read("qti21/qtisdk_selection_and_ordering.xml")
    assert caught.value.line == 10
    assert "./Q1.xml" in caught.value.detail


# --- QTI 3.0 --------------------------------------------------------------------------------


def test_qti30_kennisnet_package_through_its_manifest() -> None:
    reading = read("qti30/kennisnet-2")
    assert imported(reading) == [("ITEM011", "Kies een antwoord", ["Goed", "Fout"], "Goed")]
    assert reading.questions[0].format == "qti3"
    assert skipped(reading) == [
        ("INTRODUCTION", "no interaction"),
        ("ITEM001", "order"),
        ("ITEM002", "matching"),
        ("ITEM003", "matching"),
        ("ITEM004", "composite"),
        ("ITEM005", "essay (extended text)"),
        ("ITEM006", "essay (extended text)"),
        ("ITEM007", "essay (extended text)"),
        ("ITEM008", "essay (extended text)"),
        ("ITEM009", "essay (extended text)"),
        ("ITEM010", "essay (extended text)"),
        ("ITEM012", "multiple response"),
        ("ITEM013", "multiple response"),
    ]


def test_qti30_cito_test_reads_a_twice_referenced_item_once() -> None:
    reading = read("qti30/cito_qti-test-package2/AssessmentTest.xml")
    assert imported(reading) == [
        (
            "QUE_1_1",
            "In welke richting is de global shift bezig?",
            ["Richting het noorden", "Richting het oosten", "Richting het zuiden",
             "Richting het westen"],
            "Richting het westen",
        ),
        (
            "QUE_2_1",
            "Wat is het tegengestelde van een hegemoniale staat?",
            ["bipolaire machtsverdeling", "bipolaire staat", "hegemoniale unie",
             "multipolaire wereldorde"],
            "multipolaire wereldorde",
        ),
    ]  # fmt: skip
    assert reading.skipped == []


def test_format_option_must_match_the_file() -> None:
    with pytest.raises(Unreadable, match="a qti3 item, not qti21"):
        read("qti30/kennisnet-2/ITEM011.xml", "qti21")
    with pytest.raises(Unreadable, match="not a Moodle XML file"):
        read("qti30/kennisnet-2/ITEM011.xml", "moodle")


# --- Moodle XML -----------------------------------------------------------------------------


def test_moodle_single_answer_with_pluginfile_pictures() -> None:
    reading = read("moodle_xml/moodle_format_xml_multichoice.xml")
    assert imported(reading) == [
        (
            "Greeting",
            "Listen to this greeting: What language is being spoken?",
            ["English", "French", "German", "Danish"],
            "French",
        )
    ]
    question = reading.questions[0]
    assert question.category is None or isinstance(question.category, str)
    # the stem links @@PLUGINFILE@@/bonjour.mp3: imported without it, and said (not silently)
    assert question.lost is not None and "bonjour.mp3" in question.lost
    # the flags are pictures in the answers: reported, not silently lost
    assert sum("in an answer is not kept" in n for n in reading.notes) == 4


def test_moodle_partial_credit_on_single_answer_is_skipped() -> None:
    reading = read("moodle_xml/moodletools_multiple-choiceRef.xml")
    assert imported(reading) == [
        (
            "Question title",
            "Simple format",
            ["Correct answer 1", "Wrong answer 1", "Wrong answer 2"],
            "Correct answer 1",
        )
    ]
    assert [(s.source_id, s.kind) for s in reading.skipped] == [
        ("Question title", "partial credit")
    ]
    assert "50%" in reading.skipped[0].reason


def test_moodle_legacy_image_and_cloze() -> None:
    reading = read("moodle_xml/moodle_sample_questions_with_old_image_tag.xml")
    assert imported(reading) == [
        (
            "mcq with image",
            'This is a multichoice question with an image in the old "image" field that was '
            "used in Moodle 1.9",
            ["wrong answer", "another wrong answer", "right answer"],
            "right answer",
        )
    ]
    assert skipped(reading) == [("cloze question with image", "cloze")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "moodle_qtype_multichoice_testquestion.moodle.xml",
            [("Multi-choice-001", "multiple response")],
        ),
        (
            "moodle_error_invalid_grades.xml",
            [("Question with invalid grades : x > 1 & x < 2", "multiple response")],
        ),
        ("moodle_html_chars_in_idnumbers.xml", [("Alpha Question", "truefalse")]),
        (
            "moodle_categories_reverse_order.xml",
            [("Tau Question", "essay"), ("Sigma Question", "shortanswer")],
        ),
        (
            "moodle_nested_categories_with_questions.xml",
            [
                ("Iota Question", "truefalse"),
                ("Kappa Essay Question", "essay"),
                ("Kappa Question", "truefalse"),
                ("Lambda Question", "truefalse"),
                ("Mu Question", "truefalse"),
            ],
        ),
    ],
)
def test_moodle_files_with_nothing_importable(name: str, expected: list[tuple[str, str]]) -> None:
    reading = read(f"moodle_xml/{name}")
    assert reading.questions == []
    assert skipped(reading) == expected
    assert all(s.reason and s.line for s in reading.skipped)


# --- GIFT -----------------------------------------------------------------------------------


def test_gift_moodle_questions() -> None:
    reading = read("gift/moodle_questions.gift.txt")
    assert imported(reading) == [
        (
            "Q2",
            "What's between orange and green in the spectrum?",
            ["yellow", "red", "blue"],
            "yellow",
        )
    ]
    assert skipped(reading) == [
        ("Q8", "essay"),
        ("Moodle activities", "matching"),
        ("colours", "multiple response"),
        ("Q5", "numerical"),
        ("Shortanswer", "shortanswer"),
        ("Q1", "truefalse"),
        ("2-08 TSL", "truefalse"),
        ("2-08 TSL", "truefalse"),
    ]


def test_gift_category_html_and_escapes() -> None:
    reading = read("gift/moodle_questions_in_category.gift.txt")
    assert imported(reading) == [
        (
            "Greeting",
            "Listen to this greeting: What language is being spoken?",
            ["English", "French", "German", "Spanish"],
            "French",
        )
    ]
    assert reading.questions[0].category == "Default for New Features"
    assert "bonjour.mp3" in (reading.questions[0].lost or "")  # its sound is not kept: said
    assert skipped(reading) == [
        ("Moodle activities", "matching"),
        ("Moodle user", "shortanswer"),
        ("Moodle acronym", "truefalse"),
    ]


def test_gift_windows_1252_is_detected_and_said() -> None:
    reading = read("gift/moodle_questions_encoding_windows-1252.gift.txt")
    assert reading.questions == []
    assert skipped(reading) == [("asdf", "essay"), ("test daniel", "essay"), ("asdf", "matching")]
    assert any("Windows-1252" in n and "line 15" in n for n in reading.notes)


def test_gift_documentation_examples() -> None:
    reading = read("gift/giftpegjs/mc5.gift")
    assert imported(reading) == [
        ("Who's buried in Grant's tomb?", "Who's buried in Grant's tomb?",
         ["Grant", "Jefferson", "no one"], "no one"),
        ("Grant is _____ in Grant's tomb.", "Grant is _____ in Grant's tomb.",
         ["buried", "entombed", "living"], "entombed"),
        ("The American holiday of Thanksgiving is celebrated on the...",
         "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November.",
         ["second", "third", "fourth"], "fourth"),
        ("Japanese characters originally came from what country?",
         "Japanese characters originally came from what country?",
         ["India", "China", "Korea", "Egypt"], "China"),
    ]  # fmt: skip
    assert reading.skipped == []


def test_gift_format_php_examples() -> None:
    reading = read("gift/giftpegjs/giftFormatPhpExamples.gift")
    assert [(q[0], q[3]) for q in imported(reading)] == [
        ("Who's buried in Grant's tomb?", "no one"),
        ("Grant is _____ in Grant's tomb.", "entombed"),
        ("Grant's Tomb", "entombed"),
    ]
    assert skipped(reading) == [
        ("Grant is buried in Grant's tomb.", "truefalse"),
        ("Who's buried in Grant's tomb?", "shortanswer"),
        ("When was Ulysses S. Grant born?", "numerical"),
        ("Match the following countries with their corresponding ca...", "matching"),
        ("Difficult multiple choice question.", "partial credit"),
        ("Jesus' hometown (Short answer ex.)", "shortanswer"),
        ("Numerical example", "numerical"),
    ]


def test_gift_every_control_character_escaped() -> None:
    reading = read("gift/giftpegjs/escapeAll.gift")
    assert imported(reading) == [
        (
            "GIFT Control Characters",
            "Which of the following is NOT a control character for the GIFT import format?",
            ["~", "=", "#", "{", "}", ":", "\\"],
            "\\",
        )
    ]


def test_gift_html_stem_with_comment_and_general_feedback() -> None:
    reading = read("gift/giftpegjs/mcHTMLComment.gift")
    assert imported(reading) == [
        (
            "EE_mod_05_T39_P079",
            "¿En qué supuestos podría el Fiscal autorizar a la Policía Judicial la práctica de "
            "una diligencia de entrada y registro?",
            [
                "En ausencia del Juez de Instrucción, titular de la actuaciones, y por razones "
                "de urgencia, debidamente acreditadas.",
                "Cuando se trate de delitos de terrorismo.",
                "Nunca.",
            ],
            "Nunca.",
        )
    ]
    feedback = reading.questions[0].feedback or ""
    assert feedback.startswith("Artículo 5 Estatuto Orgánico del Ministerio Fiscal:")
    assert "LE0000017566" not in feedback  # the HTML comment is not text


def test_gift_multi_line_feedback_and_word_html() -> None:
    reading = read("gift/giftpegjs/multiLineFeedback1.gift")
    got = imported(reading)
    assert got[0] == (
        "What's the answer to this multiple-choice question?",
        "What's the answer to this multiple-choice question?",
        ["wrong answer", "another wrong answer", "right answer"],
        "right answer",
    )
    assert reading.questions[0].feedback == "Global feedback split on multiple lines"
    source_id, stem, options, key = got[1]
    assert source_id == "06- création d'instance"
    assert stem.startswith("CU4-1 demarrerAbonnement(duree :Integer) : Comment réalise t\u2019on")
    assert stem.endswith("Regarder les associations dans les MDD. Les choix possibles sont :")
    assert options == ["Client", "ConditionAbonnement", "Paiement", "Emprunt",
                       "ContrôleurAbonnement", "CléAccess"]  # fmt: skip
    assert key == "ContrôleurAbonnement"


def test_gift_format_inherited_by_answers() -> None:
    reading = read("gift/giftpegjs/formatExamples.gift")
    assert imported(reading) == [
        (
            "The sun rises in which direction?",
            "The sun rises in which direction?",
            ["The east.", "The west."],
            "The east.",
        )
    ]


def test_gift_multiple_answers_with_float_weights_is_skipped() -> None:
    reading = read("gift/giftpegjs/multipleAnswersFloat.gift")
    assert reading.questions == []
    assert skipped(reading) == [
        ("Select all of the options below which name a continent:", "multiple response")
    ]


def test_gift_metadata_comments_and_category_with_a_colon() -> None:
    reading = read("gift/giftpegjs/tag_id_and_two_tags.gift")
    assert skipped(reading) == [("393", "essay")]
    reading = read("gift/giftpegjs/categorySpecialCharacter.gift")
    assert reading.questions == [] and reading.skipped == []
