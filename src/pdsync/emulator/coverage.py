"""Which official Pipedrive operations the emulator serves.

The official list is ``pdsync/data/endpoints.tsv`` (a copy of the specs' ENDPOINTS.tsv:
every operation of the v1 and v2 specs, with ``deprecated``). An operation is served
when the emulator's router has a route for its method and path template. Templates are
compared by shape: parameter names do not count (``/deals/{id}`` is ``/deals/{deal_id}``),
nor does a trailing slash (the router ignores it), and ``/v1/...`` is ``/api/v1/...``.

Routes that no official operation has (apart from the emulator's own ``/_emulator/*``)
are reported as ``unofficial``: usually a typo in a template.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from pdsync.emulator.http import normalise_path

_PARAM = re.compile(r"\{[^/{}]+\}")
CONTROL_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class OfficialOperation:
    version: str  # "v1", "v2" (the spec the row comes from)
    method: str
    path: str
    operation_id: str
    deprecated: bool
    summary: str


@dataclass(frozen=True)
class CoverageRow:
    operation: OfficialOperation
    served: bool

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self.operation), "served": self.served}


@dataclass(frozen=True)
class Coverage:
    rows: list[CoverageRow]
    unofficial: list[tuple[str, str]]  # (method, template) routes no official operation has

    def totals(self) -> dict[str, dict[str, int]]:
        """``{"current": {...}, "deprecated": {...}, "all": {...}}``, each ``served``/``total``."""
        out = {}
        for name, keep in (
            ("current", lambda r: not r.operation.deprecated),
            ("deprecated", lambda r: r.operation.deprecated),
            ("all", lambda r: True),
        ):
            chosen = [r for r in self.rows if keep(r)]
            out[name] = {"served": sum(r.served for r in chosen), "total": len(chosen)}
        return out

    def summary(self) -> str:
        t = self.totals()
        return (
            f"Served {t['current']['served']} of {t['current']['total']} current operations, "
            f"{t['deprecated']['served']} of {t['deprecated']['total']} deprecated "
            f"({t['all']['served']} of {t['all']['total']} in all)."
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "operations": [r.as_dict() for r in self.rows],
            "totals": self.totals(),
            "unofficial_routes": [{"method": m, "path": p} for m, p in self.unofficial],
        }


def shape(path: str) -> str:
    """A path template with its parameter names erased: ``/api/v1/deals/{}/flow``."""
    return _PARAM.sub("{}", normalise_path(path))


def official_operations() -> list[OfficialOperation]:
    """Every row of the packaged ENDPOINTS.tsv, in its order."""
    text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text("utf-8")
    return [
        OfficialOperation(
            version=row["version"],
            method=row["method"].upper(),
            path=row["path"],
            operation_id=row["operationId"],
            deprecated=row["deprecated"] == "yes",
            summary=row["summary"],
        )
        for row in csv.DictReader(io.StringIO(text), delimiter="\t")
    ]


def compute(
    routes: Iterable[tuple[str, str]], operations: list[OfficialOperation] | None = None
) -> Coverage:
    """Coverage of ``operations`` (default: the official list) by router ``routes``."""
    official = operations if operations is not None else official_operations()
    served = {(method.upper(), shape(template)) for method, template in routes}
    known = {(op.method, shape(op.path)) for op in official}
    rows = [CoverageRow(op, (op.method, shape(op.path)) in served) for op in official]
    unofficial = sorted(
        {
            (method.upper(), template)
            for method, template in routes
            if not template.startswith(CONTROL_PREFIX)
            and (method.upper(), shape(template)) not in known
        }
    )
    return Coverage(rows, unofficial)


def emulator_routes() -> list[tuple[str, str]]:
    """The (method, template) routes of an emulator, as every account has them."""
    from pdsync.emulator.app import Emulator
    from pdsync.emulator.config import EmulatorConfig

    emulator = Emulator(EmulatorConfig(deals=1, rate_limits=False))
    routes = emulator.router.templates()
    close = getattr(getattr(emulator, "edges", None), "close", None)
    if callable(close):
        close()  # the webhook sender
    return routes


def emulator_coverage() -> Coverage:
    return compute(emulator_routes())
