"""Where the demo runs: the real Airbyte service when the environment names it, else the sandbox.

The real service is used when ``AIRBYTE_CLIENT_ID`` and ``AIRBYTE_CLIENT_SECRET`` (or
``AIRBYTE_ACCESS_TOKEN``) and both source ids (``AIRBYTE_STRIPE_SOURCE_ID``,
``AIRBYTE_FILE_SOURCE_ID``) are set; otherwise a local sandbox is started for the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from airbyte_embedded_tools import _config as config
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._config import ENV_FILE_SOURCE_ID, ENV_STRIPE_SOURCE_ID

__all__ = ["ENV_FILE_SOURCE_ID", "ENV_STRIPE_SOURCE_ID", "Target", "open_target"]


@dataclass(frozen=True)
class Target:
    """One place to run against: how to build the client, the two source ids, and its "today"."""

    label: str
    is_sandbox: bool
    stripe_source_id: str
    file_source_id: str
    today: date
    sandbox_login: tuple[str, str, str, str] | None = field(default=None, repr=False)
    """Sandbox base URL, client id, client secret, workspace id (None: the real service)."""

    def client(self) -> AirbyteEmbeddedClient:
        """A new async client for this target (``from_env()`` for the real service)."""
        if self.sandbox_login is None:
            return AirbyteEmbeddedClient.from_env()
        base_url, client_id, client_secret, workspace_id = self.sandbox_login
        return AirbyteEmbeddedClient(
            client_id=client_id,
            client_secret=client_secret,
            workspace_id=workspace_id,
            base_url=base_url,
        )


def real_service_configured() -> bool:
    """Whether the environment names credentials and both source ids."""
    has_credentials = bool(
        (os.environ.get(config.ENV_CLIENT_ID) and os.environ.get(config.ENV_CLIENT_SECRET))
        or os.environ.get(config.ENV_ACCESS_TOKEN)
    )
    has_sources = bool(os.environ.get(ENV_STRIPE_SOURCE_ID) and os.environ.get(ENV_FILE_SOURCE_ID))
    return has_credentials and has_sources


@contextmanager
def open_target() -> Iterator[Target]:
    """The real service if configured (see the module docstring), else a sandbox for the block."""
    if real_service_configured():
        url = os.environ.get(config.ENV_API_URL) or config.DEFAULT_BASE_URL
        yield Target(
            label=f"the Airbyte service at {url}",
            is_sandbox=False,
            stripe_source_id=os.environ[ENV_STRIPE_SOURCE_ID],
            file_source_id=os.environ[ENV_FILE_SOURCE_ID],
            today=datetime.now(UTC).date(),
        )
        return
    from airbyte_embedded_tools.sandbox import Sandbox

    with Sandbox() as sb:
        yield Target(
            label=f"the local sandbox at {sb.base_url}",
            is_sandbox=True,
            stripe_source_id=sb.stripe_source_id,
            file_source_id=sb.file_source_id,
            today=sb.data_as_of,
            sandbox_login=(sb.base_url, sb.client_id, sb.client_secret, sb.workspace_id),
        )
