"""docs/emulator-coverage.md is generated and must match what the emulator serves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pdsync.emulator.coverage import compute, emulator_coverage, official_operations, shape

from .scripts import DOCS, ROOT, load_script

gen = load_script("gen_emulator_coverage")
ROW = re.compile(r"^\| (yes|no) \| ([A-Z]+) \| `([^`]+)` \| `([^`]+)` \|", re.M)
VENDORED_ENDPOINTS = ROOT / "specs" / "pipedrive-openapi" / "ENDPOINTS.tsv"


def page_rows() -> dict[tuple[str, str, str], bool]:
    doc = (DOCS / "emulator-coverage.md").read_text("utf-8")
    return {(m, p, op): served == "yes" for served, m, p, op in ROW.findall(doc)}


def test_page_is_up_to_date() -> None:
    doc = (DOCS / "emulator-coverage.md").read_text("utf-8")
    assert doc == gen.render(), f"docs/emulator-coverage.md is stale: run {gen.REGENERATE}"


def test_page_claims_exactly_what_the_router_serves() -> None:
    """Checked against the router itself (not the generator), both ways."""
    from pdsync.emulator.app import Emulator
    from pdsync.emulator.config import EmulatorConfig

    emulator = Emulator(EmulatorConfig(deals=1, rate_limits=False))
    routes = {(m, shape(t)) for m, t in emulator.router.templates()}
    emulator.edges.close()
    rows = page_rows()
    official = official_operations()
    assert len(rows) == len(official), "the page must list every official operation once"
    for op in official:
        key = (op.method, op.path, op.operation_id)
        assert key in rows, f"{key} is missing from the page"
        served = (op.method, shape(op.path)) in routes
        if served:
            assert rows[key], f"{key} is served but the page says no: run {gen.REGENERATE}"
        else:
            assert not rows[key], f"{key} is claimed but not served: run {gen.REGENERATE}"


def test_parameter_names_do_not_matter() -> None:
    ops = [op for op in official_operations() if op.path == "/api/v2/deals/{id}"]
    assert ops
    renamed = compute([(op.method, "/api/v2/deals/{deal_id}/") for op in ops], ops)
    assert all(row.served for row in renamed.rows) and not renamed.unofficial
    other = compute([("GET", "/v1/deals/{id}/nothing")], ops)
    assert not any(row.served for row in other.rows)
    assert other.unofficial == [("GET", "/v1/deals/{id}/nothing")]


def test_totals_add_up() -> None:
    report = emulator_coverage()
    totals = report.totals()
    assert totals["all"]["total"] == len(official_operations())
    assert totals["current"]["served"] + totals["deprecated"]["served"] == totals["all"]["served"]
    assert report.summary() in gen.render(report)


def test_packaged_endpoints_are_the_vendored_official_list() -> None:
    from importlib import resources

    packaged = resources.files("pdsync.data").joinpath("endpoints.tsv").read_bytes()
    assert packaged == VENDORED_ENDPOINTS.read_bytes()


def test_check_mode_reports_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "emulator-coverage.md"
    stale.write_text("# old\n", "utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    assert gen.main_(["--check"]) == 1
    assert gen.main_([]) == 0
    assert gen.main_(["--check"]) == 0


def test_cli_coverage_text_json_and_missing() -> None:
    import json

    from click.testing import CliRunner

    from pdsync.cli import main

    report = emulator_coverage()
    unserved = [r for r in report.rows if not r.served]
    text = CliRunner().invoke(main, ["emulator", "coverage"])
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert lines[-1] == report.summary()
    assert len([line for line in lines if line.startswith(("yes", "no "))]) == len(report.rows)
    missing = CliRunner().invoke(main, ["emulator", "coverage", "--missing", "--json"])
    payload = json.loads(missing.output)
    assert [op["operation_id"] for op in payload["operations"]] == [
        r.operation.operation_id for r in unserved
    ]
    assert not any(op["served"] for op in payload["operations"])
    assert payload["totals"] == report.totals()
