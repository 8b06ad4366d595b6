"""pdsync: move data between Pipedrive CRM and the places where teams keep and use data."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
