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

__all__ = [
    "MASK",
    "RedactingFilter",
    "clip",
    "forget_secret",
    "logger",
    "preview",
    "redact",
    "register_secret",
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

_MAX_REGISTERED = 256
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


def forget_secret(value: str) -> None:
    """Stop tracking a secret that is no longer in use."""
    with _registered_lock:
        _registered.pop(value, None)


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


class RedactingFilter(logging.Filter):
    """A logging filter that rewrites each record's message (and traceback) with secrets masked.

    Installed on the ``airbyte_embedded_tools`` logger; attach it to your own handlers too if
    you log our exceptions elsewhere.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's own error path
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


logger = logging.getLogger("airbyte_embedded_tools")
"""The package's logger; records pass through ``RedactingFilter`` before any handler."""
if not any(isinstance(f, RedactingFilter) for f in logger.filters):
    logger.addFilter(RedactingFilter())
