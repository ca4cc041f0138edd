"""The safe subset of rich text an item may carry, and its check. One allow-list serves the
importer (which cleans to it), the validator (which checks a bank file keeps to it) and the
candidate page (which cleans again before rendering, so nothing else ever reaches a browser)."""

from __future__ import annotations

import nh3
from lxml import html

RICH_TAGS = frozenset(
    {"p", "br", "ul", "ol", "li", "em", "strong", "b", "i", "sub", "sup", "table", "caption",
     "thead", "tbody", "tfoot", "tr", "th", "td", "blockquote", "code", "pre"}
)  # fmt: skip
RICH_ATTRIBUTES: dict[str, frozenset[str]] = {
    "th": frozenset({"scope", "colspan", "rowspan"}),
    "td": frozenset({"colspan", "rowspan"}),
    "ol": frozenset({"start"}),
}
#: tags that make rich text worth keeping beside the plain stem
STRUCTURE_TAGS = frozenset(RICH_TAGS - {"p", "br"})


def clean(markup: str) -> str:
    """The markup reduced to the allow-list (what the candidate page renders)."""
    result: str = nh3.clean(
        markup,
        tags=set(RICH_TAGS),
        attributes={k: set(v) for k, v in RICH_ATTRIBUTES.items()},
        url_schemes=set(),
        strip_comments=True,
        link_rel=None,
    )
    return result


def problems(markup: str) -> list[str]:
    """What in the markup is outside the subset: each tag or attribute named once."""
    found: list[str] = []
    parser = html.HTMLParser(no_network=True, remove_comments=False, remove_pis=False)
    root = html.fragment_fromstring(markup, create_parent="div", parser=parser)
    for element in root.iter():
        if element is root:
            continue
        tag = element.tag if isinstance(element.tag, str) else "comment or instruction"
        if tag not in RICH_TAGS:
            message = f"<{tag}> is not allowed in rich text"
            if message not in found:
                found.append(message)
            continue
        allowed = RICH_ATTRIBUTES.get(tag, frozenset())
        for attribute in element.attrib:
            if attribute not in allowed:
                message = f"attribute {attribute!r} on <{tag}> is not allowed in rich text"
                if message not in found:
                    found.append(message)
    return found
