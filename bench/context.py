"""What scenarios share: the sizes of this run, the sandboxes, and the worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airbyte_embedded_tools.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULT_PREFIX = "BENCH-RESULT "
WORKER_TIMEOUT = 600.0
MIB = 1024 * 1024


@dataclass(frozen=True)
class Sizes:
    """How much work each scenario does; ``quick`` shrinks everything for the smoke test."""

    warm_calls: int
    cold_calls: int
    cold_concurrency: int
    cold_repetitions: int
    large_file_bytes: int
    stream_repetitions: int
    small_files: int
    delayed_files: int
    small_file_repetitions: int
    invoices: int
    invoice_repetitions: int
    import_repetitions: int
    output_invoices: int

    @classmethod
    def full(cls) -> Sizes:
        """The sizes of the issue's table."""
        return cls(
            warm_calls=500,
            cold_calls=1000,
            cold_concurrency=50,
            cold_repetitions=5,
            large_file_bytes=256 * MIB,
            stream_repetitions=5,
            small_files=1000,
            delayed_files=300,
            small_file_repetitions=3,
            invoices=10_000,
            invoice_repetitions=2,
            import_repetitions=20,
            output_invoices=100,
        )

    @classmethod
    def quick(cls) -> Sizes:
        """Tiny sizes: every code path once, in seconds."""
        return cls(
            warm_calls=5,
            cold_calls=20,
            cold_concurrency=5,
            cold_repetitions=1,
            large_file_bytes=2 * MIB,
            stream_repetitions=1,
            small_files=20,
            delayed_files=40,
            small_file_repetitions=1,
            invoices=150,
            invoice_repetitions=1,
            import_repetitions=2,
            output_invoices=10,
        )


@dataclass(frozen=True)
class Conn:
    """How a worker process reaches a sandbox (plain strings, so it crosses as JSON)."""

    base_url: str
    client_id: str
    client_secret: str
    workspace_id: str
    stripe_source_id: str
    file_source_id: str
    large_file_path: str

    @classmethod
    def of(cls, sb: Sandbox) -> Conn:
        """The connection facts of a running sandbox."""
        return cls(
            base_url=sb.base_url,
            client_id=sb.client_id,
            client_secret=sb.client_secret,
            workspace_id=sb.workspace_id,
            stripe_source_id=sb.stripe_source_id,
            file_source_id=sb.file_source_id,
            large_file_path=sb.large_file_path or "",
        )


Task = Callable[[Conn, dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]


def run_task(task: Task, conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Run ``task`` in a fresh Python process (``python -m bench.worker``) and return its result.

    The client side runs apart from the in-process sandbox, as it would against the real service:
    the two do not share a GIL, and each memory measurement starts from a clean process.
    """
    job = {"task": f"{task.__module__}:{task.__name__}", "conn": asdict(conn), "params": params}
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    proc = subprocess.run(
        [sys.executable, "-m", "bench.worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return result
    raise RuntimeError(
        f"worker {job['task']} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}"
    )


class BenchContext:
    """Shared state of one bench run: sizes, and a default sandbox started on first use."""

    def __init__(self, *, quick: bool) -> None:
        self.quick = quick
        self.sizes = Sizes.quick() if quick else Sizes.full()
        self._stack = contextlib.ExitStack()
        self._default: Sandbox | None = None

    def default_sandbox(self) -> Sandbox:
        """A sandbox with default settings, shared by the scenarios that need nothing special."""
        if self._default is None:
            self._default = self._stack.enter_context(sandbox())
        return self._default

    def close(self) -> None:
        """Stop the shared sandbox."""
        self._stack.close()
        self._default = None


@contextlib.contextmanager
def sandbox(**kwargs: Any) -> Iterator[Sandbox]:
    """A running sandbox with ``kwargs`` as its settings (imported late: the ``sandbox`` extra)."""
    from airbyte_embedded_tools.sandbox import Sandbox

    with Sandbox(**kwargs) as sb:
        yield sb
