"""Generate src/pdsync/data/operations.json from Pipedrive's official OpenAPI specs.

`pdsync api` validates a request against the operation it names before sending it;
the package cannot carry 4 MB of YAML for that, so this keeps what validation needs:
per operation its method, path, id, summary, token cost, scopes, deprecation, and the
parameters and top-level body properties with their types, enums and bounds.

    python scripts/gen_operations.py          # rewrite the file
    python scripts/gen_operations.py --check  # exit 1 if it is stale
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs" / "pipedrive-openapi"
OUT = ROOT / "src" / "pdsync" / "data" / "operations.json"
# (file, URL prefix); the legacy file adds the deprecated v1 operations real clients still call.
SOURCES = (
    ("openapi-v2.yaml", "/api/v2"),
    ("openapi-v1.yaml", "/api/v1"),
    ("openapi-v1-2026-01-14-with-deprecated.yaml", "/api/v1"),
)
METHODS = ("get", "post", "put", "patch", "delete")
KEPT = ("type", "enum", "minimum", "maximum", "format", "default", "nullable")


def resolve(spec: dict[str, Any], node: Any, depth: int = 0) -> Any:
    """Follow ``$ref`` and merge ``allOf`` (enough for top-level properties)."""
    if not isinstance(node, dict) or depth > 20:
        return node
    if "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return resolve(spec, target, depth + 1)
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            part = resolve(spec, part, depth + 1)
            merged["properties"].update(part.get("properties") or {})
            merged["required"] += part.get("required") or []
        return merged
    return node


def shape(spec: dict[str, Any], schema: Any) -> dict[str, Any]:
    schema = resolve(spec, schema or {})
    if not isinstance(schema, dict):
        return {}
    if "oneOf" in schema or "anyOf" in schema:
        options = [resolve(spec, s) for s in schema.get("oneOf") or schema.get("anyOf") or []]
        types = sorted(
            {str(o.get("type")) for o in options if isinstance(o, dict) and o.get("type")}
        )
        return {"type": types} if types else {}
    out = {k: schema[k] for k in KEPT if k in schema}
    if schema.get("type") == "array":
        items = resolve(spec, schema.get("items") or {})
        if isinstance(items, dict) and items.get("type"):
            out["items"] = {k: items[k] for k in ("type", "enum") if k in items}
    return out


def body_of(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = (op.get("requestBody") or {}).get("content") or {}
    for media in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data"):
        if media in content:
            schema = resolve(spec, content[media].get("schema") or {})
            props = schema.get("properties") or {}
            return {
                "media": media,
                "required": sorted(set(schema.get("required") or [])),
                "properties": {name: shape(spec, p) for name, p in sorted(props.items())},
            }
    return None


def operations() -> list[dict[str, Any]]:
    seen: set[tuple[str, str]] = set()
    found: list[dict[str, Any]] = []
    for filename, prefix in SOURCES:
        spec = yaml.safe_load((SPECS / filename).read_text())
        for path, item in spec["paths"].items():
            shared = item.get("parameters") or []
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                key = (method.upper(), prefix + path)
                if key in seen:
                    continue
                seen.add(key)
                params = []
                for raw in [*shared, *(op.get("parameters") or [])]:
                    p = resolve(spec, raw)
                    params.append(
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": bool(p.get("required")),
                            **shape(spec, p.get("schema")),
                        }
                    )
                scopes = sorted(
                    {s for sec in op.get("security") or [] for v in sec.values() for s in v}
                )
                found.append(
                    {
                        "method": method.upper(),
                        "path": prefix + path,
                        "id": op.get("operationId", ""),
                        "summary": op.get("summary", ""),
                        "token_cost": op.get("x-token-cost"),
                        "deprecated": bool(op.get("deprecated")) or "deprecated" in filename,
                        "scopes": scopes,
                        "params": params,
                        "body": body_of(spec, op),
                    }
                )
    found.sort(key=lambda o: (o["path"], METHODS.index(o["method"].lower())))
    return found


def render() -> str:
    return json.dumps(operations(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run python scripts/gen_operations.py")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({len(json.loads(text))} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
