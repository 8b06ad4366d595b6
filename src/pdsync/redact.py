"""Secrets are scrubbed by construction.

Every secret pdsync loads (API tokens, OAuth client secrets, access and refresh
tokens, passwords inside URLs) is registered here with :func:`register_secret`.
:func:`redact` then replaces each registered value, and anything that looks like a
secret by its shape (``api_token=...`` query parameters, ``Bearer ...`` headers,
``x-api-token: ...``, ``user:password@`` in URLs), with ``***``. Errors, log
records, progress events and reports all pass through it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "***"

_lock = threading.Lock()
_secrets: set[str] = set()
_pattern: re.Pattern[str] | None = None

# Shapes that carry a secret whatever its value; the secret is group "secret".
_SHAPES = re.compile(
    r"(?i)(?:"
    r"(?:api_token|access_token|refresh_token|client_secret|password|write_key)"
    r"(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<secret>[^\s&\"',;}]+)"
    r"|(?P<bearer>bearer\s+)(?P<btoken>[A-Za-z0-9._~+/=-]+)"
    r"|(?P<hdr>x-api-token[\"']?\s*[:=]\s*[\"']?)(?P<htoken>[^\s\"',;}]+)"
    r"|(?P<scheme>[a-z][a-z0-9+.-]*://[^/\s:@]+:)(?P<upw>[^@/\s]+)(?=@)"
    r")"
)

# Secrets shorter than this are not registered: masking "1" everywhere would wreck output.
_MIN_SECRET_LENGTH = 6


def register_secret(value: str | None) -> None:
    """Remember a secret value so that :func:`redact` masks it everywhere."""
    global _pattern
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def _mask_shape(match: re.Match[str]) -> str:
    if match.group("secret") is not None:
        return match.group(0)[: match.start("secret") - match.start(0)] + MASK
    if match.group("btoken") is not None:
        return match.group("bearer") + MASK
    if match.group("htoken") is not None:
        return match.group("hdr") + MASK
    return match.group("scheme") + MASK


def redact(text: str) -> str:
    """Return ``text`` with every known secret and secret-shaped value masked."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SHAPES.sub(_mask_shape, text)


def redact_obj(value: Any) -> Any:
    """Redact strings inside nested dicts/lists/tuples (keys kept, values masked)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {k: redact_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_obj(v) for v in value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record's message and scrubs it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to a logger's handlers (root by default) and to the logger."""
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(flt)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
