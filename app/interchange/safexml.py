"""XML from outside is hostile until read: no DTD, no entities, no network, bounded size.

A document with a DOCTYPE is refused outright (nothing an item needs lives there, and it is
where billion-laughs and external-entity attacks live), before libxml2 expands anything.
"""

from __future__ import annotations

import re

from lxml import etree

from app.interchange.model import Unreadable

MAX_XML_BYTES = 20 * 1024 * 1024

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
_ENTITY = re.compile(rb"<!ENTITY", re.I)


#: byte order marks, and the openings of '<' or '<?' without one (XML 1.0, appendix F);
#: UTF-32's marks before UTF-16's, which they begin with
_WIDE = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


def as_utf8(data: bytes) -> bytes:
    """A UTF-16 or UTF-32 document re-encoded as UTF-8 to look into (its mark dropped), or
    the bytes as they are: for sniffing and probing only, never for parsing."""
    for opening, encoding in _WIDE:
        if data.startswith(opening):
            text = data.decode(encoding, errors="replace").removeprefix("\ufeff")
            return text.encode("utf-8", errors="replace")
    return data


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        collect_ids=False,
    )


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def parse(data: bytes, source: str) -> etree._Element:
    """The root element of a document, or Unreadable naming the source and line."""
    if len(data) > MAX_XML_BYTES:
        raise Unreadable(source, f"larger than {MAX_XML_BYTES // (1024 * 1024)} MB")
    probe = as_utf8(data)  # UTF-16 or UTF-32: look for the markers in it
    for pattern, what in ((_DOCTYPE, "a DOCTYPE"), (_ENTITY, "an entity declaration")):
        if match := pattern.search(probe):
            raise Unreadable(
                source,
                f"{what} is not accepted in an imported file (DTDs and entities are refused)",
                _line_of(probe, match.start()),
            )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        message = exc.msg.split(", line ")[0] if exc.msg else "not well-formed XML"
        raise Unreadable(source, f"not well-formed XML: {message}", line) from exc
    if root is None:
        raise Unreadable(source, "empty document")
    return root


def local(element: etree._Element) -> str:
    """An element's name without its namespace ('' for comments and the like)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return etree.QName(tag).localname


def namespace(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).namespace or "" if isinstance(tag, str) else ""


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if local(c) == name]


def child(element: etree._Element, name: str) -> etree._Element | None:
    for c in element:
        if local(c) == name:
            return c
    return None


def descendants(element: etree._Element, name: str) -> list[etree._Element]:
    return [e for e in element.iter() if local(e) == name]


def line(element: etree._Element) -> int | None:
    """The element's line in its source, when lxml knows it."""
    number = element.sourceline
    return number if isinstance(number, int) else None
