import threading

import numpy as np
import pytest

from ganimate.pipeline.stream import map_batched, prefetch


def test_prefetch_keeps_order_and_runs_in_another_thread():
    seen_threads = set()

    def produce():
        for i in range(50):
            seen_threads.add(threading.get_ident())
            yield i

    assert list(prefetch(produce(), depth=3)) == list(range(50))
    assert threading.get_ident() not in seen_threads


def test_prefetch_reraises_producer_errors():
    def produce():
        yield 1
        raise ValueError("boom")

    it = prefetch(produce())
    assert next(it) == 1
    with pytest.raises(ValueError, match="boom"):
        next(it)


def test_prefetch_stops_producer_when_consumer_leaves():
    produced = []

    def produce():
        for i in range(10_000):
            produced.append(i)
            yield i

    it = prefetch(produce(), depth=2)
    assert next(it) == 0
    it.close()
    assert len(produced) < 100


@pytest.mark.parametrize("batch", [1, 2, 3, 7, 100])
def test_map_batched_matches_unbatched_results_in_order(batch):
    rng = np.random.default_rng(0)
    frames = [(i, list(rng.integers(0, 100, size=rng.integers(0, 4)))) for i in range(20)]
    calls = []

    def fn(items):
        calls.append(len(items))
        return np.array(items) * 2

    out = list(map_batched(iter(frames), fn, batch))
    assert [p for p, _, _ in out] == list(range(20))
    for (_, _items, results), (_, expected) in zip(out, frames, strict=True):
        assert list(results) == [2 * x for x in expected]
    assert all(c >= 1 for c in calls)
    if batch > 1:
        assert len(calls) < sum(1 for _, items in frames if items)


def test_map_batched_tuple_results_are_split_per_item():
    frames = [("a", [1, 2]), ("b", []), ("c", [3])]
    out = list(map_batched(iter(frames), lambda xs: (np.array(xs), -np.array(xs)), 2))
    assert out[0][2] == [(1, -1), (2, -2)]
    assert out[1][2] == []
    assert out[2][2] == [(3, -3)]
