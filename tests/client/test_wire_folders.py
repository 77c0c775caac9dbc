"""Folders of a non-recursive listing (the ``prefixes`` of the list answer) over the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._errors import InvalidRequestError
from airbyte_embedded_tools._models import FolderListing
from airbyte_embedded_tools._sync_client import SyncAirbyteEmbeddedClient
from airbyte_embedded_tools.sandbox import Sandbox


def level(root: Path, prefix: str = "") -> tuple[list[str], list[str]]:
    """(files, folders) directly under ``prefix`` of the store, as S3 keys and prefixes."""
    base = root / prefix
    files = sorted(f"{prefix}{p.name}" for p in base.iterdir() if p.is_file())
    folders = sorted(f"{prefix}{p.name}/" for p in base.iterdir() if p.is_dir())
    return files, folders


async def test_list_folder_gives_files_and_folders(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    files, folders = level(sandbox.files_dir)
    assert files
    assert folders
    top = await client.list_folder(sandbox.file_source_id)
    assert isinstance(top, FolderListing)
    assert [e.path for e in top.files] == files
    assert top.folders == folders
    assert top.has_more is False
    assert all(e.size is not None and e.etag for e in top.files)
    paged = await client.list_folder(sandbox.file_source_id, page_size=2)
    assert paged == top
    # list_files stays files only, as before
    flat = await client.list_files(sandbox.file_source_id, recursive=False)
    assert [e.path for e in flat] == files


async def test_a_sub_folder_lists_by_its_prefix(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    top = await client.list_folder(sandbox.file_source_id)
    sub = await client.list_folder(sandbox.file_source_id, "contracts/")
    assert "contracts/" in top.folders
    assert sub.prefix == "contracts/"
    assert [e.path for e in sub.files] == level(sandbox.files_dir, "contracts/")[0]
    assert sub.folders == []


async def test_limit_stops_early_and_says_more_exist(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    files, folders = level(sandbox.files_dir)
    everything = sorted([*files, *folders], key=str.encode)
    first = await client.list_folder(sandbox.file_source_id, limit=3, page_size=2)
    assert (
        sorted([*(e.path for e in first.files), *first.folders], key=str.encode) == (everything[:3])
    )
    assert first.has_more is True
    exact = await client.list_folder(sandbox.file_source_id, limit=len(everything), page_size=2)
    assert exact.has_more is False
    assert len(exact.files) + len(exact.folders) == len(everything)
    with pytest.raises(InvalidRequestError, match="limit must be at least 1"):
        await client.list_folder(sandbox.file_source_id, limit=0)


def test_the_sync_face_lists_a_folder_too(sandbox: Sandbox) -> None:
    with SyncAirbyteEmbeddedClient(
        client_id=sandbox.client_id,
        client_secret=sandbox.client_secret,
        workspace_id=sandbox.workspace_id,
        base_url=sandbox.base_url,
    ) as client:
        top = client.list_folder(sandbox.file_source_id, limit=2)
    files, folders = level(sandbox.files_dir)
    shown = [*(e.path for e in top.files), *top.folders]
    assert sorted(shown, key=str.encode) == sorted([*files, *folders], key=str.encode)[:2]
    assert top.has_more is True
