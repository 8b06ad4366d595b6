"""How a backup file's bytes are sealed: compressed, checksummed, optionally encrypted.

Every object of a store (a segment of rows, a file's contents) is named by a digest of
its plaintext, so an unchanged segment is stored once however many snapshots use it,
and any change to a stored byte is caught when it is read back:

- plain stores: the name is the SHA-256 of the plaintext; the file is ``PDSZ1`` + zlib.
- encrypted stores: the name is an HMAC-SHA256 of the plaintext under a key derived from
  the passphrase (a bare hash would let anyone holding the files test guesses of their
  contents); the file is ``PDSE1`` + 12-byte nonce + AES-256-GCM of the zlib bytes, with
  the name as associated data, so a file renamed onto another name fails too.

The keys come from scrypt (n=2^15, r=8, p=1) over the passphrase and a random salt kept
in ``store.json`` with a check value, so a wrong passphrase is told apart from damage.
AES-GCM and scrypt come from ``cryptography`` (the ``pdsync[backup]`` extra).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import zlib
from dataclasses import dataclass
from typing import Any

from pdsync.errors import CorruptSnapshotError, MissingDependencyError, WrongPassphraseError

PASSPHRASE_ENV = "PDSYNC_BACKUP_PASSPHRASE"
_PLAIN = b"PDSZ1"
_SEALED = b"PDSE1"
_CHECK = b"pdsync backup key check v1"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise MissingDependencyError("cryptography", "backup") from None
    return AESGCM


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    try:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    except ImportError:
        raise MissingDependencyError("cryptography", "backup") from None
    return bytes(Scrypt(salt=salt, length=64, n=n, r=r, p=p).derive(passphrase.encode()))


@dataclass(frozen=True)
class Sealer:
    """Seals and opens the objects of one store (``keys`` None: a plain store)."""

    enc_key: bytes | None = None
    mac_key: bytes | None = None

    @property
    def encrypted(self) -> bool:
        return self.enc_key is not None

    def name_of(self, plaintext: bytes) -> str:
        if self.mac_key is None:
            return hashlib.sha256(plaintext).hexdigest()
        return hmac.new(self.mac_key, plaintext, hashlib.sha256).hexdigest()

    def seal(self, plaintext: bytes) -> tuple[str, bytes]:
        """(name, stored bytes) of an object."""
        name = self.name_of(plaintext)
        packed = zlib.compress(plaintext, 6)
        if self.enc_key is None:
            return name, _PLAIN + packed
        nonce = os.urandom(12)
        sealed = _aesgcm()(self.enc_key).encrypt(nonce, packed, name.encode())
        return name, _SEALED + nonce + sealed

    def open(self, name: str, stored: bytes, where: str) -> bytes:
        """The plaintext of a stored object; CorruptSnapshotError if any byte changed."""
        try:
            if stored.startswith(_PLAIN) and self.enc_key is None:
                plaintext = zlib.decompress(stored[len(_PLAIN) :])
            elif stored.startswith(_SEALED) and self.enc_key is not None:
                from cryptography.exceptions import InvalidTag

                nonce, body = stored[5:17], stored[17:]
                try:
                    packed = _aesgcm()(self.enc_key).decrypt(nonce, body, name.encode())
                except InvalidTag:
                    raise _corrupt(where, "its authentication tag does not match") from None
                plaintext = zlib.decompress(packed)
            else:
                raise _corrupt(where, "it is not a file of this store")
        except zlib.error:
            raise _corrupt(where, "it does not decompress") from None
        if not hmac.compare_digest(self.name_of(plaintext), name):
            raise _corrupt(where, "its checksum does not match its name")
        return plaintext

    def mac(self, data: bytes) -> str:
        """The checksum of a manifest: HMAC in encrypted stores, else SHA-256."""
        return self.name_of(data)


def _corrupt(where: str, why: str) -> CorruptSnapshotError:
    return CorruptSnapshotError(
        f"The backup file {where} is corrupted or was altered: {why}.",
        hint="Restore from another snapshot (`pdsync backup list`); check the disk.",
    )


def new_key_params(passphrase: str) -> tuple[dict[str, Any], Sealer]:
    """The ``encryption`` entry of a new store's ``store.json``, and its sealer."""
    salt = os.urandom(16)
    params: dict[str, Any] = {"kdf": "scrypt", **_SCRYPT, "salt": _b64(salt)}
    sealer = _derive(passphrase, params)
    assert sealer.mac_key is not None
    params["check"] = hmac.new(sealer.mac_key, _CHECK, hashlib.sha256).hexdigest()
    return params, sealer


def open_key(passphrase: str | None, params: dict[str, Any]) -> Sealer:
    """The sealer of an encrypted store; WrongPassphraseError if the passphrase is not its."""
    if not passphrase:
        raise WrongPassphraseError(
            "This backup store is encrypted and no passphrase was given.",
            hint=f"Set {PASSPHRASE_ENV} to the passphrase the store was created with.",
        )
    sealer = _derive(passphrase, params)
    assert sealer.mac_key is not None
    check = hmac.new(sealer.mac_key, _CHECK, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(check, str(params.get("check", ""))):
        raise WrongPassphraseError(
            "The passphrase does not open this backup store.",
            hint=f"Set {PASSPHRASE_ENV} to the passphrase the store was created with.",
        )
    return sealer


def _derive(passphrase: str, params: dict[str, Any]) -> Sealer:
    salt = base64.b64decode(str(params["salt"]))
    key = _scrypt(passphrase, salt, int(params["n"]), int(params["r"]), int(params["p"]))
    return Sealer(key[:32], key[32:])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
