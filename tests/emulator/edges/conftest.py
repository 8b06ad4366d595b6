"""Fixtures live in :mod:`edge_fixtures` (a unique name: ``conftest`` is taken by tests/)."""

from edge_fixtures import harness, make_harness, serve_wsgi, subscriber

__all__ = ["harness", "make_harness", "serve_wsgi", "subscriber"]
