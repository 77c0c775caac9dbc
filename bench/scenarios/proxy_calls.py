"""Proxied Stripe calls: one warm call's latency, and 1,000 calls 50 at a time on a cold client."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench import ours, raw
from bench.context import BenchContext, Conn, run_task
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import cpu_note, fmt_seconds, interleaved, median, ratio

PARAMS = {"limit": 3}


async def _fan_out(call: Callable[[], Awaitable[object]], total: int, concurrency: int) -> None:
    """``total`` calls, ``concurrency`` in flight at any time."""
    remaining = iter(range(total))

    async def lane() -> None:
        for _ in remaining:
            await call()

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def warm_latency(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: seconds per call, ours and raw interleaved, both warmed (token and connection)."""
    url = raw.stripe_url(ours.INVOICES_PATH, PARAMS)
    async with ours.client(conn) as api, httpx.AsyncClient() as http:
        token = await raw.fetch_token(http, conn)

        async def our_call() -> None:
            resp = await api.proxy_request(
                conn.stripe_source_id, "GET", raw.STRIPE_API + ours.INVOICES_PATH, params=PARAMS
            )
            resp.raise_for_status()

        async def raw_call() -> None:
            (await raw.proxy(http, conn, token, "GET", url)).raise_for_status()

        for _ in range(5):
            await our_call()
            await raw_call()
        return await interleaved({"ours": our_call, "raw": raw_call}, params["calls"])


async def cold_calls(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: wall time of ``calls`` calls on a new client, ours, LangChain tool and raw."""
    total, concurrency = params["calls"], params["concurrency"]
    url = raw.stripe_url(ours.INVOICES_PATH, PARAMS)
    args = ours.invoice_args(PARAMS["limit"])

    async def our_run() -> None:
        async with ours.client(conn) as api:

            async def call() -> None:
                resp = await api.proxy_request(
                    conn.stripe_source_id, "GET", raw.STRIPE_API + ours.INVOICES_PATH, params=PARAMS
                )
                resp.raise_for_status()

            await _fan_out(call, total, concurrency)

    async def langchain_run() -> None:
        async with ours.client(conn) as api:
            tool = ours.langchain_proxy_tool(api, conn)

            async def call() -> None:
                content = await tool.ainvoke(args)
                if "in_" not in str(content):
                    raise RuntimeError(f"the tool did not return invoices: {str(content)[:300]}")

            await _fan_out(call, total, concurrency)

    async def tool_run() -> None:
        async with ours.client(conn) as api:
            tool = ours.neutral_proxy_tool(api, conn)

            async def call() -> None:
                result = await tool.arun(**args)
                if result.is_error or "in_" not in result.content:
                    raise RuntimeError(f"the tool did not return invoices: {result.content[:300]}")

            await _fan_out(call, total, concurrency)

    async def raw_run() -> None:
        async with httpx.AsyncClient() as http:
            token = await raw.fetch_token(http, conn)

            async def call() -> None:
                (await raw.proxy(http, conn, token, "GET", url)).raise_for_status()

            await _fan_out(call, total, concurrency)

    async with ours.client(conn) as api:
        ours.langchain_proxy_tool(api, conn)  # imports LangChain before any timing starts
    variants = {"ours": our_run, "tool": tool_run, "langchain": langchain_run, "raw": raw_run}
    samples = await interleaved(variants, params["repetitions"], collect=True)
    runs = params["repetitions"]
    return {**samples, "cold_clients": 3 * runs, "raw_token_requests": runs}


@scenario("warm-call", "one proxied Stripe call, warm client")
def warm_call(ctx: BenchContext) -> ScenarioResult:
    """Median latency of one proxied call, ours / raw ``httpx.AsyncClient.post``."""
    calls = ctx.sizes.warm_calls
    out = run_task(warm_latency, Conn.of(ctx.default_sandbox()), {"calls": calls})
    wall = out["wall"]
    title = "one proxied Stripe call, warm client"
    return ScenarioResult(
        name="warm-call",
        rows=[
            Row(
                title,
                f"median latency ({calls} calls each)",
                fmt_seconds(median(wall["ours"])),
                fmt_seconds(median(wall["raw"])),
                ratio(wall["ours"], wall["raw"]),
                Target("<=", 1.10),
            )
        ],
        notes=[
            "GET /v1/invoices?limit=3 through the proxy; calls alternate ours/raw; "
            f"p90 ours {fmt_seconds(_p90(wall['ours']))}, raw {fmt_seconds(_p90(wall['raw']))}; "
            + cpu_note(out, 1, "call", {"ours": "ours", "raw": "raw"})
        ],
    )


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


@scenario("cold-calls", "1,000 proxied calls, 50 at a time, cold client (+ LangChain tool)")
def cold(ctx: BenchContext) -> ScenarioResult:
    """Wall time of many concurrent calls on a new client, ours and LangChain's ``ainvoke``."""
    sb = ctx.default_sandbox()
    sizes = ctx.sizes
    params = {
        "calls": sizes.cold_calls,
        "concurrency": sizes.cold_concurrency,
        "repetitions": sizes.cold_repetitions,
    }
    before = sb.token_requests
    out = run_task(cold_calls, Conn.of(sb), params)
    ours_tokens = sb.token_requests - before - out["raw_token_requests"]
    per_client = ours_tokens / out["cold_clients"]
    title = f"{sizes.cold_calls:,} proxied calls, {sizes.cold_concurrency} at a time, cold client"
    wall = out["wall"]
    raw_wall = fmt_seconds(median(wall["raw"]))
    measure = f"wall time (median of {sizes.cold_repetitions})"
    return ScenarioResult(
        name="cold-calls",
        rows=[
            Row(
                title,
                measure,
                fmt_seconds(median(wall["ours"])),
                raw_wall,
                ratio(wall["ours"], wall["raw"]),
                Target("<=", 1.10),
            ),
            Row(
                title,
                "token requests per cold client",
                f"{ours_tokens} in {out['cold_clients']} clients",
                "1 (fetched once)",
                per_client,
                Target("==", 1.0),
                digits=0 if per_client == int(per_client) else 2,
            ),
            Row(
                "the same through the LangChain tool (ainvoke)",
                measure,
                fmt_seconds(median(wall["langchain"])),
                raw_wall,
                ratio(wall["langchain"], wall["raw"]),
                Target("<=", 1.30),
            ),
        ],
        notes=[
            "cold = a new client (no token, no connections) per run, the token exchange inside "
            "the timing for both sides; the tool runs build the tool inside the timing too; "
            f"the neutral ProxyApiRequestTool.arun (what the LangChain tool wraps): "
            f"{fmt_seconds(median(wall['tool']))}, ratio {ratio(wall['tool'], wall['raw']):.2f}; "
            + cpu_note(
                out,
                sizes.cold_calls,
                "call",
                {
                    "raw": "raw",
                    "ours": "client",
                    "tool": "neutral tool",
                    "langchain": "LangChain tool",
                },
            )
        ],
    )
