"""The tools' names: their defaults, and the renaming a toolkit or server applies to all of them.

A tool's texts (descriptions, continuation hints, error advice) name the tool to call next, so
every tool of a toolkit is told the names of all of them: a model renamed ``files_read`` must
read "call files_read again", never the default ``read_file``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from airbyte_embedded_tools._errors import ConfigurationError

__all__ = ["DEFAULT_TOOL_NAMES", "ToolNames", "resolve_names"]

DEFAULT_TOOL_NAMES: tuple[str, ...] = ("proxy_api_request", "list_files", "read_file")
"""Each tool's default name, which is also its key in a ``names`` mapping."""

ToolNames = Mapping[str, str]
"""Default name -> name given to the model, e.g. ``{"read_file": "files_read"}``."""

_VALID_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
"""What OpenAI and Anthropic tool calling accept as a tool name."""


def resolve_names(names: ToolNames | None = None) -> dict[str, str]:
    """Every default name mapped to its final name (unmapped ones keep their default).

    Raises ``ConfigurationError`` for an unknown key, a name a model API would refuse, or two
    tools given the same name.
    """
    resolved = {default: default for default in DEFAULT_TOOL_NAMES}
    for key, value in (names or {}).items():
        if key not in resolved:
            raise ConfigurationError(
                f"unknown tool {key!r} in names: the tools are {', '.join(DEFAULT_TOOL_NAMES)}"
            )
        if not isinstance(value, str) or not _VALID_NAME.match(value):
            raise ConfigurationError(
                f"invalid name {value!r} for {key}: use 1 to 64 letters, digits, '_' or '-'"
            )
        resolved[key] = value
    if len(set(resolved.values())) != len(resolved):
        raise ConfigurationError(f"two tools would share a name: {resolved}")
    return resolved
