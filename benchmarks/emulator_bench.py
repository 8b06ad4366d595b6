"""Emulator figures: start-up time, first-list cost, RSS, CPU per 500-record page, and
list-page throughput (records/s) in-process and over real HTTP with keep-alive.

Run: ``.venv/bin/python benchmarks/emulator_bench.py [--no-http] [tiny small medium large]``.
Each size runs in its own process so RSS is that account's alone (start-up, first pages
and the throughput walk included); the HTTP walk runs a server process of its own (see
``emulator_throughput.py``). Prints Markdown tables. Targets (issue 12): a 100k-deal
account starts in seconds, ≥ 20,000 records/s on one core, RSS ≤ 1 GB at 1M deals.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlencode

import emulator_throughput  # beside this script (the script's folder is on sys.path)


def measure(size: str) -> dict[str, float]:
    import httpx

    from pdsync.emulator.app import Emulator
    from pdsync.emulator.config import EmulatorConfig, parse_size

    started = time.perf_counter()
    emulator = Emulator(EmulatorConfig(deals=parse_size(size), rate_limits=False))
    startup = time.perf_counter() - started
    headers = {"x-api-token": emulator.config.token}
    client = httpx.Client(transport=emulator.transport(), base_url="http://e", headers=headers)
    started = time.perf_counter()
    client.get("/api/v2/deals", params={"limit": 500}).raise_for_status()
    first = time.perf_counter() - started
    started = time.perf_counter()
    client.get("/api/v2/deals", params={"limit": 500, "sort_by": "update_time"}).raise_for_status()
    first_sorted = time.perf_counter() - started
    figures = {"startup_s": startup, "first_page_s": first, "first_sorted_page_s": first_sorted}
    for name, path, params in (
        ("v2_page_cpu_ms", "/api/v2/deals", {"limit": 500}),
        ("v2_sorted_page_cpu_ms", "/api/v2/deals", {"limit": 500, "sort_by": "update_time"}),
        ("v1_page_cpu_ms", "/v1/deals", {"limit": 500}),
    ):
        figures[name] = _page_cpu_ms(emulator, path, params)
    for version in emulator_throughput.WALKS:
        walk = emulator_throughput.in_process(emulator, version)
        figures[f"{version}_inproc_records_per_s"] = walk["records_per_cpu_s"]
    figures.update(_search_figures(client, emulator.config.deals))
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


SEARCH_MAX_DEALS = 100_000  # a large account's first search indexes 1,000,000 persons (~40 s)


def _search_figures(client: Any, deals: int) -> dict[str, float]:
    """Wall time of the first person search (builds the index) and of the next ones."""
    if deals > SEARCH_MAX_DEALS or deals == 0:
        return {}
    email = client.get("/api/v2/persons", params={"limit": 1}).json()["data"][0]["emails"][0]
    params = {"term": email["value"], "fields": "email", "exact_match": "true"}
    started = time.perf_counter()
    client.get("/api/v2/persons/search", params=params).raise_for_status()
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(5):
        client.get("/api/v2/persons/search", params=params).raise_for_status()
    exact = (time.perf_counter() - started) / 5
    started = time.perf_counter()
    client.get("/api/v2/persons/search", params={"term": "ann", "limit": 100}).raise_for_status()
    partial = time.perf_counter() - started
    return {"search_first_s": first, "search_exact_ms": exact * 1000,
            "search_partial_ms": partial * 1000}  # fmt: skip


def _page_cpu_ms(emulator: Any, path: str, params: dict[str, object]) -> float:
    """Server CPU per page (the emulator's WSGI app called directly, edges included),
    walking 5 pages deep (cursor/offset) so it is not just the first page."""
    pages = 5
    cursor = None
    spent = 0.0
    for n in range(pages):
        query = dict(params)
        if cursor:
            query["cursor"] = cursor
        if path.startswith("/v1"):
            query["start"] = n * 500
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": urlencode(query),
            "wsgi.input": io.BytesIO(b""), "HTTP_X_API_TOKEN": emulator.config.token,
        }  # fmt: skip
        started = time.process_time()
        raw = b"".join(emulator.wsgi(environ, lambda *_: None))
        spent += time.process_time() - started
        cursor = (json.loads(raw).get("additional_data") or {}).get("next_cursor")
    return spent / pages * 1000


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(measure(sys.argv[2])))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--http":
        walks = {
            "plain": emulator_throughput.over_http(sys.argv[2], ("v2", "v1"), gzip=False),
            "gzip": emulator_throughput.over_http(sys.argv[2], ("v2",), gzip=True),
        }
        print(json.dumps(walks))
        return
    args = sys.argv[1:]
    http = "--no-http" not in args
    sizes = [a for a in args if a != "--no-http"] or ["tiny", "small", "medium", "large"]
    results = {size: _child("--one", size) for size in sizes}
    print(
        "| size | start-up s | first list s | first sorted list s | v2 page CPU ms | v2 sorted page CPU ms | v1 page CPU ms | first search s | exact search ms | partial search ms | RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for size, f in results.items():
        print(
            f"| {size} | {f['startup_s']:.3f} | {f['first_page_s']:.2f} | {f['first_sorted_page_s']:.2f} | "
            f"{f['v2_page_cpu_ms']:.1f} | {f['v2_sorted_page_cpu_ms']:.1f} | {f['v1_page_cpu_ms']:.1f} | "
            f"{_opt(f, 'search_first_s', '.2f')} | {_opt(f, 'search_exact_ms', '.1f')} | "
            f"{_opt(f, 'search_partial_ms', '.0f')} | {f['rss_mb']:.0f} |"
        )
    print()
    print(
        f"Throughput, records/s ({emulator_throughput.PAGES} pages of {emulator_throughput.PAGE} after a warm-up page; "
        "in-process = per CPU s of the app; HTTP = per CPU s of the server process / per wall s of one keep-alive client)"
    )
    print()
    print(
        "| size | v2 in-process | v1 in-process | v2 HTTP | v1 HTTP | v2 HTTP gzip | HTTP status, connections per walk |"
    )
    print("|---|---|---|---|---|---|---|")
    for size, f in results.items():
        row = f"| {size} | {f['v2_inproc_records_per_s']:,.0f} | {f['v1_inproc_records_per_s']:,.0f} |"
        if http:
            walks = _child("--http", size)
            plain, gz = walks["plain"], walks["gzip"]
            row += (
                f" {_rate(plain['v2'])} | {_rate(plain['v1'])} | {_rate(gz['v2'])} ({gz['v2']['encoding']}) |"
                f" {plain['v2']['status']}, {plain['v2']['connections']} |"
            )
        else:
            row += " n/a | n/a | n/a | n/a |"
        print(row)


def _child(mode: str, size: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, mode, size], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _rate(walk: dict[str, Any]) -> str:
    return f"{walk['records_per_server_cpu_s']:,.0f} / {walk['records_per_wall_s']:,.0f}"


def _opt(figures: dict[str, float], key: str, spec: str) -> str:
    return format(figures[key], spec) if key in figures else "n/a"


if __name__ == "__main__":
    main()
