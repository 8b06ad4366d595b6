"""Who is calling: API token (header, or query on v1) or OAuth Bearer token.

Pipedrive accepts the API token in the ``x-api-token`` header or the ``?api_token=`` query
parameter, on v1 **and** v2 paths (published clients send the query form on v2 too, and
they work against the live API); OAuth apps send ``Authorization: Bearer <access token>``.
The query token is only read here, never logged: the server's request log is silent and
error messages name paths, not query strings.
A credential that is present but wrong is a 401 — the emulator never falls back to
another one, as Pipedrive's gateway does not either.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.http import Response, WSGIEnviron
from pdsync.emulator.oauth import OAuthServer

AuthKind = Literal["api_token", "oauth"]

UNAUTHORIZED_BODY = {
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": "Please check developers.pipedrive.com",
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``limit_key`` names the bucket its burst window lives in."""

    user_id: int
    kind: AuthKind
    limit_key: str


def unauthorized() -> Response:
    """The live 401: the gateway's body, plus its ``x-401-by-gw`` header."""
    response = Response.json(UNAUTHORIZED_BODY, 401)
    response.headers.append(("x-401-by-gw", "true"))
    return response


class Authenticator:
    def __init__(self, config: EmulatorConfig, oauth: OAuthServer) -> None:
        self.config = config
        self.oauth = oauth

    def authenticate(self, environ: WSGIEnviron, path: str) -> Principal | None:
        """The caller of a request, or None when its credentials are missing or wrong.

        Reads only headers and the query string: the body stays unread for the handler.
        """
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if authorization:
            return self._bearer(authorization)
        token = environ.get("HTTP_X_API_TOKEN")
        if token is None:
            values = parse_qs(environ.get("QUERY_STRING") or "").get("api_token")
            token = values[-1] if values else None
        if not token:
            return None
        user_id = self._user_for_api_token(token)
        if user_id is None:
            return None
        return Principal(user_id, "api_token", f"token:{token}")

    def _user_for_api_token(self, token: str) -> int | None:
        if hmac.compare_digest(token, self.config.token):
            return 1
        for known, user_id in self.config.extra_tokens.items():
            if hmac.compare_digest(token, known):
                return user_id
        return None

    def _bearer(self, authorization: str) -> Principal | None:
        scheme, _, access_token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not access_token.strip():
            return None
        found = self.oauth.user_for(access_token.strip())
        if found is None:
            return None
        user_id, client_id = found
        # One window per app and user: refreshing the access token does not reset it.
        return Principal(user_id, "oauth", f"oauth:{client_id}:{user_id}")
