"""How a request proves who it is: an API token header, or an OAuth Bearer token.

The token travels in the ``x-api-token`` header, never in a URL (query strings end up in
proxy logs, tracebacks and debug output).
"""

from __future__ import annotations

from typing import Protocol

from pdsync.redact import MASK, register_secret

__all__ = ["Authenticator", "TokenAuth"]


class Authenticator(Protocol):
    label: str  # "API token" or "OAuth 2.0", for `pdsync check`

    def headers(self) -> dict[str, str]:
        """Headers to add to the next request."""

    def root_url(self, default: str) -> str:
        """Where calls go: OAuth uses the token response's ``api_domain``."""

    def on_unauthorized(self) -> bool:
        """Called on a 401; True if the request is worth sending once more."""


class TokenAuth:
    """A personal API token sent as ``x-api-token``."""

    label = "API token"

    def __init__(self, token: str) -> None:
        register_secret(token)
        self._token = token

    def __repr__(self) -> str:
        return f"TokenAuth({MASK})"

    def headers(self) -> dict[str, str]:
        return {"x-api-token": self._token}

    def root_url(self, default: str) -> str:
        return default

    def on_unauthorized(self) -> bool:
        return False  # a rejected API token stays rejected
