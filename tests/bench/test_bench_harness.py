"""Unit tests of the bench harness: targets, tables, interleaving, RESULTS.md and peak memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.memory import PeakGrowth
from bench.registry import Row, Target
from bench.results import BEGIN, END, write_results
from bench.table import render_markdown, render_text
from bench.timing import interleaved, ratio


def test_targets_judge_each_operator() -> None:
    assert Target("<=", 1.1).met(1.1)
    assert not Target("<=", 1.1).met(1.11)
    assert Target(">=", 0.8).met(0.8)
    assert not Target(">=", 0.8).met(0.79)
    assert not Target("<", 64).met(64)
    assert Target("==", 1).met(1.0)


def test_rows_format_value_target_and_status() -> None:
    row = Row("s", "m", "1 ms", "2 ms", 12.5, Target("<", 64.0), unit=" MiB", digits=1)
    assert (row.format_value(), row.target_text, row.status) == ("12.5 MiB", "< 64.0 MiB", "met")
    missed = Row("s", "m", "a", "b", 1.3, Target("<=", 1.1))
    assert (missed.target_text, missed.status) == ("≤ 1.10", "MISSED")
    assert Row("s", "m", "a", "b", 3.0).target_text == "report"


def test_text_table_aligns_columns_and_markdown_escapes_pipes() -> None:
    rows = [Row("short", "m", "1", "2", 0.5), Row("a much longer name", "m|x", "1", "2", 0.25)]
    lines = render_text(rows).splitlines()
    assert len(lines) == 4
    assert lines[2].index("m ") == lines[3].index("m|x") == lines[0].index("measure")
    markdown = render_markdown(rows)
    assert "m\\|x" in markdown
    assert markdown.splitlines()[1] == "|---|---|---|---|---|---|---|"


async def test_interleaved_rotates_the_order_every_repetition() -> None:
    calls: list[str] = []

    def variant(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            calls.append(name)

        return run

    samples = await interleaved({"a": variant("a"), "b": variant("b")}, 4)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert [len(v) for v in samples["wall"].values()] == [4, 4]
    assert all(t >= 0 for v in samples["cpu"].values() for t in v)
    assert ratio([2.0, 2.0, 9.0], [1.0, 1.0, 0.5]) == 2.0


def test_write_results_replaces_only_the_generated_block(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    write_results("first run", path)
    text = path.read_text()
    assert BEGIN in text
    assert "first run" in text
    path.write_text(text + "\n## Analysis\n\nhand-written\n")
    write_results("second run", path)
    text = path.read_text()
    assert "second run" in text
    assert "first run" not in text
    assert text.endswith("## Analysis\n\nhand-written\n")
    assert text.count(BEGIN) == text.count(END) == 1


def test_peak_growth_sees_a_transient_allocation() -> None:
    growth = PeakGrowth()
    block = bytearray(48 * 1024 * 1024)
    block[::4096] = b"x" * len(block[::4096])
    del block
    assert 40 <= growth.mib() < 200


async def test_the_commit_worker_repeats_each_measure_against_a_sandbox() -> None:
    from dataclasses import asdict

    from airbyte_embedded_tools.sandbox import Sandbox
    from bench import commit_worker
    from bench.context import Conn

    with Sandbox() as sb:
        conn = asdict(Conn.of(sb))
        for kind in ("proxy", "list", "cold"):
            result = await commit_worker.repeat(conn, kind, 2)
            assert result["package"].endswith("airbyte_embedded_tools/__init__.py")
        calls = [record.endpoint for record in sb.access_log]
    assert calls.count("proxy") == 22 + 50  # 2 after 20 warm-up calls; one cold client of 50
    assert calls.count("files.list") == 22


def test_the_instruction_table_gives_each_commit_its_ratio_to_the_first() -> None:
    from bench.commits import _count_table

    counts = {
        (sha, kind): value
        for sha, scale in (("aaa", 1.0), ("bbb", 0.95))
        for kind, value in (("proxy", 3.6e6 * scale), ("list", 3.0e6 * scale), ("cold", 1.2e7))
    }
    table = _count_table(["aaa", "bbb"], counts)
    assert "| warm proxied call | bbb | 3,420,000 | 0.950 |" in table
    assert "| cold client, calls 50 at a time | bbb | 12,000,000 | 1.000 |" in table
