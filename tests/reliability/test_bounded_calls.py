"""Bounded calls: one wall-clock deadline per call, answers read under a size cap, no short
whole-file read returned as complete.

Slow and huge answers come from tiny raw asyncio servers on 127.0.0.1 (the sandbox cannot drip
a byte every 1.5 s nor send 200 MB cheaply); short reads from the sandbox's ``truncate`` fault.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from reliability_helpers import make_client

from airbyte_embedded_tools import (
    AirbyteEmbeddedClient,
    APIConnectionError,
    APITimeoutError,
    IncompleteReadError,
    ResponseTooLargeError,
)
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

pytestmark = pytest.mark.reliability

CUSTOMERS = "https://api.stripe.com/v1/customers"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A raw HTTP/1.1 server on 127.0.0.1 running ``handler`` per connection; yields its URL."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 promising 1000 bytes and sending one every 1.5 s (each read within its timeout)."""
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    )
    await writer.drain()
    for _ in range(1000):
        await asyncio.sleep(1.5)
        writer.write(b" ")
        await writer.drain()


HUGE = 200 * 1024 * 1024
CHUNK = b"x" * 65536


async def huge_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A 200 MB answer, chunked (no Content-Length to refuse it by): only reading finds out."""
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    frame = b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK)
    for _ in range(HUGE // len(CHUNK)):
        writer.write(frame)
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()


async def test_a_dripping_answer_ends_by_the_total_deadline() -> None:
    async with raw_server(drip) as url:
        client = AirbyteEmbeddedClient(token="t0ken", base_url=url, timeout=2, retry_deadline=5)
        assert client.total_timeout == 7.0  # retry_deadline + the longest per-attempt timeout
        started = time.monotonic()
        async with client:
            with pytest.raises(APITimeoutError, match="total timeout"):
                await client.proxy_request("src", "GET", CUSTOMERS)
        took = time.monotonic() - started
    assert took < 10.0, took  # 7 s deadline; 45 s before the fix


async def test_the_token_exchange_counts_against_the_callers_deadline() -> None:
    async with raw_server(drip) as url:
        client = AirbyteEmbeddedClient(
            client_id="id", client_secret="s3cret", base_url=url, timeout=2, total_timeout=30
        )
        started = time.monotonic()
        async with client:
            with pytest.raises(APITimeoutError, match="total timeout"):
                await client.proxy_request("src", "GET", CUSTOMERS, total_timeout=2)
        took = time.monotonic() - started
    assert took < 5.0, took


async def too_large_with_peak(handler: Handler, cap: int, match: str) -> int:
    """A proxied call to ``handler`` capped at ``cap``: it raises ``ResponseTooLargeError``
    (matching ``match``, naming the cap); returns the peak traced memory during the call."""
    async with (
        raw_server(handler) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url) as client,
    ):
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError, match=match) as caught:
                await client.proxy_request("src", "GET", CUSTOMERS, max_response_bytes=cap)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert caught.value.limit == cap
    return peak


async def test_a_200_mb_answer_stops_at_the_cap_with_memory_bounded_by_it() -> None:
    cap = 4 * 1024 * 1024
    peak = await too_large_with_peak(huge_chunked, cap, "smaller limit")
    assert peak < 3 * cap, peak  # the cap and the pieces joined, not 200 MB


async def test_a_whole_file_over_the_cap_is_refused_by_its_length() -> None:
    with Sandbox(large_file_size=2 * 1024 * 1024) as sb:
        async with make_client(sb, max_response_bytes=1024 * 1024) as client:
            path = sb.large_file_path
            assert path is not None
            with pytest.raises(ResponseTooLargeError, match="byte range") as caught:
                await client.read_file(sb.file_source_id, path)
            part = await client.read_file(sb.file_source_id, path, 0, 1023)
    assert "announces 2097152 bytes" in str(caught.value)  # refused on its length, unread
    assert len(part.content) == 1024


async def test_no_truncated_whole_file_read_comes_back_complete() -> None:
    faults = FaultConfig(rate_truncate=0.3, seed=3, targets=frozenset({"files"}))
    with Sandbox(large_file_size=0) as sb:
        async with make_client(sb, max_retries=0) as clean:
            entries = [e for e in await clean.list_files(sb.file_source_id) if e.size]
        truth = {e.path: (sb.files_dir / e.path).read_bytes() for e in entries}
        sb.set_faults(faults)
        complete = short = 0
        async with make_client(sb, max_retries=1) as client:
            for _ in range(3):
                for entry in entries:
                    try:
                        got = await client.read_file(
                            sb.file_source_id, entry.path, expected_size=entry.size
                        )
                    except IncompleteReadError:
                        short += 1
                        continue
                    assert got.is_complete
                    assert got.content == truth[entry.path], entry.path
                    complete += 1
        assert sb.fault_calls > 0
    assert complete > 0, (complete, short)  # both paths taken: the faults were hit
    assert short > 0, (complete, short)


async def test_a_short_200_without_a_known_size_still_fails_on_its_content_length() -> None:
    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 199\r\n\r\n" + b"a" * 99)
        await writer.drain()

    async with (
        raw_server(short) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url, max_retries=1) as client,
    ):
        with pytest.raises(APIConnectionError, match="RemoteProtocolError"):
            await client.read_file("src", "a.txt")


def answer_with(body: bytes, coding: str, *, content_type: bytes = b"application/json") -> Handler:
    """A 200 carrying ``body`` as is, labelled with ``Content-Encoding: coding``."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Encoding: %s\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (content_type, coding.encode(), len(body), body)
        )
        await writer.drain()

    return handler


async def test_a_gzip_bomb_stops_at_the_cap_with_memory_bounded_by_it() -> None:
    cap = 1024 * 1024
    bomb = gzip.compress(bytes(64 * 1024 * 1024))  # 64 MiB of zeros in about 64 KB
    assert len(bomb) < cap  # its Content-Length is honest and small: only inflating finds out
    peak = await too_large_with_peak(answer_with(bomb, "gzip"), cap, "inflates past it")
    assert peak < 8 * cap, peak  # 148 MB before the fix: httpx inflated each read whole


async def test_a_gzip_answer_is_inflated() -> None:
    payload = {"object": "list", "data": [{"id": "cus_1"}], "has_more": False}
    body = gzip.compress(json.dumps(payload).encode())
    async with (
        raw_server(answer_with(body, "gzip")) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url) as client,
    ):
        answer = await client.proxy_request("src", "GET", CUSTOMERS)
    assert answer.json() == payload
    assert "content-encoding" not in answer.headers


async def test_a_corrupt_gzip_answer_is_retried_then_raised_without_an_httpx_error() -> None:
    body = gzip.compress(b'{"object": "list", "data": []}')
    broken = body[:12] + bytes(b ^ 0xFF for b in body[12:20]) + body[20:]
    calls: list[int] = []

    async def corrupt(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        calls.append(1)
        await answer_with(broken, "gzip")(reader, writer)

    async with (
        raw_server(corrupt) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url, max_retries=1) as client,
    ):
        with pytest.raises(IncompleteReadError, match="gzip body is corrupt") as caught:
            await client.proxy_request("src", "GET", CUSTOMERS)
    assert calls == [1, 1]  # retried once: the next answer might have been whole
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


async def test_a_gzip_answer_cut_short_is_an_incomplete_read() -> None:
    body = gzip.compress(json.dumps({"data": list(range(1000))}).encode())
    async with (
        raw_server(answer_with(body[: len(body) // 2], "gzip")) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url, max_retries=0) as client,
    ):
        with pytest.raises(IncompleteReadError, match="ends before its end"):
            await client.proxy_request("src", "GET", CUSTOMERS)


async def test_a_coding_the_client_did_not_ask_for_is_refused_by_name() -> None:
    async with (
        raw_server(answer_with(b"\x8b\x02\x80{}\x03", "br")) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url, max_retries=0) as client,
    ):
        with pytest.raises(APIConnectionError, match=r"encoded as 'br'.*gzip, deflate"):
            await client.proxy_request("src", "GET", CUSTOMERS)


async def test_a_file_stored_gzipped_is_read_and_streamed_as_stored() -> None:
    stored = gzip.compress(b"a,b\n1,2\n" * 1000)
    async with (
        raw_server(answer_with(stored, "gzip", content_type=b"text/csv")) as url,
        AirbyteEmbeddedClient(token="t0ken", base_url=url) as client,
    ):
        whole = await client.read_file("src", "data.csv.gz")
        streamed = b"".join([piece async for piece in client.stream_file("src", "data.csv.gz")])
    assert whole.content == stored  # the bytes as stored, as S3 serves a gzip-encoded object
    assert streamed == stored


async def test_our_pool_sends_who_we_are_and_what_we_accept() -> None:
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append((await reader.readuntil(b"\r\n\r\n")).lower())
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with AirbyteEmbeddedClient(token="t0ken", base_url=url) as client:
            await client.proxy_request("src", "GET", CUSTOMERS)
            await client.read_file("src", "a.json")
    finally:
        server.close()
    proxy, file = heads
    for head in heads:
        assert b"\r\nuser-agent: airbyte-embedded-tools/" in head
        assert b"\r\nauthorization: bearer t0ken\r\n" in head
        assert head.count(b"\r\naccept:") == head.count(b"\r\naccept-encoding:") == 1
    assert b"\r\naccept-encoding: gzip, deflate\r\n" in proxy
    assert b"\r\naccept: application/json\r\n" in proxy
    assert b"\r\naccept-encoding: identity\r\n" in file
    assert b"\r\naccept: */*\r\n" in file
