"""Imported items put into an existing bank file as text: each item imported again replaces its
own lines, new items follow the last item, and every other byte (comments, layout, the test
specification) stays as the authors wrote it, so a review's comments survive and a diff shows
only the imported items. The caller checks that the result reads back as intended."""

from __future__ import annotations

from typing import Any

import yaml

from app.banks import yamlfile


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _content_end(text: str, index: int) -> int:
    """Back from a line start over blank and comment lines: where the content before ends."""
    while index > 0:
        start = _line_start(text, index - 1)
        line = text[start:index].strip()
        if line and not line.startswith("#"):
            break
        index = start
    return index


def _id(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "id":
            return str(value.value) if isinstance(value, yaml.ScalarNode) else None
    return None


def put(text: str, items: list[dict[str, Any]], dump: Any) -> str | None:
    """`text` with `items` put in (see the module), `dump(list)` rendering them as a block
    sequence at column 0; None when the file's layout does not allow it (no block list of
    items, an item not written `- key: ...`), and the caller writes the file whole."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return None
    sequence = next(
        (v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "items"), None
    )
    if not isinstance(sequence, yaml.SequenceNode) or sequence.flow_style or not sequence.value:
        return None
    column = sequence.value[0].start_mark.column - 2
    starts = []
    for node in sequence.value:
        start = _line_start(text, node.start_mark.index)
        if column < 0 or text[start : node.start_mark.index] != " " * column + "- ":
            return None
        starts.append(start)
    end = len(text) if sequence.end_mark.index >= len(text) else sequence.end_mark.index
    ends = [_content_end(text, s) for s in starts[1:]] + [
        _content_end(text, _line_start(text, end) if end < len(text) else end)
    ]
    by_id = {str(item["id"]): item for item in items}
    pad = " " * column

    def block(chosen: list[dict[str, Any]]) -> str:
        lines = str(dump(chosen)).splitlines(keepends=True)
        return "".join(pad + line if line.strip() else line for line in lines)

    pieces, done, last = [text[: starts[0]]], set(), starts[0]
    for node, start, stop in zip(sequence.value, starts, ends, strict=True):
        pieces.append(text[last:start])
        ident = _id(node)
        if ident in by_id:
            pieces.append(block([by_id[ident]]))
            done.add(ident)
        else:
            pieces.append(text[start:stop])
        last = stop
    fresh = [item for item in items if str(item["id"]) not in done]
    tail = text[last:]
    head = "".join(pieces)
    if fresh:
        head += ("" if head.endswith("\n") else "\n") + block(fresh)
    return head + tail


def reads_as(text: str, expected: dict[str, Any]) -> bool:
    """Whether the bank loader's YAML reading of `text` is exactly `expected`."""
    try:
        data, _, duplicates = yamlfile.load(text)
    except yamlfile.YamlError:
        return False
    return not duplicates and data == expected
