"""The package version: the one source read by the build (hatch), ``__version__`` and User-Agent."""

from __future__ import annotations

__version__ = "0.1.0"
