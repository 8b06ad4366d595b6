"""The one write-or-check step every generator of a committed file shares.

``python scripts/gen_x.py`` rewrites the file; ``--check`` exits 1 when it is stale
(tests run the check), printing the command that regenerates it.
"""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(path: Path, text: str, argv: list[str], regenerate: str) -> int:
    if "--check" in argv:
        if not path.exists() or path.read_text("utf-8") != text:
            print(f"{path} is stale: run {regenerate}", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, "utf-8")
    print(f"wrote {path}")
    return 0
