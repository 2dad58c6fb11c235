"""The Python side of the Lua binding's cross-language tests
(tests/lua/test_cross_python_spec.lua). Runs as its own process.

    py_peer.py read    NAME SHAPE DTYPE HISTORY
        Connect (deadline 20 s), read the last HISTORY frames latest first,
        print them as a Lua chunk: return {index=, timestamp_ns=, dtype=,
        shape={...}, data=<nested tables>}. bfloat16 frames are read through
        acquire() (their buffers are uint16) and widened to float here.
    py_peer.py stream  NAME SHAPE DTYPE HISTORY LAST
        Print "ready" once connected, then "got INDEX VALUE" for each new frame
        (get(block=True)); a frame whose elements differ prints "torn INDEX".
        Exits 0 after a frame holding LAST, 1 on a 10 s silence.
    py_peer.py produce NAME SHAPE DTYPE HISTORY STOPFILE
        Create the producer, print "ready PID", put frame k (k = 0, 1, ...;
        every element k, int64 pools [2**62 + k, -2**62 - k, k, ...]) every
        5 ms until STOPFILE exists (at most 60 s), close, print "done K".

SHAPE is comma separated ("" for one scalar per frame).
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

import tensor_ipc as tipc


def parse_shape(text: str) -> tuple:
    return tuple(int(d) for d in text.split(",") if d.strip())


def lua_number(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        x = int(x)
        if x == -(2**63):
            return "math.mininteger"
        if x >= 2**63:  # uint64 above Lua's integers reads as a float in Lua
            return repr(float(x))
        return str(x)
    x = float(x)
    if math.isnan(x):
        return "(0/0)"
    if math.isinf(x):
        return "math.huge" if x > 0 else "-math.huge"
    return repr(x)


def to_lua(obj) -> str:
    if isinstance(obj, np.ndarray):
        if obj.ndim == 0:
            return to_lua(obj[()])
        return "{" + ", ".join(to_lua(x) for x in obj) + "}"
    if isinstance(obj, (complex, np.complexfloating)):
        return "{re=%s, im=%s}" % (lua_number(obj.real), lua_number(obj.imag))
    return lua_number(obj)


def connect(consumer, deadline_s=20.0):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if consumer.get(as_numpy=True) is not None:
            return True
        time.sleep(0.002)
    return False


def read(name, shape, dtype, history) -> int:
    md = tipc.PoolMetadata(name, shape, dtype, "numpy", history)
    c = tipc.TensorConsumer(md)
    if not connect(c):
        print("error: not connected", file=sys.stderr)
        return 1
    if dtype == "bfloat16":
        frames = c.acquire(history)
        stacked = []
        for f in frames:
            if f is None:
                stacked.append(np.zeros(shape, dtype=np.float32))
            else:
                bits = np.asarray(f).astype(np.uint32) << 16
                stacked.append(bits.view(np.float32).astype(np.float64))
        index, ts = frames[0].index, frames[0].timestamp_ns
        frames[0].release()
        data = np.stack(stacked)
    else:
        data = c.get(history, as_numpy=True)
        index, ts = c.last_index, c.last_timestamp_ns
    if history == 1 and dtype != "bfloat16":
        data = data[np.newaxis]
    print("return {index=%d, timestamp_ns=%d, dtype=%r, shape={%s}, data=%s}"
          % (index, ts, str(c.pool_metadata.dtype_str), ", ".join(str(d) for d in shape),
             to_lua(data)))
    c.cleanup()
    return 0


def stream(name, shape, dtype, history, last) -> int:
    md = tipc.PoolMetadata(name, shape, dtype, "numpy", history)
    c = tipc.TensorConsumer(md)
    if not connect(c):
        print("error: not connected", flush=True)
        return 1
    print("ready", flush=True)
    while True:
        data = c.get(as_numpy=True, block=True, timeout=10.0)
        if data is None:
            print("timeout", flush=True)
            return 1
        flat = np.asarray(data).reshape(-1)
        if flat.size and not (flat == flat[0]).all():
            print(f"torn {c.last_index}", flush=True)
            return 1
        v = flat[0].item()
        print(f"got {c.last_index} {v:g}", flush=True)
        if v >= last:
            c.cleanup()
            return 0


def produce(name, shape, dtype, history, stopfile) -> int:
    md = tipc.PoolMetadata(name, shape, dtype, "numpy", history)
    p = tipc.TensorProducer(md)
    print(f"ready {os.getpid()}", flush=True)
    end = time.monotonic() + 60.0
    k = 0
    n = int(np.prod(shape)) if shape else 1
    while not os.path.exists(stopfile) and time.monotonic() < end:
        if dtype == "int64":
            vals = [2**62 + k, -(2**62) - k] + [k] * max(0, n - 2)
            frame = np.array(vals[:n], dtype=np.int64).reshape(shape)
        else:
            frame = np.full(shape, k, dtype=dtype)
        p.put(frame)
        k += 1
        time.sleep(0.005)
    p.cleanup()
    print(f"done {k}", flush=True)
    return 0


def main(argv) -> int:
    cmd, name, shape_s, dtype, history = argv[1:6]
    shape, history = parse_shape(shape_s), int(history)
    if cmd == "read":
        return read(name, shape, dtype, history)
    if cmd == "stream":
        return stream(name, shape, dtype, history, float(argv[6]))
    if cmd == "produce":
        return produce(name, shape, dtype, history, argv[6])
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
