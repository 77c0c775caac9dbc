"""Test doubles of the client's unit tests: a scripted Airbyte API for ``httpx.MockTransport``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class FakeAirbyte:
    """Answers the token endpoints itself and hands every other request to ``handler``.

    Records every request; ``sleeps`` collects the waits the retry policy asked for.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.token_requests = 0
        self.handler: Handler = lambda request: httpx.Response(404, json={"detail": "no route"})
        self.sleeps: list[float] = []
        self.token_counter = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/api/v1/account/applications/token":
            self.token_requests += 1
            self.token_counter += 1
            return httpx.Response(
                200,
                json={
                    "access_token": f"tok-{self.token_counter}-abcdef",
                    "token_type": "Bearer",
                    "expires_in": 900,
                },
            )
        return self.handler(request)

    def api_requests(self) -> list[httpx.Request]:
        """The requests other than token exchanges."""
        return [r for r in self.requests if "/token" not in r.url.path]

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def stripe_json(status: int, payload: Any, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)
