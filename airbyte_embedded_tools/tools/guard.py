"""The output guard: compact JSON, field projection and a character budget cut at a clean boundary.

A model's context is small and costly: tool output is compacted (no nulls, no empty collections,
keys kept as they are), optionally projected to the fields the model asked for, and cut at a
record or line boundary once it passes the budget, so that what is shown is always whole.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = [
    "DEFAULT_MAX_CHARS",
    "MIN_MAX_CHARS",
    "compact",
    "cut_text",
    "dumps",
    "fit_lines",
    "human_size",
    "project",
]

DEFAULT_MAX_CHARS = 20_000
"""Default character budget of one tool answer."""
MIN_MAX_CHARS = 1_000
"""Below this a budget cannot hold a header, one record and a continuation hint."""

_Tree = dict[str, "_Tree | None"]


def compact(value: Any) -> Any:
    """Drop nulls and empty collections from mappings, recursively; list items keep their place."""
    kind = type(value)
    if kind is dict or (kind not in _LEAVES and isinstance(value, dict)):
        return _compact_dict(value)
    if kind is list or (kind not in _LEAVES and isinstance(value, list)):
        return [compact(item) for item in value]
    return value


_LEAVES = frozenset({str, int, float, bool, type(None)})
"""Exact types of JSON leaves: kept as they are without a call or an instance check."""


def _compact_dict(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if type(item) not in _LEAVES:
            item = compact(item)
            if isinstance(item, (dict, list)) and not item:
                continue
        out[key] = item
    return out


def project(value: Any, fields: Sequence[str]) -> Any:
    """Keep only ``fields`` of a record (or of each record of a list); ``id`` is always kept.

    A field is a key (``"customer"``: the whole value) or a dotted path through objects and lists
    (``"lines.data.amount"``: the amount of each line item, in its place).
    """
    if not fields:
        return value
    tree: _Tree = {"id": None}
    for field in fields:
        parts = [part for part in field.split(".") if part]
        node = tree
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node[part] = None
                break
            child = node.setdefault(part, {})
            if child is None:
                break
            node = child
    return _apply(value, tree)


def _apply(value: Any, tree: _Tree) -> Any:
    if isinstance(value, list):
        return [_apply(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        if key in value:
            out[key] = value[key] if sub is None else _apply(value[key], sub)
    return out


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON without padding (or indented, for one big object that must be cut by lines)."""
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(value, ensure_ascii=False, separators=separators, indent=indent, default=str)


def fit_lines(lines: Sequence[str], budget: int) -> int:
    """How many of ``lines`` (each followed by a newline) fit in ``budget`` characters."""
    used = 0
    for count, line in enumerate(lines):
        used += len(line) + 1
        if used > budget:
            return count
    return len(lines)


def cut_text(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` characters, at the last line break when there is one."""
    if len(text) <= budget:
        return text
    head = text[:budget]
    newline = head.rfind("\n")
    return head[: newline + 1] if newline > 0 else head


def human_size(size: int | None) -> str:
    """``1536`` -> ``"1.5 KiB"``; unknown sizes read ``"?"``."""
    if size is None:
        return "?"
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"
