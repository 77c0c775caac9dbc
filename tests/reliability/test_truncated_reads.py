"""Short answers never become half documents: the loader under the sandbox's ``truncate`` fault.

At a 30% truncate rate (a well-formed 200/206 whose ``Content-Length`` and body are cut to
half) the loader used to ingest 27 of 110 files at half length and put their ETags into the
incremental state, so no later run repaired them. Now every read is compared with the
listing's size and ETag and resumed when short; a file that still cannot be read whole is
skipped, stays out of the state, and the next clean run loads it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from reliability_helpers import make_client

from airbyte_embedded_tools.documents.loader import FileDocumentLoader, LoadState
from airbyte_embedded_tools.sandbox import Sandbox
from airbyte_embedded_tools.sandbox.faults import FaultConfig

pytestmark = pytest.mark.reliability

SMALL_FILES = 80
LARGE_FILES = 2


def _write_files(root: Path) -> dict[str, str]:
    """Text files of many sizes (a few above the loader's 1 MiB whole-read limit)."""
    texts: dict[str, str] = {}
    for n in range(SMALL_FILES):
        line = f"file {n:03d} line of text with some words in it\n"
        texts[f"docs/f{n:03d}.txt"] = line * (3 + n * 7)
    for n in range(LARGE_FILES):
        line = f"large {n} " + "0123456789" * 9 + "\n"
        texts[f"big/l{n}.txt"] = line * 15_000  # ~1.5 MB: streamed in ranges
    for path, text in texts.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return texts


async def test_truncated_answers_never_become_half_documents(tmp_path: Path) -> None:
    texts = _write_files(tmp_path)
    with Sandbox(files_dir=tmp_path) as sb:
        sb.set_faults(FaultConfig(rate_truncate=0.3, seed=1414, targets=frozenset({"files"})))
        async with make_client(sb, max_retries=8) as client:
            faulty = FileDocumentLoader(client, sb.file_source_id, state=LoadState())
            first = {d.metadata["path"]: d.text async for d in faulty.alazy_load()}
            assert sb.fault_calls > len(texts)  # the faults were in force for every read
            for path, text in first.items():
                assert text == texts[path], f"{path}: {len(text)} of {len(texts[path])} chars"
            state = faulty.state
            assert state is not None
            assert set(state.files) == set(first)  # only verified, complete reads
            skipped = {s.path for s in faulty.skipped}
            assert skipped | set(first) == set(texts)
            assert len(first) >= len(texts) // 2  # short answers were resumed, not dropped

            sb.set_faults(None)
            clean = FileDocumentLoader(client, sb.file_source_id, state=state)
            second = {d.metadata["path"]: d.text async for d in clean.alazy_load()}
    assert set(second) == skipped  # the clean run loads exactly what was missing
    for path, text in second.items():
        assert text == texts[path]
    assert clean.skipped == []
    assert clean.state is not None
    assert set(clean.state.files) == set(texts)
