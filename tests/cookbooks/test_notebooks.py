"""Execute every cookbook with nbclient against the sandbox; no cell may fail or print a secret.

The kernel is this interpreter (``sys.executable`` with ipykernel), whatever kernelspecs the
machine has, so a fresh clone in CI runs the notebooks with the venv the tests run in.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, cast

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from airbyte_embedded_tools.sandbox import Sandbox

COOKBOOKS = Path(__file__).resolve().parents[2] / "cookbooks"
NOTEBOOKS = sorted(COOKBOOKS.glob("*.ipynb"))
CELL_TIMEOUT = 240
"""Seconds any one cell may take; the whole notebook is bounded by the test's timeout too."""

TOKEN_RE = re.compile(r"sbx_[a-z]{3}_[A-Za-z0-9_-]{16,}")
"""The sandbox's bearer tokens (random per run, so matched by their shape)."""

pytestmark = pytest.mark.cookbook


class _ThisPythonSpecs(KernelSpecManager):
    """Every kernel name resolves to an ipykernel run by the interpreter running the tests."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            display_name=f"Python ({sys.executable})",
            language="python",
            name=kernel_name,
        )


def _kernel_env() -> dict[str, str]:
    """The environment the kernel gets: the sandbox path (no AIRBYTE_*), the offline model."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRBYTE_", "COOKBOOK_MODEL"))
    }
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.pop("JPY_PARENT_PID", None)
    return env


def _execute(path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    notebook = _read(path)
    manager = AsyncKernelManager(kernel_spec_manager=_ThisPythonSpecs())
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
    )
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits the test process's environment
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return notebook


def _read(path: Path) -> nbformat.NotebookNode:
    return cast(nbformat.NotebookNode, nbformat.read(path, as_version=4))  # type: ignore[no-untyped-call]


def _outputs_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps([cell.get("outputs", []) for cell in notebook.cells])


def test_every_cookbook_is_stored_clean() -> None:
    assert {p.name for p in NOTEBOOKS} >= {
        "agent_tools_langchain.ipynb",
        "agent_tools_llama_index.ipynb",
        "rag_ingestion.ipynb",
        "mcp.ipynb",
    }
    for path in NOTEBOOKS:
        notebook = _read(path)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} is stored with outputs"
                assert cell.execution_count is None, f"{path.name} is stored executed"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cookbook_runs_against_the_sandbox(
    path: Path, sandbox: Sandbox, record_property: Any
) -> None:
    started = time.monotonic()
    notebook = _execute(path, _kernel_env())
    record_property("seconds", round(time.monotonic() - started, 1))
    text = _outputs_text(notebook)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # Every sandbox has the same seeded secrets (fixed seed): none may reach an output.
    for secret in (sandbox.client_secret, sandbox.stripe_secret_key):
        assert secret not in text, f"{path.name} printed a secret"
    assert not TOKEN_RE.search(text), f"{path.name} printed a token"
    assert "Bearer " not in text
    assert "Traceback" not in text


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", ["agent_tools_langchain", "mcp"])
def test_cookbook_runs_against_the_service_named_by_the_environment(
    name: str, sandbox: Sandbox
) -> None:
    """With AIRBYTE_* set (here naming a sandbox as if it were the real service), no edit."""
    env = _kernel_env()
    env.update(
        AIRBYTE_API_URL=sandbox.base_url,
        AIRBYTE_CLIENT_ID=sandbox.client_id,
        AIRBYTE_CLIENT_SECRET=sandbox.client_secret,
        AIRBYTE_WORKSPACE_ID=sandbox.workspace_id,
        AIRBYTE_STRIPE_SOURCE_ID=sandbox.stripe_source_id,
        AIRBYTE_FILE_SOURCE_ID=sandbox.file_source_id,
    )
    notebook = _execute(COOKBOOKS / f"{name}.ipynb", env)
    text = _outputs_text(notebook)
    assert sandbox.base_url in text  # it used the service it was pointed at, no sandbox of its own
    assert sandbox.client_secret not in text
    assert "Initech" in text  # the agent's answer, from the service's data
