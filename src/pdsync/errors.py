"""The one exception tree of pdsync.

Every error says whose fault it is and what to do next (``hint``), whether trying
again later can help (``transient``), and which exit code the CLI uses for it::

    PdsyncError                         exit 1   root; .hint, .details (redacted), .transient
    ├── ConfigError                     exit 2   missing/invalid settings, unknown stream, bad file
    ├── ApiError(status, code)          exit 3   Pipedrive answered with an error
    │   ├── AuthError                   exit 4   401: token invalid, regenerated, user deactivated
    │   ├── PaymentRequiredError        exit 4   402: company account not open
    │   ├── ForbiddenError              exit 4   403: scope, plan limit, permission
    │   │   └── BlockedError            exit 6   403 Cloudflare page after ignoring a 429
    │   ├── NotFoundError               exit 3   404 (on /users/me: wrong company domain)
    │   ├── GoneError                   exit 3   410
    │   ├── ValidationError             exit 3   400 / 422: the request broke the API's rules
    │   ├── RateLimitError              exit 6   429 burst window (transient)
    │   │   └── DailyBudgetExhaustedError  exit 6   daily token budget spent: stop, resume after reset
    │   └── ServerError                 exit 5   5xx (transient)
    ├── TransportError                  exit 5   DNS, connection refused, timeout, TLS (transient)
    ├── PaginationError                 exit 3   the API repeated a page cursor (loop guard)
    ├── SchemaError                     exit 7   fields/columns cannot be mapped
    ├── StateError                      exit 7   the replica's state is unreadable or foreign
    ├── DestinationError                exit 7   the target cannot be opened or written
    │   └── MissingDependencyError      exit 2   an optional driver is not installed
    ├── PushError                       exit 8   a write-back batch could not run
    │   └── ConflictError               exit 8   ambiguous match, record changed underneath
    ├── EventsError                     exit 9   the event destination cannot run
    ├── IncompleteReplicaError          exit 10  `pdsync verify` found records missing or extra
    └── BackupError                     exit 11  unknown snapshot
        ├── CorruptSnapshotError        exit 12  a snapshot file fails its checksum
        └── WrongPassphraseError        exit 13  the passphrase does not open the store

Messages and details pass through :func:`pdsync.redact.redact` when the error is
built, so a secret cannot reach ``str(exc)``, ``repr(exc)``, a log or a report.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pdsync.redact import redact, redact_obj

__all__ = [
    "ApiError",
    "AuthError",
    "BackupError",
    "BlockedError",
    "ConfigError",
    "ConflictError",
    "CorruptSnapshotError",
    "DailyBudgetExhaustedError",
    "DestinationError",
    "EventsError",
    "ForbiddenError",
    "GoneError",
    "IncompleteReplicaError",
    "MissingDependencyError",
    "NotFoundError",
    "PaginationError",
    "PaymentRequiredError",
    "PdsyncError",
    "PushError",
    "RateLimitError",
    "SchemaError",
    "ServerError",
    "StateError",
    "TransportError",
    "ValidationError",
    "WrongPassphraseError",
    "exit_code_for",
]


class PdsyncError(Exception):
    """Root of every error pdsync raises on purpose."""

    exit_code: ClassVar[int] = 1
    transient: ClassVar[bool] = False
    default_hint: ClassVar[str] = ""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.message = redact(message)
        self.hint = redact(hint if hint is not None else self.default_hint)
        self.details: dict[str, Any] = redact_obj(details or {})
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigError(PdsyncError):
    exit_code = 2
    default_hint = "Run `pdsync config show` to see every setting and where it comes from."


class ApiError(PdsyncError):
    """Pipedrive answered with an error status."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        super().__init__(message, hint=hint, details=details)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthError(ApiError):
    exit_code = 4
    default_hint = (
        "The API token is invalid, was regenerated, or its user was deactivated. "
        "Copy the current token from Pipedrive (Settings > Personal preferences > API) "
        "and set PIPEDRIVE_API_TOKEN or `pdsync conns set`."
    )


class PaymentRequiredError(ApiError):
    exit_code = 4
    default_hint = "The company account is not open (trial ended or payment missing); an admin must reopen it in Pipedrive."


class ForbiddenError(ApiError):
    exit_code = 4
    default_hint = (
        "The user or app lacks a permission, an OAuth scope, or the plan does not include this "
        "feature. Ask a Pipedrive admin, or grant the scope to the app."
    )


class BlockedError(ForbiddenError):
    exit_code = 6
    transient = True
    default_hint = (
        "Pipedrive's edge (Cloudflare) blocked this token for calling again after a 429. "
        "Wait a few minutes before retrying, and keep one pdsync process per token."
    )


class NotFoundError(ApiError):
    default_hint = "The record or path does not exist (it may have been deleted)."


class GoneError(ApiError):
    default_hint = "Pipedrive no longer serves this resource; upgrade pdsync."


class ValidationError(ApiError):
    default_hint = "Pipedrive rejected the request's fields; the message above names the problem."


class RateLimitError(ApiError):
    """429 inside the rolling burst window: waiting ``retry_after`` seconds helps."""

    exit_code = 6
    transient = True
    default_hint = "Pipedrive's rate limit was hit; pdsync waits and retries on its own."

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class DailyBudgetExhaustedError(RateLimitError):
    """The company's daily token budget is spent; nothing helps until it resets."""

    transient = False
    default_hint = (
        "The company's daily API token budget is used up. State is saved: run the same "
        "command again after the reset, or buy a top-up in Pipedrive."
    )

    def __init__(self, message: str, *, resets_in: float | None = None, **kwargs: Any) -> None:
        self.resets_in = resets_in
        super().__init__(message, retry_after=resets_in, **kwargs)


class ServerError(ApiError):
    exit_code = 5
    transient = True
    default_hint = "Pipedrive had a server error; try again in a few minutes."


class TransportError(PdsyncError):
    exit_code = 5
    transient = True
    default_hint = (
        "Pipedrive could not be reached. Check the network, the company domain and "
        "PIPEDRIVE_BASE_URL, then try again."
    )


class PaginationError(PdsyncError):
    exit_code = 3
    default_hint = (
        "Pipedrive returned the same page twice; pdsync stopped to avoid a loop. Try again."
    )


class SchemaError(PdsyncError):
    exit_code = 7


class StateError(PdsyncError):
    exit_code = 7
    default_hint = (
        "The target's pdsync state is unreadable; point --target at a pdsync replica or a new path."
    )


class DestinationError(PdsyncError):
    exit_code = 7


class MissingDependencyError(DestinationError):
    """An optional driver is missing; the hint is the exact install line."""

    exit_code = 2

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"The {package} driver is not installed.",
            hint=f"pip install 'pdsync[{extra}]'",
        )


class PushError(PdsyncError):
    exit_code = 8


class ConflictError(PushError):
    pass


class EventsError(PdsyncError):
    exit_code = 9


class IncompleteReplicaError(PdsyncError):
    """An audit found the replica differs from the live account (or could not see all of it)."""

    exit_code = 10
    default_hint = (
        "Run `pdsync sync` again (--full-refresh re-reads everything), then `pdsync verify`; "
        "if the loss persists, report it with the output of `pdsync verify --json`."
    )


class BackupError(PdsyncError):
    """Backups: an unknown snapshot (the base class), a corrupted one, a wrong passphrase."""

    exit_code = 11


class CorruptSnapshotError(BackupError):
    exit_code = 12


class WrongPassphraseError(BackupError):
    exit_code = 13


def exit_code_for(exc: BaseException) -> int:
    """The CLI's exit code for an exception (1 for anything unexpected)."""
    if isinstance(exc, PdsyncError):
        return exc.exit_code
    return 1
