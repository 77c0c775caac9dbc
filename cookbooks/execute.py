"""Execute a cookbook against the sandbox, and compare or check what a run printed.

Used by ``python -m cookbooks.regenerate`` (which stores the notebooks with their outputs) and by
the tests (which check that a fresh run prints what is stored, and that nothing stored leaks).
The kernel is this interpreter (``sys.executable`` with ipykernel), whatever kernelspecs the
machine has, so a fresh clone runs the notebooks with the venv it installed.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, cast

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

__all__ = [
    "CELL_TIMEOUT",
    "COOKBOOKS",
    "VARYING",
    "execute",
    "kernel_env",
    "leaks",
    "notebooks",
    "outputs_digest",
    "read",
]

COOKBOOKS = Path(__file__).resolve().parent
CELL_TIMEOUT = 240
"""Seconds any one cell may take."""

VARYING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"http://127\.0\.0\.1:\d+"), "http://127.0.0.1:PORT"),
    (
        re.compile(
            r"Idempotency-Key: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"
        ),
        "Idempotency-Key: UUID4",
    ),
)
"""What legitimately differs between two runs: the sandbox's free ports, and the random
idempotency key a write is given (a uuid4 on the ``Idempotency-Key`` line). Nothing else is
masked."""

_TOKEN_RE = re.compile(r"sbx_[a-z]{3}_[A-Za-z0-9_-]{16,}")
_MACHINE_PATH_RE = re.compile(r"(/work/|/root/|/tmp/|/home/|/Users/|[A-Z]:\\\\)")


class _ThisPythonSpecs(KernelSpecManager):
    """Every kernel name resolves to an ipykernel run by this interpreter."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return KernelSpec(
            # capture_fd_output off: what subprocesses (an MCP server, a worker) write to the
            # kernel's stderr arrives in whichever cell runs then, if at all: keep it out
            argv=[
                sys.executable,
                "-m",
                "ipykernel_launcher",
                "--IPKernelApp.capture_fd_output=False",
                "-f",
                "{connection_file}",
            ],
            display_name="Python 3",
            language="python",
            name=kernel_name,
        )


def notebooks() -> list[Path]:
    """Every cookbook notebook, sorted by name."""
    return sorted(COOKBOOKS.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    """A notebook as stored."""
    return cast(nbformat.NotebookNode, nbformat.read(path, as_version=4))  # type: ignore[no-untyped-call]


def kernel_env(**extra: str) -> dict[str, str]:
    """The kernel's environment: no ``AIRBYTE_*`` (so the sandbox), no chat model, offline."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRBYTE_", "COOKBOOK_MODEL", "JPY_"))
    }
    env.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        HF_HUB_DISABLE_PROGRESS_BARS="1",  # progress bars print rates: no two runs alike
        TQDM_DISABLE="1",
        ANONYMIZED_TELEMETRY="False",
        # libraries' warnings (deprecations, tqdm's missing widgets) vary with the installed
        # versions and name files of this machine: not part of what a cookbook shows
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


def execute(path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    """Run the notebook top to bottom in a fresh kernel with ``env``; the executed notebook."""
    notebook = read(path)
    manager = AsyncKernelManager(kernel_spec_manager=_ThisPythonSpecs())
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=CELL_TIMEOUT,
        record_timing=False,
        coalesce_streams=True,  # one output per stream and cell, however the kernel flushed it
        resources={"metadata": {"path": str(path.parent)}},
    )
    saved = os.environ.copy()
    os.environ.clear()
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if manager.has_kernel:  # a kernel manager passed in is not shut down by nbclient
            run_sync(manager.shutdown_kernel)(now=True)
    notebook.metadata.pop("widgets", None)
    return notebook


def _normalise(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text


def outputs_digest(notebook: nbformat.NotebookNode) -> list[list[dict[str, Any]]]:
    """Each code cell's outputs as compared between runs: text as printed (ports masked), and
    for pictures only their kind (PNG bytes differ with the fonts and library versions)."""
    digest = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                outputs.append({"stream": output.name, "text": _normalise(output.text)})
            elif output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                shown = {
                    kind: _normalise(value) if kind.startswith("text/") else kind
                    for kind, value in data.items()
                    if kind != "text/plain" or not any(k.startswith("image/") for k in data)
                }
                outputs.append({output.output_type: shown})
            else:
                outputs.append({output.output_type: output.get("ename", "")})
        digest.append(outputs)
    return digest


def leaks(text: str, secrets: tuple[str, ...] = ()) -> list[str]:
    """What in ``text`` must never be stored or shown: secrets, tokens, bearer headers, paths."""
    found = [f"secret {s[:4]}..." for s in secrets if s and s in text]
    found += [f"token {m[:8]}..." for m in _TOKEN_RE.findall(text)]
    found += ["a Bearer header"] if "Bearer " in text else []
    found += [
        f"machine path {text[max(m.start() - 60, 0) : m.end() + 200]!r}"
        for m in _MACHINE_PATH_RE.finditer(text)
    ][:3]
    found += ["a traceback"] if "Traceback" in text else []
    return found
