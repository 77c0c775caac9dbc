"""Read tool output the way a model does: JSON values, records, file paths, continuation hints.

The offline planner only sees the text a real model would see (the tool messages' content), so
everything it answers is computed from there; these helpers find the structure in that text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["continuation_cursor", "file_paths", "json_values", "records", "says_has_more"]

_DECODER = json.JSONDecoder()
_CURSOR_RE = re.compile(r"""starting_after["']?\s*[:=]\s*["']?([A-Za-z0-9_]+)""")
_HAS_MORE_RE = re.compile(r"""has_more["']?\s*[:=]\s*["']?true""", re.IGNORECASE)
_PATH_RE = re.compile(
    r"""(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.(?:md|markdown|txt|csv|jsonl|json|html?|pdf))(?![\w])""",
    re.IGNORECASE,
)


def json_values(text: str) -> list[Any]:
    """Every JSON object or array embedded in ``text``, outermost first, in order of appearance.

    A value cut by the output guard does not parse as a whole; the records inside it still do.
    """
    values: list[Any] = []
    pos = 0
    while True:
        starts = [i for i in (text.find("{", pos), text.find("[", pos)) if i >= 0]
        if not starts:
            return values
        start = min(starts)
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            pos = start + 1
            continue
        values.append(value)
        pos = end


def records(values: list[Any]) -> Iterator[dict[str, Any]]:
    """Each JSON object with a string ``id`` found in ``values``, nested ones included."""
    for value in values:
        if isinstance(value, dict):
            if isinstance(value.get("id"), str):
                yield value
            yield from records(list(value.values()))
        elif isinstance(value, list):
            yield from records(value)


def continuation_cursor(text: str) -> str | None:
    """The last ``starting_after`` value the output names (the guard's or Stripe's way to go on)."""
    found = _CURSOR_RE.findall(text)
    return found[-1] if found else None


def says_has_more(text: str) -> bool:
    """Whether the output says more records exist than it shows."""
    return bool(_HAS_MORE_RE.search(text))


def file_paths(text: str) -> list[str]:
    """The file paths a listing mentions, in order, without duplicates."""
    seen: dict[str, None] = {}
    for match in _PATH_RE.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)
