"""Running ``airbyte-embedded`` as a subprocess with an environment pointing at a sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

CLI = [sys.executable, "-m", "airbyte_embedded_tools.cli"]
RunCli = Callable[..., subprocess.CompletedProcess[bytes]]


def sandbox_env(sb: Any, **overrides: str) -> dict[str, str]:
    """A clean environment whose AIRBYTE_* variables point at ``sb`` (overrides win; "" unsets)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    env.update(
        AIRBYTE_API_URL=sb.base_url,
        AIRBYTE_CLIENT_ID=sb.client_id,
        AIRBYTE_CLIENT_SECRET=sb.client_secret,
        AIRBYTE_WORKSPACE_ID=sb.workspace_id,
    )
    for key, value in overrides.items():
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env


def run(
    *args: str, env: Mapping[str, str], stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with ``args``; stdout and stderr captured as bytes."""
    return subprocess.run(
        [*CLI, *args],
        env=dict(env),
        input=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
