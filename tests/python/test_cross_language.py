"""Python and C processes sharing pools.

* The C demo pair (examples/c): Python plays demo_consumer against the real
  demo_producer, and demo_producer against the real demo_consumer, speaking
  their protocol (480x640x3 uint8 frames with a header and a byte pattern,
  acknowledged on "<pool>/ack"). So both directions are covered, and the
  C side checks every byte Python wrote.
* The `tipc` CLI, when built: `tipc pub` (C producer) read from Python, and
  `tipc echo` (C consumer, finding the pool over DDS) reading a Python producer.

The programs come from $TIPC_DEMO_PRODUCER, $TIPC_DEMO_CONSUMER and $TIPC_CLI
(set by CTest), else from the build tree of the imported package.
"""

from __future__ import annotations

import re
import struct
import time

import numpy as np
import pytest

from conftest import c_program, shm_files, wait_until
from tensor_ipc import TensorConsumer, TensorProducer

DEMO_PRODUCER = c_program("TIPC_DEMO_PRODUCER", "examples", "demo_producer")
DEMO_CONSUMER = c_program("TIPC_DEMO_CONSUMER", "examples", "demo_consumer")
TIPC_CLI = c_program("TIPC_CLI", "c", "tools", "tipc")

# examples/c/demo_common.h
DEMO_SHAPE = (480, 640, 3)
DEMO_HISTORY = 8
DEMO_MAGIC = 0x544950434652414D
DEMO_FLAG_LAST = 1
HEADER = struct.Struct("<QQqQ")  # magic, counter, written_ns, flags
ACK_RECEIVED, ACK_LAST_INDEX, ACK_DROPS, ACK_CORRUPT = range(4)
ACK_HISTORY = 4

_PATTERN = (np.arange(int(np.prod(DEMO_SHAPE))) & 0xFF).astype(np.uint8)


def demo_pattern(counter: int) -> np.ndarray:
    """bytes[i] = (uint8)(counter + i), flat."""
    return _PATTERN + np.uint8(counter & 0xFF)


def demo_frame_ok(frame: np.ndarray, index: int):
    flat = frame.reshape(-1)
    magic, counter, _, flags = HEADER.unpack(flat[: HEADER.size].tobytes())
    ok = magic == DEMO_MAGIC and counter == index and \
        np.array_equal(flat[HEADER.size:], demo_pattern(counter)[HEADER.size:])
    return ok, flags


needs_demo = pytest.mark.skipif(
    not (DEMO_PRODUCER and DEMO_CONSUMER), reason="examples/c demo programs not built")
needs_cli = pytest.mark.skipif(not TIPC_CLI, reason="the tipc CLI (c/tools) is not built")


@needs_demo
def test_python_consumer_reads_c_demo_producer(pool_name, spawn):
    pool = pool_name("cam")
    frames = np.zeros(DEMO_SHAPE, np.uint8)
    c = TensorConsumer.from_sample(pool, frames, history_len=DEMO_HISTORY)
    ack = TensorProducer.from_sample(pool + "/ack", np.zeros(4, np.int64), history_len=ACK_HISTORY)
    acked = np.array([0, -1, 0, 0], np.int64)
    try:
        ack.put(acked)  # tells demo_producer a consumer is there
        prod = spawn.run([DEMO_PRODUCER, "--pool", pool, "--duration", "0.4", "--rate", "50",
                          "--peer-timeout", "10"])
        deadline = time.monotonic() + 20
        last_flags = 0
        while not last_flags & DEMO_FLAG_LAST:
            assert time.monotonic() < deadline, f"no last frame: {prod.describe()}"
            data = c.get(block=True, timeout=0.5)
            if data is None:
                assert prod.proc.poll() is None, f"demo_producer exited early: {prod.describe()}"
                continue
            assert data.shape == DEMO_SHAPE and data.dtype == np.uint8
            ok, last_flags = demo_frame_ok(data, c.last_index)
            assert ok, f"frame {c.last_index} from C is corrupt"
            acked[ACK_DROPS] += c.last_index - (acked[ACK_LAST_INDEX] + 1)
            acked[ACK_LAST_INDEX] = c.last_index
            acked[ACK_RECEIVED] += 1
            ack.put(acked)
        out = prod.finish(timeout=15)
        assert acked[ACK_LAST_INDEX] == 19  # 0.4 s at 50 Hz
        m = re.search(r"consumer acknowledged (\d+) frames, (-?\d+) dropped, (\d+) corrupt", out)
        assert m, out
        assert int(m.group(1)) == acked[ACK_RECEIVED] and m.group(3) == "0"
        # the C producer closed the pool: the Python consumer sees it
        wait_until(lambda: c.get() is None, what="None after demo_producer closed")
    finally:
        c.cleanup()
        ack.cleanup()
    assert not shm_files(pool)


@needs_demo
def test_c_demo_consumer_reads_python_producer(pool_name, spawn):
    pool = pool_name("cam")
    n_frames = 25
    p = TensorProducer.from_sample(pool, np.zeros(DEMO_SHAPE, np.uint8), history_len=DEMO_HISTORY)
    ack = TensorConsumer.from_sample(pool + "/ack", np.zeros(4, np.int64), history_len=ACK_HISTORY)
    try:
        cons = spawn.run([DEMO_CONSUMER, "--pool", pool, "--peer-timeout", "10"])

        def acked():
            a = ack.get()
            return a if a is not None else None

        wait_until(lambda: acked() is not None, timeout=15, what="demo_consumer's ack pool")
        for k in range(n_frames):
            loan = p.loan()
            with loan as slot:
                flat = slot.reshape(-1)
                flat[:] = demo_pattern(k)
                flags = DEMO_FLAG_LAST if k == n_frames - 1 else 0
                flat[: HEADER.size] = np.frombuffer(
                    HEADER.pack(DEMO_MAGIC, k, time.time_ns(), flags), np.uint8)
            assert loan.index == k
            # lock-step: the C consumer acknowledges each frame (no drops)
            wait_until(lambda: acked()[ACK_LAST_INDEX] >= k, timeout=10,
                       what=f"ack of frame {k}: {cons.describe()}")
        final = acked()
        assert list(final) == [n_frames, n_frames - 1, 0, 0], final
    finally:
        p.cleanup()  # demo_consumer waits for the pool to close, then reports
    try:
        out = cons.finish(timeout=15)
        assert f"received {n_frames} frames" in out, out
        assert re.search(r"drops 0 \(index gaps\); corrupt 0", out), out
    finally:
        ack.cleanup()
    assert not shm_files(pool)


@needs_demo
def test_c_demo_consumer_rejects_corrupt_python_frames(pool_name, spawn):
    """The C side really checks the bytes: a wrong pattern is reported."""
    pool = pool_name("cam")
    p = TensorProducer.from_sample(pool, np.zeros(DEMO_SHAPE, np.uint8), history_len=DEMO_HISTORY)
    ack = TensorConsumer.from_sample(pool + "/ack", np.zeros(4, np.int64), history_len=ACK_HISTORY)
    try:
        cons = spawn.run([DEMO_CONSUMER, "--pool", pool, "--peer-timeout", "10"])
        wait_until(lambda: ack.get() is not None, timeout=15, what="demo_consumer's ack pool")
        frame = demo_pattern(0).reshape(DEMO_SHAPE).copy()
        frame.reshape(-1)[: HEADER.size] = np.frombuffer(
            HEADER.pack(DEMO_MAGIC, 0, time.time_ns(), DEMO_FLAG_LAST), np.uint8)
        frame[100, 100, 1] ^= 0xFF
        p.put(frame)
        wait_until(lambda: ack.get()[ACK_LAST_INDEX] == 0, timeout=10, what="ack of frame 0")
        assert ack.get()[ACK_CORRUPT] == 1
    finally:
        p.cleanup()
    try:
        cons.finish(timeout=15, expect_rc=1)
        assert "corrupt" in "".join(cons.err)
    finally:
        ack.cleanup()


def _pub_values(dtype: str, k: int, n: int) -> np.ndarray:
    """What `tipc pub` writes into frame k (see `tipc pub --help`)."""
    i = np.arange(n)
    if dtype.startswith("float"):
        return np.sin(0.1 * k + 0.25 * i)
    if dtype == "bool":
        return ((k + i) % 2).astype(bool)
    return (k + i).astype(np.int64).astype(dtype)  # wrapped to the type's width


@needs_cli
@pytest.mark.parametrize("dtype", ["int32", "uint8", "float32", "float64"])
def test_python_consumer_reads_tipc_pub(pool_name, spawn, dtype):
    pool = pool_name("pub")
    shape = (3, 4)
    c = TensorConsumer.from_sample(pool, np.zeros(shape, dtype), history_len=4)
    try:
        pub = spawn.run([TIPC_CLI, "pub", pool, "--shape", "3,4", "--dtype", dtype,
                         "--rate", "100", "--count", "30", "--history", "4"])
        seen = []
        deadline = time.monotonic() + 15
        while not seen or seen[-1] < 29:
            assert time.monotonic() < deadline, f"saw {seen}: {pub.describe()}"
            d = c.get(block=True, timeout=0.5)
            if d is None:
                # tipc pub closes the pool right after its last put, so a
                # reader may lose the race for the final frames: by design,
                # a closed pool reads as None
                if seen and pub.proc.poll() is not None:
                    break
                continue
            k = c.last_index
            expect = _pub_values(dtype, k, 12).reshape(shape)
            if dtype.startswith("float"):
                np.testing.assert_allclose(d, expect, rtol=1e-6, atol=1e-6)
            else:
                np.testing.assert_array_equal(d, expect)
            seen.append(k)
        assert seen == sorted(seen) and len(set(seen)) == len(seen)
        assert len(seen) >= 10, seen  # a blocking reader keeps up with 100 Hz
        pub.finish(timeout=10)
        wait_until(lambda: c.get() is None, what="None after tipc pub exited")
    finally:
        c.cleanup()
    assert not shm_files(pool)


@needs_cli
def test_tipc_pub_torch_pool_read_as_torch(pool_name, spawn):
    import torch

    pool = pool_name("pub")
    c = TensorConsumer.from_sample(pool, torch.zeros(5, dtype=torch.bfloat16), history_len=2)
    try:
        pub = spawn.run([TIPC_CLI, "pub", pool, "--shape", "5", "--dtype", "bfloat16",
                         "--backend", "torch", "--rate", "100", "--count", "50", "--history", "2"])
        d = None
        deadline = time.monotonic() + 15
        while d is None:
            assert time.monotonic() < deadline, pub.describe()
            exited = pub.proc.poll() is not None
            d = c.get(block=True, timeout=0.5)
            assert d is not None or not exited, f"read no frame at all: {pub.describe()}"
        assert isinstance(d, torch.Tensor) and d.dtype == torch.bfloat16
        expect = torch.from_numpy(_pub_values("float64", c.last_index, 5)).to(torch.bfloat16)
        assert torch.allclose(d.float(), expect.float(), atol=1e-2)
        pub.finish(timeout=10)
    finally:
        c.cleanup()


@needs_cli
def test_tipc_echo_reads_python_producer(pool_name, spawn):
    pool = pool_name("echo") + "/x"
    shape = (2, 3)
    with TensorProducer.from_sample(pool, np.zeros(shape), history_len=2) as p:
        echo = spawn.run([TIPC_CLI, "echo", pool, "--count", "3", "--wait", "10"])
        deadline = time.monotonic() + 20
        k = 0
        while echo.proc.poll() is None:  # publish until echo has printed 3 frames
            assert time.monotonic() < deadline, echo.describe()
            p.put(np.arange(6.0).reshape(shape) + 10 * k)
            k += 1
            time.sleep(0.02)
        out = echo.finish(timeout=5)
    blocks = re.findall(r"frame: (\d+) .*?shape: \(2,3\)  dtype: float64\n.*?\nvalues: (.*)\n", out)
    assert len(blocks) == 3, out
    for idx, vals in blocks:
        idx = int(idx)
        expect = np.arange(6.0).reshape(shape) + 10 * idx
        got = np.array(eval(vals, {}))  # "[[a, b, c], [d, e, f]]"
        np.testing.assert_array_equal(got, expect)
    assert [int(i) for i, _ in blocks] == sorted(int(i) for i, _ in blocks)
