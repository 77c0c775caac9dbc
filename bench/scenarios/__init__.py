"""The scenarios of the bench, registered in the order of the issue's table."""

from __future__ import annotations

import importlib

MODULES = (
    "proxy_calls",
    "streaming",
    "small_files",
    "invoices",
    "import_time",
    "tool_output",
    "ray_ingest",
    "tenants",
)


def load_all() -> None:
    """Import every scenario module, which registers its scenarios."""
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
