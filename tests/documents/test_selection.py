"""Unit tests of file selection (globs, content types), file states and document ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from airbyte_embedded_tools._models import FileEntry
from airbyte_embedded_tools.documents.loader import (
    FileDocumentLoader,
    FileState,
    LoadState,
    file_document_id,
    glob_to_regex,
    record_document_id,
)


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.pdf", "a.pdf", True),
        ("*.pdf", "dir/a.pdf", False),
        ("docs/*.md", "docs/a.md", True),
        ("docs/*.md", "docs/sub/a.md", False),
        ("docs/**/*.md", "docs/a.md", True),
        ("docs/**/*.md", "docs/x/y/a.md", True),
        ("**/*.csv", "a.csv", True),
        ("**/*.csv", "x/y/a.csv", True),
        ("docs/**", "docs/x/y/a", True),
        ("file?.txt", "file1.txt", True),
        ("file?.txt", "file/.txt", False),
        ("[ab].txt", "a.txt", True),
        ("[!ab].txt", "a.txt", False),
        ("[!ab].txt", "c.txt", True),
        ("a+b(1).txt", "a+b(1).txt", True),
    ],
)
def test_glob_to_regex(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_to_regex(pattern).fullmatch(path)) is matches


def _entry(path: str, content_type: str | None = None, **extra: Any) -> FileEntry:
    return FileEntry(path=path, content_type=content_type, **extra)


def _loader(**options: Any) -> FileDocumentLoader:
    return FileDocumentLoader(client=None, source_id="src", **options)  # type: ignore[arg-type]


def test_patterns_without_slash_match_the_file_name_at_any_depth() -> None:
    loader = _loader(include=["*.md", "reports/**/*.pdf"], exclude="draft-*")
    assert loader.selects(_entry("a/b/notes.md"))
    assert loader.selects(_entry("reports/2024/q1.pdf"))
    assert not loader.selects(_entry("other/q1.pdf"))
    assert not loader.selects(_entry("a/draft-notes.md"))
    assert not loader.selects(_entry("a/b/"))


def test_content_types_use_the_listing_or_the_extension() -> None:
    loader = _loader(content_types=["text/*", "application/pdf"])
    assert loader.selects(_entry("x.bin", "text/plain; charset=utf-8"))
    assert loader.selects(_entry("x.pdf"))
    assert not loader.selects(_entry("x.png"))
    assert not loader.selects(_entry("noext"))


def test_invalid_options_are_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        _loader(max_concurrency=0)
    with pytest.raises(ValueError, match="pdf_mode"):
        _loader(pdf_mode="pages")


def test_file_state_compares_etags_first() -> None:
    when = datetime(2025, 1, 1, tzinfo=UTC)
    base = FileState.of(_entry("a", etag="e1", size=3, last_modified=when))
    assert base.last_modified == "2025-01-01T00:00:00+00:00"
    assert not base.differs(FileState(etag="e1", last_modified="later", size=3))
    assert base.differs(FileState(etag="e2", last_modified=base.last_modified, size=3))
    no_etag = FileState(last_modified="t1", size=3)
    assert not no_etag.differs(FileState(last_modified="t1", size=3))
    assert no_etag.differs(FileState(last_modified="t2", size=3))
    assert no_etag.differs(FileState(last_modified="t1", size=4))


def test_load_state_round_trips_through_json() -> None:
    state = LoadState(files={"a.txt": FileState(etag="e", last_modified="t", size=1)})
    text = state.to_json()
    assert '"a.txt"' in text
    assert LoadState.from_json(text) == state


def test_document_ids_are_stable_and_distinct() -> None:
    assert file_document_id("s", "a.pdf") == file_document_id("s", "a.pdf")
    ids = {
        file_document_id("s", "a.pdf"),
        file_document_id("s", "a.pdf", 1),
        file_document_id("s", "a.pdf", 2),
        file_document_id("t", "a.pdf"),
        file_document_id("s", "b.pdf"),
    }
    assert len(ids) == 5
    invoice = {"id": "in_1", "object": "invoice", "amount_due": 1}
    changed = {**invoice, "amount_due": 2}
    assert record_document_id("s", invoice) == record_document_id("s", changed)
    assert record_document_id("s", invoice) != record_document_id("s", {"id": "in_2"})
    assert record_document_id("s", {"a": 1}) == record_document_id("s", {"a": 1})
    assert record_document_id("s", {"a": 1}) != record_document_id("s", {"a": 2})
