"""Isolation you can prove: 100 tenants, 2,000 (or 10,000) interleaved calls through
per-customer tools (one toolkit over one organization client) and loaders over workspace views,
with token expiry (each expired token answers 401 once, then the client refreshes that customer
only) and revoked workspaces. Every answer names the tenant that asked; a revoked tenant fails
readably while the others go on; the sandbox's access log shows no token of one workspace sent
for another."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter

import pytest
from reliability_helpers import make_client

from airbyte_embedded_tools._errors import AirbyteEmbeddedError
from airbyte_embedded_tools.documents import ApiDocumentLoader, FileDocumentLoader
from airbyte_embedded_tools.sandbox import Sandbox, SandboxTenant
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools, CustomerContext

pytestmark = pytest.mark.reliability

TENANTS = 100
CALLS = int(os.environ.get("ISOLATION_CALLS", "2000"))
"""2,000 by default (minutes on a loaded 2-core machine: ~17 ms of CPU per call, tool and
in-process sandbox together); ``ISOLATION_CALLS=10000`` for the full proof."""
IN_FLIGHT = 50
REVOKED = 2
"""The last tenants' workspaces are revoked before the run: all their calls must fail."""
EXPIRE_EVERY = 250
"""Every this many calls, ten tenants' scoped tokens are expired (their next call gets 401);
in rotation, so one tenant's tokens expire again only some 2,500 calls later (as real tokens
do, once per lifetime, not twice during one call)."""


def _context(tenant: SandboxTenant) -> CustomerContext:
    return CustomerContext(
        workspace=tenant.name,
        sources={"stripe": tenant.stripe_source_id, "files": tenant.file_source_id},
    )


@pytest.mark.timeout(1200)
async def test_interleaved_calls_stay_with_their_tenant() -> None:
    with Sandbox(tenants=TENANTS) as sb:
        tenants = sb.tenants
        revoked = {t.name for t in tenants[-REVOKED:]}
        for name in revoked:
            sb.revoke_workspace(name)
        rng = random.Random(12)
        plan = [(rng.choice(tenants), rng.random()) for _ in range(CALLS)]
        async with make_client(sb, scoped=False) as org:
            tools = AirbyteEmbeddedTools(org, customer_sources=["stripe", "files"])
            api, listing = tools.get_tools()[0], tools.get_tools()[1]
            gate = asyncio.Semaphore(IN_FLIGHT)
            outcomes: Counter[str] = Counter()
            wrong: list[str] = []

            async def one(i: int, tenant: SandboxTenant, draw: float) -> None:
                async with gate:
                    if i % EXPIRE_EVERY == 0:
                        for j in range(10):
                            other = tenants[(i // EXPIRE_EVERY * 10 + j) % (TENANTS - REVOKED)]
                            sb.expire_tokens(workspace=other.name)
                    ok, text = await _call(org, api, listing, tenant, draw)
                bad = tenant.name in revoked
                if bad and ok:
                    wrong.append(f"call {i}: revoked {tenant.name} got an answer")
                elif not bad and not ok:
                    wrong.append(f"call {i}: {tenant.name} failed: {text[:200]}")
                elif ok and {t.name for t in tenants if t.name in text} != {tenant.name}:
                    wrong.append(f"call {i}: {tenant.name} got another tenant's answer")
                outcomes["refused" if bad else "answered"] += 1

            started = time.perf_counter()
            await asyncio.gather(*(one(i, t, d) for i, (t, d) in enumerate(plan, 1)))
            elapsed = time.perf_counter() - started

        log = sb.access_log
        crossing = [r for r in log if r.crosses_workspaces]
        print(
            f"\n{CALLS} calls for {TENANTS} tenants in {elapsed:.1f} s: {dict(outcomes)}; "
            f"{len(log)} proxied/file calls logged, {sb.token_requests} token requests"
        )
        assert not wrong, wrong[:5]
        assert outcomes["answered"] + outcomes["refused"] == CALLS
        assert outcomes["refused"] > 0
        assert sb.access_log_dropped == 0
        assert len(log) >= CALLS
        assert not crossing, crossing[:3]
        by_id = {t.workspace_id: t.name for t in tenants}
        assert {by_id.get(r.token_workspace_id or "") for r in log} <= set(by_id.values())
        assert sb.token_requests > TENANTS  # the expired tokens were refreshed, per tenant


async def _call(
    org: object,
    api: object,
    listing: object,
    tenant: SandboxTenant,
    draw: float,
) -> tuple[bool, str]:
    """One call for ``tenant``: (whether it answered, its text). 80% proxy tool, 10% list tool,
    5% API loader, 5% file loader (over a workspace view of the organization client)."""
    from airbyte_embedded_tools._client import AirbyteEmbeddedClient
    from airbyte_embedded_tools.tools import AirbyteTool

    assert isinstance(org, AirbyteEmbeddedClient)
    assert isinstance(api, AirbyteTool)
    assert isinstance(listing, AirbyteTool)
    context = _context(tenant)
    if draw < 0.80:
        result = await api.arun_for(
            context, path="/v1/customers", params={"limit": 1}, fields=["description"]
        )
        return not result.is_error, result.content
    if draw < 0.90:
        result = await listing.arun_for(context, prefix="notes/")
        return not result.is_error, result.content
    view = org.for_workspace(tenant.name)
    try:
        if draw < 0.95:
            loader = ApiDocumentLoader(
                view, tenant.stripe_source_id, "/v1/customers", params={"limit": 1}, max_records=1
            )
            docs = [doc async for doc in loader.alazy_load()]
        else:
            files = FileDocumentLoader(view, tenant.file_source_id, prefix="contracts/")
            docs = [doc async for doc in files.alazy_load()]
    except AirbyteEmbeddedError as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return bool(docs), " ".join(doc.text for doc in docs)
