"""OAuth 2.0 for Pipedrive Marketplace apps: token exchange, refresh, Bearer calls.

Calls go to the token response's ``api_domain`` with ``Authorization: Bearer``. The
access token is refreshed shortly *before* it expires and once more when a call gets a
401; Pipedrive may rotate the refresh token on each refresh, and the new one is handed
to ``on_refresh_token`` so it can be persisted (the named connection's file).
The token endpoint is configurable so the emulator can serve it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from pdsync.errors import AuthError, ConfigError, TransportError
from pdsync.redact import MASK, register_secret

__all__ = ["OAuthSession", "OAuthTokens", "exchange_code", "request_tokens"]

REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_in: float
    api_domain: str | None
    scope: str | None

    def __repr__(self) -> str:
        return f"OAuthTokens(access_token={MASK}, api_domain={self.api_domain!r})"


def _parse_tokens(response: httpx.Response) -> OAuthTokens:
    try:
        data: dict[str, Any] = response.json()
    except ValueError:
        data = {}
    if response.status_code != 200 or not data.get("access_token"):
        message = data.get("message") or data.get("error_description") or data.get("error")
        raise AuthError(
            f"The OAuth token endpoint refused the request ({response.status_code}): "
            f"{message or response.reason_phrase}.",
            status=response.status_code,
            hint=(
                "The refresh token or code is invalid or expired (unused for 60 days, or the "
                "app was uninstalled), or the client id/secret are wrong. Run "
                "`pdsync auth login` again."
            ),
        )
    tokens = OAuthTokens(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token"),
        expires_in=float(data.get("expires_in") or 3599),
        api_domain=(str(data["api_domain"]).rstrip("/") if data.get("api_domain") else None),
        scope=data.get("scope"),
    )
    register_secret(tokens.access_token)
    register_secret(tokens.refresh_token)
    return tokens


def request_tokens(
    token_url: str,
    form: dict[str, str],
    *,
    client_id: str,
    client_secret: str,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 30.0,
) -> OAuthTokens:
    """POST a grant to the token endpoint (HTTP Basic client auth, form-encoded)."""
    register_secret(client_secret)
    try:
        with httpx.Client(transport=transport, timeout=timeout) as http:
            response = http.post(token_url, data=form, auth=(client_id, client_secret))
    except httpx.HTTPError as exc:
        raise TransportError(
            f"Cannot reach the OAuth token endpoint {token_url}: {type(exc).__name__}."
        ) from None
    return _parse_tokens(response)


def exchange_code(
    code: str,
    *,
    redirect_uri: str,
    client_id: str,
    client_secret: str,
    token_url: str,
    transport: httpx.BaseTransport | None = None,
) -> OAuthTokens:
    """Exchange an authorization code (single use, valid 5 minutes) for tokens."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return request_tokens(
        token_url, form, client_id=client_id, client_secret=client_secret, transport=transport
    )


class OAuthSession:
    """An :class:`~pdsync.api.auth.Authenticator` that keeps an access token fresh."""

    label = "OAuth 2.0"

    def __init__(
        self,
        *,
        client_id: str | None,
        client_secret: str | None,
        refresh_token: str,
        token_url: str,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_refresh_token: Callable[[str], None] | None = None,
        margin: float = REFRESH_MARGIN_SECONDS,
    ) -> None:
        if not client_id or not client_secret:
            raise ConfigError(
                "OAuth needs the app's client id and client secret besides the refresh token.",
                hint="Set PIPEDRIVE_OAUTH_CLIENT_ID and PIPEDRIVE_OAUTH_CLIENT_SECRET, "
                "or `pdsync conns set NAME --oauth-client-id ... --oauth-client-secret ...`.",
            )
        register_secret(refresh_token)
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._token_url = token_url
        self._transport = transport
        self._clock = clock
        self._on_refresh_token = on_refresh_token
        self._margin = margin
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._expires_at = 0.0
        self.api_domain: str | None = None
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"OAuthSession(client_id={self._client_id!r}, api_domain={self.api_domain!r})"

    def _ensure_fresh(self) -> str:
        with self._lock:
            if self._access_token is None or self._clock() >= self._expires_at - self._margin:
                self._refresh_locked()
            assert self._access_token is not None
            return self._access_token

    def _refresh_locked(self) -> None:
        tokens = request_tokens(
            self._token_url,
            {"grant_type": "refresh_token", "refresh_token": self._refresh_token},
            client_id=self._client_id,
            client_secret=self._client_secret,
            transport=self._transport,
        )
        self._access_token = tokens.access_token
        self._expires_at = self._clock() + tokens.expires_in
        self.api_domain = tokens.api_domain or self.api_domain
        self.refreshes += 1
        if tokens.refresh_token and tokens.refresh_token != self._refresh_token:
            self._refresh_token = tokens.refresh_token
            if self._on_refresh_token is not None:
                self._on_refresh_token(tokens.refresh_token)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._ensure_fresh()}"}

    def root_url(self, default: str) -> str:
        self._ensure_fresh()
        return self.api_domain or default

    def on_unauthorized(self) -> bool:
        """The access token was revoked or expired early: get a new one and try once more."""
        with self._lock:
            self._refresh_locked()
        return True
