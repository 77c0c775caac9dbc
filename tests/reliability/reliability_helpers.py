"""Reliability suite helpers: fast-retry clients, loopback ASGI servers, fd and log probes."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import IO, Any

import uvicorn

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._retry import RetryPolicy
from airbyte_embedded_tools.sandbox import Sandbox

PACKAGE_LOGGER = "airbyte_embedded_tools"


def fast_policy(max_retries: int = 5, deadline: float = 60.0) -> RetryPolicy:
    """A retry policy with the client's rules but short backoff (10 ms base, 100 ms cap).

    ``Retry-After`` is still honoured as sent (the sandbox's value), so 429s cost what they say.
    """
    return RetryPolicy(
        max_retries=max_retries, backoff_base=0.01, backoff_cap=0.1, deadline=deadline
    )


def make_client(
    sb: Sandbox,
    *,
    scoped: bool = True,
    max_retries: int = 5,
    deadline: float = 60.0,
    **kwargs: Any,
) -> AirbyteEmbeddedClient:
    """A client for ``sb``'s demo organization (scoped to its workspace unless ``scoped=False``)."""
    return AirbyteEmbeddedClient(
        client_id=sb.client_id,
        client_secret=sb.client_secret,
        workspace_id=sb.workspace_id if scoped else None,
        base_url=sb.base_url,
        retry_policy=fast_policy(max_retries, deadline),
        **kwargs,
    )


def open_fds() -> int:
    """File descriptors this process has open right now (Linux)."""
    return len(os.listdir("/proc/self/fd"))


def rss_bytes() -> int:
    """This process's resident set size, from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


class RetryLog(logging.Handler):
    """Counts the client's "Retrying in ..." records by cause (status, broken body, transport)."""

    _STATUS = re.compile(r"answered (\d{3})")

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.causes: Counter[str] = Counter()
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("Retrying in"):
            with self._lock:
                self.causes[_cause(message, self._STATUS)] += 1

    @property
    def total(self) -> int:
        return sum(self.causes.values())


def _cause(message: str, status: re.Pattern[str]) -> str:
    found = status.search(message)
    if found:
        upstream = "upstream " if "upstream" in message else ""
        return f"{upstream}{found.group(1)}"
    if "not valid JSON" in message or "short body" in message or "carries" in message:
        return "cut-short body"
    return "broken connection"


@contextmanager
def retry_log() -> Iterator[RetryLog]:
    """Attach a ``RetryLog`` to the package logger at INFO for the duration of the block."""
    logger = logging.getLogger(PACKAGE_LOGGER)
    handler = RetryLog()
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


class LoopbackServer:
    """An ASGI app served by uvicorn on a free 127.0.0.1 port in a background thread."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def __enter__(self) -> LoopbackServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            self._app, log_config=None, access_log=False, lifespan="on", ws="none"
        )
        server = uvicorn.Server(config)
        self._server = server

        def run() -> None:
            try:
                asyncio.run(server.serve(sockets=[sock]))
            finally:
                sock.close()

        self._thread = threading.Thread(target=run, name="reliability-loopback", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.005)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.should_exit = True
        self._thread.join(10)


class SandboxProcess:
    """A sandbox served by another Python process (``run_sandbox``), so that this process's file
    descriptors and memory belong to the client alone; stopped with SIGTERM on exit."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed on exit
        self.info: dict[str, str] = {}

    def __enter__(self) -> SandboxProcess:
        code = (
            "import sys\n"
            "from airbyte_embedded_tools.sandbox import run_sandbox\n"
            f"run_sandbox(0, **{self._settings!r})\n"
        )
        self._process = subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        assert self._process.stdout is not None
        deadline = time.monotonic() + 30
        for line in self._process.stdout:
            label, _, value = line.strip().partition("  ")
            if value:
                self.info[label.strip()] = value.strip()
            if line.startswith("Press Ctrl-C") or time.monotonic() > deadline:
                break
        if "base URL" not in self.info:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the sandbox process did not start:\n{self.stderr[-2000:]}")
        # Its access log goes on to stdout: keep draining it, or the server blocks on a full pipe.
        drain = threading.Thread(target=_drain, args=(self._process.stdout,), daemon=True)
        drain.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._process = None
        self._stderr.close()

    @property
    def stderr(self) -> str:
        """What the sandbox process wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read()

    def client(self, **kwargs: Any) -> AirbyteEmbeddedClient:
        """A client scoped to the demo workspace, with the suite's fast retry policy."""
        return AirbyteEmbeddedClient(
            client_id=self.info["client id"],
            client_secret=self.info["client secret"],
            workspace_id=self.info["workspace id"],
            base_url=self.info["base URL"],
            retry_policy=fast_policy(),
            **kwargs,
        )


def _drain(stream: IO[str]) -> None:
    for _line in stream:
        pass
