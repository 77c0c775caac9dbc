"""The proxy tool's wiring to the client, over the sandbox: its key goes as ``idempotency_key=``
(once, the same the approval saw), its per-call size cap, and readable messages for a key
conflict and an answer too large."""

from __future__ import annotations

import uuid

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import ProxyApiRequestTool, WriteRequest
from airbyte_embedded_tools.tools.proxy_api_request import DEFAULT_TOOL_MAX_RESPONSE_BYTES


def _posts(sandbox: Sandbox, since: int) -> list[dict[str, str]]:
    return [
        {k.lower(): v for k, v in r.headers.items()}
        for r in sandbox.upstream_requests[since:]
        if r.method == "POST"
    ]


async def test_the_key_the_approval_saw_is_the_one_sent(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    seen: list[WriteRequest] = []

    def approve(write: WriteRequest) -> bool:
        seen.append(write)
        return True

    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, approve=approve)
    before = len(sandbox.upstream_requests)
    email = f"wiring-{uuid.uuid4().hex[:8]}@example.com"
    result = await tool.arun(method="POST", path="/v1/customers", body={"email": email})
    assert not result.is_error, result.content
    (write,) = seen
    assert write.idempotency_key
    assert write.headers["Idempotency-Key"] == write.idempotency_key
    (sent,) = _posts(sandbox, before)
    assert sent["idempotency-key"] == write.idempotency_key


async def test_a_models_own_key_is_sent_once_and_a_conflict_reads_as_advice(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, allow_writes=True)
    key = f"order-{uuid.uuid4().hex}"
    first = await tool.arun(
        method="POST",
        path="/v1/customers",
        headers={"idempotency-key": key},
        body={"email": "first@example.com"},
    )
    assert not first.is_error, first.content
    before = len(sandbox.upstream_requests)
    second = await tool.arun(
        method="POST",
        path="/v1/customers",
        headers={"Idempotency-Key": key},
        body={"email": "other@example.com"},
    )
    assert second.is_error
    assert "already used for a different request" in second.content
    assert "call again without an Idempotency-Key header" in second.content
    (sent,) = _posts(sandbox, before)
    assert sent["idempotency-key"] == key


async def test_an_answer_over_the_tools_cap_reads_as_advice(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    assert client.max_response_bytes > DEFAULT_TOOL_MAX_RESPONSE_BYTES
    tool = ProxyApiRequestTool(client, source_id=sandbox.stripe_source_id, max_response_bytes=2_000)
    result = await tool.arun(path="/v1/customers", params={"limit": 100})
    assert result.is_error
    assert "larger than 2000 bytes" in result.content
    assert "smaller params.limit" in result.content
    small = await tool.arun(path="/v1/customers", params={"limit": 1}, fields=["id"])
    assert not small.is_error, small.content
