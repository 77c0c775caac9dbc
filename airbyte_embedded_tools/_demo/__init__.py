"""The ``airbyte-embedded demo`` walk-through and the cookbooks' helpers (offline stand-in models).

Not part of the core: importing this package imports no framework; its submodules that need
LangChain or LlamaIndex import them themselves.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the terminal walk-through (``airbyte-embedded demo``); returns the exit code."""
    from .walkthrough import main as run

    return run(argv)
