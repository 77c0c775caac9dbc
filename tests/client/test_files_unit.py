"""Unit tests (MockTransport) of listing, ranged reads and ``stream_file``'s resume and checks."""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from client_fakes import FakeAirbyte

from airbyte_embedded_tools import _streaming
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import (
    AirbyteEmbeddedError,
    FileChangedError,
    IncompleteReadError,
    RangeNotSatisfiableError,
)

MakeClient = Callable[..., AirbyteEmbeddedClient]
DATA = bytes(range(256)) * 40  # 10240 bytes


class Breaking(httpx.AsyncByteStream):
    """A body that delivers ``data[:cut]`` and then breaks like a reset connection."""

    def __init__(self, data: bytes, cut: int) -> None:
        self.data = data
        self.cut = cut

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data[: self.cut // 2]
        yield self.data[self.cut // 2 : self.cut]
        raise httpx.ReadError("connection reset by peer")


class Whole(httpx.AsyncByteStream):
    """A body without ``Content-Length``, in a few pieces."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self.data), 3000):
            yield self.data[i : i + 3000]


class FileServer:
    """Serves ``DATA`` with HTTP range semantics; ``faults[n]`` spoils the n-th (1-based) GET."""

    def __init__(self, data: bytes = DATA, etag: str = '"v1"') -> None:
        self.data = data
        self.etag = etag
        self.ranges: list[str | None] = []
        self.faults: dict[int, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.ranges.append(request.headers.get("range"))
        number = len(self.ranges)
        headers = {"etag": self.etag, "content-type": "application/octet-stream"}
        spec = request.headers.get("range")
        if spec is None:
            return httpx.Response(200, content=self.data, headers=headers)
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", spec)
        assert match is not None
        start = int(match.group(1))
        size = len(self.data)
        if start >= size:
            return httpx.Response(
                416, json={"detail": "unsatisfiable"}, headers={"content-range": f"bytes */{size}"}
            )
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        body = self.data[start : end + 1]
        headers["content-range"] = f"bytes {start}-{end}/{size}"
        fault = self.faults.get(number)
        if fault == "drop":
            return httpx.Response(206, headers=headers, stream=Breaking(body, len(body) // 2))
        if fault == "short":
            return httpx.Response(206, headers=headers, content=body[: len(body) // 3])
        if fault == "etag":
            headers["etag"] = '"v2"'
        return httpx.Response(206, headers=headers, content=body)


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([piece async for piece in stream])


async def drain(stream: AsyncIterator[bytes], into: bytearray) -> None:
    """Append every piece to ``into`` (what was received survives an exception)."""
    async for piece in stream:
        into += piece


@pytest.fixture
def server(fake: FakeAirbyte) -> FileServer:
    files = FileServer()
    fake.handler = files
    return files


async def test_listing_follows_every_page(fake: FakeAirbyte, make_client: MakeClient) -> None:
    seen: list[httpx.Request] = []
    pages = {None: ("p2", ["a.txt", "b.txt"]), "p2": ("p3", ["c.txt"]), "p3": (None, ["d/e.txt"])}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        token = request.url.params.get("page_token")
        nxt, paths = pages[token]
        files = [{"path": p, "size": 1, "extra": True} for p in paths]
        return httpx.Response(200, json={"files": files, "next_page_token": nxt})

    fake.handler = handler
    entries = await make_client().list_files("src", "docs/q 3", recursive=False, page_size=2)
    assert [e.path for e in entries] == ["a.txt", "b.txt", "c.txt", "d/e.txt"]
    assert len(seen) == 3
    assert seen[0].url.raw_path.startswith(b"/api/v1/sonar/files/src/list/docs/q%203?")
    assert seen[0].url.params["recursive"] == "false"
    assert seen[0].url.params["page_size"] == "2"
    assert "page_token" not in seen[0].url.params


async def test_a_repeated_page_token_stops_the_listing(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    fake.handler = lambda r: httpx.Response(200, json={"files": ["x"], "next_page_token": "same"})
    with pytest.raises(AirbyteEmbeddedError, match="repeated a page token"):
        await make_client().list_files("src")


async def test_read_file_without_range_reads_the_whole_file(
    server: FileServer, make_client: MakeClient
) -> None:
    content = await make_client().read_file("src", "data/a.bin")
    assert server.ranges == [None]
    assert content.content == DATA
    assert (content.start, content.end, content.total_size) == (0, len(DATA) - 1, len(DATA))
    assert content.is_complete
    assert content.etag == '"v1"'


@pytest.mark.parametrize(
    ("start", "end", "header", "span"),
    [
        (0, 9, "bytes=0-9", (0, 9)),
        (100, None, "bytes=100-", (100, len(DATA) - 1)),
        (None, 4, "bytes=0-4", (0, 4)),
        (10000, 99999, "bytes=10000-99999", (10000, len(DATA) - 1)),
    ],
)
async def test_read_file_ranges(
    server: FileServer,
    make_client: MakeClient,
    start: int | None,
    end: int | None,
    header: str,
    span: tuple[int, int],
) -> None:
    content = await make_client().read_file("src", "a.bin", start, end)
    assert server.ranges == [header]
    assert (content.start, content.end) == span
    assert content.content == DATA[span[0] : span[1] + 1]
    assert content.total_size == len(DATA)


async def test_read_file_past_the_end_is_416_with_the_size(
    server: FileServer, make_client: MakeClient
) -> None:
    with pytest.raises(RangeNotSatisfiableError) as info:
        await make_client().read_file("src", "a.bin", len(DATA) + 5)
    assert info.value.size == len(DATA)


async def test_read_file_retries_a_short_206(server: FileServer, make_client: MakeClient) -> None:
    server.faults = {1: "short"}
    content = await make_client().read_file("src", "a.bin", 0, 999)
    assert content.content == DATA[:1000]
    assert len(server.ranges) == 2


async def test_stream_file_is_byte_identical_in_chunks(
    server: FileServer, make_client: MakeClient
) -> None:
    got = await collect(make_client().stream_file("src", "a.bin", chunk_size=1024))
    assert hashlib.sha256(got).digest() == hashlib.sha256(DATA).digest()
    # each range twice the previous, the last one cut at the file's end
    assert server.ranges == [
        "bytes=0-1023",
        "bytes=1024-3071",
        "bytes=3072-7167",
        "bytes=7168-10239",
    ]


async def test_stream_file_ranges_stop_growing_at_the_ceiling(
    server: FileServer, make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_streaming, "MAX_STREAM_RANGE", 2048)
    got = await collect(make_client().stream_file("src", "a.bin", chunk_size=1024))
    assert got == DATA
    assert server.ranges[:4] == [
        "bytes=0-1023",
        "bytes=1024-3071",
        "bytes=3072-5119",
        "bytes=5120-7167",
    ]
    server.ranges.clear()
    await collect(make_client().stream_file("src", "a.bin", chunk_size=4096))
    assert server.ranges == ["bytes=0-4095", "bytes=4096-8191", "bytes=8192-10239"]


async def test_stream_file_renews_the_retry_budget_after_chunk_size_of_progress(
    fake: FakeAirbyte, server: FileServer, make_client: MakeClient
) -> None:
    """Two breaks in one long range, one retry allowed: each break came after 1 KiB of progress."""
    server.faults = {3: "drop", 4: "drop"}
    got = await collect(make_client(max_retries=1).stream_file("src", "a.bin", chunk_size=1024))
    assert got == DATA
    assert server.ranges[2:5] == ["bytes=3072-7167", "bytes=5120-7167", "bytes=6144-7167"]
    assert len(fake.sleeps) == 2


async def test_stream_file_resumes_from_the_last_byte_received(
    fake: FakeAirbyte, server: FileServer, make_client: MakeClient
) -> None:
    server.faults = {2: "drop", 3: "short", 5: "drop"}
    pieces = [p async for p in make_client().stream_file("src", "a.bin", chunk_size=4096)]
    assert b"".join(pieces) == DATA
    # range 2 broke after 3072 bytes: resumed at 4096+3072; its resume came short (1/3 of 3072)
    assert server.ranges == [
        "bytes=0-4095",
        "bytes=4096-10239",
        "bytes=7168-10239",
        "bytes=8192-10239",
    ]
    assert len(fake.sleeps) == 2


async def test_stream_file_from_an_offset(server: FileServer, make_client: MakeClient) -> None:
    got = await collect(make_client().stream_file("src", "a.bin", chunk_size=5000, start=7000))
    assert got == DATA[7000:]
    assert server.ranges == ["bytes=7000-11999"]


async def test_stream_file_detects_a_changed_etag(
    server: FileServer, make_client: MakeClient
) -> None:
    server.faults = {2: "etag"}
    received = bytearray()
    with pytest.raises(FileChangedError, match="changed while being read"):
        await drain(make_client().stream_file("src", "a.bin", chunk_size=4096), received)
    assert bytes(received) == DATA[:4096]


async def test_stream_file_gives_up_with_incomplete_read(
    server: FileServer, make_client: MakeClient
) -> None:
    server.faults = {n: "drop" for n in range(1, 20)}
    received = bytearray()
    stream = make_client(max_retries=2).stream_file("src", "a.bin", chunk_size=8192)
    with pytest.raises(IncompleteReadError, match="retries ran out"):
        await drain(stream, received)
    assert bytes(received) == DATA[: len(received)]  # never a byte twice, never a gap
    assert len(server.ranges) == 3


async def test_stream_file_of_an_empty_file_yields_nothing(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    fake.handler = FileServer(data=b"")
    assert await collect(make_client().stream_file("src", "empty.txt")) == b""


async def test_stream_file_when_the_server_ignores_range(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=DATA, headers={"etag": '"v1"'})

    fake.handler = handler
    got = await collect(make_client().stream_file("src", "a.bin", chunk_size=1000, start=10))
    assert got == DATA[10:]


async def test_stream_file_when_the_server_ignores_range_and_sends_no_length(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, stream=Whole(DATA))

    fake.handler = handler
    got = await collect(make_client().stream_file("src", "a.bin", chunk_size=1000))
    assert got == DATA
    assert len(calls) == 1
