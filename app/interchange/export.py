"""A unit's live items as a QTI 3.0 content package: imsmanifest.xml and one
qti-assessment-item per item, each a qti-choice-interaction with its correct response and the
standard match_correct response processing. `banks import` reads it back exactly."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree, html
from sqlalchemy.orm import Session

from app.banks import richtext
from app.banks import service as banks
from app.interchange import output
from app.interchange.bankfile import EXPORT_ITEM_PREFIX, EXPORT_OPTION_PREFIX
from app.paths import unit_urn
from app.qualifications import service as qualifications

NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
NS_CP = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ITEM_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ExportItem:
    id: str
    criterion: str
    stem: str
    options: list[tuple[str, str]]  # (id, text), in authored order
    key: str
    stem_html: str | None = None  # the safe subset; exported in place of the plain prompt
    pictures: tuple[Picture, ...] = ()


@dataclass(frozen=True)
class Picture:
    name: str  # file name inside the package, beside the item (media/<digest>.<ext>)
    data: bytes
    alt: str


def identifier(item_id: str) -> str:
    """A QTI identifier (an NCName) for an item id."""
    return item_id if _NCNAME.match(item_id) else EXPORT_ITEM_PREFIX + item_id


def item_xml(item: ExportItem, lang: str = "en-GB") -> bytes:
    """One qti-assessment-item."""
    q = f"{{{NS}}}"
    root = etree.Element(
        q + "qti-assessment-item",
        nsmap={None: NS, "xsi": NS_XSI},  # type: ignore[dict-item]
        attrib={
            f"{{{NS_XSI}}}schemaLocation": f"{NS} {ITEM_XSD}",
            "identifier": identifier(item.id),
            "title": item.id,
            "label": item.criterion,
            "adaptive": "false",
            "time-dependent": "false",
            XML_LANG: lang,
        },
    )
    declaration = etree.SubElement(
        root,
        q + "qti-response-declaration",
        identifier="RESPONSE",
        cardinality="single",
        attrib={"base-type": "identifier"},
    )
    correct = etree.SubElement(declaration, q + "qti-correct-response")
    etree.SubElement(correct, q + "qti-value").text = EXPORT_OPTION_PREFIX + item.key
    outcome = etree.SubElement(
        root,
        q + "qti-outcome-declaration",
        identifier="SCORE",
        cardinality="single",
        attrib={"base-type": "float"},
    )
    default = etree.SubElement(outcome, q + "qti-default-value")
    etree.SubElement(default, q + "qti-value").text = "0"
    body = etree.SubElement(root, q + "qti-item-body")
    interaction = etree.SubElement(
        body,
        q + "qti-choice-interaction",
        attrib={
            "response-identifier": "RESPONSE",
            "shuffle": "true",
            "max-choices": "1",
            "min-choices": "1",
        },
    )
    if item.stem_html:
        stem = etree.Element(q + "div", attrib={"class": "stem"})
        _copy_html(richtext.clean(item.stem_html), stem, q)
        interaction.addprevious(stem)
    for picture in item.pictures:
        holder = etree.Element(q + "p")
        etree.SubElement(holder, q + "img", src=picture.name, alt=picture.alt)
        interaction.addprevious(holder)
    if not item.stem_html:
        etree.SubElement(interaction, q + "qti-prompt").text = item.stem
    for option_id, text in item.options:
        choice = etree.SubElement(
            interaction, q + "qti-simple-choice", identifier=EXPORT_OPTION_PREFIX + option_id
        )
        choice.text = text
    etree.SubElement(root, q + "qti-response-processing", template=MATCH_CORRECT)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _copy_html(markup: str, parent: etree._Element, q: str) -> None:
    """Cleaned HTML rebuilt as elements of the QTI namespace (its content model is XHTML's)."""
    holder = html.fragment_fromstring(markup, create_parent="div")
    parent.text = holder.text

    def copy(source: etree._Element, target: etree._Element) -> None:
        for child in source:
            if not isinstance(child.tag, str):
                continue
            attrib = {str(k): str(v) for k, v in child.attrib.items()}
            made = etree.SubElement(target, q + child.tag, attrib=attrib)
            made.text, made.tail = child.text, child.tail
            copy(child, made)

    copy(holder, parent)


def manifest_xml(urn: str, hrefs: list[tuple[str, list[str]]]) -> bytes:
    """imsmanifest.xml listing each item as an imsqti_item_xmlv3p0 resource."""
    c = f"{{{NS_CP}}}"
    root = etree.Element(
        c + "manifest",
        nsmap={None: NS_CP, "xsi": NS_XSI},  # type: ignore[dict-item]
        attrib={
            "identifier": "MANIFEST-" + urn.replace("/", "-"),
            f"{{{NS_XSI}}}schemaLocation": f"{NS_CP} {CP_XSD}",
        },
    )
    metadata = etree.SubElement(root, c + "metadata")
    etree.SubElement(metadata, c + "schema").text = "QTI Package"
    etree.SubElement(metadata, c + "schemaversion").text = "3.0.0"
    etree.SubElement(root, c + "organizations")
    resources = etree.SubElement(root, c + "resources")
    for ident, files in hrefs:
        resource = etree.SubElement(
            resources,
            c + "resource",
            identifier=ident,
            type="imsqti_item_xmlv3p0",
            href=files[0],
        )
        for href in files:
            etree.SubElement(resource, c + "file", href=href)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def package(urn: str, items: list[ExportItem]) -> bytes:
    """The content package as zip bytes."""
    buffer = io.BytesIO()
    hrefs = []
    written: set[str] = set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            href = f"items/{identifier(item.id)}.xml"
            files = [href] + [f"items/{p.name}" for p in item.pictures]
            hrefs.append((identifier(item.id), files))
            archive.writestr(href, item_xml(item))
            for picture in item.pictures:
                if picture.name not in written:  # a picture shared by items is stored once
                    archive.writestr(f"items/{picture.name}", picture.data)
                    written.add(picture.name)
        archive.writestr("imsmanifest.xml", manifest_xml(urn, hrefs))
    return buffer.getvalue()


def export_unit(db: Session, urn: str, out: Path) -> int:
    """Write the unit's live items to `out`; the number written."""
    canonical = unit_urn(urn.replace("/", "-"))
    items = [
        ExportItem(
            id=item.external_id,
            criterion=ref,
            stem=version.stem,
            options=[(o["id"], o["text"]) for o in version.options],
            key=version.key,
            stem_html=version.stem_html,
            pictures=tuple(
                Picture(f"media/{sha}.{kind.removeprefix('image/')}", data, alt)
                for sha, kind, data, alt in banks.pictures(db, version)
            ),
        )
        for item, version, ref in qualifications.live_items(db, canonical)
    ]
    output.write_all(out, package(canonical, items))
    return len(items)
