"""Fetchers → bounded queue → one writer: ordering, bounds, failures."""

from __future__ import annotations

import threading

import pytest

from pdsync.errors import DailyBudgetExhaustedError
from pdsync.sync.pipeline import Emit, Pipeline


def test_items_of_one_task_arrive_in_order_and_tasks_can_spawn_tasks() -> None:
    written: list[tuple[str, int]] = []
    pipeline: Pipeline[tuple[str, int]] = Pipeline(written.append, workers=3, queue_size=2)

    def producer(name: str, count: int) -> None:
        def task(emit: Emit[tuple[str, int]]) -> None:
            for i in range(count):
                emit((name, i))
            if name == "a":
                producer("spawned", 5)

        pipeline.submit(task)

    for name in "abc":
        producer(name, 50)
    pipeline.run()
    for name, count in [("a", 50), ("b", 50), ("c", 50), ("spawned", 5)]:
        assert [i for n, i in written if n == name] == list(range(count))


def test_the_queue_bounds_how_far_fetchers_run_ahead() -> None:
    produced = 0
    lock = threading.Lock()
    high_water = 0

    def task(emit: Emit[int]) -> None:
        nonlocal produced
        for i in range(200):
            emit(i)
            with lock:
                produced += 1

    consumed = 0

    def write(item: int) -> None:
        nonlocal consumed, high_water
        consumed += 1
        with lock:
            high_water = max(high_water, produced - consumed)

    pipeline: Pipeline[int] = Pipeline(write, workers=2, queue_size=4)
    pipeline.submit(task)
    pipeline.submit(task)
    pipeline.run()
    assert consumed == 400
    assert high_water <= 4 + 2 + 1  # queue + one item in each fetcher's hand + the writer's


def test_a_fetch_error_stops_others_but_queued_items_are_written_first() -> None:
    written: list[int] = []
    gate = threading.Event()

    def good(emit: Emit[int]) -> None:
        emit(1)
        gate.set()

    def bad(emit: Emit[int]) -> None:
        gate.wait(5)
        raise DailyBudgetExhaustedError("spent", resets_in=60)

    pipeline: Pipeline[int] = Pipeline(written.append, workers=2, queue_size=8)
    pipeline.submit(good)
    pipeline.submit(bad)
    with pytest.raises(DailyBudgetExhaustedError):
        pipeline.run()
    assert written == [1]


def test_a_writer_error_stops_the_fetchers() -> None:
    emitted = 0

    def endless(emit: Emit[int]) -> None:
        nonlocal emitted
        while True:
            emit(emitted)
            emitted += 1

    def write(item: int) -> None:
        if item == 10:
            raise RuntimeError("disk full")

    pipeline: Pipeline[int] = Pipeline(write, workers=1, queue_size=2)
    pipeline.submit(endless)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run()
    assert emitted < 20
