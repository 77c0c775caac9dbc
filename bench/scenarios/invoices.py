"""Stripe invoices into Documents, page by page: records per second and peak memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench import ours, raw
from bench.context import BenchContext, Conn, run_task
from bench.memory import PeakGrowth
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import interleaved, median

PAGE = 100


def _runners(
    api: Any, http: httpx.AsyncClient, conn: Conn, token: str, count: int
) -> dict[str, Callable[[], Awaitable[None]]]:
    """One run per side: ``count`` invoices, walking the whole list again while short of it."""
    from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader

    async def our_run() -> None:
        seen = 0
        while seen < count:
            before = seen
            loader = AirbyteEmbeddedLoader.from_api(
                client=api,
                source_id=conn.stripe_source_id,
                path=ours.INVOICES_PATH,
                params={"limit": PAGE},
                max_records=count - seen,
            )
            async for _doc in loader.alazy_load():
                seen += 1
            if seen == before:
                raise RuntimeError("the loader returned no invoices")

    async def raw_run() -> None:
        seen = 0
        while seen < count:
            after: str | None = None
            while seen < count:
                params: dict[str, Any] = {"limit": PAGE}
                if after:
                    params["starting_after"] = after
                url = raw.stripe_url(ours.INVOICES_PATH, params)
                resp = await raw.proxy(http, conn, token, "GET", url)
                resp.raise_for_status()
                page = resp.json()
                records = page["data"][: count - seen]
                seen += len(records)
                if not page["has_more"] or not records:
                    break
                after = records[-1]["id"]

    return {"ours": our_run, "raw": raw_run}


async def invoice_rates(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: seconds per run of ``count`` invoices, ours and raw interleaved."""
    async with ours.client(conn) as api, httpx.AsyncClient(timeout=60.0) as http:
        token = await raw.fetch_token(http, conn)
        runners = _runners(api, http, conn, token, params["count"])
        return await interleaved(runners, params["repetitions"], collect=True)


async def invoice_memory(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: peak RSS growth of one run by one side, in a fresh process."""
    async with ours.client(conn) as api, httpx.AsyncClient(timeout=60.0) as http:
        token = await raw.fetch_token(http, conn)
        await api.get_token()
        run = _runners(api, http, conn, token, params["count"])[params["side"]]
        growth = PeakGrowth()
        await run()
        return {"mib": growth.mib()}


@scenario("invoices", "Stripe invoices -> Documents (paged)")
def invoices(ctx: BenchContext) -> ScenarioResult:
    """Records per second ours and raw (reported), and ours' peak RSS growth."""
    count = ctx.sizes.invoices
    reps = ctx.sizes.invoice_repetitions
    conn = Conn.of(ctx.default_sandbox())
    times = run_task(invoice_rates, conn, {"count": count, "repetitions": reps})
    memory = {
        side: run_task(invoice_memory, conn, {"count": count, "side": side})["mib"]
        for side in ("ours", "raw")
    }
    ours_rate = count / median(times["ours"])
    raw_rate = count / median(times["raw"])
    title = f"{count:,} Stripe invoices -> Documents (paged)"
    return ScenarioResult(
        name="invoices",
        rows=[
            Row(
                title,
                f"records per second (median of {reps}), ours / raw",
                f"{ours_rate:,.0f}/s",
                f"{raw_rate:,.0f}/s",
                ours_rate / raw_rate,
            ),
            Row(
                title,
                "peak RSS growth",
                f"{memory['ours']:.1f} MiB",
                f"{memory['raw']:.1f} MiB",
                memory["ours"],
                Target("<", 200.0),
                unit=" MiB",
                digits=1,
            ),
        ],
        notes=[
            f"pages of {PAGE}; the sandbox seeds fewer invoices than {count:,}, so each run walks "
            "the whole list again until it has seen that many; ours = "
            "AirbyteEmbeddedLoader.from_api(...).alazy_load(), Documents not kept; raw = a paging "
            "loop of proxied POSTs, JSON parsed"
        ],
    )
