"""Map a field path inside a YAML/JSON file to the line it was written on.

Validation errors come back as paths (``size_chart[2].weight_kg``); content staff need a line
number. Composing the YAML node tree (JSON is read the same way) gives every key and item its
start line, so an error can point at the exact line of the offending key.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from replydraft.yamlfile import SAFE_LOADER

PathKey = tuple[str | int, ...]


class LineMap:
    """Field path -> 1-based line, with the nearest enclosing path as the fallback."""

    def __init__(self, lines: dict[PathKey, int]) -> None:
        self._lines = lines

    @classmethod
    def from_text(cls, text: str) -> LineMap:
        try:
            root = yaml.compose(text, Loader=SAFE_LOADER)
        except yaml.YAMLError:
            return cls({})
        lines: dict[PathKey, int] = {}
        if root is not None:
            _walk(root, (), lines, set())
        return cls(lines)

    def line_of(self, path: Sequence[str | int]) -> int:
        key: PathKey = tuple(path)
        while key:
            if key in self._lines:
                return self._lines[key]
            key = key[:-1]
        return self._lines.get((), 1)


def _walk(node: yaml.Node, path: PathKey, lines: dict[PathKey, int], seen: set[int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen:
        # An alias: its fields are located where the anchor wrote them; walking the shared
        # node again under every alias would expand the document (see yamlfile).
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            # The key's line, not the value's: a block value starts on the next line.
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, seen)


def format_path(path: Sequence[str | int]) -> str:
    """``("size_chart", 2, "weight_kg")`` -> ``size_chart[2].weight_kg``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
