"""Emulator figures: start-up time, first-list cost, RSS and CPU per 500-record page.

Run: ``.venv/bin/python benchmarks/emulator_bench.py [tiny small medium large]``.
Each size runs in its own process so RSS is that account's alone. Prints a Markdown table.
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
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


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
    sizes = sys.argv[1:] or ["tiny", "small", "medium", "large"]
    print(
        "| size | start-up s | first list s | first sorted list s | v2 page CPU ms | v2 sorted page CPU ms | v1 page CPU ms | RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", size], capture_output=True, text=True, check=True
        )
        f = json.loads(out.stdout)
        print(
            f"| {size} | {f['startup_s']:.3f} | {f['first_page_s']:.2f} | {f['first_sorted_page_s']:.2f} | "
            f"{f['v2_page_cpu_ms']:.1f} | {f['v2_sorted_page_cpu_ms']:.1f} | {f['v1_page_cpu_ms']:.1f} | {f['rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
