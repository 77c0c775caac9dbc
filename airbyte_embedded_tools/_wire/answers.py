"""How the request loop judges an answer: an error of Airbyte's API, or a success cut short.

``AirbyteEmbeddedClient._request`` asks one ``Answers`` per logical call: an answer that
``is_api_error`` is retried when transient, else raised as the mapped ``APIStatusError``; a
successful one that is ``unusable`` (why, or None) is retried like a dropped connection, then
raised as ``IncompleteReadError``.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from airbyte_embedded_tools.retry import is_retryable_status

from .files import short_range

__all__ = ["ANY_STATUS", "PLAIN", "RANGED", "Answers"]


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


class _AnyStatus(_Plain):
    """A token request: only transient statuses are errors (retried); any other comes back."""

    def is_api_error(self, response: httpx.Response) -> bool:
        return is_retryable_status(response.status_code)


PLAIN: Answers = _Plain()
RANGED: Answers = _Ranged()
ANY_STATUS: Answers = _AnyStatus()
