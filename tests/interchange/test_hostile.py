"""Hostile files are files: refused with a clear error, in bounded memory and time."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from app.interchange import safexml, safezip
from app.interchange.model import Unreadable
from app.interchange.service import import_bank
from app.interchange.sources import read_path

FIXTURES = Path(__file__).parent.parent / "fixtures" / "interop"

ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0" identifier="A1"
  title="t" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-item-body>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Which one is right?</qti-prompt>
      <qti-simple-choice identifier="A">One</qti-simple-choice>
      <qti-simple-choice identifier="B">Two</qti-simple-choice>
      <qti-simple-choice identifier="C">Three</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
</qti-assessment-item>
"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<quiz><question type="multichoice"><name><text>&lol9;</text></name></question></quiz>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="multichoice"><name><text>&secret;</text></name></question></quiz>
"""


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_billion_laughs_is_refused_at_once(tmp_path: Path) -> None:
    source = tmp_path / "laughs.xml"
    source.write_text(LAUGHS)
    started = time.monotonic()
    with pytest.raises(Unreadable) as caught:
        read_path(source, "auto")
    assert time.monotonic() - started < 1
    assert "DOCTYPE" in caught.value.detail and caught.value.line == 2


def test_external_entity_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "xxe.xml"
    source.write_text(XXE)
    with pytest.raises(Unreadable, match="DTDs and entities are refused"):
        read_path(source, "auto")


def test_doctype_hidden_in_utf16_is_refused() -> None:
    with pytest.raises(Unreadable, match="DOCTYPE"):
        safexml.parse(LAUGHS.replace('"1.0"?', '"1.0" encoding="UTF-16"?').encode("utf-16"), "x")


def test_the_parser_itself_resolves_nothing() -> None:
    # even without the DOCTYPE screen, the parser neither loads DTDs nor expands entities
    parser = safexml._parser()
    from lxml import etree

    root = etree.fromstring(XXE.encode(), parser=parser)
    assert "root:" not in etree.tostring(root).decode()


def test_malformed_xml_is_named_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "broken.xml"
    source.write_text(ITEM.replace("</qti-prompt>", "</qti-promt>"))
    with pytest.raises(Unreadable) as caught:
        read_path(source, "auto")
    assert caught.value.line == 9
    assert str(source) in caught.value.detail and "not well-formed" in caught.value.detail


def test_zip_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    bomb = _zip({"imsmanifest.xml": b"<manifest/>", "big.xml": b"\0" * (300 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    started = time.monotonic()
    with pytest.raises(Unreadable, match="zip bomb"):
        safezip.read(bomb, "bomb.zip")
    assert time.monotonic() - started < 10


def test_zip_header_sizes_are_not_trusted(tmp_path: Path) -> None:
    data = bytearray(_zip({"a.xml": b"A" * 5_000_000}))
    # forge the declared sizes down to 10 bytes in the central directory: reading still counts
    at = data.rfind(b"PK\x01\x02")
    data[at + 24 : at + 28] = (10).to_bytes(4, "little")
    with pytest.raises(Unreadable):
        safezip.read(bytes(data), "liar.zip")


@pytest.mark.parametrize("name", ["../evil.xml", "/etc/evil.xml", "a/../../evil.xml", "C:/x.xml"])
def test_zip_path_traversal_is_refused(name: str) -> None:
    with pytest.raises(Unreadable, match="points outside the package"):
        safezip.read(_zip({name: b"<x/>"}), "trav.zip")


def test_zip_with_too_many_entries_is_refused() -> None:
    many = _zip({f"f{i}.txt": b"" for i in range(safezip.MAX_ENTRIES + 1)}, zipfile.ZIP_STORED)
    with pytest.raises(Unreadable, match="entries"):
        safezip.read(many, "many.zip")


def test_manifest_pointing_outside_the_package_is_refused(tmp_path: Path) -> None:
    manifest = b"""<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>
      <resource identifier="x" type="imsqti_item_xmlv3p0" href="../../etc/passwd"/>
    </resources></manifest>"""
    package = tmp_path / "p.zip"
    package.write_bytes(_zip({"imsmanifest.xml": manifest}))
    with pytest.raises(Unreadable, match="points outside"):
        read_path(package, "auto")


def test_loose_item_image_cannot_escape_its_directory(tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    folder = tmp_path / "items"
    folder.mkdir()
    item = ITEM.replace(
        "<qti-choice-interaction",
        '<img src="../secret.png" alt="x"/><qti-choice-interaction',
    )
    (folder / "item.xml").write_text(item)
    reading = read_path(folder / "item.xml", "auto")
    assert reading.questions[0].media == []
    assert any("not found" in note for note in reading.notes)


def test_nothing_is_written_when_one_source_is_unreadable(tmp_path: Path) -> None:
    good = tmp_path / "good.xml"
    good.write_text(ITEM)
    bad = tmp_path / "bad.xml"
    bad.write_text(LAUGHS)
    out = tmp_path / "bank" / "D-601-7644.yaml"
    with pytest.raises(Unreadable):
        import_bank([good, bad], unit="D/601/7644", out=out)
    assert not out.exists() and not out.parent.exists()


def test_gift_with_an_unclosed_brace_names_its_line(tmp_path: Path) -> None:
    source = tmp_path / "q.gift"
    source.write_text("::A:: Fine? {=yes ~no ~maybe}\n\n// c\n::B:: Broken? {=yes ~no\n")
    with pytest.raises(Unreadable) as caught:
        read_path(source, "auto")
    assert caught.value.line == 4 and "closing '}'" in caught.value.detail


def test_gift_bytes_that_are_no_text_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "q.gift"
    source.write_bytes(b"::A:: x {=a ~b ~c}\n\x81\x8d\n")
    with pytest.raises(Unreadable, match="neither UTF-8 nor Windows-1252") as caught:
        read_path(source, "auto")
    assert caught.value.line == 2


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<quiz></quiz>\n',
        b"\xef\xbb\xbf\n  <quiz>\n<question type='multichoice'/></quiz>",
        b'<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1"/>',
        '<?xml version="1.0" encoding="UTF-16"?><quiz/>'.encode("utf-16"),
    ],
)
def test_gift_forced_on_xml_is_refused_with_file_and_line(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "quiz.xml"
    path.write_bytes(data)
    with pytest.raises(Unreadable, match="not GIFT") as caught:
        read_path(path, "gift")
    assert caught.value.detail.startswith(f"{path}:")


def test_gift_may_still_start_with_html(tmp_path: Path) -> None:
    path = tmp_path / "q.gift"
    path.write_text("<p>Which <b>one</b>?</p> {=a ~b ~c}\n")
    assert len(read_path(path, "gift").questions) == 1


def _wide(encoding: str, bom: bytes) -> bytes:
    name = "UTF-16" if "16" in encoding else "UTF-32"
    text = (FIXTURES / "qti30/kennisnet-2/ITEM011.xml").read_text(encoding="utf-8")
    text = text.replace('encoding="UTF-8"', f'encoding="{name}"').replace(
        "encoding='UTF-8'", f"encoding='{name}'"
    )
    if not text.startswith("<?xml"):
        text = f'<?xml version="1.0" encoding="{name}"?>\n' + text
    return bom + text.encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),
        ("utf-16-be", b""),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
)
def test_utf16_and_utf32_xml_are_recognised_in_auto_mode(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    path = tmp_path / "item"  # no suffix: auto mode goes by the content
    path.write_bytes(_wide(encoding, bom))
    assert [q.source_id for q in read_path(path, "auto").questions] == ["ITEM011"]


def test_doctype_hidden_in_utf16_without_a_bom_is_refused() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE x [<!ENTITY a "b">]><x/>'
    with pytest.raises(Unreadable, match="DOCTYPE"):
        safexml.parse(data.encode("utf-16-le"), "x.xml")
