"""Stripe's form encoding: nested objects as ``a[b]=``, lists as ``a[0]=``, both directions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten JSON-like data into Stripe's bracketed form pairs (booleans as true/false)."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs.extend(flatten(item, f"{prefix}[{key}]" if prefix else str(key)))
        return pairs
    if isinstance(value, (list, tuple)):
        pairs = []
        for index, item in enumerate(value):
            pairs.extend(flatten(item, f"{prefix}[{index}]"))
        return pairs
    if isinstance(value, bool):
        return [(prefix, "true" if value else "false")]
    if value is None:
        return [(prefix, "")]
    return [(prefix, str(value))]


def encode(value: dict[str, Any]) -> str:
    """A JSON object as an ``application/x-www-form-urlencoded`` string, Stripe style."""
    return urlencode(flatten(value))


def nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild nested dicts from bracketed keys: ``metadata[plan]=pro`` -> ``{"metadata": {...}}``.

    Raises ValueError naming a key that is not well formed. ``a[0]=``, ``a[1]=`` and ``a[]=``
    build lists (except under ``metadata``, whose keys are free-form).
    """
    result: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise ValueError(f"malformed parameter name {key!r}")
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: dict[str, Any] = result
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            child = node.get(part)
            if child is None:
                child = [] if nxt == "" else {}
                node[part] = child
            if isinstance(child, list):
                if nxt != "" or i + 1 != len(parts) - 1:
                    raise ValueError(f"malformed parameter name {key!r}")
                child.append(value)
                break
            if not isinstance(child, dict):
                raise ValueError(f"parameter {key!r} mixes a value and nested keys")
            node = child
        else:
            last = parts[-1]
            if isinstance(node.get(last), dict):
                raise ValueError(f"parameter {key!r} mixes a value and nested keys")
            node[last] = value
    return {key: _indexed_to_lists(key, value) for key, value in result.items()}


def _indexed_to_lists(key: str, value: Any) -> Any:
    """Turn ``{"0": a, "1": b}`` into ``[a, b]``, recursively (metadata stays a dict)."""
    if not isinstance(value, dict) or key == "metadata":
        return value
    converted = {k: _indexed_to_lists(k, v) for k, v in value.items()}
    if converted and set(converted) == {str(i) for i in range(len(converted))}:
        return [converted[str(i)] for i in range(len(converted))]
    return converted
