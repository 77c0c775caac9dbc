"""The client's file methods against the sandbox over real HTTP, with and without faults."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import NotFoundError, RangeNotSatisfiableError
from airbyte_embedded_tools._retry import RetryPolicy
from airbyte_embedded_tools.sandbox import FaultConfig, Sandbox

MiB = 1024 * 1024


def make(sb: Sandbox, **kwargs: Any) -> AirbyteEmbeddedClient:
    return AirbyteEmbeddedClient(
        sb.client_id, sb.client_secret, workspace_id=sb.workspace_id, base_url=sb.base_url, **kwargs
    )


def fast_retries(max_retries: int = 6) -> RetryPolicy:
    """Real sleeps, but short ones, so fault tests stay quick."""
    return RetryPolicy(max_retries=max_retries, backoff_base=0.005, backoff_cap=0.05)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def store_keys(root: Path, prefix: str = "") -> list[str]:
    keys = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    return sorted(k for k in keys if k.startswith(prefix))


@pytest.fixture(scope="module")
def faulty() -> Iterator[Sandbox]:
    """This module's own sandbox (64 MiB large file) whose faults the tests set."""
    with Sandbox() as sb:
        yield sb


async def test_listing_follows_pages(sandbox: Sandbox) -> None:
    async with make(sandbox) as client:
        everything = await client.list_files(sandbox.file_source_id)
        paged = await client.list_files(sandbox.file_source_id, page_size=3)
        seen = [e.path async for e in client.iter_files(sandbox.file_source_id, page_size=2)]
        top = await client.list_files(sandbox.file_source_id, recursive=False)
    keys = store_keys(sandbox.files_dir)
    assert len(keys) > 6  # several pages of 3
    assert sorted(e.path for e in everything) == keys
    assert [e.path for e in paged] == [e.path for e in everything]
    assert seen == [e.path for e in everything]
    assert all("/" not in e.path for e in top)
    by_path = {e.path: e for e in everything}
    readme = by_path[keys[0]]
    assert readme.size == (sandbox.files_dir / keys[0]).stat().st_size
    assert readme.etag
    assert readme.last_modified
    assert readme.content_type


async def test_listing_a_prefix(sandbox: Sandbox) -> None:
    async with make(sandbox) as client:
        entries = await client.list_files(sandbox.file_source_id, "contracts/")
    assert [e.path for e in entries] == store_keys(sandbox.files_dir, "contracts/")
    assert entries


async def test_ranged_reads_match_the_store(sandbox: Sandbox) -> None:
    path = sandbox.large_file_path
    assert path is not None
    disk = sandbox.files_dir / path
    with disk.open("rb") as handle:
        handle.seek(1000)
        expected = handle.read(500)
    size = disk.stat().st_size
    async with make(sandbox) as client:
        part = await client.read_file(sandbox.file_source_id, path, 1000, 1499)
        tail = await client.read_file(sandbox.file_source_id, path, size - 10)
        with pytest.raises(RangeNotSatisfiableError) as info:
            await client.read_file(sandbox.file_source_id, path, size)
        with pytest.raises(NotFoundError):
            await client.read_file(sandbox.file_source_id, "no/such/file.txt")
        small_key = store_keys(sandbox.files_dir, "contracts/")[0]
        whole = await client.read_file(sandbox.file_source_id, small_key)
    assert part.content == expected
    assert (part.start, part.end, part.total_size) == (1000, 1499, size)
    assert part.etag
    assert part.content_type
    assert (tail.start, tail.end, len(tail.content)) == (size - 10, size - 1, 10)
    assert info.value.size == size
    assert whole.content == (sandbox.files_dir / small_key).read_bytes()
    assert whole.is_complete


async def test_stream_64_mib_byte_identical(sandbox: Sandbox) -> None:
    path = sandbox.large_file_path
    assert path is not None
    digest = hashlib.sha256()
    total = 0
    async with make(sandbox) as client:
        async for piece in client.stream_file(sandbox.file_source_id, path):
            digest.update(piece)
            total += len(piece)
    assert total == 64 * MiB
    assert digest.hexdigest() == sha256_file(sandbox.files_dir / path)


async def test_stream_64_mib_through_dropped_and_cut_connections_in_bounded_memory(
    faulty: Sandbox,
) -> None:
    path = faulty.large_file_path
    assert path is not None
    faulty.set_faults(FaultConfig.of(["files"], rate_drop=0.15, rate_truncate=0.1, seed=7))
    digest = hashlib.sha256()
    total = 0
    async with make(faulty, retry_policy=fast_retries()) as client:
        tracemalloc.start()
        try:
            async for piece in client.stream_file(faulty.file_source_id, path):
                digest.update(piece)
                total += len(piece)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    calls = faulty.fault_calls
    faulty.set_faults(None)
    assert total == 64 * MiB
    assert digest.hexdigest() == sha256_file(faulty.files_dir / path)
    assert calls > 7  # 7 ranges (1, 2, 4, 8, 16, 32 MiB, then the last MiB) plus resumed ones
    assert peak < 8 * MiB, f"peak traced memory {peak / MiB:.1f} MiB"


async def test_stream_resumes_on_scheduled_drops(faulty: Sandbox) -> None:
    keys = store_keys(faulty.files_dir, "contracts/")
    sizes = {k: (faulty.files_dir / k).stat().st_size for k in keys}
    key = max(sizes, key=lambda k: sizes[k])
    faulty.set_faults(
        FaultConfig(schedule={1: "drop", 2: "truncate", 4: "drop"}, targets=frozenset({"files"}))
    )
    async with make(faulty, retry_policy=fast_retries()) as client:
        pieces = [p async for p in client.stream_file(faulty.file_source_id, key, chunk_size=256)]
    faulty.set_faults(None)
    assert b"".join(pieces) == (faulty.files_dir / key).read_bytes()
