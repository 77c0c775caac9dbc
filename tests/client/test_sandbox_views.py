"""Workspace views of one organization-level client against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import NotFoundError
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.documents import FileDocumentLoader
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import ProxyApiRequestTool

CUSTOMERS = "https://api.stripe.com/v1/customers"


def organization_client(sb: Sandbox, **kwargs: Any) -> AirbyteEmbeddedClient:
    """The organization-level client: client credentials, no workspace."""
    return AirbyteEmbeddedClient(sb.client_id, sb.client_secret, base_url=sb.base_url, **kwargs)


async def test_100_concurrent_cold_calls_for_one_customer_fetch_one_scoped_token(
    fresh_sandbox: Sandbox,
) -> None:
    sb = fresh_sandbox
    sb.reset_log()
    async with organization_client(sb) as parent:
        answers = await asyncio.gather(
            *(
                parent.for_workspace(sb.workspace_name).proxy_request(
                    sb.stripe_source_id, "GET", CUSTOMERS, params={"limit": 1}
                )
                for _ in range(100)
            )
        )
    assert {a.status_code for a in answers} == {200}
    assert sb.token_requests == 2  # one application token, one scoped token


async def test_100_customers_fetch_100_scoped_tokens_and_one_application_token(
    fresh_sandbox: Sandbox,
) -> None:
    sb = fresh_sandbox
    sb.reset_log()
    async with organization_client(sb) as parent:
        views = [parent.for_workspace(f"customer-{n:03}") for n in range(100)]
        tokens = await asyncio.gather(*(v.get_token() for v in views for _ in range(2)))
        # the demo workspace's source stays the demo workspace's: a new customer cannot reach it
        with pytest.raises(NotFoundError):
            await views[0].proxy_request(sb.stripe_source_id, "GET", CUSTOMERS)
    assert sb.token_requests == 101
    assert len({t.value.get_secret_value() for t in tokens}) == 100
    assert {t.kind for t in tokens} == {"scoped"}


async def test_views_by_name_and_by_id_serve_each_customer_its_own_sources(
    sandbox: Sandbox,
) -> None:
    mine, sibling = sandbox.primary, sandbox.sibling_workspace
    async with organization_client(sandbox) as parent:
        by_name = parent.for_workspace(mine.workspace_name)
        by_id = parent.for_workspace(id=sibling.workspace_id)
        ok = await by_name.proxy_request(mine.stripe_source_id, "GET", CUSTOMERS)
        also = await by_id.proxy_request(sibling.stripe_source_id, "GET", CUSTOMERS)
        assert ok.status_code == also.status_code == 200
        with pytest.raises(NotFoundError):
            await by_name.proxy_request(sibling.stripe_source_id, "GET", CUSTOMERS)
        with pytest.raises(NotFoundError):
            await by_id.list_files(mine.file_source_id)
        # the organization-level client itself keeps today's behaviour: the application token
        assert (await parent.get_token()).kind == "application"


async def test_a_view_works_in_a_tool_and_a_loader(sandbox: Sandbox) -> None:
    async with organization_client(sandbox) as parent:
        view = parent.for_workspace(sandbox.workspace_name)
        tool = ProxyApiRequestTool(view, source_id=sandbox.stripe_source_id)
        result = await tool.arun(path="/v1/customers", params={"limit": 2})
        assert not result.is_error, result.content
        assert result.content.startswith("HTTP 200 GET /v1/customers")
        loader = FileDocumentLoader(view, sandbox.file_source_id, prefix="contracts/")
        documents = [d async for d in loader.alazy_load()]
        assert documents
        assert all(d.metadata["source_id"] == sandbox.file_source_id for d in documents)
        # a tool over another customer's view cannot reach this customer's source
        other = ProxyApiRequestTool(
            parent.for_workspace(id=sandbox.sibling_workspace.workspace_id),
            source_id=sandbox.stripe_source_id,
        )
        refused = await other.arun(path="/v1/customers")
        assert refused.is_error


def test_a_sync_view_in_a_sync_tool_call(sandbox: Sandbox) -> None:
    with SyncAirbyteEmbeddedClient(
        sandbox.client_id, sandbox.client_secret, base_url=sandbox.base_url
    ) as parent:
        view = parent.for_workspace(sandbox.workspace_name)
        tool = ProxyApiRequestTool(view, source_id=sandbox.stripe_source_id)
        result = tool.run(path="/v1/customers", params={"limit": 1})
        assert not result.is_error, result.content
        assert view.get_token().kind == "scoped"


async def test_an_older_deployment_is_served_by_the_older_endpoint() -> None:
    with Sandbox(api_generation="legacy", large_file_size=0) as sb:
        async with organization_client(sb) as parent:
            first = parent.for_workspace(sb.workspace_name)
            await first.list_files(sb.file_source_id)
            assert sb.token_requests == 2  # application, older (the current one answered 404)
            second = parent.for_workspace("another-customer")
            assert (await second.get_token()).kind == "scoped"
            assert sb.token_requests == 3  # the older endpoint straight away: decided once
            assert parent._core.tokens.generation == "legacy"
