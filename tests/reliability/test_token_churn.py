"""Token churn: tokens live 2 s while concurrent calls run for 8 s; no call fails, no stampede.

The issue asks for a 20 s run; 8 s (four token lifetimes, eight refresh periods) shows the same
thing and keeps the reliability suite within its few-minutes budget. Both kinds of client run
at once, each against its own sandbox: an organization (application token) client, whose token
answer carries ``expires_in``, and a workspace-scoped client, whose scoped token answer carries
no expiry (docs/wire-format.md §1).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from reliability_helpers import make_client

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._config import TOKEN_REFRESH_MARGIN
from airbyte_embedded_tools.sandbox import Sandbox

pytestmark = pytest.mark.reliability

LIFETIME = 2.0
RUN_SECONDS = 8.0
WORKERS = 20
CUSTOMERS = "https://api.stripe.com/v1/customers"


@dataclass
class Churn:
    calls: int = 0
    failures: list[BaseException] = field(default_factory=list)
    token_requests: int = 0
    seconds: float = 0.0
    replays_401: int = 0
    last_call_at: float = 0.0
    """Seconds from the start to the last call that succeeded."""


@pytest.fixture
def short_lived_pair() -> Iterator[tuple[Sandbox, Sandbox]]:
    with (
        Sandbox(token_lifetime=LIFETIME, large_file_size=0, seed=11) as first,
        Sandbox(token_lifetime=LIFETIME, large_file_size=0, seed=12) as second,
    ):
        yield first, second


def _counting_401s() -> tuple[httpx.AsyncClient, list[str]]:
    """An ``httpx.AsyncClient`` for a client under test, and the paths it got a 401 for."""
    seen: list[str] = []

    async def hook(response: httpx.Response) -> None:
        if response.status_code == 401:
            seen.append(response.request.url.path)

    return httpx.AsyncClient(timeout=30.0, event_hooks={"response": [hook]}), seen


async def _churn(sb: Sandbox, client: AirbyteEmbeddedClient) -> Churn:
    """``WORKERS`` tasks calling the proxy and the file list back to back for ``RUN_SECONDS``."""
    result = Churn()
    sb.reset_log()
    started = time.monotonic()
    stop_at = started + RUN_SECONDS

    async def worker(n: int) -> None:
        for i in itertools.count():
            if time.monotonic() >= stop_at:
                return
            try:
                if (n + i) % 2:
                    response = await client.proxy_request(
                        sb.stripe_source_id, "GET", CUSTOMERS, params={"limit": 1}
                    )
                    response.raise_for_status()
                else:
                    await client.list_files(sb.file_source_id, "contracts/")
            except Exception as exc:
                result.failures.append(exc)
            else:
                result.last_call_at = time.monotonic() - started
            result.calls += 1

    await asyncio.gather(*(worker(n) for n in range(WORKERS)))
    result.seconds = time.monotonic() - started
    result.token_requests = sb.token_requests
    return result


async def test_tokens_expiring_every_two_seconds(
    short_lived_pair: tuple[Sandbox, Sandbox],
) -> None:
    org_sb, ws_sb = short_lived_pair
    assert TOKEN_REFRESH_MARGIN > LIFETIME  # the margin must be capped, or every call refreshes
    org_http, org_401s = _counting_401s()
    ws_http, ws_401s = _counting_401s()
    async with (
        org_http,
        ws_http,
        make_client(org_sb, scoped=False, http_client=org_http) as org_client,
        make_client(ws_sb, scoped=True, http_client=ws_http) as ws_client,
    ):
        org, ws = await asyncio.gather(_churn(org_sb, org_client), _churn(ws_sb, ws_client))
    org.replays_401, ws.replays_401 = len(org_401s), len(ws_401s)
    for name, run in (("organization token", org), ("scoped token", ws)):
        print(
            f"{name}: {run.calls} calls in {run.seconds:.1f} s, {len(run.failures)} failed, "
            f"{run.token_requests} token requests, {run.replays_401} calls replayed after a 401"
        )
    lifetimes = RUN_SECONDS / LIFETIME
    for run in (org, ws):
        assert not run.failures, run.failures[:3]
        # Calls kept succeeding after the token had expired several times over (a count of
        # calls would measure the machine's speed, not the client).
        assert run.calls >= WORKERS * 2
        assert run.last_call_at >= RUN_SECONDS - LIFETIME, run
    # The application token is refreshed ahead of expiry, half a lifetime early (the 60 s margin
    # capped at half of a 2 s lifetime): one request per second, never one per call.
    assert lifetimes <= org.token_requests <= lifetimes * 2 + 2
    assert org.replays_401 <= WORKERS
    # A scoped refresh costs two requests (application + scoped token), at most once a lifetime.
    assert ws.token_requests <= (lifetimes * 2 + 2) * 2
    # Refreshed ahead of expiry too: not discovered by a burst of 401s each time it expires.
    assert ws.replays_401 <= WORKERS, (
        f"{ws.replays_401} calls hit an expired scoped token and were replayed: the scoped "
        "token is not refreshed before it expires"
    )
