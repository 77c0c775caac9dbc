"""The ``cli`` fixture: run ``airbyte-embedded`` against the session sandbox."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from typing import Any

import pytest
from cli_helpers import RunCli, run, sandbox_env


@pytest.fixture
def cli(sandbox: Any) -> RunCli:
    """``cli("ls", id)`` runs the CLI against the session sandbox (``env=`` overrides variables)."""

    def _cli(
        *args: str, env: Mapping[str, str] | None = None, stdin: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return run(*args, env=env if env is not None else sandbox_env(sandbox), stdin=stdin)

    return _cli
