"""Stripe invoices into Documents, page by page: records per second and peak memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench import ours, raw
from bench.context import BenchContext, Conn, run_task, sandbox
from bench.memory import PeakGrowth
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import cpu_note, interleaved, median

PAGE = 100


class _Walks:
    """One run per side: walk the sandbox's ``count`` invoices once, page by page."""

    def __init__(self, api: Any, http: httpx.AsyncClient, conn: Conn, token: str, count: int):
        from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader

        self.loader = AirbyteEmbeddedLoader  # imported before any timing starts
        self.api, self.http, self.conn, self.token, self.count = api, http, conn, token, count

    def runners(self) -> dict[str, Callable[[], Awaitable[None]]]:
        """The two sides, by name."""
        return {"ours": self.ours, "raw": self.raw}

    async def ours(self) -> None:
        """The LangChain loader's ``alazy_load`` over the listing, Documents not kept."""
        loader = self.loader.from_api(
            client=self.api,
            source_id=self.conn.stripe_source_id,
            path=ours.INVOICES_PATH,
            params={"limit": PAGE},
            max_records=self.count,
        )
        seen = 0
        async for _doc in loader.alazy_load():
            seen += 1
        self._check(seen)

    async def raw(self) -> None:
        """Proxied POSTs page after page (``starting_after``), each page's JSON parsed."""
        seen = 0
        after: str | None = None
        while seen < self.count:
            params: dict[str, Any] = {"limit": PAGE}
            if after:
                params["starting_after"] = after
            url = raw.stripe_url(ours.INVOICES_PATH, params)
            resp = await raw.proxy(self.http, self.conn, self.token, "GET", url)
            resp.raise_for_status()
            page = resp.json()
            records = page["data"][: self.count - seen]
            seen += len(records)
            if not page["has_more"] or not records:
                break
            after = records[-1]["id"]
        self._check(seen)

    def _check(self, seen: int) -> None:
        if seen != self.count:
            raise RuntimeError(f"walked {seen} invoices, expected {self.count}")


async def invoice_rates(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: seconds per run of ``count`` invoices, ours and raw interleaved."""
    async with ours.client(conn) as api, httpx.AsyncClient(timeout=60.0) as http:
        token = await raw.fetch_token(http, conn)
        walks = _Walks(api, http, conn, token, params["count"])
        return await interleaved(walks.runners(), params["repetitions"], collect=True)


async def invoice_memory(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: peak RSS growth of one run by one side, in a fresh process."""
    async with ours.client(conn) as api, httpx.AsyncClient(timeout=60.0) as http:
        token = await raw.fetch_token(http, conn)
        await api.get_token()
        run = _Walks(api, http, conn, token, params["count"]).runners()[params["side"]]
        growth = PeakGrowth()
        await run()
        return {"mib": growth.mib()}


@scenario("invoices", "Stripe invoices -> Documents (paged)")
def invoices(ctx: BenchContext) -> ScenarioResult:
    """Records per second ours and raw (reported), and ours' peak RSS growth."""
    from airbyte_embedded_tools.sandbox.stripe_data import DEFAULT_INVOICE_COUNT

    count = ctx.sizes.invoices
    reps = ctx.sizes.invoice_repetitions
    with sandbox(invoice_count=max(count, DEFAULT_INVOICE_COUNT), large_file_size=0) as sb:
        conn = Conn.of(sb)
        times = run_task(invoice_rates, conn, {"count": count, "repetitions": reps})
        memory = {
            side: run_task(invoice_memory, conn, {"count": count, "side": side})["mib"]
            for side in ("ours", "raw")
        }
        held = sb.invoice_count
    ours_rate = count / median(times["wall"]["ours"])
    raw_rate = count / median(times["wall"]["raw"])
    title = f"{count:,} Stripe invoices -> Documents (paged)"
    walk = f"the sandbox holds {held:,} distinct invoices (Sandbox(invoice_count=...))"
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
            f"pages of {PAGE}; {walk}; ours = AirbyteEmbeddedLoader.from_api(...).alazy_load(), "
            "Documents not kept; raw = a paging loop of proxied POSTs, each page's JSON parsed; "
            + cpu_note(times, count, "record", {"ours": "ours", "raw": "raw"})
        ],
    )
