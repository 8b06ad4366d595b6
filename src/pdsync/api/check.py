"""``check``: who am I, in which company, and how much rate limit is left."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateSnapshot
from pdsync.errors import ApiError

__all__ = ["CheckResult", "check_connection"]


@dataclass(frozen=True)
class CheckResult:
    company_id: int | None
    company_name: str | None
    company_domain: str | None
    user_id: int | None
    user_name: str | None
    user_email: str | None
    is_admin: bool
    auth_method: str
    root_url: str
    rate: RateSnapshot

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _is_admin(user: dict[str, Any]) -> bool:
    if user.get("is_admin") not in (None, 0, False):
        return True
    access = user.get("access") or []
    return any(a.get("app") == "global" and a.get("admin") for a in access if isinstance(a, dict))


def check_connection(client: PipedriveClient) -> CheckResult:
    """Call ``GET /v1/users/me``; raise the matching PdsyncError if it fails."""
    response = client.send("GET", "users/me", version="v1")
    user = response.body.get("data")
    if not isinstance(user, dict):
        raise ApiError(
            "GET /v1/users/me answered without a user object.",
            status=response.status,
            hint="Check that the base URL points at the Pipedrive API.",
        )
    return CheckResult(
        company_id=user.get("company_id"),
        company_name=user.get("company_name"),
        company_domain=user.get("company_domain"),
        user_id=user.get("id"),
        user_name=user.get("name"),
        user_email=user.get("email"),
        is_admin=_is_admin(user),
        auth_method=client.auth.label,
        root_url=client.root_url,
        rate=client.rate_snapshot(),
    )
