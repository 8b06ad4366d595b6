"""Settings of one emulated Pipedrive account."""

from __future__ import annotations

from dataclasses import dataclass, field

# Named account sizes: number of deals; other objects are in proportion (see dataset).
SIZES: dict[str, int] = {
    "tiny": 50,
    "small": 1_000,
    "medium": 100_000,
    "large": 1_000_000,
}

PLANS = ("lite", "growth", "premium", "ultimate")

# Requests per rolling 2-second window, per token (fact sheet §4).
BURST_API_TOKEN = {"lite": 20, "growth": 40, "premium": 100, "ultimate": 120}
BURST_OAUTH = {"lite": 80, "growth": 160, "premium": 400, "ultimate": 480}
BURST_SEARCH = 10
PLAN_MULTIPLIER = {"lite": 1, "growth": 2, "premium": 5, "ultimate": 7}
DAILY_TOKENS_PER_SEAT = 30_000

# Deliberate departures from Pipedrive, to test clients against a server that misbehaves
# in a way faults cannot express (a well-formed answer in the wrong order).
QUIRKS: dict[str, str] = {
    "ignore_sort": "v1 lists ignore `sort` and serve their default order (notes and files "
    "by id, leads by add_time, legacy lists by id)",
}

DEFAULT_TOKEN = "emulator-token-0123456789abcdef"
DEFAULT_COMPANY_DOMAIN = "acme"


def parse_size(value: str | int) -> int:
    """``tiny|small|medium|large`` or a number of deals."""
    if isinstance(value, int):
        return value
    key = value.strip().lower()
    if key in SIZES:
        return SIZES[key]
    try:
        deals = int(key.replace("_", ""))
    except ValueError:
        raise ValueError(
            f"size must be one of {', '.join(SIZES)} or a number of deals, not {value!r}"
        ) from None
    if deals < 0:
        raise ValueError("size must not be negative")
    return deals


@dataclass
class EmulatorConfig:
    seed: int = 1
    deals: int = SIZES["small"]
    plan: str = "growth"
    seats: int = 5
    token: str = DEFAULT_TOKEN
    company_domain: str = DEFAULT_COMPANY_DOMAIN
    latency_ms: float = 0.0  # base latency per request; a small per-record cost is added
    latency_per_record_ms: float = 0.05  # added per record a list returns (when latency_ms > 0)
    faults: str | None = None  # "rate=0.2[,kinds=500|502|...]" or "script=PATH"
    rate_limits: bool = True  # burst window + daily budget; off for throughput benchmarks
    daily_budget: int | None = None  # overrides 30,000 × plan multiplier × seats
    oauth_client_id: str = "emulator-client"
    oauth_client_secret: str = "emulator-client-secret"
    access_token_ttl: int = 3599  # seconds, as Pipedrive's example
    webhook_retry_delays: tuple[float, ...] = (3.0, 30.0, 150.0)
    webhook_timeout: float = 10.0
    extra_tokens: dict[str, int] = field(default_factory=dict)  # token -> user id
    quirks: frozenset[str] = frozenset()  # names from QUIRKS

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"plan must be one of {', '.join(PLANS)}, not {self.plan!r}")
        if self.seats < 1:
            raise ValueError("seats must be at least 1")
        self.quirks = frozenset(self.quirks)
        unknown = sorted(self.quirks - set(QUIRKS))
        if unknown:
            raise ValueError(f"unknown quirk {unknown[0]!r}: known quirks are {', '.join(QUIRKS)}")

    @property
    def budget(self) -> int:
        if self.daily_budget is not None:
            return self.daily_budget
        return DAILY_TOKENS_PER_SEAT * PLAN_MULTIPLIER[self.plan] * self.seats
