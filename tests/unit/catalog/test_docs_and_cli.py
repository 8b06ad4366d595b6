"""docs/streams.md is generated from the registry; `pdsync discover --offline` prints it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from pdsync.catalog import CATALOG
from pdsync.cli import main

ROOT = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_streams_doc.py"
    spec = importlib.util.spec_from_file_location("gen_streams_doc", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_streams_doc_is_up_to_date() -> None:
    doc = (ROOT / "docs" / "streams.md").read_text("utf-8")
    assert doc == _generator().render(), "run: python scripts/gen_streams_doc.py"
    for name in CATALOG:
        assert f"### {name}\n" in doc


def test_discover_offline_lists_every_stream_and_column() -> None:
    result = CliRunner().invoke(main, ["discover", "--offline"])
    assert result.exit_code == 0, result.output
    for name in CATALOG:
        assert f"\n{name}  (" in "\n" + result.output
    assert "primary_email" in result.output and "emails[primary]" in result.output


def test_discover_offline_json_selected_streams() -> None:
    result = CliRunner().invoke(main, ["discover", "--offline", "--json", "deals", "deal_products"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["name"] for s in data["streams"]] == ["deals", "deal_products"]
    deals, products = data["streams"]
    assert deals["passes"] == [{"name": "deleted", "params": {"status": "deleted"}}]
    assert deals["incremental"]["since_param"] == "updated_since"
    assert products["parent"]["via"] == "deal_ids" and products["parent"]["batch_size"] == 100
    assert {"name": "_pdsync_deleted_at", "type": "timestamp", "source": "pdsync"} in deals[
        "columns"
    ]


def test_discover_unknown_stream_exits_2_with_a_hint() -> None:
    result = CliRunner().invoke(main, ["discover", "--offline", "dealz"])
    assert result.exit_code == 2
    assert "Unknown stream 'dealz'" in result.output
