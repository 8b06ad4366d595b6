"""The event destination: Segment-style analytics events, durably routed into Pipedrive."""

from __future__ import annotations

from pdsync.events_dest.config import EventsConfig, load_events_config
from pdsync.events_dest.model import Event, InvalidEventError, parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.payloads import EventRejected
from pdsync.events_dest.rules import PipedriveDestination
from pdsync.events_dest.service import EventsService, read_jsonl
from pdsync.events_dest.worker import DeliveryWorker

__all__ = [
    "DeliveryWorker",
    "Event",
    "EventRejected",
    "EventsConfig",
    "EventsService",
    "InvalidEventError",
    "Outbox",
    "PipedriveDestination",
    "load_events_config",
    "parse_event",
    "read_jsonl",
]
