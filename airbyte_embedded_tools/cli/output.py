"""Output of ``airbyte-embedded``: JSON for scripts (``--json``), aligned tables for people.

Results go to stdout, progress and notes to stderr, so ``airbyte-embedded ... --json | jq`` works.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

__all__ = ["Output", "format_size", "format_table", "format_time"]


def format_size(size: int | None) -> str:
    """A byte count for people: ``532 B``, ``1.5 KiB``, ``64.0 MiB`` (``-`` when unknown)."""
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def format_time(moment: datetime | None) -> str:
    """A timestamp for people, to the minute, in its own time zone (``-`` when unknown)."""
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[int] = ()
) -> str:
    """Rows aligned in columns under a header; columns listed in ``right`` are right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=False)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=False))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


class Output:
    """Where a command writes: JSON or human text on stdout, notes on stderr."""

    def __init__(
        self, *, as_json: bool, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr

    def json(self, value: Any) -> None:
        """Write ``value`` as indented JSON (datetimes and other objects as strings)."""
        self.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")

    def text(self, value: str) -> None:
        """Write a line of human output."""
        self.stdout.write(value + "\n")

    def note(self, value: str) -> None:
        """Write a line for people on stderr (never parsed by scripts)."""
        self.stderr.write(value + "\n")
