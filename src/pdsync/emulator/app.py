"""The :class:`Emulator`: one account (store), its routes, and the WSGI app serving them.

``core_wsgi`` routes a request to a handler and maps problems to the API's error
envelope; ``wsgi`` is ``core_wsgi`` wrapped by the edges layer (auth, rate limits,
faults, latency, stats, webhooks — see :mod:`pdsync.emulator.edges`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pdsync.emulator import edges, render_v2
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.http import Request, Response, Router, WSGIEnviron, error_response
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources import register_all
from pdsync.emulator.resources.common import ApiProblem
from pdsync.emulator.store import Store

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
V1_EVENT_ENTITIES = frozenset({"lead", "note", "user", "file", "filter", "activity_type"})


class Emulator:
    """An emulated Pipedrive account, usable in-process or behind :class:`EmulatorServer`."""

    def __init__(
        self, config: EmulatorConfig | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(self.config, clock) if clock else Store(self.config)
        self.store.event_renderer = self._render_event
        self.router = Router()
        register_all(self.router, self.store)
        self.wsgi = edges.install(self)

    def _render_event(self, entity: str, record: dict[str, Any]) -> dict[str, Any]:
        if entity in V1_EVENT_ENTITIES:
            return V1Renderer(self.store).render(entity, record)
        return render_v2.render(entity, record, self.store.fields.get(entity))

    def handle(self, req: Request) -> Response:
        handler, template, params, path_exists = self.router.match(req.method, req.path)
        if handler is None:
            if path_exists:
                return error_response(405, f"Method {req.method} is not allowed for {req.path}")
            return error_response(404, "Unknown method .")
        req.path_params = params
        req.environ["emulator.template"] = template
        try:
            return handler(req)
        except ApiProblem as problem:
            return problem.response()
        except Exception:  # a bug in a handler must still answer like the API does
            log.exception("emulator handler failed: %s %s", req.method, req.path)
            return error_response(500, "Internal server error")

    def core_wsgi(
        self, environ: WSGIEnviron, start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.handle(Request.from_environ(environ))(environ, start_response)

    def transport(self) -> httpx.WSGITransport:
        """An httpx transport that calls this emulator in-process (no sockets)."""
        import httpx

        return httpx.WSGITransport(app=self.wsgi)
