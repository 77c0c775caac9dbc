"""Compressed answers: which codings are asked for, and ``_inflate`` undoing them under a cap."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import httpx
import pytest
from client_fakes import FakeAirbyte

from airbyte_embedded_tools._client import AirbyteEmbeddedClient
from airbyte_embedded_tools._inflate import BodyError, TooLarge, inflater_for

MakeClient = Callable[..., AirbyteEmbeddedClient]
TEXT = b'{"object": "list", "data": []}' * 100


def _inflate(coding: str, body: bytes, *, room: int = 1 << 20, piece: int = 7) -> bytes:
    inflater = inflater_for(coding)
    assert inflater is not None
    out = b""
    for at in range(0, len(body), piece):
        out += inflater.feed(body[at : at + piece], room - len(out))
    inflater.end()
    return out


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("GZIP, identity", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),  # zlib-wrapped, as RFC 9110 says
        ("deflate", zlib.compress(TEXT)[2:-4]),  # raw deflate, as some servers send it
    ],
    ids=["gzip", "x-gzip", "gzip-identity", "deflate-zlib", "deflate-raw"],
)
def test_gzip_and_deflate_inflate_in_small_pieces(coding: str, body: bytes) -> None:
    assert _inflate(coding, body) == TEXT


def test_every_gzip_member_is_inflated() -> None:
    assert _inflate("gzip", gzip.compress(TEXT) + gzip.compress(b"tail")) == TEXT + b"tail"


def test_no_more_than_the_room_is_inflated() -> None:
    inflater = inflater_for("gzip")
    assert inflater is not None
    with pytest.raises(TooLarge):
        inflater.feed(gzip.compress(bytes(10_000_000)), 4096)
    assert _inflate("gzip", gzip.compress(TEXT), room=len(TEXT)) == TEXT  # exactly the room fits


@pytest.mark.parametrize("coding", ["", "identity", None])
def test_no_coding_needs_no_inflater(coding: str | None) -> None:
    assert inflater_for(coding) is None


@pytest.mark.parametrize("coding", ["br", "zstd", "compress", "gzip, gzip", "gzip, br"])
def test_other_codings_are_refused_by_name(coding: str) -> None:
    with pytest.raises(BodyError, match="did not ask for") as caught:
        inflater_for(coding)
    assert not caught.value.retryable


def test_a_cut_short_body_fails_at_its_end() -> None:
    body = gzip.compress(TEXT)
    with pytest.raises(BodyError, match="ends before its end") as caught:
        _inflate("gzip", body[:-9])
    assert caught.value.retryable


async def test_api_calls_ask_for_gzip_and_file_reads_for_the_bytes_as_stored(
    fake: FakeAirbyte, make_client: MakeClient
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "/files/" in request.url.path:
            return httpx.Response(200, content=b"stored", headers={"content-length": "6"})
        return httpx.Response(200, json={"object": "list", "data": []})

    fake.handler = handler
    client = make_client()
    await client.proxy_request("src", "GET", "https://api.stripe.com/v1/customers")
    await client.read_file("src", "a.txt")
    _ = [piece async for piece in client.stream_file("src", "a.txt")]
    asked = {r.url.path.split("/")[-1]: r.headers["accept-encoding"] for r in fake.api_requests()}
    assert asked == {"request": "gzip, deflate", "a.txt": "identity"}, asked
