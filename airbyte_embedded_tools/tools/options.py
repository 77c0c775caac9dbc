"""``ToolkitOptions``: the one definition of what a toolkit takes besides its client.

The neutral toolkit, the LangChain toolkit, the LlamaIndex spec and the MCP server all take
these, either as one ``ToolkitOptions`` or as the same keyword arguments (validated here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools._upstream import DEFAULT_CONNECTOR

from .context import CustomerSources
from .guard import DEFAULT_MAX_CHARS
from .proxy_api_request import DEFAULT_TOOL_MAX_RESPONSE_BYTES, Approver

__all__ = ["ToolkitOptions"]


class ToolkitOptions(BaseModel):
    """Which sources the tools reach, whether they may write, and how much they show a model.

    Bind sources with ``sources={"stripe": id, "contracts": Source.files(id)}`` or the
    ``source_id`` (an API source of ``connector``) / ``file_source_id`` shortcuts. Writes are
    refused unless ``allow_writes``, or an ``approve`` callback returns True for the
    ``WriteRequest``; ``dry_run`` sends no write and answers with the request it would send.
    ``names`` renames tools by default name (``{"read_file": "files_read"}``).

    One toolkit for every customer: ``customer_sources=["stripe", "contracts"]`` (the source
    names every customer has) instead of ids, over an organization-level client; each call then
    acts for the run's ``CustomerContext`` (its workspace view, its source ids).
    ``max_response_bytes`` caps what one API call reads (far below the client's own cap).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    sources: Mapping[str, Source | str] | None = None
    source_id: str | None = None
    file_source_id: str | None = None
    customer_sources: CustomerSources | None = None
    connector: str = DEFAULT_CONNECTOR
    allow_writes: bool = False
    approve: Approver | None = Field(default=None, repr=False)
    dry_run: bool = False
    max_chars: int = DEFAULT_MAX_CHARS
    raw: bool = False
    max_response_bytes: int = Field(default=DEFAULT_TOOL_MAX_RESPONSE_BYTES, ge=1)
    names: Mapping[str, str] | None = None

    @classmethod
    def of(cls, options: ToolkitOptions | None, fields: Mapping[str, Any]) -> ToolkitOptions:
        """``options`` or the keyword ``fields`` (not both), checked; ``ConfigurationError``
        names an unknown or invalid option."""
        if options is not None:
            if fields:
                raise ConfigurationError(
                    f"pass ToolkitOptions or keyword options, not both (got {sorted(fields)})"
                )
            if not isinstance(options, ToolkitOptions):
                raise ConfigurationError(
                    f"options must be a ToolkitOptions, not {type(options).__name__}"
                )
            return options
        try:
            return cls.model_validate(dict(fields))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, err['loc'])) or 'options'}: {err['msg']}"
                for err in exc.errors(include_url=False)
            )
            raise ConfigurationError(f"invalid toolkit options: {problems}") from None

    @property
    def writes(self) -> bool:
        """Whether a write can reach the upstream (allowed, or subject to approval)."""
        return (self.allow_writes or self.approve is not None) and not self.dry_run
