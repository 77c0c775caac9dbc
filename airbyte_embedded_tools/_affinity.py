"""Which event loop a client's connections belong to: one record per client and its views.

An ``httpx.AsyncClient``'s connections belong to the loop that opened them. ``LoopAffinity``
is the one place that knows that loop (the owner): the client notes every loop it runs on
(``enter``), and ``ClientAccess`` reads it to run sync callers' work there. A private
``LoopThread`` owns the client when a sync call came first (or for a sync face).
"""

from __future__ import annotations

import asyncio
import threading
import weakref

__all__ = ["Lease", "LoopAffinity", "LoopThread"]


class LoopThread:
    """A private event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, name="airbyte-embedded-tools-loop", daemon=True
        )
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def stop(self) -> None:
        """Stop the loop and join the thread (idempotent)."""
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        if threading.current_thread() is not self._thread:  # else: it stops after this callback
            self._thread.join()


class Lease:
    """Keeps a private loop thread running while anything that reaches the client through it
    holds this (its ``ClientAccess``es); the thread stops when the last one is gone."""

    def __init__(self, thread: LoopThread) -> None:
        weakref.finalize(self, thread.stop)


class LoopAffinity:
    """The owner loop of one client (shared by its views), and the loop thread owning it if any.

    ``lock`` guards ``owner`` and ``thread`` (read and changed from any thread).
    """

    __slots__ = ("lease", "lock", "owner", "pool_loop", "thread")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: asyncio.AbstractEventLoop | None = None
        self.thread: LoopThread | None = None
        self.lease: weakref.ref[Lease] | None = None
        self.pool_loop: asyncio.AbstractEventLoop | None = None

    def enter(self, loop: asyncio.AbstractEventLoop) -> bool:
        """Note that the client's connections are used on ``loop`` (which becomes the owner if
        there was none or it is closed); True when they last belonged to a closed loop, whose
        sockets died with it (the caller then starts a fresh pool)."""
        if self.pool_loop is loop:
            return False
        with self.lock:
            stale = self.pool_loop is not None and self.pool_loop.is_closed()
            self.pool_loop = loop
            if self.owner is None or self.owner.is_closed():
                self.owner = loop
        return stale
