"""YAML parsing through libyaml when the PyYAML wheel has it (it does on the usual platforms).

Every YAML file the project reads (rule packs, templates, store and product files, eval cases)
is parsed with a safe loader; the C one is 5-10x faster than the pure-Python one, which matters
for start-up: the rule packs and templates alone took ~0.5 s to parse in a fresh process.

Files written by content staff (the knowledge folder) go through ``safe_load_bounded``: YAML
aliases share one node, so a 603-byte "billion laughs" file parses into a small graph that
every later walk (line maps, validation, JSON dumps) expands into billions of nodes; it drove a
refresh to 5 GB before a MemoryError. The bounded loader measures the expansion on the node
graph, in time linear in the nodes written, before anything walks it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Nodes that aliases may add to a document beyond those written in it. Sharing a size chart
# between a few thousand products stays well below; an alias bomb passes it within a few levels.
MAX_ALIAS_EXPANSION = 200_000


class AliasExpansionError(yaml.MarkedYAMLError):
    """Aliases expand the document beyond ``MAX_ALIAS_EXPANSION`` nodes, or into themselves."""


class DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping names the same key twice: YAML keeps the last silently, so a rule written
    twice ("overshadows" in one ask) would lose its first half without a word."""


def safe_load(text: str) -> Any:
    """``yaml.safe_load`` with the fastest safe loader available; raises ``DuplicateKeyError``
    (a ``YAMLError`` with the line) when a mapping repeats a key."""
    return _load(text, check_unique_keys)


def safe_load_bounded(text: str, *, max_expansion: int = MAX_ALIAS_EXPANSION) -> Any:
    """``safe_load`` for untrusted files: raises ``AliasExpansionError`` (a ``YAMLError`` with
    the line) when aliases would expand the document by more than ``max_expansion`` nodes or
    refer to a node that contains them."""
    def checks(node: yaml.Node) -> None:
        check_expansion(node, max_expansion)
        check_unique_keys(node)
    return _load(text, checks)


def _load(text: str, check: Callable[[yaml.Node], None]) -> Any:
    """Compose the single document, ``check`` its node graph, then construct it."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def check_unique_keys(root: yaml.Node) -> None:
    """Refuse a mapping that names a key twice (each shared node is walked once)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    if key.value in keys:
                        raise DuplicateKeyError(
                            problem=f"the key {key.value!r} appears twice in this mapping; "
                                    "YAML would keep only the last one, so merge them",
                            problem_mark=key.start_mark)
                    keys.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def check_expansion(root: yaml.Node, max_expansion: int = MAX_ALIAS_EXPANSION) -> None:
    """Walk the node graph once (each shared node once), computing how many nodes it stands
    for once aliases are expanded; refuse as soon as that exceeds the nodes seen so far by
    more than ``max_expansion``. Without aliases the two counts are equal."""
    expanded: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = _children(node)
        if finished:
            open_nodes.discard(key)
            size = 1 + sum(expanded[id(child)] for child in children)
            expanded[key] = size
            if size > len(expanded) + max_expansion:
                raise AliasExpansionError(
                    problem=f"aliases expand this node to more than {max_expansion:,} extra "
                            "nodes (an alias bomb?); write the values out or share less",
                    problem_mark=node.start_mark)
            continue
        if key in expanded:
            continue
        if key in open_nodes:
            raise AliasExpansionError(problem="an alias refers to a node that contains it",
                                      problem_mark=node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []
