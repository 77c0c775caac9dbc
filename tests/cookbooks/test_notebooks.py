"""The cookbooks are stored executed, and a fresh run against the sandbox prints what is stored.

Each notebook is executed with nbclient in a kernel run by this interpreter (``cookbooks.execute``);
``python -m cookbooks.regenerate`` writes them back with their outputs after a change.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

from airbyte_embedded_tools.sandbox import Sandbox
from cookbooks.execute import COOKBOOKS, execute, kernel_env, leaks, notebooks, outputs_digest, read

NOTEBOOKS = notebooks()
REGENERATE = "python -m cookbooks.regenerate"

pytestmark = pytest.mark.cookbook


def _outputs_text(notebook: nbformat.NotebookNode) -> str:
    return json.dumps([cell.get("outputs", []) for cell in notebook.cells], ensure_ascii=False)


def test_every_cookbook_is_stored_executed(sandbox: Sandbox) -> None:
    assert {p.name for p in NOTEBOOKS} >= {
        "agent_tools_langchain.ipynb",
        "agent_tools_llama_index.ipynb",
        "rag_ingestion.ipynb",
        "mcp.ipynb",
    }
    for path in NOTEBOOKS:
        notebook = read(path)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        counts = [cell.execution_count for cell in code]
        assert counts == list(range(1, len(code) + 1)), f"{path.name}: run {REGENERATE}"
        assert any(cell.outputs for cell in code), f"{path.name} is stored without outputs"
        # the whole file: outputs, metadata and sources (the sandbox's seeded secrets are fixed)
        found = leaks(path.read_text(encoding="utf-8"), (sandbox.client_secret,))
        assert not found, f"{path.name} stores {found}"


def test_the_plot_and_the_tables_are_stored() -> None:
    kinds = {
        path.stem: {
            kind
            for cell in read(path).cells
            for output in cell.get("outputs", [])
            for kind in output.get("data", {})
        }
        for path in NOTEBOOKS
    }
    assert "image/png" in kinds["agent_tools_langchain"]  # invoices by age and status
    for name in ("agent_tools_langchain", "agent_tools_llama_index", "rag_ingestion"):
        assert "text/html" in kinds[name], name  # pandas tables


def test_leaks_finds_what_must_not_be_stored() -> None:
    assert leaks("all clean: http://127.0.0.1:PORT, contracts/acme.md") == []
    found = leaks(
        "sbx_app_abcdefghijklmnopqrst Bearer x /tmp/rag-store-1 /root/.cache s3cr3t-value",
        ("s3cr3t-value",),
    )
    assert len(found) == 5, found


@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_cookbook_run_prints_what_is_stored(
    path: Path, sandbox: Sandbox, record_property: Any
) -> None:
    started = time.monotonic()
    notebook = execute(path, kernel_env())
    record_property("seconds", round(time.monotonic() - started, 1))
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    found = leaks(_outputs_text(notebook), (sandbox.client_secret, sandbox.stripe_secret_key))
    assert not found, f"{path.name} printed {found}"
    fresh, stored = outputs_digest(notebook), outputs_digest(read(path))
    for number, (got, kept) in enumerate(zip(fresh, stored, strict=True), start=1):
        assert got == kept, f"{path.name}, code cell {number} differs: run {REGENERATE}"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", ["agent_tools_langchain", "mcp"])
def test_cookbook_runs_against_the_service_named_by_the_environment(
    name: str, sandbox: Sandbox
) -> None:
    """With AIRBYTE_* set (here naming a sandbox as if it were the real service), no edit."""
    env = kernel_env(
        AIRBYTE_API_URL=sandbox.base_url,
        AIRBYTE_CLIENT_ID=sandbox.client_id,
        AIRBYTE_CLIENT_SECRET=sandbox.client_secret,
        AIRBYTE_WORKSPACE_ID=sandbox.workspace_id,
        AIRBYTE_STRIPE_SOURCE_ID=sandbox.stripe_source_id,
        AIRBYTE_FILE_SOURCE_ID=sandbox.file_source_id,
    )
    notebook = execute(COOKBOOKS / f"{name}.ipynb", env)
    text = _outputs_text(notebook)
    assert sandbox.base_url in text  # it used the service it was pointed at, no sandbox of its own
    assert sandbox.client_secret not in text
    assert "Initech" in text  # the agent's answer, from the service's data
