"""What every client-side command shares: the client built from the environment and options."""

from __future__ import annotations

import argparse

from airbyte_embedded_tools.client import AirbyteEmbeddedClient

__all__ = ["make_client"]


def make_client(args: argparse.Namespace) -> AirbyteEmbeddedClient:
    """A client from ``AIRBYTE_*`` variables, with ``--base-url`` taking precedence."""
    base_url: str | None = getattr(args, "base_url", None)
    if base_url:
        return AirbyteEmbeddedClient.from_env(base_url=base_url)
    return AirbyteEmbeddedClient.from_env()
