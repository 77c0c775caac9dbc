"""The proxy's HTTP client towards the Stripe emulator: several small httpx pools.

httpcore's pool scans all of its connections for every request it assigns (and, for idle ones,
all of them again), so one pool of a few hundred connections spends seconds on bookkeeping under
load. Each request goes to the least busy of a few small pools (the first one when idle), which
keeps that cost negligible under load and a single reused connection when calls come one by one.
"""

from __future__ import annotations

import httpx

SHARDS = 8
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
LIMITS = httpx.Limits(max_connections=None, max_keepalive_connections=16)
"""No cap on connections (a queue in the sandbox would add latency the real service lacks)."""


class UpstreamClient:
    """Sends the proxy's upstream requests over real HTTP, never following redirects."""

    def __init__(self, shards: int = SHARDS) -> None:
        self._clients = [
            httpx.AsyncClient(
                follow_redirects=False, timeout=TIMEOUT, limits=LIMITS, trust_env=False
            )
            for _ in range(shards)
        ]
        self._busy = [0] * shards

    async def request(
        self, method: str, url: str, *, headers: dict[str, str], content: bytes | None
    ) -> httpx.Response:
        """Send one request on the least busy pool and read the whole answer."""
        shard = min(range(len(self._clients)), key=self._busy.__getitem__)
        self._busy[shard] += 1
        try:
            return await self._clients[shard].request(method, url, headers=headers, content=content)
        finally:
            self._busy[shard] -= 1

    async def aclose(self) -> None:
        """Close every pool's connections."""
        for client in self._clients:
            await client.aclose()
