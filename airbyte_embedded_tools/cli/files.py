"""``airbyte-embedded ls`` and ``cat``: list a file source or one folder, print or fetch a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from airbyte_embedded_tools._models import FileEntry

from .download import copy_range, download
from .exit_codes import ExitCode
from .output import Output, format_size, format_table, format_time
from .settings import make_client

__all__ = ["run_cat", "run_ls"]


def _entry_json(entry: FileEntry) -> dict[str, object]:
    return {**entry.model_dump(mode="json"), "kind": "file"}


def _folder_json(prefix: str) -> dict[str, object]:
    """A folder in the JSON listing: a file entry's keys (null) so scripts can treat rows alike."""
    return {**dict.fromkeys(FileEntry.model_fields), "path": prefix, "kind": "folder"}


async def run_ls(args: argparse.Namespace, out: Output) -> int:
    """Print the files under the prefix (with ``--no-recursive``, this level's folders first):
    a table, or a JSON array of entries whose ``kind`` is ``file`` or ``folder``."""
    folders: list[str] = []
    async with make_client(args) as client:
        if args.recursive:
            entries = await client.list_files(args.source_id, args.prefix)
        else:
            level = await client.list_folder(args.source_id, args.prefix)
            entries, folders = level.files, level.folders
    if out.as_json:
        out.json([*map(_folder_json, folders), *map(_entry_json, entries)])
        return ExitCode.OK
    if not entries and not folders:
        out.note(f"no files under {args.prefix or '/'!r}")
        return ExitCode.OK
    rows = [["-", "-", "folder", prefix] for prefix in folders]
    rows += [
        [format_size(e.size), format_time(e.last_modified), e.content_type or "-", e.path]
        for e in entries
    ]
    out.text(format_table(["SIZE", "MODIFIED", "TYPE", "PATH"], rows, right=[0]))
    total = sum(e.size or 0 for e in entries)
    in_folders = f", {len(folders)} folder(s)" if folders else ""
    out.note(f"{len(entries)} file(s), {format_size(total)}{in_folders}")
    return ExitCode.OK


async def run_cat(args: argparse.Namespace, out: Output) -> int:
    """Stream the file (or the byte range) to stdout, or download it to ``-o FILE``."""
    start, end = args.byte_range or (0, None)
    async with make_client(args) as client:
        if args.output:
            result = await download(
                client,
                args.source_id,
                args.path,
                Path(args.output),
                byte_range=args.byte_range,
                resume=args.resume and args.byte_range is None,
                progress=args.progress,
            )
            if out.as_json:
                out.json(result.as_dict())
            else:
                out.note(result.summary())
            return ExitCode.OK
        length = None if end is None else end - start + 1
        await copy_range(
            client, args.source_id, args.path, sys.stdout.buffer, start=start, length=length
        )
        sys.stdout.buffer.flush()
    return ExitCode.OK
