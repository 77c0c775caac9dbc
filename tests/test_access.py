"""``ClientAccess``: one owner loop per client, reached from sync or async code on any thread.

The work here only records where it ran (a stand-in client: the mechanism does not look at it);
the real client over real HTTP is exercised through the tools (tests/tools/test_client_access.py),
the loaders (tests/documents) and ``SyncAirbyteEmbeddedClient`` (tests/client/test_sync_client.py).
"""

from __future__ import annotations

import asyncio
import gc
import signal
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import aclosing
from itertools import islice
from typing import Any, cast

import pytest

from airbyte_embedded_tools import _access as access_module
from airbyte_embedded_tools._access import ClientAccess, LoopUnavailableError, access_for, take
from airbyte_embedded_tools._affinity import LoopAffinity
from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import ConfigurationError
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient

Loop = asyncio.AbstractEventLoop


def fresh() -> ClientAccess:
    """An access over a stand-in client no loop has used yet."""
    return ClientAccess(cast(AirbyteEmbeddedClient, object()), affinity=LoopAffinity())


async def where(_: object) -> Loop:
    """The loop the work runs on."""
    return asyncio.get_running_loop()


def first(items: Generator[int, None, None], n: int) -> list[int]:
    """The first ``n`` items, then the iteration closed."""
    try:
        return list(islice(items, n))
    finally:
        items.close()


def loop_threads() -> int:
    return sum(t.name == "airbyte-embedded-tools-loop" for t in threading.enumerate())


class Counter:
    """An endless async generator recording the loops it runs and closes on."""

    def __init__(self) -> None:
        self.ran_on: set[Loop] = set()
        self.closed_on: Loop | None = None

    async def items(self, _: object = None) -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                self.ran_on.add(asyncio.get_running_loop())
                yield n
                n += 1
        finally:
            self.closed_on = asyncio.get_running_loop()


class Hang:
    """Work that waits forever once started, recording its cancellation on its loop."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()
        self.closed_on: Loop | None = None

    async def call(self, _: object = None) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise

    async def items(self, _: object = None) -> AsyncIterator[int]:
        try:
            yield 0
            await self.call()
            yield 1  # pragma: no cover
        finally:
            self.closed_on = asyncio.get_running_loop()


@pytest.fixture
def loop_thread() -> Iterator[Loop]:
    """An event loop running forever in another thread (an app's loop, a notebook kernel's)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


def bound_to(loop: Loop) -> ClientAccess:
    """An access whose client was first used on ``loop`` (another thread's)."""
    access = fresh()
    assert asyncio.run_coroutine_threadsafe(access.arun(where), loop).result(5) is loop
    return access


async def test_the_loop_of_the_first_async_use_owns_the_client() -> None:
    access = fresh()
    loop = asyncio.get_running_loop()
    assert await access.arun(where) is loop
    counter = Counter()
    assert await take(access.aiterate(counter.items), 3) == [0, 1, 2]
    assert counter.ran_on == {loop}
    assert counter.closed_on is loop


def test_a_sync_first_use_binds_a_private_loop_thread_for_good() -> None:
    before = loop_threads()
    access = fresh()
    owner = access.run_sync(where)
    assert loop_threads() == before + 1
    assert owner.is_running()
    assert access.run_sync(where) is owner
    assert asyncio.run(access.arun(where)) is owner  # async callers go through it too
    counter = Counter()
    assert first(access.iterate(counter.items), 3) == [0, 1, 2]
    assert counter.ran_on == {owner}
    del access
    gc.collect()
    assert loop_threads() == before  # the thread ends with the access
    assert owner.is_closed()


def test_another_threads_loop_is_reached_from_anywhere(loop_thread: Loop) -> None:
    access = bound_to(loop_thread)
    assert access.run_sync(where) is loop_thread
    assert asyncio.run(access.arun(where)) is loop_thread
    counter = Counter()
    assert first(access.iterate(counter.items), 1) == [0]

    async def from_a_third_loop() -> list[int]:
        return await take(access.aiterate(counter.items), 2)

    assert asyncio.run(from_a_third_loop()) == [0, 1]
    assert counter.ran_on == {loop_thread}


async def test_sync_use_inside_a_running_loop_does_not_deadlock() -> None:
    """A notebook cell: a loop runs in this thread, and the call blocks it until done."""
    access = fresh()
    here = asyncio.get_running_loop()
    owner = access.run_sync(where)
    assert owner is not here
    assert owner.is_running()
    counter = Counter()
    assert first(access.iterate(counter.items), 2) == [0, 1]
    assert await access.arun(where) is owner


async def test_a_sync_call_on_the_owner_loop_is_refused() -> None:
    access = fresh()
    await access.arun(where)
    with pytest.raises(LoopUnavailableError, match="from inside the event loop that owns"):
        access.run_sync(where)
    with pytest.raises(LoopUnavailableError, match="SyncAirbyteEmbeddedClient"):
        next(access.iterate(Counter().items))


def test_a_sync_call_on_a_sync_faces_own_thread_is_refused() -> None:
    idle = AirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:9")
    with SyncAirbyteEmbeddedClient(async_client=idle) as face:
        assert access_for(face) is face.access
        assert face.access.run_sync(where) is face.loop

        async def inside() -> None:
            face.access.run_sync(where)

        with pytest.raises(LoopUnavailableError, match="would block that loop"):
            asyncio.run_coroutine_threadsafe(inside(), face.loop).result(5)
    with pytest.raises(LoopUnavailableError, match="SyncAirbyteEmbeddedClient is closed"):
        face.access.run_sync(where)
    with pytest.raises(LoopUnavailableError, match="closed"):
        asyncio.run(face.access.arun(where))


def test_a_closed_owner_loop_is_taken_over() -> None:
    access = fresh()
    first = asyncio.run(access.arun(where))
    assert first.is_closed()
    second = asyncio.run(access.arun(where))  # an async caller takes over
    assert second is not first
    owner = access.run_sync(where)  # and so does a sync one: a private loop thread
    assert owner.is_running()
    assert asyncio.run(access.arun(where)) is owner


def test_a_stopped_or_blocked_owner_is_a_message_for_sync_callers(
    loop_thread: Loop, monkeypatch: pytest.MonkeyPatch
) -> None:
    idle = asyncio.new_event_loop()  # used once, then left idle (not closed)
    try:
        access = fresh()
        idle.run_until_complete(access.arun(where))
        with pytest.raises(LoopUnavailableError, match="no longer running"):
            access.run_sync(where)
    finally:
        idle.close()
    monkeypatch.setattr(access_module, "_PROBE_SECONDS", 0.2)
    blocked = bound_to(loop_thread)
    release = threading.Event()
    loop_thread.call_soon_threadsafe(release.wait, 10)  # a cell blocking the kernel's loop
    try:
        with pytest.raises(LoopUnavailableError, match="is blocked"):
            blocked.run_sync(where)
    finally:
        release.set()
    assert blocked.run_sync(where) is loop_thread


def test_closing_a_sync_iteration_early_closes_the_generator_on_its_loop(
    loop_thread: Loop,
) -> None:
    access = bound_to(loop_thread)
    counter = Counter()
    items = access.iterate(counter.items)
    assert [next(items), next(items)] == [0, 1]
    assert counter.closed_on is None
    items.close()
    assert counter.closed_on is loop_thread


async def test_leaving_an_async_iteration_early_closes_the_generator_on_its_loop(
    loop_thread: Loop,
) -> None:
    access = bound_to(loop_thread)
    counter = Counter()
    async with aclosing(access.aiterate(counter.items)) as items:
        async for n in items:
            if n == 1:
                break
    assert counter.closed_on is loop_thread
    assert counter.ran_on == {loop_thread}


async def test_cancelling_the_caller_cancels_the_work_on_the_owner(loop_thread: Loop) -> None:
    access = bound_to(loop_thread)
    hang = Hang()
    call = asyncio.create_task(access.arun(hang.call))
    assert await asyncio.to_thread(hang.started.wait, 5)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert await asyncio.to_thread(hang.cancelled.wait, 5)

    stream = Hang()

    async def consume() -> list[int]:
        return [n async for n in access.aiterate(stream.items)]

    task = asyncio.create_task(consume())
    assert await asyncio.to_thread(stream.started.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert stream.cancelled.is_set()
    assert stream.closed_on is loop_thread  # closed there, after the cancelled step unwound


def interrupt_when(started: threading.Event) -> None:
    """Ctrl-C in the main thread once ``started`` is set."""
    main = threading.main_thread().ident
    assert main is not None

    def later() -> None:
        if started.wait(5):
            signal.pthread_kill(main, signal.SIGINT)

    threading.Thread(target=later, daemon=True).start()


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="needs the main thread"
)
def test_ctrl_c_in_a_sync_call_cancels_the_work_on_the_owner(loop_thread: Loop) -> None:
    access = bound_to(loop_thread)
    hang = Hang()
    interrupt_when(hang.started)
    with pytest.raises(KeyboardInterrupt):
        access.run_sync(hang.call)
    assert hang.cancelled.wait(5)

    stream = Hang()
    items = access.iterate(stream.items)
    assert next(items) == 0
    interrupt_when(stream.started)
    with pytest.raises(KeyboardInterrupt):
        next(items)
    assert stream.cancelled.wait(5)
    assert stream.closed_on is loop_thread


async def test_take_stops_reading_and_closes() -> None:
    counter = Counter()
    assert await take(counter.items(), 2) == [0, 1]
    assert counter.closed_on is asyncio.get_running_loop()


def test_access_for_shares_one_access_per_client() -> None:
    class Shaped:  # shaped like the async client, but not one: refused, not guessed at
        async def proxy_request(self, *args: Any, **kwargs: Any) -> None: ...
        async def read_file(self, *args: Any, **kwargs: Any) -> None: ...

    client = AirbyteEmbeddedClient("cid", "client-secret-value", base_url="http://127.0.0.1:9")
    assert access_for(client) is access_for(client)
    view = client.for_workspace("acme")
    assert access_for(view) is access_for(view)
    assert access_for(view) is not access_for(client)
    assert access_for(view).client is view
    for other in (Shaped(), object()):
        with pytest.raises(ConfigurationError, match="AirbyteEmbeddedClient or a Sync"):
            access_for(cast(AirbyteEmbeddedClient, other))


def test_views_share_their_parents_owner_loop() -> None:
    client = AirbyteEmbeddedClient("cid", "client-secret-value", base_url="http://127.0.0.1:9")
    view = client.for_workspace("acme")
    held = access_for(client)  # as a tool or loader holds it
    owner = held.run_sync(where)  # a sync first use: a private loop thread
    assert access_for(view).run_sync(where) is owner
    assert access_for(client.for_workspace(id="ws-2")).run_sync(where) is owner
    del held
    gc.collect()  # the last user gone, so is the thread: the next sync use starts another
    assert access_for(view).run_sync(where) is not owner


def test_tools_loaders_and_the_sync_face_share_one_access_per_client() -> None:
    from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader
    from airbyte_embedded_tools.tools import ListFilesTool, ProxyApiRequestTool

    client = AirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:9")
    shared = access_for(client)
    assert ProxyApiRequestTool(client, source_id="s")._access is shared
    assert ListFilesTool(client, source_id="f")._access is shared
    assert AirbyteEmbeddedLoader(client, "f")._runs.access is shared
    with SyncAirbyteEmbeddedClient(token="t", base_url="http://127.0.0.1:9") as face:
        assert ProxyApiRequestTool(face, source_id="s")._access is face.access
        assert AirbyteEmbeddedLoader.from_api(face, "s")._runs.access is face.access
        assert face.access.client is face.async_client
