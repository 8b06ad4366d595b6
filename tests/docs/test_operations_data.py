"""src/pdsync/data/operations.json is generated from the official specs and must be fresh."""

from __future__ import annotations

import csv

from pdsync.operations import OperationCatalog

from .scripts import ROOT, load_script

gen = load_script("gen_operations")


def test_operations_json_is_fresh() -> None:
    assert gen.main(["--check"]) == 0, "run: python scripts/gen_operations.py"


def test_every_listed_operation_is_in_the_catalog() -> None:
    """Cross-check against ENDPOINTS.tsv, a listing made apart from the generator."""
    rows = csv.DictReader(
        (ROOT / "specs" / "pipedrive-openapi" / "ENDPOINTS.tsv").open(), delimiter="\t"
    )
    listed = {(r["method"], r["path"].rstrip("/")) for r in rows if r["path"].startswith("/api/")}
    ours = {(op.method, op.path) for op in OperationCatalog.load().operations}
    assert listed - ours == set()
