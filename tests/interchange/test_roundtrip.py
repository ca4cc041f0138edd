"""Export of every unit in question_banks/ as QTI 3.0, and import back: stems, options, keys
(and option ids) exactly as stored."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.orm import Session

from app.banks.service import load_dir
from app.clock import MovableClock
from app.interchange import bankfile, export
from app.interchange.sources import read_path
from app.qualifications import service as qualifications
from app.qualifications.models import Unit

BANKS = Path(__file__).resolve().parents[2] / "question_banks"
NS = {"q": export.NS, "cp": export.NS_CP}


def test_every_unit_round_trips_exactly(db: Session, tmp_path: Path, clock: MovableClock) -> None:
    load_dir(db, BANKS, clock.now())
    urns = sorted(u.urn for u in db.query(Unit).all())
    assert len(urns) >= 14
    total = 0
    for urn in urns:
        rows = qualifications.live_items(db, urn)
        out = tmp_path / f"{urn.replace('/', '-')}.zip"
        assert export.export_unit(db, urn, out) == len(rows)
        reading = read_path(out, "qti3")
        assert reading.skipped == []
        items = bankfile.build(reading.questions, urn, None, set()).items
        expected = [
            (
                item.external_id,
                version.stem,
                [(o["id"], o["text"]) for o in version.options],
                version.key,
            )
            for item, version, _ in rows
        ]
        got = [
            (i["id"], i["stem"], [(o["id"], o["text"]) for o in i["options"]], i["key"])
            for i in items
        ]
        assert got == expected, urn
        total += len(rows)
    assert total > 500


def _item(stem: str = "Which is right?") -> export.ExportItem:
    return export.ExportItem(
        id="D6017644-001",
        criterion="01.01",
        stem=stem,
        options=[("95m5", "One & <two>"), ("qqfw", "Two"), ("suej", "Three")],
        key="qqfw",
    )


def test_item_structure_is_qti3_choice_with_match_correct() -> None:
    root = etree.fromstring(export.item_xml(_item()))
    assert root.tag == f"{{{export.NS}}}qti-assessment-item"
    assert root.get("identifier") == "D6017644-001"
    declaration = root.find("q:qti-response-declaration", NS)
    assert declaration is not None
    assert (declaration.get("cardinality"), declaration.get("base-type")) == (
        "single",
        "identifier",
    )
    assert (
        root.findtext(
            "q:qti-response-declaration/q:qti-correct-response/q:qti-value", namespaces=NS
        )
        == "opt-qqfw"
    )
    interaction = root.find("q:qti-item-body/q:qti-choice-interaction", NS)
    assert interaction is not None
    assert interaction.get("max-choices") == "1"
    assert interaction.get("response-identifier") == "RESPONSE"
    assert interaction.findtext("q:qti-prompt", namespaces=NS) == "Which is right?"
    choices = interaction.findall("q:qti-simple-choice", NS)
    assert [(c.get("identifier"), c.text) for c in choices] == [
        ("opt-95m5", "One & <two>"),
        ("opt-qqfw", "Two"),
        ("opt-suej", "Three"),
    ]
    processing = root.find("q:qti-response-processing", NS)
    assert processing is not None and processing.get("template") == export.MATCH_CORRECT
    outcome = root.find("q:qti-outcome-declaration", NS)
    assert outcome is not None and outcome.get("identifier") == "SCORE"
    # element order as the QTI 3.0 schema's sequence requires
    order = [etree.QName(e).localname for e in root]
    assert order == [
        "qti-response-declaration",
        "qti-outcome-declaration",
        "qti-item-body",
        "qti-response-processing",
    ]


def test_identifiers_are_ncnames_even_for_digit_ids() -> None:
    item = export.ExportItem("1-abc", "01.01", "Which?", [("2abc", "x"), ("9xyz", "y")], "9xyz")
    root = etree.fromstring(export.item_xml(item))
    assert root.get("identifier") == "item-1-abc"
    ids = [c.get("identifier") for c in root.iter(f"{{{export.NS}}}qti-simple-choice")]
    assert ids == ["opt-2abc", "opt-9xyz"]


def test_package_has_a_manifest_listing_every_item(tmp_path: Path) -> None:
    data = export.package(
        "D/601/7644",
        [
            _item(),
            export.ExportItem(
                "D6017644-002",
                "01.02",
                "Second?",
                [("abcd", "a"), ("efgh", "b"), ("ijkm", "c")],
                "abcd",
            ),
        ],
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    assert names == ["imsmanifest.xml", "items/D6017644-001.xml", "items/D6017644-002.xml"]
    assert manifest.tag == f"{{{export.NS_CP}}}manifest"
    assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "3.0.0"
    resources = manifest.findall("cp:resources/cp:resource", NS)
    assert [(r.get("type"), r.get("href")) for r in resources] == [
        ("imsqti_item_xmlv3p0", "items/D6017644-001.xml"),
        ("imsqti_item_xmlv3p0", "items/D6017644-002.xml"),
    ]
    assert all(r.find("cp:file", NS) is not None for r in resources)


@pytest.mark.parametrize(
    "stem", ["Tom & Jerry: who <wins>?", "A  stem with ünïcode \u2013 and \u201cquotes\u201d"]
)
def test_text_that_needs_escaping_survives(tmp_path: Path, stem: str) -> None:
    out = tmp_path / "p.zip"
    out.write_bytes(export.package("D/601/7644", [_item(stem)]))
    question = read_path(out, "auto").questions[0]
    assert question.stem == " ".join(stem.split())
    assert [c.text for c in question.choices] == ["One & <two>", "Two", "Three"]
    assert question.choices[question.key].source_id == "opt-qqfw"


def test_rich_stem_and_pictures_travel_in_the_package(tmp_path: Path) -> None:
    png = (Path(__file__).parent.parent / "fixtures/interop/qti30/kennisnet-2/resources"
           / "203508eb206cc636da22758c573a1a1b.png").read_bytes()  # fmt: skip
    rich = "<p>Calls by <em>team</em>:</p><ul><li>Blue: 10<sup>2</sup></li></ul>"
    item = export.ExportItem(
        id="D6017644-070",
        criterion="01.01",
        stem="Calls by team: Blue: 102",
        options=[("95m5", "One"), ("qqfw", "Two"), ("suej", "Three")],
        key="suej",
        stem_html=rich,
        pictures=(export.Picture("media/abc.png", png, "A bar chart of calls"),),
    )
    data = export.package("D/601/7644", [item])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("items/media/abc.png") == png
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        body = etree.fromstring(archive.read("items/D6017644-070.xml"))
    files = [f.get("href") for f in manifest.iterfind("cp:resources/cp:resource/cp:file", NS)]
    assert files == ["items/D6017644-070.xml", "items/media/abc.png"]
    # rich text as QTI-namespace XHTML in the body, the picture with its alt text
    assert body.find("q:qti-item-body/q:div/q:ul/q:li/q:sup", NS) is not None
    img = body.find("q:qti-item-body/q:p/q:img", NS)
    assert img is not None and img.get("alt") == "A bar chart of calls"
    out = tmp_path / "rich.zip"
    out.write_bytes(data)
    question = read_path(out, "qti3").questions[0]
    assert question.stem == "Calls by team: Blue: 102"
    assert question.stem_html == rich
    assert [(m.data, m.alt) for m in question.media] == [(png, "A bar chart of calls")]
    assert question.choices[question.key].text == "Three"
