"""Check a request against its operation before a request (and its tokens) is spent.

What the spec states is checked: path parameters' types, required query parameters,
unknown query parameters (a typo would otherwise be ignored by Pipedrive and the
answer silently unfiltered), types, enums and bounds; in a body, the required
properties and the types and enums of the properties the spec declares. Unknown body
properties pass: v1 records take custom fields as top-level hash keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pdsync.errors import ConfigError
from pdsync.operations.catalog import Operation, Param


class InvalidRequestError(ConfigError):
    """The request breaks the official spec of its operation; nothing was sent."""

    default_hint = (
        "Fix the parameter (the valid choices are above), or add --no-validate if the "
        "spec lags behind the API."
    )


def validate_request(
    op: Operation,
    path_values: Mapping[str, str],
    query: Mapping[str, Any],
    body: Mapping[str, Any] | None,
) -> None:
    problems: list[str] = []
    for param in op.params:
        if param.location == "path":
            value = path_values.get(re.sub(r"\W", "_", param.name))
            if value is not None:
                problems += _check(param, value, from_text=True)
    known = op.query_params()
    for name, value in query.items():
        found = known.get(name)
        if found is None:
            close = difflib.get_close_matches(name, list(known), 1)
            choice = f"did you mean {close[0]!r}? " if close else ""
            valid = ", ".join(sorted(known)) or "none"
            problems.append(f"unknown query parameter {name!r} ({choice}valid: {valid})")
            continue
        problems += _check(found, value, from_text=isinstance(value, str))
    for param in known.values():
        if param.required and param.name not in query:
            problems.append(f"missing required query parameter {param.name!r}")
    if body is not None and op.body is None and op.method in ("GET", "DELETE"):
        problems.append(f"{op.method} takes no body; give its parameters as -f name=value")
    if op.body is not None and op.method in ("POST", "PUT", "PATCH"):
        given = body or {}
        for name in op.body.required:
            if name not in given:
                problems.append(f"missing required body property {name!r}")
        for name, value in given.items():
            spec = op.body.properties.get(name)
            if spec is not None and value is not None:
                problems += _check(spec, value, from_text=False)
    if problems:
        raise InvalidRequestError(f"{op.label()}: " + "; ".join(problems) + ".")


def _check(param: Param, value: Any, *, from_text: bool) -> list[str]:
    where = (
        f"{param.location} parameter {param.name!r}"
        if param.location != "body"
        else (f"body property {param.name!r}")
    )
    if param.enum:
        allowed = [str(v) for v in param.enum]
        parts = str(value).split(",") if from_text and "," in str(value) else [str(value)]
        bad = [p for p in parts if p not in allowed]
        if bad:
            return [f"{where} must be one of {', '.join(allowed)}, not {', '.join(bad)!r}"]
    kinds = param.type if isinstance(param.type, tuple) else (param.type,)
    if not kinds or None in kinds or any(_fits(kind, value, from_text) for kind in kinds if kind):
        return _bounds(param, value, where)
    return [f"{where} must be {' or '.join(k for k in kinds if k)}, not {value!r}"]


def _fits(kind: str, value: Any, from_text: bool) -> bool:
    if from_text:
        text = str(value).strip()
        if kind == "integer":
            return re.fullmatch(r"-?\d+", text) is not None
        if kind == "number":
            return re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text) is not None
        if kind == "boolean":
            return text.lower() in ("true", "false", "0", "1")
        return True  # strings, and arrays/objects given as text (comma lists, JSON)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool) or value in (0, 1)
    if kind == "string":
        return isinstance(value, str)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


def _bounds(param: Param, value: Any, where: str) -> list[str]:
    if param.minimum is None and param.maximum is None:
        return []
    try:
        number = float(value)
    except (TypeError, ValueError):
        return []
    if param.minimum is not None and number < param.minimum:
        return [f"{where} must be at least {param.minimum:g}, not {value!r}"]
    if param.maximum is not None and number > param.maximum:
        return [f"{where} must be at most {param.maximum:g}, not {value!r}"]
    return []
