"""What a user's ``pip install "airbyte-embedded-tools[all]"`` resolves, in a virtualenv of its own.

The dev install pins versions through other packages (a test virtualenv once hid that ``mcp``
2.x broke the server for every ``[all]`` user while the dev install stayed on 1.x). Here the
package is installed from the repository as a user installs it, into a fresh virtualenv (pip's
cache kept), and the demo and the MCP server run from there, the server driven by the MCP client
that install resolved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airbyte_embedded_tools.sandbox import Sandbox

REPO = Path(__file__).resolve().parent.parent
PIP_QUIET = ("-q", "--no-input", "--disable-pip-version-check")

MCP_CLIENT = """
import asyncio, json, sys
from mcp import Client, StdioServerParameters

async def main(spec):
    params = StdioServerParameters(command=spec["command"], args=["mcp"], env=spec["env"])
    async with Client(params) as client:
        tools = sorted(tool.name for tool in (await client.list_tools()).tools)
        listed = await client.call_tool("files_list", {"prefix": "contracts/"})
        text = "".join(getattr(part, "text", "") for part in listed.content)
        print(json.dumps({"tools": tools, "is_error": listed.is_error, "text": text}))

asyncio.run(main(json.loads(sys.argv[1])))
"""


def _clean_env() -> dict[str, str]:
    drop = ("AIRBYTE_", "CLIENT_ID", "CLIENT_SECRET", "VIRTUAL_ENV", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """``args`` run outside the checkout (so what runs is what was installed), no Airbyte env."""
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=_clean_env(),
        cwd=cwd,
    )


@pytest.mark.timeout(900)
def test_a_user_install_of_all_runs_the_demo_and_serves_mcp(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python, cli = venv / "bin" / "python", venv / "bin" / "airbyte-embedded"
    install = _run([str(python), "-m", "pip", "install", *PIP_QUIET, f"{REPO}[all]"], tmp_path, 780)
    assert install.returncode == 0, install.stderr[-4000:]

    demo = _run([str(cli), "demo"], tmp_path, 300)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "Next steps" in demo.stdout
    assert "Done in" in demo.stdout

    where = _run(
        [str(python), "-c", "import airbyte_embedded_tools as a; print(a.__file__)"], tmp_path, 60
    )
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout  # not the checkout

    with Sandbox() as sb:
        env = {
            **_clean_env(),
            "AIRBYTE_API_URL": sb.base_url,
            "AIRBYTE_CLIENT_ID": sb.client_id,
            "AIRBYTE_CLIENT_SECRET": sb.client_secret,
            "AIRBYTE_WORKSPACE_ID": sb.workspace_id,
            "AIRBYTE_STRIPE_SOURCE_ID": sb.stripe_source_id,
            "AIRBYTE_FILE_SOURCE_ID": sb.file_source_id,
        }
        spec = json.dumps({"command": str(cli), "env": env})
        served = _run([str(python), "-c", MCP_CLIENT, spec], tmp_path, 240)
        contracts = sorted(
            p.name for p in (Path(sb.files_dir) / "contracts").iterdir() if p.is_file()
        )
    assert served.returncode == 0, served.stderr[-4000:]
    report = json.loads(served.stdout.splitlines()[-1])
    assert {"apis_make_request", "files_list", "files_read"} <= set(report["tools"]), report
    assert report["is_error"] is False, report
    assert contracts
    assert all(name in report["text"] for name in contracts), (contracts, report["text"][:500])
