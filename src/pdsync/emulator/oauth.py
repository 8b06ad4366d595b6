"""Pipedrive's OAuth 2.0 authorization-code flow, as the emulator serves it.

``GET /oauth/authorize`` approves at once (there is no user to click "Allow and
install") and redirects to ``redirect_uri`` with ``code`` and ``state``. ``POST
/oauth/token`` (form-encoded, HTTP Basic client credentials) exchanges a code —
single use, valid 5 minutes — or a refresh token for a new token pair. Refresh
tokens rotate: the one just used stops working. Access tokens expire after
``config.access_token_ttl`` seconds. Errors are 400s with the messages Pipedrive
documents ("Invalid grant: refresh_token is invalid", …).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.edge_clock import Clock
from pdsync.emulator.http import Request, Response, Router

CODE_TTL = 300.0
REFRESH_IDLE_TTL = 60 * 86_400.0  # unused refresh tokens die after 60 days
GRANTED_SCOPE = (
    "base,deals:full,activities:full,contacts:full,products:full,leads:full,"
    "users:read,recents:read,search:read,goals:read,admin"
)


@dataclass
class _Code:
    redirect_uri: str
    issued_at: float
    user_id: int


@dataclass
class _Grant:
    user_id: int
    client_id: str
    expires_at: float  # access: absolute expiry; refresh: last use + idle TTL


class OAuthError(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def oauth_error_response(error: OAuthError) -> Response:
    return Response.json(
        {
            "success": False,
            "error": error.code,
            "error_description": error.message,
            "message": error.message,
        },
        400,
    )


class OAuthServer:
    """Issues and checks OAuth tokens; thread-safe."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}

    def register(self, router: Router) -> None:
        router.add("GET", "/oauth/authorize", self.authorize)
        router.add("POST", "/oauth/token", self.token)
        router.add("POST", "/oauth/token/", self.token)  # the spec's refresh-tokens path

    # -- API side ---------------------------------------------------------------------
    def user_for(self, access_token: str) -> tuple[int, str] | None:
        """``(user_id, client_id)`` for a live access token, else None."""
        with self._lock:
            grant = self._access.get(access_token)
            if grant is None:
                return None
            if self.clock.time() >= grant.expires_at:
                del self._access[access_token]
                return None
            return grant.user_id, grant.client_id

    def issue(self, user_id: int = 1, api_domain: str = "") -> dict[str, Any]:
        """A fresh token pair, as ``/oauth/token`` returns it (tests may call this directly)."""
        now = self.clock.time()
        access = "v1u:" + secrets.token_urlsafe(48)
        refresh = f"{user_id}:1:" + secrets.token_hex(20)
        client_id = self.config.oauth_client_id
        with self._lock:
            self._access[access] = _Grant(user_id, client_id, now + self.config.access_token_ttl)
            self._refresh[refresh] = _Grant(user_id, client_id, now + REFRESH_IDLE_TTL)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": GRANTED_SCOPE,
            "expires_in": self.config.access_token_ttl,
            "api_domain": api_domain,
        }

    # -- /oauth/authorize -------------------------------------------------------------
    def authorize(self, request: Request) -> Response:
        client_id = request.arg("client_id")
        redirect_uri = request.arg("redirect_uri") or ""
        if client_id != self.config.oauth_client_id:
            return oauth_error_response(
                OAuthError("invalid_client", "Invalid client: client is invalid")
            )
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return oauth_error_response(
                OAuthError("invalid_request", "Invalid request: redirect_uri is not a valid URI")
            )
        code = secrets.token_hex(20)
        with self._lock:
            self._codes[code] = _Code(redirect_uri, self.clock.time(), user_id=1)
        params = {"code": code}
        state = request.arg("state")
        if state is not None:
            params["state"] = state
        query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
        location = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
        return Response(302, b"", [("Location", location)])

    # -- /oauth/token -----------------------------------------------------------------
    def token(self, request: Request) -> Response:
        try:
            self._check_client(request)
            form = self._form(request)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise OAuthError("invalid_request", "Missing parameter: grant_type")
            if grant_type == "authorization_code":
                user_id = self._redeem_code(form)
            elif grant_type == "refresh_token":
                user_id = self._rotate_refresh(form)
            else:
                raise OAuthError(
                    "unsupported_grant_type", "Unsupported grant type: grant_type is invalid"
                )
        except OAuthError as error:
            return oauth_error_response(error)
        return Response.json(self.issue(user_id, api_domain(request)))

    def _check_client(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise OAuthError("invalid_client", "Invalid client: cannot retrieve client credentials")
        try:
            client_id, _, secret = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(
                "invalid_client", "Invalid client: cannot retrieve client credentials"
            ) from None
        ok_id = hmac.compare_digest(client_id, self.config.oauth_client_id)
        ok_secret = hmac.compare_digest(secret, self.config.oauth_client_secret)
        if not (ok_id and ok_secret):
            raise OAuthError("invalid_client", "Invalid client: client is invalid")

    @staticmethod
    def _form(request: Request) -> dict[str, str]:
        if not request.body:
            return {}
        if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
            raise OAuthError(
                "invalid_request",
                "Invalid request: content must be application/x-www-form-urlencoded",
            )
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in form.items()}

    def _redeem_code(self, form: dict[str, str]) -> int:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single use, even when it fails
        if code is None:
            raise OAuthError("invalid_grant", "Invalid grant: authorization_code is invalid")
        if self.clock.time() - code.issued_at > CODE_TTL:
            raise OAuthError("invalid_grant", "Invalid grant: authorization_code has expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_request", "Invalid request: redirect_uri is invalid")
        return code.user_id

    def _rotate_refresh(self, form: dict[str, str]) -> int:
        with self._lock:
            grant = self._refresh.pop(form.get("refresh_token", ""), None)
        if grant is None or self.clock.time() >= grant.expires_at:
            raise OAuthError("invalid_grant", "Invalid grant: refresh_token is invalid")
        return grant.user_id


def api_domain(request: Request) -> str:
    """The emulator's own base URL as the client reached it (Pipedrive's ``api_domain``)."""
    environ = request.environ
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port not in ("80", "443"):
            host = f"{host}:{port}"
    return f"{scheme}://{host}"
