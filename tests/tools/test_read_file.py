"""ReadFileTool against the sandbox: every format, windows with offsets, PDF pages, refusals."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._models import FileContent
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import FileText, ReadFileTool

NEXT_OFFSET = re.compile(r"call read_file again with offset=(\d+)")
NEXT_PAGE = re.compile(r"call read_file again with page=(\d+)")


@pytest.fixture
async def reader(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> ReadFileTool:
    return ReadFileTool(client, source_id=sandbox.file_source_id)


@pytest.fixture
async def fresh_client(
    fresh_sandbox: Sandbox, new_client: Callable[[Sandbox], AirbyteEmbeddedClient]
) -> AsyncIterator[AirbyteEmbeddedClient]:
    async with new_client(fresh_sandbox) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", "# Customer document share"),
        ("reports/q3-revenue.csv", "2025-07,na,14,182300.50,2"),
        ("reports/customers.json", '"'),
        ("reports/events.jsonl", '"type": "export_started"'),
        ("contracts/initech-sla.html", "99.0% – 99.9% | 10% of the monthly fee"),
        ("notes/legacy-latin1.txt", "é"),
        ("notes/multilingual-utf16.txt", "Nakatomi Trading (東京)"),
    ],
)
async def test_small_files_are_read_whole(reader: ReadFileTool, path: str, expected: str) -> None:
    result = await reader.arun(path=path)
    assert not result.is_error, result.content
    head, text = result.content.split("\n", 1)
    assert head.startswith(f"File '{path}' (")
    assert head.endswith("): the whole file.")
    assert expected in text
    assert "<" not in text or path != "contracts/initech-sla.html"
    assert isinstance(result.artifact, FileText)
    assert result.artifact.start == 0
    assert result.artifact.next_offset is None
    assert result.artifact.end == result.artifact.total_size - 1  # type: ignore[operator]


async def test_empty_file(reader: ReadFileTool) -> None:
    result = await reader.arun(path="notes/empty.txt")
    assert not result.is_error
    assert result.content == "File 'notes/empty.txt' (text/plain, 0 B): the whole file."


async def test_a_long_text_file_is_read_in_parts_that_join_exactly(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    lines = [f"{n:05d} Grüße, naïve café — 東京 line {'x' * (n % 37)}" for n in range(1200)]
    original = "\n".join(lines) + "\n"
    data = original.encode("utf-8")
    (fresh_sandbox.files_dir / "logs").mkdir()
    (fresh_sandbox.files_dir / "logs" / "big.log").write_bytes(data)
    tool = ReadFileTool(fresh_client, source_id=fresh_sandbox.file_source_id, max_chars=5000)
    parts: list[str] = []
    offset = 0
    for _ in range(200):
        result = await tool.arun(path="logs/big.log", offset=offset)
        assert not result.is_error, result.content
        assert len(result.content) <= 5000
        artifact = result.artifact
        assert artifact.start == offset
        assert f"bytes {offset}-{artifact.end} of {len(data)}." in result.content
        assert artifact.text.endswith("\n")  # cut at a line boundary
        parts.append(artifact.text)
        match = NEXT_OFFSET.search(result.content)
        if match is None:
            assert result.content.endswith("[End of file.]")
            break
        assert int(match.group(1)) == artifact.end + 1
        assert f"({len(data) - artifact.end - 1} bytes left)" in result.content
        offset = int(match.group(1))
    assert len(parts) > 5
    assert "".join(parts) == original


async def test_an_offset_inside_a_character_skips_to_the_next_one(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    (fresh_sandbox.files_dir / "u.txt").write_bytes("ab東京\n".encode())
    tool = ReadFileTool(fresh_client, source_id=fresh_sandbox.file_source_id)
    result = await tool.arun(path="u.txt", offset=3)  # inside 東 (bytes 2-4)
    assert result.artifact.text == "京\n"
    assert result.artifact.start == 5


async def test_a_long_line_is_cut_on_a_character_boundary(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient
) -> None:
    text = "é" * 6000  # one line, 12000 bytes
    (fresh_sandbox.files_dir / "line.txt").write_bytes(text.encode())
    tool = ReadFileTool(fresh_client, source_id=fresh_sandbox.file_source_id, max_chars=2000)
    first = await tool.arun(path="line.txt")
    assert set(first.artifact.text) == {"é"}
    second = await tool.arun(path="line.txt", offset=first.artifact.next_offset)
    assert set(second.artifact.text) == {"é"}
    assert first.artifact.next_offset % 2 == 0


async def test_pdf_is_read_by_pages(reader: ReadFileTool) -> None:
    result = await reader.arun(path="contracts/globex-order-form.pdf")
    assert not result.is_error, result.content
    assert "(PDF, " in result.content
    assert "pages 1-3 of 3." in result.content
    assert "--- page 2 ---\nPricing" in result.content
    assert result.content.endswith("[Last page.]")
    page3 = await reader.arun(path="contracts/globex-order-form.pdf", page=3)
    assert "page 3 of 3." in page3.content
    assert "--- page 2 ---" not in page3.content
    assert page3.artifact.first_page == page3.artifact.last_page == 3
    missing = await reader.arun(path="contracts/globex-order-form.pdf", page=9)
    assert missing.is_error
    assert "has 3 pages; page 9 does not exist" in missing.content


async def test_pdf_pages_continue_from_the_hint(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ReadFileTool(client, source_id=sandbox.file_source_id, max_chars=1000)
    seen: list[int] = []
    page = 1
    while True:
        result = await tool.arun(path="contracts/globex-order-form.pdf", page=page)
        assert len(result.content) <= 1000
        seen += list(range(result.artifact.first_page, result.artifact.last_page + 1))
        match = NEXT_PAGE.search(result.content)
        if match is None:
            break
        page = int(match.group(1))
    assert seen == [1, 2, 3]
    assert len(tool._pdf_cache) == 1  # the whole PDF was fetched and parsed once


async def test_a_pdf_over_the_cap_is_refused(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ReadFileTool(client, source_id=sandbox.file_source_id, max_pdf_bytes=1024)
    result = await tool.arun(path="contracts/globex-order-form.pdf")
    assert result.is_error
    assert "this tool reads PDFs up to 1.0 KiB" in result.content


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("data/large.bin", "is a binary file, not readable as text"),
        ("images/logo.png", "is a binary file, not readable as text"),
        ("misc/broken.pdf", "malformed PDF"),
        ("no/such/file.txt", "call list_files to see the exact paths"),
    ],
)
async def test_unreadable_files_are_messages(
    reader: ReadFileTool, path: str, fragment: str
) -> None:
    result = await reader.arun(path=path)
    assert result.is_error
    assert fragment in result.content


async def test_an_offset_past_the_end_is_a_message(reader: ReadFileTool) -> None:
    result = await reader.arun(path="README.md", offset=10_000)
    assert result.is_error
    assert "offset 10000 is past the end of 'README.md'" in result.content


class RecordingClient(AirbyteEmbeddedClient):
    """Serves one big binary-looking file from memory and records the ranges asked for."""

    def __init__(self, content: bytes) -> None:
        super().__init__(token="fake-token", base_url="http://127.0.0.1:9")
        self.content = content
        self.ranges: list[tuple[int | None, int | None]] = []

    async def proxy_request(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def iter_files(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def read_file(
        self, source_id: str, path: str, start: int | None = None, end: int | None = None
    ) -> FileContent:
        self.ranges.append((start, end))
        first = start or 0
        last = min(len(self.content) - 1, len(self.content) - 1 if end is None else end)
        return FileContent(
            path=path,
            content=self.content[first : last + 1],
            start=first,
            end=last,
            total_size=len(self.content),
            content_type="application/octet-stream",
        )


async def test_a_huge_file_is_never_read_whole() -> None:
    client = RecordingClient(b"\x00\x01binary" * 1_000_000)
    tool = ReadFileTool(client, source_id="src")
    result = await tool.arun(path="dump.bin")
    assert result.is_error
    assert client.ranges == [(0, tool.window_bytes - 1)]
    text_client = RecordingClient(b"hello world\n" * 1_000_000)
    text_tool = ReadFileTool(text_client, source_id="src")
    ok = await text_tool.arun(path="dump.txt", offset=120)
    assert ok.artifact.start == 120
    assert text_client.ranges == [(120, 120 + text_tool.window_bytes - 1)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
async def test_utf16_and_utf32_files_read_window_by_window_keep_every_line(
    fresh_sandbox: Sandbox, fresh_client: AirbyteEmbeddedClient, encoding: str
) -> None:
    """Windows stay on character boundaries of the file's encoding (BOM or BOM-less): before,
    the first window ended on an odd byte and every later one was garbage."""
    count = 20_000 if encoding == "utf-16" else 3_000
    lines = [f"line {n:05d} naïve 東京 \U0001f600 {'z' * (n % 13)}" for n in range(count)]
    original = "\n".join(lines) + "\n"
    data = original.encode(encoding)
    (fresh_sandbox.files_dir / "wide.txt").write_bytes(data)
    tool = ReadFileTool(fresh_client, source_id=fresh_sandbox.file_source_id, max_chars=20_000)
    texts: list[str] = []
    offset = 0
    for _ in range(2_000):
        result = await tool.arun(path="wide.txt", offset=offset)
        assert not result.is_error, result.content
        assert result.artifact.start == offset
        texts.append(result.artifact.text)
        match = NEXT_OFFSET.search(result.content)
        if match is None:
            break
        offset = int(match.group(1))
    assert len(texts) > 3
    assert "\ufffd" not in "".join(texts)
    assert "".join(texts).split("\n") == [*lines, ""]  # every line, byte for byte
