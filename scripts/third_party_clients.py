"""Run published Pipedrive clients that nobody here wrote against the emulator.

pdsync and its emulator were written together, so where they share a misunderstanding
of the API their own tests agree. This script brings in outside truth: it installs a
published client from PyPI into a venv of its own, points it at an emulator (the only
change: the host it calls), runs it to completion, and compares what it extracted with
the emulator's own listing, read through plain HTTP calls written here.

    python scripts/third_party_clients.py                  # every client, 200 deals
    python scripts/third_party_clients.py --deals 500 --keep-output out/

Clients:
- ``tap-pipedrive`` (Singer, by Stitch; 2.1.0): v1 and v2 lists, ``api_token`` in the
  query on both versions, ``include_fields``, per-deal ``/v1/deals/{id}/flow`` and
  ``/v1/deals/{id}/products``, hosts without ``/api`` (``https://api.pipedrive.com/v1``).

It needs PyPI (one download into ``.cache/third-party/``), so it is not part of
``make test``; exit 0 when every client ran and every compared stream matched.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import venv
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "third-party"
TAP_VERSION = "2.1.0"

# The tap's BASE_URL is a module constant; the launcher sets it and runs the tap's own
# entry point, so nothing else of the client changes.
TAP_LAUNCHER = """
import sys
import tap_pipedrive.tap as tap
tap.BASE_URL = sys.argv.pop(1)
from tap_pipedrive.cli import main
main()
"""

# tap stream -> (path of the emulator's plain listing, pagination, primary key). The tap's
# deals stream asks for every status including deleted (``status=open,won,lost,deleted``),
# so its listing here does too.
TAP_STREAMS: dict[str, tuple[str, str, str]] = {
    "deals": ("/api/v2/deals?status=open,won,lost,deleted", "cursor", "id"),
    "persons": ("/api/v2/persons", "cursor", "id"),
    "organizations": ("/api/v2/organizations", "cursor", "id"),
    "activities": ("/api/v2/activities", "cursor", "id"),
    "products": ("/api/v2/products", "cursor", "id"),
    "pipelines": ("/api/v2/pipelines", "cursor", "id"),
    "stages": ("/api/v2/stages", "cursor", "id"),
    "notes": ("/api/v1/notes", "offset", "id"),
    "files": ("/api/v1/files", "offset", "id"),
    "users": ("/api/v1/users", "none", "id"),
    "filters": ("/api/v1/filters", "none", "id"),
    "activity_types": ("/api/v1/activityTypes", "none", "id"),
    "currency": ("/api/v1/currencies", "none", "id"),
    "deal_fields": ("/api/v1/dealFields", "offset", "id"),
}
# The tap's per-deal streams visit the live deals (its ``/api/v2/deals`` without status;
# every deal of the account was added after the configured start date).
DEALS_VISITED = "/api/v2/deals"
# dealflow keeps only the flow's field changes of ``add_time`` and ``stage_id`` (the tap's
# own filter, ``DealStageChangeStream.process_row``): the same filter is applied here.
FLOW_FIELDS = ("add_time", "stage_id")


@dataclass
class Outcome:
    client: str
    ran: bool = False
    error: str = ""
    compared: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    counted: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.ran and all(m == 0 and x == 0 for _, _, m, x in self.compared.values())


def ensure_venv(name: str, requirement: str) -> Path:
    """A venv under .cache/third-party/NAME with REQUIREMENT installed (once)."""
    home = CACHE / name
    python = home / "bin" / "python"
    stamp = home / ".installed"
    if stamp.exists() and stamp.read_text() == requirement:
        return python
    venv.EnvBuilder(with_pip=True, clear=True).create(home)
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", requirement],
        capture_output=True,
        text=True,
    )
    if installed.returncode != 0:
        raise SystemExit(f"could not install {requirement}:\n{installed.stderr[-2000:]}")
    stamp.write_text(requirement)
    return python


def plain_listing(base: str, token: str, path: str, paging: str) -> list[dict[str, Any]]:
    """Every record of a list, paged here without pdsync's client (outside truth)."""
    records: list[dict[str, Any]] = []
    # 100: the largest page every list accepts (v1 files stop at 100, others at 500).
    params: dict[str, Any] = {"limit": 100} if paging != "none" else {}
    # httpx replaces a URL's query by ``params``: move the path's own query into them.
    path, _, query = path.partition("?")
    params.update(httpx.QueryParams(query))
    with httpx.Client(base_url=base, headers={"x-api-token": token}, timeout=60) as http:
        while True:
            body = http.get(path, params=params).raise_for_status().json()
            records += body.get("data") or []
            extra = body.get("additional_data") or {}
            if paging == "cursor" and extra.get("next_cursor"):
                params["cursor"] = extra["next_cursor"]
            elif paging == "offset" and (extra.get("pagination") or {}).get(
                "more_items_in_collection"
            ):
                params["start"] = extra["pagination"]["next_start"]
            else:
                return records


def singer_records(lines: Iterator[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("type") == "RECORD":
            out[message["stream"]].append(message["record"])
    return out


def run_tap(server: EmulatorServer, work: Path) -> Outcome:
    outcome = Outcome(f"tap-pipedrive {TAP_VERSION}")
    python = ensure_venv("tap-pipedrive", f"tap-pipedrive=={TAP_VERSION}")
    config = work / "tap-config.json"
    config.write_text(
        json.dumps(
            {
                "api_token": server.config.token,
                "start_date": "2000-01-01T00:00:00Z",
                "user-agent": "pdsync third-party check",
            }
        )
    )
    launcher = [str(python), "-c", TAP_LAUNCHER, server.url]
    discovered = subprocess.run(
        [*launcher, "--config", str(config), "--discover"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if discovered.returncode != 0:
        outcome.error = "discover failed: " + discovered.stderr.strip()[-1500:]
        return outcome
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream.get("metadata", []):
            if not entry.get("breadcrumb"):
                entry["metadata"]["selected"] = True
    catalog_path = work / "tap-catalog.json"
    catalog_path.write_text(json.dumps(catalog))
    synced = subprocess.run(
        [*launcher, "--config", str(config), "--catalog", str(catalog_path)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    (work / "tap-output.jsonl").write_text(synced.stdout)
    (work / "tap-stderr.txt").write_text(synced.stderr)
    if synced.returncode != 0:
        outcome.error = "sync failed: " + synced.stderr.strip()[-1500:]
        return outcome
    outcome.ran = True
    extracted = singer_records(iter(synced.stdout.splitlines()))
    for stream, (path, paging, key) in TAP_STREAMS.items():
        truth = {r[key] for r in plain_listing(server.url, server.config.token, path, paging)}
        got = {r.get(key) for r in extracted.get(stream, [])}
        outcome.compared[stream] = (len(truth), len(got), len(truth - got), len(got - truth))
    deal_ids = sorted(r["id"] for r in plain_listing(server.url, server.config.token, DEALS_VISITED, "cursor"))  # fmt: skip
    for stream, truth_of in (("deal_products", deal_product_ids), ("dealflow", stage_change_ids)):
        truth = truth_of(server.url, server.config.token, deal_ids)
        got = {r.get("id") for r in extracted.get(stream, [])}
        outcome.compared[stream] = (len(truth), len(got), len(truth - got), len(got - truth))
    for stream, rows in extracted.items():
        if stream not in outcome.compared:
            outcome.counted[stream] = len(rows)
    return outcome


def deal_product_ids(base: str, token: str, deal_ids: list[int]) -> set[Any]:
    """Attachment ids of every visited deal, read from v2 (the tap reads v1)."""
    found: set[Any] = set()
    for deal_id in deal_ids:
        rows = plain_listing(base, token, f"/api/v2/deals/{deal_id}/products", "cursor")
        found.update(r["id"] for r in rows)
    return found


def stage_change_ids(base: str, token: str, deal_ids: list[int]) -> set[Any]:
    """Ids of the flow's ``add_time``/``stage_id`` changes of every visited deal."""
    found: set[Any] = set()
    for deal_id in deal_ids:
        rows = plain_listing(base, token, f"/api/v1/deals/{deal_id}/flow", "offset")
        found.update(
            r["data"]["id"]
            for r in rows
            if r["object"] == "dealChange" and r["data"].get("field_key") in FLOW_FIELDS
        )
    return found


def report(outcome: Outcome) -> None:
    print(f"\n{outcome.client}: {'ran to completion' if outcome.ran else 'FAILED'}")
    if outcome.error:
        print("  " + outcome.error.replace("\n", "\n  "))
    if outcome.compared:
        print(f"  {'stream':<16}{'emulator':>10}{'client':>10}{'missing':>10}{'extra':>8}")
        for stream, (truth, got, missing, extra) in outcome.compared.items():
            print(f"  {stream:<16}{truth:>10}{got:>10}{missing:>10}{extra:>8}")
    for stream, count in sorted(outcome.counted.items()):
        print(f"  {stream:<16}{'':>10}{count:>10}  (records; no plain listing to compare)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deals", type=int, default=200, help="size of the emulated account")
    parser.add_argument("--keep-output", type=Path, help="keep the clients' output here")
    args = parser.parse_args(argv)
    config = EmulatorConfig(deals=args.deals, rate_limits=False)
    with tempfile.TemporaryDirectory() as tmp, EmulatorServer(config) as server:
        work = args.keep_output or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        outcomes = [run_tap(server, work)]
    for outcome in outcomes:
        report(outcome)
    failed = [o.client for o in outcomes if not o.ok]
    print("\nall clients agree with the emulator" if not failed else f"\nfailed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
