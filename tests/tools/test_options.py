"""``ToolkitOptions``: one definition of the toolkit options, taken alike by every face."""

from __future__ import annotations

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._integrations.langchain_tools import AirbyteEmbeddedToolkit
from airbyte_embedded_tools._integrations.llama_index_tools import AirbyteEmbeddedToolSpec
from airbyte_embedded_tools.tools import AirbyteEmbeddedTools, ProxyApiRequestTool, ToolkitOptions

CLIENT = AirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:9")


def test_keywords_and_the_model_build_the_same_tools() -> None:
    options = ToolkitOptions(source_id="api-1", file_source_id="files-1", dry_run=True)
    by_keywords = AirbyteEmbeddedTools(
        CLIENT, source_id="api-1", file_source_id="files-1", dry_run=True
    )
    faces = [
        AirbyteEmbeddedTools(CLIENT, options).get_tools(),
        by_keywords.get_tools(),
        [t.tool for t in AirbyteEmbeddedToolkit(CLIENT, options).get_tools()],  # type: ignore[attr-defined]
        [t.airbyte_tool for t in AirbyteEmbeddedToolSpec(CLIENT, options).to_tool_list()],  # type: ignore[attr-defined]
    ]
    for tools in faces:
        assert [(t.name, t.description) for t in tools] == [
            (t.name, t.description) for t in faces[0]
        ]
        proxy = tools[0]
        assert isinstance(proxy, ProxyApiRequestTool)
        assert proxy.dry_run
    assert by_keywords.options == options
    assert not options.writes  # a dry run never writes
    assert ToolkitOptions(source_id="a", approve=lambda write: True).writes


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"source_id": "a", "allow_write": True}, "allow_write: Extra inputs are not permitted"),
        ({"source_id": "a", "max_chars": "lots"}, "max_chars"),
        ({"source_id": "a", "approve": 3}, "approve"),
    ],
)
def test_an_unknown_or_invalid_option_is_a_configuration_error(
    fields: dict[str, object], fragment: str
) -> None:
    for face in (AirbyteEmbeddedTools, AirbyteEmbeddedToolkit, AirbyteEmbeddedToolSpec):
        with pytest.raises(ConfigurationError, match=fragment):
            face(CLIENT, **fields)


def test_options_and_keywords_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        AirbyteEmbeddedTools(CLIENT, ToolkitOptions(source_id="a"), raw=True)
    with pytest.raises(ConfigurationError, match="must be a ToolkitOptions"):
        AirbyteEmbeddedTools(CLIENT, {"source_id": "a"})  # type: ignore[arg-type]


def test_the_approver_is_not_in_the_repr() -> None:
    def approve(write: object) -> bool:
        return False

    assert "approve" not in repr(ToolkitOptions(source_id="a", approve=approve))
