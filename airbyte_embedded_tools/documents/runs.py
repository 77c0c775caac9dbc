"""Loader runs for the framework faces: one core per run, the incremental state carried over.

A loader given a ``state`` (even an empty ``LoadState()``) is incremental: each run loads only
what changed since the previous run and advances ``state``. Without one, every run loads
everything; ``state`` still holds the new state after a run, ready to be saved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from airbyte_embedded_tools._access import access_for
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools._sync_client import ClientLike

from .loader import (
    ApiDocumentLoader,
    DocumentLoaderCore,
    DocumentRecord,
    FileDocumentLoader,
    LoadState,
    SkippedFile,
)
from .options import FileLoadOptions

__all__ = [
    "CoreFactory",
    "LoaderRuns",
    "api_core_factory",
    "connector_of",
    "file_core_factory",
    "source_id_of",
]

CoreFactory = Callable[[AirbyteEmbeddedClient, "LoadState | None"], DocumentLoaderCore]
"""Builds a loader core from the async client and the previous state (None: full load)."""


def source_id_of(source: str | Source) -> str:
    """The Airbyte source id of a plain id or a bound ``Source``."""
    return source.id if isinstance(source, Source) else source


class LoaderRuns:
    """Runs a loader core per call on the client's owner loop (through the client's one
    ``ClientAccess``, shared with the tools), threading the state between runs."""

    def __init__(
        self, client: ClientLike, make_core: CoreFactory, state: LoadState | None = None
    ) -> None:
        self.access = access_for(client)
        self._make_core = make_core
        self.incremental = state is not None
        self.state: LoadState | None = state
        self.removed: list[str] = []
        self.skipped: list[SkippedFile] = []
        make_core(self.access.client, state)  # validates the options now, not at first run

    def _run(self, client: AirbyteEmbeddedClient) -> AsyncIterator[DocumentRecord]:
        core = self._make_core(client, self.state if self.incremental else None)

        async def documents() -> AsyncIterator[DocumentRecord]:
            try:
                async for document in core.alazy_load():
                    yield document
            finally:
                self.state, self.removed, self.skipped = core.state, core.removed, core.skipped

        return documents()

    def iterate(self) -> Iterator[DocumentRecord]:
        """A run's documents for a sync caller (works inside a running event loop too)."""
        return self.access.iterate(self._run)

    def aiterate(self) -> AsyncIterator[DocumentRecord]:
        """A run's documents for an async caller."""
        return self.access.aiterate(self._run)


def file_core_factory(source_id: str, options: FileLoadOptions) -> CoreFactory:
    """A factory of ``FileDocumentLoader`` cores with these options."""

    def make(client: AirbyteEmbeddedClient, state: LoadState | None) -> DocumentLoaderCore:
        return FileDocumentLoader(client, source_id, state=state, options=options)

    return make


def api_core_factory(source_id: str, path: str, **options: Any) -> CoreFactory:
    """A factory of ``ApiDocumentLoader`` cores with these options (API loads keep no state)."""

    def make(client: AirbyteEmbeddedClient, state: LoadState | None) -> DocumentLoaderCore:
        return ApiDocumentLoader(client, source_id, path, **options)

    return make


def connector_of(source: str | Source, connector: str | None) -> str:
    """The API connector: the one named, else a bound ``Source``'s, else Stripe."""
    if connector is not None:
        return connector
    if isinstance(source, Source) and source.connector is not None:
        return source.connector
    return "stripe"
