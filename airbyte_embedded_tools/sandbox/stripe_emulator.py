"""The Stripe upstream as its own Starlette app: Stripe's URLs, auth, form bodies, errors, headers.

Accepts the secret key as ``Authorization: Bearer sk_...`` or as the Basic-auth user name
(``curl -u sk_test_...:``), so Stripe's documentation examples work against it.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from .faults import FaultInjector, FaultMiddleware
from .forms import nest
from .stripe_store import RESOURCES, StripeError, StripeStore, expand_paths

STRIPE_VERSION = "2024-06-20"
logger = logging.getLogger(__name__)


def _json(status: int, body: Any, request_id: str, extra: dict[str, str] | None = None) -> Response:
    headers = {"Request-Id": request_id, "Stripe-Version": STRIPE_VERSION,
               "Cache-Control": "no-cache, no-store", **(extra or {})}  # fmt: skip
    content = json.dumps(body, indent=2, ensure_ascii=False).encode()
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def _api_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.split(":", 1)[0] or None
    return None


def _mask(key: str) -> str:
    return key[:8] + "*" * 12 + key[-4:] if len(key) > 12 else "*" * len(key)


async def _form(request: Request) -> dict[str, Any]:
    """The request's parameters: the query string for GET/DELETE, the form body otherwise."""
    pairs = list(request.query_params.multi_items())
    if request.method in ("POST", "PUT", "PATCH"):
        raw = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if raw and content_type not in ("application/x-www-form-urlencoded", ""):
            raise StripeError(
                400,
                "Invalid request: Stripe expects its POST parameters form-encoded "
                "(Content-Type: application/x-www-form-urlencoded), not "
                f"{content_type or 'an unlabelled body'}; send name=value pairs, "
                "nested as metadata[key]=value.",
            )
        try:
            pairs += parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw))
        except (ValueError, UnicodeDecodeError):
            raise StripeError(
                400, "Invalid request: the body is not valid form encoding."
            ) from None
    try:
        return nest(pairs)
    except ValueError as exc:
        raise StripeError(400, f"Invalid request: {exc}.") from None


def build_stripe_app(
    store: StripeStore,
    valid_keys: Callable[[], set[str]],
    injector: FaultInjector | None = None,
) -> ASGIApp:
    """The emulator app; ``valid_keys`` returns the secret keys accepted right now."""

    async def dispatch(request: Request) -> Response:
        request_id = store.new_id("req")
        try:
            return await _handle(request, request_id)
        except StripeError as error:
            return _json(error.status, error.body(), request_id)
        except ClientDisconnect:  # the proxy hung up (its caller was cancelled): nobody listens
            return Response(status_code=400)
        except Exception:
            logger.exception("Stripe emulator error on %s %s", request.method, request.url.path)
            unknown = StripeError(
                500, "An unknown error occurred in the emulator.", type="api_error"
            )
            return _json(500, unknown.body(), request_id)

    async def _handle(request: Request, request_id: str) -> Response:
        key = _api_key(request)
        if key is None:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth "
                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        if not any(secrets.compare_digest(key.encode(), k.encode()) for k in valid_keys()):
            raise StripeError(
                401, f"Invalid API Key provided: {_mask(key)}", code="api_key_invalid"
            )
        parts = [p for p in str(request.path_params["path"]).split("/") if p]
        method = "GET" if request.method == "HEAD" else request.method  # body dropped on send
        params = await _form(request)
        expand = expand_paths(params.pop("expand", None))
        if len(parts) >= 2 and parts[0] == "v1" and parts[1] in RESOURCES:
            resource = parts[1]
            if method == "GET" and len(parts) == 2:
                page = store.expand(store.list(resource, params), expand, listing=True)
                return _json(200, page, request_id)
            if len(parts) == 3 and parts[2] == "search":
                raise StripeError(
                    404,
                    f"Unrecognized request URL ({method}: /v1/{resource}/search). The sandbox's "
                    f"Stripe emulator has no Search API: list /v1/{resource} with filters instead.",
                )
            if method == "GET" and len(parts) == 3:
                if params:
                    name = next(iter(params))
                    raise StripeError(400, f"Received unknown parameter: {name}", param=name)
                obj = store.expand(store.retrieve(resource, parts[2]), expand)
                return _json(200, obj, request_id)
            if method == "GET" and resource == "invoices" and parts[3:] == ["lines"]:
                lines = store.invoice_lines(parts[2], params)
                return _json(200, store.expand(lines, expand, listing=True), request_id)
            if resource == "customers":
                if method == "POST" and len(parts) == 2:
                    idem = request.headers.get("idempotency-key")
                    customer, replayed = store.create_customer(params, idem)
                    customer = store.expand(customer, expand)
                    extra = {"Idempotent-Replayed": "true"} if replayed else {}
                    if idem:
                        extra["Idempotency-Key"] = idem
                    return _json(200, customer, request_id, extra)
                if method == "POST" and len(parts) == 3:
                    updated = store.expand(store.update_customer(parts[2], params), expand)
                    return _json(200, updated, request_id)
                if method == "DELETE" and len(parts) == 3:
                    return _json(200, store.delete_customer(parts[2]), request_id)
        raise StripeError(
            404,
            f"Unrecognized request URL ({method}: /{'/'.join(parts)}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    methods = ["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"]
    app: ASGIApp = Starlette(routes=[Route("/{path:path}", dispatch, methods=methods)])
    if injector is not None:
        app = FaultMiddleware(app, injector, lambda path: "upstream", stripe_error_body)
    return app


def stripe_error_body(status: int, message: str) -> bytes:
    """An injected 429/503 in Stripe's error shape."""
    if status == 429:
        error = StripeError(429, message, code="rate_limit")
    else:
        error = StripeError(status, message, type="api_error")
    return json.dumps(error.body()).encode()
