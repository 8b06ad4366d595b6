"""Turn an error response from Pipedrive into the right :mod:`pdsync.errors` class.

Pipedrive's error envelope is ``{"success": false, "error": "...", "error_info": ...}``;
some errors add ``code`` (plan limits) or ``errorCode``. A 403 can also be Cloudflare's
HTML page, sent to tokens that kept calling after a 429.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx
import orjson

from pdsync import errors

__all__ = [
    "UnreadableBodyError",
    "decode_body",
    "error_for_response",
    "is_cloudflare_block",
    "is_daily_exhausted",
    "retry_after_seconds",
    "transport_error",
]

_CLOUDFLARE_MARKERS = ("cloudflare", "cf-ray", "attention required", "you have been blocked")


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(response: httpx.Response) -> str:
    body = _body(response)
    text = body.get("error") or body.get("message") or ""
    detail = body.get("error_info") or ""
    if detail and detail != "Please check developers.pipedrive.com" and detail != text:
        text = f"{text} ({detail})" if text else str(detail)
    return str(text).strip() or response.reason_phrase or f"HTTP {response.status_code}"


def is_cloudflare_block(response: httpx.Response) -> bool:
    """A 403 HTML page from Cloudflare rather than Pipedrive's JSON envelope."""
    if response.status_code != 403:
        return False
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        return False
    head = response.text[:4000].lower()
    return "cf-ray" in response.headers or any(m in head for m in _CLOUDFLARE_MARKERS)


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """``Retry-After`` (seconds or HTTP date), else ``x-ratelimit-reset``, as seconds."""
    raw = response.headers.get("retry-after")
    if raw:
        try:
            return max(float(raw), 0.0)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(raw) if raw else None
            if parsed is not None:
                return max(parsed.timestamp() - (now if now is not None else time.time()), 0.0)
    reset = response.headers.get("x-ratelimit-reset")
    try:
        return max(float(reset), 0.0) if reset else None
    except ValueError:
        return None


def is_daily_exhausted(response: httpx.Response) -> bool:
    """A 429 caused by the spent daily token budget (not the 2-second burst window)."""
    if response.status_code != 429:
        return False
    if response.headers.get("x-daily-ratelimit-token-remaining", "").strip() == "0":
        return True
    text = _message(response).lower()
    return "daily" in text and ("limit" in text or "budget" in text)


def _describe_reset(seconds: float | None) -> str:
    if seconds is None:
        return "It resets at midnight in the company's timezone."
    hours, rest = divmod(int(seconds), 3600)
    return f"It resets in {hours} h {rest // 60:02d} min."


def _not_found(message: str, status: int, path: str, root: str) -> errors.ApiError:
    if path.strip("/") == "users/me":
        return errors.NotFoundError(
            f"{root} does not serve a Pipedrive company (404 on /users/me).",
            status=status,
            hint=(
                "The company domain is probably wrong: use the part before .pipedrive.com "
                "in the address you see when logged in (PIPEDRIVE_COMPANY_DOMAIN or "
                "--company-domain), or check PIPEDRIVE_BASE_URL."
            ),
        )
    return errors.NotFoundError(f"Not found: {path} ({message}).", status=status)


def error_for_response(
    response: httpx.Response, *, method: str, path: str, root: str
) -> errors.ApiError:
    """The exception for a non-2xx response. Messages carry no secrets (redacted anyway)."""
    status = response.status_code
    body = _body(response)
    code = body.get("code") or body.get("errorCode")
    code_text = None if code is None else str(code)
    message = _message(response)
    where = f"{method} {path}"
    if status == 401:
        return errors.AuthError(f"Pipedrive rejected the credentials: {message}.", status=status)
    if status == 402:
        return errors.PaymentRequiredError(f"Payment required: {message}.", status=status)
    if status == 403:
        if is_cloudflare_block(response):
            return errors.BlockedError(
                "Pipedrive's edge (Cloudflare) blocked this token with an HTML 403 page.",
                status=status,
            )
        return errors.ForbiddenError(
            f"Forbidden: {where}: {message}.", status=status, code=code_text
        )
    if status == 404:
        return _not_found(message, status, path, root)
    if status == 410:
        return errors.GoneError(f"{where} is gone: {message}.", status=status)
    if status == 429:
        wait = retry_after_seconds(response)
        if is_daily_exhausted(response):
            return errors.DailyBudgetExhaustedError(
                f"The company's daily API token budget is spent. {_describe_reset(wait)}",
                resets_in=wait,
                status=status,
            )
        return errors.RateLimitError(
            f"Rate limit hit on {where}: {message}.", retry_after=wait, status=status
        )
    if status >= 500:
        return errors.ServerError(f"Pipedrive server error on {where}: {message}.", status=status)
    if status in (400, 422):
        return errors.ValidationError(f"{where}: {message}.", status=status, code=code_text)
    return errors.ApiError(f"{where} failed: {message}.", status=status, code=code_text)


class UnreadableBodyError(errors.ApiError):
    """A 2xx whose body is not JSON or was cut short: worth asking again when that is safe."""


def decode_body(response: httpx.Response, method: str) -> dict[str, Any]:
    """The JSON envelope of a successful response (a bare JSON value becomes ``{"data": ...}``)."""
    declared = response.headers.get("content-length", "")
    short = (
        method.upper() != "HEAD"  # a HEAD answer declares the length of a body it never sends
        and declared.isdigit()
        and "content-encoding" not in response.headers
        and int(declared) > len(response.content)
    )
    if short:
        problem = f"a body cut short ({len(response.content)} of {declared} bytes)"
    elif not response.content:
        return {}
    else:
        try:
            body = parse_json(response)
        except ValueError:
            problem = "a body that is not JSON"
        else:
            return body if isinstance(body, dict) else {"data": body}
    if method.upper() in ("POST", "PATCH"):
        hint = "The write may have landed: check in Pipedrive before sending it again."
    else:
        hint = "Check that the base URL points at the Pipedrive API, not a web page."
    raise UnreadableBodyError(
        f"Pipedrive answered {response.status_code} with {problem}.",
        status=response.status_code,
        hint=hint,
    )


def parse_json(response: httpx.Response) -> Any:
    """The body's JSON value, read by orjson (half the CPU of ``json`` on list pages).

    What orjson refuses goes to ``json``, which reads it as before: lone surrogate
    escapes (repaired later by normalisation), NaN, a byte-order mark, UTF-16/32. One
    difference remains, out of Pipedrive's reach: orjson reads an integer beyond 64
    bits as a float; Pipedrive's numbers are 64-bit integers or doubles.
    """
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


def transport_error(exc: httpx.HTTPError, url: httpx.URL) -> tuple[errors.TransportError, bool]:
    """The error to raise, and whether the request may have reached Pipedrive."""
    host = f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        reason = "timed out connecting" if isinstance(exc, httpx.ConnectTimeout) else "refused"
        return errors.TransportError(f"Cannot connect to {host} ({reason})."), False
    if isinstance(exc, httpx.TimeoutException):
        return errors.TransportError(f"{host} did not answer in time."), True
    return errors.TransportError(f"Connection to {host} failed ({type(exc).__name__})."), True
