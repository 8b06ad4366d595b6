"""Parsing ``--faults``: by probability (``rate=0.2``) or by script (``script=PATH``).

Spec string, comma-separated ``key=value`` pairs (a bare value continues the previous
key's list, so ``kinds=500,502`` and ``kinds=500|502`` are the same)::

    rate=0.2                        a fifth of API requests fail, kind drawn from `kinds`
    kinds=500,502,503,timeout,reset,truncated,malformed,null_data   (default: all)
    timeout_s=35                    how long a `timeout` response is held back
    script=faults.yaml              a file saying which request gets which fault

A script is a YAML or JSON list of rules (or a mapping with ``rules:`` and optional
``timeout_s:``). Each rule names a ``fault`` and either ``request: N`` (the N-th API
request the emulator receives, counting from 1) or ``match: "GET /api/v2/deals*"`` (a
glob on ``METHOD PATH``) with optional ``nth: K`` (only the K-th matching request;
without it every matching request). ``apply: true`` runs the handler before failing,
so a write lands although the client sees the fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pdsync.errors import ConfigError

FAULT_KINDS = ("500", "502", "503", "timeout", "reset", "truncated", "malformed", "null_data")
DEFAULT_TIMEOUT_S = 35.0
_HINT = (
    "Use --faults 'rate=0.2[,kinds=500,503,reset][,timeout_s=35]' or --faults script=PATH; "
    "see docs/emulator-limits-and-faults.md."
)


@dataclass(frozen=True)
class FaultRule:
    fault: str
    request: int | None = None
    match: str | None = None
    nth: int | None = None
    apply: bool = False


@dataclass(frozen=True)
class FaultSpec:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    timeout_s: float = DEFAULT_TIMEOUT_S
    rules: tuple[FaultRule, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return self.rate > 0 or bool(self.rules)


def _bad(message: str) -> ConfigError:
    return ConfigError(f"Invalid fault spec: {message}", hint=_HINT)


def _check_kind(kind: object) -> str:
    text = str(kind).strip().lower()
    if text not in FAULT_KINDS:
        raise _bad(f"unknown fault {kind!r}; known faults: {', '.join(FAULT_KINDS)}")
    return text


def _number(key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise _bad(f"{key} must be a number, not {value!r}") from None
    if number < 0:
        raise _bad(f"{key} must not be negative")
    return number


def _pairs(text: str) -> dict[str, list[str]]:
    pairs: dict[str, list[str]] = {}
    last: str | None = None
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if sep:
            last = key.strip().lower()
            pairs.setdefault(last, []).extend(v for v in value.split("|") if v.strip())
        elif last is not None:
            pairs[last].extend(v for v in part.split("|") if v.strip())
        else:
            raise _bad(f"expected key=value, got {part!r}")
    return pairs


def parse_fault_spec(text: str | None) -> FaultSpec:
    """The :class:`FaultSpec` for a ``--faults`` value (None or empty: no faults)."""
    if not text or not text.strip():
        return FaultSpec()
    pairs = _pairs(text)
    unknown = set(pairs) - {"rate", "kinds", "timeout_s", "script"}
    if unknown:
        raise _bad(f"unknown key(s) {', '.join(sorted(unknown))}")
    rate = _number("rate", pairs["rate"][-1]) if pairs.get("rate") else 0.0
    if rate > 1:
        raise _bad("rate is a probability between 0 and 1")
    kinds = tuple(_check_kind(k) for k in pairs.get("kinds", [])) or FAULT_KINDS
    timeout_s = _number("timeout_s", pairs["timeout_s"][-1]) if pairs.get("timeout_s") else None
    rules: tuple[FaultRule, ...] = ()
    if pairs.get("script"):
        script_timeout, rules = load_script(Path(pairs["script"][-1]))
        timeout_s = timeout_s if timeout_s is not None else script_timeout
    return FaultSpec(rate, kinds, DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s, rules)


def load_script(path: Path) -> tuple[float | None, tuple[FaultRule, ...]]:
    """Read a fault script: ``(timeout_s or None, rules)``."""
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"Cannot read fault script {path}: {exc.strerror}", hint="Check the path."
        ) from None
    except yaml.YAMLError as exc:
        raise _bad(f"{path} is not valid YAML/JSON ({exc})") from None
    timeout_s: float | None = None
    if isinstance(document, dict):
        if "timeout_s" in document:
            timeout_s = _number("timeout_s", str(document["timeout_s"]))
        document = document.get("rules")
    if not isinstance(document, list):
        raise _bad(f"{path} must hold a list of rules (or a mapping with `rules:`)")
    return timeout_s, tuple(_rule(entry, i) for i, entry in enumerate(document, 1))


def _positive_int(entry: dict[str, Any], key: str, index: int) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _bad(f"rule {index}: {key} must be a whole number from 1 up")
    return value


def _rule(entry: object, index: int) -> FaultRule:
    if not isinstance(entry, dict) or "fault" not in entry:
        raise _bad(f"rule {index} must be a mapping with a `fault`")
    unknown = set(entry) - {"fault", "request", "match", "nth", "apply"}
    if unknown:
        raise _bad(f"rule {index}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    request = _positive_int(entry, "request", index)
    nth = _positive_int(entry, "nth", index)
    match = entry.get("match")
    if (request is None) == (match is None):
        raise _bad(f"rule {index} needs exactly one of `request` or `match`")
    if match is not None and (not isinstance(match, str) or " " not in match.strip()):
        raise _bad(f"rule {index}: match is 'METHOD /path-glob', e.g. 'GET /api/v2/deals*'")
    if nth is not None and match is None:
        raise _bad(f"rule {index}: nth only goes with match")
    return FaultRule(
        fault=_check_kind(entry["fault"]),
        request=request,
        match=" ".join(match.split()) if isinstance(match, str) else None,
        nth=nth,
        apply=bool(entry.get("apply", False)),
    )
