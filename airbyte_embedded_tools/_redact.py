"""Secret redaction for log records and error messages.

Masks bearer tokens, JWTs, Stripe keys, ``client_secret``/``token`` fields and any exact value
registered at runtime (the client registers its secret and every token it receives), so that a
careless log line or an echoed error body cannot leak a credential. ``clip``/``preview`` keep a
caller's huge or hostile argument from being echoed whole into a message.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict

from . import _config as config

__all__ = [
    "MASK",
    "RedactingFilter",
    "clip",
    "get_logger",
    "logger",
    "preview",
    "redact",
    "register_secret",
    "scrub_record",
]

MASK = "***"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization header values ("Bearer <token>"; prose such as "bearer token" is kept:
    # a token is 6+ characters with a digit or punctuation).
    (
        re.compile(
            r"(?i)\b(bearer)\s+(?=[A-Za-z0-9._~+/=-]{6,})(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]+"
        ),
        r"\1 " + MASK,
    ),
    # JSON Web Tokens (Airbyte's access tokens are JWTs).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # Stripe secret, restricted and publishable keys.
    (re.compile(r"\b(sk|rk|pk)_(test|live)_[A-Za-z0-9]+"), r"\1_\2_" + MASK),
    # "client_secret": "..." / access_token=... in JSON bodies, query strings or reprs.
    (
        re.compile(
            r"(?i)(?<![A-Za-z0-9_])([\"']?(?:client_secret|access_token|refresh_token|token|api_key|password)"
            r"[\"']?\s*[:=]\s*[\"']?)([^\"'\s,&}]+)"
        ),
        r"\1" + MASK,
    ),
)

_MAX_REGISTERED = 2 * config.TOKEN_CACHE_SIZE + 256
"""Exact values remembered: room for every scoped token a client caches, renewed once."""
_registered: OrderedDict[str, None] = OrderedDict()
_registered_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Remember an exact secret value (a token, a client secret) so ``redact`` masks it."""
    if len(value) < 6:  # too short to mask without mangling ordinary text
        return
    with _registered_lock:
        _registered[value] = None
        _registered.move_to_end(value)
        while len(_registered) > _MAX_REGISTERED:
            _registered.popitem(last=False)


def redact(text: str) -> str:
    """Return ``text`` with every known secret and secret-looking value masked."""
    with _registered_lock:
        exact = sorted(_registered, key=len, reverse=True)
    for value in exact:
        if value in text:
            text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def clip(text: str, limit: int = 200) -> str:
    """``text`` cut to ``limit`` characters (saying how long it was), for error messages."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...({len(text)} characters)"


def preview(value: object, limit: int = 60) -> str:
    """A short, redacted ``repr`` of a caller's argument, to name it in an error message."""
    return redact(clip(repr(value), limit))


_SCRUBBED = "_airbyte_embedded_tools_redacted"
"""Marks a record already masked (it may meet several of our filters and the handler)."""


def scrub_record(record: logging.LogRecord) -> None:
    """Mask, in place, the secrets in a record's message, traceback and stack (once per record)."""
    if record.__dict__.get(_SCRUBBED):
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: leave it to the handler's own error path
        return
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record.__dict__[_SCRUBBED] = True


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and traceback) with secrets masked.

    On every logger made by ``get_logger``; attach it to your own handlers too if you log our
    exceptions elsewhere.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


class _RedactingHandler(logging.Handler):
    """Emits nothing: masks, in place, every record that reaches the package logger.

    A logger's filters apply only to records logged on that very logger, not to its children's
    records on their way up. Handlers, though, run from the emitting logger up to the root on
    one shared record (``Logger.callHandlers``): this handler, first on the package logger,
    masks a child logger's record before the application's handlers above (the root's) see it.
    Like the ``NullHandler`` libraries are advised to add, it also stops Python's last-resort
    stderr output for our records when the application configured no logging.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


def get_logger(name: str) -> logging.Logger:
    """The logger ``name`` of one of the package's modules, with ``RedactingFilter`` on it.

    Two layers keep secrets out of handlers: this filter masks the logger's own records before
    any handler (even one attached to this very logger, or when it does not propagate), and the
    package logger's redacting handler masks every descendant's record that propagates, so a
    module that used plain ``logging.getLogger`` is covered for the application's handlers too.
    Neither can mask a record of another library (httpx, httpcore): the client keeps secrets
    out of those by never handing httpx a header value it would refuse (h11 quotes refused
    values in its errors, which httpcore logs); httpx and httpcore log no request header or body.
    """
    named = logging.getLogger(name)
    if not any(isinstance(f, RedactingFilter) for f in named.filters):
        named.addFilter(RedactingFilter())
    return named


logger = get_logger("airbyte_embedded_tools")
"""The package's logger; records of it and of every child logger reach handlers masked."""
if not any(isinstance(h, _RedactingHandler) for h in logger.handlers):
    logger.handlers.insert(0, _RedactingHandler())  # first: before any handler configured earlier
