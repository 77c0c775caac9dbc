"""Worker of ``bench.commits``: one commit's client against raw httpx, in a process of its own.

Run as a script with the commit's checkout first on ``PYTHONPATH``; it uses only what every
commit of the package exports (``AirbyteEmbeddedClient`` from the root, ``proxy_request``,
``list_files``), so the same code measures both sides. Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

INVOICES = "https://api.stripe.com/v1/invoices"
TOKEN_PATH = "/api/v1/account/applications/token"
PARAMS = {"limit": 3}


async def _per_call(call: Callable[[], Awaitable[object]], calls: int) -> tuple[float, float]:
    """Wall and CPU seconds per call over ``calls`` calls in a row."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - start) / calls, (time.process_time() - start_cpu) / calls


async def _fan_out(call: Callable[[], Awaitable[object]], total: int, lanes: int) -> None:
    remaining = iter(range(total))

    async def lane() -> None:
        for _ in remaining:
            await call()

    await asyncio.gather(*(lane() for _ in range(lanes)))


def _client(conn: dict[str, str]) -> Any:
    """A fresh client of the commit under test (imported late: the checkout is on the path)."""
    from airbyte_embedded_tools import AirbyteEmbeddedClient

    return AirbyteEmbeddedClient(
        client_id=conn["client_id"], client_secret=conn["client_secret"], base_url=conn["base_url"]
    )


async def measure(conn: dict[str, str], calls: int, batches: int) -> dict[str, Any]:
    """Warm proxied call, warm file listing and a cold fan-out, ours and raw interleaved."""
    source, files = conn["stripe_source_id"], conn["file_source_id"]
    samples: dict[str, list[float]] = {}

    def record(name: str, value: float) -> None:
        samples.setdefault(name, []).append(value)

    async with _client(conn) as api, httpx.AsyncClient() as http:
        token_resp = await http.post(
            conn["base_url"] + TOKEN_PATH,
            json={"client_id": conn["client_id"], "client_secret": conn["client_secret"]},
        )
        token = token_resp.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        proxy_url = f"{conn['base_url']}/api/v1/sonar/apis/{source}/request"
        files_url = f"{conn['base_url']}/api/v1/sonar/files/{files}/list/contracts/"

        async def ours_proxy() -> None:
            (await api.proxy_request(source, "GET", INVOICES, params=PARAMS)).raise_for_status()

        async def raw_proxy() -> None:
            body = {"method": "GET", "url": INVOICES + "?limit=3"}
            (await http.post(proxy_url, json=body, headers=headers)).raise_for_status()

        async def ours_list() -> None:
            await api.list_files(files, "contracts/")

        async def raw_list() -> None:
            resp = await http.get(files_url, headers=headers)
            resp.raise_for_status()
            resp.json()

        pairs = {"proxy": (ours_proxy, raw_proxy), "list": (ours_list, raw_list)}
        for ours_call, raw_call in pairs.values():
            for _ in range(5):
                await ours_call()
                await raw_call()
        for batch in range(batches):
            for kind, (ours_call, raw_call) in pairs.items():
                order = [("ours", ours_call), ("raw", raw_call)]
                for side, call in order if batch % 2 else order[::-1]:
                    wall, cpu = await _per_call(call, calls)
                    record(f"{kind} {side} wall", wall)
                    record(f"{kind} {side} cpu", cpu)

    for batch in range(max(1, batches // 4)):

        async def cold_ours() -> None:
            async with _client(conn) as cold:

                async def call() -> None:
                    resp = await cold.proxy_request(source, "GET", INVOICES, params=PARAMS)
                    resp.raise_for_status()

                await _fan_out(call, calls * 4, 50)

        async def cold_raw() -> None:
            async with httpx.AsyncClient() as cold:
                resp = await cold.post(
                    conn["base_url"] + TOKEN_PATH,
                    json={"client_id": conn["client_id"], "client_secret": conn["client_secret"]},
                )
                auth = {"Authorization": f"Bearer {resp.json()['access_token']}"}

                async def call() -> None:
                    body = {"method": "GET", "url": INVOICES + "?limit=3"}
                    (await cold.post(proxy_url, json=body, headers=auth)).raise_for_status()

                await _fan_out(call, calls * 4, 50)

        order = [("ours", cold_ours), ("raw", cold_raw)]
        for side, run in order if batch % 2 else order[::-1]:
            start, start_cpu = time.perf_counter(), time.process_time()
            await run()
            record(f"cold {side} wall", time.perf_counter() - start)
            record(f"cold {side} cpu", (time.process_time() - start_cpu) / (calls * 4))

    import airbyte_embedded_tools

    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {"package": airbyte_embedded_tools.__file__, "medians": medians}


async def repeat(conn: dict[str, str], kind: str, calls: int) -> dict[str, Any]:
    """``calls`` calls of one measure after 20 warm-up calls, untimed (for instruction counts).

    ``cold``: a fresh client per 50 calls made 50 at a time (``calls`` rounded up to 50s).
    """
    source, files = conn["stripe_source_id"], conn["file_source_id"]
    if kind == "cold":
        for _ in range(-(-calls // 50)):
            async with _client(conn) as cold:

                async def call() -> None:
                    resp = await cold.proxy_request(source, "GET", INVOICES, params=PARAMS)
                    resp.raise_for_status()

                await _fan_out(call, 50, 50)
    else:
        async with _client(conn) as api:
            for _ in range(20 + calls):
                if kind == "list":
                    await api.list_files(files, "contracts/")
                else:
                    resp = await api.proxy_request(source, "GET", INVOICES, params=PARAMS)
                    resp.raise_for_status()
    import airbyte_embedded_tools

    return {"package": airbyte_embedded_tools.__file__}


def main() -> None:
    """Read ``{"conn", "calls", "batches"}`` (timings) or ``{"conn", "repeat": {"kind",
    "calls"}}`` (calls only) from argv[1]; print the result as JSON."""
    job = json.loads(sys.argv[1])
    if "repeat" in job:
        result = asyncio.run(repeat(job["conn"], job["repeat"]["kind"], job["repeat"]["calls"]))
    else:
        result = asyncio.run(measure(job["conn"], job["calls"], job["batches"]))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
