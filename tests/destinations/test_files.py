"""The files destination: the conformance suite in every format, plus files-only behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conformance import (
    DEALS,
    DEALS_WITH_CUSTOM,
    SYNCED,
    DestinationConformance,
    deal,
    rows_of,
    state,
)

from pdsync.destinations import Batch, Destination, files_io, open_destination
from pdsync.destinations.files import FilesDestination
from pdsync.errors import ConfigError, DestinationError
from pdsync.schema import DELETED_AT


@pytest.fixture(params=["parquet", "csv", "jsonl"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def destination_factory(tmp_path: Path, fmt: str) -> Callable[..., Destination]:
    url = f"file://{tmp_path / 'replica'}?format={fmt}"

    def factory(readonly: bool = False) -> Destination:
        return open_destination(url, readonly=readonly)

    return factory


class TestFilesConformance(DestinationConformance):
    pass


def test_layout_is_a_folder_per_table_and_a_manifest(tmp_path: Path, fmt: str) -> None:
    with FilesDestination(tmp_path / "r", fmt=fmt) as dest:
        dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))
        dest.write_batch(Batch("deals", DEALS, [deal(2)]))
    files = sorted(p.name for p in (tmp_path / "r" / "deals").iterdir())
    assert files == [f"0000000001.{fmt}", f"0000000002.{fmt}"]
    manifest = json.loads((tmp_path / "r" / "_pdsync_manifest.json").read_text())
    assert manifest["format"] == fmt and len(manifest["tables"]["deals"]["files"]) == 2
    assert "deals" in manifest["state"]


def test_crash_between_file_and_manifest_loses_and_duplicates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = FilesDestination(tmp_path / "r", fmt="jsonl")
    dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))

    def die(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pdsync.destinations.files.write_atomically", die)
    with pytest.raises(DestinationError, match="No space"):
        dest.write_batch(
            Batch("deals", DEALS, [deal(1, "new"), deal(2)], state=state("2025-01-01T00:00:00Z"))
        )
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "r" / "deals").iterdir()) == ["0000000001.jsonl"]
    # a file a killed process left behind is ignored, then swept on the next open
    (tmp_path / "r" / "deals" / "0000000009.jsonl").write_text('{"id": 5}\n')
    (tmp_path / "r" / "deals" / ".0000000010.jsonl.tmp").write_text("half")
    dest.close()
    dest = FilesDestination(tmp_path / "r", fmt="jsonl")
    assert rows_of(dest, "deals", ["id", "title"]) == [(1, "t1")]
    assert dest.read_state().get("deals").bookmark == SYNCED
    assert sorted(p.name for p in (tmp_path / "r" / "deals").iterdir()) == ["0000000001.jsonl"]
    dest.close()


def test_compaction_keeps_the_view(tmp_path: Path, fmt: str) -> None:
    dest = FilesDestination(tmp_path / "r", fmt=fmt, compact_after=5)
    dest.write_batch(
        Batch("deals", DEALS_WITH_CUSTOM, [deal(1, budget_code="B"), deal(2, budget_code="C")])
    )
    dest.write_batch(Batch("deals", DEALS, [deal(1, "u")]))  # budget_code not carried: kept
    dest.write_batch(Batch("deals", DEALS, deleted_ids=[2], deleted_at="2024-07-01T00:00:00Z"))
    before = rows_of(dest, "deals", ["id", "title", "budget_code", DELETED_AT])
    assert before == [(1, "u1", "B", None), (2, "t2", "C", "2024-07-01T00:00:00Z")]
    assert dest.compact() == 3
    assert rows_of(dest, "deals", ["id", "title", "budget_code", DELETED_AT]) == before
    for i in range(3, 7):  # reaching compact_after (5) files compacts by itself
        dest.write_batch(Batch("deals", DEALS, [deal(i)]))
    assert len(list((tmp_path / "r" / "deals").iterdir())) == 1
    assert dest.count("deals") == 6 and dest.count("deals", include_deleted=False) == 5
    dest.close()


def test_csv_keeps_null_and_empty_string_apart(tmp_path: Path) -> None:
    with FilesDestination(tmp_path / "r", fmt="csv") as dest:
        dest.write_batch(Batch("deals", DEALS, [{"id": 1, "title": ""}, {"id": 2, "title": None}]))
        assert rows_of(dest, "deals", ["id", "title"]) == [(1, ""), (2, None)]
        dest.write_batch(Batch("deals", DEALS, [{"id": 3, "title": 'multi\nline, "quoted"'}]))
        assert rows_of(dest, "deals", ["title"])[-1] == ('multi\nline, "quoted"',)


def test_urls_and_refusals(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="format"):
        open_destination(f"file://{tmp_path}/x?format=xlsx")
    with pytest.raises(ConfigError):
        open_destination("file://somehost/x")
    with pytest.raises(DestinationError, match="No pdsync files replica"):
        open_destination(f"file://{tmp_path}/none", readonly=True)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "report.txt").write_text("mine")
    with pytest.raises(DestinationError, match="not empty"):
        open_destination(f"file://{tmp_path}/busy")
    open_destination(f"file:///{tmp_path}/p?format=csv").close()
    with pytest.raises(ConfigError, match="csv replica"):
        open_destination(f"file://{tmp_path}/p?format=jsonl")


def test_readonly(tmp_path: Path) -> None:
    with FilesDestination(tmp_path / "r", fmt="jsonl") as dest:
        dest.write_batch(Batch("deals", DEALS, [deal(1)]))
    with FilesDestination(tmp_path / "r", fmt="jsonl", readonly=True) as ro:
        assert ro.count("deals") == 1
        with pytest.raises(DestinationError, match="read-only"):
            ro.write_batch(Batch("deals", DEALS, [deal(2)]))


def test_missing_pyarrow_gives_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise files_io.MissingDependencyError("pyarrow", "parquet")

    monkeypatch.setattr("pdsync.destinations.files.import_pyarrow", missing)
    with pytest.raises(DestinationError) as info:
        FilesDestination(tmp_path / "r", fmt="parquet")
    assert info.value.hint == "pip install 'pdsync[parquet]'"
