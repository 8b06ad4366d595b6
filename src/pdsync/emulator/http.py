"""The emulator's small WSGI toolkit: requests, responses and a path router.

Kept small (stdlib, and orjson to write JSON) so the emulator starts in milliseconds
and is never the bottleneck of a benchmark. Handlers take a :class:`Request` and return
a :class:`Response`; middlewares wrap the WSGI callable.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import orjson

WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def status_line(code: int) -> str:
    return f"{code} {_REASONS.get(code, 'Unknown')}"


@dataclass
class Request:
    """One parsed HTTP request. ``path`` is normalised (see :func:`normalise_path`)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes
    environ: WSGIEnviron
    path_params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environ(cls, environ: WSGIEnviron) -> Request:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        return cls(
            method=environ["REQUEST_METHOD"].upper(),
            path=normalise_path(environ.get("PATH_INFO") or "/"),
            query=parse_qs(environ.get("QUERY_STRING") or "", keep_blank_values=True),
            headers=headers,
            body=body,
            environ=environ,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        """The body as JSON; form-encoded bodies (accepted by v1) become a flat dict."""
        if not self.body:
            return {}
        ctype = self.headers.get("content-type", "")
        if "application/x-www-form-urlencoded" in ctype:
            form = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
            return {k: v[-1] for k, v in form.items()}
        data = json.loads(self.body, parse_constant=_no_constant)
        check_json_value(data)  # InvalidText (a ValueError) names the field
        return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> Response:
        data = dump_json(payload)
        return cls(status, data, [("Content-Type", "application/json; charset=utf-8")])

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        headers = [*self.headers, ("Content-Length", str(len(self.body)))]
        start_response(status_line(self.status), headers)
        return [self.body]


# Values orjson would write but ``json`` refuses go to ``json``, which raises as before.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def dump_json(payload: Any) -> bytes:
    """Compact UTF-8 JSON, as the API sends it.

    orjson writes the same bytes as ``json.dumps(payload, separators=(",", ":"),
    ensure_ascii=False)`` about ten times faster (the stdlib encoder was a third of a
    500-record page's CPU). What orjson refuses (integers beyond 64 bits, other types)
    goes to ``json``, so a value is served, or fails, exactly as with ``json`` alone.
    """
    try:
        return orjson.dumps(payload, option=_ORJSON_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def normalise_path(path: str) -> str:
    """``/v1/x`` and ``/api/v1/x`` are the same resource (api.pipedrive.com serves both, and
    many clients call ``https://api.pipedrive.com/v1/...``); so are ``/v2/x`` and
    ``/api/v2/x``. Trailing slashes are ignored."""
    if path.startswith(("/v1/", "/v2/")) or path in ("/v1", "/v2"):
        path = "/api" + path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    return path


Handler = Callable[[Request], Response]


class Router:
    """Matches ``(method, path)`` against templates such as ``/api/v2/deals/{id}``."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        regex = re.sub(
            r"\{([a-zA-Z_][a-zA-Z0-9_-]*)\}",
            lambda m: f"(?P<{m.group(1).replace('-', '_')}>[^/]+)",
            template,
        )
        self._routes.append((method.upper(), template, re.compile(f"^{regex}$"), handler))

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self.add(method, template, handler)
            return handler

        return decorate

    def include(self, other: Router) -> None:
        self._routes.extend(other._routes)

    def match(
        self, method: str, path: str
    ) -> tuple[Handler | None, str | None, dict[str, str], bool]:
        """Return (handler, template, params, path_exists). Literal templates win over ``{param}`` ones."""
        path_exists = False
        best: tuple[Handler, str, dict[str, str]] | None = None
        best_literals = -1
        for route_method, template, regex, handler in self._routes:
            found = regex.match(path)
            if not found:
                continue
            path_exists = True
            if route_method != method:
                continue
            literals = template.count("/") - template.count("{")
            if literals > best_literals:
                best = (handler, template, found.groupdict())
                best_literals = literals
        if best is None:
            return None, None, {}, path_exists
        return best[0], best[1], best[2], True

    def templates(self) -> list[tuple[str, str]]:
        return [(method, template) for method, template, _, _ in self._routes]


ERROR_INFO = "Please check developers.pipedrive.com"


def error_response(status: int, message: str, **extra: Any) -> Response:
    """Pipedrive's error envelope: ``{success: false, error, error_info, data: null, additional_data: null}``."""
    payload: dict[str, Any] = {
        "success": False,
        "error": message,
        "error_info": ERROR_INFO,
        "data": None,
        "additional_data": None,
    }
    payload.update(extra)
    return Response.json(payload, status)


# Refuse request text the API could not store and serve back as valid JSON.
#
# JSON escapes can spell strings that are not Unicode text: ``"\\ud800"`` (a lone
# surrogate) parses into a Python str that cannot be encoded as UTF-8, and ``1e400``
# or ``NaN`` become floats that JSON cannot carry. Stored, such a value would poison
# every later response that includes it. Pipedrive rejects invalid input with a 400,
# so the emulator refuses these at parse time too, naming the field, rather than
# repairing them (repair would change data silently; refusal tells the client).


class InvalidText(ValueError):
    """A request body value that is not storable; the message names where it is."""


def check_json_value(value: Any, where: str = "") -> None:
    """Raise :class:`InvalidText` for the first lone surrogate or non-finite number."""
    if isinstance(value, str):
        if not _is_text(value):
            raise InvalidText(f"The '{where or 'body'}' field is not valid Unicode text "
                              "(unpaired surrogate)")  # fmt: skip
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidText(f"The '{where or 'body'}' field is not a finite number")
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if not _is_text(key):
                raise InvalidText(f"A field name in '{where or 'body'}' is not valid Unicode "
                                  "text (unpaired surrogate)")  # fmt: skip
            check_json_value(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{where}[{index}]")


def _is_text(text: str) -> bool:
    if text.isascii():  # the common case, checked in C
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
