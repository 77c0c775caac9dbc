"""ListFilesTool against the sandbox's file store."""

from __future__ import annotations

from datetime import datetime

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._sources import Source
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.tools import FileListing, ListFilesTool


async def test_lists_every_file_with_size_time_and_type(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ListFilesTool(client, source_id=sandbox.file_source_id)
    result = await tool.arun()
    assert not result.is_error
    lines = result.content.split("\n")
    assert lines[0].endswith("files at the root (including sub-folders):")
    assert lines[1] == "path | size | modified | type"
    by_path = {line.split(" | ")[0]: line for line in lines[2:]}
    assert by_path["reports/q3-revenue.csv"].endswith(" | 2025-06-30T12:00:00Z | text/csv")
    size = sandbox.large_file_size
    assert f"| 64.0 MiB ({size} B) |" in by_path[sandbox.large_file_path]
    assert isinstance(result.artifact, FileListing)
    assert {entry.path for entry in result.artifact.entries} == set(by_path)
    assert all(isinstance(e.last_modified, datetime) for e in result.artifact.entries)
    assert result.artifact.has_more is False


async def test_prefix_and_limit_say_how_to_see_more(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ListFilesTool(client, source_id=sandbox.file_source_id)
    result = await tool.arun(prefix="tickets/", limit=5)
    lines = result.content.split("\n")
    assert lines[0] == "5+ files under 'tickets/' (including sub-folders):"
    assert [line.split(" | ")[0] for line in lines[2:7]] == [
        f"tickets/ticket-{n:04d}.txt" for n in range(1, 6)
    ]
    assert "More files exist beyond these 5" in lines[-1]
    assert "higher limit (up to 1000)" in lines[-1]
    assert result.artifact.has_more is True
    assert len(result.artifact.entries) == 5


async def test_not_recursive_lists_one_level_with_its_folders(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    root = sandbox.files_dir
    top_files = sorted(p.name for p in root.iterdir() if p.is_file())
    top_folders = sorted(f"{p.name}/" for p in root.iterdir() if p.is_dir())
    tool = ListFilesTool(client, source_id=sandbox.file_source_id)
    result = await tool.arun(prefix="", recursive=False)
    assert isinstance(result.artifact, FileListing)
    assert [entry.path for entry in result.artifact.entries] == top_files
    assert result.artifact.folders == top_folders
    lines = result.content.split("\n")
    count = f"{len(top_folders)} folders and {len(top_files)} files at the root (this level only):"
    assert lines[0] == count
    assert lines[2 : 2 + len(top_folders)] == [f"{f} | folder | - | -" for f in top_folders]
    assert lines[2 + len(top_folders)].startswith("README.md | ")
    hint = f"call list_files with prefix='{top_folders[0]}'"
    assert hint in lines[-1]
    # the model follows the hint into the folder
    inside = await tool.arun(prefix=top_folders[0], recursive=False)
    assert inside.artifact.entries
    assert all(e.path.startswith(top_folders[0]) for e in inside.artifact.entries)
    assert "folder" not in inside.content.split("\n")[0]


async def test_not_recursive_limit_counts_folders_and_files(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ListFilesTool(client, source_id=sandbox.file_source_id)
    result = await tool.arun(recursive=False, limit=3)
    shown = [*result.artifact.folders, *(e.path for e in result.artifact.entries)]
    assert len(shown) == 3
    assert result.artifact.has_more is True
    assert "[More entries exist beyond these 3." in result.content


async def test_an_empty_prefix_says_what_to_do(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ListFilesTool(client, source_id=sandbox.file_source_id)
    result = await tool.arun(prefix="nothing-here/")
    assert not result.is_error
    assert result.content.startswith("No files under 'nothing-here/'")
    assert "prefix=''" in result.content


async def test_budget_cut_names_the_last_path_shown(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ListFilesTool(client, source_id=sandbox.file_source_id, max_chars=1000)
    result = await tool.arun()
    assert len(result.content) <= 1000
    assert "more files left out to stay within 1000 characters" in result.content
    assert len(result.artifact.entries) > result.content.count("\n") - 2


async def test_several_file_sources_by_name(
    sandbox: Sandbox, client: AirbyteEmbeddedClient
) -> None:
    tool = ListFilesTool(
        client,
        sources={
            "docs": sandbox.file_source_id,
            "theirs": Source.files(sandbox.other_workspace.file_source_id),
        },
    )
    assert tool.args_model.model_json_schema()["properties"]["source"]["enum"] == [
        "docs",
        "theirs",
    ]
    ours = await tool.arun(source="docs", prefix="contracts/")
    assert "contracts/initech-sla.html" in ours.content
    theirs = await tool.arun(source="theirs")
    assert theirs.is_error
    assert "on source 'theirs'" in theirs.content
    assert sandbox.other_workspace.file_source_id not in theirs.content
