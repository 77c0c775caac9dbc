"""An optional progress bar (tqdm, from the ``progress`` extra) for the loaders."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["PROGRESS_EXTRA_HINT", "Progress", "progress_bar"]

PROGRESS_EXTRA_HINT = "pip install 'airbyte-embedded-tools[progress]'"


class Progress(Protocol):
    """What the loaders call on a progress bar."""

    def update(self, n: int = 1) -> Any:
        """Advance by ``n`` items."""
        ...

    def close(self) -> Any:
        """Finish the bar."""
        ...


class _NoProgress:
    """The progress bar used when none was asked for."""

    def update(self, n: int = 1) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


def progress_bar(show: bool, *, desc: str, unit: str, total: int | None = None) -> Progress:
    """A tqdm bar when ``show`` is true (ImportError naming the extra if tqdm is missing)."""
    if not show:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise ImportError(f"show_progress=True needs tqdm: {PROGRESS_EXTRA_HINT}") from exc
    bar: Progress = tqdm(desc=desc, unit=unit, total=total)
    return bar
