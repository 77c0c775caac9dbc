"""Hostile files against the parsers: each ends in a typed ``ParseError`` or in text, within a
time and memory bound (generous: the suite also runs on loaded CI machines).

The bounds are far below what these files cost before the budgets: 100,000 nested arrays
raised a ``RecursionError``; deep JSON copied its whole subtree per level (70 s, 12 GB for
30 MB); a one-line 50 MB CSV took 1.1 GB; an inflating PDF page parsed for 17 s in-process.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_files import deep_json, inflating_pdf, text_pdf

from airbyte_embedded_tools.documents import ParseError, extract_text
from airbyte_embedded_tools.documents.bounded import (
    ParseBudget,
    aextract_text_bounded,
    extract_text_bounded,
)
from airbyte_embedded_tools.documents.parsers import (
    MAX_CSV_LINE_CHARS,
    MAX_NESTING,
    render_json,
)

MiB = 1024 * 1024


def measured(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """``fn()``'s result (or the exception it raised), seconds taken (untraced), peak bytes
    allocated (a second, traced run)."""

    def run() -> Any:
        try:
            return fn()
        except Exception as exc:
            return exc

    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def test_json_nested_100000_levels_is_a_parse_error() -> None:
    data = deep_json(100_000)
    assert len(data) < 210_000
    result, seconds, peak = measured(lambda: extract_text(data, path="deep.json"))
    assert isinstance(result, ParseError), result
    assert "deep.json" in result.message
    assert "nested too deeply" in result.message
    assert seconds < 2.0
    assert peak < 50 * MiB


def test_jsonl_line_nested_too_deep_is_a_parse_error() -> None:
    data = b'{"ok": 1}\n' + deep_json(5_000) + b"\n"
    with pytest.raises(ParseError, match="line 2"):
        extract_text(data, path="events.jsonl")


def test_json_just_past_the_nesting_limit_is_refused_and_at_it_rendered() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        extract_text(deep_json(MAX_NESTING + 1), path="a.json")
    text = extract_text(deep_json(MAX_NESTING), path="b.json")[0].text
    assert text.count("1") == 1
    assert json.loads(text) == json.loads(deep_json(MAX_NESTING))


def test_large_deep_wide_json_renders_in_linear_time_and_memory() -> None:
    """2 MB nested 240 levels deep, every level wide: was a full dump of each subtree per level."""
    leaf = {"name": "x" * 60, "values": list(range(40))}
    value: Any = [leaf] * 50
    for depth in range(120):
        value = {"level": depth, "items": [value, *([leaf] * 50)], "pad": "y" * 200}
    data = json.dumps(value).encode()
    assert len(data) > 1 * MiB
    result, seconds, peak = measured(lambda: extract_text(data, path="big.json"))
    assert not isinstance(result, Exception), result
    text = result[0].text
    assert json.loads(text) == value  # the rendering is still exactly the JSON
    assert len(text) < 3 * len(data)  # indentation stays bounded
    assert seconds < 30.0
    assert peak < 30 * len(data)  # before: a full dump per level, ~240x the file


def test_render_json_keeps_short_containers_on_one_line() -> None:
    value = {"a": [1, 2, 3], "b": {"c": "d"}, "long": ["x" * 50, "y" * 50]}
    text = render_json(value)
    assert '"a": [1, 2, 3]' in text
    assert '"b": {"c": "d"}' in text
    assert json.loads(text) == value
    assert render_json([]) == "[]"


def test_one_line_csv_is_a_parse_error_in_bounded_memory() -> None:
    data = b"a," * (10 * MiB)  # 20 MB, one line of ten million fields
    result, seconds, peak = measured(lambda: extract_text(data, path="wide.csv"))
    assert isinstance(result, ParseError), result
    assert f"longer than {MAX_CSV_LINE_CHARS}" in result.message
    assert seconds < 5.0
    assert peak < 4 * len(data)  # before: ~22x (the row held as millions of strings)


def test_a_large_csv_streams_rows_in_bounded_memory() -> None:
    header = b"id,name,amount\n"
    data = header + b"".join(b"%d,customer %d,%d.50\n" % (n, n, n) for n in range(50_000))
    result, seconds, peak = measured(lambda: extract_text(data, path="big.csv"))
    assert not isinstance(result, Exception), result
    text = result[0].text
    assert "49999,customer 49999,49999.50" in text
    assert text.count("id,name,amount") > 100  # blocks, each led by the header
    assert seconds < 10.0
    assert peak < 8 * len(data)


def test_pdf_parse_runs_out_of_time_as_a_parse_error() -> None:
    data = inflating_pdf(pages=1, inflated=5_000_000)
    assert len(data) < 64 * 1024
    budget = ParseBudget(timeout=1.0)
    started = time.perf_counter()
    with pytest.raises(ParseError, match=r"longer than 1 s"):
        extract_text_bounded(data, path="bomb.pdf", budget=budget)
    assert time.perf_counter() - started < 6.0  # 1 s budget + process start and kill


def test_pdf_memory_budget_is_a_parse_error() -> None:
    data = inflating_pdf(pages=1, inflated=40_000_000)
    budget = ParseBudget(timeout=30.0, max_memory=32 * MiB)
    started = time.perf_counter()
    with pytest.raises(ParseError, match=r"bomb\.pdf"):
        extract_text_bounded(data, path="bomb.pdf", budget=budget)
    assert time.perf_counter() - started < 15.0


def test_only_the_pages_asked_for_are_parsed() -> None:
    data = text_pdf([f"page number {n}" for n in range(1, 31)])
    parsed = extract_text_bounded(data, path="p.pdf", first_page=12, stop_after_chars=30)
    assert parsed.page_count == 30
    assert [part.page for part in parsed.parts] == [12, 13, 14]  # 14 chars each: past 30
    assert parsed.parts[0].text == "page number 12"


def test_a_malformed_pdf_is_a_parse_error_from_the_child() -> None:
    with pytest.raises(ParseError, match=r"x\.pdf"):
        extract_text_bounded(b"%PDF-1.4\n garbage", path="x.pdf")


def _pdf_workers() -> set[int]:
    """Pids of this process's PDF worker processes (Linux /proc)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"_pdf_worker" in cmdline:
            pids.add(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
async def test_async_parse_of_a_slow_pdf_is_cancelled_and_killed() -> None:
    before = _pdf_workers()
    data = inflating_pdf(pages=1, inflated=5_000_000)
    task = asyncio.create_task(
        aextract_text_bounded(data, path="bomb.pdf", budget=ParseBudget(timeout=120))
    )
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.perf_counter()
    for _ in range(200):  # the busy worker goes away, long before its 120 s budget
        if not (_pdf_workers() - before) and len(_pdf_workers()) <= len(before):
            break
        await asyncio.sleep(0.05)
    assert len(_pdf_workers()) <= len(before)
    assert time.perf_counter() - started < 10.0


def test_the_text_budget_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="budget of 100 characters"):
        extract_text_bounded(b"x" * 1000, path="a.txt", budget=ParseBudget(max_chars=100))
