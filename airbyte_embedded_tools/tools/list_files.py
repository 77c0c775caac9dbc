"""``list_files``: the files of a file source under a prefix, as a compact table for a model."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from airbyte_embedded_tools._access import ClientAccess, take
from airbyte_embedded_tools._models import FileEntry
from airbyte_embedded_tools._sources import Source

from .base import AirbyteTool
from .guard import fit_lines, human_size
from .results import FileListing, ToolResult

__all__ = ["MAX_LIMIT", "ListFilesInput", "ListFilesTool"]

MAX_LIMIT = 1000
_FOOTER_RESERVE = 400


class ListFilesInput(BaseModel):
    """Arguments of one file listing."""

    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(
        default="",
        description=(
            "Folder or key prefix to list, e.g. 'reports/' or 'reports/2024-'; empty lists from "
            "the root. Case-sensitive."
        ),
        examples=["", "reports/", "contracts/2024/"],
    )
    recursive: bool = Field(
        default=True,
        description="Include files in sub-folders (true), or only this level (false).",
    )
    limit: int = Field(
        default=100,
        ge=1,
        le=MAX_LIMIT,
        description=f"Most files to return (1-{MAX_LIMIT}).",
    )


class ListFilesTool(AirbyteTool[ListFilesInput]):
    """List the files of a file source: path, size, last modified time and content type."""

    default_name: ClassVar[str] = "list_files"
    kind: ClassVar[Literal["files"]] = "files"
    input_model = ListFilesInput
    not_found_hint: ClassVar[str] = "Check the prefix, or list from the root with prefix=''."

    def _describe(self) -> str:
        return (
            "List the files of the connected file storage under a folder or prefix: path, size, "
            f"last modified time and content type. Use it to find paths before "
            f"{self.names['read_file']}.{self.sources_line()}"
        )

    async def _execute(
        self, args: ListFilesInput, source_name: str, source: Source, access: ClientAccess
    ) -> ToolResult:
        folders: list[str] = []
        if args.recursive:
            entries = await access.arun(
                lambda client: take(
                    client.iter_files(source.id, args.prefix, recursive=True), args.limit + 1
                )
            )
            has_more = len(entries) > args.limit
            entries = entries[: args.limit]
        else:
            level = await access.arun(
                lambda client: client.list_folder(source.id, args.prefix, limit=args.limit)
            )
            entries, folders, has_more = level.files, level.folders, level.has_more
        listing = FileListing(
            source=source_name,
            prefix=args.prefix,
            recursive=args.recursive,
            entries=entries,
            folders=folders,
            has_more=has_more,
        )
        content = self._render(args, entries, folders, has_more)
        return ToolResult(content=content, artifact=listing)

    def _render(
        self, args: ListFilesInput, entries: list[FileEntry], folders: list[str], has_more: bool
    ) -> str:
        """Folders (this level only) then files, one per line, cut to the budget by lines."""
        where = f"under '{args.prefix}'" if args.prefix else "at the root"
        scope = "including sub-folders" if args.recursive else "this level only"
        if not entries and not folders:
            return (
                f"No files {where} ({scope}). The prefix is case-sensitive; list from the root "
                "with prefix='' to see what exists."
            )
        what = f"{len(entries)}{'+' if has_more else ''} files"
        if folders:
            what = f"{len(folders)} folders and {what}"
        head = f"{what} {where} ({scope}):\npath | size | modified | type"
        paths = [*folders, *(entry.path for entry in entries)]
        lines = [f"{folder} | folder | - | -" for folder in folders]
        lines += [_line(entry) for entry in entries]
        shown = fit_lines(lines, self.max_chars - len(head) - _FOOTER_RESERVE)
        kind = "entries" if folders else "files"
        notes: list[str] = []
        if shown < len(lines):
            notes.append(
                f"[{len(lines) - shown} more {kind} left out to stay within {self.max_chars} "
                f"characters; the last shown is '{paths[shown - 1]}'. Use a narrower "
                "prefix to see the rest.]"
            )
        elif has_more:
            more = f" or a higher limit (up to {MAX_LIMIT})" if args.limit < MAX_LIMIT else ""
            notes.append(
                f"[More {kind} exist beyond these {len(lines)}. Use a narrower prefix (one of "
                f"the folders above){more}.]"
            )
        if folders:
            notes.append(
                f"[Folders end with '/': to see inside one, call {self.name} with "
                f"prefix='{folders[0]}'; recursive=true lists the files of every sub-folder.]"
            )
        return "\n".join([head, *lines[:shown], *notes])


def _line(entry: FileEntry) -> str:
    """``path | 1.5 KiB (1536 B) | 2025-01-31T12:00:00Z | text/csv``."""
    if entry.path.endswith("/"):
        return f"{entry.path} | folder | - | -"
    size = "?" if entry.size is None else f"{human_size(entry.size)} ({entry.size} B)"
    if entry.size is not None and entry.size < 1024:
        size = f"{entry.size} B"
    modified = "?"
    if entry.last_modified is not None:
        modified = entry.last_modified.isoformat().replace("+00:00", "Z")
    return f"{entry.path} | {size} | {modified} | {entry.content_type or '?'}"
