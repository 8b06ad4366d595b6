"""Switchable faults of webhook delivery, for testing subscribers (``--webhook-faults``).

Pipedrive's delivery is at-least-once and unordered: a delivery may come twice, late,
after a later event of the same record, or (after a ban, or an outage on either side)
not at all. A subscriber has to cope with each; these faults make each happen on purpose.

Spec string, comma-separated ``key=value`` pairs::

    drop=0.02        share of events never delivered to a webhook (lost, as during a ban)
    duplicate=0.05   share delivered twice (same ``meta.id``), the copy a little later
    reorder=0.05     share held back ``reorder_ms`` so later events overtake them
    delay=0.1        share held back ``delay_ms``
    reorder_ms=250   (default 250)
    delay_ms=1000    (default 1000)

Which event gets which fault is drawn from the emulator's seed and the event's
sequence number and webhook id, so a run with the same seed and the same writes
gets the same faults whatever the thread timing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pdsync.errors import ConfigError

_RATES = ("drop", "duplicate", "reorder", "delay")
_HINT = (
    "Use --webhook-faults 'drop=0.02,duplicate=0.05,reorder=0.05[,delay=0.1]"
    "[,reorder_ms=250][,delay_ms=1000]'; see docs/emulator.md."
)
DUPLICATE_GAP_S = 0.05  # the copy of a duplicated delivery follows the original by this much


@dataclass(frozen=True)
class WebhookFaults:
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    delay: float = 0.0
    reorder_ms: float = 250.0
    delay_ms: float = 1000.0

    @property
    def active(self) -> bool:
        return any(getattr(self, name) > 0 for name in _RATES)


@dataclass(frozen=True)
class Plan:
    """What happens to one event's delivery to one webhook."""

    copies: int  # 0 = dropped, 1 = normal, 2 = duplicated
    delay: float  # seconds before the first copy is sent


NORMAL = Plan(1, 0.0)


def parse_webhook_faults(spec: str | None) -> WebhookFaults:
    if spec is None or not spec.strip():
        return WebhookFaults()
    values: dict[str, float] = {}
    for item in spec.split(","):
        key, sep, raw = item.strip().partition("=")
        if not sep or key not in (*_RATES, "reorder_ms", "delay_ms"):
            raise ConfigError(f"Invalid webhook fault spec item {item.strip()!r}.", hint=_HINT)
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(
                f"Webhook fault {key} is {raw!r}, not a number.", hint=_HINT
            ) from None
        if value < 0 or (key in _RATES and value > 1):
            raise ConfigError(
                f"Webhook fault {key}={raw} is out of range (rates 0..1, times >= 0).", hint=_HINT
            )
        values[key] = value
    faults = WebhookFaults(**values)
    if faults.drop + faults.duplicate + faults.reorder + faults.delay > 1:
        raise ConfigError("Webhook fault rates add up to more than 1.", hint=_HINT)
    return faults


class FaultPlanner:
    """Draws the :class:`Plan` of each (event, webhook) pair, deterministically."""

    def __init__(self, faults: WebhookFaults, seed: int) -> None:
        self.faults = faults
        self.seed = seed

    def plan(self, sequence: int, webhook_id: int) -> Plan:
        f = self.faults
        if not f.active:
            return NORMAL
        draw = random.Random(f"{self.seed}:{sequence}:{webhook_id}").random()
        if draw < f.drop:
            return Plan(0, 0.0)
        draw -= f.drop
        if draw < f.duplicate:
            return Plan(2, 0.0)
        draw -= f.duplicate
        if draw < f.reorder:
            return Plan(1, f.reorder_ms / 1000)
        draw -= f.reorder
        if draw < f.delay:
            return Plan(1, f.delay_ms / 1000)
        return NORMAL
