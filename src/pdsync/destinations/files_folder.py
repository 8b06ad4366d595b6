"""The files destination's folder: its URL, opening it, and sweeping crash leftovers.

``file:///data/pipedrive?format=parquet&compact_after=200`` names a folder holding
``_pdsync_manifest.json`` and a sub-folder per table. Opening refuses a non-empty
folder without a manifest (another application's files) and a manifest of another
format; a writable open first deletes batch files a crash wrote but never committed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pdsync.destinations.base import utc_now
from pdsync.destinations.files_io import FORMATS
from pdsync.destinations.files_manifest import MANIFEST_NAME, Manifest, write_atomically
from pdsync.destinations.urls import DestinationUrl
from pdsync.errors import ConfigError, DestinationError

__all__ = ["FilesSettings", "folder_name", "open_manifest", "parse_files_url"]

_SAFE_FOLDER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,80}")
_BATCH_FILE = re.compile(r"\d{10}\.(parquet|csv|jsonl)")


def folder_name(table: str) -> str:
    """A folder name for ``table``: itself when filesystem-safe, else a slug plus a hash."""
    if _SAFE_FOLDER.fullmatch(table):
        return table
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", table).strip("_")[:40] or "table"
    return f"{slug}-{hashlib.sha1(table.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class FilesSettings:
    root: Path
    fmt: str
    compact_after: int


def parse_files_url(url: DestinationUrl) -> FilesSettings:
    """The folder, format and compaction threshold a ``file://`` URL names."""
    if url.host not in (None, "", "localhost"):
        raise ConfigError(
            f"A file URL names a local folder, not a host: {url.safe!r}.",
            hint="Use three slashes: file:///data/pipedrive?format=parquet.",
        )
    path = url.path
    if path.startswith("/"):
        path = "/" + path.lstrip("/")  # file:///data and file:////data are the same
    if path.startswith("/~"):
        path = path[1:]
    if not path or path == "/":
        raise ConfigError(
            f"The file URL {url.safe!r} names no folder.",
            hint="Use e.g. file:///data/pipedrive?format=parquet.",
        )
    fmt = url.options.get("format", "parquet").lower()
    if fmt not in FORMATS:
        raise ConfigError(
            f"Unknown format={fmt!r} in {url.safe!r}.",
            hint="Use format=parquet, format=csv or format=jsonl.",
        )
    every = url.options.get("compact_after", "200")
    if not every.isdigit() or int(every) < 2:
        raise ConfigError(
            f"compact_after={every!r} in {url.safe!r} is not a whole number ≥ 2.",
            hint="Use e.g. compact_after=200.",
        )
    return FilesSettings(Path(path).expanduser(), fmt, int(every))


def open_manifest(root: Path, fmt: str, *, readonly: bool) -> Manifest:
    """The committed manifest of the replica at ``root`` (created when the folder is new)."""
    path = root / MANIFEST_NAME
    if path.is_file():
        manifest = Manifest.load(path)
        if manifest.format != fmt:
            raise ConfigError(
                f"{root} holds a {manifest.format} replica, not {fmt}.",
                hint=f"Use format={manifest.format} in the URL, or another folder.",
            )
        if not readonly:
            _sweep(root, manifest)
        return manifest
    if readonly:
        raise DestinationError(
            f"No pdsync files replica at {root}.",
            hint="Run `pdsync sync` first, or point --target at an existing replica.",
        )
    if root.is_dir() and any(not p.name.startswith(".") for p in root.iterdir()):
        raise DestinationError(
            f"{root} is not empty and is not a pdsync replica (no {MANIFEST_NAME}).",
            hint="pdsync will not write into another application's folder: use a new one.",
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
        manifest = Manifest(format=fmt, created_at=utc_now())
        write_atomically(path, manifest.to_json().encode())
    except OSError as exc:
        raise DestinationError(
            f"Cannot create the replica folder {root}: {exc.strerror}.",
            hint="Choose a folder you can write to.",
        ) from None
    return manifest


def _sweep(root: Path, manifest: Manifest) -> None:
    """Remove batch files a crash left behind: written, but never committed."""
    for entry in manifest.tables.values():
        folder = root / folder_name(entry.name)
        if not folder.is_dir():
            continue
        listed = {f.name for f in (*entry.files, *(entry.staging or ()))}
        for path in folder.iterdir():
            stray = path.name.endswith(".tmp") or (
                _BATCH_FILE.fullmatch(path.name) is not None and path.name not in listed
            )
            if stray:
                path.unlink(missing_ok=True)
