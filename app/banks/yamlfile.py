"""YAML read with the line of every key, so that problems point at file and line."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path_ = tuple[str, ...]


class YamlError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _NoAliases(yaml.SafeLoader):
    """A bank file needs no aliases; refusing them makes an alias bomb (a "billion laughs")
    a clear error instead of a hang."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise YamlError(event.start_mark.line + 1, ALIASES)
        return super().compose_node(parent, index)


ALIASES = "YAML aliases (*name) are not allowed in bank files"
# libyaml's parser when PyYAML was built with it (its wheels are): about 11 times faster on our
# banks (1.9 s to 0.16 s for all 14 units). It composes aliases itself, as the one node shared,
# so _walk refuses a node met twice instead; constructing shares it too, so a "billion laughs"
# costs no more than its text. The pure-Python parser refuses an alias as it meets it.
_Loader: Any = getattr(yaml, "CSafeLoader", None) or _NoAliases


def load(text: str) -> tuple[Any, dict[Path_, int], list[tuple[int, str]]]:
    """The data, the line of each path (keys and list positions as strings), duplicate keys."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(mark.line + 1 if mark else 1, str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlError(1, str(exc)) from exc
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    duplicates: list[tuple[int, str]] = []
    if root is not None:
        _walk(root, (), lines, duplicates, set())
    return data, lines, duplicates


def _walk(
    node: Node,
    path: Path_,
    lines: dict[Path_, int],
    duplicates: list[tuple[int, str]],
    visited: set[int],
) -> None:
    """Every node once; one met again is an alias (see _Loader), refused at its line."""
    lines.setdefault(path, node.start_mark.line + 1)
    visited.add(id(node))
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, ScalarNode) else "?"
            if name in seen:
                duplicates.append((key.start_mark.line + 1, f"duplicate key {name!r}"))
            seen.add(name)
            lines[(*path, name)] = key.start_mark.line + 1
            if id(value) in visited:
                raise YamlError(key.start_mark.line + 1, ALIASES)
            _walk(value, (*path, name), lines, duplicates, visited)
    elif isinstance(node, SequenceNode):
        for i, value in enumerate(node.value):
            if id(value) in visited:
                raise YamlError(node.start_mark.line + 1, ALIASES)
            _walk(value, (*path, str(i)), lines, duplicates, visited)


def line_of(lines: dict[Path_, int], loc: tuple[Any, ...]) -> int:
    """The line of the deepest known prefix of a location."""
    path = tuple(str(part) for part in loc)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)
