"""Fixtures of the tool tests: clients and toolkits bound to the session sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools


def make_client(sandbox: Sandbox) -> AirbyteEmbeddedClient:
    """A fresh async client for the sandbox's demo workspace (bound to no loop yet)."""
    return AirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    )


ClientFactory = Callable[[Sandbox], AirbyteEmbeddedClient]


@pytest.fixture
def new_client() -> ClientFactory:
    """A factory of fresh async clients (for tests that need one bound to no loop yet)."""
    return make_client


@pytest.fixture
def sync_client(sandbox: Sandbox) -> Iterator[SyncAirbyteEmbeddedClient]:
    """A sync client for the sandbox, closed after the test."""
    with SyncAirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    ) as client:
        yield client


@pytest.fixture
async def toolkit(sandbox: Sandbox, client: AirbyteEmbeddedClient) -> AirbyteEmbeddedTools:
    """Read-only tools over the sandbox's Stripe source ('stripe') and file source ('files')."""
    return AirbyteEmbeddedTools(
        client, source_id=sandbox.stripe_source_id, file_source_id=sandbox.file_source_id
    )


REFUSED_KEYS = {
    "$ref",
    "$defs",
    "definitions",
    "prefixItems",
    "patternProperties",
    "propertyNames",
    "unevaluatedProperties",
    "dependentSchemas",
    "dependentRequired",
    "if",
    "then",
    "else",
    "not",
    "oneOf",
    "allOf",
    "contains",
}
"""Keywords OpenAI function calling (strict or not) or Anthropic tool use reject or ignore."""


def refused_constructs(schema: Any, where: str = "parameters") -> list[str]:
    """Every construct of ``schema`` one of the two APIs would refuse, with where it is."""
    problems: list[str] = []
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            problems += refused_constructs(item, f"{where}[{i}]")
        return problems
    if not isinstance(schema, dict):
        return problems
    problems += [f"{where}: {key}" for key in REFUSED_KEYS & set(schema)]
    if isinstance(schema.get("type"), list):
        problems.append(f"{where}: type is a list")
    for key in ("anyOf",):
        for option in schema.get(key, []):
            if option.get("type") == "null":
                problems.append(f"{where}: {key} with null")
    extra = schema.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool):
        problems.append(f"{where}: additionalProperties is a schema")
    if "enum" in schema and (not schema["enum"] or "type" not in schema):
        problems.append(f"{where}: enum without a type or values")
    for key, value in schema.items():
        if key == "properties":
            for name, sub in value.items():
                problems += refused_constructs(sub, f"{where}.{name}")
        elif key in ("items", "anyOf", "additionalProperties"):
            problems += refused_constructs(value, f"{where}.{key}")
    return problems


@pytest.fixture
def refused() -> Callable[[Any], list[str]]:
    """The schema checker: every construct OpenAI or Anthropic tool calling would refuse."""
    return refused_constructs
