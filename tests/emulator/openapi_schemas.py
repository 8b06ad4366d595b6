"""The official OpenAPI specs as JSON Schema validators, per (spec, method, path, status).

OpenAPI 3.0 is not JSON Schema: ``nullable`` is turned into a ``null`` type/option and
``$ref``s are inlined.

Two documented relaxations, both places where Pipedrive's published schemas disagree
with what the live API sends (and what the fact sheet tells the emulator to send):

- an object *property* may be ``null`` even when the schema omits ``nullable``
  (the live API returns ``"org_id": null``, ``"won_time": null`` … which the v2 spec
  types as plain integer/string); the envelope keys themselves stay strict;
- v1 field metadata: ``field_type`` of system fields (``int``, ``stage``, ``status`` …)
  is outside the enum the v1 spec lists (it lists only the creatable types).
- errata (``ERRATA``): single properties the spec types differently from the same data
  everywhere else, e.g. ``code`` of a product search item is typed integer while a
  product's ``code`` is a string in the product schema (and in the live API).

Everything else — types of non-null values, required keys, other enums — is checked. Parsed specs are cached as JSON in the temp dir (parsing the
2.7 MB YAML costs ~0.5 s; the JSON cache loads in ~50 ms).
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

SPEC_DIR = Path(__file__).resolve().parents[2] / "specs" / "pipedrive-openapi"
V2, V1, V1_OLD = "openapi-v2.yaml", "openapi-v1.yaml", "openapi-v1-2026-01-14-with-deprecated.yaml"


@cache
def load(name: str) -> dict[str, Any]:
    source = SPEC_DIR / name
    digest = hashlib.sha1(f"{source}:{source.stat().st_mtime_ns}".encode()).hexdigest()[:12]
    cached = Path(tempfile.gettempdir()) / f"pdsync-spec-{digest}.json"
    if cached.exists():
        data: dict[str, Any] = json.loads(cached.read_text())
        return data
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(source.read_text(), Loader=loader)
    cached.write_text(json.dumps(data))
    return data


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


def find_operation(name: str, method: str, path: str) -> dict[str, Any] | None:
    """The operation of ``path`` (spec-relative, e.g. ``/deals/{id}``) in spec ``name``."""
    spec = load(name)
    wanted = _shape(path)
    for candidate, ops in spec["paths"].items():
        if _shape(candidate) == wanted and method.lower() in ops:
            op: dict[str, Any] = ops[method.lower()]
            return op
    return None


def to_json_schema(
    node: Any, root: dict[str, Any], depth: int = 0, prop: str = "", nested: bool = False
) -> Any:
    """``prop``: the property this schema describes (or ""); ``nested``: the parent is a property.

    The envelope (``success``, ``data``, ``error`` … of the response object) stays strict;
    every property below it may also be null (see the module docstring).
    """
    if isinstance(node, list):
        return [to_json_schema(n, root, depth, prop, nested) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and depth < 30:
        target: Any = root
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return to_json_schema(target, root, depth + 1, prop, nested)
    if prop == "field_type":
        return {"type": ["string", "null"]}
    below = nested or bool(prop)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("nullable", "example", "examples", "format"):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {n: to_json_schema(v, root, depth, n, below) for n, v in value.items()}
        elif key in ("allOf", "anyOf", "oneOf", "not"):
            out[key] = to_json_schema(value, root, depth, prop, nested)
        else:
            out[key] = to_json_schema(value, root, depth, "", below)
    strict = not prop or (not nested and prop in ENVELOPE)
    if node.get("nullable") or not strict:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


ENVELOPE = frozenset({"success", "data", "additional_data", "error", "error_info"})


def response_validator(name: str, method: str, path: str, status: int) -> Draft7Validator | None:
    op = find_operation(name, method, path)
    if op is None:
        return None
    responses = op.get("responses", {})
    response = responses.get(str(status)) or (responses.get("default") if status >= 400 else None)
    if response is None:
        return None
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    converted = to_json_schema(schema, load(name))
    for prop, replacement in ERRATA.get((name, method.lower(), path), {}).items():
        _replace_property(converted, prop, replacement)
    return Draft7Validator(converted)


# (spec, method, path) -> {property name: schema that replaces the spec's}.
ERRATA: dict[tuple[str, str, str], dict[str, Any]] = {
    (V2, "get", "/products/search"): {"code": {"type": ["string", "null"]}},
    (V2, "get", "/itemSearch"): {"code": {"type": ["string", "null"]}},
    # A discount's id is a UUID everywhere (and the path parameter), the delete answer says integer.
    (V2, "delete", "/deals/{id}/discounts/{discount_id}"): {"id": {"type": "string"}},
}


def _replace_property(node: Any, prop: str, replacement: dict[str, Any]) -> None:
    if isinstance(node, list):
        for child in node:
            _replace_property(child, prop, replacement)
    elif isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and prop in node["properties"]:
            node["properties"][prop] = replacement
        for child in node.values():
            _replace_property(child, prop, replacement)


@cache
def error_validator(name: str) -> Draft7Validator:
    """For an error the operation does not declare: the spec's own 404 error schema."""
    spec = load(name)
    for ops in spec["paths"].values():
        for op in ops.values():
            if not isinstance(op, dict):
                continue
            schema = (
                op.get("responses", {})
                .get("404", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            if schema and "error" in json.dumps(schema):
                return Draft7Validator(to_json_schema(schema, spec))
    raise LookupError(f"{name} declares no error schema")
