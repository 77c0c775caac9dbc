"""The JSON schemas models see: accepted by OpenAI and Anthropic tool calling, and snapshotted.

Set ``UPDATE_SNAPSHOTS=1`` to rewrite ``snapshots/tool_schemas.json`` after a deliberate change.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._integrations.langchain_tools import AirbyteEmbeddedToolkit
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools.tools import ListFilesInput, ProxyApiRequestInput, ReadFileInput

SNAPSHOT = Path(__file__).parent / "snapshots" / "tool_schemas.json"
NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_DESCRIPTION = 1024
"""OpenAI refuses longer function descriptions."""
Checker = Callable[[Any], list[str]]


def toolkits() -> dict[str, list[BaseTool]]:
    client = AirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:9")
    return {
        "one_source_each": AirbyteEmbeddedToolkit(
            client, source_id="id-api-0001", file_source_id="id-files-0001"
        ).get_tools(),
        "several_sources_writes_allowed": AirbyteEmbeddedToolkit(
            client,
            sources={
                "stripe": "id-api-0001",
                "stripe_eu": Source.api(
                    "id-api-0002", description="the EU entity's Stripe account"
                ),
                "contracts": "id-files-0001",
                "reports": Source.files("id-files-0002", description="finance exports (CSV, PDF)"),
            },
            allow_writes=True,
        ).get_tools(),
        "approval": AirbyteEmbeddedToolkit(
            client, source_id="id-api-0001", approve=lambda write: False
        ).get_tools(),
    }


def converted() -> dict[str, list[dict[str, Any]]]:
    return {
        name: [convert_to_openai_tool(tool) for tool in tools] for name, tools in toolkits().items()
    }


@pytest.mark.parametrize("model", [ProxyApiRequestInput, ListFilesInput, ReadFileInput])
def test_input_models_convert_without_refused_constructs(model: Any, refused: Checker) -> None:
    spec = convert_to_openai_tool(model)
    assert refused(spec["function"]["parameters"]) == []
    assert refused(model.model_json_schema()) == []


def test_tool_schemas_are_accepted_by_openai_and_anthropic(refused: Checker) -> None:
    for name, specs in converted().items():
        for spec in specs:
            function = spec["function"]
            where = f"{name}/{function['name']}"
            assert NAME.match(function["name"]), where
            assert 0 < len(function["description"]) <= MAX_DESCRIPTION, where
            parameters = function["parameters"]
            assert parameters["type"] == "object", where
            assert "anyOf" not in parameters, where
            assert refused(parameters) == [], where
            assert set(parameters.get("required", [])) <= set(parameters["properties"]), where
            anthropic = {
                "name": function["name"],
                "description": function["description"],
                "input_schema": parameters,
            }
            json.dumps(anthropic)  # plain JSON, nothing a client must serialize specially


def test_several_sources_are_an_enum_of_names() -> None:
    specs = converted()["several_sources_writes_allowed"]
    by_name = {spec["function"]["name"]: spec["function"]["parameters"] for spec in specs}
    assert by_name["proxy_api_request"]["properties"]["source"]["enum"] == ["stripe", "stripe_eu"]
    assert by_name["read_file"]["properties"]["source"]["enum"] == ["contracts", "reports"]
    assert "source" in by_name["list_files"]["required"]
    assert "id-" not in json.dumps(converted())  # source ids never reach the model


def test_refused_constructs_are_detected(refused: Checker) -> None:
    bad = {
        "type": "object",
        "$defs": {},
        "properties": {
            "a": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "b": {"type": ["string", "null"]},
            "c": {"type": "array", "prefixItems": [{"type": "string"}]},
            "d": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    assert sorted(refused(bad)) == [
        "parameters.a: anyOf with null",
        "parameters.b: type is a list",
        "parameters.c: prefixItems",
        "parameters.d: additionalProperties is a schema",
        "parameters: $defs",
    ]


def test_schema_snapshot() -> None:
    current = converted()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), (
        "the tool schemas changed: review the diff, then rerun with UPDATE_SNAPSHOTS=1"
    )
