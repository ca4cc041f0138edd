"""QTI 2.1 (assessmentItem) and QTI 3.0 (qti-assessment-item) items, as one reader.

The two versions differ in spelling only for what is read here: `choiceInteraction` and
`qti-choice-interaction`, `maxChoices` and `max-choices`. Names are compared normalised
(lower case, no `qti-` prefix, no hyphens), so one set of rules reads both.

The key is what the source's scoring says: the correct response under the match_correct
template or a custom response processing that matches it; the one option the mapping rewards
under map_response. A mapping that rewards more than one option is partial credit and skipped.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from lxml import etree

from app.interchange import safexml, text
from app.interchange.model import Choice, Media, Question, Reading, Skipped

NS_QTI21 = "http://www.imsglobal.org/xsd/imsqti_v2p1"
NS_QTI22 = "http://www.imsglobal.org/xsd/imsqti_v2p2"
NS_QTI30 = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"

#: what each interaction other than a choice is, for the skip report
INTERACTIONS = {
    "choiceinteraction": "choice",
    "orderinteraction": "order",
    "matchinteraction": "matching",
    "associateinteraction": "association",
    "gapmatchinteraction": "gap match",
    "inlinechoiceinteraction": "inline choice",
    "textentryinteraction": "text entry",
    "extendedtextinteraction": "essay (extended text)",
    "hottextinteraction": "hot text",
    "hotspotinteraction": "hotspot",
    "graphicorderinteraction": "graphic order",
    "graphicassociateinteraction": "graphic association",
    "graphicgapmatchinteraction": "graphic gap match",
    "selectpointinteraction": "select point",
    "positionobjectinteraction": "position object",
    "sliderinteraction": "slider",
    "uploadinteraction": "file upload",
    "drawinginteraction": "drawing",
    "mediainteraction": "media",
    "custominteraction": "custom",
    "portablecustominteraction": "portable custom",
    "endattemptinteraction": "end attempt",
}
#: left out of a stem: the interaction itself and feedback shown only after answering
# (text.element_text compares lower-cased local names: QTI 2.1's and QTI 3.0's spellings)
NOT_STEM = frozenset(
    {"choiceinteraction", "qti-choice-interaction", "feedbackblock", "qti-feedback-block",
     "feedbackinline", "qti-feedback-inline", "modalfeedback", "qti-modal-feedback",
     "templateblock", "qti-template-block", "templateinline", "qti-template-inline",
     "rubricblock", "qti-rubric-block"}
)  # fmt: skip
NOT_CHOICE = frozenset(
    {"feedbackinline", "qti-feedback-inline", "templateinline", "qti-template-inline"}
)  # fmt: skip

MediaLoader = Callable[[str], bytes | None]


def qnorm(name: str) -> str:
    return name.lower().removeprefix("qti-").replace("-", "")


def _name(element: etree._Element) -> str:
    tag = element.tag
    return qnorm(etree.QName(tag).localname) if isinstance(tag, str) else ""


def _attr(element: etree._Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if qnorm(etree.QName(key).localname) == name:
            return str(value)
    return None


def _find(element: etree._Element, name: str) -> etree._Element | None:
    for e in element.iter():
        if _name(e) == name:
            return e
    return None


def _all(element: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in element.iter() if _name(e) == name]


def _kids(element: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in element if _name(e) == name]


def is_item(root: etree._Element) -> bool:
    return _name(root) == "assessmentitem"


def version(root: etree._Element) -> str:
    ns = etree.QName(root.tag).namespace or ""
    return "qti3" if ns == NS_QTI30 or root.tag.startswith("qti-") else "qti21"


def read_item(root: etree._Element, source: str, media: MediaLoader | None = None) -> Reading:
    """One item: a Question, or a Skipped saying what it is and why it cannot be imported."""
    reading = Reading()
    source_id = _attr(root, "identifier") or "(no identifier)"
    line = safexml.line(root)

    def skip(kind: str, reason: str) -> Reading:
        reading.skipped.append(Skipped(source, source_id, kind, reason, line))
        return reading

    body = _find(root, "itembody")
    if body is None:
        return skip("empty", "the item has no item body")
    interactions = [e for e in body.iter() if _name(e) in INTERACTIONS]
    if not interactions:
        return skip("no interaction", "no interaction: an introduction or information page")
    kinds = [INTERACTIONS[_name(e)] for e in interactions]
    if len(interactions) > 1:
        return skip(
            "composite",
            f"{len(interactions)} interactions ({', '.join(kinds)}); an item holds one choice",
        )
    interaction = interactions[0]
    if kinds[0] != "choice":
        article = "an" if kinds[0][0] in "aeiou" else "a"
        return skip(
            kinds[0], f"{article} {kinds[0]} interaction is not single-answer multiple choice"
        )
    response_id = _attr(interaction, "responseidentifier")
    declaration = next(
        (d for d in _all(root, "responsedeclaration") if _attr(d, "identifier") == response_id),
        None,
    )
    if declaration is None:
        return skip("choice", f"no response declaration for {response_id!r}")
    cardinality = _attr(declaration, "cardinality") or "single"
    max_choices = _attr(interaction, "maxchoices") or "1"
    if cardinality != "single" or max_choices.strip() != "1":
        return skip(
            "multiple response",
            f"cardinality {cardinality} with max choices {max_choices}: more than one answer "
            "can be chosen",
        )
    choice_elements = _kids(interaction, "simplechoice")
    ids = [_attr(c, "identifier") or "" for c in choice_elements]
    if len(set(ids)) != len(ids) or "" in ids:
        return skip("choice", "choices without distinct identifiers")
    key = _key(root, declaration, ids)
    if isinstance(key, tuple):
        return skip(*key)
    choices = [
        Choice(i, text.element_text(c, NOT_CHOICE), _rich_inner(c, NOT_CHOICE))
        for i, c in zip(ids, choice_elements, strict=True)
    ]
    prompt = next((e for e in interaction if _name(e) == "prompt"), None)
    parts = [(body, NOT_STEM), *((c, NOT_CHOICE) for c in choice_elements)]
    if prompt is not None:
        parts.append((prompt, frozenset()))
    lost = next(filter(None, (text.lost(e, not_in) for e, not_in in parts)), None)
    if any(not c.text for c in choices):
        return skip("choice", "a choice has no text (an image or media only)")
    stem_parts = [text.element_text(body, NOT_STEM)]
    html_parts = [_inner_html(body, NOT_STEM)]
    if prompt is not None:
        stem_parts.append(text.element_text(prompt))
        html_parts.append(_inner_html(prompt, frozenset()))
    stem = text.collapse(" ".join(stem_parts))
    if not stem:
        return skip("choice", "the question has no text")
    question = Question(
        source=source,
        source_id=source_id,
        stem=stem,
        choices=choices,
        key=ids.index(key),
        stem_html=text.rich("".join(html_parts)),
        line=line,
        identifiers=[source_id],
        category=None,
        format=version(root),
        label=(_attr(root, "label") or "").strip() or None,
        lost=lost[1] if lost else None,
    )
    _images(body, interaction, question, media, reading)
    reading.questions.append(question)
    return reading


def _key(
    root: etree._Element, declaration: etree._Element, ids: list[str]
) -> str | tuple[str, str]:
    """The correct choice's identifier, or (kind, reason) when the scoring does not give one."""
    correct = [
        (v.text or "").strip()
        for cr in _kids(declaration, "correctresponse")
        for v in _kids(cr, "value")
    ]
    processing = _find(root, "responseprocessing")
    template = ""
    if processing is not None:
        template = _attr(processing, "template") or _attr(processing, "templatelocation") or ""
    template_name = posixpath.basename(template.rstrip("/")).removesuffix(".xml").lower()
    mapping = next(iter(_kids(declaration, "mapping")), None)
    if template_name == "map_response" or (not correct and mapping is not None):
        if mapping is None:
            return ("choice", "map_response scoring without a mapping")
        default = float(_attr(mapping, "defaultvalue") or 0)
        values = {i: default for i in ids}
        for entry in _kids(mapping, "mapentry"):
            map_key = (_attr(entry, "mapkey") or "").strip()
            if map_key in values:
                values[map_key] = float(_attr(entry, "mappedvalue") or 0)
        rewarded = [i for i in ids if values[i] > 0]
        if not rewarded:
            return ("no correct option", "the mapping rewards no choice")
        if len(rewarded) > 1:
            return (
                "partial credit",
                f"the mapping rewards {len(rewarded)} choices ({', '.join(rewarded)}): partial "
                "credit on a single-answer question",
            )
        if correct and correct != rewarded:
            return (
                "conflicting key",
                f"the mapping rewards {rewarded[0]} but the correct response is {correct[0]}",
            )
        return rewarded[0]
    if template_name and template_name != "match_correct":
        return ("choice", f"response processing template {template_name!r} is not supported")
    if not correct:
        return ("no correct option", "no correct response is declared")
    if len(correct) > 1:
        return ("multiple response", f"{len(correct)} correct responses on a single answer")
    if correct[0] not in ids:
        return ("no correct option", f"the correct response {correct[0]!r} is not a choice")
    return correct[0]


def _inner_html(element: etree._Element, skip: frozenset[str]) -> str:
    parts = [text.escape(element.text or "")]
    for child in element:
        parts.append(text.xml_to_html(child, skip))
        parts.append(text.escape(child.tail or ""))
    return "".join(parts)


def _rich_inner(element: etree._Element, skip: frozenset[str]) -> str | None:
    return text.rich(_inner_html(element, skip))


def _images(
    body: etree._Element,
    interaction: etree._Element,
    question: Question,
    media: MediaLoader | None,
    reading: Reading,
) -> None:
    in_choices = set(interaction.iter())
    for img in body.iter():
        if _name(img) != "img":
            continue
        src = (img.get("src") or "").strip()
        if img in in_choices:
            reading.notes.append(
                f"{question.source}: {question.source_id}: image {src} in a choice is not kept"
            )
            continue
        data = media(src) if media and src else None
        if data is None:
            reading.notes.append(
                f"{question.source}: {question.source_id}: image {src!r} not found in the source"
            )
            continue
        question.media.append(Media(posixpath.basename(src), data, img.get("alt")))
