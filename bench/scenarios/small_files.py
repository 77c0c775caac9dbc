"""Many small files into Documents: the concurrent loader against a sequential loop of raw reads.

Measured twice: on loopback as is, and with a network-like latency injected by the sandbox on
every file call, the situation concurrency is for (the real service is a network away).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench import ours, raw
from bench.context import BenchContext, Conn, run_task, sandbox
from bench.registry import Row, ScenarioResult, Target, scenario
from bench.timing import cpu_note, fmt_seconds, interleaved, median, ratio

LOOPBACK = "bench/"
DELAYED = "delayed/"
LATENCY = 0.010
"""Seconds the sandbox waits before answering each file call in the second measurement."""


def write_files(root: Path, prefix: str, count: int) -> None:
    """``count`` small text, Markdown, JSON and CSV files (about 1 KiB each) under ``prefix``."""
    folder = root / prefix
    folder.mkdir(parents=True)
    for i in range(count):
        kind = ("txt", "md", "json", "csv")[i % 4]
        words = " ".join(f"word{(i * 7 + j) % 97}" for j in range(120))
        if kind == "txt":
            text = f"Note {i}\n\n{words}\n"
        elif kind == "md":
            text = f"# Note {i}\n\n- {words}\n"
        elif kind == "json":
            text = json.dumps({"id": i, "title": f"Note {i}", "body": words})
        else:
            rows = "\n".join(f"{i},{j},{words[j * 40 : j * 40 + 40]}" for j in range(20))
            text = f"note,line,text\n{rows}\n"
        (folder / f"doc_{i:05d}.{kind}").write_text(text, encoding="utf-8")


async def load_files(conn: Conn, params: dict[str, Any]) -> dict[str, Any]:
    """Worker: ours (the LangChain loader's ``alazy_load``), raw (list, then GET each in turn)."""
    from airbyte_embedded_tools.langchain import AirbyteEmbeddedLoader

    count, prefix = params["count"], params["prefix"]

    async def our_run() -> None:
        async with ours.client(conn) as api:
            loader = AirbyteEmbeddedLoader(client=api, source_id=conn.file_source_id, prefix=prefix)
            docs = [doc async for doc in loader.alazy_load()]
        if len(docs) != count:
            raise RuntimeError(f"the loader returned {len(docs)} documents, expected {count}")

    async def raw_run() -> None:
        async with httpx.AsyncClient() as http:
            token = await raw.fetch_token(http, conn)
            texts = []
            for path in await raw.list_files(http, conn, token, prefix):
                resp = await http.get(raw.file_url(conn, path), headers=raw.auth(token))
                resp.raise_for_status()
                texts.append(resp.text)
        if len(texts) != count:
            raise RuntimeError(f"the raw loop read {len(texts)} files, expected {count}")

    return await interleaved({"ours": our_run, "raw": raw_run}, params["repetitions"], collect=True)


def _row(title: str, reps: int, out: dict[str, Any]) -> Row:
    return Row(
        title,
        f"wall time (median of {reps})",
        fmt_seconds(median(out["wall"]["ours"])),
        fmt_seconds(median(out["wall"]["raw"])),
        ratio(out["wall"]["ours"], out["wall"]["raw"]),
        Target("<=", 0.25),
    )


@scenario("small-files", "small files -> Documents")
def small_files(ctx: BenchContext) -> ScenarioResult:
    """Wall time, concurrent loader / sequential loop of raw reads, without and with latency."""
    from airbyte_embedded_tools.sandbox import FaultConfig

    sizes = ctx.sizes
    reps = sizes.small_file_repetitions
    with tempfile.TemporaryDirectory(prefix="bench-files-") as tmp:
        write_files(Path(tmp), LOOPBACK, sizes.small_files)
        write_files(Path(tmp), DELAYED, sizes.delayed_files)
        with sandbox(files_dir=Path(tmp)) as sb:
            conn = Conn.of(sb)
            params = {"count": sizes.small_files, "prefix": LOOPBACK, "repetitions": reps}
            loopback = run_task(load_files, conn, params)
            sb.set_faults(FaultConfig(latency=LATENCY, targets=frozenset({"files"})))
            params = {"count": sizes.delayed_files, "prefix": DELAYED, "repetitions": reps}
            delayed = run_task(load_files, conn, params)
    ms = f"{LATENCY * 1000:.0f} ms"
    return ScenarioResult(
        name="small-files",
        rows=[
            _row(f"{sizes.small_files:,} small files -> Documents", reps, loopback),
            _row(f"{sizes.delayed_files:,} small files -> Documents, {ms} latency", reps, delayed),
        ],
        notes=[
            "ours = AirbyteEmbeddedLoader(prefix=...).alazy_load() with its default concurrency, "
            "every file parsed into a Document; raw = list the prefix, then GET each file in turn "
            f"and decode it; second row: the sandbox waits {ms} before each file call, as a "
            "network would; "
            + cpu_note(loopback, sizes.small_files, "file", {"ours": "ours", "raw": "raw"})
        ],
    )
