"""The results table, as aligned plain text for the terminal and as Markdown for RESULTS.md."""

from __future__ import annotations

from bench.registry import Row

HEADERS = ("scenario", "measure", "ours", "raw", "result", "target", "status")


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.scenario,
        row.measure,
        row.ours,
        row.raw,
        row.format_value(),
        row.target_text,
        row.status,
    )


def render_text(rows: list[Row]) -> str:
    """Columns padded to their widest cell, a rule under the header."""
    table = [HEADERS, *(_cells(row) for row in rows)]
    widths = [max(len(line[col]) for line in table) for col in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        for line in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def render_markdown(rows: list[Row]) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    out = [line(HEADERS), "|" + "---|" * len(HEADERS)]
    out.extend(line(_cells(row)) for row in rows)
    return "\n".join(out)
