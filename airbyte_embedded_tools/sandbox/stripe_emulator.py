"""The Stripe upstream as its own Starlette app: Stripe's URLs, auth, form bodies, errors, headers.

Accepts the secret key as ``Authorization: Bearer sk_...`` or as the Basic-auth user name
(``curl -u sk_test_...:``), so Stripe's documentation examples work against it. Each key reaches
its own account (store); keyed POSTs are answered once and replayed (stripe_idempotency.py).
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
from .stripe_idempotency import KEYED_METHOD, IdempotencyCache
from .stripe_idempotency import check_key as check_idempotency_key
from .stripe_store import RESOURCES, StripeError, StripeStore, expand_paths

STRIPE_VERSION = "2024-06-20"
logger = logging.getLogger(__name__)


def _encode(body: Any) -> bytes:
    return json.dumps(body, indent=2, ensure_ascii=False).encode()


def _raw_json(
    status: int, content: bytes, request_id: str, extra: dict[str, str] | None = None
) -> Response:
    headers = {"Request-Id": request_id, "Stripe-Version": STRIPE_VERSION,
               "Cache-Control": "no-cache, no-store", **(extra or {})}  # fmt: skip
    return Response(content, status_code=status, media_type="application/json", headers=headers)


def _json(status: int, body: Any, request_id: str) -> Response:
    return _raw_json(status, _encode(body), request_id)


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
    account_for_key: Callable[[str], StripeStore | None],
    injector: FaultInjector | None = None,
    idempotency: IdempotencyCache | None = None,
) -> ASGIApp:
    """The emulator app; ``account_for_key`` gives the store a secret key reaches right now (None:
    an unknown or revoked key). Idempotency keys are saved in ``idempotency`` (a fresh cache by
    default), scoped to the secret key that sent them."""
    saved_answers = idempotency if idempotency is not None else IdempotencyCache()

    async def dispatch(request: Request) -> Response:
        request_id = "req_" + secrets.token_hex(7)
        try:
            return await _keyed(request, request_id)
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

    async def _keyed(request: Request, request_id: str) -> Response:
        """Authenticate, then answer: a keyed POST from its saved answer if it has one."""
        key = _api_key(request)
        if key is None:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth "
                "(e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        store = account_for_key(key)
        if store is None:
            raise StripeError(
                401, f"Invalid API Key provided: {_mask(key)}", code="api_key_invalid"
            )
        parts = [p for p in str(request.path_params["path"]).split("/") if p]
        params = await _form(request)
        idem = request.headers.get("idempotency-key", "").strip()
        if request.method != KEYED_METHOD or not idem:
            status, body = _handle(store, request.method, parts, params)
            return _json(status, body, request_id)
        check_idempotency_key(idem)
        endpoint = f"{request.method} /{'/'.join(parts)}"
        keyed = {"Idempotency-Key": idem}
        saved = saved_answers.lookup(key, idem, endpoint, params)
        if saved is not None:
            headers = {**keyed, "Idempotent-Replayed": "true", "Original-Request": saved.request_id}
            return _raw_json(saved.status, saved.body, request_id, headers)
        status, body = _handle(store, request.method, parts, params)
        content = _encode(body)
        saved_answers.save(key, idem, endpoint, params, status=status, body=content,
                           request_id=request_id)  # fmt: skip
        return _raw_json(status, content, request_id, {**keyed, "Original-Request": request_id})

    methods = ["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"]
    app: ASGIApp = Starlette(routes=[Route("/{path:path}", dispatch, methods=methods)])
    if injector is not None:
        app = FaultMiddleware(app, injector, lambda path: "upstream", stripe_error_body)
    return app


def _handle(
    store: StripeStore, verb: str, parts: list[str], params: dict[str, Any]
) -> tuple[int, Any]:
    """(status, body) of one authenticated request to the account ``store``."""
    method = "GET" if verb == "HEAD" else verb  # the body is dropped on send
    expand = expand_paths(params.pop("expand", None))
    if len(parts) >= 2 and parts[0] == "v1" and parts[1] in RESOURCES:
        resource = parts[1]
        if method == "GET" and len(parts) == 2:
            return 200, store.expand(store.list(resource, params), expand, listing=True)
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
            return 200, store.expand(store.retrieve(resource, parts[2]), expand)
        if method == "GET" and resource == "invoices" and parts[3:] == ["lines"]:
            lines = store.invoice_lines(parts[2], params)
            return 200, store.expand(lines, expand, listing=True)
        if resource == "customers":
            if method == "POST" and len(parts) == 2:
                return 200, store.expand(store.create_customer(params), expand)
            if method == "POST" and len(parts) == 3:
                return 200, store.expand(store.update_customer(parts[2], params), expand)
            if method == "DELETE" and len(parts) == 3:
                return 200, store.delete_customer(parts[2])
    raise StripeError(
        404,
        f"Unrecognized request URL ({method}: /{'/'.join(parts)}). Please see "
        "https://stripe.com/docs or we can help at https://support.stripe.com/.",
    )


def stripe_error_body(status: int, message: str) -> bytes:
    """An injected 429/503 in Stripe's error shape."""
    if status == 429:
        error = StripeError(429, message, code="rate_limit")
    else:
        error = StripeError(status, message, type="api_error")
    return json.dumps(error.body()).encode()
