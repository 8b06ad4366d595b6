"""The operations of Pipedrive's official specs, loaded from ``pdsync/data/operations.json``.

That file is generated from the specs by ``scripts/gen_operations.py`` (a test keeps it
fresh). A path is matched as the user would type it: ``/v1/recents``,
``/api/v1/recents`` and ``/api/v2/deals/42`` all name their operation; ``{id}``-style
segments take any value and are returned by name.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pdsync.errors import ConfigError

Version = Literal["v1", "v2"]


class UnknownOperationError(ConfigError):
    """The method and path name no operation of Pipedrive's API."""

    default_hint = "Run `pdsync api --list FILTER` to see the operations and their paths."


@dataclass(frozen=True)
class Param:
    name: str
    location: str  # "query" | "path"
    required: bool
    type: str | tuple[str, ...] | None = None
    enum: tuple[Any, ...] = ()
    items_type: str | None = None
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Param:
        kind = raw.get("type")
        return cls(
            name=raw["name"],
            location=raw.get("in", "query"),
            required=bool(raw.get("required")),
            type=tuple(kind) if isinstance(kind, list) else kind,
            enum=tuple(raw.get("enum") or ()),
            items_type=(raw.get("items") or {}).get("type"),
            minimum=raw.get("minimum"),
            maximum=raw.get("maximum"),
        )


@dataclass(frozen=True)
class BodySpec:
    media: str
    required: tuple[str, ...]
    properties: dict[str, Param]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # "/api/v1/recents", "/api/v2/deals/{id}"
    id: str
    summary: str
    token_cost: int | None
    deprecated: bool
    scopes: tuple[str, ...]
    params: tuple[Param, ...]
    body: BodySpec | None

    @property
    def version(self) -> Version:
        return "v2" if self.path.startswith("/api/v2/") else "v1"

    @property
    def relative_template(self) -> str:
        """The path below ``/api/vN/``, as pdsync's client takes it."""
        return self.path.split("/", 3)[3]

    def query_params(self) -> dict[str, Param]:
        return {p.name: p for p in self.params if p.location == "query"}

    @property
    def paginated(self) -> bool:
        names = set(self.query_params())
        return self.method == "GET" and bool(names & {"cursor", "start"})

    def label(self) -> str:
        return f"{self.method} {self.path} ({self.id})"


def _operation(raw: dict[str, Any]) -> Operation:
    body = raw.get("body")
    return Operation(
        method=raw["method"],
        path=raw["path"],
        id=raw.get("id", ""),
        summary=raw.get("summary", ""),
        token_cost=raw.get("token_cost"),
        deprecated=bool(raw.get("deprecated")),
        scopes=tuple(raw.get("scopes") or ()),
        params=tuple(Param.from_json(p) for p in raw.get("params") or ()),
        body=None
        if body is None
        else BodySpec(
            media=body["media"],
            required=tuple(body.get("required") or ()),
            properties={
                name: Param.from_json({"name": name, "in": "body", **spec})
                for name, spec in (body.get("properties") or {}).items()
            },
        ),
    )


def normalise_path(path: str) -> str:
    """``/v1/recents`` or ``api/v2/deals/42?x=1`` → ``/api/v1/recents``, ``/api/v2/deals/42``."""
    text = path.strip().split("?", 1)[0]
    text = re.sub(r"^https?://[^/]+", "", text)
    text = "/" + text.strip("/")
    if re.match(r"^/v[12](/|$)", text):
        text = "/api" + text
    return text


class OperationCatalog:
    """Every operation of the official specs (current and deprecated)."""

    def __init__(self, operations: list[Operation]) -> None:
        self.operations = operations
        self._compiled = [(op, _template_regex(op.path)) for op in operations]

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> OperationCatalog:
        text = resources.files("pdsync.data").joinpath("operations.json").read_text("utf-8")
        return cls([_operation(raw) for raw in json.loads(text)])

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation ``method path`` names, with the values of its path parameters."""
        method = method.upper()
        wanted = normalise_path(path)
        if not re.match(r"^/api/v[12]/", wanted):
            raise UnknownOperationError(
                f"{path!r} is not a Pipedrive API path; it must start with /v1/, /api/v1/ or /api/v2/."
            )
        candidates = [
            (op, found.groupdict())
            for op, regex in self._compiled
            if (found := regex.match(wanted)) is not None
        ]
        # A literal segment beats a {parameter} (``deals/summary`` over ``deals/{id}``).
        candidates.sort(key=lambda c: -_literal_segments(c[0].path))
        for op, values in candidates:
            if op.method == method:
                return op, values
        if candidates:
            methods = sorted({op.method for op, _ in candidates})
            raise UnknownOperationError(
                f"{method} is not an operation of {wanted}; it takes {', '.join(methods)}."
            )
        close = difflib.get_close_matches(wanted, sorted({op.path for op in self.operations}), 3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise UnknownOperationError(f"Pipedrive's API has no path {wanted}.{hint}")

    def search(
        self, text: str | None = None, *, include_deprecated: bool = True
    ) -> list[Operation]:
        needle = (text or "").lower()
        return [
            op
            for op in self.operations
            if (include_deprecated or not op.deprecated)
            and (not needle or needle in f"{op.method} {op.path} {op.id} {op.summary}".lower())
        ]


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(
        f"(?P<{_group(part[1:-1])}>[^/]+)" if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(f"^{pattern}$")


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _literal_segments(template: str) -> int:
    return sum(1 for seg in template.split("/") if seg and not seg.startswith("{"))
