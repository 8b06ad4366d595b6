"""The emulator's own control endpoints for the edges, outside Pipedrive's paths.

* ``GET  /_emulator/stats`` — request counters, tokens charged, 429s/403s, faults, webhooks.
* ``POST /_emulator/stats/reset`` — zero the counters.
* ``POST /_emulator/budget/reset`` — refill the daily token pool as midnight UTC would;
  body ``{"remaining": N}`` leaves only N tokens (to test exhaustion cheaply).
* ``POST /_emulator/limits/reset`` — forget burst windows and Cloudflare blocks.
* ``POST /_emulator/webhooks/wait`` — body ``{"timeout": 5}``; answers once every queued
  webhook delivery (retries included) is done: ``{"idle": true|false}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router, error_response

if TYPE_CHECKING:
    from pdsync.emulator.edges import EdgeApp


def _body(request: Request) -> dict[str, Any] | None:
    """The JSON object body, ``{}`` when empty, None when it is not an object."""
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _number(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def register_control_routes(router: Router, edges: EdgeApp) -> None:
    def stats(request: Request) -> Response:
        snapshot = edges.stats.snapshot()
        snapshot["daily_token_limit"] = edges.config.budget
        snapshot["daily_tokens_remaining"] = edges.limiter.daily_remaining()
        snapshot["rate_limits"] = edges.config.rate_limits
        snapshot["plan"] = edges.config.plan
        return Response.json(snapshot)

    def stats_reset(request: Request) -> Response:
        edges.stats.reset()
        return Response.json({"success": True})

    def budget_reset(request: Request) -> Response:
        body = _body(request)
        if body is None or ("remaining" in body and _number(body, "remaining") is None):
            return error_response(400, 'Body must be {} or {"remaining": <tokens>}')
        remaining = _number(body, "remaining")
        edges.limiter.reset_daily(None if remaining is None else int(remaining))
        return Response.json(
            {"success": True, "daily_tokens_remaining": edges.limiter.daily_remaining()}
        )

    def limits_reset(request: Request) -> Response:
        edges.limiter.reset_windows()
        return Response.json({"success": True})

    def webhooks_wait(request: Request) -> Response:
        body = _body(request)
        timeout = _number(body, "timeout") if body else None
        if body is None:
            return error_response(400, 'Body must be {} or {"timeout": <seconds>}')
        idle = edges.webhooks.wait_idle(min(timeout if timeout is not None else 10.0, 300.0))
        return Response.json({"success": True, "idle": idle})

    router.add("GET", "/_emulator/stats", stats)
    router.add("POST", "/_emulator/stats/reset", stats_reset)
    router.add("POST", "/_emulator/budget/reset", budget_reset)
    router.add("POST", "/_emulator/limits/reset", limits_reset)
    router.add("POST", "/_emulator/webhooks/wait", webhooks_wait)
