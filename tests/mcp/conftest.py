"""Fixtures of the MCP tests: the 1.x client's virtualenv (created once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp_helpers import mcp1_python


@pytest.fixture(scope="session")
def mcp1() -> Path:
    """The python of the virtualenv holding ``mcp<2`` and ``langchain-mcp-adapters``."""
    return mcp1_python()
