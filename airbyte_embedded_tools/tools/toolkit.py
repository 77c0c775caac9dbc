"""The neutral toolkit: the tools for a set of bound sources, which every framework face wraps.

API sources get one ``proxy_api_request`` tool; file sources get ``list_files`` and
``read_file`` (or the names given in ``names``). With several sources of a kind, the tool takes
a ``source`` name argument.
"""

from __future__ import annotations

from typing import Any

from airbyte_embedded_tools.sources import resolve_sources

from .base import AirbyteTool, ClientLike
from .list_files import ListFilesTool
from .names import resolve_names
from .options import ToolkitOptions
from .proxy_api_request import ProxyApiRequestTool
from .read_file import ReadFileTool

__all__ = ["AirbyteEmbeddedTools"]


class AirbyteEmbeddedTools:
    """Build the tools over one client for the sources given (see ``ToolkitOptions``).

    ``AirbyteEmbeddedTools(client, source_id=...)`` or ``AirbyteEmbeddedTools(client,
    ToolkitOptions(...))``; every tool's texts name the others by their final names.
    """

    def __init__(
        self, client: ClientLike, options: ToolkitOptions | None = None, /, **fields: Any
    ) -> None:
        self.client = client
        self.options = opts = ToolkitOptions.of(options, fields)
        self.names = resolve_names(opts.names)
        self.sources = resolve_sources(
            opts.sources,
            source_id=opts.source_id,
            file_source_id=opts.file_source_id,
            connector=opts.connector,
        )
        api = {name: src for name, src in self.sources.items() if src.kind == "api"}
        files = {name: src for name, src in self.sources.items() if src.kind == "files"}
        self.tools: list[AirbyteTool[Any]] = []
        if api:
            self.tools.append(
                ProxyApiRequestTool(
                    client,
                    sources=api,
                    allow_writes=opts.allow_writes,
                    approve=opts.approve,
                    dry_run=opts.dry_run,
                    max_chars=opts.max_chars,
                    raw=opts.raw,
                    names=self.names,
                )
            )
        if files:
            for tool_class in (ListFilesTool, ReadFileTool):
                self.tools.append(
                    tool_class(client, sources=files, max_chars=opts.max_chars, names=self.names)
                )

    def get_tools(self) -> list[AirbyteTool[Any]]:
        """The tools, API first then files."""
        return list(self.tools)

    def __repr__(self) -> str:
        return f"AirbyteEmbeddedTools(tools={[tool.name for tool in self.tools]!r})"
