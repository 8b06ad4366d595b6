"""Sealed objects: any changed byte, a file moved onto another name, or the wrong key is
caught; the same content is stored once."""

from __future__ import annotations

import zlib

import pytest

from pdsync.backup.seal import Sealer, new_key_params, open_key
from pdsync.errors import CorruptSnapshotError, WrongPassphraseError


@pytest.fixture(scope="module")
def sealed() -> tuple[dict[str, object], Sealer]:
    return new_key_params("correct horse")


def test_encrypted_objects_detect_tampering_and_renaming(
    sealed: tuple[dict[str, object], Sealer],
) -> None:
    _, sealer = sealed
    name, stored = sealer.seal(b'{"k": 1, "r": {"title": "Acme"}}\n')
    assert b"Acme" not in stored
    assert sealer.open(name, stored, "x") == b'{"k": 1, "r": {"title": "Acme"}}\n'
    other, other_stored = sealer.seal(b"another segment\n")
    flipped = bytearray(stored)
    flipped[20] ^= 1
    with pytest.raises(CorruptSnapshotError, match="authentication tag"):
        sealer.open(name, bytes(flipped), "x")
    with pytest.raises(CorruptSnapshotError):
        sealer.open(name, other_stored, "x")  # a file moved onto another object's name
    with pytest.raises(CorruptSnapshotError, match="not a file of this store"):
        Sealer().open(name, stored, "x")
    assert sealer.seal(b"another segment\n")[0] == other  # same content, same name


def test_passphrase_is_checked_before_any_object(
    sealed: tuple[dict[str, object], Sealer],
) -> None:
    params, sealer = sealed
    assert open_key("correct horse", dict(params)).enc_key == sealer.enc_key
    with pytest.raises(WrongPassphraseError):
        open_key("wrong horse", dict(params))


def test_plain_objects_detect_changes() -> None:
    sealer = Sealer()
    name, stored = sealer.seal(b"rows\n")
    forged = b"PDSZ1" + zlib.compress(b"other rows\n")
    with pytest.raises(CorruptSnapshotError, match="checksum"):
        sealer.open(name, forged, "x")
    assert sealer.open(name, stored, "x") == b"rows\n"
