"""Starting ``airbyte-embedded mcp`` against a sandbox, the 1.x client's virtualenv, and reading
the sandbox's data directly (not through our code)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from mcp import StdioServerParameters

REPO = Path(__file__).resolve().parents[2]
MCP_COMMAND = [sys.executable, "-m", "airbyte_embedded_tools.cli", "mcp"]
MCP1_REQUIREMENTS = ("mcp>=1.27,<2", "langchain-mcp-adapters>=0.3,<0.4")
"""The 1.x client generation: langchain-mcp-adapters 0.3 pins mcp<2."""
MCP1_CLIENT = Path(__file__).with_name("mcp1_client.py")
START_TIMEOUT = 90.0
"""Seconds a server subprocess may take to listen (imports are slow on a loaded machine)."""


def clean_env() -> dict[str, str]:
    """This process's environment without any Airbyte setting (nor the seed's names)."""
    drop = ("AIRBYTE_", "CLIENT_ID", "CLIENT_SECRET")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def server_env(sb: Any) -> dict[str, str]:
    """AIRBYTE_* pointing at ``sb``'s demo workspace, both its sources pinned."""
    env = clean_env()
    env.update(
        AIRBYTE_API_URL=sb.base_url,
        AIRBYTE_CLIENT_ID=sb.client_id,
        AIRBYTE_CLIENT_SECRET=sb.client_secret,
        AIRBYTE_WORKSPACE_ID=sb.workspace_id,
        AIRBYTE_STRIPE_SOURCE_ID=sb.stripe_source_id,
        AIRBYTE_FILE_SOURCE_ID=sb.file_source_id,
    )
    return env


def seed_mcp_json(sb: Any) -> dict[str, Any]:
    """The seed's ``mcp.json`` entry: CLIENT_ID/CLIENT_SECRET only, plus the sandbox's URL."""
    return {
        "mcpServers": {
            "airbyte": {
                "command": MCP_COMMAND[0],
                "args": MCP_COMMAND[1:],
                "env": {
                    "CLIENT_ID": sb.client_id,
                    "CLIENT_SECRET": sb.client_secret,
                    "AIRBYTE_API_URL": sb.base_url,
                },
            }
        }
    }


def seed_env(sb: Any) -> dict[str, str]:
    """The environment an MCP client gives the server for the seed's ``mcp.json``."""
    return {**clean_env(), **seed_mcp_json(sb)["mcpServers"]["airbyte"]["env"]}


def stdio_params(
    sb: Any, *args: str, env: Mapping[str, str] | None = None
) -> StdioServerParameters:
    """How the official MCP client starts the server over stdio."""
    return StdioServerParameters(
        command=MCP_COMMAND[0],
        args=[*MCP_COMMAND[1:], *args],
        env=dict(env) if env is not None else server_env(sb),
        cwd=REPO,
    )


def scoped_token(sb: Any, tenant: Any) -> str:
    """A scoped token for one workspace, from the sandbox's own token endpoints."""
    app = httpx.post(
        f"{sb.base_url}/api/v1/account/applications/token",
        json={"client_id": tenant.client_id, "client_secret": tenant.client_secret},
    )
    app.raise_for_status()
    scoped = httpx.post(
        f"{sb.base_url}/api/v1/embedded/scoped-token",
        json={"workspace_name": tenant.workspace_name},
        headers={"Authorization": f"Bearer {app.json()['access_token']}"},
    )
    scoped.raise_for_status()
    body = scoped.json()
    return str(body.get("token") or body["access_token"])


def stripe_ids(sb: Any, resource: str, limit: int) -> list[str]:
    """The newest ids of a Stripe list, read from the emulator directly."""
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


@dataclass
class HttpServer:
    """A running ``airbyte-embedded mcp --http``: its URL and what it printed at start."""

    url: str
    proc: subprocess.Popen[bytes]
    banner: list[str]

    def stderr_after_stop(self) -> str:
        stop(self.proc)
        rest = self.proc.stderr.read().decode() if self.proc.stderr else ""
        return "\n".join(self.banner) + "\n" + rest


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def http_server(env: Mapping[str, str], *args: str) -> Iterator[HttpServer]:
    """``airbyte-embedded mcp --http`` on a free port until the block ends (always stopped)."""
    port = free_port()
    proc = subprocess.Popen(
        [*MCP_COMMAND, "--http", "--port", str(port), *args],
        env=dict(env),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        banner = _read_banner(proc)
        _wait_for_port(port, proc)
        yield HttpServer(f"http://127.0.0.1:{port}/mcp", proc, banner)
    finally:
        stop(proc)


def _read_banner(proc: subprocess.Popen[bytes]) -> list[str]:
    """The lines printed before serving: ``MCP server on ...`` and its indented notes."""
    assert proc.stderr is not None
    lines: list[str] = []
    first = proc.stderr.readline().decode()
    if not first.startswith("MCP server on"):
        rest = proc.stderr.read().decode()
        raise AssertionError(f"the server did not start: {first}{rest}")
    lines.append(first.rstrip("\n"))
    os.set_blocking(proc.stderr.fileno(), False)
    deadline = time.monotonic() + 1.0
    buffered = b""
    while time.monotonic() < deadline:
        chunk = proc.stderr.read() or b""
        buffered += chunk
        time.sleep(0.05)
    os.set_blocking(proc.stderr.fileno(), True)
    lines += [line for line in buffered.decode().splitlines() if line.startswith("  ")]
    return lines


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port} after {START_TIMEOUT} s")


def mcp1_python() -> Path:
    """The python of a virtualenv with the 1.x client generation, created once and cached.

    Kept under the temp dir (or ``$AIRBYTE_EMBEDDED_MCP1_VENV``'s parent dir), keyed by the
    requirements and this Python's version; a lock makes parallel test runs create it once, and
    every 1.x test (stdio and HTTP) shares it through the session fixture ``mcp1``.
    """
    key_text = json.dumps([MCP1_REQUIREMENTS, sys.version_info[:2]])
    key = hashlib.sha256(key_text.encode()).hexdigest()[:12]
    base = Path(os.environ.get("AIRBYTE_EMBEDDED_MCP1_VENV_DIR") or tempfile.gettempdir())
    root = base / f"airbyte-embedded-tools-mcp1-{key}"
    python = root / "bin" / "python"
    ready = root / ".ready"
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists() and python.exists():
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        # One pip call; the pip cache stays on (no --no-cache-dir), the version check off.
        pip = [str(python), "-m", "pip", "install", "-q", "--no-input"]
        subprocess.run(
            [*pip, "--disable-pip-version-check", *MCP1_REQUIREMENTS], check=True, timeout=900
        )
        ready.write_text(key_text, encoding="utf-8")
    return python


def run_mcp1_client(
    python: Path, connection: Mapping[str, Any], calls: list[dict[str, Any]]
) -> dict[str, Any]:
    """Run ``mcp1_client.py`` in the 1.x virtualenv; its JSON report."""
    spec = json.dumps({"connection": dict(connection), "calls": calls})
    proc = subprocess.run(
        [str(python), str(MCP1_CLIENT), spec],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    report: dict[str, Any] = json.loads(proc.stdout)
    return report
