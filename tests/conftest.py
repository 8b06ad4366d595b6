"""Shared pytest setup: the emulator fixtures (emulator_server, emulator_config)."""

pytest_plugins = ["pdsync.testing.fixtures"]
