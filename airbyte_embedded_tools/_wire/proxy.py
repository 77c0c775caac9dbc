"""The API proxy: the request body we send and the shapes its answer may take.

ASSUMPTION (Airbyte's proxy is alpha; its answer is not documented and the public record
disagrees with itself): see ``AnswerReader.proxy_response`` for the shapes recognised and
``AnswerReader.is_proxy_error`` for how an error of the proxy is told from the upstream's.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Mapping
from typing import Any

import httpx

from airbyte_embedded_tools._models import NOT_JSON, ProxyResponse

from .errors import api_error, request_id

__all__ = ["AnswerReader", "build_proxy_body"]


def build_proxy_body(
    *,
    method: str,
    url: str,
    headers: Mapping[str, str] | None,
    json: Any,
    data: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The proxy request body ``{"method", "url", "headers", "body"}``.

    ``url`` already carries the query string. ASSUMPTION (Airbyte documents ``body`` as a JSON
    object; Stripe itself wants a form): ``json=`` and ``data=`` both travel as the ``body``
    object; the proxy form-encodes it for Stripe.
    """
    body: dict[str, Any] = {"method": method, "url": url}
    if headers:
        body["headers"] = dict(headers)
    if json is not None:
        body["body"] = json
    elif data is not None:
        body["body"] = dict(data)
    return body


_JSON_OBJECT_START = re.compile(rb"\s*\{")


class AnswerReader:
    """Reads the answers of one logical call, parsing each one's JSON body at most once.

    It is the call's ``Answers``: ``_request`` asks every answer whether it is an error of
    Airbyte's API (``is_api_error``) or arrived cut short (``unusable``); the caller then reads
    the last one (``json``, ``proxy_response``). The parse is shared by all of these (memoised
    on the answer: a retry brings a new one, parsed anew) and handed to ``ProxyResponse``,
    whose ``json()`` then does not parse again. ``strict``: every answer must be JSON (a file
    list); otherwise only one declaring a JSON content type must parse (an upstream body
    passed through may be anything) and one starting with ``{`` is parsed to look for an
    envelope.
    """

    __slots__ = ("_response", "_strict", "_value")

    def __init__(self, *, strict: bool = False) -> None:
        self._strict = strict
        self._response: httpx.Response | None = None
        self._value: Any = NOT_JSON

    def json(self, response: httpx.Response) -> Any:
        """The body parsed as JSON, or ``NOT_JSON``."""
        if response is not self._response:
            self._value = self._parse(response)
            self._response = response
        return self._value

    def _parse(self, response: httpx.Response) -> Any:
        content = response.content
        if not content:
            return NOT_JSON
        if not (
            self._strict
            or _JSON_OBJECT_START.match(content)
            or "json" in response.headers.get("content-type", "").lower()
        ):
            return NOT_JSON  # neither declared JSON nor possibly an envelope: bytes, as they are
        try:
            return jsonlib.loads(content)
        except (ValueError, UnicodeDecodeError):
            return NOT_JSON

    def is_api_error(self, response: httpx.Response) -> bool:
        """A proxy answer: ``is_proxy_error``; a strict read (a file list): any status >= 300."""
        if self._strict:
            return response.status_code >= 300
        return self.is_proxy_error(response)

    def unusable(self, response: httpx.Response) -> str | None:
        """Why a successful answer is unusable (JSON cut short, or not JSON at all), or None."""
        if self.json(response) is not NOT_JSON:
            return None
        if not self._strict and (
            not response.content or "json" not in response.headers.get("content-type", "").lower()
        ):
            return None
        return f"the {response.status_code} answer is not valid JSON (cut short?)"

    def is_proxy_error(self, response: httpx.Response) -> bool:
        """True when an error status comes from Airbyte's proxy itself, not from the upstream.

        ASSUMPTION (Airbyte's errors are FastAPI-style): the proxy's own errors are JSON with a
        top-level ``detail`` and no Stripe-style ``error`` object; a 401 without such an
        ``error`` object is the proxy rejecting our token. Upstream errors pass through as is.
        """
        if response.status_code < 400:
            return False
        payload = self._object(response)
        if payload is not None and (
            isinstance(payload.get("error"), dict) or _envelope_kind(payload)
        ):
            return False
        if response.status_code == 401:
            return True
        return payload is not None and "detail" in payload

    def proxy_response(self, response: httpx.Response, *, method: str, url: str) -> ProxyResponse:
        """Unwrap the proxy's answer into the upstream's status, headers and body.

        Raises the ``APIStatusError`` subclass for an error of the proxy itself. ASSUMPTION
        (Airbyte's own sample app for this API parses these in turn): the answer is one of
        (1) ``{"response_body": "<upstream body as a string>", ...}``,
        (2) ``{"body": <string or object>, "status_code"|"status": int, "headers": {...}}``, or
        (3) the upstream response passed through (status, content type and body as is).
        """
        if self.is_proxy_error(response):
            raise api_error(response)
        rid = request_id(response)
        payload = self._object(response)
        kind = _envelope_kind(payload) if payload is not None else None
        if payload is None or kind is None:
            headers = httpx.Headers(
                [
                    (k, v)
                    for k, v in response.headers.multi_items()
                    if k.lower() not in _NOT_FORWARDED
                ]
            )
            return ProxyResponse(
                status_code=response.status_code,
                headers=headers,
                content=response.content,
                url=url,
                method=method,
                request_id=rid,
                parsed_json=self.json(response),
            )
        raw_body = payload.get(kind)
        status = _envelope_status(payload) or response.status_code
        headers = _envelope_headers(payload)
        content: bytes
        parsed: Any = NOT_JSON
        if raw_body is None:
            content = b""
        elif isinstance(raw_body, str):
            content = raw_body.encode("utf-8")
        else:
            content = jsonlib.dumps(raw_body, separators=(",", ":")).encode("utf-8")
            headers.setdefault("content-type", "application/json")
            parsed = raw_body
        return ProxyResponse(
            status_code=status,
            headers=headers,
            content=content,
            url=url,
            method=method,
            request_id=rid,
            parsed_json=parsed,
        )

    def _object(self, response: httpx.Response) -> dict[str, Any] | None:
        value = self.json(response)
        return value if isinstance(value, dict) else None


_NOT_FORWARDED = frozenset(
    {"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"}
)
"""Framing headers of the proxy's own response; they do not describe ``ProxyResponse.content``."""

_STATUS_KEYS = ("status_code", "status", "statusCode")
_HEADER_KEYS = ("headers", "response_headers")


def _envelope_kind(payload: Mapping[str, Any]) -> str | None:
    """Which envelope ``payload`` is: "response_body", "body", or None for pass-through.

    A ``body`` key alone is not enough (an upstream object could have one): envelope (2) also
    carries an integer status.
    """
    if isinstance(payload.get("response_body"), (str, dict, list)) or (
        "response_body" in payload and payload["response_body"] is None
    ):
        return "response_body"
    if "body" in payload and _envelope_status(payload) is not None:
        return "body"
    return None


def _envelope_status(payload: Mapping[str, Any]) -> int | None:
    for key in _STATUS_KEYS:
        value = payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def _envelope_headers(payload: Mapping[str, Any]) -> httpx.Headers:
    for key in _HEADER_KEYS:
        raw = payload.get(key)
        if isinstance(raw, dict):
            return httpx.Headers({str(k): _header_value(v) for k, v in raw.items()})
        if isinstance(raw, list):
            pairs = [(str(p[0]), _header_value(p[1])) for p in raw if isinstance(p, (list, tuple))]
            return httpx.Headers(pairs)
    return httpx.Headers()


def _header_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
