"""PDF parsing in worker processes: the only way to stop pypdf for real when a file runs long.

pypdf is pure Python with no bound on what a hostile file makes it do (a 16 KB page whose
content stream inflates to 5 MB took 17 s): a thread cannot be stopped, a process can be
killed. Workers are plain ``python -m`` subprocesses (no ``multiprocessing``: it would re-run
an unguarded ``__main__`` script in each child), each under an address-space limit where the
OS has one, reused from job to job (an interpreter start costs seconds on a busy machine) and
killed, then replaced, when a job runs out of time, fails or is cancelled.

Protocol on the worker's stdin/stdout: a 4-byte big-endian length, then a pickle; the parent
and the worker are this same package, so nothing untrusted is ever unpickled.
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from typing import IO, Any

from .errors import ParseError
from .parsers import TextPart, pdf_pages

__all__ = ["PdfJob"]

_HEADER = struct.Struct(">I")
_START_TIMEOUT = 120.0
"""Seconds a new worker may take to start (importing pypdf on a loaded machine)."""
_IDLE_WORKERS = 2


class _Worker:
    """One worker process (``python -m`` this module) with its pipes."""

    def __init__(self, max_memory: int) -> None:
        self.max_memory = max_memory
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", __name__, str(max_memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        if _receive(self.stdout, time.monotonic() + _START_TIMEOUT) != "ready":
            self.kill()
            raise ParseError("the PDF worker process did not start")

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process.stdout is not None
        return self.process.stdout

    def send(self, message: Any) -> None:
        assert self.process.stdin is not None
        _send(self.process.stdin, message)

    def kill(self) -> None:
        """Stop the process (safe from another thread, and more than once)."""
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - a kill that did not take
            return
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class _Pool:
    """Idle workers by memory limit; at most ``_IDLE_WORKERS`` of each are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[int, list[_Worker]] = {}

    def take(self, max_memory: int) -> _Worker:
        with self._lock:
            idle = self._idle.get(max_memory, [])
            while idle:
                worker = idle.pop()
                if worker.process.poll() is None:
                    return worker
        return _Worker(max_memory)

    def give_back(self, worker: _Worker) -> None:
        with self._lock:
            idle = self._idle.setdefault(worker.max_memory, [])
            if len(idle) < _IDLE_WORKERS and worker.process.poll() is None:
                idle.append(worker)
                return
        worker.kill()

    def close(self) -> None:
        """Stop every idle worker (at exit)."""
        with self._lock:
            workers = [worker for idle in self._idle.values() for worker in idle]
            self._idle.clear()
        for worker in workers:
            worker.kill()


_pool = _Pool()
atexit.register(_pool.close)


class PdfJob:
    """One PDF parse in a worker process: ``wait`` for its pages, or ``kill`` it."""

    def __init__(self, content: bytes, path: str, *, max_memory: int, **options: Any) -> None:
        self.path = path
        self._killed = False
        self._worker = _pool.take(max_memory)
        self._worker.send((content, path, options))

    def wait(self, timeout: float) -> tuple[int, list[TextPart]]:
        """The page count and pages; ``ParseError`` when the worker fails, dies or runs out of
        time (then it is killed)."""
        worker = self._worker
        ended = False
        try:
            answer = _receive(worker.stdout, time.monotonic() + timeout)
        except (EOFError, OSError, ValueError):
            answer, ended = None, True
        if answer is None:
            worker.kill()
            if not ended and not self._killed:
                raise ParseError(
                    f"{self.path}: parsing the PDF took longer than {timeout:g} s (stopped)"
                )
            raise ParseError(
                f"{self.path}: the PDF parser stopped (exit code {worker.process.returncode}): "
                "the file is malformed, needs too much memory, or the parse was cancelled"
            )
        if answer[0] == "error":
            worker.kill()  # its memory may be fragmented or exhausted: start afresh
            raise ParseError(answer[1])
        _pool.give_back(worker)
        return answer[1], [TextPart(text, page=page) for text, page in answer[2]]

    def kill(self) -> None:
        """Stop the parse now (from any thread): ``wait`` then raises ``ParseError``."""
        self._killed = True
        if self._worker.process.poll() is None:
            self._worker.process.kill()


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes], deadline: float) -> Any:
    """The next message, or None when ``deadline`` passes first; EOFError when the pipe ends."""
    header = _read_exactly(stream, _HEADER.size, deadline)
    if header is None:
        return None
    body = _read_exactly(stream, _HEADER.unpack(header)[0], deadline)
    return None if body is None else pickle.loads(body)  # noqa: S301 - our own worker


def _read_exactly(stream: IO[bytes], size: int, deadline: float) -> bytes | None:
    fd = stream.fileno()
    chunks: list[bytes] = []
    left = size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            return None
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the PDF worker closed its output")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _limit_memory(max_memory: int) -> None:
    """Cap this process's address space at its current size plus ``max_memory`` (Linux)."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (ImportError, OSError, ValueError):
        return
    limit = current + max_memory
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _serve(max_memory: int) -> None:
    """The worker's loop: parse each PDF sent on stdin, answer on the original stdout."""
    import pypdf  # noqa: F401 - imported before the memory limit and the first job

    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the answers
    stdin = sys.stdin.buffer
    _limit_memory(max_memory)
    _send(out, "ready")
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return
        content, path, options = pickle.loads(stdin.read(_HEADER.unpack(header)[0]))  # noqa: S301
        try:
            count, parts = pdf_pages(content, path, **options)
            answer: Any = ("ok", count, [(part.text, part.page) for part in parts])
        except ParseError as exc:
            answer = ("error", exc.message)
        except MemoryError:
            answer = ("error", f"{path}: the PDF needs more than {max_memory} bytes of memory")
        except Exception as exc:  # anything else still ends as this file's ParseError
            answer = ("error", f"{path}: malformed PDF: {type(exc).__name__}: {exc}")
        del content
        _send(out, answer)


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
