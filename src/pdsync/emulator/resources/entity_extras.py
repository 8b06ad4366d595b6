"""Registers the history, mail and per-entity relation operations (one line in
:func:`pdsync.emulator.resources.register_all`, so families added in parallel merge cleanly)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    from pdsync.emulator.resources import (
        call_logs,
        conversions,
        deal_money,
        deal_reports,
        followers_v1,
        history,
        mail,
        note_comments,
        person_product,
        product_extras,
    )

    modules = (history, followers_v1, mail, deal_money, conversions, product_extras,
               person_product, note_comments, call_logs, deal_reports)  # fmt: skip
    for module in modules:
        module.register(router, store)
