"""The emulator's switchable webhook faults: parsed strictly, drawn deterministically."""

from __future__ import annotations

from collections import Counter

import pytest

from pdsync.emulator.webhook_faults import FaultPlanner, parse_webhook_faults
from pdsync.errors import ConfigError


def test_rates_are_honoured_and_deterministic() -> None:
    faults = parse_webhook_faults("drop=0.1,duplicate=0.2,reorder=0.1,delay=0.1,delay_ms=500")
    planner = FaultPlanner(faults, seed=3)
    plans = [planner.plan(sequence, 1) for sequence in range(4000)]
    assert plans == [FaultPlanner(faults, seed=3).plan(s, 1) for s in range(4000)]
    kinds = Counter("drop" if p.copies == 0 else "dup" if p.copies == 2 else p.delay for p in plans)
    assert abs(kinds["drop"] / 4000 - 0.1) < 0.02
    assert abs(kinds["dup"] / 4000 - 0.2) < 0.03
    assert abs(kinds[0.25] / 4000 - 0.1) < 0.02  # reorder: held back 250 ms
    assert abs(kinds[0.5] / 4000 - 0.1) < 0.02
    assert plans != [FaultPlanner(faults, seed=4).plan(s, 1) for s in range(4000)]


def test_no_faults_by_default() -> None:
    planner = FaultPlanner(parse_webhook_faults(None), seed=1)
    assert {planner.plan(s, 1).copies for s in range(100)} == {1}


@pytest.mark.parametrize("spec", ["drop", "drop=2", "lose=0.1", "drop=x", "drop=0.6,duplicate=0.6"])
def test_bad_specs(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_webhook_faults(spec)
