"""on_new_data_callback: called from a library thread with each new frame."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from torch_or_skip import torch

from tensor_ipc import MetadataCreator, TensorConsumer, TensorProducer

DEADLINE = 10.0


class Recorder:
    def __init__(self, until=lambda data: True):
        self.items = []
        self.threads = set()
        self.event = threading.Event()
        self.until = until
        self.lock = threading.Lock()

    def __call__(self, data):
        with self.lock:
            self.items.append(data)
            self.threads.add(threading.get_ident())
        if self.until(data):
            self.event.set()

    def wait(self, what):
        assert self.event.wait(DEADLINE), f"callback not called in {DEADLINE} s: {what}"


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_constructor_callback_gets_new_data(pool_name, backend):
    s = np.zeros((3,), np.float32)
    if backend == "torch":
        s = torch.from_numpy(s)
    md = MetadataCreator.from_sample(pool_name(), s, history_len=4)
    rec = Recorder(until=lambda d: float(d[0]) == 5.0)
    c = TensorConsumer(md, on_new_data_callback=rec)
    p = TensorProducer(md)
    try:
        for v in range(1, 6):
            x = np.full(3, v, np.float32)
            p.put(torch.from_numpy(x) if backend == "torch" else x)
        rec.wait("value 5")
        assert threading.get_ident() not in rec.threads  # a library thread
        with rec.lock:
            items = list(rec.items)
        for d in items:
            assert isinstance(d, torch.Tensor if backend == "torch" else np.ndarray)
            assert tuple(d.shape) == (3,)
            v = float(d[0])
            assert (np.asarray(d) == v).all()
        seen = [float(d[0]) for d in items]
        assert seen == sorted(seen), seen  # never goes back in time
        assert seen[-1] == 5.0
        # a late frame wakes it again
        rec.event.clear()
        rec.until = lambda d: float(d[0]) == 9.0
        x = np.full(3, 9, np.float32)
        p.put(torch.from_numpy(x) if backend == "torch" else x)
        rec.wait("value 9")
    finally:
        c.cleanup()
        p.cleanup()


def test_from_sample_callback_before_producer(pool_name):
    n = pool_name()
    s = np.zeros((2, 2), np.int32)
    rec = Recorder()
    c = TensorConsumer.from_sample(n, s, history_len=2, callback=rec)
    try:
        assert not rec.event.is_set()
        with TensorProducer.from_sample(n, s, history_len=2) as p:
            p.put(np.full((2, 2), 4, np.int32))
            rec.wait("first frame of a producer that appeared later")
            np.testing.assert_array_equal(rec.items[0], np.full((2, 2), 4))
    finally:
        c.cleanup()


def test_callback_stops_after_cleanup_and_set_none(pool_name):
    n = pool_name()
    s = np.zeros((1,), np.float64)
    rec = Recorder()
    with TensorProducer.from_sample(n, s) as p:
        c = TensorConsumer.from_sample(n, s, callback=rec)
        p.put(np.ones(1))
        rec.wait("first frame")
        c.set_callback(None)  # stopping waits for a running call
        count = len(rec.items)
        for _ in range(20):
            p.put(np.ones(1))
        # with the callback stopped a fresh consumer's callback fires, ours does not
        other = Recorder()
        c2 = TensorConsumer.from_sample(n, s, callback=other)
        p.put(np.full(1, 2.0))
        other.wait("second consumer")
        assert len(rec.items) == count
        c2.cleanup()
        # a new callback can be set again
        rec2 = Recorder(until=lambda d: d[0] == 3.0)
        c.set_callback(rec2)
        p.put(np.full(1, 3.0))
        rec2.wait("callback set again")
        c.cleanup()
        n_after = len(rec2.items)
        p.put(np.full(1, 4.0))
        # cleanup() joined the thread: nothing more can arrive
        assert len(rec2.items) == n_after


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_callback_exception_does_not_kill_the_thread(pool_name):
    n = pool_name()
    s = np.zeros((1,), np.float32)
    calls = []
    ok = threading.Event()

    def cb(d):
        calls.append(float(d[0]))
        if d[0] == 1.0:
            raise RuntimeError("user bug in callback")
        if d[0] == 2.0:
            ok.set()

    with TensorProducer.from_sample(n, s) as p:
        c = TensorConsumer.from_sample(n, s, callback=cb)
        try:
            p.put(np.full(1, 1.0, np.float32))
            deadline = time.monotonic() + DEADLINE
            while 1.0 not in calls:
                assert time.monotonic() < deadline, "first callback never ran"
                time.sleep(0.002)
            p.put(np.full(1, 2.0, np.float32))
            assert ok.wait(DEADLINE), f"callback thread died after an exception: {calls}"
        finally:
            c.cleanup()


def test_callback_not_called_with_none_when_producer_leaves(pool_name):
    n = pool_name()
    s = np.zeros((1,), np.float32)
    rec = Recorder()
    c = TensorConsumer.from_sample(n, s, callback=rec)
    try:
        with TensorProducer.from_sample(n, s) as p:
            p.put(np.ones(1, np.float32))
            rec.wait("first frame")
        # the producer left: the consumer disconnects; every call carried data
        assert c.get() is None
        assert not c.connected
        assert rec.items and all(d is not None for d in rec.items)
    finally:
        c.cleanup()


def test_one_call_per_put_with_that_frame(pool_name):
    # The original called the callback once per put, with that frame: 20
    # back-to-back puts give 20 calls, in order, each with its own values.
    n = pool_name()
    s = np.zeros((4,), np.int32)
    rec = Recorder(until=lambda data: int(data[0]) == 19)
    with TensorProducer.from_sample(n, s, history_len=32) as p:
        c = TensorConsumer.from_sample(n, s, history_len=32, callback=rec)
        for k in range(20):
            p.put(np.full(4, k, np.int32))
        rec.wait("frame 19")
        with rec.lock:
            got = [int(d[0]) for d in rec.items]
        assert got == list(range(20))
        assert all((d == d[0]).all() for d in rec.items)
        assert c.missed_frames == 0
        c.cleanup()


def test_missed_frames_are_counted_and_warned_once(pool_name):
    # A callback stuck while more than history_len frames go by: the frames
    # overwritten meanwhile are not delivered; they are counted, with one
    # RuntimeWarning naming the pool.
    n = pool_name()
    s = np.zeros((2,), np.int32)
    entered, release = threading.Event(), threading.Event()
    seen = []

    def slow(data):
        seen.append(int(data[0]))
        if len(seen) == 1:
            entered.set()
            release.wait(DEADLINE)

    with TensorProducer.from_sample(n, s, history_len=4) as p:
        c = TensorConsumer.from_sample(n, s, history_len=4, callback=slow)
        p.put(np.full(2, 0, np.int32))
        assert entered.wait(DEADLINE), "the callback never started"
        for k in range(1, 12):
            p.put(np.full(2, k, np.int32))
        with pytest.warns(RuntimeWarning, match=n):
            release.set()
            deadline = time.monotonic() + DEADLINE
            while (not seen or seen[-1] != 11) and time.monotonic() < deadline:
                time.sleep(0.005)
        assert seen[-1] == 11
        assert seen == sorted(seen) and len(seen) == len(set(seen))
        # frames 1..11 could not all be kept by a ring of 4: the rest were missed
        assert c.missed_frames == 12 - len(seen)
        assert c.missed_frames >= 11 - 4
        c.cleanup()
