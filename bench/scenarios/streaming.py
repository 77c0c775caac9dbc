"""A large file through ``stream_file`` against one streaming GET: throughput and peak memory."""

from __future__ import annotations

from typing import Any

import httpx

from bench import ours, raw
from bench.context import MIB, BenchContext, Conn, run_task, sandbox
from bench.memory import PeakGrowth
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import cpu_note, interleaved, median


async def _ours_stream(api: Any, conn: Conn, size: int) -> None:
    received = 0
    async for chunk in api.stream_file(conn.file_source_id, conn.large_file_path):
        received += len(chunk)
    if received != size:
        raise RuntimeError(f"stream_file returned {received} bytes, expected {size}")


async def _raw_stream(http: httpx.AsyncClient, conn: Conn, token: str, size: int) -> None:
    received = 0
    url = raw.file_url(conn, conn.large_file_path)
    async with http.stream("GET", url, headers=raw.auth(token)) as resp:
        resp.raise_for_status()
        async for chunk in resp.aiter_bytes():
            received += len(chunk)
    if received != size:
        raise RuntimeError(f"the raw GET returned {received} bytes, expected {size}")


async def stream_throughput(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: seconds per whole-file read, ours and raw interleaved, both warmed."""
    size = params["size"]
    async with ours.client(conn) as api, httpx.AsyncClient(timeout=120.0) as http:
        token = await raw.fetch_token(http, conn)
        await api.read_file(conn.file_source_id, conn.large_file_path, start=0, end=0)
        warm = await http.get(
            raw.file_url(conn, conn.large_file_path),
            headers={**raw.auth(token), "Range": "bytes=0-0"},
        )
        warm.raise_for_status()
        return await interleaved(
            {
                "ours": lambda: _ours_stream(api, conn, size),
                "raw": lambda: _raw_stream(http, conn, token, size),
            },
            params["repetitions"],
            collect=True,
        )


async def stream_memory(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: peak RSS growth of one whole-file read by one side, in a fresh process."""
    size = params["size"]
    async with ours.client(conn) as api, httpx.AsyncClient(timeout=120.0) as http:
        token = await raw.fetch_token(http, conn)
        await api.read_file(conn.file_source_id, conn.large_file_path, start=0, end=0)
        growth = PeakGrowth()
        if params["side"] == "ours":
            await _ours_stream(api, conn, size)
        else:
            await _raw_stream(http, conn, token, size)
        return {"mib": growth.mib()}


@scenario("stream-file", "a large file through stream_file")
def stream_file(ctx: BenchContext) -> ScenarioResult:
    """Throughput ours / raw streaming GET, and the peak RSS growth of each side."""
    size = ctx.sizes.large_file_bytes
    reps = ctx.sizes.stream_repetitions
    with sandbox(large_file_size=size) as sb:
        conn = Conn.of(sb)
        times = run_task(stream_throughput, conn, {"size": size, "repetitions": reps})
        memory = {
            side: run_task(stream_memory, conn, {"size": size, "side": side})["mib"]
            for side in ("ours", "raw")
        }
    ours_rate = size / MIB / median(times["wall"]["ours"])
    raw_rate = size / MIB / median(times["wall"]["raw"])
    title = f"{size // MIB} MiB file through stream_file"
    return ScenarioResult(
        name="stream-file",
        rows=[
            Row(
                title,
                f"throughput (median of {reps})",
                f"{ours_rate:,.0f} MiB/s",
                f"{raw_rate:,.0f} MiB/s",
                ours_rate / raw_rate,
                Target(">=", 0.80),
            ),
            Row(
                title,
                "peak RSS growth",
                f"{memory['ours']:.1f} MiB",
                f"{memory['raw']:.1f} MiB",
                memory["ours"],
                Target("<", 64.0),
                unit=" MiB",
                digits=1,
            ),
        ],
        notes=[
            "ours = client.stream_file (ranged reads of the default chunk size); raw = one "
            "streaming GET of the whole file; memory measured in a fresh process per side; "
            + cpu_note(times, size // MIB, "MiB", {"ours": "ours", "raw": "raw"})
        ],
    )
