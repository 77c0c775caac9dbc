"""How the request loop judges an answer: an error of Airbyte's API, or a success cut short.

``AirbyteEmbeddedClient._request`` asks one ``Answers`` per logical call: an answer that
``is_api_error`` is retried when transient, else raised as the mapped ``APIStatusError``; a
successful one that is ``unusable`` (why, or None) is retried like a dropped connection, then
raised as ``IncompleteReadError``.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from airbyte_embedded_tools._retry import is_retryable_status

from .files import short_range

__all__ = ["ANY_STATUS", "PLAIN", "RANGED", "Answers", "WholeFile"]


class Answers(Protocol):
    """What ``_request`` asks of every answer (``AnswerReader`` is one)."""

    def is_api_error(self, response: httpx.Response) -> bool:
        """True when ``response`` is an error of Airbyte's API (not a usable answer)."""
        ...

    def unusable(self, response: httpx.Response) -> str | None:
        """Why a successful ``response`` cannot be used (a body cut short), or None."""
        ...


class _Plain:
    """Any status >= 300 is an error; a success is used as it came."""

    def is_api_error(self, response: httpx.Response) -> bool:
        return response.status_code >= 300

    def unusable(self, response: httpx.Response) -> str | None:
        return None


class _Ranged(_Plain):
    """A file read: a 206 must carry every byte its ``Content-Range`` announces."""

    def unusable(self, response: httpx.Response) -> str | None:
        return short_range(response)


class WholeFile(_Ranged):
    """A read of a whole file: a 200 must carry its ``Content-Length`` and ``expected_size``.

    ``expected_size``: the size the caller knows (the listing's), checked whether or not the
    answer declares a length: a body cut short with a matching ``Content-Length`` is only
    caught this way.
    """

    def __init__(self, expected_size: int | None = None) -> None:
        self.expected_size = expected_size

    def unusable(self, response: httpx.Response) -> str | None:
        if response.status_code != 200:
            return short_range(response)
        got = len(response.content)
        length = response.headers.get("content-length", "")
        if length.isdigit() and got < int(length):
            return f"the 200 answer carries {got} of its {length} bytes"
        if self.expected_size is not None and got < self.expected_size:
            return f"the 200 answer carries {got} of the {self.expected_size} bytes expected"
        return None


class _AnyStatus(_Plain):
    """A token request: only transient statuses are errors (retried); any other comes back."""

    def is_api_error(self, response: httpx.Response) -> bool:
        return is_retryable_status(response.status_code)


PLAIN: Answers = _Plain()
RANGED: Answers = _Ranged()
ANY_STATUS: Answers = _AnyStatus()
