"""Named connections: ``connections.yaml`` (mode 0600) and environment-variable objects.

A named connection is looked up first in an environment variable of that name holding
a JSON/YAML object (``PIPEDRIVE='{api_token: ..., domain: acme}'``, as Sling does),
then in ``connections.yaml`` in the user's config directory. The file is rewritten
atomically and is never readable by other users.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pdsync.errors import ConfigError

__all__ = ["ConnectionStore", "StoredConnection", "read_yaml_mapping"]

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
FILE_MODE = 0o600


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """A YAML file's top-level mapping; ``{}`` when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"{path} is not valid YAML ({type(exc).__name__}).",
            hint="Fix the file by hand or delete it and run `pdsync conns set` again.",
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level.")
    return data


def _parse_env_object(name: str, text: str) -> dict[str, Any] | None:
    """The mapping an env var holds, or None if it is not a connection object."""
    stripped = text.strip()
    if not stripped.startswith("{") and "\n" not in stripped:
        return None
    try:
        data = yaml.safe_load(stripped)  # YAML is a superset of JSON
    except yaml.YAMLError:
        raise ConfigError(
            f"Environment variable {name} looks like a connection object but is not valid JSON/YAML.",
            hint=f"Use e.g. {name}='{{api_token: ..., domain: acme}}'.",
        ) from None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class StoredConnection:
    name: str
    values: dict[str, str]
    origin: str  # "env NAME" or "file PATH"


class ConnectionStore:
    """Reads and writes the named connections of one config directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / "connections.yaml"

    # ------------------------------------------------------------- reading

    def _file_entries(self) -> dict[str, Any]:
        entries = read_yaml_mapping(self.path).get("connections") or {}
        if not isinstance(entries, dict):
            raise ConfigError(f"`connections` in {self.path} must be a mapping of names.")
        return entries

    def file_connections(self) -> list[StoredConnection]:
        from pdsync.config import connection_from_mapping

        out = []
        for name, entry in sorted(self._file_entries().items()):
            origin = f"file {self.path}"
            if not isinstance(entry, dict):
                raise ConfigError(f"Connection {name!r} in {self.path} must be a mapping.")
            out.append(
                StoredConnection(name, connection_from_mapping(entry, origin=origin), origin)
            )
        return out

    @staticmethod
    def env_connections(env: Mapping[str, str]) -> list[StoredConnection]:
        """Environment variables holding a connection object."""
        from pdsync.config import CONNECTION_ENV, connection_from_mapping

        out = []
        known = set(CONNECTION_ENV.values())
        for key, text in sorted(env.items()):
            if key in known or key.startswith("PDSYNC_"):
                continue
            try:
                data = _parse_env_object(key, text)
            except ConfigError:
                continue  # listing must not fail because of an unrelated variable
            if data is None:
                continue
            try:
                values = connection_from_mapping(data, origin=f"env {key}")
            except ConfigError:
                continue
            if values:
                out.append(StoredConnection(key, values, f"env {key}"))
        return out

    def resolve(self, name: str | None, env: Mapping[str, str]) -> tuple[dict[str, str], str]:
        """The named connection's fields and origin; ``({}, "")`` when no name is given."""
        from pdsync.config import connection_from_mapping

        if not name:
            return {}, ""
        for key in (name, name.upper()):
            if key in env:
                data = _parse_env_object(key, env[key])
                if data is not None:
                    return connection_from_mapping(data, origin=f"env {key}"), f"env {key}"
        entry = self._file_entries().get(name)
        if isinstance(entry, dict):
            origin = f"file {self.path}"
            return connection_from_mapping(entry, origin=origin), origin
        known = [c.name for c in self.file_connections()]
        raise ConfigError(
            f"No connection named {name!r}.",
            hint=(
                f"Checked the environment variable {name.upper()} and {self.path}"
                + (f" (it has: {', '.join(known)})" if known else "")
                + f". Create it with `pdsync conns set {name} --api-token ... --company-domain ...`."
            ),
        )

    # ------------------------------------------------------------- writing

    def set(self, name: str, values: Mapping[str, str | None], *, replace: bool = False) -> None:
        """Create or update a connection; ``None`` values leave a field unchanged."""
        from pdsync.config import Connection

        if not _NAME_RE.match(name):
            raise ConfigError(
                f"{name!r} is not a valid connection name.",
                hint="Use letters, digits, '_', '-' or '.', starting with a letter.",
            )
        document = read_yaml_mapping(self.path)
        entries = self._file_entries()
        current = {} if replace else dict(entries.get(name) or {})
        current.update({k: v for k, v in values.items() if v is not None})
        # Validate and normalise by building a Connection from the merged values.
        entries[name] = Connection(**current).as_dict()
        document["connections"] = entries
        self._write(document)

    def remove(self, name: str) -> None:
        document = read_yaml_mapping(self.path)
        entries = self._file_entries()
        if name not in entries:
            raise ConfigError(
                f"No saved connection named {name!r}.",
                hint="`pdsync conns list` shows the saved connections.",
            )
        del entries[name]
        document["connections"] = entries
        self._write(document)

    def update_refresh_token(self, name: str, refresh_token: str) -> None:
        """Persist a rotated OAuth refresh token (only for connections saved in the file)."""
        if name in self._file_entries():
            self.set(name, {"oauth_refresh_token": refresh_token})

    def _write(self, document: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        text = yaml.safe_dump(document, sort_keys=True, default_flow_style=False)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".connections.", suffix=".tmp")
        try:
            os.fchmod(fd, FILE_MODE) if hasattr(os, "fchmod") else None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
            os.chmod(self.path, FILE_MODE)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
