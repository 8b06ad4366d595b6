"""The OAuth authorization-code helper: authorize URL, local redirect listener, exchange.

1. :func:`authorization_url` builds the URL the user opens in a browser.
2. :class:`RedirectListener` waits on ``http://127.0.0.1:PORT/callback`` for Pipedrive's
   redirect and checks the ``state`` value (CSRF protection).
3. :func:`~pdsync.api.oauth.exchange_code` turns the code into tokens.

The app's redirect URI registered in Pipedrive must be the listener's URI.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from pdsync.api.oauth import OAuthTokens, exchange_code
from pdsync.errors import AuthError, ConfigError

__all__ = ["RedirectListener", "authorization_url", "login"]

_PAGE = "<!doctype html><title>pdsync</title><h1>{title}</h1><p>{text} You can close this tab.</p>"


def authorization_url(authorize_url: str, *, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode({"client_id": client_id, "redirect_uri": redirect_uri, "state": state})
    return f"{authorize_url}?{query}"


class _Handler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != "/callback":
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        ok = self.server.accept(query)
        title = "Connected to Pipedrive" if ok else "Authorization failed"
        text = "pdsync received the authorization." if ok else "Return to the terminal."
        body = _PAGE.format(title=title, text=text).encode()
        self.send_response(200 if ok else 400)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silence: the query string holds the authorization code."""


class _CallbackServer(HTTPServer):
    def __init__(self, port: int, state: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state
        self.code: str | None = None
        self.error: str | None = None
        self.done = threading.Event()

    def accept(self, query: dict[str, str]) -> bool:
        if query.get("state") != self.state:
            self.error = "the redirect's state did not match (possible CSRF); start again"
        elif "error" in query:
            self.error = f"Pipedrive answered {query['error']!r} (the user may have denied access)"
        elif not query.get("code"):
            self.error = "the redirect carried no authorization code"
        else:
            self.code = query["code"]
        self.done.set()
        return self.code is not None


class RedirectListener:
    """Listens on 127.0.0.1 for the OAuth redirect (``port=0`` picks a free port)."""

    def __init__(self, port: int = 0, *, state: str | None = None) -> None:
        self.state = state or secrets.token_urlsafe(24)
        try:
            self._server = _CallbackServer(port, self.state)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on 127.0.0.1:{port}: {exc.strerror}.",
                hint="Choose another --port (it must match the app's redirect URI).",
            ) from None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/callback"

    def __enter__(self) -> RedirectListener:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for_code(self, timeout: float) -> str:
        if not self._server.done.wait(timeout):
            raise AuthError(
                f"No redirect from Pipedrive within {timeout:.0f} s.",
                hint="Open the printed URL in a browser and approve the app, then try again.",
            )
        if self._server.code is None:
            raise AuthError(f"OAuth authorization failed: {self._server.error}.")
        return self._server.code


def login(
    *,
    client_id: str,
    client_secret: str,
    authorize_url: str,
    token_url: str,
    show_url: Callable[[str], None],
    port: int = 0,
    timeout: float = 300.0,
    transport: httpx.BaseTransport | None = None,
) -> OAuthTokens:
    """Run the whole authorization-code flow and return the tokens."""
    with RedirectListener(port) as listener:
        show_url(
            authorization_url(
                authorize_url,
                client_id=client_id,
                redirect_uri=listener.redirect_uri,
                state=listener.state,
            )
        )
        code = listener.wait_for_code(timeout)
        redirect_uri = listener.redirect_uri
    return exchange_code(
        code,
        redirect_uri=redirect_uri,
        client_id=client_id,
        client_secret=client_secret,
        token_url=token_url,
        transport=transport,
    )
