"""A backup store: one folder per account, snapshots as manifests over shared objects.

    pipedrive-backups/<account>/
      store.json               format, account, encryption parameters (salt, check value)
      snapshots/<id>.json      one manifest per snapshot: time, label, per stream its
                               record count and the list of segments that make it up
      objects/ab/abcdef…       content-addressed segments (see :mod:`pdsync.backup.seal`)
      cache.sqlite             the replica incremental reads start from (plain stores only)
      restores/<id>/           journals and id maps of restores from snapshot <id>

A manifest lists *every* segment its snapshot needs, so no snapshot depends on another
one's manifest: pruning deletes manifests, then only the objects no manifest names.
Each manifest carries a checksum of its own content. Every file is created 0600.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsync.backup.seal import PASSPHRASE_ENV, Sealer, new_key_params, open_key
from pdsync.errors import BackupError, ConfigError, CorruptSnapshotError

DEFAULT_ROOT = Path("pipedrive-backups")
FORMAT = 1


@dataclass
class StreamEntry:
    records: int
    segments: list[str]  # applied in order: a base, then deltas
    delta_rows: int = 0  # rows carried by the deltas (decides when to write a new base)


@dataclass
class Manifest:
    id: str
    created: str
    label: str
    account: str
    streams: dict[str, StreamEntry] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # file id -> object name
    skipped: dict[str, str] = field(default_factory=dict)  # stream -> why it was not read

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "created": self.created,
            "label": self.label,
            "account": self.account,
            "streams": {n: e.__dict__ for n, e in sorted(self.streams.items())},
            "files": dict(sorted(self.files.items())),
            "skipped": dict(sorted(self.skipped.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            id=str(data["id"]),
            created=str(data["created"]),
            label=str(data.get("label", "")),
            account=str(data.get("account", "")),
            streams={n: StreamEntry(**e) for n, e in data.get("streams", {}).items()},
            files=dict(data.get("files", {})),
            skipped=dict(data.get("skipped", {})),
        )

    def objects(self) -> set[str]:
        names = {s for e in self.streams.values() for s in e.segments}
        return names | set(self.files.values())


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600), atomically (rename into place)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _canonical(data: dict[str, Any]) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Store:
    def __init__(self, folder: Path, sealer: Sealer) -> None:
        self.folder = folder
        self.sealer = sealer

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        folder: Path,
        *,
        account: str | None = None,
        create: bool = False,
        encrypt: bool = False,
        passphrase: str | None = None,
    ) -> Store:
        """Open (or with ``create`` make) the store of one account."""
        meta_path = folder / "store.json"
        if not meta_path.exists():
            if not create:
                raise BackupError(
                    f"There is no backup store in {folder}.",
                    hint="Run `pdsync backup create` first, or pass --to the store's folder.",
                )
            return cls._create(folder, account or folder.name, encrypt, passphrase)
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CorruptSnapshotError(
                f"{meta_path} is unreadable ({exc}).",
                hint="Restore the file from another copy of the store.",
            ) from None
        params = meta.get("encryption")
        if params is None:
            if encrypt:
                raise ConfigError(
                    f"The backup store {folder} is not encrypted; --encrypt cannot add it.",
                    hint="Pass --to a new folder for encrypted backups.",
                )
            return cls(folder, Sealer())
        return cls(folder, open_key(passphrase, params))

    @classmethod
    def _create(cls, folder: Path, account: str, encrypt: bool, passphrase: str | None) -> Store:
        meta: dict[str, Any] = {"format": FORMAT, "account": account}
        sealer = Sealer()
        if encrypt:
            if not passphrase:
                raise ConfigError(
                    "--encrypt needs a passphrase.",
                    hint=f"Set {PASSPHRASE_ENV} (keep it somewhere safe: it cannot be recovered).",
                )
            meta["encryption"], sealer = new_key_params(passphrase)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(folder / "store.json", json.dumps(meta, indent=2).encode())
        return cls(folder, sealer)

    @property
    def cache_path(self) -> Path:
        return self.folder / "cache.sqlite"

    # -- objects ---------------------------------------------------------------------------

    def _object_path(self, name: str) -> Path:
        return self.folder / "objects" / name[:2] / name

    def put(self, plaintext: bytes) -> str:
        name, stored = self.sealer.seal(plaintext)
        path = self._object_path(name)
        if not path.exists():
            write_private(path, stored)
        return name

    def get(self, name: str) -> bytes:
        path = self._object_path(name)
        try:
            stored = path.read_bytes()
        except FileNotFoundError:
            raise CorruptSnapshotError(
                f"The backup file {path} is missing.",
                hint="Restore from another snapshot (`pdsync backup list`).",
            ) from None
        return self.sealer.open(name, stored, str(path))

    def object_names(self) -> Iterator[str]:
        root = self.folder / "objects"
        if root.exists():
            for path in root.glob("*/*"):
                if not path.name.endswith(".tmp"):
                    yield path.name

    def delete_object(self, name: str) -> int:
        path = self._object_path(name)
        size = path.stat().st_size
        path.unlink()
        return size

    def size_of(self, names: set[str]) -> int:
        return sum(
            self._object_path(n).stat().st_size for n in names if self._object_path(n).exists()
        )

    # -- manifests -------------------------------------------------------------------------

    def _manifest_path(self, snapshot_id: str) -> Path:
        return self.folder / "snapshots" / f"{snapshot_id}.json"

    def save(self, manifest: Manifest) -> None:
        body = manifest.to_json()
        body["checksum"] = self.sealer.mac(_canonical(body))
        write_private(self._manifest_path(manifest.id), json.dumps(body, indent=1).encode())

    def load(self, snapshot_id: str) -> Manifest:
        path = self._manifest_path(snapshot_id)
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            checksum = body.pop("checksum")
        except FileNotFoundError:
            raise self._unknown(snapshot_id) from None
        except (OSError, ValueError, KeyError, AttributeError):
            raise CorruptSnapshotError(
                f"The snapshot manifest {path} is corrupted (not a manifest).",
                hint="Restore from another snapshot (`pdsync backup list`).",
            ) from None
        if checksum != self.sealer.mac(_canonical(body)):
            raise CorruptSnapshotError(
                f"The snapshot manifest {path} is corrupted or was altered (checksum mismatch).",
                hint="Restore from another snapshot (`pdsync backup list`).",
            )
        return Manifest.from_json(body)

    def delete_manifest(self, snapshot_id: str) -> None:
        self._manifest_path(snapshot_id).unlink()

    def ids(self) -> list[str]:
        """Snapshot ids, oldest first (ids are UTC times, so they sort by time)."""
        folder = self.folder / "snapshots"
        if not folder.exists():
            return []
        return sorted(p.stem for p in folder.glob("*.json"))

    def resolve(self, name: str) -> str:
        """The id a user's SNAPSHOT names: an id, a unique prefix, ``latest`` or a label."""
        ids = self.ids()
        if not ids:
            raise BackupError(
                f"There are no snapshots in {self.folder}.",
                hint="Run `pdsync backup create` first.",
            )
        if name == "latest":
            return ids[-1]
        if name in ids:
            return name
        matches = [i for i in ids if i.startswith(name)]
        if len(matches) == 1:
            return matches[0]
        labelled = [i for i in ids if self.load(i).label == name]
        if labelled:
            return labelled[-1]
        raise self._unknown(name)

    def _unknown(self, name: str) -> BackupError:
        return BackupError(
            f"No snapshot {name!r} in {self.folder}.",
            hint="`pdsync backup list` shows the snapshots; `latest` names the newest.",
        )


def account_folder(root: Path | None, account: str) -> Path:
    return (root or DEFAULT_ROOT) / account


def find_store_folder(root: Path | None) -> Path:
    """The account folder under ``root`` when there is one (commands run without a client)."""
    base = root or DEFAULT_ROOT
    if (base / "store.json").exists():
        return base
    accounts = sorted(p for p in base.glob("*/store.json")) if base.exists() else []
    if len(accounts) == 1:
        return accounts[0].parent
    if not accounts:
        raise BackupError(
            f"There is no backup store in {base}.",
            hint="Run `pdsync backup create` first, or pass --to the store's folder.",
        )
    names = ", ".join(p.parent.name for p in accounts)
    raise ConfigError(
        f"{base} holds the backups of several accounts ({names}).",
        hint=f"Pass --to {base}/<account>.",
    )
