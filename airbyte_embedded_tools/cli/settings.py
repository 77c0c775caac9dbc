"""What every client-side command shares: the client built from the environment and options."""

from __future__ import annotations

import argparse
from typing import Any

from airbyte_embedded_tools._client import AirbyteEmbeddedClient

__all__ = ["make_client"]


def make_client(args: argparse.Namespace) -> AirbyteEmbeddedClient:
    """A client from ``AIRBYTE_*`` variables; ``--base-url`` and ``--workspace`` take precedence
    (``--workspace NAME`` replaces the workspace variables, id or name)."""
    overrides: dict[str, Any] = {}
    base_url: str | None = getattr(args, "base_url", None)
    if base_url:
        overrides["base_url"] = base_url
    workspace_name: str | None = getattr(args, "workspace_name", None)
    if workspace_name:
        overrides.update(workspace_name=workspace_name, workspace_id=None)
    return AirbyteEmbeddedClient.from_env(**overrides)
