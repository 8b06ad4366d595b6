"""Shared pytest setup: the emulator fixtures (emulator_server, emulator_config), Hypothesis profiles.

Property tests run *derandomized* by default and in CI (profile ``ci``): the same
examples every run, so a red build is never a coin toss. ``make fuzz`` runs them
randomized with more examples (profile ``fuzz``, ``--hypothesis-profile=fuzz``); a
failure it finds is printed with the ``@reproduce_failure`` line to replay it.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pdsync.testing.fixtures"]

# Timing is not what property tests check: on a loaded machine a deadline or the
# too-slow health check would turn a green run red at random.
_STEADY = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "print_blob": True}
settings.register_profile("ci", derandomize=True, database=None, **_STEADY)
settings.register_profile("fuzz", derandomize=False, max_examples=500, **_STEADY)


def pytest_configure(config: pytest.Config) -> None:
    # An explicit --hypothesis-profile wins (Hypothesis' own plugin loads it); otherwise
    # HYPOTHESIS_PROFILE, else the derandomized CI profile (CI=true or not).
    if not config.getoption("hypothesis_profile", None):
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "ci")
