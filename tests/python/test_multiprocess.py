"""Producer and consumer in separate processes (tests/python/peer.py is the
other side, driven line by line through its stdin)."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from conftest import shm_files, wait_until
from tensor_ipc import ExistsError, TensorConsumer, TensorProducer

SHAPE = (4, 8)
SHAPE_ARG = "4,8"


def frame(v):
    return np.full(SHAPE, v, np.float32)


def consumer(name, history_len=4):
    return TensorConsumer.from_sample(name, frame(0), history_len=history_len)


def producer(name, history_len=4):
    return TensorProducer.from_sample(name, frame(0), history_len=history_len)


def get_value(c):
    d = c.get()
    if d is None:
        return None
    assert (d == d.flat[0]).all(), "torn frame"
    return float(d.flat[0])


def test_producer_process_first_then_consumer(pool_name, spawn):
    n = pool_name()
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    prod.read_line("ready")
    prod.send("put 3")
    assert prod.read_line("put") == "put 0"
    c = consumer(n)
    try:
        assert get_value(c) == 3.0  # the producer was there first: connected at once
        assert c.last_index == 0
        prod.send("loan 4")
        assert prod.read_line("loan") == "loan 1"
        wait_until(lambda: get_value(c) == 4.0, what="the loaned frame")
        h = c.get(history_len=4)
        assert list(h[:, 0, 0]) == [4.0, 3.0, 0.0, 0.0]
    finally:
        c.cleanup()
    prod.finish()  # EOF: cleanup and exit 0


def test_consumer_first_then_producer_process(pool_name, spawn):
    n = pool_name()
    c = consumer(n)
    try:
        assert c.get() is None
        prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
        prod.read_line("ready")
        assert c.get() is None
        prod.send("put 7")
        prod.read_line("put")
        wait_until(lambda: get_value(c) == 7.0, what="a frame from the late producer")
        prod.finish()
        wait_until(lambda: c.get() is None, what="None after the producer left")
    finally:
        c.cleanup()


def test_both_as_processes_consumer_started_first(pool_name, spawn):
    n = pool_name()
    cons = spawn.peer("consumer", n, SHAPE_ARG, "float32", "4", "numpy")
    cons.read_line("ready")
    cons.send("get")
    assert cons.read_line("got") == "got none"
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    prod.read_line("ready")
    for v in (1, 2, 3):
        prod.send(f"put {v}")
        prod.read_line("put")
    cons.send("until 3 10")
    assert cons.read_line("got") == "got 2 3"
    prod.send("close")
    prod.read_line("closed")
    cons.send("untilnone 10")
    assert cons.read_line("none") == "none"
    # a new producer of the same name (another process) is picked up again
    prod2 = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    prod2.read_line("ready")
    prod2.send("put 11")
    prod2.read_line("put")
    cons.send("until 11 10")
    assert cons.read_line("got") == "got 0 11"
    prod2.finish()
    cons.finish()
    prod.finish()


def test_torch_pool_across_processes(pool_name, spawn):
    import torch

    n = pool_name()
    prod = spawn.peer("producer", n, "3", "float64", "2", "torch")
    prod.read_line("ready")
    prod.send("put 2.5")
    prod.read_line("put")
    c = TensorConsumer.from_sample(n, torch.zeros(3, dtype=torch.float64), history_len=2)
    try:
        got = wait_until(lambda: [c.get()] if c.get() is not None else None, what="a torch frame")[0]
        assert isinstance(got, torch.Tensor) and torch.equal(got, torch.full((3,), 2.5, dtype=torch.float64))
    finally:
        c.cleanup()
    prod.finish()


def test_blocking_get_waits_for_a_newer_frame(pool_name, spawn):
    n = pool_name()
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    prod.read_line("ready")
    c = consumer(n)
    try:
        # nothing newer arrives: None after about the timeout
        t0 = time.monotonic()
        assert c.get(block=True, timeout=0.2) is None
        assert time.monotonic() - t0 >= 0.19
        prod.send("put 1")
        prod.read_line("put")
        assert get_value(c) == 1.0
        t0 = time.monotonic()
        assert c.get(block=True, timeout=0.2) is None  # frame 0 was returned already
        assert time.monotonic() - t0 >= 0.19

        result = {}

        def blocked():
            result["t0"] = time.monotonic()
            result["data"] = c.get(block=True, timeout=10)
            result["t1"] = time.monotonic()

        th = threading.Thread(target=blocked)
        th.start()
        th.join(0.3)
        assert th.is_alive(), f"get(block=True) returned without a new frame: {result}"
        prod.send("put 2")
        sent = time.monotonic()
        th.join(10)
        assert not th.is_alive()
        assert result["data"] is not None and (result["data"] == 2).all()
        assert result["t1"] - sent < 2.0  # woken by the frame, not by the timeout
        assert c.last_index == 1
        # a frame that arrived before the call counts as newer too
        prod.send("put 3")
        prod.read_line("put")
        prod.read_line("put")
        got = c.get(block=True, timeout=5)
        assert got is not None and (got == 3).all()
        # the producer leaving ends a blocked wait with None
        th = threading.Thread(target=blocked)
        th.start()
        th.join(0.2)
        assert th.is_alive()
        prod.send("close")
        th.join(10)
        assert not th.is_alive() and result["data"] is None
        assert result["t1"] - result["t0"] < 9
    finally:
        c.cleanup()
    prod.finish()


def test_blocking_get_before_any_producer_times_out(pool_name):
    c = consumer(pool_name())
    try:
        t0 = time.monotonic()
        assert c.get(block=True, timeout=0.3) is None
        assert 0.25 <= time.monotonic() - t0 < 5
        assert c.wait(timeout=0.05) is False
    finally:
        c.cleanup()


@pytest.mark.parametrize("how", ["close", "quit", "eof"])
def test_producer_exit_makes_consumer_return_none(pool_name, spawn, how):
    n = pool_name()
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    prod.read_line("ready")
    prod.send("put 5")
    prod.read_line("put")
    c = consumer(n)
    try:
        assert get_value(c) == 5.0
        if how == "eof":
            prod.finish()
        else:
            prod.send(how)
            if how == "close":
                prod.read_line("closed")
            else:
                prod.finish()
        wait_until(lambda: c.get() is None, what="None after the producer left")
        assert c.get(history_len=4) is None
        assert c.acquire() is None
        assert not c.connected
        assert not shm_files(n), "the producer's segment is still in /dev/shm"
    finally:
        c.cleanup()
    if how == "close":
        prod.finish()


def test_killed_producer_is_noticed_and_replaced(pool_name, spawn):
    n = pool_name()
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    pid = int(prod.read_line("ready").split()[1])
    prod.send("put 5")
    prod.read_line("put")
    c = consumer(n)
    try:
        assert get_value(c) == 5.0
        os.kill(pid, signal.SIGKILL)
        prod.finish(expect_rc=-signal.SIGKILL)
        wait_until(lambda: c.get() is None, what="None after the producer was killed")
        # a new producer of the same name starts cleanly (the dead one's segment
        # is reclaimed), and the consumer follows it
        p2 = producer(n)
        try:
            assert p2.put(frame(8)) == 0
            wait_until(lambda: get_value(c) == 8.0, what="frame of the new producer")
            assert c.last_index == 0
            np.testing.assert_array_equal(c.get(history_len=4)[1:], 0)  # no stale frames
        finally:
            p2.cleanup()
    finally:
        c.cleanup()
    assert not shm_files(n)


def test_second_producer_in_another_process_is_refused(pool_name, spawn):
    n = pool_name()
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    pid = prod.read_line("ready").split()[1]
    with pytest.raises(ExistsError, match=pid):
        producer(n)
    other = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    other.finish(expect_rc=1)
    assert "ExistsError" in "".join(other.err)
    prod.send("put 1")
    assert prod.read_line("put") == "put 0"
    prod.finish()


def test_views_outlive_consumer_and_producer(pool_name, spawn):
    n = pool_name()
    prod = spawn.peer("producer", n, SHAPE_ARG, "float32", "4", "numpy")
    prod.read_line("ready")
    prod.send("put 6")
    prod.read_line("put")
    c = consumer(n)
    wait_until(lambda: get_value(c) == 6.0, what="first frame")
    with c.view(history_len=2) as views:
        kept = views[0]
        assert views[1] is None
    frames = c.acquire()
    from_frame = np.asarray(frames[0])
    from torch_or_skip import HAVE_TORCH, torch

    # DLPack: torch's importer where installed, numpy's otherwise
    from_dlpack = (torch.from_dlpack if HAVE_TORCH else np.from_dlpack)(frames[0])
    frames[0].release()
    del frames
    c.cleanup()
    # the consumer is gone: the arrays still read the pool's memory
    assert (kept == 6).all() and (from_frame == 6).all() and bool((from_dlpack == 6).all())
    prod.send("close")
    prod.read_line("closed")
    prod.finish()
    # the producer is gone and its name removed: still readable, no crash
    assert not shm_files(n)
    assert kept.shape == SHAPE and float(kept.sum()) == 6.0 * kept.size
    assert float(from_frame.sum()) == 6.0 * kept.size
    assert float(from_dlpack.sum()) == 6.0 * kept.size
    del kept, from_frame, from_dlpack  # unmapping now must not crash either


def test_views_outlive_in_process_producer(pool_name):
    n = pool_name()
    p = producer(n)
    c = consumer(n)
    p.put(frame(2))
    with c.view() as (v,):
        pass
    f = c.acquire()[0]
    a = np.asarray(f)
    f.release()
    del f
    p.cleanup()
    c.cleanup()
    assert (v == 2).all() and (a == 2).all()
    assert not shm_files(n)


def test_many_frames_in_order_across_processes(pool_name, spawn):
    """Every frame seen by a blocking reader is whole and newer than the last."""
    n = pool_name()
    cons = spawn.peer("consumer", n, SHAPE_ARG, "float32", "8", "numpy")
    cons.read_line("ready")
    p = producer(n, history_len=8)
    try:
        for v in range(1, 51):
            p.put(frame(v))
            cons.send("wait 5")
            line = cons.read_line("got")
            assert line == f"got {v - 1} {v}", line
    finally:
        p.cleanup()
    cons.finish()


# A child process blocked with no timeout in get(block=True) or wait(): SIGINT
# must raise KeyboardInterrupt there within 100 ms. The parent writes the
# CLOCK_MONOTONIC time just before it sends the signal; the child reads it when
# the exception reaches it, so the figure is measured in the child.
_INTERRUPT_CHILD = r"""
import sys, time
import numpy as np
import tensor_ipc as tipc

name, how, connected, stamp = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
c = tipc.TensorConsumer.from_sample(name, np.zeros((4, 8), np.float32), history_len=4)
if connected:  # take the frame there is, so the wait below has nothing newer
    deadline = time.monotonic() + 15
    while c.get() is None:
        if time.monotonic() > deadline:
            sys.exit("no frame from the producer")
        time.sleep(0.002)
print("blocking", flush=True)
try:
    if how == "get":
        r = c.get(block=True)
    else:
        r = c.wait()
    print(f"returned {r!r}", flush=True)
except KeyboardInterrupt:
    t = time.monotonic_ns()
    with open(stamp) as f:
        sent = int(f.read())
    print(f"interrupted {(t - sent) / 1e6:.3f} ms", flush=True)
c.cleanup()
"""

# Syscalls a thread sleeps in while it waits (x86_64 and aarch64 numbers):
# futex, nanosleep, clock_nanosleep, poll, ppoll, select, pselect6, epoll_wait.
_SLEEPING_SYSCALLS = {"202", "35", "230", "7", "271", "23", "270", "232", "98", "101", "115", "73", "72"}


def _main_thread_sleeping(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/task/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/task/{pid}/syscall") as f:
            call = f.read().split()[0]
    except (OSError, IndexError):
        return False
    return state == "S" and call in _SLEEPING_SYSCALLS


@pytest.mark.parametrize("connected", [True, False], ids=["connected", "no_producer"])
@pytest.mark.parametrize("how", ["get", "wait"])
def test_sigint_interrupts_a_blocking_read_without_timeout(pool_name, spawn, tmp_path, how, connected):
    import sys

    n = pool_name()
    p = producer(n) if connected else None
    try:
        if p is not None:
            p.put(frame(1))
        stamp = tmp_path / "sent_ns"
        child = spawn.run([sys.executable, "-c", _INTERRUPT_CHILD, n, how, "1" if connected else "0",
                           str(stamp)])
        child.read_line("blocking")
        # Blocked inside the library: the child's main thread sleeps in a syscall.
        wait_until(lambda: _main_thread_sleeping(child.pid), what="the child blocked in the wait")
        stamp.write_text(str(time.monotonic_ns()))
        os.kill(child.pid, signal.SIGINT)
        line = child.read_line("", timeout=5)  # the old code never returns: fails here
        assert line.startswith("interrupted"), child.describe()
        ms = float(line.split()[1])
        print(f"\nKeyboardInterrupt in {how}() ({'connected' if connected else 'no producer'}) "
              f"{ms:.3f} ms after SIGINT")
        assert ms < 100, f"KeyboardInterrupt came {ms:.1f} ms after the signal"
        child.finish(timeout=15)
    finally:
        if p is not None:
            p.cleanup()
