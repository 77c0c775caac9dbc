"""Tool names as a parameter: a toolkit's tools name each other by the names they were given."""

from __future__ import annotations

import re

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools, ReadFileTool
from airbyte_embedded_tools.tools.names import resolve_names

OFFLINE = AirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:9")


def test_names_default_to_the_tools_own() -> None:
    assert resolve_names() == {
        "proxy_api_request": "proxy_api_request",
        "list_files": "list_files",
        "read_file": "read_file",
    }
    assert resolve_names({"read_file": "docs_read"})["read_file"] == "docs_read"


@pytest.mark.parametrize(
    ("names", "fragment"),
    [
        ({"cat_file": "x"}, "unknown tool 'cat_file'"),
        ({"read_file": "read file"}, "invalid name 'read file'"),
        ({"read_file": ""}, "invalid name ''"),
        ({"read_file": "list_files"}, "two tools would share a name"),
    ],
)
def test_bad_names_are_refused(names: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        AirbyteEmbeddedTools(OFFLINE, file_source_id="f1", names=names)


def test_the_toolkit_renames_every_tool_and_every_mention() -> None:
    toolkit = AirbyteEmbeddedTools(
        OFFLINE,
        source_id="a1",
        file_source_id="f1",
        names={"proxy_api_request": "stripe_get", "list_files": "docs_ls", "read_file": "docs_cat"},
    )
    api, listing, reading = toolkit.get_tools()
    assert [api.name, listing.name, reading.name] == ["stripe_get", "docs_ls", "docs_cat"]
    assert "before docs_cat." in listing.description
    assert "with docs_ls first." in reading.description
    described = " ".join(tool.description for tool in toolkit.get_tools())
    assert "read_file" not in described
    assert "list_files" not in described


async def test_hints_and_errors_use_the_given_names(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    reader = ReadFileTool(
        client, source_id=sandbox.file_source_id, max_chars=1000, names={"list_files": "docs_ls"}
    )
    assert reader.name == "read_file"
    part = await reader.arun(path="contracts/acme-master-services-agreement.md")
    assert "call read_file again with offset=" in part.content
    missing = await reader.arun(path="no/such/file.txt")
    assert missing.is_error
    assert "call docs_ls to see the exact paths" in missing.content
    named = ReadFileTool(client, source_id=sandbox.file_source_id, max_chars=1000, name="cat")
    part = await named.arun(path="contracts/globex-order-form.pdf")
    assert part.content.endswith("[More pages: call cat again with page=2.]")
    assert (await named.arun(path="")).content.startswith("Error: invalid arguments for cat:")


def test_framework_faces_pass_names_through(sandbox: Sandbox) -> None:
    """Both framework toolkits rename the tools, and the texts follow the new names."""
    from airbyte_embedded_tools import SyncAirbyteEmbeddedClient
    from airbyte_embedded_tools.langchain import AirbyteEmbeddedToolkit
    from airbyte_embedded_tools.llama_index import AirbyteEmbeddedToolSpec

    renames = {"list_files": "ls", "read_file": "cat"}
    with SyncAirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    ) as client:
        lc = AirbyteEmbeddedToolkit(client, file_source_id=sandbox.file_source_id, names=renames)
        li = AirbyteEmbeddedToolSpec(client, file_source_id=sandbox.file_source_id, names=renames)
        lc_tools = {tool.name: tool for tool in lc.get_tools()}
        li_tools = {tool.metadata.name: tool for tool in li.to_tool_list()}
    assert set(lc_tools) == set(li_tools) == {"ls", "cat"}
    assert re.search(r"\bcat\b", lc_tools["ls"].description)
    assert "read_file" not in lc_tools["ls"].description
    assert "list_files" not in (li_tools["cat"].metadata.description or "")
