"""``read_file`` on hostile PDFs: the event loop never stalls (a ticker task measures it), only
the page asked for is parsed, and a page over the time budget is a readable error message.

Before: a 16 KB one-page PDF inflating to 5 MB took 16.9 s with the loop blocked the whole time;
50 pages sharing that stream did not finish in 150 s.
"""

from __future__ import annotations

import time

from hostile_files import inflating_pdf, max_stall, text_pdf

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.documents.bounded import ParseBudget
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import ReadFileTool

STALL = 0.25
"""The longest the loop may stall (seconds): far above a tick, far below any parse."""


async def test_a_pdf_page_over_budget_is_a_message_and_the_loop_keeps_running(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    (fresh_sandbox.files_dir / "bomb.pdf").write_bytes(inflating_pdf(1, 5_000_000))
    tool = ReadFileTool(
        fresh_client,
        source_id=fresh_sandbox.file_source_id,
        parse_budget=ParseBudget(timeout=2.0),
    )
    started = time.perf_counter()
    result, stall = await max_stall(tool.arun(path="bomb.pdf"))
    seconds = time.perf_counter() - started
    assert result.is_error
    assert "bomb.pdf" in result.content
    assert "longer than 2 s" in result.content
    assert seconds < 10.0
    assert stall < STALL, f"event loop blocked for {stall:.3f} s"


async def test_one_page_of_fifty_is_parsed_without_the_slow_others(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    """Page 1 is plain; pages 2-50 share a slow inflating stream. Asking for page 1 (which
    fills the answer) must not parse the others: their parse would run past the budget."""
    intro = b"first page text\n" + b"\n".join(b"line %d of the first page" % n for n in range(80))
    data = inflating_pdf(50, 2_000_000, plain_first=intro)
    (fresh_sandbox.files_dir / "fifty.pdf").write_bytes(data)
    tool = ReadFileTool(
        fresh_client,
        source_id=fresh_sandbox.file_source_id,
        max_chars=2000,
        parse_budget=ParseBudget(timeout=5.0),
    )
    started = time.perf_counter()
    result, stall = await max_stall(tool.arun(path="fifty.pdf", page=1))
    seconds = time.perf_counter() - started
    assert not result.is_error, result.content
    assert result.artifact.page_count == 50
    assert (result.artifact.first_page, result.artifact.last_page) == (1, 1)
    assert "first page text" in result.artifact.text
    assert "call read_file again with page=2" in result.content
    assert stall < STALL, f"event loop blocked for {stall:.3f} s"
    assert seconds < 60.0  # a worker start on a loaded machine included
    # The slow pages: over budget, a message (a budget well under their parse time anywhere).
    tight = ReadFileTool(
        fresh_client,
        source_id=fresh_sandbox.file_source_id,
        max_chars=2000,
        parse_budget=ParseBudget(timeout=0.5),
    )
    slow = await tight.arun(path="fifty.pdf", page=2)
    assert slow.is_error, slow.content
    assert "longer than 0.5 s" in slow.content


async def test_pdf_pages_are_read_one_part_at_a_time(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    (fresh_sandbox.files_dir / "pages.pdf").write_bytes(
        text_pdf([f"text of page {n}" for n in range(1, 41)])
    )
    tool = ReadFileTool(fresh_client, source_id=fresh_sandbox.file_source_id, max_chars=1000)
    seen: list[int] = []
    page = 1
    while True:
        result = await tool.arun(path="pages.pdf", page=page)
        assert not result.is_error, result.content
        artifact = result.artifact
        assert artifact.page_count == 40
        seen.extend(range(artifact.first_page, artifact.last_page + 1))
        for number in range(artifact.first_page, artifact.last_page + 1):
            assert f"text of page {number}\n" in artifact.text + "\n"
        if artifact.next_page is None:
            break
        page = artifact.next_page
    assert seen == list(range(1, 41))
