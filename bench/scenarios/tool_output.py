"""How much of a model's context one tool answer takes: guarded tool output against raw JSON."""

from __future__ import annotations

from typing import Any

import httpx

from bench import ours, raw
from bench.context import BenchContext, Conn, run_task
from bench.registry import Row, ScenarioResult, Target, scenario

UNBOUNDED = 10_000_000


async def output_sizes(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: characters of the tool's content (default guard, and no budget) and of raw JSON."""
    count = params["count"]
    async with ours.client(conn) as api, httpx.AsyncClient() as http:
        token = await raw.fetch_token(http, conn)
        url = raw.stripe_url(ours.INVOICES_PATH, {"limit": count})
        body = (await raw.proxy(http, conn, token, "GET", url)).raise_for_status().text
        args = ours.invoice_args(count)
        guarded = str(await ours.langchain_proxy_tool(api, conn).ainvoke(args))
        unbounded_tool = ours.langchain_proxy_tool(api, conn, max_chars=UNBOUNDED)
        compacted = str(await unbounded_tool.ainvoke(args))
    return {"raw": len(body), "guarded": len(guarded), "compacted": len(compacted)}


@scenario("tool-output", "tool output for 100 invoices")
def tool_output(ctx: BenchContext) -> ScenarioResult:
    """Characters of the guarded tool's content / characters of the raw JSON body."""
    count = ctx.sizes.output_invoices
    out = run_task(output_sizes, Conn.of(ctx.default_sandbox()), {"count": count})
    return ScenarioResult(
        name="tool-output",
        rows=[
            Row(
                f"tool output for {count} invoices",
                "characters, guarded tool / raw JSON",
                f"{out['guarded']:,}",
                f"{out['raw']:,}",
                out["guarded"] / out["raw"],
                Target("<=", 0.5),
            ),
            Row(
                f"tool output for {count} invoices",
                "characters, compaction alone (no budget) / raw JSON",
                f"{out['compacted']:,}",
                f"{out['raw']:,}",
                out["compacted"] / out["raw"],
            ),
        ],
        notes=[
            "the LangChain tool's content (what the model reads) with the default output budget, "
            "then with a budget large enough that nothing is cut (compaction only)"
        ],
    )
