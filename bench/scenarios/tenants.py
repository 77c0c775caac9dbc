"""Many customers: 1,000 tenants, 5 proxied calls each, 100 in flight, cold.

Ours (one organization client, a workspace view per tenant) against the naive pattern (one
client per tenant) and raw httpx with a hand-written dict of scoped tokens (one per workspace,
fetched once under a lock each: the best a user could write).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from bench import raw
from bench.context import BenchContext, Conn, run_task, sandbox
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import fmt_seconds

TENANTS = 1_000
CALLS_PER_TENANT = 5
IN_FLIGHT = 100
POOL_LIMIT = 100
"""The client's connection limit (``httpx.Limits(max_connections=100)``)."""
SCOPED_PATH = "/api/v1/account/applications/scoped-token"
URL = raw.stripe_url("/v1/customers", {"limit": 1})


def _sockets() -> int:
    """Sockets this process has open right now (Linux)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


async def _run(work: list[tuple[str, str]], call: Callable[[str, str], Awaitable[None]]) -> int:
    """Every (tenant, source) call, ``IN_FLIGHT`` at a time; the peak of open sockets."""
    items = iter(work)
    peak = 0

    async def lane() -> None:
        nonlocal peak
        for name, source in items:
            await call(name, source)
            peak = max(peak, _sockets())

    await asyncio.gather(*(lane() for _ in range(IN_FLIGHT)))
    return peak


def _work(tenants: list[list[str]]) -> list[tuple[str, str]]:
    """Each tenant's calls spread over the run (round robin), as requests arrive in an app."""
    return [(t[0], t[1]) for _ in range(CALLS_PER_TENANT) for t in tenants]


def _check(status: int) -> None:
    if status != 200:
        raise RuntimeError(f"a proxied call answered {status}")


async def tenant_calls(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: one variant's wall time, peak sockets and (ours) memory per extra tenant."""
    tenants: list[list[str]] = params["tenants"]
    work = _work(tenants)
    variant = params["variant"]
    start = time.perf_counter()
    if variant == "ours":
        async with AirbyteEmbeddedClient(
            client_id=conn.client_id, client_secret=conn.client_secret, base_url=conn.base_url
        ) as org:

            async def ours(name: str, source: str) -> None:
                view = org.for_workspace(name)
                _check((await view.proxy_request(source, "GET", URL)).status_code)

            peak = await _run(work, ours)
            wall = time.perf_counter() - start
            per_tenant = await _bytes_per_view(org, tenants, ours)
    elif variant == "naive":
        clients: dict[str, AirbyteEmbeddedClient] = {}

        async def naive(name: str, source: str) -> None:
            client = clients.get(name)
            if client is None:
                client = clients[name] = AirbyteEmbeddedClient(
                    client_id=conn.client_id,
                    client_secret=conn.client_secret,
                    workspace_name=name,
                    base_url=conn.base_url,
                )
            _check((await client.proxy_request(source, "GET", URL)).status_code)

        peak = await _run(work, naive)
        for client in clients.values():
            await client.aclose()
        wall = time.perf_counter() - start
        per_tenant = None
    else:
        async with httpx.AsyncClient(
            limits=httpx.Limits(max_connections=POOL_LIMIT, max_keepalive_connections=20),
            timeout=httpx.Timeout(60.0, connect=10.0),  # the client's own default timeouts
        ) as http:
            app = await raw.fetch_token(http, conn)
            scoped: dict[str, str] = {}
            locks: dict[str, asyncio.Lock] = {}

            async def token_for(name: str) -> str:
                if name not in scoped:
                    async with locks.setdefault(name, asyncio.Lock()):
                        if name not in scoped:
                            resp = await http.post(
                                conn.base_url + SCOPED_PATH,
                                json={"workspace_name": name},
                                headers=raw.auth(app),
                            )
                            resp.raise_for_status()
                            body = resp.json()
                            scoped[name] = body.get("token") or body["access_token"]
                return scoped[name]

            async def raw_call(name: str, source: str) -> None:
                token = await token_for(name)
                resp = await http.post(
                    f"{conn.base_url}/api/v1/sonar/apis/{source}/request",
                    json={"method": "GET", "url": URL},
                    headers=raw.auth(token),
                )
                _check(resp.status_code)

            peak = await _run(work, raw_call)
        wall = time.perf_counter() - start
        per_tenant = None
    return {"wall": wall, "peak_sockets": peak, "bytes_per_tenant": per_tenant}


async def _bytes_per_view(
    org: AirbyteEmbeddedClient,
    tenants: list[list[str]],
    call: Callable[[str, str], Awaitable[None]],
) -> float:
    """Memory the client holds per extra tenant (its cached scoped token, the view made per
    call), traced over one more call for each tenant, every token already cached."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    await _run([(t[0], t[1]) for t in tenants], call)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return max(after - before, 0) / len(tenants)


@scenario("tenants", "1,000 tenants, 5 proxied calls each, 100 in flight, cold")
def tenants_scenario(ctx: BenchContext) -> ScenarioResult:
    """Ours (one client + views) against one client per tenant and raw httpx."""
    count = 50 if ctx.quick else TENANTS
    out: dict[str, dict[str, Any]] = {}
    tokens: dict[str, int] = {}
    with sandbox(tenants=count) as sb:
        listed = [[t.name, t.stripe_source_id] for t in sb.tenants]
        conn = Conn.of(sb)
        for variant in ("raw", "ours", "naive"):
            before = sb.token_requests
            out[variant] = run_task(tenant_calls, conn, {"tenants": listed, "variant": variant})
            tokens[variant] = sb.token_requests - before
    ours, naive, direct = out["ours"]["wall"], out["naive"]["wall"], out["raw"]["wall"]
    title = f"{count:,} tenants x {CALLS_PER_TENANT} proxied calls, {IN_FLIGHT} in flight, cold"
    per_tenant = out["ours"]["bytes_per_tenant"] / 1024
    return ScenarioResult(
        name="tenants",
        rows=[
            Row(
                title,
                "wall time vs raw httpx + token dict",
                fmt_seconds(ours),
                fmt_seconds(direct),
                ours / direct,
                Target("<=", 1.10),
            ),
            Row(
                title,
                "wall time vs one client per tenant",
                fmt_seconds(ours),
                fmt_seconds(naive),
                ours / naive,
                Target("<=", 0.70),
            ),
            Row(
                title,
                "token requests (1 application + 1 scoped per tenant)",
                str(tokens["ours"]),
                f"raw {tokens['raw']}, naive {tokens['naive']}",
                float(tokens["ours"]),
                Target("==", float(1 + count)),
                digits=0,
            ),
            Row(
                title,
                "memory per extra tenant",
                f"{per_tenant:.1f} KiB",
                "n/a",
                per_tenant,
                Target("<=", 16.0),
                unit=" KiB",
                digits=1,
            ),
            Row(
                title,
                "peak open sockets (pool limit 100)",
                str(out["ours"]["peak_sockets"]),
                f"raw {out['raw']['peak_sockets']}, naive {out['naive']['peak_sockets']}",
                float(out["ours"]["peak_sockets"]),
                Target("<=", float(POOL_LIMIT + 2)),
                digits=0,
            ),
        ],
        notes=[
            "one run each, cold (new clients, no tokens); calls round-robin over the tenants; "
            "memory traced (tracemalloc) over one more call per tenant with every token cached; "
            f"machine load average at the end: {os.getloadavg()[0]:.1f}"
        ],
    )
