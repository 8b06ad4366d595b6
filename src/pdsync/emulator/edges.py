"""Temporary pass-through; replaced by the edges layer (auth, limits, faults, stats, webhooks)."""

from __future__ import annotations

from typing import Any

from pdsync.emulator.http import WSGIApp


def install(emulator: Any) -> WSGIApp:
    app: WSGIApp = emulator.core_wsgi
    return app
