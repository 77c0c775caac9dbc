"""Fixtures of the client's unit tests: clients wired to a scripted Airbyte API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_fakes import FakeAirbyte

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._retry import RetryPolicy


@pytest.fixture
def fake() -> FakeAirbyte:
    return FakeAirbyte()


@pytest.fixture
def make_client(fake: FakeAirbyte) -> Callable[..., AirbyteEmbeddedClient]:
    """A factory of clients wired to ``fake`` with a non-sleeping retry policy."""

    def factory(**kwargs: Any) -> AirbyteEmbeddedClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(fake))
        policy = RetryPolicy(
            max_retries=kwargs.pop("max_retries", 3),
            deadline=kwargs.pop("retry_deadline", 120.0),
            sleep=fake.sleep,
            jitter=lambda: 1.0,
        )
        if "token" not in kwargs:
            kwargs.setdefault("client_id", "cid")
            kwargs.setdefault("client_secret", "client-secret-value")
        return AirbyteEmbeddedClient(
            base_url="https://api.airbyte.test", http_client=http, retry_policy=policy, **kwargs
        )

    return factory
