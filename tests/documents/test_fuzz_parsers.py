"""Hypothesis fuzz of the parsers: any bytes under any supported name end in text or a typed
error (``ParseError``/``UnsupportedFormatError``), within a size and time budget per example.

Derandomized (the same examples every run), a few seconds in all.
"""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airbyte_embedded_tools.documents import ParseError, UnsupportedFormatError, extract_text
from airbyte_embedded_tools.documents.parsers import render_json

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NAMES = ["a.txt", "a.md", "a.csv", "a.tsv", "a.json", "a.jsonl", "a.html", "a.bin"]
SECONDS_PER_EXAMPLE = 1.0

hostile_text = st.one_of(
    st.binary(max_size=4096),
    st.text(max_size=2048).map(lambda t: t.encode("utf-8")),
    st.text(max_size=1024).map(lambda t: t.encode("utf-16")),
    st.integers(1, 3000).map(lambda n: b"[" * n + b"]" * (n // 2)),
    st.integers(1, 3000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.lists(
        st.sampled_from([b",", b'"', b"\n", b"\r", b"x", b";", b"\t", b"\x00"]), max_size=3000
    ).map(b"".join),
    st.lists(
        st.sampled_from([b"<p>", b"</p>", b"<script>", b"<pre>", b"x", b"&amp;", b"<", b"<!--"]),
        max_size=800,
    ).map(b"".join),
)


@FUZZ
@given(content=hostile_text, name=st.sampled_from(NAMES))
def test_any_bytes_end_in_text_or_a_typed_error(content: bytes, name: str) -> None:
    started = time.perf_counter()
    try:
        parts = extract_text(content, path=name)
    except (ParseError, UnsupportedFormatError) as exc:
        error: Exception | None = exc
    else:
        error = None
        text = "".join(part.text for part in parts)
        assert len(text) <= 40 * len(content) + 100  # output stays proportional to input
    if error is not None:
        assert name in str(error)  # the error names the file
    assert time.perf_counter() - started < SECONDS_PER_EXAMPLE


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=90),
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=200,
)


@FUZZ
@given(value=json_values)
def test_render_json_is_the_same_json(value: object) -> None:
    text = render_json(value)
    assert json.loads(text) == value
    assert json.loads(extract_text(json.dumps(value).encode(), path="v.json")[0].text) == value
