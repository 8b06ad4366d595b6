"""Backups of a whole Pipedrive account: snapshots, diffs, restores (docs/backup.md).

>>> store = open_account_store(client, Path("pipedrive-backups"), create=True)
>>> manifest, report = create_snapshot(client, store, account=store.folder.name)
>>> result = run_restore(client, store, manifest.id, RestoreOptions())
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pdsync.backup.capture import create_snapshot, load_state, read_account
from pdsync.backup.diff import diff_states
from pdsync.backup.prune import prune
from pdsync.backup.restore import RestoreOptions, RestoreResult, run_restore
from pdsync.backup.seal import PASSPHRASE_ENV
from pdsync.backup.store import Manifest, Store, account_folder, find_store_folder
from pdsync.push.api import PushClient, data_of

__all__ = [
    "PASSPHRASE_ENV",
    "Manifest",
    "RestoreOptions",
    "RestoreResult",
    "Store",
    "account_name",
    "create_snapshot",
    "diff_states",
    "load_state",
    "open_account_store",
    "open_store",
    "prune",
    "read_account",
    "run_restore",
]


def account_name(client: PushClient) -> str:
    """The company domain of the token's account (``acme``), a safe folder name."""
    me = data_of(client.request("GET", "users/me", version="v1")) or {}
    name = str(me.get("company_domain") or me.get("company_id") or "account")
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def open_account_store(
    client: PushClient, root: Path | None, *, create: bool = False, encrypt: bool = False
) -> Store:
    """The store of the client's account under ``root`` (default ``./pipedrive-backups``)."""
    account = account_name(client)
    folder = account_folder(root, account)
    if not create and not (folder / "store.json").exists():
        folder = find_store_folder(root)
    return Store.open(
        folder,
        account=account,
        create=create,
        encrypt=encrypt,
        passphrase=os.environ.get(PASSPHRASE_ENV),
    )


def open_store(root: Path | None) -> Store:
    """The store under ``root`` without asking the API (one account's folder, or ``root``)."""
    return Store.open(find_store_folder(root), passphrase=os.environ.get(PASSPHRASE_ENV))
