"""Hostile files built inside the tests: inflating PDFs, deep JSON, one-line CSV, and a measure
of how long the event loop stalls while something runs."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")

SLOW_OPS = b"BT /F1 1 Tf 1 0 0 1 0 0 Tm (A) Tj ET\n"
"""One text-showing operation: pypdf's text extraction spends real time on each."""


def inflating_pdf(
    pages: int = 1, inflated: int = 5_000_000, text: bytes = b"", plain_first: bytes = b""
) -> bytes:
    """A PDF of ``pages`` pages sharing one Flate content stream that inflates to about
    ``inflated`` bytes of text operators (a few KB on disk); ``text`` is shown first. With
    ``plain_first`` the first page is instead a plain page showing those lines."""
    ops = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET\n" if text else b""
    ops += SLOW_OPS * (inflated // len(SLOW_OPS))
    stream = zlib.compress(ops, 9)
    kids = " ".join(f"{5 + n} 0 R" for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
        for _ in range(pages)
    ]
    if plain_first:
        lines = b") Tj 0 -14 Td (".join(plain_first.split(b"\n"))
        ops = b"BT /F1 12 Tf 72 720 Td (" + lines + b") Tj ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
        objects[4] = objects[4].replace(b"/Contents 4 0 R", b"/Contents %d 0 R" % len(objects))
    return _pdf(objects)


def text_pdf(pages: list[str]) -> bytes:
    """A small well-formed PDF with one line of (ASCII) text per page."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, filled in below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for text in pages:
        ops = b"BT /F1 12 Tf 72 720 Td (" + text.encode("ascii") + b") Tj ET"
        objects.append(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
        content = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % content
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    return _pdf(objects)


def _pdf(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def deep_json(levels: int) -> bytes:
    """``levels`` nested arrays around one number."""
    return b"[" * levels + b"1" + b"]" * levels


async def max_stall(work: Awaitable[T], tick: float = 0.01) -> tuple[T, float]:
    """Run ``work`` beside a ticker task; the result and the longest gap between ticks
    beyond ``tick`` (how long the event loop was blocked at most)."""
    worst = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(tick)
            now = time.perf_counter()
            worst = max(worst, now - last - tick)
            last = now

    task = asyncio.create_task(ticker())
    try:
        result = await work
    finally:
        done.set()
        await task
    return result, worst
