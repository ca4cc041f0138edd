"""Markup to plain text (the contract's stems and options) and to the safe rich-text subset.

Plain text: markup removed, entities decoded, whitespace collapsed to single spaces; block
elements and line breaks separate words, so '<p>a</p><p>b</p>' reads 'a b', not 'ab'.

Rich text: only paragraphs, lists, emphasis, tables, sub/superscript, cleaned by nh3 with an
allow-list. Scripts, styles, event attributes, links and images never pass (pictures travel
separately, with their alt text).
"""

from __future__ import annotations

import re

from lxml import etree, html

from app.banks import richtext

BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "table", "tr", "td", "th", "thead", "tbody", "caption",
    "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "section", "article", "dl",
    "dt", "dd", "figure", "figcaption", "prompt", "qti-prompt",
}  # fmt: skip
DROP = {"script", "style", "head", "title", "object", "embed", "iframe", "audio", "video", "math"}
#: content a bank item cannot hold, as (kind, reason): the question is imported without it (the
#: contract imports every single-answer question) and the reason is said on stderr, so that its
#: author completes the draft before it goes live
LOST = {
    "math": ("maths", "MathML cannot be kept: write the maths as text or a picture"),
    "svg": ("media", "an SVG drawing cannot be kept: give it as a PNG picture"),
    "audio": ("media", "audio cannot be kept: the question would have nothing to listen to"),
    "video": ("media", "video cannot be kept: the question would have nothing to watch"),
    "object": ("media", "an embedded <object> cannot be kept: give it as a picture or text"),
    "embed": ("media", "an <embed> cannot be kept: give it as a picture or text"),
    "iframe": (
        "media",
        "an embedded frame (<iframe>) cannot be kept: give it as a picture or text",
    ),
    "applet": ("media", "an applet cannot be kept"),
    "canvas": ("media", "a <canvas> drawing cannot be kept: give it as a picture"),
}
_MEDIA_FILE = re.compile(
    r"\.(mp3|wav|ogg|oga|opus|m4a|aac|flac|midi?|mp4|m4v|webm|ogv|mov|avi|wmv|flv|mkv|swf)$", re.I
)
_SPACE = re.compile(r"\s+")
_AROUND_BLOCK = re.compile(
    r"\s*(</?(?:p|ul|ol|li|table|caption|thead|tbody|tfoot|tr|th|td|blockquote)\b[^>]*>)\s*"
)
_EMPTY_P = re.compile(r"<p>(?:\s|<br>)*</p>")
_STRUCTURE = re.compile(r"<(?:" + "|".join(sorted(richtext.STRUCTURE_TAGS)) + r")[\s>/]")


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()


def _local(tag: object) -> str:
    """The lower-cased local name: without a namespace ({ns}math) or an HTML prefix (m:math)."""
    return tag.rpartition("}")[2].rpartition(":")[2].lower() if isinstance(tag, str) else ""


def element_text(element: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """The plain text of an element, with blocks and breaks as spaces; `skip` names subtrees."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = _local(node.tag)
        if name in DROP or name in skip:
            parts.append(" ")
            return
        if name in BLOCK:
            parts.append(" ")
        if name and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)
        if name in BLOCK:
            parts.append(" ")

    walk(element)
    return collapse("".join(parts))


def lost(element: etree._Element, skip: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(kind, reason) for the first content of an element that a bank item cannot hold (maths,
    drawings, sound, video, embedded frames, a link to a sound or video file), else None; a
    link to a document or page only when nothing worse is lost (its words stay)."""
    pending = [element]
    link: tuple[str, str] | None = None
    while pending:
        node = pending.pop()
        name = _local(node.tag)
        if name in skip:
            continue
        if name in LOST:
            return LOST[name]
        href = str(node.get("href") or "") if name == "a" else ""
        path = href.split("?")[0].split("#")[0]
        if _MEDIA_FILE.search(path):
            return (
                "media",
                f"{path.rsplit('/', 1)[-1]} (a sound or video linked from the "
                "question) cannot be kept: the question would have nothing to play",
            )
        if path and link is None:
            link = (
                "link",
                f"the link to {path.replace('@@PLUGINFILE@@/', '')} cannot be kept (a bank "
                "item holds text only): its words stay, without what they point to",
            )
        pending.extend(reversed(node))
    return link


def html_lost(markup: str) -> tuple[str, str] | None:
    """`lost` for an HTML fragment."""
    return lost(_fragment(markup)) if "<" in markup else None


def _fragment(markup: str) -> etree._Element:
    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    root: etree._Element = html.fragment_fromstring(
        markup or "", create_parent="div", parser=parser
    )
    return root


def html_text(markup: str) -> str:
    """Plain text of an HTML fragment."""
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    return element_text(_fragment(markup))


def html_images(markup: str) -> list[tuple[str, str | None]]:
    """(src, alt) of every image in an HTML fragment, in order."""
    if "<img" not in markup.lower():
        return []
    return [(str(img.get("src") or ""), img.get("alt")) for img in _fragment(markup).iter("img")]


def rich(markup: str) -> str | None:
    """The safe subset of an HTML fragment, or None when it has no structure worth keeping."""
    cleaned = collapse(richtext.clean(markup))
    cleaned = _AROUND_BLOCK.sub(r"\1", cleaned)  # layout whitespace between blocks means nothing
    cleaned = _EMPTY_P.sub("", cleaned)
    if not _STRUCTURE.search(cleaned):
        return None
    return cleaned


def xml_to_html(element: etree._Element, skip: frozenset[str] = frozenset()) -> str:
    """An XML (QTI) content subtree as an HTML string, namespaces dropped, `skip` left out."""
    out: list[str] = []

    def walk(node: etree._Element) -> None:
        name = _local(node.tag)
        if not name or name in skip:
            return
        attrs = "".join(
            f' {_local(k)}="{escape(str(v))}"' for k, v in node.attrib.items() if _local(k)
        )
        out.append(f"<{name}{attrs}>")
        out.append(escape(node.text or ""))
        for child in node:
            walk(child)
            out.append(escape(child.tail or ""))
        out.append(f"</{name}>")

    walk(element)
    return "".join(out)


def escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
