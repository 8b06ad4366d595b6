"""Connection flags shared by every command that talks to Pipedrive.

``@connection_options`` adds ``--connection/-c``, ``--api-token``, ``--company-domain``,
``--base-url``, ``--timeout`` and passes them to the command as one ``conn_flags`` value;
:func:`open_client` turns that into a :class:`~pdsync.api.client.PipedriveClient`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pdsync.config import Settings, load_settings

if TYPE_CHECKING:
    from pdsync.api.client import PipedriveClient

__all__ = ["ConnectionFlags", "connection_options", "open_client", "settings_from"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ConnectionFlags:
    connection: str | None = None
    api_token: str | None = None
    company_domain: str | None = None
    base_url: str | None = None
    timeout: float | None = None

    def as_flags(self) -> dict[str, Any]:
        return {
            "api_token": self.api_token,
            "company_domain": self.company_domain,
            "base_url": self.base_url,
            "timeout": self.timeout,
        }


_OPTIONS = (
    click.option(
        "--connection",
        "-c",
        "connection",
        metavar="NAME",
        help="Named connection (env var NAME holding a JSON/YAML object, or `pdsync conns set`).",
    ),
    click.option(
        "--api-token",
        metavar="TOKEN",
        help="API token (prefer PIPEDRIVE_API_TOKEN: flags end up in shell history).",
    ),
    click.option(
        "--company-domain",
        metavar="DOMAIN",
        help="Company domain: acme, acme.pipedrive.com or https://acme.pipedrive.com.",
    ),
    click.option(
        "--base-url", metavar="URL", help="Any API root URL, plain http allowed (emulator, proxy)."
    ),
    click.option("--timeout", type=float, metavar="SECONDS", help="HTTP timeout per request."),
)


def connection_options(command: F) -> F:
    """Add the connection flags; the command receives them as ``conn_flags``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = ConnectionFlags(**{k: kwargs.pop(k) for k in ConnectionFlags.__dataclass_fields__})
        return command(*args, conn_flags=flags, **kwargs)

    for option in reversed(_OPTIONS):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def settings_from(flags: ConnectionFlags) -> Settings:
    return load_settings(flags=flags.as_flags(), name=flags.connection)


def open_client(flags: ConnectionFlags, **kwargs: Any) -> PipedriveClient:
    """A PipedriveClient for the effective connection and settings (kwargs override)."""
    from pdsync.api.client import PipedriveClient

    settings = settings_from(flags)
    options: dict[str, Any] = {
        "timeout": float(settings["timeout"]),
        "max_retries": int(settings["max_retries"]),
    }
    options.update(kwargs)
    return PipedriveClient(settings.connection, **options)
