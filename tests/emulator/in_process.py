"""An httpx client that calls an :class:`Emulator` in-process, authenticated."""

from __future__ import annotations

import httpx

from pdsync.emulator.app import Emulator


def client_for(emulator: Emulator) -> httpx.Client:
    headers = {"x-api-token": emulator.config.token}
    return httpx.Client(transport=emulator.transport(), base_url="http://e", headers=headers)
