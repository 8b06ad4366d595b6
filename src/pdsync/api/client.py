"""PipedriveClient: every call pdsync makes to Pipedrive goes through here.

One :class:`httpx.Client` (thread-safe), one authenticator, one shared
:class:`~pdsync.api.ratelimit.RateGovernor` per token, and one retry loop
(:mod:`pdsync.api.retry` has the table). Paths are relative to the version root:
``client.get("deals")`` is ``GET {root}/api/v2/deals``; ``version="v1"`` uses ``/api/v1``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import httpx

from pdsync import errors
from pdsync.api.auth import Authenticator, TokenAuth
from pdsync.api.costs import is_search, token_cost
from pdsync.api.failures import (
    UnreadableBodyError,
    decode_body,
    error_for_response,
    transport_error,
)
from pdsync.api.notices import EMPTY_PAGE, Notices
from pdsync.api.oauth import OAuthSession
from pdsync.api.pagination import (
    Page,
    PaginationStyle,
    additional_data,
    make_paginator,
    page_items,
    promises_more,
)
from pdsync.api.ratelimit import RateGovernor, RateSnapshot, Slot
from pdsync.api.retry import RetryPolicy
from pdsync.config import Connection
from pdsync.redact import RedactingFilter

__all__ = ["ApiResponse", "ClientStats", "PipedriveClient"]

Version = Literal["v1", "v2"]
log = logging.getLogger("pdsync.api")
if not any(isinstance(f, RedactingFilter) for f in log.filters):
    log.addFilter(RedactingFilter())

REPORTED_WAIT = 0.5  # waits shorter than this are not worth showing in a progress display
EMPTY_PAGE_RETRIES = 3  # asks again of a list page that is empty yet promises more
USER_AGENT = "pdsync (+https://github.com/pdsync/pdsync)"


@dataclass(frozen=True)
class ClientStats:
    requests: int = 0
    tokens_charged: int = 0  # estimated from the specs' x-token-cost
    retries: int = 0
    waits: int = 0
    wait_seconds: float = 0.0


@dataclass(frozen=True)
class ApiResponse:
    """A successful response: its parsed body, status and headers."""

    status: int
    body: dict[str, Any]
    headers: httpx.Headers


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key.lower() == "api_token":
            raise errors.ConfigError(
                "The API token must not be sent as a query parameter.",
                hint="Pass it as the connection's api_token; pdsync sends it in a header.",
            )
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (list, tuple, set)):
            value = ",".join(str(v) for v in value)  # Pipedrive takes ids=1,2,3
        clean[key] = value
    return clean


class PipedriveClient:
    """A thread-safe Pipedrive API client usable from Python and by every pdsync command."""

    def __init__(
        self,
        connection: Connection,
        *,
        transport: httpx.BaseTransport | None = None,
        governor: RateGovernor | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        connection.require_credentials()
        self.connection = connection
        self._sleep = sleep
        self._on_wait = on_wait
        self._retry = retry or RetryPolicy(max_retries=max_retries)
        self.auth: Authenticator = self._make_auth(connection, transport, clock, on_refresh_token)
        key = connection.api_token or connection.oauth_refresh_token or ""
        if governor is None:
            shared = clock is time.monotonic  # a fake clock gets a private governor
            governor = RateGovernor.for_token(key) if shared else RateGovernor(clock=clock)
        self.governor = governor
        self._http = httpx.Client(
            transport=transport, timeout=timeout, headers={"user-agent": USER_AGENT}
        )
        self._stats = ClientStats()
        self._stats_lock = threading.Lock()
        self.notices = Notices()  # what reads walked past or re-read (see pdsync.api.notices)

    @staticmethod
    def _make_auth(
        connection: Connection,
        transport: httpx.BaseTransport | None,
        clock: Callable[[], float],
        on_refresh_token: Callable[[str], None] | None,
    ) -> Authenticator:
        if connection.api_token:
            return TokenAuth(connection.api_token)
        assert connection.oauth_refresh_token is not None
        if on_refresh_token is None and connection.name:
            on_refresh_token = _persist_refresh_token(connection.name)
        return OAuthSession(
            client_id=connection.oauth_client_id,
            client_secret=connection.oauth_client_secret,
            refresh_token=connection.oauth_refresh_token,
            token_url=connection.token_url(),
            transport=transport,
            clock=clock,
            on_refresh_token=on_refresh_token,
        )

    def __repr__(self) -> str:
        return f"PipedriveClient({self.connection!r})"

    # ------------------------------------------------------------ plumbing

    @property
    def root_url(self) -> str:
        """Explicit base URL first (emulator, proxy), else OAuth's api_domain, else the domain."""
        if self.connection.base_url:
            return self.connection.base_url
        return self.auth.root_url(self.connection.root_url())

    @property
    def stats(self) -> ClientStats:
        with self._stats_lock:
            return self._stats

    def rate_snapshot(self) -> RateSnapshot:
        return self.governor.snapshot()

    def _bump(self, **changes: float) -> None:
        with self._stats_lock:
            current = self._stats
            updated = {k: getattr(current, k) + v for k, v in changes.items()}
            self._stats = replace(current, **updated)

    def _pause(self, seconds: float, reason: str) -> None:
        if seconds >= REPORTED_WAIT:
            log.info("waiting %.1f s: %s", seconds, reason)
            if self._on_wait is not None:
                self._on_wait(seconds, reason)
        self._bump(waits=1, wait_seconds=seconds)
        self._sleep(seconds)

    def _acquire(self, search: bool) -> Slot:
        while True:
            granted = self.governor.try_acquire(search=search)
            if isinstance(granted, Slot):
                return granted
            self._pause(granted, "rate limit window")

    # ------------------------------------------------------------ requests

    def send(
        self,
        method: str,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
    ) -> ApiResponse:
        """Send one request (retrying as :mod:`pdsync.api.retry` allows); raise errors.* on failure."""
        method = method.upper()
        clean = _clean_params(params)
        relative = path.strip("/")
        cost = token_cost(method, relative, version)
        search = is_search(relative)
        attempt, reauthenticated = 0, False
        while True:
            url = f"{self.root_url}/api/{version}/{relative}"
            slot = self._acquire(search)
            started = time.perf_counter()
            try:
                response = self._http.request(
                    method, url, params=clean, json=json, files=files, headers=self.auth.headers()
                )
            except httpx.HTTPError as exc:
                self.governor.release(slot)
                failure, sent = transport_error(exc, httpx.URL(url))
                attempt += 1
                if not self._retry.may_retry(attempt, method, request_sent=sent):
                    raise failure from None
                self._bump(retries=1)
                self._pause(self._retry.backoff(attempt), failure.message)
                continue
            self.governor.release(slot)
            self.governor.observe(response.headers, search=search, slot=slot)
            self._log(method, response, started, cost)
            if response.is_success:
                self._bump(requests=1, tokens_charged=cost)
                try:
                    body = decode_body(response, method)
                except UnreadableBodyError as unreadable:
                    # Like a 5xx: asked again only when a repeat cannot write twice.
                    attempt += 1
                    if not self._retry.may_retry(attempt, method):
                        raise
                    self._bump(retries=1)
                    self._pause(self._retry.backoff(attempt), unreadable.message)
                    continue
                _release_body(response)
                return ApiResponse(response.status_code, body, response.headers)
            self._bump(requests=1, tokens_charged=0 if response.status_code == 429 else cost)
            error = error_for_response(response, method=method, path=relative, root=self.root_url)
            if response.status_code == 401 and not reauthenticated:
                reauthenticated = True
                if self.auth.on_unauthorized():
                    continue
            attempt += 1
            if not self._should_retry(error, method, attempt):
                raise error
            self._bump(retries=1)

    def _should_retry(self, error: errors.ApiError, method: str, attempt: int) -> bool:
        """Decide after an error response; arrange the wait when retrying."""
        if isinstance(error, errors.DailyBudgetExhaustedError):
            self.governor.mark_daily_exhausted(error)
            return False
        if isinstance(error, errors.RateLimitError):
            # Not processed by Pipedrive, so safe for any method; everyone waits.
            if attempt > self._retry.max_retries:
                return False
            wait = error.retry_after if error.retry_after is not None else self.governor.window
            self.governor.block_for(wait)
            return True
        if isinstance(error, errors.ServerError) and self._retry.may_retry(attempt, method):
            self._pause(self._retry.backoff(attempt), f"server error {error.status}")
            return True
        return False

    @staticmethod
    def _log(method: str, response: httpx.Response, started: float, cost: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            url = response.request.url.copy_with(query=None)
            log.debug(
                "%s %s -> %s (%.3f s, cost %d, remaining %s)",
                method,
                url,
                response.status_code,
                time.perf_counter() - started,
                cost,
                response.headers.get("x-ratelimit-remaining", "?"),
            )

    def request(
        self,
        method: str,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
    ) -> dict[str, Any]:
        """The parsed JSON body (Pipedrive's envelope) of one call."""
        return self.send(method, path, version=version, params=params, json=json, files=files).body

    def get(
        self, path: str, *, version: Version = "v2", params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return self.request("GET", path, version=version, params=params)

    def post(
        self, path: str, *, version: Version = "v2", json: Any = None, **kw: Any
    ) -> dict[str, Any]:
        return self.request("POST", path, version=version, json=json, **kw)

    def patch(
        self, path: str, *, version: Version = "v2", json: Any = None, **kw: Any
    ) -> dict[str, Any]:
        return self.request("PATCH", path, version=version, json=json, **kw)

    def put(
        self, path: str, *, version: Version = "v2", json: Any = None, **kw: Any
    ) -> dict[str, Any]:
        return self.request("PUT", path, version=version, json=json, **kw)

    def delete(
        self, path: str, *, version: Version = "v2", params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return self.request("DELETE", path, version=version, params=params)

    # ---------------------------------------------------------- pagination

    def paginate(
        self,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        limit: int = 500,
        style: PaginationStyle | None = None,
    ) -> Iterator[Page]:
        """Pages of a list (v2: cursor, v1: offset, unless ``style`` says otherwise)."""
        paginator = make_paginator(style, version, limit=limit, path=path)
        base = dict(params or {})
        page_params: dict[str, Any] | None = paginator.first_params()
        number = 0
        while page_params is not None:
            query = {**base, **page_params}
            body = self.list_page(
                path, version=version, params=query, style=paginator.style, promised=number > 0
            )
            number += 1
            yield Page(page_items(body), additional_data(body), number)
            page_params = paginator.next_params(body)

    def list_page(
        self,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        style: PaginationStyle = "cursor",
        records: Callable[[dict[str, Any]], list[dict[str, Any]]] = page_items,
        subject: str | None = None,
        promised: bool = False,
    ) -> dict[str, Any]:
        """One page of a list whose emptiness is checked against the envelopes.

        A page without records (``data: null`` or ``[]``) is suspect when its envelope
        promises more, or when the previous page promised it (``promised``: any page but
        a listing's first). It is asked for again, with backoff; if it stays empty it is
        returned as it is, for the caller to walk past by the envelope's cursor/offset
        (or to end on), and a notice (under ``subject``, default the path) says records
        may be missing.
        """
        attempt = 0
        while True:
            body = self.get(path, version=version, params=params)
            if records(body) or not (promised or promises_more(style, body)):
                return body
            attempt += 1
            if attempt > min(EMPTY_PAGE_RETRIES, self._retry.max_retries):
                self.notices.add(
                    subject or f"/api/{version}/{path.strip('/')}",
                    EMPTY_PAGE,
                    f"a page came back with no records although more were promised, even "
                    f"after {attempt - 1} retries; it was walked past, so records may be "
                    f"missing (a --full-refresh of the stream reads them again)",
                )
                return body
            self._bump(retries=1)
            self._pause(self._retry.backoff(attempt), "an empty page promised more records")

    def iter_items(
        self,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        limit: int = 500,
        style: PaginationStyle | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record of a list, page after page."""
        for page in self.paginate(path, version=version, params=params, limit=limit, style=style):
            yield from page.items

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PipedriveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _release_body(response: httpx.Response) -> None:
    """Let a read response's body go as soon as it is parsed.

    httpx links a response and its stream both ways (a reference cycle), so the raw
    body (up to half a megabyte per list page) would wait for the cyclic garbage
    collector, which a sync runs rarely (:func:`pdsync.sync.engine.fewer_collections`).
    Replacing the read stream breaks the cycle: the response is freed at once.
    """
    response.stream = httpx.ByteStream(b"")


def _persist_refresh_token(name: str) -> Callable[[str], None]:
    """Save a rotated refresh token into the named connection's file entry."""

    def persist(token: str) -> None:
        from pdsync.config import config_dir
        from pdsync.connstore import ConnectionStore

        ConnectionStore(config_dir()).update_refresh_token(name, token)

    return persist
