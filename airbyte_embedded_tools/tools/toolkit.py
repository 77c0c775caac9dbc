"""The neutral toolkit: the tools for a set of bound sources, which every framework face wraps.

API sources get one ``proxy_api_request`` tool; file sources get ``list_files`` and
``read_file`` (or the names given in ``names``). With several sources of a kind, the tool takes
a ``source`` name argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_embedded_tools.sources import Source, resolve_sources

from .base import AirbyteTool, ClientLike
from .guard import DEFAULT_MAX_CHARS
from .list_files import ListFilesTool
from .names import ToolNames, resolve_names
from .proxy_api_request import Approver, ProxyApiRequestTool
from .read_file import ReadFileTool

__all__ = ["AirbyteEmbeddedTools"]


class AirbyteEmbeddedTools:
    """Build the tools over one client for the sources given (see ``resolve_sources``).

    ``names`` renames tools by default name (``{"read_file": "files_read"}``); every tool's texts
    then name the others by their new names.
    """

    def __init__(
        self,
        client: ClientLike,
        *,
        sources: Mapping[str, Source | str] | None = None,
        source_id: str | None = None,
        file_source_id: str | None = None,
        connector: str = "stripe",
        allow_writes: bool = False,
        approve: Approver | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        raw: bool = False,
        names: ToolNames | None = None,
    ) -> None:
        self.client = client
        self.names = resolve_names(names)
        self.sources = resolve_sources(
            sources, source_id=source_id, file_source_id=file_source_id, connector=connector
        )
        api = {name: src for name, src in self.sources.items() if src.kind == "api"}
        files = {name: src for name, src in self.sources.items() if src.kind == "files"}
        self.tools: list[AirbyteTool[Any]] = []
        if api:
            self.tools.append(
                ProxyApiRequestTool(
                    client,
                    sources=api,
                    allow_writes=allow_writes,
                    approve=approve,
                    max_chars=max_chars,
                    raw=raw,
                    names=self.names,
                )
            )
        if files:
            for tool_class in (ListFilesTool, ReadFileTool):
                self.tools.append(
                    tool_class(client, sources=files, max_chars=max_chars, names=self.names)
                )

    def get_tools(self) -> list[AirbyteTool[Any]]:
        """The tools, API first then files."""
        return list(self.tools)

    def __repr__(self) -> str:
        return f"AirbyteEmbeddedTools(tools={[tool.name for tool in self.tools]!r})"
