"""No reference or memory leaks in the hot paths: 100,000 get() calls and
10,000 view()/acquire() cycles keep Python memory and reference counts flat."""

from __future__ import annotations

import gc
import sys
import tracemalloc

import numpy as np
import pytest
from torch_or_skip import torch

from tensor_ipc import TensorConsumer, TensorProducer

# Tolerances: a leak of one small object per call would be >= 5 MB over
# 100,000 calls; caches warmed up in the first round (interned strings,
# free lists) stay well under these.
GET_CALLS = 100_000
VIEW_CYCLES = 10_000
MAX_GROWTH = 256 * 1024


@pytest.fixture
def pool(pool_name):
    s = np.zeros((4, 4), np.float32)
    p = TensorProducer.from_sample(pool_name(), s, history_len=4)
    c = TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=4)
    for v in range(4):
        p.put(np.full((4, 4), v, np.float32))
    yield p, c
    c.cleanup()
    p.cleanup()


def measure(fn, rounds: int):
    """Run fn(rounds) once to warm up, then again under tracemalloc; return
    the growth of traced memory in bytes and the top allocation sites."""
    fn(min(rounds, 1000))
    gc.collect()
    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot()
        fn(rounds)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    filt = [tracemalloc.Filter(False, tracemalloc.__file__)]
    stats = after.filter_traces(filt).compare_to(before.filter_traces(filt), "lineno")
    growth = sum(s.size_diff for s in stats)
    return growth, stats[:5]


def test_get_100k_no_leak(pool):
    p, c = pool
    arr_ref = [None]

    def run(n):
        get = c.get
        for _ in range(n):
            arr_ref[0] = get()

    c_refs = sys.getrefcount(c)
    md_refs = sys.getrefcount(c.pool_metadata)
    growth, top = measure(run, GET_CALLS)
    assert growth < MAX_GROWTH, f"{growth} bytes after {GET_CALLS} get(): {top}"
    # (reference counts are read outside the asserts: pytest's assertion
    # rewriting keeps sub-expressions alive)
    c_refs_after = sys.getrefcount(c)
    md_refs_after = sys.getrefcount(c.pool_metadata)
    assert c_refs_after == c_refs
    assert md_refs_after == md_refs
    a = arr_ref[0]
    arr_ref[0] = None
    assert (a == 3).all()
    a_refs = sys.getrefcount(a)
    assert a_refs == 2  # only `a` (and the call's argument)


def test_get_history_and_torch_no_leak(pool_name):
    s = torch.zeros((8,), dtype=torch.float64)
    p = TensorProducer.from_sample(pool_name(), s, history_len=3)
    c = TensorConsumer.from_sample(p.pool_metadata.name, s, history_len=3)
    try:
        p.put(torch.ones(8, dtype=torch.float64))

        def run(n):
            for _ in range(n):
                c.get(history_len=3)
                c.get(as_numpy=True, latest_first=False)

        growth, top = measure(run, 20_000)
        assert growth < MAX_GROWTH, f"{growth} bytes: {top}"
    finally:
        c.cleanup()
        p.cleanup()


def test_get_not_connected_no_leak(pool_name):
    c = TensorConsumer.from_sample(pool_name(), np.zeros(3), history_len=2)
    try:
        def run(n):
            for _ in range(n):
                assert c.get() is None

        growth, top = measure(run, 5_000)
        assert growth < MAX_GROWTH, f"{growth} bytes: {top}"
    finally:
        c.cleanup()


def test_view_and_acquire_10k_no_leak(pool):
    p, c = pool

    def run(n):
        for _ in range(n):
            with c.view(history_len=2) as v:
                assert v[0][0, 0] == 3
            frames = c.acquire(history_len=4)
            a = np.asarray(frames[0])
            t = torch.from_dlpack(frames[1])
            frames[0].release()
            del a, t, frames

    c_refs = sys.getrefcount(c)
    growth, top = measure(run, VIEW_CYCLES)
    assert growth < MAX_GROWTH, f"{growth} bytes after {VIEW_CYCLES} cycles: {top}"
    c_refs_after = sys.getrefcount(c)
    assert c_refs_after == c_refs
    # every frame was given back: the producer can overwrite the whole ring
    # without waiting (a leaked hold would make put time out)
    for v in range(8):
        p.put(np.full((4, 4), 10 + v, np.float32))
    assert (c.get() == 17).all()


def test_frames_drop_their_views(pool):
    """Frame objects and the arrays made from them hold the view; dropping
    them all releases it (the producer can reuse every slot)."""
    p, c = pool
    frames = c.acquire(history_len=4)
    base = [sys.getrefcount(f) for f in frames]
    arrays = [np.asarray(f) for f in frames]
    held = [sys.getrefcount(f) for f in frames]
    assert held == [b + 1 for b in base]
    del arrays
    after = [sys.getrefcount(f) for f in frames]
    assert after == base
    del frames
    gc.collect()
    for v in range(8):
        p.put(np.full((4, 4), v, np.float32))


def test_loan_cycles_no_leak(pool):
    p, c = pool

    def run(n):
        for i in range(n):
            with p.loan() as slot:
                slot[0, 0] = i

    growth, top = measure(run, VIEW_CYCLES)
    assert growth < MAX_GROWTH, f"{growth} bytes: {top}"
    assert p.frames_written == 4 + 1000 + VIEW_CYCLES


def test_producer_consumer_create_destroy_no_leak(pool_name):
    s = np.zeros((2,), np.float32)
    names = [pool_name() for _ in range(2)]

    def run(n):
        for i in range(n):
            with TensorProducer.from_sample(names[i % 2], s) as p, \
                    TensorConsumer.from_sample(names[i % 2], s) as c:
                p.put(s)
                c.get()

    growth, top = measure(run, 60)
    assert growth < 32 * 1024, f"{growth} bytes after 60 create/destroy: {top}"
