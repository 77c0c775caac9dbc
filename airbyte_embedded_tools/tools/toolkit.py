"""The neutral toolkit: the tools for a set of bound sources, which every framework face wraps.

API sources get one ``proxy_api_request`` tool; file sources get ``list_files`` and
``read_file`` (or the names given in ``names``). With several sources of a kind, the tool takes
a ``source`` name argument. With ``customer_sources`` the tools are built once for every
customer: each call takes the run's ``CustomerContext``.
"""

from __future__ import annotations

from typing import Any

from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sources import Source, resolve_sources

from .base import AirbyteTool, ClientLike
from .context import customer_slots
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
        self.sources = _sources_of(opts)
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
                    max_response_bytes=opts.max_response_bytes,
                    names=self.names,
                )
            )
        if files:
            for tool_class in (ListFilesTool, ReadFileTool):
                self.tools.append(
                    tool_class(client, sources=files, max_chars=opts.max_chars, names=self.names)
                )

    @property
    def per_customer(self) -> bool:
        """Whether the tools act for each run's ``CustomerContext`` (``customer_sources``)."""
        return self.options.customer_sources is not None

    def get_tools(self) -> list[AirbyteTool[Any]]:
        """The tools, API first then files."""
        return list(self.tools)

    def __repr__(self) -> str:
        return f"AirbyteEmbeddedTools(tools={[tool.name for tool in self.tools]!r})"


def _sources_of(opts: ToolkitOptions) -> dict[str, Source]:
    """The bound sources, or with ``customer_sources`` the slots each run's customer fills."""
    if opts.customer_sources is None:
        return resolve_sources(
            opts.sources,
            source_id=opts.source_id,
            file_source_id=opts.file_source_id,
            connector=opts.connector,
        )
    if opts.sources is not None or opts.source_id is not None or opts.file_source_id is not None:
        raise ConfigurationError(
            "customer_sources= binds sources per customer: pass no sources=, source_id= or "
            "file_source_id= with it"
        )
    return customer_slots(opts.customer_sources)
