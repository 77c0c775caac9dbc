"""Starting ``airbyte-embedded mcp`` as a subprocess against a sandbox, and reading its data."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from mcp import StdioServerParameters

REPO = Path(__file__).resolve().parents[2]
MCP_COMMAND = [sys.executable, "-m", "airbyte_embedded_tools.cli", "mcp"]


def server_env(sb: Any) -> dict[str, str]:
    """This process's environment with AIRBYTE_* pointing at ``sb`` and both its sources bound."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRBYTE_")}
    env.update(
        AIRBYTE_API_URL=sb.base_url,
        AIRBYTE_CLIENT_ID=sb.client_id,
        AIRBYTE_CLIENT_SECRET=sb.client_secret,
        AIRBYTE_WORKSPACE_ID=sb.workspace_id,
        AIRBYTE_STRIPE_SOURCE_ID=sb.stripe_source_id,
        AIRBYTE_FILE_SOURCE_ID=sb.file_source_id,
    )
    return env


def stdio_params(sb: Any, *args: str) -> StdioServerParameters:
    """How the official MCP client starts the server over stdio."""
    return StdioServerParameters(
        command=MCP_COMMAND[0], args=[*MCP_COMMAND[1:], *args], env=server_env(sb), cwd=REPO
    )


def stripe_ids(sb: Any, resource: str, limit: int) -> list[str]:
    """The newest ids of a Stripe list, read from the emulator directly (not through our code)."""
    answer = httpx.get(
        f"{sb.stripe_url}/v1/{resource}",
        params={"limit": limit},
        headers={"Authorization": f"Bearer {sb.stripe_secret_key}"},
    )
    answer.raise_for_status()
    return [item["id"] for item in answer.json()["data"]]


def store_paths(sb: Any, prefix: str = "") -> list[str]:
    """The file store's paths under ``prefix``, from the sandbox's folder."""
    root = Path(sb.files_dir)
    paths = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return sorted(p for p in paths if p.startswith(prefix))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll until something listens on ``port`` (fails early if the process exits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"the server exited with {proc.returncode}: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port} after {timeout} s")
